"""What the web-framework strategies (Flask, FastAPI/Starlette, Chalice) share: reading an app's route table
from the source, never by importing it.

A framework app is a *tree of route owners*: the app object (`Flask(...)`, `FastAPI(...)`, `Chalice(...)`)
and the groups mounted on it (`Blueprint`, `APIRouter`), each with the routes registered on it by a decorator
(`@bp.get("/x")`) or a call (`app.add_url_rule(...)`), the groups it mounts (`register_blueprint`,
`include_router`, with a prefix) and its *hooks*: code the framework runs around every route of that owner
(`before_request`, error handlers, middleware, dependencies). The scan here is framework-neutral:

1. **Objects.** Every `name = Cls(...)` whose class comes from the framework's package, at module level (the
   definition id is the object's id) or inside a function (an app factory: `def create_app(): app =
   Flask(...)`; the id is `<function id>#<name>`). `x = create_app()` and `x = other.app` name the object
   the factory returns or the alias names.
2. **Registrations.** Decorators on module-level and factory-nested functions, and expression statements
   `owner.method(...)` in module bodies and function bodies, whose owner resolves to an object: the
   framework subclass says what each one is (a route, a mount, a hook, or nothing). These nodes only wire
   routes up, so they are handed to the definition graph as registrations, which no reach includes.
3. **Routes.** From the object the Lambda handler serves (the subclass finds it: `serverless_wsgi.
   handle_request(app, ...)`, `Mangum(app)`, the Chalice app itself), down every mount, joining prefixes
   the framework's way; each registered view is a `CodeRoute` whose `extra` is every hook of the owners on
   its way plus what the registration itself names (FastAPI `dependencies=`, `response_model=`). That is
   how app-level code enters reach: the framework runs it for that route, so the route's function needs it
   (and its IAM actions) once it is split.

A view defined inside a factory is made a definition of its own (`factory.create_app.hello`), so it can be
an entry like any module-level function.

4. **The split.** Each registration node is recorded with what it registered (`Registration`), so
   `app_slice(context, entries)` can say what an app serving only some views keeps (`AppSlice`): every hook
   and the app's configuration, the registrations of those views, the mounts on their way; everything else
   is dropped. It also says what cannot be sliced: a route in a Starlette `routes=` list, a view registered
   together with another function's (a `MethodView`), an adapter stripping a base path (`split_refusal`).
   Only modules the handler's import loads count (`loaded_modules`): once the refactor moved other routes'
   views away, the routes registered in their modules are not this function's.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import ClassVar

from decompose.analysis.dispatch.base import HTTP, CodeRoute, Constraint, DispatchContext, DispatchIssue
from decompose.analysis.dispatch.events import Evaluator, RequestValue, Symbolic
from decompose.analysis.dispatch.literals import strings
from decompose.analysis.dispatch.powertools import import_closure
from decompose.analysis.symbols import Binding, Definition, ModuleRef, SymbolTable, import_targets
from decompose.analysis.walk import statements

MAX_MOUNT_DEPTH = 16
VERBS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


@dataclass
class FrameworkObject:
    """An app or a route group, where it is built and how."""

    id: str
    cls: str  # the framework class name (`flask.Flask`, `flask.Blueprint`, `fastapi.APIRouter`...)
    module: str
    call: ast.Call
    line: int
    scope: str | None = None  # the function that builds it (an app factory), None at module level


@dataclass(frozen=True)
class RouteSpec:
    """One registered view: the methods (None: the framework's default) and path it is registered with."""

    owner: str
    path: str | None
    methods: tuple[str, ...] | None
    entry: str | None  # a definition id; None when the view is not a project definition
    module: str
    line: int
    extras: tuple[str, ...] = ()
    kind: str = HTTP  # HTTP, or an event-source kind (Chalice)
    source: str | None = None  # the event source of a non-HTTP registration
    options: tuple[tuple[str, object], ...] = ()  # framework-specific facts (Chalice's function name...)


@dataclass(frozen=True)
class Mount:
    """`parent.register_blueprint(child, url_prefix=...)` / `include_router(child, prefix=...)`."""

    parent: str
    child: str
    prefix: str | None
    extras: tuple[str, ...] = ()
    module: str = ""  # where the mount is registered (only modules the handler imports count)


@dataclass(frozen=True)
class Hook:
    """Code the framework runs around routes: for the owner's own routes, or (`app_wide`) for all of them."""

    owner: str
    targets: tuple[str, ...]
    app_wide: bool = False
    kind: str = "all"  # what the hook applies to (Chalice middleware: "http", "s3"...; FastAPI: "lifespan")
    module: str = ""  # where the hook is registered (only modules the handler imports count)


@dataclass(frozen=True)
class AppSlice:
    """The app-building code a new function keeps when it serves only some of a framework app's routes.

    The app object and every hook stay (middleware, error handlers, before/after request hooks, config,
    dependencies); what goes is the registration of every other route (a decorated view, an `add_url_rule`)
    and each mount (`register_blueprint`, `include_router`) of a group left with none of the routes. The
    slice applies to the code the generated handler copies: the handler module's statements and the body of
    the factory that builds the app (`factory`, a function id, when one does). Views registered elsewhere
    are registered by importing their module (`modules`), which the refactor leaves holding only them; so are
    hooks the refactor moved out of the handler module."""

    root: str  # the app object the handler serves
    factory: str | None  # the function building it (`factory.create_app`), None at module level
    dropped: frozenset[int]  # ids of the statements (decorated defs, registration calls) that go
    modules: tuple[str, ...]  # modules whose import registers the kept routes or the app's hooks (module level)
    unsliced: tuple[RouteSpec, ...] = ()  # kept routes registered where no slice reaches (a Starlette list)
    refusal: str | None = None  # why the app cannot serve one route behind an event of its own (file:line)
    entangled: tuple[RouteSpec, RouteSpec] | None = None  # a kept view registered with another's (a MethodView)


@dataclass(frozen=True)
class Registration:
    """What one registration node registers: a decorator (`@bp.get("/x")`) or a statement
    (`app.register_blueprint(bp)`, `app.after_request(f)`). The split reads these to build an app that holds
    only some of the routes: it drops the registrations of the other routes and the mounts of groups left
    without routes, and keeps every hook."""

    node: ast.AST
    statement: ast.stmt  # the decorated def, or the statement itself: what a slice drops
    module: str
    scope: str | None  # the function whose body holds it (an app factory), None at module level
    routes: tuple[RouteSpec, ...] = ()
    mounts: tuple[Mount, ...] = ()
    hooks: tuple[Hook, ...] = ()


@dataclass(frozen=True)
class Decorator:
    """`@owner.attr(...)` on a function: the call (None for a bare `@owner.attr`), the function's
    definition id and node."""

    attr: str
    call: ast.Call | None
    entry: str
    node: ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Scope:
    """Where a registration is read: a module body, or a function body (its local objects and imports)."""

    module: str
    function: Definition | None = None
    objects: dict[str, str] = field(default_factory=dict)  # local name -> object id
    imports: dict[str, Binding] = field(default_factory=dict)
    locals: frozenset[str] = frozenset()

    @property
    def owner_id(self) -> str | None:
        return self.function.id if self.function else None


@dataclass
class Registry:
    """Everything one framework's scan found."""

    objects: dict[str, FrameworkObject] = field(default_factory=dict)
    routes: list[RouteSpec] = field(default_factory=list)
    mounts: list[Mount] = field(default_factory=list)
    hooks: list[Hook] = field(default_factory=list)
    registrations: list[ast.AST] = field(default_factory=list)
    issues: list[DispatchIssue] = field(default_factory=list)
    factories: dict[str, str] = field(default_factory=dict)  # function id -> the object it returns
    by_node: dict[int, Registration] = field(default_factory=dict)  # id(registration node) -> what it registers

    def mark(self) -> tuple[int, int, int]:
        return len(self.routes), len(self.mounts), len(self.hooks)

    def record(self, node: ast.AST, statement: ast.stmt, scope: Scope, since: tuple[int, int, int]) -> None:
        """`node` (in `statement`) registers what was added since `mark()` returned `since`."""
        routes, mounts, hooks = since
        for index in range(mounts, len(self.mounts)):
            self.mounts[index] = replace(self.mounts[index], module=scope.module)
        for index in range(hooks, len(self.hooks)):
            self.hooks[index] = replace(self.hooks[index], module=scope.module)
        self.registrations.append(node)
        self.by_node[id(node)] = Registration(
            node,
            statement,
            scope.module,
            scope.owner_id,
            tuple(self.routes[routes:]),
            tuple(self.mounts[mounts:]),
            tuple(self.hooks[hooks:]),
        )


def external_name(symbols: SymbolTable, module: str, func: ast.expr, local: dict[str, Binding] | None = None) -> str:
    """`pkg.Name` for `Name(...)`/`pkg.mod.Name(...)` when Name comes from an external package, else ""."""
    binding = symbols.resolve_expression(module, func, local)
    if not isinstance(binding, str) or not binding.startswith("ext:"):
        return ""
    if isinstance(func, ast.Attribute):
        name = func.attr
    elif isinstance(func, ast.Name):
        imported = symbols.modules[module].imports.get(func.id)
        name = imported[1] if imported and imported[1] else func.id
    else:
        return ""
    return f"{binding.removeprefix('ext:')}.{name}"


def keyword(call: ast.Call, name: str, position: int | None = None) -> ast.expr | None:
    """A call's argument by keyword, else by position."""
    found = next((k.value for k in call.keywords if k.arg == name), None)
    if found is None and position is not None and len(call.args) > position:
        arg = call.args[position]
        return None if isinstance(arg, ast.Starred) else arg
    return found


def methods_keyword(call: ast.Call) -> tuple[str, ...] | None:
    """The `methods=[...]` of a route call (Flask, FastAPI), upper-cased and deduplicated; `ANY` when it is
    not a literal list (any method may be served); None when the call has none. Listed HEAD/OPTIONS are the
    view's own."""
    node = keyword(call, "methods")
    if node is None:
        return None
    values = strings(node)
    if values is None:
        return ("ANY",)
    return tuple(dict.fromkeys(v.upper() for v in values))


def literal_string(node: ast.AST | None) -> str | None:
    values = strings(node)
    return values[0] if values and isinstance(node, ast.Constant) else None


class FrameworkAnalyzer:
    """The scan and route walk every framework strategy shares; subclasses say what the calls mean."""

    name: ClassVar[str] = ""
    packages: ClassVar[frozenset[str]] = frozenset()  # top-level packages of the framework
    classes: ClassVar[frozenset[str]] = frozenset()  # `pkg.Class` names that build route owners
    payload: ClassVar[str] = "v1"
    # how a view reads the current request: names it imports (`flask.request`), an attribute of the framework
    # objects (Chalice's `app.current_request`), the annotation of a parameter receiving it (Starlette's Request)
    request_names: ClassVar[frozenset[str]] = frozenset()
    request_attribute: ClassVar[str | None] = None
    request_classes: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        self._registry: Registry | None = None
        self._symbols: SymbolTable | None = None
        self._loaded: set[str] | None = None  # the modules the handler being read imports (None: all)

    @property
    def symbols(self) -> SymbolTable:
        assert self._symbols is not None, "prepare() runs first"
        return self._symbols

    @property
    def registry(self) -> Registry:
        assert self._registry is not None, "prepare() runs first"
        return self._registry

    # ------------------------------------------------------------------------------------ the scan
    def prepare(self, symbols: SymbolTable) -> list[ast.AST]:
        """Find the framework's objects and every registration on them; return the registration nodes."""
        self._symbols = symbols
        registry = Registry()
        self._registry = registry
        if not any(self._imports_framework(symbols, m) for m in symbols.modules):
            return []
        scopes = list(self._scopes(symbols))
        for scope in scopes:
            self._collect_objects(scope)
        if not registry.objects:
            return []
        for scope in scopes:
            self._collect_factory(scope)
        self._collect_parameters(scopes)
        for scope in scopes:
            self._collect_registrations(scope)
        return registry.registrations

    def _imports_framework(self, symbols: SymbolTable, module: str) -> bool:
        imports = symbols.modules[module].imports.values()
        if any(target.split(".")[0] in self.packages for target, _, _ in imports):
            return True
        return not self.packages.isdisjoint(_imported_packages(_module(symbols, module)))

    def _scopes(self, symbols: SymbolTable) -> Iterator[Scope]:
        for name in symbols.modules:
            yield Scope(name)
        for definition in list(symbols.definitions.values()):
            node = definition.nodes[0]
            if definition.kind in ("function", "method") and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield function_scope(symbols, definition)

    def _body(self, scope: Scope) -> list[ast.stmt]:
        symbols = self.symbols
        if scope.function is None:
            return symbols.modules[scope.module].module.tree.body
        node = scope.function.nodes[0]
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        return node.body

    def _statements(self, scope: Scope) -> Iterator[ast.stmt]:
        """The statements of a scope, through if/try/with blocks but not into nested functions or classes."""
        stack = list(reversed(self._body(scope)))
        while stack:
            stmt = stack.pop()
            yield stmt
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            for block in ("body", "orelse", "finalbody"):
                stack.extend(reversed(getattr(stmt, block, []) or []))
            for handler in getattr(stmt, "handlers", []) or []:
                stack.extend(reversed(handler.body))

    def _collect_objects(self, scope: Scope) -> None:
        symbols, registry = self.symbols, self.registry
        for stmt in self._statements(scope):
            if not isinstance(stmt, ast.Assign | ast.AnnAssign) or not isinstance(stmt.value, ast.Call):
                continue
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            cls = external_name(symbols, scope.module, stmt.value.func, scope.imports)
            if not names or cls not in self.classes:
                continue
            for name in names:
                object_id = f"{scope.module}.{name}" if scope.function is None else f"{scope.function.id}#{name}"
                registry.objects[object_id] = FrameworkObject(
                    object_id, cls, scope.module, stmt.value, stmt.lineno, scope.owner_id
                )
                if scope.function is not None:
                    scope.objects[name] = object_id

    def _collect_factory(self, scope: Scope) -> None:
        """A function that returns one of its local objects is an app factory."""
        registry = self.registry
        if scope.function is None or not scope.objects:
            return
        node = scope.function.nodes[0]
        for inner in ast.walk(node):
            if isinstance(inner, ast.Return) and isinstance(inner.value, ast.Name) and inner.value.id in scope.objects:
                registry.factories[scope.function.id] = scope.objects[inner.value.id]

    def _collect_parameters(self, scopes: list[Scope]) -> None:
        """`def register_routes(target): target.include_router(...)` called as `register_routes(app)`: inside
        the function, the parameter is the object every call passes (when all calls pass the same one)."""
        by_function = {scope.function.id: scope for scope in scopes if scope.function is not None}
        passed: dict[tuple[str, str], set[str]] = {}
        for _ in range(MAX_MOUNT_DEPTH):
            before = {key: set(values) for key, values in passed.items()}
            for scope in scopes:
                for stmt in self._statements(scope):
                    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                        continue
                    for call in _calls_in_statement(stmt):
                        self._pass_objects(scope, call, by_function, passed)
            for (function, param), objects in passed.items():
                if len(objects) == 1:
                    by_function[function].objects.setdefault(param, next(iter(objects)))
            if passed == before:
                return

    def _pass_objects(
        self, scope: Scope, call: ast.Call, by_function: dict[str, Scope], passed: dict[tuple[str, str], set[str]]
    ) -> None:
        target = self.resolve(scope, call.func)
        callee = by_function.get(target) if isinstance(target, str) else None
        if callee is None or callee.function is None or callee is scope:
            return
        node = callee.function.nodes[0]
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
        if callee.function.kind == "method":
            return  # `self` and the binding of a method call are not followed here
        pairs = [(name, arg) for name, arg in zip(params, call.args, strict=False) if not isinstance(arg, ast.Starred)]
        pairs += [(k.arg, k.value) for k in call.keywords if k.arg in params or k.arg in _kwonly(node)]
        for name, arg in pairs:
            if name is None:
                continue
            found = self.resolve_object(scope, arg)
            if found is not None:
                passed.setdefault((callee.function.id, name), set()).add(found)

    def _collect_registrations(self, scope: Scope) -> None:
        registry = self.registry
        for obj in list(registry.objects.values()):
            if obj.module == scope.module and obj.scope == scope.owner_id:
                self.on_object(scope, obj)
        for stmt in self._statements(scope):
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self._decorated(scope, stmt)
            elif isinstance(stmt, ast.ClassDef):
                continue
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                call = stmt.value
                since = registry.mark()
                if self._decorator_call(scope, call):
                    registry.record(stmt, stmt, scope, since)
                elif isinstance(call.func, ast.Attribute):
                    owner = self.resolve_object(scope, call.func.value)
                    if owner is not None and self.on_call(scope, owner, call.func.attr, call):
                        registry.record(stmt, stmt, scope, since)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if isinstance(target, ast.Attribute):
                    owner = self.resolve_object(scope, target.value)
                    if owner is not None:
                        self.on_attribute(scope, owner, target.attr, stmt)

    def _decorated(self, scope: Scope, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        registry = self.registry
        entry: str | None = None
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            func = call.func if call is not None else decorator
            if not isinstance(func, ast.Attribute):
                continue
            owner = self.resolve_object(scope, func.value)
            if owner is None:
                continue
            if entry is None:
                entry = self._entry_of(scope, node)
            since = registry.mark()
            if self.on_decorator(scope, owner, Decorator(func.attr, call, entry, node)):
                registry.record(decorator, node, scope, since)

    def _decorator_call(self, scope: Scope, call: ast.Call) -> bool:
        """`owner.attr(...)(function)`: a decorator applied by hand (`app.middleware("http")(timing)`)."""
        inner = call.func
        if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and len(call.args) == 1):
            return False
        owner = self.resolve_object(scope, inner.func.value)
        target = self.resolve(scope, call.args[0])
        definition = self.symbols.definitions.get(target) if isinstance(target, str) else None
        node = definition.nodes[0] if definition is not None else None
        if owner is None or definition is None or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return False
        return self.on_decorator(scope, owner, Decorator(inner.func.attr, inner, definition.id, node))

    def _entry_of(self, scope: Scope, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        """The definition id of a decorated function; a function nested in a factory becomes one."""
        symbols = self.symbols
        if scope.function is None:
            entry = f"{scope.module}.{node.name}"
            known = symbols.definitions.get(entry)
            if known is not None and known.nodes[0] is not node and f"{entry}@{node.lineno}" in symbols.definitions:
                return f"{entry}@{node.lineno}"  # a view whose name a later function rebinds
            return entry
        nested_id = f"{scope.function.id}.{node.name}"
        if nested_id not in symbols.definitions:
            symbols.definitions[nested_id] = Definition(
                nested_id, scope.module, node.name, "function", [node], node.lineno
            )
        return nested_id

    # ------------------------------------------------------------------------------ name resolution
    def text(self, scope: Scope, node: ast.AST | None) -> str | None:
        """A string written literally or held in a module-level constant (`PREFIX = "/api"`)."""
        if node is None:
            return None
        return Evaluator(self.symbols, scope.module, {}, scope.owner_id).constant_string(node)

    def prefix(self, scope: Scope, node: ast.AST | None, what: str) -> str | None:
        """A mount's prefix; one decompose cannot read is a finding (the routes under it would be wrong)."""
        found = self.text(scope, node)
        if found is None and node is not None:
            self.registry.issues.append(
                DispatchIssue(
                    scope.module,
                    getattr(node, "lineno", 0),
                    f"{self.name}: the {what} {ast.unparse(node)} is not a literal string: the routes under it are"
                    " reported without it",
                )
            )
        return found

    def resolve_object(self, scope: Scope, expr: ast.expr, _depth: int = 0) -> str | None:
        """The framework object an expression denotes in a scope (aliases and factory calls followed)."""
        registry = self.registry
        if _depth > MAX_MOUNT_DEPTH:
            return None
        if isinstance(expr, ast.Name) and expr.id in scope.objects:
            return scope.objects[expr.id]
        local = isinstance(expr, ast.Name) and expr.id in scope.locals and expr.id not in scope.imports
        if isinstance(expr, ast.Name) and scope.function is not None and local:
            value = _local_value(scope.function, expr.id)
            return self.resolve_object(scope, value, _depth + 1) if value is not None else None
        if isinstance(expr, ast.Call):
            target = self.resolve(scope, expr.func)
            return registry.factories.get(target) if isinstance(target, str) else None
        target = self.resolve(scope, expr)
        if not isinstance(target, str):
            return None
        return self._object_of_definition(target, _depth)

    def _object_of_definition(self, target: str, depth: int) -> str | None:
        symbols, registry = self.symbols, self.registry
        if target in registry.objects:
            return target
        definition = symbols.definitions.get(target)
        if definition is None or definition.kind != "assignment":
            return None
        value = getattr(definition.nodes[-1], "value", None)
        if isinstance(value, ast.Name | ast.Attribute | ast.Call):
            return self.resolve_object(Scope(definition.module), value, depth + 1)
        return None

    def resolve(self, scope: Scope, expr: ast.expr) -> Binding | None:
        """What a Name or dotted chain means in a scope (function-local imports first, other locals: None)."""
        symbols = self.symbols
        root = expr
        while isinstance(root, ast.Attribute):
            root = root.value
        if scope.function is not None and isinstance(root, ast.Name) and root.id in scope.locals:
            if root.id not in scope.imports:
                return None
            return symbols.resolve_expression(scope.module, expr, scope.imports)
        return symbols.resolve_expression(scope.module, expr)

    def references(self, scope: Scope, nodes: list[ast.AST | None]) -> tuple[str, ...]:
        """The project definitions `nodes` name (functions, classes, assignments), in order, once each."""
        symbols = self.symbols
        found: dict[str, None] = {}
        for node in nodes:
            if node is None:
                continue
            for inner in _names_and_chains(node):
                target = self.resolve(scope, inner)
                if isinstance(target, str) and target in symbols.definitions:
                    found[target] = None
                elif isinstance(target, ModuleRef):
                    continue
        return tuple(found)

    def delegated(self, context: DispatchContext, adapters: frozenset[str]) -> tuple[str, ast.Call | None] | None:
        """The object the handler serves: the handler itself when it is one (`--handler app.app`), else the
        first argument of an adapter call (`pkg.name`) in the handler's body or value (`Mangum(app)`)."""
        symbols, registry = self.symbols, self.registry
        handler = context.handler
        if handler.id in registry.objects:
            return handler.id, None
        if handler.kind == "assignment":
            scope, node = Scope(handler.module), getattr(handler.nodes[-1], "value", None)
        else:
            scope, node = function_scope(symbols, handler), handler.nodes[0]
        if node is None:
            return None
        for call in ast.walk(node):
            if (
                isinstance(call, ast.Call)
                and call.args
                and external_name(symbols, scope.module, call.func, scope.imports) in adapters
            ):
                found = self.resolve_object(scope, call.args[0])
                if found is not None:
                    return found, call
                registry.issues.append(
                    DispatchIssue(handler.module, call.lineno, f"{self.name}: the app this handler serves is not read")
                )
        if handler.kind == "assignment":
            found = self._object_of_definition(handler.id, 0)
            if found is not None:
                return found, None
        return None

    def class_views(self, class_id: str) -> list[tuple[str, str]]:
        """(METHOD, method id) for each HTTP-verb method of a class-based view (Flask MethodView,
        Starlette HTTPEndpoint)."""
        symbols = self.symbols
        definition = symbols.definitions.get(class_id)
        if definition is None or definition.kind != "class":
            return []
        return [(name.upper(), method) for name, method in definition.methods.items() if name.upper() in VERBS]

    # ------------------------------------------------------------------------------- the split
    def app_slice(self, context: DispatchContext, entries: set[str]) -> AppSlice | None:
        """What a function serving only the routes whose entries are `entries` keeps of the app-building code
        (see `AppSlice`); None when the handler serves no app of this framework."""
        registry = self._registry
        served = self.served_object(context) if registry is not None else None
        if registry is None or served is None:
            return None
        root = served[0]
        owners = {spec.owner for spec in registry.routes if spec.entry in entries}
        parents: dict[str, set[str]] = {}
        for mount in registry.mounts:
            parents.setdefault(mount.child, set()).add(mount.parent)
        kept = set(owners)
        work = list(owners)
        while work:
            for parent in parents.get(work.pop(), ()):
                if parent not in kept:
                    kept.add(parent)
                    work.append(parent)
        dropped: set[int] = set()
        modules: dict[str, None] = {}
        hooked: dict[str, None] = {}  # modules registering a hook of the kept app at module level
        factory = registry.objects[root].scope if root in registry.objects else None
        entangled: tuple[RouteSpec, RouteSpec] | None = None
        for registration in registry.by_node.values():
            if registration.hooks and not registration.routes and registration.scope is None:
                applies = any(
                    h.owner in kept or h.owner == root or (h.app_wide and self._app_of(h.owner) == root)
                    for h in registration.hooks
                )
                if applies and self._runs(registration.module):
                    hooked[registration.module] = None
            mixed = (
                [s for s in registration.routes if s.entry in entries],
                [s for s in registration.routes if s.entry is not None and s.entry not in entries],
            )
            if mixed[0] and mixed[1] and entangled is None:
                entangled = (mixed[0][0], mixed[1][0])
            if registration.routes:
                if not any(spec.entry in entries for spec in registration.routes):
                    dropped.add(id(registration.statement))
                elif registration.scope is None:
                    modules[registration.module] = None
            elif registration.mounts and not any(m.child in kept for m in registration.mounts):
                dropped.add(id(registration.statement))
        # a hook the refactor moved out of the handler module (`@app.middleware`, `@app.exception_handler` now
        # in a shared module) registers when its module is imported: the function imports it as the monolith
        # does, unless that module also registers other functions' views (before the refactor empties it)
        others = {r.module for r in registry.by_node.values() if id(r.statement) in dropped and r.routes}
        modules.update(dict.fromkeys(m for m in hooked if m not in others))
        mine = [spec for spec in registry.routes if spec.entry in entries and spec.kind == HTTP]
        unsliced = [spec for spec in mine if not any(spec in r.routes for r in registry.by_node.values())]
        refusal = self.split_refusal(context)
        return AppSlice(root, factory, frozenset(dropped), tuple(modules), tuple(unsliced), refusal, entangled)

    def split_refusal(self, context: DispatchContext) -> str | None:
        """Why a route of the app the handler serves cannot get an API event of its own, with file:line (the
        adapter strips a base path, so the path the app routes is not the API's); None when it can."""
        return None

    # --------------------------------------------------------------------------- subclass protocol
    def on_decorator(self, scope: Scope, owner: str, use: Decorator) -> bool:
        """Read `@owner.attr(...)` on `node`; True when it is a registration (kept out of reach)."""
        return False

    def on_object(self, scope: Scope, obj: FrameworkObject) -> None:
        """Read the constructor of an object (FastAPI `dependencies=`, Starlette `routes=[...]`)."""

    def on_call(self, scope: Scope, owner: str, attr: str, call: ast.Call) -> bool:
        """Read the statement `owner.attr(...)`; True when it is a registration."""
        return False

    def on_attribute(self, scope: Scope, owner: str, attr: str, stmt: ast.Assign) -> None:
        """Read `owner.attr = value` (Flask's `app.wsgi_app = Middleware(app.wsgi_app)`)."""

    def served_object(self, context: DispatchContext) -> tuple[str, frozenset[str]] | None:
        """The app object the handler serves, and the hook kinds the adapter leaves out."""
        return None

    def own_prefix(self, obj: FrameworkObject) -> str | None:
        """The prefix a group object carries itself (`Blueprint(url_prefix=)`, `APIRouter(prefix=)`)."""
        return None

    def join(self, prefix: str, group_prefix: str | None, mount_prefix: str | None) -> str:
        """The prefix of a group mounted under `prefix`."""
        return prefix + (mount_prefix or "") + (group_prefix or "")

    def full_path(self, prefix: str, path: str) -> str:
        return prefix + path

    def default_methods(self, spec: RouteSpec) -> tuple[str, ...]:
        return ("GET",)

    def route_for(self, spec: RouteSpec, handler: Definition) -> bool:
        """Whether a non-HTTP registration is the route of this handler (Chalice event functions)."""
        return False

    def hook_applies(self, hook: Hook, spec: RouteSpec, skipped: frozenset[str]) -> bool:
        return hook.kind not in skipped

    def view_environment(self, view: Definition) -> dict[str, Symbolic]:
        """The names through which `view` reads the current request, as the dispatch walk reads them: its
        tests of `request.method` then slice it for each method it is registered with (`slicing.entry_slice`).
        Empty when it reads none."""
        node = view.nodes[0] if view.nodes else None
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return {}
        symbols = self.symbols
        scope = function_scope(symbols, view)
        env: dict[str, Symbolic] = {}
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            annotation = arg.annotation
            if (
                isinstance(annotation, ast.Name | ast.Attribute)
                and external_name(symbols, view.module, annotation, scope.imports) in self.request_classes
            ):
                env[arg.arg] = RequestValue()
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and self.request_names and inner.id not in scope.locals:
                if external_name(symbols, view.module, inner) in self.request_names:
                    env[inner.id] = RequestValue()
            elif (
                isinstance(inner, ast.Attribute)
                and inner.attr == self.request_attribute
                and isinstance(inner.value, ast.Name)
                and self.resolve_object(scope, inner.value) is not None
            ):
                env[inner.value.id] = RequestValue(via=self.request_attribute)
        return env

    # ------------------------------------------------------------------------------- the routes
    def routes(self, context: DispatchContext) -> Iterator[CodeRoute | DispatchIssue]:
        registry = self._registry
        if registry is None or not registry.objects:
            return
        events = list(self._event_routes(context))
        served = self.served_object(context)
        if served is not None or events:
            yield from registry.issues  # once: functions sharing one code tree share the scan
            registry.issues = []
        yield from events
        if served is not None:
            root, skipped = served
            self._loaded = self.loaded_modules(context.imported)
            try:
                yield from self._http_routes(root, skipped)
            finally:
                self._loaded = None

    def loaded_modules(self, module: str) -> set[str]:
        """The project modules importing `module` loads: its import closure, plus what app factories in it
        import inside their bodies (they run when the factory does). A route, mount or hook registered in any
        other module never runs with this handler: once the split moved other routes' views away, the app a
        new function builds holds only its own."""
        symbols, registry = self.symbols, self.registry
        loaded = import_closure(symbols, module)
        done: set[str] = set()
        while True:
            pending = [f for f in registry.factories if f not in done and _module_of(symbols, f) in loaded]
            if not pending:
                return loaded
            for factory in pending:
                done.add(factory)
                definition = symbols.definitions[factory]
                source = _module(symbols, definition.module)
                for inner in ast.walk(definition.nodes[0]):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        for _, target, attr in import_targets(inner, source):
                            for name in (target, f"{target}.{attr}" if attr else target):
                                if name in symbols.modules:
                                    loaded |= import_closure(symbols, name)

    def _runs(self, module: str) -> bool:
        return self._loaded is None or not module or module in self._loaded

    def _event_routes(self, context: DispatchContext) -> Iterator[CodeRoute]:
        registry = self.registry
        for spec in registry.routes:
            if spec.kind == HTTP or spec.entry is None or not self.route_for(spec, context.handler):
                continue
            extras = self._hook_targets(self._app_of(spec.owner), [spec.owner], spec, frozenset())
            constraint = Constraint(kind=spec.kind, source=spec.source, strategy=self.name)
            yield CodeRoute(
                constraint, spec.entry, _line(self.symbols, spec), spec.module, extra=(*extras, *spec.extras)
            )

    def _app_of(self, owner: str) -> str:
        registry = self.registry
        parents = {m.child: m.parent for m in registry.mounts}
        seen = {owner}
        while owner in parents and parents[owner] not in seen:
            owner = parents[owner]
            seen.add(owner)
        return owner

    def _http_routes(self, root: str, skipped: frozenset[str]) -> Iterator[CodeRoute | DispatchIssue]:
        symbols, registry = self.symbols, self.registry
        by_owner: dict[str, list[RouteSpec]] = {}
        for spec in registry.routes:
            if spec.kind == HTTP and self._runs(spec.module):
                by_owner.setdefault(spec.owner, []).append(spec)
        mounts: dict[str, list[Mount]] = {}
        for mount in registry.mounts:
            if self._runs(mount.module):
                mounts.setdefault(mount.parent, []).append(mount)
        root_obj = registry.objects.get(root)
        start = self.own_prefix(root_obj) if root_obj is not None else None
        stack: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [(root, start or "", (root,), ())]
        while stack:
            owner, prefix, chain, mount_extras = stack.pop()
            for spec in by_owner.get(owner, []):
                if spec.entry is None:
                    continue
                if spec.path is None:
                    yield DispatchIssue(spec.module, spec.line, f"{self.name} route without a literal path")
                    continue
                path = self.full_path(prefix, spec.path)
                extras = (*self._hook_targets(root, chain, spec, skipped), *mount_extras, *spec.extras)
                methods = spec.methods if spec.methods is not None else self.default_methods(spec)
                api_path, problem = to_api_path(path)
                if problem:
                    yield DispatchIssue(spec.module, spec.line, problem)
                for method in methods:
                    constraint = Constraint(
                        kind=HTTP, method=method, path=api_path, payload=self.payload, strategy=self.name
                    )
                    yield CodeRoute(constraint, spec.entry, _line(symbols, spec), spec.module, extra=extras)
            if len(chain) > MAX_MOUNT_DEPTH:
                continue
            for mount in mounts.get(owner, []):
                if mount.child in chain:
                    continue
                child = registry.objects.get(mount.child)
                joined = self.join(prefix, self.own_prefix(child) if child else None, mount.prefix)
                stack.append((mount.child, joined, (*chain, mount.child), (*mount_extras, *mount.extras)))

    def _hook_targets(
        self, root: str, chain: tuple[str, ...] | list[str], spec: RouteSpec, skipped: frozenset[str]
    ) -> tuple[str, ...]:
        registry = self.registry
        found: dict[str, None] = {}
        for hook in registry.hooks:
            if not self.hook_applies(hook, spec, skipped) or not self._runs(hook.module):
                continue
            if hook.owner in chain or (hook.app_wide and self._app_of(hook.owner) == root):
                found.update(dict.fromkeys(hook.targets))
        return tuple(found)


def _module_of(symbols: SymbolTable, definition_id: str) -> str | None:
    definition = symbols.definitions.get(definition_id)
    return definition.module if definition is not None else None


def _line(symbols: SymbolTable, spec: RouteSpec) -> int:
    definition = symbols.definitions.get(spec.entry or "")
    return definition.line if definition else spec.line


_FLASK_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_BRACE_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def to_api_path(path: str) -> tuple[str, str | None]:
    """A framework rule in API Gateway syntax, and a problem when API Gateway cannot express it.

    Flask `<int:id>` and Starlette `{id:int}` become `{id}`; a `path` converter (`<path:p>`, `{p:path}`)
    is greedy: `{p+}` as the last segment; elsewhere API Gateway has no multi-segment parameter, so it
    stays `{p}` and the problem says so. A trailing slash goes (API Gateway paths have none).
    """
    problem = None
    segments = path.split("/")
    out = []
    for index, raw in enumerate(segments):
        greedy = [False]

        def flask(match: re.Match[str], greedy: list[bool] = greedy) -> str:
            greedy[0] = greedy[0] or match.group(1) == "path"
            return "{" + match.group(2) + "}"

        def brace(match: re.Match[str], greedy: list[bool] = greedy) -> str:
            greedy[0] = greedy[0] or match.group(2) == "path"
            return "{" + match.group(1) + "}"

        segment = _BRACE_PARAM.sub(brace, _FLASK_PARAM.sub(flask, raw))
        if greedy[0]:
            last = index == len(segments) - 1 or (index == len(segments) - 2 and segments[-1] == "")
            if last and segment.startswith("{") and segment.endswith("}"):
                segment = segment[:-1] + "+}"
            else:
                problem = (
                    f"{path}: a multi-segment (path) parameter that is not the last segment cannot be an"
                    " API Gateway path parameter"
                )
        out.append(segment)
    text = "/".join(out)
    if len(text) > 1:
        text = text.rstrip("/")
    if not text.startswith("/"):
        text = "/" + text
    return text, problem


def _calls_in_statement(stmt: ast.stmt) -> Iterator[ast.Call]:
    """The calls of one statement, not of the functions, lambdas or classes it defines."""
    stack: list[ast.AST] = [stmt]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Call):
            yield current
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda | ast.stmt):
                stack.append(child)


def _kwonly(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    return [a.arg for a in node.args.kwonlyargs]


def _names_and_chains(node: ast.AST) -> Iterator[ast.expr]:
    """Every Name and maximal dotted chain read inside `node`."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Attribute) and _is_chain(current):
            yield current
            continue
        if isinstance(current, ast.Name) and isinstance(current.ctx, ast.Load):
            yield current
            continue
        stack.extend(ast.iter_child_nodes(current))


def _is_chain(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def function_scope(symbols: SymbolTable, definition: Definition) -> Scope:
    """The scope of a function body: its local names and local imports."""
    node = definition.nodes[0]
    names: set[str] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
            names.add(inner.id)
        elif isinstance(inner, ast.arg):
            names.add(inner.arg)
        elif isinstance(inner, ast.alias):
            names.add(inner.asname or inner.name.split(".")[0])
        elif isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and inner is not node:
            names.add(inner.name)
        elif isinstance(inner, ast.Global | ast.Nonlocal):
            names.difference_update(inner.names)
    return Scope(definition.module, definition, imports=_local_imports(symbols, definition), locals=frozenset(names))


def _local_value(function: Definition, name: str) -> ast.expr | None:
    """The value of a local assigned exactly once (`app = create_app()` inside a handler)."""
    values = [
        inner.value
        for inner in ast.walk(function.nodes[0])
        if isinstance(inner, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in inner.targets)
    ]
    return values[0] if len(values) == 1 else None


@functools.lru_cache(maxsize=4096)
def _imported_packages(source) -> frozenset[str]:  # noqa: ANN001 - a SourceModule
    """The top-level packages a module imports anywhere (function-local imports included), read once."""
    found: set[str] = set()
    for node in statements(source.tree):  # an import is a statement: no expression needs reading
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.update(target.split(".")[0] for _, target, _ in import_targets(node, source))
    return frozenset(found)


def _module(symbols: SymbolTable, module: str):  # noqa: ANN202 - a SourceModule
    return symbols.modules[module].module


def _local_imports(symbols: SymbolTable, definition: Definition) -> dict[str, Binding]:
    found: dict[str, Binding] = {}
    source = _module(symbols, definition.module)
    for inner in ast.walk(definition.nodes[0]):
        if isinstance(inner, ast.Import | ast.ImportFrom):
            for local, target, attr in import_targets(inner, source):
                resolved = symbols.resolve_import(target, attr)
                if local != "*" and resolved is not None:
                    found[local] = resolved
    return found
