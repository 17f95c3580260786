"""Is a route's policy complete? Every call that might be an AWS call decompose could not follow is a gap.

The SDK-call inference (`sdk_calls`) follows clients and resources wherever the code keeps them, and what
it cannot follow must never shrink a policy quietly. This check is the net under it, built so that it also
catches the next unknown gap: in a route's reach, every call `receiver.method(...)` whose method is the
name of an AWS operation and whose receiver the inference could not resolve at all (no value: a parameter
nobody in the reach passes, an attribute never assigned there, an element of a container) is reported as
`possible-aws-call-unresolved` at its call site. A route with such a call has an *incomplete* policy, and
every output says so; a route without one has a policy that is proven empty or complete.

Precision, so that the check stays worth reading:
- the names are botocore's own client method names (`put_item`, `send_message`, `query`), and only of the
  services the project creates clients or resources for (every service when it creates one with a
  computed name): `query` is suspicious in a DynamoDB project, not in one that never touches DynamoDB;
- a receiver resolved to anything (a project object, a string, the event, a module, what a non-AWS library
  returns) is not AWS: `session.query()` on a SQLAlchemy session, `cache.get()`, `requests.post()`;
- method names that are methods of Python's built-in types (`get`, `update`, `copy`, `index`...) are never
  operations here (boto3 resource actions such as `Object.get` are left out for that reason).

What the check cannot see: calls made inside third-party libraries (a company SDK wrapping boto3,
Powertools' parameters utility), and attribute calls on a resolved project object whose class inherits
the method from a class outside the project.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from decompose.analysis.graph import DefinitionGraph
from decompose.analysis.symbols import Definition, SymbolTable, is_external
from decompose.analysis.walk import descendants
from decompose.domain.model import Location
from decompose.iam import models
from decompose.iam.sdk_calls import Bound, EventPart, SdkCallFinder

RULE = "possible-aws-call-unresolved"
CLIENT_FACTORIES = frozenset({"client", "resource", "create_client"})
AWS_IMPORTS = frozenset({"boto3", "botocore", "aioboto3", "aiobotocore"})
_BUILTIN_METHODS = frozenset(
    name
    for kind in (dict, list, str, bytes, bytearray, set, frozenset, tuple, int, float)
    for name in dir(kind)
    if not name.startswith("_")
)
MAX_SERVICES_SHOWN = 3
# `SdkCallFinder.static` kind: a definition's calls that can be gaps (for the services of its code tree, which
# are one per memo)
CANDIDATES = "unresolved-candidates"


@dataclass(frozen=True)
class UnresolvedCall:
    """A call named like an AWS operation on a receiver decompose could not resolve."""

    location: Location
    receiver: str  # the receiver's source text (`self.client`, `repo.table`)
    method: str
    services: tuple[str, ...]  # the services with an operation of that name

    @property
    def message(self) -> str:
        shown = ", ".join(self.services[:MAX_SERVICES_SHOWN])
        more = len(self.services) - MAX_SERVICES_SHOWN
        services = shown + (f" and {more} more" if more > 0 else "")
        return (
            f"{self.receiver}.{self.method}() is named like an AWS operation ({services}) but decompose could not"
            f" tell what {self.receiver} is: if it is an AWS client, this route's policy lacks that permission"
        )


def project_services(symbols: SymbolTable, graph: DefinitionGraph) -> frozenset[str] | None:
    """The services the project creates clients or resources for (`boto3.client("sqs")`, `session.resource(
    "dynamodb")`, `Session().client(service_name="s3")`); None when one is created with a computed name."""
    found: set[str] = set()
    aws = {
        name
        for name, module in symbols.modules.items()
        if any(target.split(".")[0] in AWS_IMPORTS for target, _, _ in module.imports.values())
    }
    for definition in _factory_users(symbols, graph):
        for node in (n for root in definition.nodes for n in descendants(root)):
            if not (isinstance(node, ast.Call) and _factory(node.func)):
                continue
            name = _service_argument(node)
            if isinstance(name, str):
                if models.is_service(name):
                    found.add(name)
            elif name is not None and definition.module in aws:
                return None
    return frozenset(found)


def _factory_users(symbols: SymbolTable, graph: DefinitionGraph) -> Iterator[Definition]:
    """The definitions that can call a client factory: they use an attribute of that name, or boto3 itself
    (`from boto3 import client`); the graph already knows, so the whole code need not be walked again."""
    for definition_id, facts in graph.facts.items():
        definition = symbols.definitions.get(definition_id)
        if definition is None:
            continue
        if facts.attributes & CLIENT_FACTORIES or any(t.removeprefix("ext:") in AWS_IMPORTS for t in facts.targets):
            yield definition


def _factory(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr in CLIENT_FACTORIES) or (
        isinstance(func, ast.Name) and func.id in CLIENT_FACTORIES
    )


def _service_argument(call: ast.Call) -> str | ast.expr | None:
    """The literal service name of a client factory call, the expression when computed, None without one."""
    arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "service_name"), None)
    if isinstance(arg, ast.Constant):
        return arg.value if isinstance(arg.value, str) else None
    return arg


@functools.cache
def operation_methods(services: frozenset[str] | None) -> Mapping[str, tuple[str, ...]]:
    """Client method name -> the services (of `services`, or every service botocore knows) it is an
    operation of; built-in type method names excluded."""
    table: dict[str, list[str]] = {}
    for service, methods in models.client_methods(services):
        for method in methods:
            if method not in _BUILTIN_METHODS:
                table.setdefault(method, []).append(service)
    return {method: tuple(sorted(found)) for method, found in table.items()}


def unresolved_calls(finder: SdkCallFinder, services: frozenset[str] | None) -> list[UnresolvedCall]:
    """Every call in the finder's reach named like an operation of `services` whose receiver it did not
    resolve (run after `finder.calls()`: the inference's facts are then complete)."""
    methods = operation_methods(services)
    if not methods:
        return []
    found: dict[tuple[Location, str, str], UnresolvedCall] = {}
    lost: set[str] | None = None
    for definition in finder.definitions:
        path = finder.symbols.modules[definition.module].module.path
        candidates = finder.static(CANDIDATES, definition, lambda d=definition: _candidates(finder, d, methods))
        for call, matching in candidates:
            func = call.func
            assert isinstance(func, ast.Attribute)
            if _resolved(finder.eval(func.value, definition)):
                continue
            if _on_unbound_self(finder, definition, func.value):
                lost = _lost_methods(finder) if lost is None else lost
                if definition.name not in lost:
                    continue  # a method reached by its name only (`.get()` on a dict), never called on an object
            where = Location(path, call.lineno)
            receiver = ast.unparse(func.value)
            found.setdefault((where, receiver, func.attr), UnresolvedCall(where, receiver, func.attr, matching))
    return sorted(found.values(), key=lambda c: (c.location, c.receiver, c.method))


def _candidates(
    finder: SdkCallFinder, definition: Definition, methods: Mapping[str, tuple[str, ...]]
) -> tuple[tuple[ast.Call, tuple[str, ...]], ...]:
    """The calls of a definition named like an operation (with the services it is one of) whose receiver does
    not name a module or a project definition outright: the calls that can be gaps, whatever the facts."""
    out = []
    for call in _attribute_calls(definition):
        func = call.func
        assert isinstance(func, ast.Attribute)
        matching = methods.get(func.attr)
        if matching is not None and not _static_receiver(finder, definition, func.value):
            out.append((call, matching))
    return tuple(out)


def _resolved(values: set[object]) -> bool:
    """Whether the inference knows what a receiver is. A part of the event is a dict, a list or a string: an
    operation name called on it means the value is something else the inference lost (an entry parameter is
    assumed to hold the event when nothing else flows in)."""
    return any(
        not isinstance(v, EventPart) and not (isinstance(v, Bound) and isinstance(v.owner, EventPart)) for v in values
    )


def _on_unbound_self(finder: SdkCallFinder, definition: Definition, receiver: ast.expr) -> bool:
    """Whether `receiver` is `self...` in a method whose `self` the inference saw no instance flow into.

    Reach takes a class's methods by name (`repo.save()` reaches every reached class's `save`), so a
    method can be in a route's reach only because a dict's `.get()` is: then nothing calls it, and what it
    calls on `self` is no gap. It is one only when some call site of its name has a receiver the inference
    lost (`_lost_methods`): that object may be an instance of the class.
    """
    node = definition.nodes[0]
    if definition.kind != "method" or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    params = [*node.args.posonlyargs, *node.args.args]
    if not params:
        return False
    root = receiver
    while isinstance(root, ast.Attribute | ast.Subscript | ast.Call):
        root = root.func if isinstance(root, ast.Call) else root.value
    return isinstance(root, ast.Name) and root.id == params[0].arg and not finder.locals.get((definition.id, root.id))


def _lost_methods(finder: SdkCallFinder) -> set[str]:
    """Method names called somewhere in the reach on a receiver the inference could not resolve (and, for a
    call of an unresolved callable, `__init__` and `__call__`: it may build or call an object)."""
    lost: set[str] = set()
    for definition in finder.definitions:
        scope = finder.graph.scope(definition)
        for call in _calls_of(definition):
            func = call.func
            if isinstance(func, ast.Attribute):
                if func.attr in lost or _static_receiver(finder, definition, func.value):
                    continue
                if not _on_unbound_self(finder, definition, func.value) and not _resolved(
                    finder.eval(func.value, definition)
                ):
                    lost.add(func.attr)
            elif isinstance(func, ast.Name) and scope.is_local(func.id) and not finder.eval(func, definition):
                lost |= {"__init__", "__call__"}
    return lost


def _static_receiver(finder: SdkCallFinder, definition: Definition, receiver: ast.expr) -> bool:
    """Whether the receiver names a module or a project definition outright (`json.loads`, `repo.save`)."""
    scope = finder.graph.scope(definition)
    if isinstance(receiver, ast.Name) and scope.is_local(receiver.id):
        return False
    binding = scope.resolve(receiver) if isinstance(receiver, ast.Name | ast.Attribute) else None
    if binding is None:
        return False
    if not isinstance(binding, str) or is_external(binding):
        return True  # a module
    definition = finder.symbols.definitions.get(binding)
    return definition is not None and definition.kind in ("function", "class", "method")


@functools.lru_cache(maxsize=1 << 16)
def _calls_in(node: ast.AST) -> tuple[ast.Call, ...]:
    return tuple(n for n in descendants(node) if isinstance(n, ast.Call))


def _calls_of(definition: Definition) -> Iterable[ast.Call]:
    for node in definition.nodes:
        yield from _calls_in(node)


def _attribute_calls(definition: Definition) -> Iterable[ast.Call]:
    return (call for call in _calls_of(definition) if isinstance(call.func, ast.Attribute))
