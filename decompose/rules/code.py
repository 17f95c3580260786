"""Where a route's AWS and library calls sit in its code: which definition holds each call site, and which
calls a statement leads to (directly, or through the project functions it calls).

The calls themselves come from the IAM stage (`Route.calls`, `Route.library_calls`, found by abstract
interpretation); this module only places them in the AST so that rules can read the structure around them
(a `while` loop, a `try` and its handlers, consecutive statements).

Two halves, so that the rules cost what the distinct definitions cost, not routes x definitions:

- `CodeIndex` is what does not depend on the route, read once per code tree (it belongs to the rules'
  `CodeView`): each definition's span, the kinds of node a function holds (a rule skips a function without
  the shape it looks for before walking it), the shallow walk of a function (not entering nested functions
  or classes), its statement lists, what the calls under a node name, and whether running a node can run a
  given definition, through the whole definition graph. Every route that reaches a definition reads the
  same answers.
- `RouteCode` is one route's view over it: the reached definitions, which of them own the route's calls,
  and `calls_under` (the calls running some statements can make), answered by asking the index about the
  few definitions that own a call, not by collecting everything a statement can run.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import compress
from operator import is_
from typing import TypeVar

from decompose.analysis.graph import DefinitionGraph
from decompose.analysis.symbols import Definition, SymbolTable
from decompose.analysis.walk import children, descendants
from decompose.domain.iam import LibraryCall, SdkCall
from decompose.domain.model import Location, Route

CODE_KINDS = frozenset({"function", "method", "lambda"})
NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)  # code that runs later, if at all
STATEMENTS = (ast.stmt, ast.excepthandler, ast.match_case)  # what holds statements (expressions never do)
INDEXED = frozenset(  # the node types the rules look for, and the calls that lead elsewhere
    {ast.Call, ast.Compare, ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.TryStar, ast.Match}
)
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

T = TypeVar("T")
N = TypeVar("N", bound=ast.AST)
Call = TypeVar("Call", SdkCall, LibraryCall)


@dataclass(frozen=True)
class Span:
    path: str
    first: int
    last: int

    def holds(self, location: Location) -> bool:
        return location.path == self.path and location.line is not None and self.first <= location.line <= self.last

    @property
    def size(self) -> int:
        return self.last - self.first


def node_span(path: str, node: ast.AST) -> Span:
    first = getattr(node, "lineno", 1)
    for decorator in getattr(node, "decorator_list", []):
        first = min(first, decorator.lineno)
    return Span(path, first, getattr(node, "end_lineno", None) or first)


@dataclass(frozen=True)
class Callees:
    """What the calls under one node name: `named`, the project functions and classes they resolve to (a
    class: its methods too); `methods`, every method of a name called as `obj.attr(...)` on an object the
    scope does not know (such a method runs only in a route that reaches it). Each runs what it reaches."""

    named: frozenset[str]
    methods: frozenset[str]


class CodeIndex:
    """What the rules read of one code tree's definitions, computed once for every route that reaches them."""

    def __init__(self, symbols: SymbolTable, graph: DefinitionGraph) -> None:
        self.symbols = symbols
        self.graph = graph
        self._spans: dict[str, Span] = {}
        self._node_spans: dict[ast.AST, Span] = {}
        self._shallow: dict[ast.AST, tuple[ast.AST, ...]] = {}
        self._statements: dict[ast.AST, tuple[ast.AST, ...]] = {}
        self._statement_kinds: dict[tuple[ast.AST, tuple[type[ast.stmt], ...]], tuple[ast.AST, ...]] = {}
        self._typed: dict[tuple[ast.AST, type[ast.AST]], tuple[ast.AST, ...]] = {}
        self._blocks: dict[ast.AST, tuple[list[ast.stmt], ...]] = {}
        self._by_kind: dict[ast.AST, dict[type[ast.AST], tuple[ast.AST, ...]]] = {}
        self._callees: dict[tuple[str, ast.AST], Callees] = {}
        self._reach: dict[str, frozenset[str]] = {}
        self._ancestor_sets: dict[str, frozenset[str]] = {}
        self._classes: dict[str, tuple[str, ...]] | None = None
        self._methods: dict[str, tuple[str, ...]] | None = None
        self._facts: dict[tuple[Callable[[CodeIndex, ast.AST], object], ast.AST], object] = {}

    # ---------------------------------------------------------------------------------------- where code is
    def path(self, definition: Definition) -> str:
        return self.symbols.modules[definition.module].module.path

    def span(self, definition: Definition) -> Span:
        """The lines of all of a definition's nodes (decorators included)."""
        if definition.id not in self._spans:
            spans = [self.node_span(definition, node) for node in definition.nodes]
            first, last = min(s.first for s in spans), max(s.last for s in spans)
            self._spans[definition.id] = Span(self.path(definition), first, last)
        return self._spans[definition.id]

    def node_span(self, definition: Definition, node: ast.AST) -> Span:
        """The lines of one node of `definition`."""
        if node not in self._node_spans:
            self._node_spans[node] = node_span(self.path(definition), node)
        return self._node_spans[node]

    # ------------------------------------------------------------------------------------------ structure
    def kinds(self, node: ast.AST) -> frozenset[type[ast.AST]]:
        """Which of the `INDEXED` node types occur under `node` (nested definitions included): what a rule
        looks for is somewhere in a function only if its type is here."""
        return frozenset(self._indexed(node))

    def nodes_of(self, node: ast.AST, kind: type[N]) -> tuple[N, ...]:
        """The nodes of exactly one type under `node` (itself included), in `ast.walk`'s order."""
        if kind in INDEXED:
            return self._indexed(node).get(kind, ())  # type: ignore[return-value]
        key = (node, kind)
        if key not in self._typed:
            walked = descendants(node)
            self._typed[key] = tuple(compress(walked, map(partial(is_, kind), map(type, walked))))
        return self._typed[key]  # type: ignore[return-value]

    def _indexed(self, node: ast.AST) -> dict[type[ast.AST], tuple[ast.AST, ...]]:
        """The nodes of each `INDEXED` type under `node`, read in one pass over its cached walk."""
        if node not in self._by_kind:
            walked = descendants(node)
            found: dict[type[ast.AST], list[ast.AST]] = {}
            for inner, kind in zip(walked, map(type, walked), strict=True):
                if kind in INDEXED:
                    found.setdefault(kind, []).append(inner)
            self._by_kind[node] = {kind: tuple(nodes) for kind, nodes in found.items()}
        return self._by_kind[node]

    def shallow(self, node: ast.AST) -> tuple[ast.AST, ...]:
        """Every node under `node` but not inside a nested function, class or lambda (the nested definition
        itself is included): depth first, last child first."""
        if node not in self._shallow:
            self._shallow[node] = _walk_shallow(node, children)
        return self._shallow[node]

    def shallow_statements(self, node: ast.AST) -> tuple[ast.AST, ...]:
        """The statements (and except handlers, match cases) of `shallow(node)`, in its order: expressions
        hold no statements, so the walk never enters them."""
        if node not in self._statements:
            self._statements[node] = _walk_shallow(node, _statement_children)
        return self._statements[node]

    def statements_of(self, node: ast.AST, kinds: tuple[type[ast.stmt], ...]) -> tuple[ast.AST, ...]:
        """The statements of `shallow(node)` of the given kinds, in its order."""
        key = (node, kinds)
        if key not in self._statement_kinds:
            found = tuple(inner for inner in self.shallow_statements(node) if isinstance(inner, kinds))
            self._statement_kinds[key] = found
        return self._statement_kinds[key]

    def blocks(self, function: FunctionNode) -> tuple[list[ast.stmt], ...]:
        """Every statement list of a function body (not entering nested functions or classes)."""
        if function not in self._blocks:
            self._blocks[function] = tuple(self._statement_lists(function))
        return self._blocks[function]

    def _statement_lists(self, function: FunctionNode) -> Iterable[list[ast.stmt]]:
        yield function.body
        for node in self.shallow_statements(function):
            for name in ("body", "orelse", "finalbody"):
                block = getattr(node, name, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    yield block
            if isinstance(node, ast.Try | ast.TryStar):
                for handler in node.handlers:
                    yield handler.body
            if isinstance(node, ast.Match):
                for case in node.cases:
                    yield case.body

    def fact(self, compute: Callable[[CodeIndex, ast.AST], T], node: ast.AST) -> T:
        """`compute(self, node)` for what depends on the node alone (a loop's test, a statement's names, the
        shapes a function holds), once for every route."""
        key = (compute, node)
        if key not in self._facts:
            self._facts[key] = compute(self, node)
        return self._facts[key]  # type: ignore[return-value]

    # ------------------------------------------------------------------------------------- what calls run
    def callees(self, definition_id: str, node: ast.AST) -> Callees:
        """What the calls under one node of a definition name, for every route."""
        key = (definition_id, node)
        if key not in self._callees:
            self._callees[key] = self._resolve_callees(definition_id, node)
        return self._callees[key]

    def _resolve_callees(self, definition_id: str, node: ast.AST) -> Callees:
        definitions = self.symbols.definitions
        scope = self.graph.scope(definitions[definition_id])
        named: dict[str, None] = {}
        methods: set[str] = set()
        for inner in self.nodes_of(node, ast.Call):
            func = inner.func
            binding = scope.resolve(func) if isinstance(func, ast.Name | ast.Attribute) else None
            if isinstance(binding, str) and binding in definitions:
                target = definitions[binding]
                if target.kind == "class":
                    named.update(dict.fromkeys(target.methods.values()))
                named[binding] = None
            elif isinstance(func, ast.Attribute):
                methods.update(self._methods_named(func.attr))
        return Callees(frozenset(named), frozenset(methods))

    def reaches(self, source: str, target: str) -> bool:
        """Whether `target` is `source` or in its reach in the definition graph. Most sources cannot reach a
        given target at all: only those among the target's `ancestors` have their reach walked."""
        return source == target or (source in self.ancestors(target) and target in self.reach(source))

    def reach(self, entry: str) -> frozenset[str]:
        """What a definition reaches in the whole graph."""
        if entry not in self._reach:
            self._reach[entry] = frozenset(self.graph.reach(entry).nodes)
        return self._reach[entry]

    def ancestors(self, target: str) -> frozenset[str]:
        """`target` and every node from which `target` may be reached: the graph's edges walked backwards, a class taken
        as reaching all its methods (the graph's reach adds a class's methods only when their names are
        used, so this holds every node whose reach holds `target`, and a few more)."""
        if target not in self._ancestor_sets:
            found = {target}
            todo = [target]
            predecessors = self.graph.graph.pred
            while todo:
                node = todo.pop()
                before = [*predecessors[node]] if node in predecessors else []
                for earlier in (*before, *self._classes_of(node)):
                    if earlier not in found:
                        found.add(earlier)
                        todo.append(earlier)
            self._ancestor_sets[target] = frozenset(found)
        return self._ancestor_sets[target]

    def _classes_of(self, method: str) -> tuple[str, ...]:
        """The classes that list `method` among their methods."""
        if self._classes is None:
            classes: dict[str, list[str]] = defaultdict(list)
            for definition in self.symbols.definitions.values():
                if definition.kind == "class":
                    for method_id in definition.methods.values():
                        classes[method_id].append(definition.id)
            self._classes = {key: tuple(ids) for key, ids in classes.items()}
        return self._classes.get(method, ())

    def _methods_named(self, name: str) -> tuple[str, ...]:
        if self._methods is None:
            methods: dict[str, list[str]] = defaultdict(list)
            for definition in self.symbols.definitions.values():
                if definition.kind == "method":
                    methods[definition.name].append(definition.id)
            self._methods = {key: tuple(ids) for key, ids in methods.items()}
        return self._methods.get(name, ())


class RouteCode:
    """One route's reached definitions with the calls each one makes itself, and what a statement leads to."""

    def __init__(self, index: CodeIndex, route: Route) -> None:
        self.index = index
        self.symbols = index.symbols
        self.graph = index.graph
        self.route = route
        reached = set(route.reach.definitions) | {route.entry}
        self.definitions = [
            index.symbols.definitions[n]
            for n in sorted(reached)
            if n in index.symbols.definitions and index.symbols.definitions[n].kind in CODE_KINDS
        ]
        self._reached = frozenset(reached)
        self._methods = frozenset(d.id for d in self.definitions if d.kind == "method")
        self._direct = self._owned(route.calls)
        self._direct_library = self._owned(route.library_calls)
        self._functions: list[tuple[Definition, FunctionNode]] | None = None
        self._owner_ancestors: dict[int, dict[str, frozenset[str]]] = {}

    def _owned(self, calls: Sequence[Call]) -> dict[str, list[Call]]:
        """The calls by the reached definition that holds each one."""
        owned: dict[str, list[Call]] = defaultdict(list)
        for call in calls:
            owner = self.owner(call.location)
            if owner is not None:
                owned[owner.id].append(call)
        return dict(owned)

    def path(self, definition: Definition) -> str:
        return self.index.path(definition)

    def owner(self, location: Location) -> Definition | None:
        """The innermost reached definition whose code holds `location`."""
        holders = [d for d in self.definitions if self.index.span(d).holds(location)]
        return min(holders, key=lambda d: self.index.span(d).size) if holders else None

    def function_node(self, definition: Definition) -> FunctionNode | None:
        node = definition.nodes[0] if definition.nodes else None
        return node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None

    def functions(self) -> list[tuple[Definition, FunctionNode]]:
        """The reached functions and methods with their `def` nodes, in definition order."""
        if self._functions is None:
            pairs = ((d, self.function_node(d)) for d in self.definitions)
            self._functions = [(d, node) for d, node in pairs if node is not None]
        return self._functions

    # ----------------------------------------------------------------------------------- what code leads to
    def calls_under(self, definition: Definition, nodes: Iterable[ast.AST]) -> list[SdkCall]:
        """The SDK calls that running `nodes` (statements of `definition`) can make, in line order."""
        found = self._under(self._direct, definition, list(nodes))
        return sorted(found, key=lambda c: (c.location, c.service, c.operation))

    def library_under(self, definition: Definition, nodes: Iterable[ast.AST]) -> list[LibraryCall]:
        found = self._under(self._direct_library, definition, list(nodes))
        return sorted(found, key=lambda c: (c.location, c.function))

    def _under(self, direct: Mapping[str, list[Call]], definition: Definition, nodes: list[ast.AST]) -> list[Call]:
        """The calls of `direct` that running `nodes` makes: the definition's own on the nodes' lines, then
        every call of a definition the nodes' calls run (in the route's order within one definition)."""
        if not direct:
            return []
        found: dict[int, Call] = {}
        own = direct.get(definition.id, ())
        if own:
            spans = [self.index.node_span(definition, node) for node in nodes]
            for call in own:
                if any(span.holds(call.location) for span in spans):
                    found.setdefault(id(call), call)
        for owner in self._run_owners(direct, definition, nodes):
            for call in direct[owner]:
                found.setdefault(id(call), call)
        return list(found.values())

    def _run_owners(self, direct: Mapping[str, list[Call]], definition: Definition, nodes: list[ast.AST]) -> list[str]:
        """The definitions owning calls of `direct` that the nodes' calls run in this route, in `direct`'s order."""
        hits: set[str] = set()
        ancestors = self._ancestors(direct)
        for node in nodes:
            callees = self.index.callees(definition.id, node)
            running = callees.named | (callees.methods & self._methods)  # what the calls run in this route
            for owner, before in ancestors.items():
                if (
                    owner not in hits
                    and not before.isdisjoint(running)
                    and any(self.index.reaches(callee, owner) for callee in before & running)
                ):
                    hits.add(owner)
        return [owner for owner in direct if owner in hits]

    def _ancestors(self, direct: Mapping[str, list[Call]]) -> dict[str, frozenset[str]]:
        """Each owner of calls with the definitions that may run it (`CodeIndex.ancestors`)."""
        key = id(direct)
        if key not in self._owner_ancestors:
            self._owner_ancestors[key] = {owner: self.index.ancestors(owner) for owner in direct}
        return self._owner_ancestors[key]


def _walk_shallow(node: ast.AST, below: Callable[[ast.AST], list[ast.AST]]) -> tuple[ast.AST, ...]:
    """The nodes under `node` that `below` leads to, not entering nested definitions: depth first, last
    child first (a stack)."""
    out: list[ast.AST] = []
    todo = below(node)
    while todo:
        inner = todo.pop()
        out.append(inner)
        if not isinstance(inner, NESTED):
            todo.extend(below(inner))
    return tuple(out)


def _statement_children(node: ast.AST) -> list[ast.AST]:
    """The statements, except handlers and match cases right under `node`, in `children`'s order."""
    out: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            out.extend(item for item in value if isinstance(item, STATEMENTS))
    return out


def literal_number(node: ast.AST | None) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return float(node.value)
    return None
