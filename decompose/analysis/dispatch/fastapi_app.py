"""FastAPI and Starlette apps behind Mangum (`handler = Mangum(app)`).

Routes: `@app.get/post/put/patch/delete/head/options/trace(path)`, `@app.api_route(path, methods=[...])`
(default GET), `add_api_route(path, endpoint, methods=)`, Starlette `@app.route`, `add_route`, and
`routes=[Route(path, endpoint, methods=), Mount(prefix, routes=[...]), Mount(prefix, app=sub)]` lists (an
`HTTPEndpoint` class gives one route per verb method). `APIRouter(prefix=)` and `include_router(router,
prefix=)` concatenate (`/v1` + `/users` + `/{user_id}`), as FastAPI does. `{id}` stays, `{id:int}` becomes
`{id}`, `{p:path}` becomes `{p+}`. The docs routes FastAPI adds itself (`/openapi.json`, `/docs`,
`/redoc`) are framework routes with no project code, like the HEAD Starlette adds: not routes.

Hooks joining reach: `dependencies=` of the app, of a router, of `include_router` and of the route itself
(`Depends(...)` in a view's parameters is reached through its default value anyway), middleware
(`@app.middleware("http")`, `add_middleware(Cls)`, `middleware=[Middleware(Cls)]`), exception handlers,
and startup code (`lifespan=`, `on_startup=`, `@app.on_event`), unless Mangum runs with `lifespan="off"`.
"""

from __future__ import annotations

import ast
from typing import ClassVar

from decompose.analysis.dispatch.base import DispatchContext
from decompose.analysis.dispatch.framework import (
    Decorator,
    FrameworkAnalyzer,
    FrameworkObject,
    Hook,
    Mount,
    RouteSpec,
    Scope,
    external_name,
    keyword,
    literal_string,
    methods_keyword,
)

ADAPTERS = frozenset({"mangum.Mangum"})
VERB_DECORATORS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "trace"})
ROUTE_ARGS = frozenset({"path", "methods", "endpoint"})
LIFESPAN = "lifespan"
HOOK_KEYWORDS = {"dependencies": "all", "middleware": "all", "exception_handlers": "all"}
LIFESPAN_KEYWORDS = frozenset({"lifespan", "on_startup", "on_shutdown"})


class FastAPIAnalyzer(FrameworkAnalyzer):
    """Routes of a FastAPI or Starlette app (and its routers) served through Mangum."""

    name: ClassVar[str] = "fastapi"
    packages: ClassVar[frozenset[str]] = frozenset({"fastapi", "starlette"})
    classes: ClassVar[frozenset[str]] = frozenset(
        {"fastapi.FastAPI", "fastapi.APIRouter", "starlette.Starlette", "starlette.Router"}
    )
    request_classes: ClassVar[frozenset[str]] = frozenset(
        {"fastapi.Request", "starlette.requests.Request", "fastapi.requests.Request"}
    )

    def on_object(self, scope: Scope, obj: FrameworkObject) -> None:
        registry = self.registry
        for item in obj.call.keywords:
            if item.arg in HOOK_KEYWORDS:
                registry.hooks.append(Hook(obj.id, self.references(scope, [item.value]), module=scope.module))
            elif item.arg in LIFESPAN_KEYWORDS:
                hook = Hook(obj.id, self.references(scope, [item.value]), kind=LIFESPAN, module=scope.module)
                registry.hooks.append(hook)
            elif item.arg == "routes":
                self._route_list(scope, obj.id, item.value, "", 0)

    def _route_list(self, scope: Scope, owner: str, node: ast.expr, prefix: str, depth: int) -> None:
        """Starlette `routes=[Route(...), Mount(...)]`, also through a module-level name."""
        symbols, registry = self.symbols, self.registry
        if depth > 8:
            return
        if isinstance(node, ast.Name | ast.Attribute):
            target = self.resolve(scope, node)
            definition = symbols.definitions.get(target) if isinstance(target, str) else None
            value = getattr(definition.nodes[-1], "value", None) if definition else None
            if definition is not None and isinstance(value, ast.List | ast.Tuple):
                self._route_list(Scope(definition.module), owner, value, prefix, depth + 1)
            return
        if not isinstance(node, ast.List | ast.Tuple):
            return
        for element in node.elts:
            if not isinstance(element, ast.Call):
                continue
            kind = self._starlette(scope, element.func)
            path = literal_string(keyword(element, "path", 0))
            if kind == "Route":
                endpoint = keyword(element, "endpoint", 1)
                self._endpoint(scope, owner, None if path is None else prefix + path, endpoint, element)
            elif kind == "Mount" and path is not None:
                routes = keyword(element, "routes")
                app = keyword(element, "app", 1)
                if routes is not None:
                    self._route_list(scope, owner, routes, prefix + path, depth + 1)
                elif app is not None:
                    child = self.resolve_object(scope, app)
                    if child is not None:
                        registry.mounts.append(Mount(owner, child, prefix + path, module=scope.module))
                registry.registrations.append(element)

    def _starlette(self, scope: Scope, func: ast.expr) -> str | None:
        name = self._external(scope, func)
        return name.rpartition(".")[2] if name in ("starlette.Route", "starlette.Mount", "fastapi.Route") else None

    def _external(self, scope: Scope, func: ast.expr) -> str:
        symbols = self.symbols
        return external_name(symbols, scope.module, func, scope.imports)

    def _endpoint(self, scope: Scope, owner: str, path: str | None, endpoint: ast.expr | None, call: ast.Call) -> None:
        symbols, registry = self.symbols, self.registry
        if endpoint is None:
            return
        target = self.resolve(scope, endpoint)
        if not isinstance(target, str) or target not in symbols.definitions:
            return
        methods = methods_keyword(call)
        extras = self.references(scope, [k.value for k in call.keywords if k.arg not in ROUTE_ARGS])
        views = self.class_views(target)
        if views:
            for verb, method in views:
                if verb != "HEAD" and (methods is None or verb in methods):
                    registry.routes.append(RouteSpec(owner, path, (verb,), method, scope.module, call.lineno, extras))
            return
        registry.routes.append(RouteSpec(owner, path, methods, target, scope.module, call.lineno, extras))

    def on_decorator(self, scope: Scope, owner: str, use: Decorator) -> bool:
        attr, call, entry = use.attr, use.call, use.entry
        registry = self.registry
        if call is None:
            return False
        extras = self.references(scope, [k.value for k in call.keywords if k.arg not in ROUTE_ARGS])
        if attr in VERB_DECORATORS or attr in ("api_route", "route"):
            methods = (attr.upper(),) if attr in VERB_DECORATORS else methods_keyword(call)
            path = self.text(scope, keyword(call, "path", 0))
            registry.routes.append(RouteSpec(owner, path, methods, entry, scope.module, call.lineno, extras))
            return True
        if attr in ("websocket", "websocket_route"):
            return True  # Mangum serves HTTP only
        if attr in ("middleware", "exception_handler"):
            registry.hooks.append(Hook(owner, (entry, *self.references(scope, list(call.args)))))
            return True
        if attr == "on_event":
            registry.hooks.append(Hook(owner, (entry,), kind=LIFESPAN))
            return True
        return False

    def on_call(self, scope: Scope, owner: str, attr: str, call: ast.Call) -> bool:
        registry = self.registry
        arguments = [*call.args, *(k.value for k in call.keywords)]
        if attr in ("include_router", "mount") and call.args:
            child_node = call.args[0] if attr == "include_router" else keyword(call, "app", 1)
            child = self.resolve_object(scope, child_node) if child_node is not None else None
            if child is None:
                return False
            prefix_node = keyword(call, "prefix") if attr == "include_router" else keyword(call, "path", 0)
            prefix = self.prefix(scope, prefix_node, "prefix") or ""
            extras = self.references(scope, [k.value for k in call.keywords if k.arg == "dependencies"])
            registry.mounts.append(Mount(owner, child, prefix, extras))
            return True
        if attr in ("add_api_route", "add_route"):
            path = self.text(scope, keyword(call, "path", 0))
            endpoint = keyword(call, "endpoint", 1) if attr == "add_api_route" else keyword(call, "route", 1)
            if endpoint is None:
                endpoint = keyword(call, "endpoint")
            self._endpoint(scope, owner, path, endpoint, call)
            return True
        if attr in ("add_middleware", "add_exception_handler"):
            registry.hooks.append(Hook(owner, self.references(scope, arguments)))
            return True
        if attr == "add_event_handler":
            registry.hooks.append(Hook(owner, self.references(scope, arguments), kind=LIFESPAN))
            return True
        return False

    def served_object(self, context: DispatchContext) -> tuple[str, frozenset[str]] | None:
        found = self.delegated(context, ADAPTERS)
        if found is None:
            return None
        root, call = found
        lifespan = literal_string(keyword(call, "lifespan")) if call is not None else None
        return root, frozenset({LIFESPAN}) if lifespan == "off" else frozenset()

    def split_refusal(self, context: DispatchContext) -> str | None:
        """`Mangum(app, api_gateway_base_path="/api")` strips the base path before the app routes: the API's
        path of a route is not the app's, so an event of its own would name the wrong path."""
        found = self.delegated(context, ADAPTERS)
        call = found[1] if found is not None else None
        base = keyword(call, "api_gateway_base_path") if call is not None else None
        if base is None or literal_string(base) in ("/", ""):
            return None
        where = f"{self.symbols.modules[context.handler.module].module.path}:{call.lineno}"  # type: ignore[union-attr]
        return (
            f"Mangum strips api_gateway_base_path before the app routes ({where}): the API path of each route "
            "is not the app's, so decompose cannot give it an event of its own"
        )

    def own_prefix(self, obj: FrameworkObject) -> str | None:
        if obj.cls != "fastapi.APIRouter":
            return None
        return literal_string(keyword(obj.call, "prefix"))
