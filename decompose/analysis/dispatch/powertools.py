"""aws-lambda-powertools event-handler resolvers: `@app.get("/orders/<id>")` and friends.

Finds the resolver the handler delegates to (`app.resolve(event, context)`), every function decorated
with a route of it, and `Router()`s included into it with `include_router(router, prefix=...)`, across
modules. The registration decorators and `include_router` calls only wire routes up: they are handed to
the definition graph as *registrations*, which no route's reach includes.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from decompose.analysis.dispatch.base import HTTP, CodeRoute, Constraint, DispatchContext, DispatchIssue
from decompose.analysis.dispatch.literals import normalise_path, strings
from decompose.analysis.symbols import Definition, SymbolTable
from decompose.analysis.walk import descendants

PACKAGE = "aws_lambda_powertools"
# resolver class -> payload shape (v1 keys -> Api trigger, v2 -> HttpApi)
RESOLVERS = {
    "APIGatewayRestResolver": "v1",
    "ApiGatewayResolver": "v1",
    "ALBResolver": "v1",
    "APIGatewayHttpResolver": "v2",
    "LambdaFunctionUrlResolver": "v2",
    "VPCLatticeResolver": "v1",
    "VPCLatticeV2Resolver": "v2",
}
ROUTERS = frozenset({"Router"})
VERBS = frozenset({"get", "post", "put", "delete", "patch", "head", "options"})


@dataclass
class _Registry:
    resolvers: dict[str, str] = field(default_factory=dict)  # assignment id -> payload
    routers: set[str] = field(default_factory=set)
    prefixes: dict[str, list[str]] = field(default_factory=dict)  # router id -> prefixes
    registrations: list[ast.AST] = field(default_factory=list)


class PowertoolsAnalyzer:
    """Routes registered on a Powertools resolver and its routers."""

    name: ClassVar[str] = "powertools"

    def __init__(self) -> None:
        self._registry: _Registry | None = None

    def prepare(self, symbols: SymbolTable) -> list[ast.AST]:
        """Find resolvers, routers and registrations; return the nodes no route's reach includes."""
        registry = _Registry()
        for definition in symbols.definitions.values():
            if definition.kind != "assignment":
                continue
            value = getattr(definition.nodes[-1], "value", None)
            if isinstance(value, ast.Call):
                cls = _external_name(symbols, definition.module, value.func)
                if cls in RESOLVERS:
                    registry.resolvers[definition.id] = RESOLVERS[cls]
                elif cls in ROUTERS:
                    registry.routers.add(definition.id)
        owners = registry.resolvers.keys() | registry.routers
        if owners:
            for definition in symbols.definitions.values():
                node = definition.nodes[0]
                if definition.kind == "function" and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    registry.registrations.extend(
                        d for d in node.decorator_list if _decorator_owner(symbols, definition.module, d) in owners
                    )
                elif definition.kind == "statement":
                    for stmt in definition.nodes:
                        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                            self._include(symbols, definition.module, stmt, registry)
        self._registry = registry
        return registry.registrations

    def _include(self, symbols: SymbolTable, module: str, stmt: ast.Expr, registry: _Registry) -> None:
        call = stmt.value
        if not (
            isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "include_router"
        ):
            return
        if symbols.resolve_expression(module, call.func.value) not in registry.resolvers or not call.args:
            return
        router = symbols.resolve_expression(module, call.args[0])
        prefix = next((strings(k.value) for k in call.keywords if k.arg == "prefix"), None)
        if not prefix and len(call.args) > 1:
            prefix = strings(call.args[1])
        if isinstance(router, str):
            registry.prefixes.setdefault(router, []).append(prefix[0] if prefix else "")
            registry.registrations.append(stmt)

    def routes(self, context: DispatchContext) -> Iterator[CodeRoute | DispatchIssue]:
        registry = self._registry
        if registry is None:
            return
        symbols = context.symbols
        handler = context.handler
        resolver = self._delegate(symbols, handler, registry)
        if resolver is None:
            return
        payload = registry.resolvers[resolver]
        owners = {resolver: [""], **{r: p for r, p in registry.prefixes.items() if r in registry.routers}}
        loaded = import_closure(symbols, handler.module)
        for definition in list(symbols.definitions.values()):
            if definition.module not in loaded:
                continue  # never imported with the handler: its decorators never run, it registers nothing
            node = definition.nodes[0]
            if definition.kind not in ("function",) or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                owner = _decorator_owner(symbols, definition.module, decorator)
                if owner not in owners:
                    continue
                for method, path in _route_of(decorator):
                    if path is None:
                        yield DispatchIssue(
                            definition.module, decorator.lineno, "route decorator without a literal path"
                        )
                        continue
                    for prefix in owners[owner]:
                        full = normalise_path(prefix.rstrip("/") + ("" if path == "/" and prefix else path))
                        constraint = Constraint(
                            kind=HTTP, method=method, path=full, payload=payload, strategy=self.name
                        )
                        yield CodeRoute(constraint, definition.id, definition.line, definition.module)

    def _delegate(self, symbols: SymbolTable, handler: Definition, registry: _Registry) -> str | None:
        """The resolver whose `.resolve(...)` the handler returns."""
        for call in descendants(handler.nodes[0]):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "resolve":
                owner = symbols.resolve_expression(handler.module, call.func.value)
                if owner in registry.resolvers:
                    return owner  # type: ignore[return-value]
        return None


def import_closure(symbols: SymbolTable, module: str) -> set[str]:
    """The project modules importing `module` loads (module-level imports, followed; parents included)."""
    seen: set[str] = set()
    work = [module]
    while work:
        name = work.pop()
        if name in seen or name not in symbols.modules:
            continue
        seen.add(name)
        work.extend(symbols.parents(name))
        for target, attr, _ in symbols.modules[name].imports.values():
            work.append(target)
            if attr is not None:
                work.append(f"{target}.{attr}")
        work.extend(symbols.modules[name].star_imports)
        for stmt in ast.walk(symbols.modules[name].module.tree):
            if isinstance(stmt, ast.Import):  # `import a.b` binds `a` but loads `a.b` too
                work.extend(alias.name for alias in stmt.names)
    return seen


def _decorator_owner(symbols: SymbolTable, module: str, decorator: ast.expr) -> object:
    is_route = isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
    if is_route and (decorator.func.attr in VERBS or decorator.func.attr == "route"):  # type: ignore[attr-defined]
        return symbols.resolve_expression(module, decorator.func.value)  # type: ignore[attr-defined]
    return None


def _route_of(call: ast.expr) -> list[tuple[str, str | None]]:
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
        return []
    rule = next((k.value for k in call.keywords if k.arg == "rule"), call.args[0] if call.args else None)
    paths = strings(rule)
    path = paths[0] if paths else None
    verb = call.func.attr
    if verb != "route":
        return [(verb.upper(), path)]
    method = next((k.value for k in call.keywords if k.arg == "method"), call.args[1] if len(call.args) > 1 else None)
    methods = strings(method) or ["GET"]
    return [(m.upper(), path) for m in methods]


def _external_name(symbols: SymbolTable, module: str, func: ast.expr) -> str | None:
    """The class name of `X(...)` when X is imported from aws_lambda_powertools (aliases followed)."""
    if isinstance(func, ast.Attribute):
        name = func.attr
    elif isinstance(func, ast.Name):
        imported = symbols.modules[module].imports.get(func.id)
        name = imported[1] if imported and imported[1] else func.id
    else:
        return None
    binding = symbols.resolve_expression(module, func)
    if binding != f"ext:{PACKAGE}":
        return None
    return name
