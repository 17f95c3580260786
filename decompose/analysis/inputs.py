"""The request input a route's code reads: the JSON body's keys and the query string's parameters, with types.

`verify` synthesizes one event per route; an event with an empty body stops at the route's input validation
in both runs, and then nothing else is compared. This reader gives it the shape the code expects, read
statically from the route's reach (its reached definitions, in the definition graph's scopes):

- **where input comes from**: the Lambda handler's first parameter is the event; `event["body"]` /
  `event.get("body")` is the raw body, and a JSON decoder over it (`json.loads`, through `or "{}"` or
  `base64.b64decode` too) the body; `event["queryStringParameters"]` (and `multiValue...`) the query;
  `event["headers"]` the headers; `event["requestContext"]` what an authorizer puts there (JWT claims).
  Framework readers are data (`data/input_readers.json`): Powertools `app.current_event.json_body` /
  `query_string_parameters` / `get_query_string_value("x")`, Flask `request.get_json()` / `request.json` /
  `request.args`, Chalice `app.current_request.json_body` / `query_params`; FastAPI's pydantic model
  parameters (the model's annotated fields) and scalar or `Query(...)` parameters.
- **what is read of it**: `x["k"]`, `x.get("k")`, keys from literals reached through locals, parameters,
  loops over literal tuples and module constants (`for name in ("a", "b"): body.get(name)`), `"k" in x`,
  iteration (a list), element access (`for item in body["items"]: item["qty"]`).
- **what a value must be**: `int(x)` / `float` / `Decimal` and arithmetic (a number), `isinstance`, string
  methods (`.lower()`) and `ord()` of its characters (a string), `.items()` (an object), `==` against a
  literal and membership in a literal tuple (a member is chosen).

Values are followed through local assignments (flow-insensitively), into the project functions and class
methods of the reach they are passed to (per call site, so one helper called with two keys reads both,
each with its own uses) and out of their returns. What the reader cannot follow is a note with file:line:
a body passed to a call outside the project (a schema library) or to a receiver it cannot resolve, a body
unpacked into a call (`Order(**body)`). It never executes user code.
"""

from __future__ import annotations

import ast
import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from decompose.analysis.graph import DefinitionGraph, Scope
from decompose.analysis.handlers import FOUND, resolve_handler
from decompose.analysis.symbols import Definition, ModuleRef, SymbolTable, is_external
from decompose.domain.model import Route

MAX_DEPTH = 8  # nested project calls followed from the entry
ELEMENT = "[]"  # the path step of a list's element
FASTAPI = "fastapi"  # the dispatch name of a FastAPI route: its parameters say what it reads


@functools.cache
def _rules() -> dict[str, Any]:
    """The reader table, as shipped (`data/input_readers.json`)."""
    text = resources.files("decompose.analysis").joinpath("data/input_readers.json").read_text(encoding="utf-8")
    return json.loads(text)


# ------------------------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class InputField:
    """What the code reads of one value: its kind ("object", "list", "string", "int", "number", "bool" or
    "any"), literal values it is compared with (a member is a valid value), its keys, its list element."""

    kind: str = "any"
    choices: tuple[Any, ...] = ()
    keys: tuple[tuple[str, InputField], ...] = ()
    element: InputField | None = None


@dataclass(frozen=True)
class InputShape:
    """The input one route reads: its JSON body (None when none is read), query and multi-value query
    parameters, the styles of reader seen, and what could not be followed (file:line: why)."""

    body: InputField | None = None
    query: tuple[tuple[str, InputField], ...] = ()
    multi_query: tuple[tuple[str, InputField], ...] = ()
    styles: tuple[str, ...] = ()
    unfollowed: tuple[str, ...] = ()
    headers: tuple[tuple[str, InputField], ...] = ()
    context: InputField | None = None  # what is read of `requestContext` (an authorizer's claims)

    @property
    def body_keys(self) -> tuple[str, ...]:
        """The body's keys, nested ones dotted (`address.city`, `items[].qty`)."""
        return tuple(_dotted(self.body)) if self.body is not None else ()

    @property
    def context_keys(self) -> tuple[str, ...]:
        """The leaves read of `requestContext`, dotted (`authorizer.jwt.claims.sub`)."""
        return tuple(_leaves(self.context)) if self.context is not None else ()


def _dotted(node: InputField, prefix: str = "") -> Iterator[str]:
    for key, child in node.keys:
        name = f"{prefix}{key}"
        yield name
        yield from _dotted(child, name + ".")
    if node.element is not None:
        yield from _dotted(node.element, f"{prefix.rstrip('.')}[].")


def _leaves(node: InputField, prefix: str = "") -> Iterator[str]:
    for key, child in node.keys:
        if child.keys:
            yield from _leaves(child, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


# ------------------------------------------------------------------------------------------- abstract values
@dataclass(frozen=True)
class _Event:
    """The Lambda event itself."""


@dataclass(frozen=True)
class _Raw:
    """The raw (JSON text) body."""


@dataclass(frozen=True)
class _Part:
    """A part of the input: `origin` ("body", "query", "multi_query") and the keys down to it."""

    origin: str
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Const:
    """A literal value (a string, a number, a tuple of literals)."""

    value: Any


@dataclass(frozen=True)
class _Instance:
    """An instance of a project class (`Repository()`, `self`, a parameter annotated with the class)."""

    cls: str


_Value = _Event | _Raw | _Part | _Const | _Instance


@dataclass
class _Hint:
    kinds: set[str] = field(default_factory=set)
    choices: list[Any] = field(default_factory=list)


@dataclass
class _Frame:
    definition: Definition
    scope: Scope
    env: dict[str, set[_Value]]
    returns: set[_Value] = field(default_factory=set)


# ------------------------------------------------------------------------------------------- the reader
def read_input_shape(graph: DefinitionGraph, handler: str, route: Route) -> InputShape:
    """The input `route` (its entry and reach, in `graph`) reads, its function's Lambda handler being
    `handler` (`module.function`)."""
    path = route.trigger.path or ""
    parameters = {p.strip("{}").rstrip("+") for p in path.split("/") if p.startswith("{")}
    reader = _Reader(graph, {*route.reach.definitions, route.entry}, parameters)
    found = resolve_handler(graph.symbols, handler)
    if found.kind == FOUND and found.definition is not None:
        reader.allowed.add(found.definition.id)
        reader.run(found.definition, [{_Event()}], 0)
    entry = graph.symbols.definitions.get(route.entry)
    if entry is not None and route.entry not in reader.called:
        if route.dispatch == FASTAPI:
            reader.run(entry, [], 0, reader.fastapi(entry))
        elif entry.kind in ("function", "method"):
            reader.run(entry, [{_Event()}] if _takes_event(entry) else [], 0)
        elif entry.kind in ("branch", "lambda"):
            reader.run(entry, [], 0)
    return reader.shape()


def _takes_event(definition: Definition) -> bool:
    """Whether an entry reached otherwise than through the handler takes the event first (`view(event)`)."""
    node = definition.nodes[0]
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    args = [*node.args.posonlyargs, *node.args.args]
    if definition.kind == "method" and args:
        args = args[1:]
    return bool(args) and not node.decorator_list  # a decorated view is a framework's: its arguments are not events


class _Reader:
    def __init__(self, graph: DefinitionGraph, allowed: set[str], path_parameters: set[str]) -> None:
        self.graph = graph
        self.symbols: SymbolTable = graph.symbols
        self.allowed = allowed
        self.path_parameters = path_parameters
        self.rules = _rules()
        self.hints: dict[tuple[str, tuple[str, ...]], _Hint] = {}
        self.unfollowed: list[str] = []
        self.styles: set[str] = set()
        self.called: set[str] = set()
        self._memo: dict[tuple[str, tuple[frozenset[_Value], ...]], set[_Value]] = {}
        self._stack: list[str] = []

    # ----------------------------------------------------------------------------------- results
    def shape(self) -> InputShape:
        body = self._field("body", ()) if ("body", ()) in self.hints else None
        query = self._field("query", ()).keys if ("query", ()) in self.hints else ()
        multi = self._field("multi_query", ()).keys if ("multi_query", ()) in self.hints else ()
        headers = self._field("headers", ()).keys if ("headers", ()) in self.hints else ()
        context = self._field("context", ()) if ("context", ()) in self.hints else None
        styles, unfollowed = tuple(sorted(self.styles)), tuple(dict.fromkeys(self.unfollowed))
        return InputShape(body, query, multi, styles, unfollowed, headers, context)

    def _field(self, origin: str, path: tuple[str, ...]) -> InputField:
        hint = self.hints[(origin, path)]
        children = sorted(p[-1] for o, p in self.hints if o == origin and len(p) == len(path) + 1 and p[:-1] == path)
        keys = tuple((name, self._field(origin, (*path, name))) for name in children if name != ELEMENT)
        element = self._field(origin, (*path, ELEMENT)) if ELEMENT in children else None
        kinds = set(hint.kinds)
        if element is not None and not keys and ("string" in kinds or element.kind == "char"):
            element = None  # iterated for its characters: `for c in name.lower()`, `ord(c) for c in name`
            kinds = (kinds - {"list"}) | {"string"}
        if keys:
            kind = "object"
        elif element is not None:
            kind = "list"
        else:
            order = ("object", "list", "int", "number", "bool", "string", "char")
            kind = next((k for k in order if k in kinds), "any")
        return InputField(kind, tuple(dict.fromkeys(hint.choices)), keys, element)

    def _hint(self, part: _Part, kind: str | None = None, choice: Any = None) -> None:
        for depth in range(len(part.path) + 1):  # every ancestor exists, holding the next key
            prefix = part.path[:depth]
            self.hints.setdefault((part.origin, prefix), _Hint())
            if depth < len(part.path):
                self.hints[(part.origin, prefix)].kinds.add("list" if part.path[depth] == ELEMENT else "object")
        hint = self.hints[(part.origin, part.path)]
        if kind is not None:
            hint.kinds.add(kind)
        if choice is not None and choice not in hint.choices:
            hint.choices.append(choice)

    def _note(self, definition: Definition, node: ast.AST, message: str) -> None:
        path = self.symbols.modules[definition.module].module.path
        self.unfollowed.append(f"{path}:{getattr(node, 'lineno', definition.line)}: {message}")

    # ----------------------------------------------------------------------------------- functions
    def run(self, definition: Definition, positional: list[set[_Value]], depth: int,
            keywords: Mapping[str, set[_Value]] | None = None) -> set[_Value]:  # fmt: skip
        """Read `definition` with its parameters bound to `positional`/`keywords`; its return values."""
        self.called.add(definition.id)
        key = (
            definition.id,
            (*map(frozenset, positional), *(frozenset(v) for _, v in sorted((keywords or {}).items()))),
        )
        if key in self._memo:
            return self._memo[key]
        if definition.id in self._stack or depth > MAX_DEPTH:
            return set()
        self._memo[key] = set()
        self._stack.append(definition.id)
        try:
            frame = self._frame(definition, positional, keywords or {})
            body = self._statements(definition)
            for _ in range(2):  # flow-insensitive: a second pass sees what later assignments bound
                for stmt in body:
                    self._stmt(stmt, frame)
            self._memo[key] = frame.returns
            return frame.returns
        finally:
            self._stack.pop()

    def _statements(self, definition: Definition) -> list[ast.stmt]:
        if definition.kind == "branch":
            return [n for n in definition.nodes if isinstance(n, ast.stmt)]
        node = definition.nodes[0]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node.body
        if isinstance(node, ast.Lambda):
            return [ast.Return(node.body, lineno=node.lineno, col_offset=node.col_offset)]
        return []

    def _frame(
        self, definition: Definition, positional: list[set[_Value]], keywords: Mapping[str, set[_Value]]
    ) -> _Frame:
        scope = self.graph.scope(definition)
        env: dict[str, set[_Value]] = {}
        node = definition.nodes[0]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            arguments = [*node.args.posonlyargs, *node.args.args]
            if definition.kind == "method" and arguments and definition.owner:
                env[arguments[0].arg] = {_Instance(definition.owner)}  # self
                arguments = arguments[1:]
            params = [a.arg for a in arguments]
            for name, values in zip(params, positional, strict=False):
                env.setdefault(name, set()).update(values)
            for name, values in keywords.items():
                env.setdefault(name, set()).update(values)
            for arg in [*arguments, *node.args.kwonlyargs]:
                cls = self._class(arg.annotation, scope)
                if cls is not None and not env.get(arg.arg):
                    env[arg.arg] = {_Instance(cls.id)}  # `catalog: Catalog = Depends(get_catalog)`
            defaults = node.args.defaults
            for arg, default in zip(params[len(params) - len(defaults) :], defaults, strict=False):
                if arg not in env:
                    env[arg] = set(self._literal(default))
        return _Frame(definition, scope, env)

    # ----------------------------------------------------------------------------------- statements
    def _stmt(self, stmt: ast.stmt, frame: _Frame) -> None:
        if isinstance(stmt, ast.Assign):
            values = self.eval(stmt.value, frame)
            for target in stmt.targets:
                self._bind(target, values, frame)
        elif isinstance(stmt, ast.AugAssign):
            self._arithmetic(stmt.op, [self.eval(stmt.target, frame), self.eval(stmt.value, frame)])
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self._bind(stmt.target, self.eval(stmt.value, frame), frame)
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            self._bind_loop(stmt.target, stmt.iter, frame, frame.env)
            self._block([*stmt.body, *stmt.orelse], frame)
        elif isinstance(stmt, ast.While | ast.If):
            self.eval(stmt.test, frame)
            self._block([*stmt.body, *stmt.orelse], frame)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                values = self.eval(item.context_expr, frame)
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, values, frame)
            self._block(stmt.body, frame)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            handlers = [s for h in stmt.handlers for s in h.body]
            self._block([*stmt.body, *handlers, *stmt.orelse, *stmt.finalbody], frame)
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None:
                frame.returns |= self.eval(stmt.value, frame)
        elif isinstance(stmt, ast.Match):
            subject = self.eval(stmt.subject, frame)
            for case in stmt.cases:
                if isinstance(case.pattern, ast.MatchValue):
                    self._compare(subject, [ast.Eq()], [self.eval(case.pattern.value, frame)])
                if case.guard is not None:
                    self.eval(case.guard, frame)
                self._block(case.body, frame)
        elif isinstance(stmt, ast.Expr | ast.Raise | ast.Assert):
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    self.eval(child, frame)

    def _block(self, body: list[ast.stmt], frame: _Frame) -> None:
        for stmt in body:
            self._stmt(stmt, frame)

    def _bind(
        self, target: ast.expr, values: set[_Value], frame: _Frame, env: dict[str, set[_Value]] | None = None
    ) -> None:
        env = frame.env if env is None else env
        if isinstance(target, ast.Name):
            env.setdefault(target.id, set()).update(values)
        elif isinstance(target, ast.Tuple | ast.List):
            for index, element in enumerate(target.elts):
                items = {_Const(v.value[index]) for v in values if isinstance(v, _Const) and _indexable(v.value, index)}
                self._bind(element, items, frame, env)

    def _bind_loop(self, target: ast.expr, iterable: ast.expr, frame: _Frame, env: dict[str, set[_Value]]) -> None:
        """`for target in iterable`: its elements, `enumerate(x)`'s and `x.items()`'s too."""
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "enumerate"
            and iterable.args
            and isinstance(target, ast.Tuple)
            and len(target.elts) == 2
        ):
            self._bind(target.elts[1], self._elements(self.eval(iterable.args[0], frame)), frame, env)
            return
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Attribute)
            and iterable.func.attr == "items"
            and isinstance(target, ast.Tuple)
        ):
            self.eval(iterable, frame)
            return
        self._bind(target, self._elements(self.eval(iterable, frame)), frame, env)

    def _elements(self, values: set[_Value]) -> set[_Value]:
        out: set[_Value] = set()
        for value in values:
            if isinstance(value, _Part):
                element = _Part(value.origin, (*value.path, ELEMENT))
                self._hint(element)
                out.add(element)
            elif isinstance(value, _Const) and isinstance(value.value, tuple | frozenset):
                out |= {_Const(v) for v in value.value}
        return out

    # ----------------------------------------------------------------------------------- expressions
    def eval(self, node: ast.expr | None, frame: _Frame) -> set[_Value]:
        """The values `node` can hold, recording what it reads of the input on the way."""
        if node is None:
            return set()
        if isinstance(node, ast.Constant):
            return {_Const(node.value)} if _hashable(node.value) else set()
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            literal = self._literal(node)
            if literal:
                return literal
            for element in node.elts:
                self.eval(element, frame)
            return set()
        if isinstance(node, ast.Name):
            return self._name(node, frame)
        if isinstance(node, ast.Attribute):
            read = self._reader(node, frame)
            if read is not None:
                return read
            self.eval(node.value, frame)
            return set()
        if isinstance(node, ast.Subscript):
            base = self.eval(node.value, frame)
            return self._lookup(base, self.eval(node.slice, frame), frame)
        if isinstance(node, ast.Call):
            return self._call(node, frame)
        if isinstance(node, ast.BoolOp):
            return set().union(*(self.eval(v, frame) for v in node.values))
        if isinstance(node, ast.IfExp):
            self.eval(node.test, frame)
            return self.eval(node.body, frame) | self.eval(node.orelse, frame)
        if isinstance(node, ast.NamedExpr):
            values = self.eval(node.value, frame)
            self._bind(node.target, values, frame)
            return values
        if isinstance(node, ast.Compare):
            left = self.eval(node.left, frame)
            self._compare(left, node.ops, [self.eval(c, frame) for c in node.comparators])
            return set()
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            env = dict(frame.env)
            inner = _Frame(frame.definition, frame.scope, env, frame.returns)
            for generator in node.generators:
                self._bind_loop(generator.target, generator.iter, inner, env)
                for condition in generator.ifs:
                    self.eval(condition, inner)
            for part in (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,):
                self.eval(part, inner)
            return set()
        if isinstance(node, ast.Lambda):
            return set()
        if isinstance(node, ast.BinOp):
            self._arithmetic(node.op, [self.eval(node.left, frame), self.eval(node.right, frame)])
            return set()
        for child in ast.iter_child_nodes(node):  # UnaryOp, JoinedStr, Dict, Starred, Await...
            if isinstance(child, ast.expr):
                self.eval(child, frame)
        return set()

    def _name(self, node: ast.Name, frame: _Frame) -> set[_Value]:
        if node.id in frame.env:
            return frame.env[node.id]
        if frame.scope.is_local(node.id):
            return set()
        binding = frame.scope.resolve_name(node.id)
        definition = self.symbols.definitions.get(binding) if isinstance(binding, str) else None
        if definition is not None and definition.kind == "assignment":
            value = getattr(definition.nodes[-1], "value", None)
            return self._literal(value) if value is not None else set()
        return set()

    def _literal(self, node: ast.AST | None) -> set[_Value]:
        if node is None:
            return set()
        try:
            value = ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return set()
        if isinstance(value, list | set | frozenset):
            value = tuple(value)
        return {_Const(value)} if _hashable(value) else set()

    def _lookup(self, base: set[_Value], keys: set[_Value], frame: _Frame) -> set[_Value]:
        """`base[key]` / `base.get(key)`."""
        out: set[_Value] = set()
        parts = self.rules["event_parts"]
        for value in base:
            for key in keys or {_Const(None)}:
                name = key.value if isinstance(key, _Const) else None
                if isinstance(value, _Event) and isinstance(name, str) and name in parts:
                    origin = parts[name]
                    if origin == "raw_body":
                        out.add(_Raw())
                    else:
                        self._hint(_Part(origin))
                        out.add(_Part(origin))
                elif isinstance(value, _Part):
                    if isinstance(name, str):
                        child = _Part(value.origin, (*value.path, name))
                    elif isinstance(name, int) or value.origin == "multi_query":
                        child = _Part(value.origin, (*value.path, ELEMENT))
                    else:
                        self._hint(value, "object")
                        continue
                    self._hint(child)
                    out.add(child)
                elif isinstance(value, _Const) and isinstance(name, int) and _indexable(value.value, name):
                    out.add(_Const(value.value[name]))
        return out

    def _compare(self, left: set[_Value], ops: list[ast.cmpop], rights: list[set[_Value]]) -> None:
        for op, right in zip(ops, rights, strict=False):
            for a in left:
                for b in right:
                    self._compared(a, op, b)
                    if isinstance(op, ast.Eq | ast.NotEq):
                        self._compared(b, op, a)
            left = right

    def _compared(self, a: _Value, op: ast.cmpop, b: _Value) -> None:
        if isinstance(a, _Part) and isinstance(b, _Const):
            if isinstance(op, ast.Eq | ast.NotEq) and _usable(b.value):
                self._hint(a, _kind_of(b.value), b.value)
            elif isinstance(op, ast.In | ast.NotIn) and isinstance(b.value, tuple | frozenset):
                members = [v for v in b.value if _usable(v)]
                if members:
                    self._hint(a, _kind_of(members[0]), members[0])
            elif isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) and isinstance(b.value, int | float):
                self._hint(a, "number")
        elif (
            isinstance(a, _Const)
            and isinstance(b, _Part)
            and isinstance(op, ast.In | ast.NotIn)
            and isinstance(a.value, str)
        ):
            self._hint(_Part(b.origin, (*b.path, a.value)))  # "name" in body

    def _arithmetic(self, op: ast.operator, operands: list[set[_Value]]) -> None:
        """`a * b`, `total -= x`, `n + 1`: an input operand is a number (synthesized as `1`, which mixes with
        Decimal and float alike). `+` with no number beside it may join strings, `%` format one: no kind."""
        numeric = isinstance(op, ast.Sub | ast.Mult | ast.Div | ast.FloorDiv | ast.Pow)
        if isinstance(op, ast.Add):
            numeric = any(isinstance(v, _Const) and _kind_of(v.value) in ("int", "number") for o in operands for v in o)
        if numeric:
            for values in operands:
                for value in values:
                    if isinstance(value, _Part):
                        self._hint(value, "number")

    def _call(self, node: ast.Call, frame: _Frame) -> set[_Value]:
        read = self._reader(node, frame)
        if read is not None:
            return read
        func = node.func
        args = [self.eval(a.value if isinstance(a, ast.Starred) else a, frame) for a in node.args]
        keywords = {k.arg: self.eval(k.value, frame) for k in node.keywords if k.arg}
        for k in node.keywords:
            if k.arg is None and any(_whole_body(v) for v in self.eval(k.value, frame)):
                self._note(frame.definition, node, f"the request body is unpacked into {_last_name(func)}(**...)")
        if isinstance(func, ast.Attribute):
            receiver = self.eval(func.value, frame)
            method = func.attr
            inputs = {v for v in receiver if isinstance(v, _Event | _Part | _Raw)}
            if inputs:
                return self._method(inputs, method, args, frame)
            instances = [v.cls for v in receiver if isinstance(v, _Instance)]
            if instances:
                return self._instance_call(instances, method, args, keywords)
        binding = frame.scope.resolve(func) if isinstance(func, ast.Name | ast.Attribute) else None
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if isinstance(binding, ModuleRef):
            binding = binding.name
        if isinstance(binding, str) and is_external(binding):
            module = binding.removeprefix("ext:")
            if name in self.rules["json_decoders"].get(module, ()):
                raw = any(isinstance(v, _Raw) for v in (args[0] if args else ()))
                return self._body() if raw else set()
            if name in self.rules["raw_passthrough"].get(module, ()):
                return {v for v in (args[0] if args else ()) if isinstance(v, _Raw)}
            if name in self.rules["external_conversions"].get(module, ()):
                return self._converted(args, self.rules["conversions"][name])
        if binding is None and isinstance(func, ast.Name) and not frame.scope.is_local(name):
            builtin = self._builtin(name, node, args, frame)
            if builtin is not None:
                return builtin
        definition = self.symbols.definitions.get(binding) if isinstance(binding, str) else None
        if definition is not None and definition.id in self.allowed and definition.kind in ("function", "method"):
            return self.run(definition, args, len(self._stack), keywords)
        if definition is not None and definition.kind == "class":
            self._instance_call([definition.id], "__init__", args, keywords)
            return {_Instance(definition.id)}
        self._escapes(name, [*args, *keywords.values()], node, frame, definition)
        return set()

    def _instance_call(
        self, classes: list[str], method: str, args: list[set[_Value]], keywords: Mapping[str, set[_Value]]
    ) -> set[_Value]:
        """`instance.method(...)` on project classes: the method read with the arguments, where reached."""
        out: set[_Value] = set()
        for cls in classes:
            found = self.symbols.method_of(cls, method)
            if found is not None and found in self.allowed:
                out |= self.run(self.symbols.definitions[found], args, len(self._stack), keywords)
        return out

    def _body(self) -> set[_Value]:
        self._hint(_Part("body"))
        return {_Part("body")}

    def _escapes(self, name: str, args: list[set[_Value]], node: ast.Call, frame: _Frame,
                 definition: Definition | None) -> None:  # fmt: skip
        """A whole body (or the raw body) passed to a call the reader does not follow: a note."""
        if name in self.rules["inert_calls"] or definition is not None:
            return  # a project definition outside the reach is another route's
        for values in args:
            if any(_whole_body(v) for v in values):
                message = f"the request body is passed to {name}(), which decompose does not read"
                self._note(frame.definition, node, message)
                return

    def _method(self, inputs: set[_Value], method: str, args: list[set[_Value]], frame: _Frame) -> set[_Value]:
        out: set[_Value] = set()
        for value in inputs:
            if method == "get" and not isinstance(value, _Raw):
                out |= self._lookup({value}, args[0] if args else set(), frame)
                if isinstance(value, _Part) and len(args) > 1:
                    for default in args[1]:
                        if isinstance(default, _Const):
                            for child in self._lookup({value}, args[0], frame):
                                if isinstance(child, _Part):
                                    self._hint(child, _kind_of(default.value))
            elif isinstance(value, _Raw) and method in ("decode", "strip", "encode"):
                out.add(value)
            elif isinstance(value, _Part) and method in self.rules["string_methods"]:
                self._hint(value, "string")
                out.add(value)
            elif isinstance(value, _Part) and method in self.rules["mapping_methods"]:
                self._hint(value, "object")
            elif isinstance(value, _Part) and method == "getlist" and args:  # Flask's request.args.getlist("x")
                for key in args[0]:
                    if isinstance(key, _Const) and isinstance(key.value, str):
                        part = _Part("multi_query", (*value.path, key.value))
                        self._hint(part)
                        out.add(part)
        return out

    def _builtin(self, name: str, node: ast.Call, args: list[set[_Value]], frame: _Frame) -> set[_Value] | None:
        kind = self.rules["conversions"].get(name)
        if kind is not None:
            return self._converted(args, kind)
        if name in self.rules["character_calls"]:
            for value in args[0] if args else ():
                if isinstance(value, _Part):
                    self._hint(value, "char")
            return set()
        if name in ("str", "tuple", "list", "frozenset", "sorted"):
            if name in ("tuple", "list", "frozenset") and args:
                return {v for v in args[0] if isinstance(v, _Const) and isinstance(v.value, tuple)} | {
                    v for v in args[0] if isinstance(v, _Part)
                }
            return set(args[0]) if args else set()
        if name == "isinstance" and len(node.args) == 2:
            types = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            first = next((n for t in types if (n := _last_name(t)) is not None), None)
            kind = self.rules["isinstance_types"].get(first or "")
            if kind is not None:
                for value in args[0]:
                    if isinstance(value, _Part):
                        self._hint(value, kind)
            return set()
        if name in ("len", "bool", "print", "repr", "set", "dict", "enumerate", "any", "all"):
            return set()
        return None

    def _converted(self, args: list[set[_Value]], kind: str) -> set[_Value]:
        out: set[_Value] = set()
        for value in args[0] if args else ():
            if isinstance(value, _Part):
                self._hint(value, kind)
                out.add(value)
        return out

    def _reader(self, node: ast.Attribute | ast.Call, frame: _Frame) -> set[_Value] | None:
        """A framework's body or query reader (`request.get_json()`, `app.current_event.json_body`)."""
        chain = _chain(node)
        if chain is None:
            return None
        for rule in self.rules["readers"]:
            if "chain" in rule:
                if chain != rule["chain"]:
                    continue
                root = _root(node)
                binding = frame.scope.resolve(root) if root is not None else None
                if not (isinstance(binding, str) and binding == "ext:" + rule["package"]):
                    continue
            elif not (chain.endswith("." + rule["suffix"]) or chain == rule["suffix"]):
                continue
            self.styles.add(rule["style"])
            part = _Part(rule["reads"])
            self._hint(part)
            if "key_argument" in rule and isinstance(node, ast.Call):
                index = rule["key_argument"]
                keys = self.eval(node.args[index], frame) if len(node.args) > index else set()
                return self._lookup({part}, keys, frame)
            return {part}
        return None

    # ----------------------------------------------------------------------------------- FastAPI
    def fastapi(self, definition: Definition) -> dict[str, set[_Value]]:
        """An endpoint's pydantic model or `dict` parameters (the body) and scalar or `Query()` parameters (the
        query); the values its parameters hold, to read the endpoint with."""
        node = definition.nodes[0]
        bound: dict[str, set[_Value]] = {}
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return bound
        scope = self.graph.scope(definition)
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        defaults: dict[str, ast.expr] = {}
        positional = [*node.args.posonlyargs, *node.args.args]
        for arg, default in zip(
            positional[len(positional) - len(node.args.defaults) :], node.args.defaults, strict=False
        ):
            defaults[arg.arg] = default
        for arg, default in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=False):
            if default is not None:
                defaults[arg.arg] = default
        for arg in args:
            model = self._model(arg.annotation, scope)
            kind = _annotation_kind(arg.annotation)
            default = defaults.get(arg.arg)
            is_query = isinstance(default, ast.Call) and _last_name(default.func) == "Query"
            if model is not None or (kind == "object" and not is_query):
                self.styles.add(FASTAPI)
                if model is not None:
                    self._model_fields(model, _Part("body"), 0)
                bound[arg.arg] = self._body()
            elif arg.arg in self.path_parameters:
                bound[arg.arg] = set()
            elif is_query or kind in ("string", "int", "number", "bool", "list"):
                self.styles.add(FASTAPI)
                part = _Part("multi_query" if kind == "list" else "query", (arg.arg,))
                self._hint(part, None if kind == "list" else kind)
                bound[arg.arg] = {part}
        return bound

    def _class(self, annotation: ast.expr | None, scope: Scope) -> Definition | None:
        """The project class an annotation names, if it does."""
        if not isinstance(annotation, ast.Name | ast.Attribute):
            return None
        binding = scope.resolve(annotation)
        definition = self.symbols.definitions.get(binding) if isinstance(binding, str) else None
        return definition if definition is not None and definition.kind == "class" else None

    def _model(self, annotation: ast.expr | None, scope: Scope) -> Definition | None:
        """A model class (a project class with bases: pydantic's `BaseModel`, a project model base)."""
        definition = self._class(annotation, scope)
        cls = definition.nodes[0] if definition is not None else None
        return definition if isinstance(cls, ast.ClassDef) and cls.bases else None

    def _model_fields(self, model: Definition, part: _Part, depth: int) -> None:
        self._hint(part, "object")
        cls = model.nodes[0]
        if not isinstance(cls, ast.ClassDef) or depth > MAX_DEPTH:
            return
        scope = self.graph.scope(model)
        for stmt in cls.body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                continue
            child = _Part(part.origin, (*part.path, stmt.target.id))
            annotation = _unoptional(stmt.annotation)
            inner = self._model(annotation, scope)
            if inner is not None:
                self._model_fields(inner, child, depth + 1)
                continue
            if isinstance(annotation, ast.Subscript) and _last_name(annotation.value) in ("list", "List"):
                element = _Part(child.origin, (*child.path, ELEMENT))
                nested = self._model(_unoptional(annotation.slice), scope)
                if nested is not None:
                    self._model_fields(nested, element, depth + 1)
                else:
                    self._hint(element, _annotation_kind(annotation.slice))
                continue
            self._hint(child, _annotation_kind(annotation))
            if isinstance(stmt.value, ast.Constant) and _usable(stmt.value.value):
                self._hint(child, None, stmt.value.value)


# ------------------------------------------------------------------------------------------- helpers
def _whole_body(value: _Value) -> bool:
    return isinstance(value, _Raw) or (isinstance(value, _Part) and value.origin == "body" and not value.path)


def _chain(node: ast.expr) -> str | None:
    """`request.get_json(...)` -> "request.get_json()", `app.current_event.json_body` -> the same dotted."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            parts.append("()")
            node = node.func
        elif isinstance(node, ast.Attribute):
            parts.append("." + node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            break
        else:
            return None
    return "".join(reversed(parts))


def _root(node: ast.expr) -> ast.Name | None:
    while isinstance(node, ast.Call | ast.Attribute):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node if isinstance(node, ast.Name) else None


def _last_name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _unoptional(annotation: ast.expr) -> ast.expr:
    """`X | None` and `Optional[X]` -> `X`."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        left, right = annotation.left, annotation.right
        return right if isinstance(left, ast.Constant) and left.value is None else left
    if isinstance(annotation, ast.Subscript) and _last_name(annotation.value) == "Optional":
        return annotation.slice
    return annotation


def _annotation_kind(annotation: ast.expr | None) -> str | None:
    if annotation is None:
        return None
    annotation = _unoptional(annotation)
    if isinstance(annotation, ast.Subscript):
        annotation = annotation.value
    name = _last_name(annotation)
    return {
        "str": "string", "int": "int", "float": "number", "Decimal": "number", "bool": "bool",
        "list": "list", "List": "list", "dict": "object", "Dict": "object",
    }.get(name or "")  # fmt: skip


def _kind_of(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, tuple):
        return "list"
    return None


def _usable(value: Any) -> bool:
    """A literal a value may be compared with that is a real input (not None, not an empty marker)."""
    return isinstance(value, str | int | float) and not isinstance(value, bool) and value not in ("", 0)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _indexable(value: Any, index: int) -> bool:
    return isinstance(value, tuple) and -len(value) <= index < len(value)
