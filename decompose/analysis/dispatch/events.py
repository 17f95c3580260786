"""Symbolic values for the parts of a Lambda event that handlers dispatch on.

A dispatcher rarely compares `event["httpMethod"]` directly: it copies it to a local, falls back from v1 to
v2 keys with `or`, builds `f"{method} {path}"`, matches a regex or splits the path. `Evaluator` follows
those steps abstractly (no user code runs) and tells which *role* an expression plays: the HTTP method,
the path, a route key, an event source... The strategies then only have to read literals against roles.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from enum import StrEnum

from decompose.analysis.symbols import SymbolTable


class Role(StrEnum):
    METHOD = "method"
    PATH = "path"
    RESOURCE = "resource"  # the template path (v1 `resource`), already in {param} syntax
    ROUTE_KEY = "route-key"  # "GET /items/{id}" (v2 routeKey, or a key built from method and path)
    WS_ROUTE = "websocket-route"  # requestContext.routeKey of a WebSocket event
    EVENT_SOURCE = "event-source"  # Records[].eventSource / EventSource
    EB_SOURCE = "eventbridge-source"
    EB_DETAIL_TYPE = "eventbridge-detail-type"
    S3_BUCKET = "s3-bucket"  # Records[].s3.bucket.name
    S3_KEY = "s3-key"  # Records[].s3.object.key


# Event key paths and the role they play. `*` stands for any index into a list.
_ROLES: dict[tuple[str, ...], tuple[Role, str]] = {
    ("httpMethod",): (Role.METHOD, "v1"),
    ("requestContext", "httpMethod"): (Role.METHOD, "v1"),
    ("requestContext", "http", "method"): (Role.METHOD, "v2"),
    ("path",): (Role.PATH, "v1"),
    ("requestContext", "path"): (Role.PATH, "v1"),
    ("rawPath",): (Role.PATH, "v2"),
    ("requestContext", "http", "path"): (Role.PATH, "v2"),
    ("resource",): (Role.RESOURCE, "v1"),
    ("requestContext", "resourcePath"): (Role.RESOURCE, "v1"),
    ("routeKey",): (Role.ROUTE_KEY, "v2"),
    ("requestContext", "routeKey"): (Role.WS_ROUTE, "ws"),
    ("Records", "*", "eventSource"): (Role.EVENT_SOURCE, ""),
    ("Records", "*", "EventSource"): (Role.EVENT_SOURCE, ""),
    ("source",): (Role.EB_SOURCE, ""),
    ("detail-type",): (Role.EB_DETAIL_TYPE, ""),
    ("Records", "*", "s3", "bucket", "name"): (Role.S3_BUCKET, ""),
    ("Records", "*", "s3", "object", "key"): (Role.S3_KEY, ""),
}


@dataclass(frozen=True)
class EventPath:
    """`event[k1][k2]...`; the event itself is the empty path."""

    keys: tuple[str, ...] = ()

    def child(self, key: str) -> EventPath:
        return EventPath((*self.keys, key))


@dataclass(frozen=True)
class RoleValue:
    """A value that plays one role; `payload` is "v1"/"v2"/"ws"/"" (which event shape it came from)."""

    role: Role
    payload: str = ""


@dataclass(frozen=True)
class RouteKeyValue:
    """`f"{method} {path}"` or `method + " " + path`: compared against "GET /x" literals."""

    payload: str = ""


@dataclass(frozen=True)
class TupleValue:
    """`(method, path)`: compared against tuple literals element by element."""

    items: tuple[object, ...]


@dataclass(frozen=True)
class SegmentsValue:
    """`path.strip("/").split("/")`: matched against sequence patterns of segments."""

    payload: str = ""


@dataclass(frozen=True)
class RegexMatch:
    """The result of matching a path regex: truthy means the path has this template."""

    path: str
    payload: str = ""


@dataclass(frozen=True)
class InstanceValue:
    """`self` in a method walked for an object of a known class (a dispatch-table value `obj.run`)."""

    cls: str
    origin: str | None = None  # the module-level assignment that builds the object (`init.root = Root(db).run`)


@dataclass(frozen=True)
class RequestValue:
    """A web framework's current request (Flask's `request`, a Starlette `Request` parameter), whose `.method`
    is the HTTP method; with `via`, what holds it (a Chalice app: `app.current_request`, the `flask` module)."""

    via: str | None = None


Symbolic = (
    EventPath | RoleValue | RouteKeyValue | TupleValue | SegmentsValue | RegexMatch | InstanceValue | RequestValue
)


def role_of(path: EventPath) -> RoleValue | None:
    keys = tuple("*" if k.isdigit() else k for k in path.keys)
    found = _ROLES.get(keys)
    return RoleValue(*found) if found else None


class Evaluator:
    """Evaluates expressions of one function symbolically, given the local environment."""

    def __init__(
        self,
        symbols: SymbolTable,
        module: str,
        env: dict[str, Symbolic],
        definition: str | None = None,
        stack: tuple[str, ...] = (),
    ) -> None:
        self.symbols = symbols
        self.module = module
        self.env = env
        self.definition = definition  # the function being walked (its scope resolves names)
        self.stack = stack  # the functions walked into to get here, outermost first

    def eval(self, node: ast.AST | None) -> Symbolic | None:
        if node is None:
            return None
        if isinstance(node, ast.Name):
            return self.env.get(node.id)
        if isinstance(node, ast.Subscript):
            base = self.eval(node.value)
            key = _literal_key(node.slice)
            if isinstance(base, EventPath) and key is not None:
                return _settle(base.child(key))
            return None
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            values = [self.eval(v) for v in node.values]
            known = [v for v in values if v is not None]
            return known[0] if known else None
        if isinstance(node, ast.JoinedStr):
            return self._joined(node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._concat(node)
        if isinstance(node, ast.Tuple):
            return TupleValue(tuple(self.eval(e) for e in node.elts))
        if isinstance(node, ast.NamedExpr):
            return self.eval(node.value)
        if isinstance(node, ast.Attribute):
            base = self.eval(node.value)
            if isinstance(base, RequestValue) and base.via is not None:
                return RequestValue() if node.attr == base.via else None
            if isinstance(base, RequestValue) and node.attr == "method":
                return RoleValue(Role.METHOD)
        return None

    def _call(self, node: ast.Call) -> Symbolic | None:
        func = node.func
        if isinstance(func, ast.Attribute):
            base = self.eval(func.value)
            if func.attr == "get" and isinstance(base, EventPath) and node.args:
                key = _literal_key(node.args[0])
                return _settle(base.child(key)) if key is not None else None
            if func.attr in ("upper", "lower", "strip", "rstrip", "lstrip", "casefold") and isinstance(base, RoleValue):
                return base
            if func.attr == "split" and isinstance(base, RoleValue) and base.role is Role.PATH:
                return SegmentsValue(base.payload)
            if func.attr in ("fullmatch", "match", "search"):
                return self._regex(node, func)
        return None

    def _regex(self, node: ast.Call, func: ast.Attribute) -> RegexMatch | None:
        """`re.fullmatch(PATTERN, path)` or `COMPILED.fullmatch(path)`."""
        if self._is_re_module(func.value) and len(node.args) >= 2:
            pattern, subject = node.args[0], node.args[1]
        elif node.args:
            pattern, subject = self._compiled_pattern(func.value), node.args[0]
        else:
            return None
        value = self.eval(subject)
        text = self.constant_string(pattern)
        if not isinstance(value, RoleValue) or value.role not in (Role.PATH, Role.RESOURCE) or text is None:
            return None
        path = regex_to_path(text, anchored_end=func.attr == "fullmatch")
        return RegexMatch(path, value.payload) if path else None

    def _is_re_module(self, node: ast.expr) -> bool:
        resolved = self.symbols.resolve_expression(self.module, node)
        return getattr(resolved, "name", resolved) == "ext:re"

    def _compiled_pattern(self, node: ast.expr) -> ast.expr | None:
        """The pattern argument of `NAME = re.compile(r"...")` at module level."""
        target = self.symbols.resolve_expression(self.module, node)
        definition = self.symbols.definitions.get(target) if isinstance(target, str) else None
        if definition is None or definition.kind != "assignment":
            return None
        value = getattr(definition.nodes[-1], "value", None)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "compile":
            return value.args[0] if value.args else None
        return None

    def constant_string(self, node: ast.AST | None, _depth: int = 0) -> str | None:
        """A literal string, or a module-level constant bound to one (`GET = "GET"`, `routes.ITEMS` from
        a constants module, a constant naming another); a name the current function assigns is not one."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if _depth > MAX_CONSTANT_DEPTH or (isinstance(node, ast.Name) and node.id in self._assigned_here()):
            return None
        if isinstance(node, ast.Name | ast.Attribute):
            target = self.symbols.resolve_expression(self.module, node)
            definition = self.symbols.definitions.get(target) if isinstance(target, str) else None
            if definition is not None and definition.kind == "assignment" and len(definition.nodes) == 1:
                value = getattr(definition.nodes[-1], "value", None)
                return Evaluator(self.symbols, definition.module, {}).constant_string(value, _depth + 1)
        if isinstance(node, ast.Attribute):  # `Routes.LIST`: a class attribute assigned once in the class body
            target = self.symbols.resolve_expression(self.module, node.value)
            owner = self.symbols.definitions.get(target) if isinstance(target, str) else None
            if owner is not None and owner.kind == "class" and isinstance(owner.nodes[0], ast.ClassDef):
                values = [
                    stmt.value
                    for stmt in owner.nodes[0].body
                    if isinstance(stmt, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == node.attr for t in stmt.targets)
                ]
                if len(values) == 1:
                    return Evaluator(self.symbols, owner.module, {}).constant_string(values[0], _depth + 1)
        return None

    def constant_value(self, node: ast.AST | None) -> str | tuple[str, ...] | None:
        """A string, or a tuple of strings, written literally or through module-level constants."""
        if isinstance(node, ast.Tuple):
            values = [self.constant_string(e) for e in node.elts]
            return None if any(v is None for v in values) else tuple(values)  # type: ignore[arg-type]
        return self.constant_string(node)

    def constant_strings(self, node: ast.AST | None) -> list[str] | None:
        """`strings()` with module-level constants read: one string, or a tuple/list/set of them."""
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            values = [self.constant_string(e) for e in node.elts]
            return None if any(v is None for v in values) else values  # type: ignore[return-value]
        value = self.constant_string(node)
        return None if value is None else [value]

    def _assigned_here(self) -> frozenset[str]:
        definition = self.symbols.definitions.get(self.definition or "")
        if definition is None or definition.kind not in ("function", "method"):
            return frozenset()
        return _stored_names(definition.nodes[0])

    def _joined(self, node: ast.JoinedStr) -> RouteKeyValue | None:
        parts = [self.eval(v.value) if isinstance(v, ast.FormattedValue) else v for v in node.values]
        return _route_key(parts)

    def _concat(self, node: ast.BinOp) -> RouteKeyValue | None:
        parts: list[object] = []

        def flatten(n: ast.expr) -> None:
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
                flatten(n.left)
                flatten(n.right)
            else:
                parts.append(n if isinstance(n, ast.Constant) else self.eval(n))

        flatten(node)
        return _route_key(parts)


MAX_CONSTANT_DEPTH = 8


@functools.lru_cache(maxsize=4096)
def _stored_names(node: ast.AST) -> frozenset[str]:
    """The names a function assigns or takes as parameters (its locals)."""
    found = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    found |= {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}
    return frozenset(found)


def _route_key(parts: list[object]) -> RouteKeyValue | None:
    """method, " ", path in that order (the separator a literal space) makes a route key."""
    roles = [p for p in parts if isinstance(p, RoleValue)]
    literals = [p.value for p in parts if isinstance(p, ast.Constant)]
    if (
        len(roles) == 2
        and roles[0].role is Role.METHOD
        and roles[1].role in (Role.PATH, Role.RESOURCE)
        and literals == [" "]
    ):
        return RouteKeyValue(roles[1].payload)
    return None


def _settle(path: EventPath) -> Symbolic:
    return role_of(path) or path


def _literal_key(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int):
        return str(node.value)
    return None


_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^()]*\)|\((?!\?)[^()]*\)")


def regex_to_path(pattern: str, *, anchored_end: bool = True) -> str | None:
    """`^/orders/(?P<id>[^/]+)$` -> `/orders/{id}`; unnamed groups become {param1}, {param2}...

    Returns None for a regex that is not a plain path with capture groups (alternations, classes
    outside groups, quantifiers on literals): those are reported, not guessed.
    """
    text = pattern.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    text = text.removesuffix("/?")
    counter = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal counter
        counter += 1
        return "{" + (match.group("name") or f"param{counter}") + "}"

    path = _GROUP.sub(replace, text)
    path = path.replace(r"\/", "/").replace(r"\.", ".").replace(r"\-", "-")
    if not path.startswith("/") or re.search(r"[\\^$*+?|\[\]()]", path.replace("{", "").replace("}", "")):
        return None
    if not anchored_end and not pattern.endswith("$"):
        return None
    return path
