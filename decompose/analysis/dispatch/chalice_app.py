"""Chalice apps: `app = Chalice(app_name=...)` is itself the Lambda handler of the REST API (`app.app`).

HTTP routes: `@app.route(path, methods=[...])` (default GET) on the app and on `Blueprint(__name__)`s
registered with `app.register_blueprint(bp, url_prefix=..., name_prefix=...)` (the prefix is prepended as
Chalice does: `'/'.join([prefix.rstrip('/'), path.strip('/')]).rstrip('/')`). Chalice routes are exact
API Gateway resources (`{id}` parameters, no greedy ones).

Everything else a Chalice app declares is *its own Lambda function* when Chalice deploys it
(`chalice/deploy/appgraph.py` builds one function per event handler): `on_s3_event`, `on_sns_message`,
`on_sqs_message`, `on_kinesis_record`, `on_dynamodb_record`, `on_cw_event`, `schedule`, `authorizer`,
`lambda_function`, and the `on_ws_connect/message/disconnect` handlers. So each is the route of the
function whose handler it is (`app.handle_upload`), with the trigger the decorator declares
(`S3 my-bucket`, `Schedule rate(5 minutes)`, `WebSocket $connect`, `Invoke resize`), never a route of
the REST API handler. `deployed_functions()` lists them for a Chalice project (`.chalice/config.json`).

Middleware (`@app.middleware(event_type)`, `register_middleware`) joins the reach of every handler of
its event type ('all', 'http', 's3', 'sqs', 'pure_lambda'...), as Chalice runs it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar

from decompose.analysis.dispatch.base import HTTP, CodeRoute, DispatchContext
from decompose.analysis.dispatch.framework import (
    Decorator,
    FrameworkAnalyzer,
    Hook,
    Mount,
    RouteSpec,
    Scope,
    external_name,
    keyword,
    literal_string,
)
from decompose.analysis.dispatch.literals import strings
from decompose.analysis.symbols import Definition

# decorator -> (trigger kind, the argument naming its source, its position, middleware event type)
EVENT_DECORATORS: dict[str, tuple[str, str | None, int, str]] = {
    "on_s3_event": ("S3", "bucket", 0, "s3"),
    "on_sns_message": ("SNS", "topic", 0, "sns"),
    "on_sqs_message": ("SQS", "queue", 0, "sqs"),
    "on_kinesis_record": ("Kinesis", "stream", 0, "kinesis"),
    "on_dynamodb_record": ("DynamoDB", "stream_arn", 0, "dynamodb"),
    "on_cw_event": ("EventBridgeRule", None, 0, "cloudwatch"),
    "schedule": ("Schedule", "expression", 0, "scheduled"),
    "lambda_function": ("Invoke", None, 0, "pure_lambda"),
    "authorizer": ("Authorizer", None, 0, ""),
    "on_ws_connect": ("WebSocket", None, 0, "websocket"),
    "on_ws_message": ("WebSocket", None, 0, "websocket"),
    "on_ws_disconnect": ("WebSocket", None, 0, "websocket"),
}
WEBSOCKET_KEYS = {"on_ws_connect": "$connect", "on_ws_message": "$default", "on_ws_disconnect": "$disconnect"}
WEBSOCKET_NAMES = {
    "on_ws_connect": "websocket_connect",
    "on_ws_message": "websocket_message",
    "on_ws_disconnect": "websocket_disconnect",
}
MIDDLEWARE_TYPES = {kind: middleware for kind, _, _, middleware in EVENT_DECORATORS.values()}
API_HANDLER = "api_handler"


@dataclass(frozen=True)
class ChaliceFunction:
    """One Lambda function `chalice deploy` creates: its Chalice name, handler and trigger."""

    name: str  # the resource name in Chalice's app graph (`api_handler`, `handle_upload`...)
    handler: str  # `app.app` or the dotted id of the event handler
    kind: str  # HTTP for the REST API handler, else the trigger kind
    source: str | None
    line: int
    module: str
    pattern: tuple[tuple[str, tuple[str, ...]], ...] = ()


class ChaliceAnalyzer(FrameworkAnalyzer):
    """Routes of a Chalice app; each event handler is the single route of its own function."""

    name: ClassVar[str] = "chalice"
    packages: ClassVar[frozenset[str]] = frozenset({"chalice"})
    classes: ClassVar[frozenset[str]] = frozenset({"chalice.Chalice", "chalice.Blueprint"})
    request_attribute: ClassVar[str | None] = "current_request"

    def __init__(self) -> None:
        super().__init__()
        self._name_prefixes: dict[str, str] = {}

    def on_decorator(self, scope: Scope, owner: str, use: Decorator) -> bool:
        attr, call, entry, node = use.attr, use.call, use.entry, use.node
        registry = self.registry
        if call is None:
            return False
        if attr == "route":
            path = self.text(scope, keyword(call, "path", 0))
            methods_node = keyword(call, "methods")
            methods = None
            if methods_node is not None:
                values = strings(methods_node)
                methods = tuple(v.upper() for v in values) if values else ("ANY",)
            extras = self.references(
                scope, [k.value for k in call.keywords if k.arg not in ("path", "methods", "authorizer")]
            )
            registry.routes.append(RouteSpec(owner, path, methods, entry, scope.module, call.lineno, extras))
            return True
        if attr in EVENT_DECORATORS:
            kind, argument, position, _ = EVENT_DECORATORS[attr]
            name = literal_string(keyword(call, "name")) or node.name
            if attr in WEBSOCKET_NAMES:
                name = WEBSOCKET_NAMES[attr]
            source = self._source(scope, attr, call, argument=argument, position=position, name=name)
            options: tuple[tuple[str, object], ...] = (("name", name),)
            if attr == "on_cw_event":
                pattern = _pattern(keyword(call, "event_pattern", 0))
                options += (("pattern", pattern),)
                values = dict(pattern)
                source = "/".join(v[0] for v in (values.get("source"), values.get("detail-type")) if v) or "*"
            registry.routes.append(
                RouteSpec(
                    owner, None, None, entry, scope.module, call.lineno, kind=kind, source=source, options=options
                )
            )
            return True
        if attr == "middleware":
            event_type = literal_string(keyword(call, "event_type", 0)) or "all"
            registry.hooks.append(Hook(owner, (entry,), app_wide=True, kind=event_type))
            return True
        return False

    def _source(
        self, scope: Scope, attr: str, call: ast.Call, *, argument: str | None, position: int, name: str
    ) -> str:
        if attr in WEBSOCKET_KEYS:
            return WEBSOCKET_KEYS[attr]
        if argument is None:
            return name
        node = keyword(call, argument, position)
        if attr == "on_sqs_message" and node is None:
            node = keyword(call, "queue_arn")
        if attr == "schedule":
            return self._schedule(scope, node)
        text = literal_string(node)
        if text is None:
            return ast.unparse(node) if node is not None else "?"
        if attr in ("on_sqs_message", "on_dynamodb_record", "on_sns_message") and text.startswith("arn:"):
            return text
        return text

    def _schedule(self, scope: Scope, node: ast.expr | None) -> str:
        """`'rate(1 hour)'`, `Rate(5, unit=Rate.MINUTES)` or `Cron(0, 10, '*', '*', '?', '*')`, as Chalice
        renders them (`Rate.to_string`, `Cron.to_string`)."""
        symbols = self.symbols
        text = literal_string(node)
        if text is not None:
            return text
        if isinstance(node, ast.Call):
            cls = external_name(symbols, scope.module, node.func, scope.imports)
            values = [_constant(a) for a in node.args] + [_constant(k.value) for k in node.keywords]
            if cls == "chalice.Rate" and len(values) == 2 and values[0] is not None and values[1] is not None:
                unit = str(values[1]).lower()
                return f"rate({values[0]} {unit[:-1] if values[0] == 1 else unit})"
            if cls == "chalice.Cron" and len(values) == 6 and all(v is not None for v in values):
                return "cron({})".format(" ".join(str(v) for v in values))
        return ast.unparse(node) if node is not None else "?"

    def on_call(self, scope: Scope, owner: str, attr: str, call: ast.Call) -> bool:
        registry = self.registry
        if attr == "register_blueprint" and call.args:
            child = self.resolve_object(scope, call.args[0])
            if child is None:
                return False
            registry.mounts.append(
                Mount(owner, child, self.prefix(scope, keyword(call, "url_prefix", 2), "url_prefix") or "")
            )
            prefix = literal_string(keyword(call, "name_prefix", 1))
            if prefix:
                self._name_prefixes[child] = prefix
            return True
        if attr == "register_middleware" and call.args:
            event_type = literal_string(keyword(call, "event_type", 1)) or "all"
            targets = self.references(scope, [call.args[0]])
            registry.hooks.append(Hook(owner, targets, app_wide=True, kind=event_type))
            return True
        return False

    def served_object(self, context: DispatchContext) -> tuple[str, frozenset[str]] | None:
        """The REST API handler is the Chalice app object itself (`app.app`), or a function calling it."""
        registry = self.registry
        handler = context.handler
        found = self.delegated(context, frozenset())
        if found is not None:
            return found[0], frozenset()
        node = handler.nodes[0]
        if handler.kind != "function":
            return None
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name | ast.Attribute):
                scope = Scope(handler.module)
                target = self.resolve_object(scope, call.func)
                if target is not None and registry.objects[target].cls == "chalice.Chalice":
                    return target, frozenset()
        return None

    def full_path(self, prefix: str, path: str) -> str:
        if not prefix:
            return path
        return "/".join([prefix.rstrip("/"), path.strip("/")]).rstrip("/") or "/"

    def join(self, prefix: str, group_prefix: str | None, mount_prefix: str | None) -> str:
        return mount_prefix or prefix

    def route_for(self, spec: RouteSpec, handler: Definition) -> bool:
        return spec.entry == handler.id

    def hook_applies(self, hook: Hook, spec: RouteSpec, skipped: frozenset[str]) -> bool:
        wanted = "http" if spec.kind == HTTP else MIDDLEWARE_TYPES.get(spec.kind, "")
        return bool(wanted) and hook.kind in ("all", wanted)

    # -------------------------------------------------------------------------- deployed functions
    def app_routes(self, root: str) -> list[CodeRoute]:
        """The REST routes the Chalice app `root` serves (what its API Gateway resources are built from)."""
        return [route for route in self._http_routes(root, frozenset()) if isinstance(route, CodeRoute)]

    def deployed_functions(self) -> list[ChaliceFunction]:
        """The functions `chalice deploy` creates for the app named `app` in module `app` (Chalice's own
        entry point): the REST API handler when there are routes, and one per event handler."""
        registry = self._registry
        if registry is None:
            return []
        apps = [o for o in registry.objects.values() if o.cls == "chalice.Chalice" and o.id == "app.app"]
        if not apps:
            return []
        root = apps[0].id
        functions: list[ChaliceFunction] = []
        owners = {root: ""}
        for mount in registry.mounts:
            if mount.parent == root:
                owners[mount.child] = self._name_prefixes.get(mount.child, "")
        if any(spec.kind == HTTP and spec.owner in owners for spec in registry.routes):
            functions.append(ChaliceFunction(API_HANDLER, root, HTTP, None, apps[0].line, apps[0].module))
        for spec in registry.routes:
            if spec.kind == HTTP or spec.owner not in owners or spec.entry is None:
                continue
            options = dict(spec.options)
            name = str(options.get("name", spec.entry.rpartition(".")[2]))
            if not name.startswith("websocket_"):
                name = owners[spec.owner] + name
            pattern = options.get("pattern") or ()
            functions.append(
                ChaliceFunction(name, spec.entry, spec.kind, spec.source, spec.line, spec.module, pattern)  # type: ignore[arg-type]
            )
        return functions


def _constant(node: ast.expr) -> object:
    """A literal, or the unit of `Rate.MINUTES`."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Attribute) and node.attr in ("MINUTES", "HOURS", "DAYS"):
        return node.attr
    return None


def _pattern(node: ast.expr | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The `source` and `detail-type` values of an `on_cw_event` pattern literal."""
    if not isinstance(node, ast.Dict):
        return ()
    out = []
    for key, value in zip(node.keys, node.values, strict=True):
        name = literal_string(key)
        if name in ("source", "detail-type"):
            out.append((name, tuple(strings(value) or ())))
    return tuple(out)
