"""What each module defines and imports, and how a name or dotted expression resolves across modules.

Every project definition gets a node id: `module.function`, `module.Class`, `module.Class.method`,
`module.NAME` for module-level assignments. Imports are bindings that point at another node, a project
module, or an external top-level package (`ext:boto3`). This is the symbol table the definition graph and
the dispatch strategies resolve against; it never executes user code.
"""

from __future__ import annotations

import ast
import functools
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

from decompose.loading.source import SourceModule, SourceTree

EXTERNAL = "ext:"


def external(name: str) -> str:
    return EXTERNAL + name.split(".", maxsplit=1)[0]


def is_external(node_id: str) -> bool:
    return node_id.startswith(EXTERNAL)


def is_stdlib(top_level: str) -> bool:
    return top_level in sys.stdlib_module_names or top_level == "__future__"


@dataclass(frozen=True)
class ModuleRef:
    """A binding to a whole module: a project module (`name`) or an external package (`ext:name`)."""

    name: str


@dataclass
class Definition:
    """A function, class, method or module-level assignment, with the AST nodes that make it up."""

    id: str
    module: str
    name: str
    kind: str  # "function" | "class" | "method" | "assignment" | "statement" | "lambda" | "branch"
    nodes: list[ast.AST]
    line: int
    owner: str | None = None  # the class id of a method; the enclosing function of a dispatch branch
    methods: dict[str, str] = field(default_factory=dict)  # for classes: name -> method id


Binding = str | ModuleRef  # a definition/external id, or a module


@dataclass
class ModuleSymbols:
    """The global namespace of one module."""

    module: SourceModule
    bindings: dict[str, Binding]  # every global name, after import resolution is deferred
    imports: dict[str, tuple[str, str | None, int]]  # local name -> (absolute module, attribute or None, level)
    statements: list[str]  # ids of module-level bare statements (run at import)
    star_imports: list[str]


class SymbolTable:
    """Definitions and bindings of every module of one code tree."""

    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        self.definitions: dict[str, Definition] = {}
        self.modules: dict[str, ModuleSymbols] = {}
        for module in tree.modules.values():
            self.modules[module.name] = self._collect(module)

    # ----------------------------------------------------------------------------------- collection
    def _collect(self, module: SourceModule) -> ModuleSymbols:
        symbols = ModuleSymbols(module, {}, {}, [], [])
        self._collect_block(module.tree.body, symbols)
        return symbols

    def _collect_block(self, body: list[ast.stmt], symbols: ModuleSymbols) -> None:
        mod = symbols.module.name
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                def_id = f"{mod}.{stmt.name}"
                shadowed = self.definitions.get(def_id)
                if shadowed is not None and shadowed.kind == "function" and _decorated(shadowed):
                    # `@app.get("/a") def handler` then `@app.get("/b") def handler`: each decorator registered
                    # its function before the name was rebound, so the first one lives on as `mod.name@LINE`.
                    shadowed.id = f"{def_id}@{shadowed.line}"
                    self.definitions[shadowed.id] = shadowed
                self._add(symbols, Definition(def_id, mod, stmt.name, "function", [stmt], stmt.lineno))
            elif isinstance(stmt, ast.ClassDef):
                self._add_class(symbols, stmt)
            elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                    continue
                for name in _bound_names(targets):
                    def_id = f"{mod}.{name}"
                    existing = self.definitions.get(def_id)
                    if existing and existing.kind == "assignment":
                        existing.nodes.append(stmt)
                    else:
                        self._add(symbols, Definition(def_id, mod, name, "assignment", [stmt], stmt.lineno))
            elif isinstance(stmt, ast.Import | ast.ImportFrom):
                self._collect_import(stmt, symbols)
            elif isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
                continue
            elif isinstance(stmt, ast.If | ast.While):
                self._statement(symbols, stmt.test, stmt.lineno)
                self._collect_block(stmt.body, symbols)
                self._collect_block(stmt.orelse, symbols)
            elif isinstance(stmt, ast.Try | ast.TryStar):
                self._collect_block(stmt.body, symbols)
                for handler in stmt.handlers:
                    self._collect_block(handler.body, symbols)
                self._collect_block(stmt.orelse, symbols)
                self._collect_block(stmt.finalbody, symbols)
            elif isinstance(stmt, ast.With | ast.AsyncWith | ast.For | ast.AsyncFor):
                heads: list[ast.AST] = (
                    [item.context_expr for item in stmt.items]
                    if isinstance(stmt, ast.With | ast.AsyncWith)
                    else [stmt.iter]
                )
                for head in heads:
                    self._statement(symbols, head, stmt.lineno)
                self._collect_block(stmt.body, symbols)
            elif isinstance(stmt, ast.Expr) and not (
                isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)
            ):
                self._statement(symbols, stmt, stmt.lineno)

    def _statement(self, symbols: ModuleSymbols, node: ast.AST, line: int) -> None:
        mod = symbols.module.name
        def_id = f"{mod}:<statement:{line}>"
        if def_id in self.definitions:
            self.definitions[def_id].nodes.append(node)
            return
        self.definitions[def_id] = Definition(def_id, mod, f"<statement:{line}>", "statement", [node], line)
        symbols.statements.append(def_id)

    def _add(self, symbols: ModuleSymbols, definition: Definition) -> None:
        self.definitions[definition.id] = definition
        symbols.bindings[definition.name] = definition.id
        symbols.imports.pop(definition.name, None)

    def _add_class(self, symbols: ModuleSymbols, stmt: ast.ClassDef) -> None:
        mod = symbols.module.name
        cls = Definition(f"{mod}.{stmt.name}", mod, stmt.name, "class", [stmt], stmt.lineno)
        self._add(symbols, cls)
        for item in stmt.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                method = Definition(
                    f"{cls.id}.{item.name}", mod, item.name, "method", [item], item.lineno, owner=cls.id
                )
                self.definitions[method.id] = method
                cls.methods[item.name] = method.id

    def _collect_import(self, stmt: ast.Import | ast.ImportFrom, symbols: ModuleSymbols) -> None:
        for local, target, attr in import_targets(stmt, symbols.module):
            if local == "*":
                symbols.star_imports.append(target)
                continue
            symbols.bindings.pop(local, None)
            symbols.imports[local] = (target, attr, stmt.lineno)

    # ----------------------------------------------------------------------------------- resolution
    def resolve_global(self, module: str, name: str, _seen: frozenset[tuple[str, str]] = frozenset()) -> Binding | None:
        """What a global `name` of `module` refers to: a definition id, an external id or a module."""
        symbols = self.modules.get(module)
        if symbols is None or (module, name) in _seen:
            return self._submodule(module, name)
        seen = _seen | {(module, name)}
        if name in symbols.bindings:
            return symbols.bindings[name]
        if name in symbols.imports:
            target, attr, _ = symbols.imports[name]
            return self.resolve_import(target, attr, seen)
        for star in symbols.star_imports:
            found = self.resolve_global(star, name, seen) if star in self.modules else None
            if found is not None and not name.startswith("_"):
                return found
        return self._submodule(module, name)

    def _submodule(self, module: str, name: str) -> ModuleRef | None:
        candidate = f"{module}.{name}"
        return ModuleRef(candidate) if self.is_project_module(candidate) else None

    def is_project_module(self, name: str) -> bool:
        """A module of the tree, or a namespace package (a folder without `__init__.py`) above one."""
        return name in self._packages

    def method_of(self, cls: str, name: str, seen: frozenset[str] = frozenset()) -> str | None:
        """The method `name` an instance of class `cls` has: its own, else its project bases' (in order)."""
        definition = self.definitions.get(cls)
        if definition is None or definition.kind != "class" or cls in seen:
            return None
        if name in definition.methods:
            return definition.methods[name]
        for base in getattr(definition.nodes[0], "bases", []):
            target = self.resolve_expression(definition.module, base)
            if isinstance(target, str) and (found := self.method_of(target, name, seen | {cls})):
                return found
        return None

    @functools.cached_property
    def method_names(self) -> frozenset[str]:
        """The name of every method of every project class."""
        return frozenset(d.name for d in self.definitions.values() if d.kind == "method")

    @functools.cached_property
    def _packages(self) -> frozenset[str]:
        names = set()
        for module in self.tree.modules:
            parts = module.split(".")
            names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        return frozenset(names)

    def resolve_import(
        self, target: str, attr: str | None, seen: frozenset[tuple[str, str]] = frozenset()
    ) -> Binding | None:
        """Resolve `import target` (attr None) or `from target import attr`."""
        if attr is None:
            return ModuleRef(target) if self.is_project_module(target) else ModuleRef(external(target))
        if self.is_project_module(f"{target}.{attr}"):
            return ModuleRef(f"{target}.{attr}")
        if self.is_project_module(target):
            return self.resolve_global(target, attr, seen)
        return external(target)

    def resolve_attribute(self, base: Binding, attr: str) -> Binding | None:
        """`base.attr` where base is a module or a class."""
        if isinstance(base, str) and is_external(base):
            return base
        if isinstance(base, ModuleRef):
            if is_external(base.name):
                return base.name
            return self.resolve_global(base.name, attr)
        definition = self.definitions.get(base)
        if definition is not None and definition.kind == "class":
            return definition.methods.get(attr)
        return None

    def resolve_expression(self, module: str, expr: ast.AST, local: dict[str, Binding] | None = None) -> Binding | None:
        """Resolve a Name or dotted Attribute chain in `module` (with optional local bindings first)."""
        if isinstance(expr, ast.Name):
            if local is not None and expr.id in local:
                return local[expr.id]
            return self.resolve_global(module, expr.id)
        if isinstance(expr, ast.Attribute):
            base = self.resolve_expression(module, expr.value, local)
            return self.resolve_attribute(base, expr.attr) if base is not None else None
        return None

    def parents(self, module: str) -> Iterator[str]:
        """Parent packages of `module` that exist in the tree (have an `__init__.py`)."""
        parts = module.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent in self.modules and self.modules[parent].module.is_package:
                yield parent


def import_targets(stmt: ast.Import | ast.ImportFrom, module: SourceModule) -> Iterator[tuple[str, str, str | None]]:
    """(local name, absolute module, attribute) for each name an import statement binds."""
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                yield alias.asname, alias.name, None
            else:
                top = alias.name.split(".")[0]
                yield top, top, None
        return
    base = absolute_module(stmt.module, stmt.level, module)
    for alias in stmt.names:
        yield alias.asname or alias.name, base, None if alias.name == "*" else alias.name


def absolute_module(name: str | None, level: int, module: SourceModule) -> str:
    if level == 0:
        return name or ""
    package = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
    if level > 1:
        package = package[: len(package) - (level - 1)]
    return ".".join([*package, name] if name else package)


def _bound_names(targets: list[ast.expr]) -> Iterator[str]:
    for target in targets:
        if isinstance(target, ast.Name):
            yield target.id
        elif isinstance(target, ast.Tuple | ast.List):
            yield from _bound_names(list(target.elts))
        elif isinstance(target, ast.Starred):
            yield from _bound_names([target.value])


def _decorated(definition: Definition) -> bool:
    node = definition.nodes[0]
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and bool(node.decorator_list)


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )
