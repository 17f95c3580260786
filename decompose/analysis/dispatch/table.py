"""Dispatch tables: dicts from route to handler, looked up with the event.

`ROUTES.get(f"{method} {path}")`, `ROUTES[event["routeKey"]]`, `TABLE.get((method, resource))`,
`ROUTES[path][method]` / `ROUTES.get(path, {}).get(method)` over nested `{path: {method: fn}}`, and the
console-blueprint `operations[event["httpMethod"]]` (method only: the path comes from the enclosing tests
or the template). Tables are dict literals, module-level or local; values are project functions (imported
from other modules too) or lambdas.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from decompose.analysis.dispatch.base import HTTP, CodeRoute, Constraint, Walker
from decompose.analysis.dispatch.events import (
    Evaluator,
    InstanceValue,
    Role,
    RoleValue,
    RouteKeyValue,
    Symbolic,
    TupleValue,
)
from decompose.analysis.dispatch.if_chain import literal_value, tuple_constraint
from decompose.analysis.dispatch.literals import literal_path, split_route_key
from decompose.analysis.symbols import SymbolTable
from decompose.analysis.walk import descendants

SIMPLE = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Expr)
MAX_CLASS_DEPTH = 8


@dataclass(frozen=True)
class TableSlice:
    """`by_method = ROUTES.get(path, {})`: the inner tables one lookup selects, each with its route part."""

    entries: tuple[tuple[Constraint, ast.Dict], ...]


class TableAnalyzer:
    """Routes from lookups into dict literals keyed by what the event says."""

    name: ClassVar[str] = "dispatch-table"

    def __init__(self) -> None:
        self._unpacking: set[int] = set()  # tables being unpacked (`**A` inside A must not recurse)

    def routes(
        self, stmt: ast.stmt, evaluator: Evaluator, walker: Walker, constraint: Constraint
    ) -> Iterator[CodeRoute] | None:
        if not isinstance(stmt, SIMPLE):
            return None
        found: list[CodeRoute] = []
        recognised = False
        for lookup in _lookups(stmt):
            base, keys = _unwind(lookup)
            tables = _tables(base, evaluator)
            roles = [evaluator.eval(k) for k in keys]
            if not tables or any(r is None for r in roles):
                continue
            recognised = True
            slices: list[tuple[Constraint, ast.Dict]] = []
            call = next((n for n in ast.walk(stmt) if isinstance(n, ast.Call) and n.func is lookup), None)
            for part, table in tables:
                merged = constraint.merge(part)
                if merged is not None:
                    found.extend(self._entries(table, roles, merged, evaluator, walker, slices, call))  # type: ignore[arg-type]
            target = _assigned_name(stmt, lookup)
            if slices and target is not None:
                evaluator.env[target] = TableSlice(tuple(slices))  # type: ignore[assignment]
        return iter(found) if recognised else None

    def _entries(  # noqa: PLR0917 - recursive helper; the arguments are the recursion's state
        self,
        table: ast.Dict,
        roles: list[Symbolic],
        constraint: Constraint,
        evaluator: Evaluator,
        walker: Walker,
        slices: list[tuple[Constraint, ast.Dict]],
        call: ast.Call | None = None,
    ) -> Iterator[CodeRoute]:
        role, rest = roles[0], roles[1:]
        for key_node, value in zip(table.keys, table.values, strict=True):
            if key_node is None:  # `**OTHER`: the entries of another table are this one's too
                yield from self._unpacked(value, roles, constraint, evaluator, walker, slices, call)
                continue
            key = literal_value(key_node, evaluator)
            part = self._key(role, key)
            if key_node is not None:
                walker.decide("key", key_node, None if part is None else [part])
            if part is None:
                if key_node is not None:
                    walker.issue(key_node.lineno, f"dispatch-table key {ast.unparse(key_node)} is not a route")
                continue
            merged = constraint.merge(part)
            if merged is None:
                continue
            inner = _dict(value, evaluator)
            if inner is not None:
                if rest:
                    yield from self._entries(inner, rest, merged, evaluator, walker, slices, call)
                else:
                    slices.append((merged, inner))
                continue
            entry = walker.entry_for(value, evaluator)
            if entry is None:
                message = f"dispatch-table value {ast.unparse(value)} is not a function of the project"
                walker.issue(value.lineno, message)
                continue
            definition, line = entry
            instance = walker.bound_class(value, evaluator)
            if walker.descend(definition, call, merged, evaluator, instance):
                continue  # the value dispatches again (`obj.run` looking up `self.http_methods`): its routes
            module = evaluator.symbols.definitions[definition].module
            # a bound method's object: its class (so `__init__` is reached) and where it is built
            extra = () if instance is None else tuple(x for x in (instance.origin, instance.cls) if x)
            passed = None
            if call is not None and evaluator.definition is not None:  # what the dispatcher hands the entry
                extra += walker.references(call.args, evaluator)
                passed = (evaluator.definition, call)
            yield CodeRoute(merged, definition, line, module, extra=extra, passed=passed)

    def _unpacked(  # noqa: PLR0917 - the state of `_entries`, passed on
        self,
        value: ast.expr,
        roles: list[Symbolic],
        constraint: Constraint,
        evaluator: Evaluator,
        walker: Walker,
        slices: list[tuple[Constraint, ast.Dict]],
        call: ast.Call | None = None,
    ) -> Iterator[CodeRoute]:
        inner = _dict(value, evaluator)
        if inner is None or id(inner) in self._unpacking:
            walker.issue(value.lineno, f"dispatch-table entry **{ast.unparse(value)} is not a dict literal; not read")
            return
        self._unpacking.add(id(inner))
        try:
            yield from self._entries(inner, roles, constraint, evaluator, walker, slices, call)
        finally:
            self._unpacking.discard(id(inner))

    def _key(self, role: Symbolic, key: object) -> Constraint | None:
        if isinstance(role, RouteKeyValue | RoleValue) and isinstance(key, str):
            if isinstance(role, RouteKeyValue) or role.role in (Role.ROUTE_KEY, Role.WS_ROUTE):
                parts = split_route_key(key)
                return self._http(parts[0], parts[1], role.payload) if parts else None
            if role.role is Role.METHOD:
                return self._http(key.upper(), None, role.payload)
            if role.role in (Role.PATH, Role.RESOURCE) and key.startswith("/"):
                return self._http(None, literal_path(key), role.payload)
            return None
        if isinstance(role, TupleValue) and isinstance(key, tuple):
            return tuple_constraint(role, key, self.name)
        return None

    def _http(self, method: str | None, path: str | None, payload: str) -> Constraint:
        return Constraint(kind=HTTP, method=method, path=path, payload=payload, strategy=self.name)


def _tables(base: ast.expr, evaluator: Evaluator) -> list[tuple[Constraint, ast.Dict]]:
    if isinstance(base, ast.Name) and isinstance(found := evaluator.env.get(base.id), TableSlice):
        return list(found.entries)
    table = _dict(base, evaluator)
    return [(Constraint(), table)] if table is not None else []


def _assigned_name(stmt: ast.stmt, lookup: ast.expr) -> str | None:
    if isinstance(stmt, ast.Assign) and stmt.value is lookup and len(stmt.targets) == 1:
        target = stmt.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    return None


def _lookups(stmt: ast.stmt) -> Iterator[ast.expr]:
    """Outermost subscripts and `.get()` calls of a statement (a chain counts once)."""
    inner: set[int] = set()
    for node in descendants(stmt):
        if id(node) in inner:
            continue
        if _is_lookup(node):
            current = node
            while _is_lookup(current):
                inner.add(id(current))
                current = _container(current)  # type: ignore[arg-type]
            yield node  # type: ignore[misc]


def _is_lookup(node: ast.AST) -> bool:
    if isinstance(node, ast.Subscript):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and bool(node.args)
    )


def _container(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.Subscript):
        return node.value
    return node.func.value  # type: ignore[attr-defined]


def _unwind(node: ast.expr) -> tuple[ast.expr, list[ast.expr]]:
    """`T[a][b]` / `T.get(a, {}).get(b)` -> (T, [a, b])."""
    keys: list[ast.expr] = []
    current = node
    while _is_lookup(current):
        keys.insert(0, current.slice if isinstance(current, ast.Subscript) else current.args[0])  # type: ignore[attr-defined]
        current = _container(current)
    return current, keys


def _dict(node: ast.expr, evaluator: Evaluator) -> ast.Dict | None:
    """A dict literal, or the dict literal a local or module-level name was assigned, or `self.attr` set to
    one in a method of the object's class (its own first, then its bases': a subclass `__init__` wins)."""
    if isinstance(node, ast.Dict):
        return node
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and isinstance(owner := evaluator.env.get(node.value.id), InstanceValue)
    ):
        return _attribute_dict(evaluator.symbols, owner.cls, node.attr)
    if isinstance(node, ast.Name):
        local = _local_assignment(node.id, evaluator)
        if local is not None:
            return local
    target = evaluator.symbols.resolve_expression(evaluator.module, node)
    definition = evaluator.symbols.definitions.get(target) if isinstance(target, str) else None
    if definition is not None and definition.kind == "assignment":
        value = getattr(definition.nodes[-1], "value", None)
        return value if isinstance(value, ast.Dict) else None
    return None


def _attribute_dict(symbols: SymbolTable, cls: str, attr: str, depth: int = 0) -> ast.Dict | None:
    definition = symbols.definitions.get(cls)
    if definition is None or definition.kind != "class" or depth > MAX_CLASS_DEPTH:
        return None
    for method in definition.methods.values():
        for node in ast.walk(symbols.definitions[method].nodes[0]):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and node.value.keys:
                for target in node.targets:
                    if isinstance(target, ast.Attribute) and target.attr == attr and isinstance(target.value, ast.Name):
                        return node.value
    for base in getattr(definition.nodes[0], "bases", []):
        target = symbols.resolve_expression(definition.module, base)
        if isinstance(target, str) and (found := _attribute_dict(symbols, target, attr, depth + 1)) is not None:
            return found
    return None


def _local_assignment(name: str, evaluator: Evaluator) -> ast.Dict | None:
    definition = evaluator.symbols.definitions.get(evaluator.definition or "")
    return _local_dicts(definition.nodes[0]).get(name) if definition is not None else None


@functools.lru_cache(maxsize=256)
def _local_dicts(function: ast.AST) -> dict[str, ast.Dict]:
    """Dict literals assigned to plain names anywhere in a function (the first assignment wins)."""
    found: dict[str, ast.Dict] = {}
    for node in descendants(function):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, node.value)
    return found
