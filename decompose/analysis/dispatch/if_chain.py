"""If/elif chains on the HTTP method, path, resource or route key (REST v1 and HTTP API v2 payloads).

Reads `==` and `in` against literals, `path.startswith(...)`, and regular-expression matches
(`re.fullmatch(r"/orders/(?P<id>[^/]+)", path)`, compiled module-level patterns), through whatever local
variables, `.get()` calls and v1/v2 fallbacks the evaluator follows.
"""

from __future__ import annotations

import ast
from typing import ClassVar

from decompose.analysis.dispatch.base import HTTP, Constraint
from decompose.analysis.dispatch.events import (
    Evaluator,
    EventPath,
    RegexMatch,
    Role,
    RoleValue,
    RouteKeyValue,
    TupleValue,
)
from decompose.analysis.dispatch.literals import literal_path, prefix_path, split_route_key, strings

_HTTP_KEYS = {"httpMethod": "v1", "path": "v1", "resource": "v1", "routeKey": "v2", "rawPath": "v2"}


class IfChainAnalyzer:
    """HTTP routes from the tests of if/elif chains."""

    name: ClassVar[str] = "if-chain"

    def constraints(self, test: ast.expr, evaluator: Evaluator) -> list[Constraint] | None:
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            return self._compare(test, evaluator)
        if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith":
            subject = evaluator.eval(test.func.value)
            prefixes = evaluator.constant_strings(test.args[0]) if test.args else None
            paths = [prefix_path(p) for p in prefixes or ()]
            if _is_path(subject) and paths and all(paths):
                return [self._http(path=p, payload=subject.payload) for p in paths]  # type: ignore[union-attr]
            return None
        value = evaluator.eval(test)
        if isinstance(value, RegexMatch):
            return [self._http(path=value.path, payload=value.payload)]
        return None

    def _compare(self, test: ast.Compare, evaluator: Evaluator) -> list[Constraint] | None:
        op = test.ops[0]
        left, right = test.left, test.comparators[0]
        if isinstance(op, ast.In) and isinstance(evaluator.eval(right), EventPath):
            key = strings(left)
            if key and evaluator.eval(right) == EventPath() and key[0] in _HTTP_KEYS:
                return [Constraint(kind=HTTP, payload=_HTTP_KEYS[key[0]], strategy=self.name)]
            return None
        if not isinstance(op, ast.Eq | ast.In):
            return None
        subject, literal = evaluator.eval(left), right
        if subject is None:
            subject, literal = evaluator.eval(right), left
        values = _alternatives(literal, evaluator) if isinstance(op, ast.In) else _one_value(literal, evaluator)
        if subject is None or values is None:
            return None
        out: list[Constraint] = []
        for value in values:
            constraint = self._match(subject, value)
            if constraint is None:
                return None
            out.append(constraint)
        return out

    def _match(self, subject: object, value: object) -> Constraint | None:
        if isinstance(subject, RoleValue) and isinstance(value, str):
            if subject.role is Role.METHOD:
                return self._http(method=value.upper(), payload=subject.payload)
            if subject.role in (Role.PATH, Role.RESOURCE) and value.startswith("/"):
                return self._http(path=literal_path(value), payload=subject.payload)
            if subject.role in (Role.ROUTE_KEY, Role.WS_ROUTE) and (parts := split_route_key(value)):
                return self._http(method=parts[0], path=parts[1], payload="v2")
            return None
        if isinstance(subject, RouteKeyValue) and isinstance(value, str) and (parts := split_route_key(value)):
            return self._http(method=parts[0], path=parts[1], payload=subject.payload)
        if isinstance(subject, TupleValue) and isinstance(value, tuple):
            return tuple_constraint(subject, value, self.name)
        return None

    def _http(self, method: str | None = None, path: str | None = None, payload: str = "") -> Constraint:
        return Constraint(kind=HTTP, method=method, path=path, payload=payload, strategy=self.name)


def tuple_constraint(subject: TupleValue, values: tuple[object, ...], strategy: str) -> Constraint | None:
    """`(method, path) == ("GET", "/x")` and dispatch-table tuple keys, element by element."""
    if len(subject.items) != len(values):
        return None
    constraint = Constraint(kind=HTTP, strategy=strategy)
    for item, value in zip(subject.items, values, strict=True):
        if not isinstance(item, RoleValue) or not isinstance(value, str):
            return None
        if item.role is Role.METHOD:
            part = Constraint(kind=HTTP, method=value.upper(), payload=item.payload)
        elif item.role in (Role.PATH, Role.RESOURCE):
            part = Constraint(kind=HTTP, path=literal_path(value), payload=item.payload)
        else:
            return None
        merged = constraint.merge(part)
        if merged is None:
            return None
        constraint = merged
    return constraint


def _is_path(value: object) -> bool:
    return isinstance(value, RoleValue) and value.role in (Role.PATH, Role.RESOURCE)


def literal_value(node: ast.expr, evaluator: Evaluator | None = None) -> object | None:
    """A string, or a tuple of strings, written literally (or through module-level constants, given the
    evaluator of the function that reads them)."""
    if evaluator is not None:
        return evaluator.constant_value(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Tuple) and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return tuple(e.value for e in node.elts)  # type: ignore[attr-defined]
    return None


def _one_value(node: ast.expr, evaluator: Evaluator) -> list[object] | None:
    value = literal_value(node, evaluator)
    return None if value is None else [value]


def _alternatives(node: ast.expr, evaluator: Evaluator) -> list[object] | None:
    if not isinstance(node, ast.Tuple | ast.List | ast.Set):
        return None
    values = [literal_value(e, evaluator) for e in node.elts]
    return None if any(v is None for v in values) else values
