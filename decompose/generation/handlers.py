"""A handler module per extracted function, sliced from the monolith's dispatcher.

For each extracted function of the plan, the dispatcher (the monolith's handler and the helpers the walker
follows in the handler's module) is walked again on the refactored code, recording what every dispatch
test says (`analysis.dispatch.slicing`). The slice for the function's routes drops exactly the branches,
`match` cases, dispatch-table entries and guarded block tails that contradict every one of its routes, and
keeps everything else: the same pre-processing (path normalisation, parameters read from the path), the
same `try`/`except` around the branch, the same fallback response.

The module then holds what the slice uses and nothing else:
- code of the monolith's handler module the slice names (constants, compiled patterns, loggers, helpers,
  dispatch tables with only the function's entries) is *copied*: the generated handler never imports the
  monolith's handler module;
- every other name is imported the way the handler module imports it (relative imports made absolute);
- module-level statements of the handler module run too when everything they name is kept (`logger.setLevel`),
  except route registrations of other routes (Powertools `include_router` of a router without its routes);
- a route whose entry the slice does not name (a decorator-registered view) gets an import of its module.

A framework app (Flask behind a WSGI adapter, FastAPI/Starlette behind Mangum, a Chalice app as the handler)
is sliced the same way through its registrations (`FrameworkAnalyzer.app_slice`): the generated module keeps
the adapter and every hook and setting of the app, drops other functions' views and the mounts of groups
left without routes, and copies the app factory that builds the app (sliced, `__name__` kept as the
factory module's) rather than importing it. It exports the name the monolith's `Handler` named
(`lambda_handler`, `handler = Mangum(app)`, the Chalice `app`). What the app cannot serve behind events of
its own is a HandlerError naming the code; `split_problems` lists those per function for `plan --check`.

It is rendered from `templates/handler.py.j2`, carries `GENERATED_MARKER` and a docstring naming its routes
and its origin, and must parse (checked here) and pass ruff (tests). Route strings only ever appear inside
the docstring, escaped; module names come from logical ids (identifiers by construction) or from the plan,
checked to be dotted identifiers that stay inside the code root.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import re
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2

from decompose.analysis.codebase import Codebase, load_codebase
from decompose.analysis.dispatch import Decisions, DispatchContext, find_routes
from decompose.analysis.dispatch.base import CodeRoute, Constraint
from decompose.analysis.dispatch.framework import AppSlice, FrameworkAnalyzer
from decompose.analysis.dispatch.slicing import Slice, prune, slice_for
from decompose.analysis.handlers import resolve_handler
from decompose.analysis.symbols import Definition, absolute_module
from decompose.analysis.triggers import MatchedRoute, direct_routes, match_triggers
from decompose.domain.model import FunctionSpec, Location
from decompose.domain.plan import GENERATED_MARKER, FunctionPlan, GeneratedHandler, Plan
from decompose.errors import DecomposeError
from decompose.generation.imports import ImportSpec, render_imports
from decompose.generation.source_slice import double_quoted
from decompose.generation.source_slice import render as render_slice

HANDLER_PACKAGE = "handlers"
HANDLER_FUNCTION = "lambda_handler"
SIDE_EFFECT = "noqa: F401 - imported for its side effects (route registrations)"
HANDLER_IMPORT = "noqa: F401 - the Lambda handler"
WSGI_BASE_PATHS = frozenset({"API_GATEWAY_BASE_PATH"})  # serverless-wsgi strips it from the path it routes
TEMPLATE = "handler.py.j2"
_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__", "__spec__", "__package__"}


class HandlerError(DecomposeError):
    """A handler cannot be generated: a route the plan names is not served, or a module name is unsafe."""


def snake_name(logical_id: str) -> str:
    """`GetOrderFunction` -> `get_order`: a Python identifier (a trailing `Function` is dropped)."""
    stem = logical_id.removesuffix("Function") or logical_id
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", stem).lower()
    name = re.sub(r"\W+", "_", words).strip("_") or "function"
    if name[0].isdigit():
        name = "f_" + name
    return name + "_" if keyword.iskeyword(name) else name


def default_handler_module(logical_id: str) -> str:
    """Where a function's handler goes unless the plan says otherwise: `handlers.<snake>`."""
    return f"{HANDLER_PACKAGE}.{snake_name(logical_id)}"


def check_module_name(name: str, where: Location | None = None) -> str:
    """A dotted module name that is safe as a path under the code root, or a HandlerError."""
    parts = name.split(".")
    if not name or not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        raise HandlerError(f"{name!r} is not a dotted Python module name", where)
    return name


def module_path(name: str) -> str:
    """`handlers.get_order` -> `handlers/get_order.py` (relative to the code root)."""
    return "/".join(check_module_name(name).split(".")) + ".py"


def generate_handlers(
    code_root: Path, monolith: FunctionSpec, plan: Plan, *, project_root: Path | None = None
) -> list[GeneratedHandler]:
    """One generated handler per extracted function of `plan`, sliced from `monolith`'s handler under
    `code_root` (the refactored tree). Nothing is written."""
    codebase = load_codebase(code_root, project_root)
    out: list[GeneratedHandler] = []
    for function, assembler, where in _assemblers(codebase, monolith, plan):
        module = check_module_name(function.handler or default_handler_module(function.logical_id), where)
        text = assembler.render(function, monolith)
        try:
            ast.parse(text)
        except SyntaxError as exc:  # a bug of the generator, never of the user's input
            raise HandlerError(f"generated handler for {function.logical_id} does not parse: {exc}", where) from exc
        out.append(
            GeneratedHandler(
                logical_id=function.logical_id,
                path=module_path(module),
                handler=f"{module}.{assembler.exported}",
                text=text,
                routes=tuple(function.routes),
            )
        )
    return out


def handler_needs(codebase: Codebase, monolith: FunctionSpec, plan: Plan) -> dict[str, set[str]]:
    """logical id -> the project definitions (outside the handler module) its generated handler would import:
    what the refactor must keep importable without the other routes' code."""
    needs: dict[str, set[str]] = {}
    for function, assembler, _ in _assemblers(codebase, monolith, plan):
        assembler.collect()
        needs[function.logical_id] = set(assembler.used)
    return needs


def split_problems(
    code_root: Path, monolith: FunctionSpec, plan: Plan, *, project_root: Path | None = None
) -> list[tuple[FunctionPlan, str]]:
    """What generating the extracted functions' handlers would refuse, per function (each message names the
    file:line it is about), computed on the code as it is: `plan --check` and `apply` report them before
    anything is refactored."""
    codebase = load_codebase(code_root, project_root)
    problems: list[tuple[FunctionPlan, str]] = []
    for function, assembler, _ in _assemblers(codebase, monolith, plan, problems):
        try:
            assembler.collect()
        except HandlerError as error:
            problems.append((function, error.message))
    return problems


def _assemblers(
    codebase: Codebase, monolith: FunctionSpec, plan: Plan, problems: list[tuple[FunctionPlan, str]] | None = None
) -> Iterator[tuple[FunctionPlan, _Assembler, Location | None]]:
    """An assembler per extracted function; a function whose handler cannot be generated raises HandlerError,
    or, given `problems`, is listed there and skipped."""
    handler = resolve_handler(codebase.symbols, monolith.handler).definition
    if handler is None or handler.kind not in ("function", "assignment"):
        raise HandlerError(f"handler {monolith.handler} not found under {codebase.root}")
    decisions = Decisions()
    context = DispatchContext(codebase.symbols, codebase.graph, handler, monolith.handler_module)
    code_routes, _ = find_routes(context, codebase.strategies, decisions)
    # a function handler is sliced where it is defined; a value (`handler = Mangum(app)`, a Chalice app) is
    # served from the module Lambda imports, whose statements build the app
    module = handler.module if handler.kind == "function" else monolith.handler_module
    source = codebase.symbols.modules[module].module
    if code_routes:
        matched, _ = match_triggers(monolith, code_routes, None, lambda r: Location(source.path, r.line))
    else:
        matched = direct_routes(monolith, _direct(handler))
    for function in plan.extracted:
        where = Location(plan.path, function.line) if plan.path else None
        mine = [m for m in matched if m.trigger.route_id in function.routes]
        missing = sorted(set(function.routes) - {m.trigger.route_id for m in mine})
        if missing:
            raise HandlerError(f"{function.logical_id}: {monolith.handler} serves no route {missing[0]}", where)
        cut = slice_for(decisions, [m.code.constraint for m in mine])
        try:
            app = _app_slice(codebase, context, mine, function, monolith=monolith, where=where)
        except HandlerError as error:
            if problems is None:
                raise
            problems.append((function, error.message))
            continue
        if app is not None:
            cut = replace(cut, dropped=cut.dropped | app.dropped)
        yield function, _Assembler(codebase, handler, cut, mine, module, monolith.handler_function, app), where


def _app_slice(
    codebase: Codebase,
    context: DispatchContext,
    mine: list[MatchedRoute],
    function: FunctionPlan,
    *,
    monolith: FunctionSpec,
    where: Location | None,
) -> AppSlice | None:
    """The framework app the function's routes are served by, sliced to them (None: no framework app); a
    HandlerError when the app cannot serve them behind events of their own."""
    names = {m.code.constraint.strategy for m in mine}
    for strategy in codebase.strategies.modules:
        if not isinstance(strategy, FrameworkAnalyzer) or strategy.name not in names:
            continue
        app = strategy.app_slice(context, {m.code.entry for m in mine})
        if app is None:
            continue
        if app.unsliced:
            spec = app.unsliced[0]
            path = codebase.symbols.modules[spec.module].module.path
            raise HandlerError(
                f"{function.logical_id}: the route at {path}:{spec.line} is registered in a list "
                "decompose cannot slice (a Starlette routes= list): apps built that way are not split yet",
                where,
            )
        if app.entangled is not None:
            mine_spec, other = app.entangled
            path = codebase.symbols.modules[mine_spec.module].module.path
            raise HandlerError(
                f"{function.logical_id}: {mine_spec.entry} is registered together with {other.entry}, a view of "
                f"another function ({path}:{mine_spec.line}): the new function's app would serve both; put "
                "their routes in one function",
                where,
            )
        if app.refusal is not None:
            raise HandlerError(f"{function.logical_id}: {app.refusal}", where)
        stripped = [name for name, _ in monolith.environment if name in WSGI_BASE_PATHS]
        if strategy.name == "flask" and stripped:
            raise HandlerError(
                f"{function.logical_id}: serverless-wsgi strips {stripped[0]} (the environment of "
                f"{monolith.logical_id}, template line {monolith.line}) before the app routes: the API path of "
                "each route is not the app's, so decompose cannot give it an event of its own",
                where,
            )
        return app
    return None


def _direct(handler: Definition) -> CodeRoute:
    return CodeRoute(Constraint(), handler.id, handler.line, handler.module)


# ----------------------------------------------------------------------------------------------- assembly
@dataclass
class _Item:
    """A top-level statement copied into the generated module: of the handler module, or the app factory."""

    line: int
    node: ast.stmt
    kind: str  # "def" | "simple"
    module: str  # the module it comes from
    pruned: ast.AST | None = None  # the statement as the slice keeps it
    noqa: frozenset[str] = frozenset()  # locals kept only for the exceptions reading them may raise
    order: int = 0  # the factory, copied from another module, goes before the handler module's code


@dataclass
class _Assembler:
    codebase: Codebase
    handler: Definition
    cut: Slice
    routes: list[MatchedRoute]
    module: str  # the module sliced: where the handler function is defined, or the one Lambda imports
    name: str  # the name Lambda looks up in it
    app: AppSlice | None = None  # the framework app the routes are served by, when one is
    imports: set[ImportSpec] = field(default_factory=set)
    items: dict[int, _Item] = field(default_factory=dict)  # id(original top-level stmt) -> item
    used: set[str] = field(default_factory=set)  # project definition ids the module names
    copied: set[str] = field(default_factory=set)  # definitions of other modules copied in (the app factory)

    @property
    def is_function(self) -> bool:
        return self.handler.kind == "function"

    @property
    def exported(self) -> str:
        """The name of the generated module Lambda calls: `lambda_handler`, or the value's own name
        (`handler = Mangum(app)`, a Chalice `app`)."""
        return HANDLER_FUNCTION if self.is_function else self.name

    def collect(self) -> None:
        """Gather what the slice needs (idempotent)."""
        if self.items:
            return
        tree = self.codebase.symbols.modules[self.module].module.tree
        if self.is_function:
            self._take(self._top_level(self.handler.nodes[0]))
        else:
            self._need(self.name)
            for spec in [s for s in self.imports if s.bound == self.name]:  # Lambda's handler, read by name
                self.imports.discard(spec)
                self.imports.add(replace(spec, comment=HANDLER_IMPORT))
        self._statements(tree)
        self._registered_entries()
        self.used -= self.copied
        self._check_bindings()

    def _check_bindings(self) -> None:
        """Each name the generated module binds means one thing (the copied app factory brings the names of
        its own module, which may mean something else in the handler module)."""
        bound: dict[str, object] = {}
        for spec in self.imports:
            if spec.name is None and spec.alias is None:
                continue  # `import a.b` and `import a.c` both bind `a`, and mean it
            key = (spec.module, spec.name)
            if bound.setdefault(spec.bound, key) != key:
                raise HandlerError(
                    f"the generated handler would bind {spec.bound} twice ({_spelled(bound[spec.bound])} and "
                    f"{_spelled(key)}): the handler module and the app factory's module use the name for "
                    "different things; rename one of them"
                )

    def render(self, function: FunctionPlan, monolith: FunctionSpec) -> str:
        self.collect()
        tree = self.codebase.symbols.modules[self.module].module.tree
        body, starts_with_def = self._body()
        source = self.codebase.symbols.modules[self.module].module
        return _template_text(
            marker=GENERATED_MARKER,
            logical_id=function.logical_id,
            routes=list(function.routes),
            origin=monolith.handler,
            location=f"{source.path}:{self.handler.line}",
            future=_has_future_annotations(tree),
            imports=render_imports(self.imports, self._first_party()),
            framework=self.app is not None and _framework_name(self.routes),
            body=body,
            body_starts_with_def=starts_with_def,
        )

    # --- what the slice needs
    def _take(self, stmt: ast.stmt, module: str | None = None) -> None:
        if id(stmt) in self.items:
            return
        module = module or self.module
        kind = "def" if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) else "simple"
        item = _Item(_first_line(stmt), stmt, kind, module, order=0 if module == self.module else -1)
        self.items[id(stmt)] = item
        pruned = prune(stmt, self.cut)
        if module != self.module:
            pruned = _NameOf(module).visit(pruned)  # `Flask(__name__)` keeps the name it had
        item.pruned, item.noqa = _without_unused_locals(pruned)
        chains = _attribute_chains(item.pruned)
        for name in sorted(_free_names(item.pruned)):
            self._need(name, chains.get(name), module)
        for node in ast.walk(item.pruned):
            if isinstance(node, ast.Name | ast.Attribute):
                resolved = self.codebase.symbols.resolve_expression(module, node)
                if isinstance(resolved, str):
                    self.used.add(resolved)

    def _need(self, name: str, chains: set[str] | None = None, where: str | None = None) -> None:
        symbols = self.codebase.symbols
        where = where or self.module
        module = symbols.modules[where]
        factory = self.app.factory if self.app is not None else None
        if factory is not None and symbols.resolve_global(where, name) == factory:
            definition = symbols.definitions[factory]
            if definition.module != self.module:  # the app factory is copied and sliced, never imported
                self.copied.add(factory)
                self._take(self._top_level(definition.nodes[0], definition.module), definition.module)
                return
        if name in module.bindings:
            target = module.bindings[name]
            definition = symbols.definitions.get(target) if isinstance(target, str) else None
            if definition is not None and definition.module == where:
                if where == self.module:
                    for node in definition.nodes:
                        self._take(self._top_level(node))
                else:
                    self.imports.add(ImportSpec(where, name))  # the factory module's own names are imported
                return
        specs = list(self._imports_binding(name, where))
        dotted = [s for s in specs if s.name is None and s.alias is None and "." in s.module]
        if len(dotted) > 1 and chains is not None and "" not in chains:
            # `import routes.a` and `import routes.b` both bind `routes`: keep those the code goes through
            used = [s for s in dotted if any(c == s.module or c.startswith(s.module + ".") for c in chains)]
            specs = [s for s in specs if s not in dotted or s in used]
        self.imports.update(specs)

    def _imports_binding(self, name: str, where: str | None = None) -> Iterator[ImportSpec]:
        source = self.codebase.symbols.modules[where or self.module].module
        for stmt in source.tree.body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if (alias.asname or alias.name.split(".")[0]) == name:
                        yield ImportSpec(alias.name, None, alias.asname)
            elif isinstance(stmt, ast.ImportFrom) and stmt.module != "__future__":
                base = absolute_module(stmt.module, stmt.level, source)
                for alias in stmt.names:
                    if (alias.asname or alias.name) == name:
                        yield ImportSpec(base, alias.name, alias.asname)

    def _top_level(self, node: ast.AST, module: str | None = None) -> ast.stmt:
        tree = self.codebase.symbols.modules[module or self.module].module.tree
        for stmt in tree.body:
            if stmt is node or any(inner is node for inner in ast.walk(stmt)):
                return stmt
        raise HandlerError(f"cannot place {ast.dump(node)[:60]} in {module or self.module}")

    def _statements(self, tree: ast.Module) -> None:
        """Module-level statements that run on import, kept when everything they name is kept."""
        registrations = {id(node) for node in self.codebase.registrations}
        owners = self._owners()
        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and stmt.decorator_list:
                # `@app.exception_handler(...)`, `@app.not_found`: hooks on a kept object run as in the monolith
                if not any(id(d) in registrations for d in stmt.decorator_list) and self._decorates_kept(stmt):
                    self._take(stmt)
                continue
            if isinstance(stmt, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign) or _is_docstring(stmt):
                continue
            if isinstance(stmt, ast.If) and _is_guard_block(stmt.test):
                continue
            if id(stmt) in registrations:
                if self.app is not None:
                    if id(stmt) not in self.cut.dropped:  # the app's hooks and config, and its kept mounts
                        self._take(stmt)
                elif self._registers(stmt, owners):
                    self._take(stmt)
                continue
            if self._all_kept(stmt):
                self._take(stmt)

    def _decorates_kept(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
        module = self.codebase.symbols.modules[self.module]
        for decorator in stmt.decorator_list:
            for name in _free_names(decorator):
                target = module.bindings.get(name)
                definition = self.codebase.symbols.definitions.get(target) if isinstance(target, str) else None
                local = definition is not None and definition.module == self.module and definition.kind == "assignment"
                if local and any(id(self._top_level(node)) in self.items for node in definition.nodes):  # type: ignore[union-attr]
                    return True
        return False

    def _all_kept(self, stmt: ast.stmt) -> bool:
        module = self.codebase.symbols.modules[self.module]
        for name in _free_names(stmt):
            target = module.bindings.get(name)
            definition = self.codebase.symbols.definitions.get(target) if isinstance(target, str) else None
            if definition is None or definition.module != self.module:
                continue
            if not any(id(self._top_level(node)) in self.items for node in definition.nodes):
                return False
        return True

    def _owners(self) -> set[object]:
        """The resolvers/routers the function's decorator-registered entries are registered on."""
        found: set[object] = set()
        registrations = {id(node) for node in self.codebase.registrations}
        for route in self.routes:
            definition = self.codebase.symbols.definitions.get(route.code.entry)
            node = definition.nodes[0] if definition else None
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if id(decorator) in registrations and isinstance(decorator, ast.Call):
                    base = decorator.func.value if isinstance(decorator.func, ast.Attribute) else decorator.func
                    found.add(self.codebase.symbols.resolve_expression(definition.module, base))
        return found

    def _registers(self, stmt: ast.stmt, owners: set[object]) -> bool:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if not isinstance(call, ast.Call) or not call.args:
            return False
        return self.codebase.symbols.resolve_expression(self.module, call.args[0]) in owners

    def _registered_entries(self) -> None:
        """Entries the slice never names (decorator-registered views) are imported for their registration."""
        if self.app is not None:
            self._registered_views()
            return
        for route in self.routes:
            definition = self.codebase.symbols.definitions.get(route.code.entry)
            if definition is not None and definition.module == self.module and definition.kind == "function":
                if definition.id != self.handler.id:
                    self._take(self._top_level(definition.nodes[0]))  # a view still in the handler module
                continue
            if definition is None or definition.module == self.module or definition.kind == "lambda":
                continue
            if definition.id not in self.used:
                self.imports.add(ImportSpec(definition.module, comment=SIDE_EFFECT))

    def _registered_views(self) -> None:
        """A framework app's views: a view still in the handler module is copied; a module registering views
        elsewhere (the function's own route module once the refactor moved them) is imported for it."""
        symbols = self.codebase.symbols
        assert self.app is not None
        for route in self.routes:
            definition = symbols.definitions.get(route.code.entry)
            if definition is not None and definition.module == self.module and definition.kind == "function":
                node = definition.nodes[0]
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and self._is_top_level(node):
                    self._take(node)
        imported = {spec.module for spec in self.imports}
        for module in self.app.modules:
            if module != self.module and module not in imported:
                self.imports.add(ImportSpec(module, comment=SIDE_EFFECT))

    def _is_top_level(self, node: ast.AST) -> bool:
        return any(stmt is node for stmt in self.codebase.symbols.modules[self.module].module.tree.body)

    # --- rendering
    def _body(self) -> tuple[str, bool]:
        pieces: list[tuple[str, str]] = []
        for item in sorted(self.items.values(), key=lambda i: (i.order, i.line)):
            pieces.append((item.kind, self._text(item)))
        out: list[str] = []
        previous: str | None = None
        for kind, text in pieces:
            if previous is not None:
                out.append("\n\n\n" if "def" in (kind, previous) else "\n")
            out.append(text)
            previous = kind
        return "".join(out), bool(pieces) and pieces[0][0] == "def"

    def _text(self, item: _Item) -> str:
        stmt, pruned = item.node, item.pruned
        assert pruned is not None
        is_handler = self.is_function and stmt is self.handler.nodes[0]
        if is_handler and isinstance(pruned, ast.FunctionDef | ast.AsyncFunctionDef):
            pruned.name = HANDLER_FUNCTION
        if not is_handler and not self._touched(stmt) and not item.noqa and ast.dump(pruned) == ast.dump(stmt):
            return self._source(stmt, item.module)
        text = self._module_text(item.module)
        printed = render_slice(text, stmt, pruned, name=HANDLER_FUNCTION if is_handler else None)
        text = _mark_noqa(printed if printed is not None else double_quoted(ast.unparse(pruned)), item.noqa)
        if is_handler and self.handler.name != HANDLER_FUNCTION and self.handler.name in _free_names(stmt):
            text += f"\n\n\n{self.handler.name} = {HANDLER_FUNCTION}"
        return text

    def _touched(self, stmt: ast.stmt) -> bool:
        marks = self.cut.dropped | self.cut.cut
        return any(id(node) in marks for node in ast.walk(stmt))

    def _module_text(self, module: str | None = None) -> str:
        source = self.codebase.symbols.modules[module or self.module].module
        return (self.codebase.root / _relative_file(source.path, self.codebase)).read_text(encoding="utf-8")

    def _source(self, stmt: ast.stmt, module: str | None = None) -> str:
        lines = self._module_text(module).splitlines()
        return "\n".join(lines[_first_line(stmt) - 1 : stmt.end_lineno])

    def _first_party(self) -> frozenset[str]:
        return frozenset(name.split(".")[0] for name in self.codebase.symbols.modules)


def _framework_name(routes: list[MatchedRoute]) -> str:
    names = {"flask": "Flask", "fastapi": "FastAPI", "chalice": "Chalice"}
    return next((names[r.code.constraint.strategy or ""] for r in routes if r.code.constraint.strategy in names), "")


def _spelled(key: object) -> str:
    module, name = key  # type: ignore[misc]
    return f"{module}.{name}" if name else str(module)


class _NameOf(ast.NodeTransformer):
    """`__name__` as the module it was written in had it (`Flask(__name__)` in a copied app factory: the
    app's name, logger and root path stay what they were)."""

    def __init__(self, module: str) -> None:
        self.module = module

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == "__name__" and isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Constant(self.module), node)
        return node


def _attribute_chains(node: ast.AST) -> dict[str, set[str]]:
    """Root name -> the dotted chains the code reads through it (`routes.get_health.router`); "" marks a bare
    use of the name."""
    chains: dict[str, set[str]] = {}
    inner: set[int] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and id(sub) not in inner:
            parts: list[str] = []
            current: ast.AST = sub
            while isinstance(current, ast.Attribute):
                inner.add(id(current))
                parts.insert(0, current.attr)
                current = current.value
            if isinstance(current, ast.Name):
                inner.add(id(current))
                chains.setdefault(current.id, set()).add(".".join([current.id, *parts]))
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and id(sub) not in inner:
            chains.setdefault(sub.id, set()).add("")
    return chains


def _template_text(**values: object) -> str:
    return without_trailing_whitespace(_template().render(**values))


def _relative_file(path: str, codebase: Codebase) -> str:
    """A module's path relative to the code root (`SourceModule.path` is relative to the project root)."""
    prefix = codebase.sources.root.rstrip("/")
    if prefix in ("", "."):
        return path
    return path.removeprefix(prefix + "/")


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None) or []
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _is_guard_block(test: ast.expr) -> bool:
    """`if __name__ == "__main__":` and `if TYPE_CHECKING:` blocks do not run in Lambda."""
    if isinstance(test, ast.Name | ast.Attribute) and ast.unparse(test).endswith("TYPE_CHECKING"):
        return True
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"


def _has_future_annotations(tree: ast.Module) -> bool:
    return any(
        isinstance(s, ast.ImportFrom) and s.module == "__future__" and any(a.name == "annotations" for a in s.names)
        for s in tree.body
    )


def _free_names(node: ast.AST) -> set[str]:
    """Names `node` reads that it does not bind itself (its globals), builtins excluded."""
    loaded: set[str] = set()
    bound: set[str] = set()
    declared_global: set[str] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name):
            (loaded if isinstance(inner.ctx, ast.Load) else bound).add(inner.id)
        elif isinstance(inner, ast.arg):
            bound.add(inner.arg)
        elif isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and inner is not node:
            bound.add(inner.name)
        elif isinstance(inner, ast.ExceptHandler) and inner.name:
            bound.add(inner.name)
        elif isinstance(inner, ast.MatchAs | ast.MatchStar) and inner.name:
            bound.add(inner.name)
        elif isinstance(inner, ast.MatchMapping) and inner.rest:
            bound.add(inner.rest)
        elif isinstance(inner, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name.split(".")[0]) for a in inner.names)
        elif isinstance(inner, ast.Global):
            declared_global.update(inner.names)
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        bound = set()  # a module-level assignment's own targets are not local names
    return (loaded - (bound - declared_global)) - _BUILTINS


_SAFE_METHODS = frozenset({"get", "upper", "lower", "strip", "rstrip", "lstrip", "casefold", "split"})


def _without_unused_locals(node: ast.AST) -> tuple[ast.AST, frozenset[str]]:
    """Drop local assignments the slice no longer reads, when computing them cannot fail (`event.get(...)`,
    a regex match); the others stay (a missing key raises as in the monolith) and are returned for `noqa`."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return node, frozenset()
    kept: set[str] = set()
    while True:
        loaded = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        declared = {name for n in ast.walk(node) if isinstance(n, ast.Global | ast.Nonlocal) for name in n.names}
        removed = False
        for parent in ast.walk(node):
            for field_name in ("body", "orelse", "finalbody"):
                block = getattr(parent, field_name, None)
                if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
                    continue
                keep: list[ast.stmt] = []
                for stmt in block:
                    name = _single_target(stmt)
                    if name is None or name in loaded or name in declared:
                        keep.append(stmt)
                    elif _cannot_fail(stmt.value):  # type: ignore[attr-defined]
                        removed = True
                    else:
                        kept.add(name)
                        keep.append(stmt)
                setattr(parent, field_name, keep or [ast.Pass()] if field_name == "body" else keep)
        if not removed:
            return node, frozenset(kept)


def _single_target(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
        return stmt.target.id
    return None


def _cannot_fail(value: ast.expr) -> bool:
    for node in ast.walk(value):
        if isinstance(node, ast.Call):
            func = node.func
            if not (
                isinstance(func, ast.Attribute) and func.attr in (_SAFE_METHODS | {"fullmatch", "match", "search"})
            ):
                return False
        elif isinstance(node, ast.Subscript | ast.BinOp | ast.Await | ast.NamedExpr):
            return False
    return True


def without_trailing_whitespace(source: str) -> str:
    """Trailing blanks go (ruff W291/W293), except inside multi-line strings, where they are data."""
    protected: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and token.start[0] != token.end[0]:
                protected.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError):
        return source
    lines = source.split("\n")
    return "\n".join(line if number in protected else line.rstrip() for number, line in enumerate(lines, 1))


def _mark_noqa(text: str, names: frozenset[str]) -> str:
    if not names:
        return text
    pattern = re.compile(r"^\s*(" + "|".join(map(re.escape, sorted(names))) + r")\s*(:[^=]*)?=[^=]")
    return "\n".join(
        line + "  # noqa: F841 - read as the monolith reads it" if pattern.match(line) else line
        for line in text.split("\n")
    )


def _load_template(name: str) -> str:
    return resources.files("decompose.templates").joinpath(name).read_text(encoding="utf-8")


def docstring_text(value: object) -> str:
    """Text safe inside a triple-quoted docstring: backslashes, quotes and control characters escaped."""
    out = []
    for char in str(value):
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif not char.isprintable():
            out.append(f"\\x{ord(char):02x}" if ord(char) < 256 else f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def docstring_lines(value: object, width: int = 72) -> str:
    """`docstring_text`, with long values split by backslash-newlines (which the string literal joins)."""
    text = str(value)
    chunks = [text[i : i + width] for i in range(0, len(text), width)] or [""]
    return "\\\n".join(docstring_text(chunk) for chunk in chunks)


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load_template),
        autoescape=False,  # Python source: every value goes through an explicit filter or is generated code
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["doc"] = docstring_text
    env.filters["doclines"] = docstring_lines
    return env.get_template(TEMPLATE)


def handler_routes(handlers: Iterable[GeneratedHandler]) -> dict[str, tuple[str, ...]]:
    """logical id -> the routes its generated handler serves (for the re-analysis check)."""
    return {h.logical_id: h.routes for h in handlers}
