"""Every AWS SDK call a route can make, found by abstract interpretation over its reach.

A flow-insensitive fixpoint over the route's reached definitions computes what each name, parameter,
return value and instance attribute can hold: the boto3 module, a session, a client of a service, a
resource object with its identifiers, a paginator, a waiter, an instance of a project class, a string
whose origin is known (a literal, an environment variable, a part of the event). Clients therefore are
followed wherever teams put them: module level, `functools.cache` factories, `self._client`, arguments,
helpers in other modules that return them. A final pass reads every call on such a value and names the
botocore operation it performs, using the botocore/boto3 models (`decompose.iam.models`) as the source of
truth: client methods, resource actions and `load`, collections, paginators, waiters, presigned URLs and
the S3 transfer helpers.

The fixpoint is incremental at two grains. Each fact records who read it: the statement or call of a
definition that read it (or the definition as a whole, for default values and module-level assignments),
so a definition re-run because one fact grew re-infers only the nodes that read that fact. And the routes
of one code tree share a memo: a definition that sees the facts it saw in an earlier route replays what it
wrote then and who read what. Both are exact because the inference is deterministic: a node whose facts
are as they were writes what it wrote.
"""

from __future__ import annotations

import ast
import functools
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from decompose.analysis.graph import DefinitionGraph
from decompose.analysis.symbols import Definition, ModuleRef, SymbolTable
from decompose.analysis.walk import descendants
from decompose.domain.iam import LibraryCall, SdkCall, ValueSource
from decompose.domain.model import Location
from decompose.iam import models
from decompose.iam.signing import Signer, signer_names

MAX_ROUNDS = 12
_UNKNOWN = ValueSource("unknown", "not a string known statically")
MAX_VARIANTS = 16
MAX_PARAM_DEPTH = 4  # nesting of request dicts read for parameter paths
# Request members keyed by the resource they act on: the keys name the resources (DynamoDB batch operations).
KEYED_BY_RESOURCE = frozenset({"RequestItems"})
PRESIGN = frozenset({"generate_presigned_url", "generate_presigned_post"})
# S3 transfer helpers: method -> (operation, positional parameter names after self)
TRANSFER = {
    "upload_file": ("PutObject", ("Filename", "Bucket", "Key")),
    "upload_fileobj": ("PutObject", ("Fileobj", "Bucket", "Key")),
    "download_file": ("GetObject", ("Bucket", "Key", "Filename")),
    "download_fileobj": ("GetObject", ("Bucket", "Key", "Fileobj")),
    "copy": ("CopyObject", ("CopySource", "Bucket", "Key")),
}
# On a resource the transfer helpers take the resource's identifiers implicitly.
RESOURCE_TRANSFER = {
    "upload_file": ("PutObject", ("Filename",)),
    "upload_fileobj": ("PutObject", ("Fileobj",)),
    "download_file": ("GetObject", ("Filename",)),
    "download_fileobj": ("GetObject", ("Fileobj",)),
    "copy": ("CopyObject", ("CopySource",)),
    "copy_from": ("CopyObject", ()),
}
COLLECTION_METHODS = frozenset({"all", "filter", "limit", "page_size"})
WAIT_UNTIL = "wait_until_"  # a resource's waiter methods
# the method names the SDK pass reads beside the services' operations: helpers, a batch writer's, a collection's,
# a paginator's and a waiter's methods (`_operation`)
_NON_OPERATIONS = frozenset(
    {*PRESIGN, *TRANSFER, *RESOURCE_TRANSFER, *COLLECTION_METHODS, "put_item", "delete_item", "paginate", "wait"}
)
# Packages whose objects may be AWS clients: calls into any other external module give `External` values.
AWS_PACKAGES = frozenset({"boto3", "botocore", "aioboto3", "aiobotocore"})


# ------------------------------------------------------------------------------------------ abstract values
@dataclass(frozen=True)
class Module:
    """An external module or an attribute path into it: ("boto3",), ("boto3", "session"), ("os",)."""

    path: tuple[str, ...]


@dataclass(frozen=True)
class Session:
    pass


@dataclass(frozen=True)
class Client:
    service: str
    endpoint: ValueSource | None = None  # `endpoint_url=`: names the API for apigatewaymanagementapi


@dataclass(frozen=True)
class Resource:
    service: str
    type: str
    ids: tuple[tuple[str, ValueSource], ...] = ()


@dataclass(frozen=True)
class Collection:
    resource: Resource
    name: str


@dataclass(frozen=True)
class BatchWriter:
    resource: Resource


@dataclass(frozen=True)
class Deferred:
    """A paginator or waiter: `method` (`paginate`, `wait`) performs `operation`."""

    service: str
    operation: str
    method: str
    via: str


@dataclass(frozen=True)
class Bound:
    """A method looked up on a value, not yet called."""

    owner: object
    name: str


@dataclass(frozen=True)
class FunctionRef:
    id: str


@dataclass(frozen=True)
class ClassRef:
    id: str


@dataclass(frozen=True)
class Instance:
    cls: str


@dataclass(frozen=True)
class Text:
    source: ValueSource


@dataclass(frozen=True)
class External:
    """What a call into an external module other than boto3/botocore returns (`requests.Session()`,
    `sqlalchemy.orm.Session()`, `json.loads(...)`): not an AWS client, whatever its methods are called."""

    path: tuple[str, ...]


RESPONSE = External(("<AWS response>",))  # what an operation returns: a dict of data, never a client


@dataclass(frozen=True)
class SuperRef:
    """`super()` in a method of `cls`, for the instance `instance`: `super().__init__()` runs a base's method."""

    cls: str
    instance: Instance


@dataclass(frozen=True)
class SuperBound:
    """`super().name`: the base-class method `method` (a definition id), bound to `instance`."""

    method: str
    instance: Instance


@dataclass(frozen=True)
class EventPart:
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Environ:
    pass


@dataclass(frozen=True)
class DictLiteral:
    """A dict display `{"Bucket": b, "Prefix": p}`, kept for `**kwargs` expansion in an SDK call."""

    node: ast.Dict
    definition: str
    members: tuple[tuple[str, frozenset[object]], ...] = ()


@dataclass(frozen=True)
class LibraryTable:
    """The library calls a finder also records (`LibraryCall`), as data the caller supplies.

    `functions` maps a dotted name (`time.sleep`, `requests.post`, `urllib3.PoolManager().request`) to the
    argument to describe: (positional index, keyword name), or None. `constructors` are the classes whose
    instances the finder follows (`requests.Session`), so that their methods resolve to `Class().method`.
    `clients` are attributes of those instances that are boto3 clients (`sagemaker.session.Session().
    sagemaker_client` -> "sagemaker"), `returns` functions returning an instance of one (`ModelCard.load`).
    """

    functions: dict[str, tuple[int, str] | None]
    constructors: frozenset[str] = frozenset()
    clients: dict[str, str] = field(default_factory=dict)
    returns: dict[str, str] = field(default_factory=dict)

    @functools.cached_property
    def last_names(self) -> frozenset[str]:
        return frozenset(name.rpartition(".")[2] for name in self.functions)


Value = object
_T = TypeVar("_T")
Fact = tuple[str, object, frozenset[Value]]  # (store, key, values)
_Read = tuple[tuple[str, object], "str | tuple[str, int]"]  # (fact, reader: a definition id, or (id, node id))
# definition id -> (the facts it touched, as they were; the facts it added; who read which fact) for its last
# few inferences; (RERUN, definition id, node ids) -> the same for its last few re-runs of those nodes alone;
# (PASSES, definition id) -> its last few `_Summary` of the passes after the fixpoint; and
# (kind, definition id) -> what `SdkCallFinder.static` found there (the nodes the inference reads: INFERRED)
InferenceMemo = dict[object, Any]
MEMO_VARIANTS = 8
PASSES = "passes"
RERUN = "rerun"
INFERRED = "inferred"


@dataclass(frozen=True)
class _Summary:
    """What the passes after the fixpoint found in one definition (its SDK calls, its library calls), and what
    that was a function of: the facts they read, as they were; the module-level assignments they asked for
    (each already evaluated, or outside the reach: the passes then wrote nothing); the definitions whose
    scopes a dict display's members were read in, and whether each was in the reach; the route's loadable
    resource attributes and the services whose operations it looked for."""

    facts: tuple[Fact, ...]
    globals: tuple[str, ...]
    owners: tuple[tuple[str, bool], ...]
    loadable: frozenset[str]
    held: frozenset[str] | None
    calls: tuple[SdkCall, ...]
    library: tuple[LibraryCall, ...]


_NOTHING: frozenset[Value] = frozenset()


class SdkCallFinder:
    """Finds the SDK calls of one route, given the definitions it reaches."""

    def __init__(
        self,
        symbols: SymbolTable,
        graph: DefinitionGraph,
        reached: Iterable[str],
        entry: str,
        memo: InferenceMemo | None = None,
        *,
        library: LibraryTable | None = None,
        passed: tuple[str, ast.Call] | None = None,
        shared: frozenset[str] | None = None,
        services: frozenset[str] | None = None,
    ) -> None:
        self.symbols = symbols
        self.library = library
        self._library_calls: list[LibraryCall] = []
        self.graph = graph
        self.entry = entry
        kinds = ("function", "method", "assignment", "lambda", "branch")
        self.definitions = [
            symbols.definitions[n]
            for n in sorted(reached)
            if n in symbols.definitions and symbols.definitions[n].kind in kinds
        ]
        self.locals: dict[tuple[str, str], set[Value]] = defaultdict(set)
        self.globals: dict[str, set[Value]] = defaultdict(set)
        self.returns: dict[str, set[Value]] = defaultdict(set)
        self.attributes: dict[tuple[str, str], set[Value]] = defaultdict(set)
        self._scopes = {d.id: graph.scope(d) for d in self.definitions}
        self._stores = {"local": self.locals, "global": self.globals, "return": self.returns, "attr": self.attributes}
        # who reads a fact: a definition id (re-run it whole when the fact grows) or (definition id, id of the
        # statement or call that read it: re-run only that node)
        self._readers: dict[tuple[str, object], set[str | tuple[str, int]]] = defaultdict(set)
        self._current: str | None = None
        self._current_node: int | None = None  # id of the node of `_current` being inferred
        self._fine: set[str] = set()  # definitions inferred whole in this route, whose nodes registered as readers
        self._dirty: dict[str, set[int]] = {}  # for those: the nodes whose facts grew since
        self._work: list[str] = []
        self._queued: set[str] = set()
        self._globals_done: set[str] = set()
        self._loadable: frozenset[str] = frozenset()
        # the services the code makes clients and resources for (`completeness.project_services`; None: not
        # known), and after the fixpoint with those the route holds: the SDK pass reads only the receivers of
        # method calls named like one of their operations (None: of every method call)
        self._services = services
        self._held: frozenset[str] | None = None
        self._operations: frozenset[str] | None = None
        self._memo: InferenceMemo = memo if memo is not None else {}
        # while a definition is inferred whole: the facts it touched (as they were), the facts it added, and
        # who read which fact
        self._recording: tuple[dict[tuple[str, object], frozenset[Value]], list[Fact], dict[_Read, None]] | None = None
        self._outside: str | None = None  # the definition whose default values are being evaluated
        # while the passes after the fixpoint read one definition: the facts read (as they were), the
        # module-level assignments asked for (and whether each was evaluated or outside the reach then), the
        # definitions a dict display's members were read in (and whether each is in the reach)
        self._summary: tuple[dict[tuple[str, object], frozenset[Value]], dict[str, bool], dict[str, bool]] | None
        self._summary = None
        self._passed = passed  # how the dispatcher calls the entry: (its definition id, the call)
        # the definitions other routes sharing the memo reach too (None: any may be): only theirs are worth
        # remembering, a definition no other route reaches is never replayed from the memo
        self._shared = shared
        self._own: InferenceMemo = {}  # what `static` found in the definitions only this route reaches

    # ----------------------------------------------------------------------------------------- public
    def calls(self) -> list[SdkCall]:
        self._seed_entry()
        by_id = {d.id: d for d in self.definitions}
        for definition in reversed(self.definitions):
            self._enqueue(definition.id)
        budget = MAX_ROUNDS * max(1, len(self.definitions))
        while self._work and budget > 0:
            budget -= 1
            current = self._work.pop()
            self._queued.discard(current)
            self._current = current
            self._process(by_id[current])
        self._current = None
        self._loadable, self._held = self._held_resources()
        self._operations = None if self._held is None else models.operation_method_names(self._held) | _NON_OPERATIONS
        found: dict[tuple, SdkCall] = {}
        library: dict[tuple, LibraryCall] = {}
        for definition in self.definitions:
            sdk, used_calls = self._passes(definition)
            for call in sdk:
                found.setdefault((call.service, call.operation, call.location, call.params, call.via), call)
            for used in used_calls:
                library.setdefault((used.function, used.location, used.argument, used.base), used)
        self._library_calls = sorted(library.values(), key=lambda c: (c.location, c.function))
        return sorted(found.values(), key=lambda c: (c.location, c.service, c.operation, c.via, c.params))

    def library_calls(self) -> list[LibraryCall]:
        """The calls of `library` functions in the route's reach (after `calls()`, which finds them too)."""
        return list(self._library_calls)

    def _passes(self, definition: Definition) -> tuple[tuple[SdkCall, ...], tuple[LibraryCall, ...]]:
        """The SDK and library calls of one definition, from its summary when an earlier route of the tree
        read the same facts there (the passes are a function of them: routes share helpers, and a helper
        whose receivers hold what they held then makes the calls it made then)."""
        if self._shared is not None and definition.id not in self._shared:
            return tuple(self._sdk_calls(definition)), tuple(self._library_uses(definition))
        summaries = self._memo.setdefault((PASSES, definition.id), [])
        stores, done, scopes = self._stores, self._globals_done, self._scopes
        for index in range(len(summaries) - 1, -1, -1):  # the most recently used first, as in `_memoized`
            summary = summaries[index]
            if (
                summary.loadable == self._loadable
                and summary.held == self._held
                and all(g in done or g not in scopes for g in summary.globals)
                and all((owner in scopes) == reached for owner, reached in summary.owners)
                and all(stores[store].get(key, _NOTHING) == values for store, key, values in summary.facts)  # type: ignore[call-overload]
            ):
                if index != len(summaries) - 1:
                    summaries.append(summaries.pop(index))
                return summary.calls, summary.library
        self._summary = ({}, {}, {})
        try:
            calls = tuple(self._sdk_calls(definition))
            library = tuple(self._library_uses(definition))
            facts, asked, owners = self._summary
        finally:
            self._summary = None
        if all(asked.values()):  # every assignment asked for was known: the passes wrote no fact
            summaries.append(
                _Summary(
                    tuple((store, key, values) for (store, key), values in facts.items()),
                    tuple(asked),
                    tuple(owners.items()),
                    self._loadable,
                    self._held,
                    calls,
                    library,
                )
            )
            del summaries[:-MEMO_VARIANTS]
        return calls, library

    # -------------------------------------------------------------------------------------- inference
    def _seed_entry(self) -> None:
        for branch in (d for d in self.definitions if d.kind == "branch" and d.owner):
            enclosing = self.symbols.definitions.get(branch.owner or "")
            node = enclosing.nodes[0] if enclosing is not None else None
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):  # the dispatcher's event, in the branch
                for arg in [*node.args.posonlyargs, *node.args.args]:
                    self.locals[(branch.id, arg.arg)].add(EventPart())
        entry = self.symbols.definitions.get(self.entry)
        if entry is None or not isinstance(entry.nodes[0], ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return
        args = entry.nodes[0].args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        if entry.kind == "method" and entry.owner and params and _method_kind(entry) == "method":
            # a handler's `__call__`, a method dispatched as a route (a table's `obj.get_all`): self is an object
            self.locals[(entry.id, params[0].arg)].add(Instance(entry.owner))
            params = params[1:]
        node = entry.nodes[0]
        defaulted = {a.arg for a in _defaulted(node.args)}  # they hold their default unless a caller passes one
        for arg in params:
            if arg.arg not in defaulted:
                self.locals[(entry.id, arg.arg)].add(EventPart())
        dispatcher = self.symbols.definitions.get(self._passed[0]) if self._passed else None
        if dispatcher is not None and self._passed is not None:  # `operations[op](dynamo, payload)`
            call = self._passed[1]
            for arg, value in zip(params, call.args, strict=False):
                if not isinstance(value, ast.Starred):
                    self.locals[(entry.id, arg.arg)].update(self.eval(value, dispatcher))
            by_name = {p.arg for p in params}
            for keyword in call.keywords:
                if keyword.arg in by_name:
                    self.locals[(entry.id, keyword.arg)].update(self.eval(keyword.value, dispatcher))

    def _ensure_global(self, definition: Definition) -> None:
        """Evaluate a module-level assignment the first time it is read, so constants are known before use
        (the facts only grow: a value computed from a not-yet-known constant would stay as a spurious one)."""
        if self._summary is not None:
            asked = self._summary[1]
            asked.setdefault(definition.id, definition.id in self._globals_done or definition.id not in self._scopes)
        if definition.id in self._globals_done or definition.id not in self._scopes:
            return
        self._globals_done.add(definition.id)
        current, self._current = self._current, definition.id
        node, self._current_node = self._current_node, None
        try:
            self._infer(definition)
        finally:
            self._current = current
            self._current_node = node

    def _enqueue(self, definition: str) -> None:
        if definition not in self._queued and definition in self._scopes:
            self._queued.add(definition)
            self._work.append(definition)

    def _process(self, definition: Definition) -> None:
        """Infer one definition, or replay what it did when every fact it touched is as it was then.

        Routes share helpers, and a helper that sees the same facts as in an earlier route (the memo is
        shared by the routes of one code tree) writes the same facts: replaying them skips the evaluation.
        A definition already inferred whole in this route re-runs only its statements and calls that read
        a fact that grew since: the others would read what they read and write what they wrote. Such a
        re-run is remembered too: the facts a shared helper's callers bring arrive in the same order in
        every route, so most re-runs repeat one of an earlier route.
        """
        if definition.id in self._fine:
            dirty = self._dirty.pop(definition.id, None)
            if dirty:
                key = (RERUN, definition.id, frozenset(dirty))
                self._memoized(key, definition, lambda: self._infer_nodes(definition, dirty))
            return
        self._dirty.pop(definition.id, None)
        self._fine.add(definition.id)  # before: a whole-definition reader fired meanwhile takes it out again
        self._memoized(definition.id, definition, lambda: self._infer(definition))

    def _memoized(self, key: object, definition: Definition, run: Callable[[], None]) -> None:
        """`run` (an inference of `definition`, whole or in part), or a replay of what it wrote and who read
        what when every fact it touched is as it was in an earlier run under `key`."""
        if self._shared is not None and definition.id not in self._shared:
            run()  # no other route reaches it: nothing to remember
            return
        entries = self._memo.setdefault(key, [])
        stores = self._stores
        for index in range(len(entries) - 1, -1, -1):  # the most recently used first: routes come in runs
            snapshot, writes, reads = entries[index]
            if all(stores[store].get(fact, _NOTHING) == values for store, fact, values in snapshot):  # type: ignore[call-overload]
                if index != len(entries) - 1:
                    entries.append(entries.pop(index))  # the least recently used is the one dropped
                # it reads what it read then, each fact by the node that read it: partial re-runs stay exact
                readers = self._readers
                for read, by in reads:
                    readers[read].update(by)
                for store, fact, values in writes:
                    self._add(store, fact, values)
                return
        outer, self._recording = self._recording, ({}, [], {})
        try:
            run()
            snap, writes, read = self._recording
        finally:
            self._recording = outer
        snapshot = tuple((store, fact, values) for (store, fact), values in snap.items())
        grouped: dict[tuple[str, object], list[str | tuple[str, int]]] = {}
        for fact, reader in read:  # who read each fact, grouped: a replay adds them fact by fact
            grouped.setdefault(fact, []).append(reader)
        entries.append((snapshot, tuple(writes), tuple((fact, tuple(by)) for fact, by in grouped.items())))
        del entries[:-MEMO_VARIANTS]

    def _touch(self, store: str, key: object) -> None:
        if self._recording is not None and (store, key) not in self._recording[0]:
            self._recording[0][(store, key)] = frozenset(self._stores[store].get(key, ()))  # type: ignore[call-overload]

    def _read(self, store: str, key: object) -> set[Value]:
        """A fact of the inference; the definition being processed (or its node that read it) is re-run when
        it grows."""
        fact = (store, key)
        recording = self._recording
        if self._current is not None:
            node = self._current_node
            reader = self._current if node is None else (self._current, node)
            self._readers[fact].add(reader)
            if recording is not None:
                recording[2][(fact, reader)] = None
        found = self._stores[store].get(key, set())  # type: ignore[call-overload]
        if recording is not None and fact not in recording[0]:  # `_touch`
            recording[0][fact] = frozenset(found)
        if self._summary is not None and fact not in self._summary[0]:
            self._summary[0][fact] = frozenset(found)
        return found

    def _add(self, store: str, key: object, values: Iterable[Value]) -> None:
        values = frozenset(values)
        if self._recording is not None:
            self._touch(store, key)
            self._recording[1].append((store, key, values))
        elif not values:  # nothing grows (most evaluations hold nothing an SDK call reads)
            return
        target = self._stores[store][key]  # type: ignore[index]
        before = len(target)
        target.update(values)
        if len(target) != before:
            for reader in self._readers.get((store, key), ()):
                if isinstance(reader, str):
                    self._fine.discard(reader)
                    self._enqueue(reader)
                else:
                    self._dirty.setdefault(reader[0], set()).add(reader[1])
                    self._enqueue(reader[0])
            if store == "local":
                self._enqueue(key[0])  # type: ignore[index]

    def _infer(self, definition: Definition) -> None:
        for node in definition.nodes:
            if definition.kind == "assignment":
                value = getattr(node, "value", None)
                if value is not None:
                    self._add("global", definition.id, self.eval(value, definition))
                    for call in _calls_in(value):  # `repo = Repo(boto3.resource("dynamodb"))`: into __init__
                        self._flow_arguments(call, definition)
                continue
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._defaults(node.args, definition)
        if definition.kind != "assignment":
            for inner in self._inferred(definition)[0]:
                self._current_node = id(inner)
                try:
                    self._infer_node(inner, definition)
                finally:
                    self._current_node = None

    def _infer_nodes(self, definition: Definition, dirty: set[int]) -> None:
        """Re-infer only the `dirty` statements and calls of a definition, in their order."""
        inner_nodes, positions = self._inferred(definition)
        for position in sorted(positions[i] for i in dirty if i in positions):
            inner = inner_nodes[position]
            self._current_node = id(inner)
            try:
                self._infer_node(inner, definition)
            finally:
                self._current_node = None

    def _inferred(self, definition: Definition) -> tuple[tuple[ast.AST, ...], dict[int, int]]:
        """The nodes of a definition the inference reads, in order, and where each is by node id (a partial
        re-run finds its few dirty nodes without reading the others). A call that cannot reach a project
        function (`int(x)`, `json.loads(s)`) is left out: it would flow no argument and read nothing."""

        def listed() -> tuple[tuple[ast.AST, ...], dict[int, int]]:
            nodes = tuple(
                inner
                for node in definition.nodes
                for inner in _interesting(node)
                if not isinstance(inner, ast.Call) or self._may_call_project(inner.func, definition)
            )
            return nodes, {id(inner): position for position, inner in enumerate(nodes)}

        return self.static(INFERRED, definition, listed)

    def static(self, kind: str, definition: Definition, compute: Callable[[], _T]) -> _T:
        """What `compute` finds in a definition from its code and names alone (never from the facts), once
        per code tree for a definition other routes reach too (in the shared memo), once per route for the
        others."""
        key = (kind, definition.id)
        cache = self._memo if self._shared is None or definition.id in self._shared else self._own
        if key not in cache:
            cache[key] = compute()
        return cache[key]  # type: ignore[no-any-return]

    def _defaults(self, args: ast.arguments, definition: Definition) -> None:
        """`def __init__(self, table=TABLE)`: a parameter can hold its default value."""
        positional = [*args.posonlyargs, *args.args]
        pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
        pairs += [(arg, default) for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True) if default]
        for arg, default in pairs:  # defaults are evaluated where the function is defined, not in its body
            self._outside = definition.id
            try:
                value = self.eval(self._dependency(default, definition), definition)
            finally:
                self._outside = None
            self._add("local", (definition.id, arg.arg), value)
        for arg in [*positional, *args.kwonlyargs]:
            annotation = arg.annotation
            if isinstance(annotation, ast.Subscript) and isinstance(annotation.slice, ast.Tuple):
                for element in annotation.slice.elts[1:]:
                    injected = self._dependency(element, definition)
                    if injected is not element:
                        self._add("local", (definition.id, arg.arg), self.eval(injected, definition))

    def _dependency(self, node: ast.expr, definition: Definition) -> ast.expr:
        """FastAPI injects what a dependency returns: `x = Depends(f)` (or `Annotated[T, Depends(f)]`,
        `Security(f)`) holds the value of `f()`."""
        if not (isinstance(node, ast.Call) and node.args and not isinstance(node.args[0], ast.Starred)):
            return node
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name not in ("Depends", "Security") or self._scopes[definition.id].resolve(func) != "ext:fastapi":
            return node
        return ast.copy_location(ast.Call(func=node.args[0], args=[], keywords=[]), node)

    def _infer_node(self, node: ast.AST, definition: Definition) -> None:
        if isinstance(node, ast.Call):  # most nodes (the kinds below are disjoint)
            self._flow_arguments(node, definition)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            values = self.eval(node.value, definition)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                self._bind(target, values, definition)
        elif isinstance(node, ast.NamedExpr):
            self._bind(node.target, self.eval(node.value, definition), definition)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            self._bind(node.optional_vars, self.eval(node.context_expr, definition), definition)
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            self._bind(node.target, self._elements(self.eval(node.iter, definition)), definition)
        elif isinstance(node, ast.Return) and node.value is not None:
            self._add("return", definition.id, self.eval(node.value, definition))

    def _bind(self, target: ast.expr, values: set[Value], definition: Definition) -> None:
        if isinstance(target, ast.Name):
            module_level = self._module_assignment(target.id, definition, declared_only=True)
            if module_level is not None:  # `global CLIENT` then `CLIENT = boto3.client(...)` in an init function
                self._add("global", module_level, values)
            else:
                self._add("local", (definition.id, target.id), values)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            container = self._module_assignment(target.value.id, definition)
            if container is not None:  # `_clients[name] = boto3.client(name)`: a module-level cache
                self._add("global", f"{container}[]", values)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            for owner in self._name(target.value.id, definition):
                if isinstance(owner, Instance):
                    self._add("attr", (owner.cls, target.attr), values)

    def _elements(self, values: set[Value]) -> set[Value]:
        out: set[Value] = set()
        for value in values:
            if isinstance(value, EventPart):
                out.add(EventPart((*value.keys, "*")))
        return out

    def _may_call_project(self, func: ast.expr, definition: Definition) -> bool:
        """False when `func` cannot be a project function, class or method (a builtin, an external call,
        a method name no project class defines): then no argument flows and nothing needs evaluating."""
        scope = self._scopes.get(definition.id)
        if isinstance(func, ast.Name):
            if scope is None or scope.is_local(func.id):
                return True
            binding = scope.resolve_name(func.id)
            return isinstance(binding, str) and binding in self.symbols.definitions
        if isinstance(func, ast.Attribute):
            if func.attr in self.symbols.method_names or scope is None:
                return True
            binding = scope.resolve(func)  # `module.function(...)`, `package.module.Class(...)`
            return isinstance(binding, str) and binding in self.symbols.definitions
        return True

    def _flow_arguments(self, call: ast.Call, definition: Definition) -> None:
        """Arguments flow into the parameters of the project functions a call can reach."""
        if not self._may_call_project(call.func, definition):
            return
        for callee in self.eval(call.func, definition):
            target, skip_self = self._callee(callee)
            if target is None:
                continue
            node = target.nodes[0]
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
            kind = _method_kind(target)
            if kind == "static" or (kind == "method" and isinstance(callee, FunctionRef)):
                skip_self = False  # `Cls.method(a, b)`: a plain function, `a` is its first parameter
            if skip_self and params:
                if kind == "class" and target.owner:
                    self._add("local", (target.id, params[0]), {ClassRef(target.owner)})
                elif isinstance(callee, Bound) and isinstance(callee.owner, Instance):
                    self._add("local", (target.id, params[0]), {callee.owner})
                elif isinstance(callee, SuperBound):
                    self._add("local", (target.id, params[0]), {callee.instance})
                elif isinstance(callee, ClassRef):
                    self._add("local", (target.id, params[0]), {Instance(callee.id)})
                params = params[1:]
            for name, arg in zip(params, call.args, strict=False):
                self._add("local", (target.id, name), self.eval(arg, definition))
            for keyword in call.keywords:
                if keyword.arg:
                    self._add("local", (target.id, keyword.arg), self.eval(keyword.value, definition))

    def _callee(self, value: Value) -> tuple[Definition | None, bool]:
        if isinstance(value, FunctionRef):
            definition = self.symbols.definitions.get(value.id)
            return definition, bool(definition and _method_kind(definition) == "class")
        if isinstance(value, ClassRef):
            init = self._method(value.id, "__init__")
            return (self.symbols.definitions.get(init) if init else None), True
        if isinstance(value, Bound) and isinstance(value.owner, Instance):
            method = self._method(value.owner.cls, value.name)
            return (self.symbols.definitions.get(method) if method else None), True
        if isinstance(value, SuperBound):
            return self.symbols.definitions.get(value.method), True
        return None, False

    def _method(self, cls: str, name: str, seen: frozenset[str] = frozenset()) -> str | None:
        definition = self.symbols.definitions.get(cls)
        if definition is None or cls in seen:
            return None
        if name in definition.methods:
            return definition.methods[name]
        node = definition.nodes[0]
        for base in getattr(node, "bases", []):
            target = self.symbols.resolve_expression(definition.module, base)
            if isinstance(target, str) and (found := self._method(target, name, seen | {cls})):
                return found
        return None

    # ------------------------------------------------------------------------------------- evaluation
    def eval(self, node: ast.AST | None, definition: Definition) -> set[Value]:
        if node is None:
            return set()
        # the node kinds are disjoint: the most frequent ones first
        if isinstance(node, ast.Name):
            return self._name(node.id, definition)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, definition)
        if isinstance(node, ast.Call):
            return self._call(node, definition)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {Text(ValueSource("literal", node.value))}
        if isinstance(node, ast.JoinedStr):
            return {self._joined(node, definition)}
        if isinstance(node, ast.Dict):
            members = tuple(
                (key.value, frozenset(self.eval(value, definition)))
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant) and isinstance(key.value, str)
            )
            return {DictLiteral(node, definition.id, members)}
        if isinstance(node, ast.Subscript):
            return self._subscript(node, definition)
        if isinstance(node, ast.BoolOp):
            return set().union(*(self.eval(v, definition) for v in node.values))
        if isinstance(node, ast.IfExp):
            return self.eval(node.body, definition) | self.eval(node.orelse, definition)
        if isinstance(node, ast.NamedExpr | ast.Await):
            return self.eval(node.value, definition)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = _texts(self.eval(node.left, definition))
            if len(left) == 1 and left[0].kind == "literal":
                right = _texts(self.eval(node.right, definition))
                suffix = right[0].value if len(right) == 1 and right[0].kind == "literal" else ""
                return {Text(ValueSource("unknown", "computed string", left[0].value + left[0].prefix, suffix))}
        return set()

    def _joined(self, node: ast.JoinedStr, definition: Definition) -> Text:
        if len(node.values) == 1 and isinstance(node.values[0], ast.FormattedValue):
            texts = _texts(self.eval(node.values[0].value, definition))
            if len(texts) == 1:
                return Text(texts[0])
        prefix = ""
        for part in node.values:
            if isinstance(part, ast.Constant):
                prefix += str(part.value)
                continue
            texts = _texts(self.eval(part.value, definition)) if isinstance(part, ast.FormattedValue) else []
            if len(texts) == 1 and texts[0].kind == "literal" and part.format_spec is None:  # type: ignore[union-attr]
                prefix += texts[0].value
                continue
            break
        if all(isinstance(p, ast.Constant) for p in node.values):
            return Text(ValueSource("literal", prefix))
        suffix = ""
        for part in reversed(node.values):
            if not isinstance(part, ast.Constant):
                break
            suffix = str(part.value) + suffix
        return Text(ValueSource("unknown", "computed string", prefix, suffix))

    def _name(self, name: str, definition: Definition) -> set[Value]:
        declared = self._module_assignment(name, definition, declared_only=True)
        if declared is not None:
            self._ensure_global(self.symbols.definitions[declared])
            return set(self._read("global", declared))
        local = self._read("local", (definition.id, name)) if self._outside != definition.id else set()
        if local:
            return set(local)
        imported = self.symbols.modules[definition.module].imports.get(name)
        if imported is not None and not self.symbols.is_project_module(imported[0].split(".")[0]):
            target, attr, _ = imported
            path = (*target.split("."), *([attr] if attr else []))
            return {Environ()} if path == ("os", "environ") else {Module(path)}  # `from os import environ as env`
        scope = self._scopes.get(definition.id)
        if scope is None or self._outside == definition.id:
            return self._binding(self.symbols.resolve_global(definition.module, name))
        return self._binding(scope.resolve_name(name))

    def _binding(self, binding: object) -> set[Value]:
        if binding is None:
            return set()
        if isinstance(binding, ModuleRef):
            return {Module((binding.name.removeprefix("ext:"),))} if binding.name.startswith("ext:") else {binding}
        if isinstance(binding, str) and binding.startswith("ext:"):
            return {Module((binding.removeprefix("ext:"),))}
        found = self.symbols.definitions.get(binding) if isinstance(binding, str) else None
        if found is None:
            return set()
        if found.kind == "assignment":
            self._ensure_global(found)
            return set(self._read("global", found.id))
        if found.kind in ("function", "method", "lambda"):
            return {FunctionRef(found.id)}
        if found.kind == "class":
            return {ClassRef(found.id)}
        return set()

    def _attribute(self, node: ast.Attribute, definition: Definition) -> set[Value]:
        scope = self._scopes.get(definition.id)
        if scope is not None:
            static = scope.resolve(node)
            if static is not None and not (isinstance(static, str) and static.startswith("ext:")):
                return self._binding(static)
        out: set[Value] = set()
        for base in self.eval(node.value, definition):
            out |= self._member(base, node.attr)
        return out

    def _member(self, base: Value, attr: str) -> set[Value]:
        if type(base) in _MEMBERLESS:  # the most frequent case (a dict display's `.get`), before the checks
            return set()
        if isinstance(base, EventPart):
            return {EventPart((*base.keys, attr))}  # an event object's attribute (Chalice's `event.bucket`)
        if isinstance(base, Module):
            if base.path == ("os",) and attr == "environ":
                return {Environ()}
            if self.library is not None and (service := self.library.clients.get(".".join((*base.path, attr)))):
                return {Client(service)}  # a library object's boto3 client (`Session().sagemaker_client`)
            return {Module((*base.path, attr))}
        if isinstance(base, ModuleRef):
            return self._binding(self.symbols.resolve_attribute(base, attr))
        if isinstance(base, Instance):
            out = set(self._read("attr", (base.cls, attr)))
            if self._method(base.cls, attr):
                out.add(Bound(base, attr))
            return out
        if isinstance(base, ClassRef):
            method = self._method(base.id, attr)
            return {FunctionRef(method)} if method else set()
        if isinstance(base, Resource):
            if attr == "meta":
                return {Bound(base, "meta")}
            collection = models.resource_collection(base.service, base.type, attr)
            if collection is not None:
                return {Collection(base, attr)}
            identifier = _identifier(base, attr)
            if identifier is not None:
                return {Text(identifier)}
            return {Bound(base, attr)}
        if isinstance(base, Bound) and base.name == "meta" and attr == "client" and isinstance(base.owner, Resource):
            return {Client(base.owner.service)}
        if isinstance(base, Client | Session | Collection | Deferred | BatchWriter | Environ | EventPart):
            return {Bound(base, attr)}
        if isinstance(base, External):
            return {base}
        if isinstance(base, SuperRef):
            method = self._base_method(base.cls, attr)
            return {SuperBound(method, base.instance)} if method else set()
        return set()

    def _module_assignment(self, name: str, definition: Definition, *, declared_only: bool = False) -> str | None:
        """The module-level assignment `name` denotes in `definition`: declared `global` there, or (unless
        `declared_only`) read there without being a local."""
        node = definition.nodes[0]
        declared = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and name in _declared_globals(node)
        if declared_only and not declared:
            return None
        scope = self._scopes.get(definition.id)
        if not declared and scope is not None and scope.is_local(name):
            return None
        binding = self.symbols.resolve_global(definition.module, name)
        found = self.symbols.definitions.get(binding) if isinstance(binding, str) else None
        return found.id if found is not None and found.kind == "assignment" else None

    def _base_method(self, cls: str, name: str) -> str | None:
        """`name` as the first project base class of `cls` defines it (what `super().name` finds)."""
        definition = self.symbols.definitions.get(cls)
        if definition is None:
            return None
        for base in getattr(definition.nodes[0], "bases", []):
            target = self.symbols.resolve_expression(definition.module, base)
            if isinstance(target, str) and (found := self._method(target, name)):
                return found
        return None

    def _subscript(self, node: ast.Subscript, definition: Definition) -> set[Value]:
        key = node.slice.value if isinstance(node.slice, ast.Constant) else None
        out: set[Value] = set()
        if isinstance(node.value, ast.Name) and (container := self._module_assignment(node.value.id, definition)):
            out |= self._read("global", f"{container}[]")
        for base in self.eval(node.value, definition):
            if isinstance(base, DictLiteral) and isinstance(key, str):  # `params["operation"]` of a dict display
                out |= {v for member, values in base.members if member == key for v in values}
            if isinstance(base, Environ) and isinstance(key, str):
                out.add(Text(ValueSource("env", key)))
            elif isinstance(base, EventPart):
                out.add(EventPart((*base.keys, str(key) if key is not None else "*")))
            elif isinstance(base, External):
                out.add(base)
        return out

    def _call(self, node: ast.Call, definition: Definition) -> set[Value]:
        if _is_builtin_getattr(node, self._scopes.get(definition.id)):  # getattr(obj, "literal")
            attr = _literal(node, 1, "name")
            return {v for base in self.eval(node.args[0], definition) for v in self._member(base, attr or "")}
        if isinstance(node.func, ast.Name) and node.func.id == "super" and not node.args:
            return self._super(definition)
        out: set[Value] = set()
        for func in self.eval(node.func, definition):
            out |= self._result(func, node, definition)
        return out

    def _super(self, definition: Definition) -> set[Value]:
        """`super()` in a method: its class and every instance `self` can be."""
        node = definition.nodes[0]
        if (
            definition.kind != "method"
            or definition.owner is None
            or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ):
            return set()
        params = [*node.args.posonlyargs, *node.args.args]
        selves = self._read("local", (definition.id, params[0].arg)) if params else set()
        return {SuperRef(definition.owner, value) for value in selves if isinstance(value, Instance)}

    def _result(self, func: Value, node: ast.Call, definition: Definition) -> set[Value]:
        if isinstance(func, Module):
            return self._module_call(func.path, node, definition)
        if isinstance(func, FunctionRef):
            return set(self._read("return", func.id))
        if isinstance(func, ClassRef):
            return {Instance(func.id)}
        if isinstance(func, External):
            return {func}
        if isinstance(func, SuperBound):
            return set(self._read("return", func.method))
        if not isinstance(func, Bound):
            return set()
        owner, name = func.owner, func.name
        if isinstance(owner, Instance):
            method = self._method(owner.cls, name)
            return set(self._read("return", method)) if method else set()
        if isinstance(owner, Session) and name in ("client", "create_client"):
            return self._client(node, definition)
        if isinstance(owner, Session) and name == "resource":
            return self._resource(node, definition)
        if isinstance(owner, Environ) and name == "get":
            return self._env(node)
        if isinstance(owner, EventPart) and name == "get" and node.args:
            key = node.args[0].value if isinstance(node.args[0], ast.Constant) else "*"
            return {EventPart((*owner.keys, str(key)))}
        if isinstance(owner, Client):
            if name == "get_paginator":
                operation = models.paginator_operation(owner.service, _literal(node, 0, "operation_name") or "")
                return {Deferred(owner.service, operation, "paginate", "paginator")} if operation else set()
            if name == "get_waiter":
                waiter = _literal(node, 0, "waiter_name") or ""
                operation = models.waiter_operation(owner.service, waiter)
                return {Deferred(owner.service, operation, "wait", f"waiter {waiter}")} if operation else set()
            return {RESPONSE} if models.operation_for_method(owner.service, name) else set()
        if isinstance(owner, Resource):
            if name == "batch_writer":
                return {BatchWriter(owner)}
            found = self._subresource(owner, name, node, definition)
            if found is None:
                found = self._action_result(owner, name, node, definition)
            if not found and models.resource_action(owner.service, owner.type, name) is not None:
                return {RESPONSE}
            return found
        if isinstance(owner, Collection) and name in COLLECTION_METHODS:
            return {owner}
        return set()

    def _module_call(self, path: tuple[str, ...], node: ast.Call, definition: Definition) -> set[Value]:
        if path in (("boto3", "client"), ("boto3", "session", "Session", "client")):
            return self._client(node, definition)
        if path == ("boto3", "resource"):
            return self._resource(node, definition)
        if path in (("boto3", "Session"), ("boto3", "session", "Session"), ("botocore", "session", "get_session")):
            return {Session()}
        if path == ("botocore", "session", "Session"):
            return {Session()}
        if path in (("os", "getenv"), ("os", "environ", "get")):
            return self._env(node)
        if path == ("importlib", "import_module"):
            name = _literal(node, 0, "name")
            if name and not name.startswith(".") and self.symbols.is_project_module(name):
                return {ModuleRef(name)}
        if self.library is not None and ".".join(path) in self.library.constructors:
            return {Module((*path[:-1], path[-1] + "()"))}
        if self.library is not None and (cls := self.library.returns.get(".".join(path))) is not None:
            *package, name = cls.split(".")  # `ModelCard.load(...)` is a ModelCard
            return {Module((*package, name + "()"))}
        if ".".join(path) in signer_names():  # a SigV4 signer: the requests it signs are AWS calls (`signing`)
            return {Signer(".".join(path), node, definition.id)}
        if path and path[0] not in AWS_PACKAGES:
            return {External(path)}
        return set()

    def _client(self, node: ast.Call, definition: Definition) -> set[Value]:
        """A client per service the name can be (`get_client(name)` called with several literal names)."""
        services = [s for s in self._service_names(node, definition) if models.is_service(s)]
        endpoint = next((k.value for k in node.keywords if k.arg == "endpoint_url"), None)
        url = _source_of(self.eval(endpoint, definition)) if endpoint is not None else None
        return {Client(service, url) for service in services}

    def _service_names(self, node: ast.Call, definition: Definition) -> list[str]:
        literal = _literal(node, 0, "service_name")
        if literal:
            return [literal]
        arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "service_name"), None)
        texts = _texts(self.eval(arg, definition)) if arg is not None else []
        names = [t.value for t in texts if t.kind == "literal"]
        return names if len(names) == len(texts) and len(names) <= MAX_VARIANTS else []

    def _resource(self, node: ast.Call, definition: Definition) -> set[Value]:
        service = _literal(node, 0, "service_name") or self._text(node, 0, "service_name", definition)
        return {Resource(service, "ServiceResource")} if service and models.is_service(service) else set()

    def _text(self, node: ast.Call, index: int, keyword: str, definition: Definition) -> str | None:
        arg = (
            node.args[index]
            if len(node.args) > index
            else next((k.value for k in node.keywords if k.arg == keyword), None)
        )
        texts = _texts(self.eval(arg, definition)) if arg is not None else []
        return texts[0].value if len(texts) == 1 and texts[0].kind == "literal" else None

    def _env(self, node: ast.Call) -> set[Value]:
        name = _literal(node, 0, "key")
        return {Text(ValueSource("env", name))} if name else set()

    def _subresource(self, owner: Resource, name: str, node: ast.Call, definition: Definition) -> set[Value] | None:
        """`dynamodb.Table(name)`, `s3.Bucket(b).Object(k)`: the resources it can be, one per combination of
        the sources its identifiers can have (`Table("a" if x else "b")` is two tables, both literal)."""
        service = owner.service
        sub = models.resource_subresource(service, owner.type, name)
        if sub is not None:
            target, from_parent, from_args = sub.type, dict(sub.from_parent), tuple(sub.from_args)
        elif name in models.resource_types(service):
            target, from_parent, from_args = name, {}, models.resource_identifiers(service, name)
        else:
            return None
        inherited = dict(owner.ids)
        keywords = {k.arg.lower(): k.value for k in node.keywords if k.arg}
        ids: list[tuple[str, list[ValueSource]]] = []
        for identifier in models.resource_identifiers(service, target):
            if identifier in from_parent and from_parent[identifier] in inherited:
                ids.append((identifier, [inherited[from_parent[identifier]]]))
                continue
            index = from_args.index(identifier) if identifier in from_args else -1
            arg = node.args[index] if 0 <= index < len(node.args) else keywords.get(identifier.lower())
            ids.append((identifier, self._id_sources(arg, definition)))
        return _resources(service, target, ids)

    def _action_result(self, owner: Resource, name: str, node: ast.Call, definition: Definition) -> set[Value]:
        """`sqs.get_queue_by_name(QueueName=...)`, `s3.create_bucket(Bucket=...)`: an action that returns a
        resource; its identifiers come from the request, the parent, or (unknown here) the response."""
        result = models.resource_action_result(owner.service, owner.type, name)
        if result is None:
            return set()
        inherited = dict(owner.ids)
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        ids: list[tuple[str, list[ValueSource]]] = []
        for identifier in models.resource_identifiers(owner.service, result.type):
            if identifier in result.from_parent and result.from_parent[identifier] in inherited:
                ids.append((identifier, [inherited[result.from_parent[identifier]]]))
            elif identifier in result.from_request and result.from_request[identifier] in keywords:
                ids.append((identifier, self._id_sources(keywords[result.from_request[identifier]], definition)))
            else:
                ids.append((identifier, [ValueSource("unknown", f"returned by {name}()")]))
        return _resources(owner.service, result.type, ids)

    def _id_sources(self, arg: ast.expr | None, definition: Definition) -> list[ValueSource]:
        if arg is None:
            return [ValueSource("unknown", "not given")]
        return _sources(self.eval(arg, definition)) or [_UNKNOWN]

    # ------------------------------------------------------------------------------ library call pass
    def _library_uses(self, definition: Definition) -> Iterator[LibraryCall]:
        library = self.library
        if library is None:
            return
        path = self.symbols.modules[definition.module].module.path
        imports = self.symbols.modules[definition.module].imports
        for node in definition.nodes:
            for call in _calls_and_loops(node):
                if not isinstance(call, ast.Call):
                    continue
                func = call.func
                last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if isinstance(func, ast.Name) and last not in library.last_names:
                    imported = imports.get(last)  # `from time import sleep as pause`
                    last = (imported[1] or imported[0].rpartition(".")[2]) if imported else last
                if last not in library.last_names:
                    continue
                for value in self.eval(func, definition):
                    name = ".".join(value.path) if isinstance(value, Module) else None
                    if name is None or name not in library.functions:
                        continue
                    argument = _argument(call, library.functions[name])
                    yield LibraryCall(
                        name,
                        Location(path, call.lineno),
                        _source_of(self.eval(argument, definition)) if argument is not None else None,
                        self._base(argument, definition) if argument is not None else None,
                    )

    def _base(self, node: ast.expr, definition: Definition) -> ValueSource | None:
        """The source of the first piece of a string built from pieces (f-string, `+`), None for a plain value."""
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.FormattedValue):
            return _source_of(self.eval(node.values[0].value, definition))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            inner = self._base(node.left, definition)
            return inner if inner is not None else _source_of(self.eval(node.left, definition))
        return None

    # ---------------------------------------------------------------------------------- SDK call pass
    def _sdk_calls(self, definition: Definition) -> Iterator[SdkCall]:
        path = self.symbols.modules[definition.module].module.path
        for node in definition.nodes:
            unused = self._unused_operations(node, definition)
            for call in _calls_and_loops(node):
                if id(call) in unused:
                    continue
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and self._may_operate(call.func):
                    for receiver in self.eval(call.func.value, definition):
                        yield from self._operation(receiver, call, definition, Location(path, call.lineno))
                if isinstance(call, ast.Attribute) and call.attr in self._loadable:
                    for receiver in self.eval(call.value, definition):
                        yield from self._lazy_load(receiver, call, definition, Location(path, call.lineno))
                if isinstance(call, ast.For | ast.comprehension | ast.AsyncFor):
                    for value in self.eval(call.iter, definition):
                        if isinstance(value, Collection):
                            yield from self._collection(
                                value, None, definition, Location(path, getattr(call, "lineno", call.iter.lineno))
                            )

    def _unused_operations(self, node: ast.AST, definition: Definition) -> set[int]:
        """The nodes of a string-keyed table of operations (`ops = {"read": lambda x: table.get_item(**x)}`)
        whose key this route never looks up: every `ops[key]` in the definition has a key of literal values
        only (`operation = params["operation"]`, with each caller's `{"operation": "read", ...}`)."""
        unused: set[int] = set()
        for table, name in _operation_tables(node):
            keys: set[str] = set()
            for lookup in _lookups(node, name) or ():
                values = self.eval(lookup.slice, definition)
                texts = _texts(values)
                if not values or len(texts) != len(values) or any(t.kind != "literal" for t in texts):
                    keys = set()
                    break
                keys |= {t.value for t in texts}
            if not keys:
                continue
            for key, value in zip(table.keys, table.values, strict=True):
                if isinstance(key, ast.Constant) and key.value not in keys:
                    unused |= {id(inner) for inner in descendants(value)}
        return unused

    def _operation(self, receiver: Value, call: ast.Call, definition: Definition, where: Location) -> Iterator[SdkCall]:
        method = call.func.attr  # type: ignore[attr-defined]
        if isinstance(receiver, Client):
            service = receiver.service
            if method == "generate_presigned_post" and service == "s3":
                params = self._positional(call, ("Bucket", "Key"), definition)
                yield from self._emit(service, "PutObject", where, params, f"presign {method}")
                return
            if method in PRESIGN:
                operation = models.operation_for_method(service, _literal(call, 0, "ClientMethod") or "")
                if operation:
                    params = _dict_param(call, "Params")
                    yield from self._emit(
                        service, operation, where, self._params_from_dict(params, definition), f"presign {method}"
                    )
                return
            if method in TRANSFER and service == "s3":
                operation, names = TRANSFER[method]
                yield from self._emit(
                    service, operation, where, self._positional(call, names, definition), f"transfer {method}"
                )
                return
            operation = models.operation_for_method(service, method)
            if operation:
                params = self._keywords(call, definition)
                if receiver.endpoint is not None:
                    params.append(("endpoint_url", receiver.endpoint))
                yield from self._emit(service, operation, where, params, "client")
        elif isinstance(receiver, Resource):
            if method in RESOURCE_TRANSFER and receiver.service == "s3":
                operation, names = RESOURCE_TRANSFER[method]
                params = self._resource_params(receiver, operation) + self._positional(call, names, definition)
                yield from self._emit("s3", operation, where, params, f"transfer {receiver.type}.{method}")
                return
            action = models.resource_action(receiver.service, receiver.type, "load" if method == "reload" else method)
            if action is not None:
                operation, mapping = action
                ids = dict(receiver.ids)
                params = [(param, ids[ident]) for param, ident in mapping.items() if ident in ids]
                yield from self._emit(
                    receiver.service,
                    operation,
                    where,
                    params + self._keywords(call, definition),
                    f"resource {receiver.type}.{method}",
                )
        elif isinstance(receiver, Collection) and method in COLLECTION_METHODS:
            yield from self._collection(receiver, call, definition, where)
        elif isinstance(receiver, BatchWriter) and method in ("put_item", "delete_item"):
            table = dict(receiver.resource.ids).get("Name", ValueSource("unknown", "table name"))
            yield from self._emit(
                receiver.resource.service,
                "BatchWriteItem",
                where,
                [("RequestItems", table)],
                f"resource Table.batch_writer.{method}",
            )
        elif isinstance(receiver, Deferred) and method == receiver.method:
            params = self._keywords(call, definition)
            yield from self._emit(receiver.service, receiver.operation, where, params, receiver.via)

    def _held_resources(self) -> tuple[frozenset[str], frozenset[str] | None]:
        """The data attribute names of the resource types this route holds (most routes hold none), and the
        services it can call: the code's own (None when not known), the clients of the SDK libraries it uses,
        and those of the clients and resources it holds (in dict displays too)."""
        kinds: set[tuple[str, str]] = set()
        services: set[str] = set()
        displays: dict[int, DictLiteral] = {}  # the same display is held by many facts: read each once
        for store in self._stores.values():
            for values in store.values():
                for value in values:
                    kind = type(value)
                    if kind is DictLiteral:
                        displays[id(value)] = value  # type: ignore[assignment]
                    elif kind is Resource:
                        kinds.add((value.service, value.type))  # type: ignore[attr-defined]
                        services.add(value.service)  # type: ignore[attr-defined]
                    elif kind in _HOLDING_SERVICES:
                        _add_services(value, services)
        for display in displays.values():
            _add_services(display, services)
        loadable = frozenset().union(*(models.resource_attributes(service, kind) for service, kind in kinds))
        if self._services is None:
            return loadable, None
        library = frozenset(self.library.clients.values()) if self.library is not None else frozenset()
        return loadable, self._services | library | services

    def _may_operate(self, func: ast.Attribute) -> bool:
        """Whether `receiver.name(...)` can perform an operation of a service the route can call (a client or
        resource method, a presign or transfer helper, a paginator's or waiter's method). A receiver read from a
        name (`table`, `self.client`, `clients["s3"]`) holds what the route holds; any other receiver
        (`boto3.client(name).send_message`) is read whatever the method's name."""
        names = self._operations
        if names is None or func.attr in names or func.attr.startswith(WAIT_UNTIL):
            return True
        receiver = func.value
        while isinstance(receiver, ast.Attribute | ast.Subscript):
            receiver = receiver.value
        return not isinstance(receiver, ast.Name)

    def _lazy_load(
        self, receiver: Value, node: ast.Attribute, definition: Definition, where: Location
    ) -> Iterator[SdkCall]:
        """`table.item_count`: reading a data attribute of a resource not yet loaded calls its `load`."""
        if not isinstance(receiver, Resource) or node.attr not in models.resource_attributes(
            receiver.service, receiver.type
        ):
            return
        action = models.resource_action(receiver.service, receiver.type, "load")
        if action is not None:
            operation, mapping = action
            ids = dict(receiver.ids)
            params = [(param, ids[ident]) for param, ident in mapping.items() if ident in ids]
            del definition
            yield from self._emit(receiver.service, operation, where, params, f"resource {receiver.type}.{node.attr}")

    def _collection(
        self, collection: Collection, call: ast.Call | None, definition: Definition, where: Location
    ) -> Iterator[SdkCall]:
        found = models.resource_collection(collection.resource.service, collection.resource.type, collection.name)
        if found is None:
            return
        operation, mapping = found
        ids = dict(collection.resource.ids)
        params = [(param, ids[ident]) for param, ident in mapping.items() if ident in ids]
        extra = self._keywords(call, definition) if call is not None else []
        yield from self._emit(
            collection.resource.service,
            operation,
            where,
            params + extra,
            f"collection {collection.resource.type}.{collection.name}",
        )

    def _resource_params(self, resource: Resource, operation: str) -> list[tuple[str, ValueSource]]:
        ids = dict(resource.ids)
        params = []
        if "BucketName" in ids or "Name" in ids:
            params.append(("Bucket", ids.get("BucketName") or ids["Name"]))
        if "Key" in ids:
            params.append(("Key", ids["Key"]))
        del operation
        return params

    def _emit(
        self, service: str, operation: str, where: Location, params: list[tuple[str, object]], via: str
    ) -> Iterator[SdkCall]:
        """One SdkCall per combination of the distinct sources an identifying argument can have."""
        params = _merged(_flatten(params))
        names = [name for name, _ in params]
        choices: list[list[ValueSource]] = []
        for _, value in params:
            if isinstance(value, ValueSource):
                choices.append([value])
            else:
                choices.append(_sources(value) or [_UNKNOWN])
        for combination in itertools.islice(itertools.product(*choices), MAX_VARIANTS):
            merged: dict[str, ValueSource] = {}
            for name, source in zip(names, combination, strict=True):
                merged.setdefault(name, source)
            yield SdkCall(service, operation, where, tuple(sorted(merged.items())), via)

    def _keywords(self, call: ast.Call | None, definition: Definition) -> list[tuple[str, object]]:
        """Keyword arguments, `**kwargs` built from a dict display included."""
        if call is None:
            return []
        out: list[tuple[str, object]] = []
        for keyword in call.keywords:
            if keyword.arg:
                out.append((keyword.arg, self.eval(keyword.value, definition)))
                out += self._structure(keyword.arg, keyword.value, definition)
                continue
            for value in self.eval(keyword.value, definition):
                if isinstance(value, DictLiteral):
                    owner = self._dict_owner(value, definition)
                    out += self._params_from_dict(value.node, owner)
        return out

    def _dict_owner(self, value: DictLiteral, definition: Definition) -> Definition:
        """The definition a dict display was written in, whose scope reads its members."""
        owner = self.symbols.definitions.get(value.definition, definition)
        if self._summary is not None:
            self._summary[2].setdefault(owner.id, owner.id in self._scopes)
        return owner

    def _structure(self, name: str, node: ast.expr, definition: Definition, depth: int = 0) -> list[tuple[str, object]]:
        """The members of a request structure, by path: the elements of a list display (`Entries=[{
        "EventBusName": bus}]` gives `Entries[].EventBusName`; `TransactItems[]` says every element is a dict
        display, so its kinds are known), dicts nested in them, and the keys of a request keyed by resource
        (`RequestItems={os.environ["T"]: [...]}` names the table T)."""
        if depth > MAX_PARAM_DEPTH:
            return []
        if isinstance(node, ast.Name):
            for value in self.eval(node, definition):
                if isinstance(value, DictLiteral):
                    owner = self._dict_owner(value, definition)
                    return self._structure(name, value.node, owner, depth + 1)
            return []
        out: list[tuple[str, object]] = []
        if isinstance(node, ast.Dict):
            if name in KEYED_BY_RESOURCE:
                keys = [self.eval(k, definition) for k in node.keys if k is not None]
                out.append((name, set().union(*keys) if keys else set()))
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    out += self._structure(f"{name}.{key.value}", value, definition, depth + 1)
            return out
        if isinstance(node, ast.List | ast.Tuple):
            if node.elts and all(isinstance(e, ast.Dict) for e in node.elts):
                out.append((f"{name}[]", ValueSource("literal", "a list of request dicts")))
            for element in node.elts:
                if not isinstance(element, ast.Dict):
                    continue
                for key, value in zip(element.keys, element.values, strict=True):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        out.append((f"{name}[].{key.value}", self.eval(value, definition)))
                        out += self._structure(f"{name}[].{key.value}", value, definition, depth + 1)
        return out

    def _positional(self, call: ast.Call, names: tuple[str, ...], definition: Definition) -> list[tuple[str, object]]:
        params: list[tuple[str, object]] = [
            (n, self.eval(a, definition)) for n, a in zip(names, call.args, strict=False)
        ]
        return params + self._keywords(call, definition)

    def _params_from_dict(self, node: ast.Dict | None, definition: Definition) -> list[tuple[str, object]]:
        if node is None:
            return []
        return [
            (k.value, self.eval(v, definition))
            for k, v in zip(node.keys, node.values, strict=True)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)
        ]


# ----------------------------------------------------------------------------------------------- helpers
# values no attribute of which is known (`_member` ends in the empty set for each of them)
_MEMBERLESS = frozenset({DictLiteral, Text, FunctionRef, SuperBound})
_INFERRED = (
    ast.Assign,
    ast.AnnAssign,
    ast.NamedExpr,
    ast.withitem,
    ast.For,
    ast.AsyncFor,
    ast.comprehension,
    ast.Return,
    ast.Call,
)


@functools.lru_cache(maxsize=1 << 17)
def _interesting(node: ast.AST) -> tuple[ast.AST, ...]:
    """The nodes of a definition the inference reads (computed once per definition, not once per round)."""
    roots = node.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else [node]
    return tuple(inner for root in roots for inner in descendants(root) if isinstance(inner, _INFERRED))


_HOLDING_SERVICES = frozenset({Resource, Client, Deferred, Collection, BatchWriter})


def _add_services(value: Value, services: set[str]) -> None:
    """The services whose operations `value` (or a dict display's members) can perform."""
    if isinstance(value, Resource | Client | Deferred):
        services.add(value.service)
    elif isinstance(value, Collection | BatchWriter):
        services.add(value.resource.service)
    elif isinstance(value, DictLiteral):
        for _, members in value.members:
            for member in members:
                _add_services(member, services)


@functools.lru_cache(maxsize=1 << 17)
def _calls_in(node: ast.AST) -> tuple[ast.Call, ...]:
    return tuple(inner for inner in descendants(node) if isinstance(inner, ast.Call))


@functools.lru_cache(maxsize=1 << 17)
def _calls_and_loops(node: ast.AST) -> tuple[ast.AST, ...]:
    """The calls and loops of a definition, where SDK operations happen."""
    kinds = (ast.Call, ast.For, ast.AsyncFor, ast.comprehension, ast.Attribute)
    return tuple(inner for inner in descendants(node) if isinstance(inner, kinds))


@functools.lru_cache(maxsize=1 << 14)
def _operation_tables(node: ast.AST) -> tuple[tuple[ast.Dict, str], ...]:
    """`name = {"literal": lambda ...: ..., ...}` in a definition: a table of operations looked up by key."""
    found = []
    for inner in descendants(node):
        if (
            isinstance(inner, ast.Assign)
            and len(inner.targets) == 1
            and isinstance(inner.targets[0], ast.Name)
            and isinstance(inner.value, ast.Dict)
            and inner.value.keys
            and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in inner.value.keys)
            and all(isinstance(v, ast.Lambda) for v in inner.value.values)
        ):
            found.append((inner.value, inner.targets[0].id))
    return tuple(found)


def _lookups(node: ast.AST, name: str) -> list[ast.Subscript] | None:
    """Every `name[...]` read in a definition; None when `name` is used otherwise (`.get(k)`, passed along):
    the table escapes, no lookup is known and every entry counts."""
    uses = [n for n in descendants(node) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
    subscripts = [
        n
        for n in descendants(node)
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == name
    ]
    contained = {id(s.value) for s in subscripts}
    if any(id(use) not in contained for use in uses if not _is_membership_test(node, use)):
        return None
    return subscripts


def _is_membership_test(node: ast.AST, use: ast.Name) -> bool:
    """`if operation in ops:` reads the table's keys, not an entry."""
    return any(
        isinstance(n, ast.Compare)
        and n.comparators
        and n.comparators[0] is use
        and isinstance(n.ops[0], ast.In | ast.NotIn)
        for n in descendants(node)
    )


def _is_builtin_getattr(node: ast.Call, scope: object) -> bool:
    func = node.func
    if not (isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2):
        return False
    if not (isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
        return False
    return scope is None or not scope.is_local(func.id)  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=1 << 14)
def _declared_globals(node: ast.AST) -> frozenset[str]:
    """The names a function declares `global` (not those of the functions nested in it)."""
    found: set[str] = set()
    stack: list[ast.stmt] = list(getattr(node, "body", []))
    while stack:  # statements only: `global` is one, and expressions hold none
        current = stack.pop()
        if isinstance(current, ast.Global):
            found.update(current.names)
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for block in ("body", "orelse", "finalbody"):
            stack.extend(getattr(current, block, None) or ())
        for handler in getattr(current, "handlers", None) or ():
            stack.extend(handler.body)
        for case in getattr(current, "cases", None) or ():
            stack.extend(case.body)
    return frozenset(found)


def _method_kind(definition: Definition) -> str:
    """ "function", or a method's kind: "method", "class" (`@classmethod`) or "static" (`@staticmethod`)."""
    node = definition.nodes[0]
    if definition.kind != "method" or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return "function"
    names = {d.id if isinstance(d, ast.Name) else getattr(d, "attr", "") for d in node.decorator_list}
    return "class" if "classmethod" in names else "static" if "staticmethod" in names else "method"


def _defaulted(args: ast.arguments) -> list[ast.arg]:
    """The parameters that have a default value."""
    positional = [*args.posonlyargs, *args.args]
    keyword = [arg for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True) if default is not None]
    return positional[len(positional) - len(args.defaults) :] + keyword


def _literal(call: ast.Call, index: int, keyword: str) -> str | None:
    arg = (
        call.args[index] if len(call.args) > index else next((k.value for k in call.keywords if k.arg == keyword), None)
    )
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def _argument(call: ast.Call, where: tuple[int, str] | None) -> ast.expr | None:
    if where is None:
        return None
    index, keyword = where
    if len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _dict_param(call: ast.Call, keyword: str) -> ast.Dict | None:
    value = next((k.value for k in call.keywords if k.arg == keyword), None)
    if value is None and len(call.args) > 1:
        value = call.args[1]
    return value if isinstance(value, ast.Dict) else None


def _texts(values: Iterable[Value]) -> list[ValueSource]:
    return sorted({v.source for v in values if isinstance(v, Text)}, key=lambda s: (s.kind, s.value, s.prefix))


def _merged(params: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """One entry per name: the values a name has in several places (the tables of two transaction items)
    are one set; a known source (a resource's own identifier) wins over values."""
    out: dict[str, object] = {}
    for name, value in params:
        known = out.get(name)
        if known is None:
            out[name] = set(value) if isinstance(value, set) else value
        elif isinstance(known, set) and isinstance(value, set):
            known |= value
    return list(out.items())


def _flatten(params: list[tuple[str, object]], depth: int = 0) -> list[tuple[str, object]]:
    """`CopySource={"Bucket": b, "Key": k}` also gives `CopySource.Bucket` and `CopySource.Key`, nested
    displays their paths (`Image={"S3Object": {"Bucket": b}}` gives `Image.S3Object.Bucket`)."""
    out = list(params)
    if depth > MAX_PARAM_DEPTH:
        return out
    for name, value in params:
        if isinstance(value, set):
            for item in value:
                if isinstance(item, DictLiteral):
                    out += _flatten([(f"{name}.{key}", set(inner)) for key, inner in item.members], depth + 1)
    return out


def _sources(values: object) -> list[ValueSource]:
    if not isinstance(values, set):
        return []
    out = _texts(values)
    out += [ValueSource("event", ".".join(v.keys)) for v in values if isinstance(v, EventPart)]
    return sorted(set(out), key=lambda s: (s.kind, s.value, s.prefix))


def _resources(service: str, kind: str, ids: list[tuple[str, list[ValueSource]]]) -> set[Value]:
    """One Resource per combination of identifier sources (at most MAX_VARIANTS)."""
    names = [name for name, _ in ids]
    combinations = itertools.islice(itertools.product(*(sources for _, sources in ids)), MAX_VARIANTS)
    return {Resource(service, kind, tuple(zip(names, combination, strict=True))) for combination in combinations}


def _source_of(values: set[Value]) -> ValueSource:
    found = _sources(values)
    return found[0] if len(found) == 1 else _UNKNOWN


def _identifier(resource: Resource, attr: str) -> ValueSource | None:
    """`table.name`, `bucket.name`, `obj.key`: identifiers are attributes of snake-cased name."""
    for name, source in resource.ids:
        if _snake(name) == attr:
            return source
    return None


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))
