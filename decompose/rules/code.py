"""Where a route's AWS and library calls sit in its code: which definition holds each call site, and which
calls a statement leads to (directly, or through the project functions it calls).

The calls themselves come from the IAM stage (`Route.calls`, `Route.library_calls`, found by abstract
interpretation); this module only places them in the AST so that rules can read the structure around them
(a `while` loop, a `try` and its handlers, consecutive statements).
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from decompose.analysis.graph import DefinitionGraph
from decompose.analysis.symbols import Definition, SymbolTable
from decompose.analysis.walk import children, descendants
from decompose.domain.iam import LibraryCall, SdkCall
from decompose.domain.model import Location, Route

CODE_KINDS = frozenset({"function", "method", "lambda"})


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


class RouteCode:
    """One route's reached definitions with the calls each one makes itself, and what a statement leads to."""

    def __init__(self, symbols: SymbolTable, graph: DefinitionGraph, route: Route) -> None:
        self.symbols = symbols
        self.graph = graph
        self.route = route
        reached = set(route.reach.definitions) | {route.entry}
        self.definitions = [
            symbols.definitions[n]
            for n in sorted(reached)
            if n in symbols.definitions and symbols.definitions[n].kind in CODE_KINDS
        ]
        self._reached = frozenset(reached)
        self._methods: dict[str, list[str]] = defaultdict(list)  # name -> the reached methods of that name
        for definition in self.definitions:
            if definition.kind == "method":
                self._methods[definition.name].append(definition.id)
        self._spans = {d.id: self._span(d) for d in self.definitions}
        self._direct: dict[str, list[SdkCall]] = defaultdict(list)
        self._direct_library: dict[str, list[LibraryCall]] = defaultdict(list)
        for call in route.calls:
            owner = self.owner(call.location)
            if owner is not None:
                self._direct[owner.id].append(call)
        for used in route.library_calls:
            owner = self.owner(used.location)
            if owner is not None:
                self._direct_library[owner.id].append(used)

    def _span(self, definition: Definition) -> Span:
        path = self.path(definition)
        spans = [node_span(path, node) for node in definition.nodes]
        return Span(path, min(s.first for s in spans), max(s.last for s in spans))

    def path(self, definition: Definition) -> str:
        return self.symbols.modules[definition.module].module.path

    def owner(self, location: Location) -> Definition | None:
        """The innermost reached definition whose code holds `location`."""
        holders = [d for d in self.definitions if self._spans[d.id].holds(location)]
        return min(holders, key=lambda d: self._spans[d.id].size) if holders else None

    def function_node(self, definition: Definition) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        node = definition.nodes[0] if definition.nodes else None
        return node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None

    # ----------------------------------------------------------------------------------- what code leads to
    def calls_under(self, definition: Definition, nodes: Iterable[ast.AST]) -> list[SdkCall]:
        """The SDK calls that running `nodes` (statements of `definition`) can make, in line order."""
        found: dict[int, SdkCall] = {}
        for definition_id, span in self._targets(definition, nodes):
            for call in self._direct.get(definition_id, ()):
                if span is None or span.holds(call.location):
                    found.setdefault(id(call), call)
        return sorted(found.values(), key=lambda c: (c.location, c.service, c.operation))

    def library_under(self, definition: Definition, nodes: Iterable[ast.AST]) -> list[LibraryCall]:
        found: dict[int, LibraryCall] = {}
        for definition_id, span in self._targets(definition, nodes):
            for used in self._direct_library.get(definition_id, ()):
                if span is None or span.holds(used.location):
                    found.setdefault(id(used), used)
        return sorted(found.values(), key=lambda c: (c.location, c.function))

    def _targets(self, definition: Definition, nodes: Iterable[ast.AST]) -> Iterator[tuple[str, Span | None]]:
        """(definition id, the span of it that runs): the nodes' own lines, then every callee entirely."""
        path = self.path(definition)
        seen: set[str] = set()
        for node in nodes:
            yield definition.id, node_span(path, node)
            for callee in self._callees(definition, node):
                for reached in self._reach(callee):
                    if reached not in seen:
                        seen.add(reached)
                        yield reached, None

    def _callees(self, definition: Definition, node: ast.AST) -> Iterator[str]:
        for kind, name in _static_callees(self.graph, definition.id, node):
            if kind == "definition":
                yield name
            else:  # `obj.attr(...)` on an unknown object: every reached method of that name
                yield from self._methods.get(name, ())

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one RouteCode per route per run; the cache dies with it
    def _reach(self, entry: str) -> frozenset[str]:
        return _graph_reach(self.graph, entry) & self._reached | ({entry} & self._reached)


@functools.lru_cache(maxsize=1 << 16)
def _graph_reach(graph: DefinitionGraph, entry: str) -> frozenset[str]:
    """What a definition reaches in the whole graph (the same for every route; each route intersects it)."""
    return frozenset(graph.reach(entry).nodes)


@functools.lru_cache(maxsize=1 << 16)
def _static_callees(graph: DefinitionGraph, definition_id: str, node: ast.AST) -> tuple[tuple[str, str], ...]:
    """What the calls under `node` name, resolved once for every route: ("definition", id) for project
    functions and classes (a class: its methods, then itself), ("attribute", name) for a method call on an
    object the scope does not know."""
    symbols = graph.symbols
    scope = graph.scope(symbols.definitions[definition_id])
    out: list[tuple[str, str]] = []
    for inner in descendants(node):
        if not isinstance(inner, ast.Call):
            continue
        func = inner.func
        binding = scope.resolve(func) if isinstance(func, ast.Name | ast.Attribute) else None
        if isinstance(binding, str) and binding in symbols.definitions:
            target = symbols.definitions[binding]
            if target.kind == "class":
                out.extend(("definition", method) for method in target.methods.values())
            out.append(("definition", binding))
        elif isinstance(func, ast.Attribute):
            out.append(("attribute", func.attr))
    return tuple(out)


def walk_shallow(node: ast.AST) -> Iterator[ast.AST]:
    """`ast.walk` that does not enter nested function or class definitions (they run later, if at all)."""
    return iter(_shallow(node))


@functools.lru_cache(maxsize=1 << 16)
def shallow_nodes(node: ast.AST, kinds: tuple[type[ast.AST], ...]) -> tuple[ast.AST, ...]:
    """The nodes of `walk_shallow(node)` of the given kinds, in its order (read once for every route)."""
    return tuple(inner for inner in _shallow(node) if isinstance(inner, kinds))


@functools.lru_cache(maxsize=1 << 17)
def _shallow(node: ast.AST) -> tuple[ast.AST, ...]:
    out: list[ast.AST] = []
    todo = children(node)
    while todo:
        inner = todo.pop()
        out.append(inner)
        if not isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            todo.extend(children(inner))
    return tuple(out)


def literal_number(node: ast.AST | None) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return float(node.value)
    return None
