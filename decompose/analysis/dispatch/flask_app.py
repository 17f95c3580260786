"""Flask apps behind a WSGI adapter: serverless-wsgi, aws-wsgi (`awsgi`) or apig-wsgi.

The route table is Flask's `url_map`, read from the source (`framework.py` has the shared scan):
`@app.route(rule, methods=[...])` (default GET; the HEAD and OPTIONS Flask adds itself are not routes,
the ones a view lists are),
`@app.get/post/put/patch/delete`, the same on a `Blueprint(name, import_name, url_prefix=)`,
`add_url_rule(rule, endpoint, view_func, methods=)` (also `MethodView.as_view(...)`: one route per verb
method), `register_blueprint(bp, url_prefix=)` (which *replaces* the blueprint's own prefix, as Flask
does; nested blueprints join their prefixes), and app factories. Converters (`<int:id>`) become `{id}`,
`<path:p>` becomes `{p+}`.

Hooks every route of their owner runs, and so reaches: `before_request`, `after_request`,
`teardown_request`, `errorhandler`/`register_error_handler`, `url_value_preprocessor`, `url_defaults`,
`context_processor` and template filters (blueprint ones for the blueprint's routes, `*_app_*` ones and
the app's own for every route), `teardown_appcontext`, and whatever is assigned to an app attribute
(`app.wsgi_app = Middleware(app.wsgi_app)`, `app.json = Provider(app)`).
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
    keyword,
    literal_string,
    methods_keyword,
)
from decompose.analysis.dispatch.literals import strings

ADAPTERS = frozenset({"serverless_wsgi.handle_request", "awsgi.response", "apig_wsgi.make_lambda_handler"})
VERB_DECORATORS = frozenset({"get", "post", "put", "patch", "delete"})
OWN_HOOKS = frozenset(
    {
        "before_request",
        "after_request",
        "teardown_request",
        "errorhandler",
        "url_value_preprocessor",
        "url_defaults",
        "context_processor",
        "template_filter",
        "template_global",
        "template_test",
        "add_template_filter",
        "add_template_global",
        "add_template_test",
        "register_error_handler",
        "teardown_appcontext",
        "shell_context_processor",
    }
)
APP_HOOKS = frozenset(
    {
        "before_app_request",
        "after_app_request",
        "teardown_app_request",
        "app_errorhandler",
        "app_url_value_preprocessor",
        "app_url_defaults",
        "app_context_processor",
        "app_template_filter",
        "app_template_global",
        "app_template_test",
        "add_app_template_filter",
        "add_app_template_global",
        "add_app_template_test",
    }
)


class FlaskAnalyzer(FrameworkAnalyzer):
    """Routes of a Flask app (and its blueprints) served through a WSGI adapter."""

    name: ClassVar[str] = "flask"
    packages: ClassVar[frozenset[str]] = frozenset({"flask"})
    classes: ClassVar[frozenset[str]] = frozenset({"flask.Flask", "flask.Blueprint"})
    request_names: ClassVar[frozenset[str]] = frozenset({"flask.request"})

    def on_decorator(self, scope: Scope, owner: str, use: Decorator) -> bool:
        attr, call, entry = use.attr, use.call, use.entry
        registry = self.registry
        if call is not None and attr in ("route", *VERB_DECORATORS):
            methods = (attr.upper(),) if attr != "route" else methods_keyword(call)
            path = self.text(scope, keyword(call, "rule", 0))
            extras = self.references(scope, [k.value for k in call.keywords if k.arg not in ("rule", "methods")])
            registry.routes.append(RouteSpec(owner, path, methods, entry, scope.module, call.lineno, extras))
            return True
        if attr in OWN_HOOKS or attr in APP_HOOKS:
            arguments = [*(call.args if call else []), *(k.value for k in call.keywords)] if call else []
            targets = (entry, *self.references(scope, list(arguments)))
            registry.hooks.append(Hook(owner, targets, app_wide=attr in APP_HOOKS))
            return True
        return False

    def on_call(self, scope: Scope, owner: str, attr: str, call: ast.Call) -> bool:
        registry = self.registry
        if attr == "register_blueprint" and call.args:
            child = self.resolve_object(scope, call.args[0])
            if child is None:
                return False
            prefix_node = keyword(call, "url_prefix")
            prefix = self.prefix(scope, prefix_node, "url_prefix")
            registry.mounts.append(Mount(owner, child, prefix if prefix_node is not None else None))
            return True
        if attr == "add_url_rule":
            return self._url_rule(scope, owner, call)
        if attr in OWN_HOOKS or attr in APP_HOOKS:
            targets = self.references(scope, [*call.args, *(k.value for k in call.keywords)])
            registry.hooks.append(Hook(owner, targets, app_wide=attr in APP_HOOKS))
            return True
        return False

    def on_attribute(self, scope: Scope, owner: str, attr: str, stmt: ast.Assign) -> None:
        registry = self.registry
        targets = self.references(scope, [stmt.value])
        if targets:
            registry.hooks.append(Hook(owner, targets, app_wide=True))

    def _url_rule(self, scope: Scope, owner: str, call: ast.Call) -> bool:
        registry = self.registry
        path = literal_string(keyword(call, "rule", 0))
        view = keyword(call, "view_func", 2)
        if view is None:
            return False
        methods = methods_keyword(call)
        extras = self.references(
            scope, [k.value for k in call.keywords if k.arg not in ("rule", "view_func", "methods")]
        )
        if isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
            target = self.resolve(scope, view.func.value)
            views = self.class_views(target) if isinstance(target, str) else []
            for verb, method in views:
                if methods is None or verb in methods:
                    registry.routes.append(RouteSpec(owner, path, (verb,), method, scope.module, call.lineno, extras))
            if views:
                return True
            dispatch = self._dispatch_request(target)
            if dispatch is not None:
                registry.routes.append(
                    RouteSpec(
                        owner, path, methods or self._class_methods(target), dispatch, scope.module, call.lineno, extras
                    )
                )
                return True
            return False
        target = self.resolve(scope, view)
        symbols = self.symbols
        if not isinstance(target, str) or target not in symbols.definitions:
            return False
        registry.routes.append(RouteSpec(owner, path, methods, target, scope.module, call.lineno, extras))
        return True

    def _dispatch_request(self, class_id: object) -> str | None:
        symbols = self.symbols
        definition = symbols.definitions.get(class_id) if isinstance(class_id, str) else None
        return definition.methods.get("dispatch_request") if definition is not None else None

    def _class_methods(self, class_id: object) -> tuple[str, ...] | None:
        """A `View` subclass's `methods = [...]` attribute."""
        symbols = self.symbols
        definition = symbols.definitions.get(class_id) if isinstance(class_id, str) else None
        node = definition.nodes[0] if definition is not None else None
        for stmt in node.body if isinstance(node, ast.ClassDef) else []:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "methods" for t in stmt.targets
            ):
                values = strings(stmt.value)
                if values:
                    return tuple(v.upper() for v in values)
        return None

    def served_object(self, context: DispatchContext) -> tuple[str, frozenset[str]] | None:
        found = self.delegated(context, ADAPTERS)
        return (found[0], frozenset()) if found is not None else None

    def own_prefix(self, obj: FrameworkObject) -> str | None:
        if obj.cls != "flask.Blueprint":
            return None
        return literal_string(keyword(obj.call, "url_prefix"))

    def join(self, prefix: str, group_prefix: str | None, mount_prefix: str | None) -> str:
        """Flask: the prefix given to `register_blueprint` replaces the blueprint's own; nested ones join."""
        own = mount_prefix if mount_prefix is not None else group_prefix
        if prefix and own:
            return prefix.rstrip("/") + "/" + own.lstrip("/")
        return own or prefix

    def full_path(self, prefix: str, path: str) -> str:
        if not prefix:
            return path
        return "/".join((prefix.rstrip("/"), path.lstrip("/"))) if path else prefix
