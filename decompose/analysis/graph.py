"""The definition graph: which project definitions, modules and external packages each definition uses.

Nodes are the ids of `symbols.SymbolTable` plus `mod:<name>` for each module (importing it runs its bare
statements and its parent packages) and `ext:<top-level>` for external packages. An edge `a -> b` means
"running or defining `a` needs `b`". Two facts cannot be edges and are applied during the walk instead:
a class method is reached when its class is reached *and* an attribute of its name is used by reached code
(`repo.save()`), and the dynamic constructs (`getattr` with a computed name, `eval`, `importlib`) are
recorded per node so every route that reaches them gets a finding.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from decompose.analysis.symbols import Binding, Definition, ModuleRef, SymbolTable, import_targets, is_external
from decompose.analysis.walk import children, descendants

MODULE = "mod:"
DUNDER_ALWAYS = frozenset({"__init__", "__post_init__", "__call__", "__new__", "__init_subclass__", "__set_name__"})
DYNAMIC_CALLS = {
    "eval": "eval() of a computed string",
    "exec": "exec() of a computed string",
    "__import__": "__import__() of a computed module name",
}


@dataclass(frozen=True)
class DynamicUse:
    line: int
    message: str


@dataclass
class NodeFacts:
    """What one definition uses, as found in its AST."""

    targets: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)
    dynamic: list[DynamicUse] = field(default_factory=list)


@dataclass(frozen=True)
class Reached:
    """The closure of one entry: every node id it reaches, and the dynamic uses met on the way."""

    nodes: frozenset[str]
    dynamic: tuple[tuple[str, DynamicUse], ...]  # (definition id, use)


class DefinitionGraph:
    """A networkx DiGraph over the definitions of one code tree, plus the facts edges cannot carry."""

    def __init__(self, symbols: SymbolTable, ignored: Iterable[ast.AST] = ()) -> None:
        self.symbols = symbols
        self._ignored = {id(node) for node in ignored}
        self.graph: nx.DiGraph = nx.DiGraph()
        self.facts: dict[str, NodeFacts] = {}
        self._scopes: dict[str, Scope] = {}
        for module in symbols.modules.values():
            name = module.module.name
            self.graph.add_node(MODULE + name)
            for statement in module.statements:
                self.graph.add_edge(MODULE + name, statement)
            for parent in symbols.parents(name):
                self.graph.add_edge(MODULE + name, MODULE + parent)
        for definition in list(symbols.definitions.values()):
            self._add_definition(definition)

    def _add_definition(self, definition: Definition) -> None:
        collector = _Collector(self.symbols, definition.module, self._ignored)
        facts = collector.collect(definition)
        self.facts[definition.id] = facts
        self._scopes[definition.id] = Scope(collector)  # its locals are known now: no second walk
        self.graph.add_node(definition.id)
        self.graph.add_edge(definition.id, MODULE + definition.module)
        if definition.owner:
            self.graph.add_edge(definition.id, definition.owner)
        for target in facts.targets:
            self.graph.add_edge(definition.id, target)

    def add_lambda(self, module: str, node: ast.Lambda) -> str:
        """Make a lambda (a dispatch-table value, say) a node of its own and return its id."""
        def_id = f"{module}.<lambda:{node.lineno}>"
        if def_id not in self.symbols.definitions:
            definition = Definition(def_id, module, f"<lambda:{node.lineno}>", "lambda", [node], node.lineno)
            self.symbols.definitions[def_id] = definition
            self._add_definition(definition)
        return def_id

    def scope(self, definition: Definition) -> Scope:
        """Name resolution inside one function, for reading the statements of a dispatch branch (cached)."""
        if definition.id not in self._scopes:
            collector = _Collector(self.symbols, definition.module, self._ignored)
            for node in definition.nodes:
                collector._scope(node)
            self._scopes[definition.id] = Scope(collector)
        return self._scopes[definition.id]

    def add_branch(self, node_id: str, enclosing: Definition, body: list[ast.stmt], facts: NodeFacts) -> None:
        """A dispatch branch as a node of its own *and* a definition of kind "branch" (`owner` is the
        function it is in, whose scope it reads), so the IAM stage infers what its own statements call."""
        self.add_pseudo(node_id, facts)
        line = body[0].lineno if body else enclosing.line
        branch = Definition(node_id, enclosing.module, node_id, "branch", list(body), line, owner=enclosing.id)
        self.symbols.definitions[node_id] = branch
        self._scopes[node_id] = self.scope(enclosing)

    def add_pseudo(self, node_id: str, facts: NodeFacts, targets: Iterable[str] = ()) -> None:
        """A node for code that is not a definition (a dispatch branch): what it uses, and extra targets."""
        self.facts[node_id] = facts
        self.graph.add_node(node_id)
        for target in [*facts.targets, *targets]:
            self.graph.add_edge(node_id, target)

    def reach(self, *entries: str) -> Reached:
        """Every node reachable from `entries`, applying the method-by-attribute-name rule."""
        reached: set[str] = set()
        attributes: set[str] = set()
        classes: list[Definition] = []
        dynamic: list[tuple[str, DynamicUse]] = []
        work = list(entries)
        while work:
            node = work.pop()
            if node in reached:
                continue
            reached.add(node)
            work.extend(self.graph.successors(node) if node in self.graph else ())
            facts = self.facts.get(node)
            definition = self.symbols.definitions.get(node)
            if facts:
                dynamic.extend((node, use) for use in facts.dynamic)
                new = facts.attributes - attributes
                attributes |= new
                for cls in classes:
                    work.extend(cls.methods[name] for name in new if name in cls.methods)
            if definition is not None and definition.kind == "class":
                classes.append(definition)
                work.extend(
                    method for name, method in definition.methods.items() if name in attributes or name in DUNDER_ALWAYS
                )
        return Reached(frozenset(reached), tuple(dynamic))


class Scope:
    """Resolves expressions and collects references as the body of one function sees them."""

    def __init__(self, collector: _Collector) -> None:
        self._collector = collector
        self._names: dict[str, Binding | None] = {}
        self._nodes: dict[int, tuple[ast.expr, Binding | None]] = {}

    def resolve(self, expr: ast.expr) -> Binding | None:
        """What a Name or dotted Attribute chain of this function refers to (memoised per node)."""
        cached = self._nodes.get(id(expr))
        if cached is not None and cached[0] is expr:
            return cached[1]
        found = self._collector._resolve_chain(expr)
        self._nodes[id(expr)] = (expr, found)  # the node is kept, so its id cannot be reused
        return found

    def is_local(self, name: str) -> bool:
        """Whether `name` is bound inside this function (a parameter, an assignment, a local import)."""
        return name in self._collector.locals or name in self._collector.local_imports

    def resolve_name(self, name: str) -> Binding | None:
        """What a bare name means inside this function (memoised)."""
        if name not in self._names:
            self._names[name] = self._collector._resolve_name(name)
        return self._names[name]

    def references(self, nodes: Iterable[ast.AST]) -> NodeFacts:
        """The targets, attribute names and dynamic uses of `nodes`, read in this scope."""
        collector = self._collector
        saved = collector.facts
        collector.facts = NodeFacts()
        try:
            for node in nodes:
                collector.visit(node)
            return collector.facts
        finally:
            collector.facts = saved


class _Collector(ast.NodeVisitor):
    """Collects the references of one definition's AST, resolved against the symbol table."""

    def __init__(self, symbols: SymbolTable, module: str, ignored: set[int]) -> None:
        self.symbols = symbols
        self.module = module
        self.ignored = ignored
        self.facts = NodeFacts()
        self.locals: set[str] = set()
        self.local_imports: dict[str, Binding] = {}

    def collect(self, definition: Definition) -> NodeFacts:
        for node in definition.nodes:
            if id(node) in self.ignored:
                continue
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._function(node)
            elif isinstance(node, ast.ClassDef):
                self._class(node)
            elif isinstance(node, ast.Lambda):
                self._scope(node)
                self.visit(node.body)
            else:
                self.visit(node)
        return self.facts

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            if id(decorator) not in self.ignored:
                self.visit(decorator)
        self._visit_arguments(node.args)
        if node.returns:
            self.visit(node.returns)
        self._scope(node)
        for stmt in node.body:
            self.visit(stmt)

    def _class(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            if id(expr) not in self.ignored:
                self.visit(expr)
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                continue  # methods are nodes of their own
            self.visit(stmt)

    def _visit_arguments(self, args: ast.arguments) -> None:
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.visit(default)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation)

    def _scope(self, node: ast.AST) -> None:
        """Names bound anywhere inside `node` (parameters, assignments, imports) are locals."""
        for inner in descendants(node):
            if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store | ast.Del):
                self.locals.add(inner.id)
            elif isinstance(inner, ast.arg):
                self.locals.add(inner.arg)
            elif isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and inner is not node:
                self.locals.add(inner.name)
            elif isinstance(inner, ast.ExceptHandler) and inner.name:
                self.locals.add(inner.name)
            elif isinstance(inner, ast.Import | ast.ImportFrom):
                source = self.symbols.modules[self.module].module
                for local, target, attr in import_targets(inner, source):
                    resolved = self.symbols.resolve_import(target, attr)
                    if local != "*" and resolved is not None:
                        self.local_imports[local] = resolved
            elif isinstance(inner, ast.Global | ast.Nonlocal):
                self.locals.difference_update(inner.names)

    # ------------------------------------------------------------------------------------- visitors
    def visit(self, node: ast.AST) -> None:
        """Visit `node` unless it only registers routes (a framework decorator or mount, anywhere).

        `ast.NodeVisitor`'s dispatch (`visit_<class name>`, else `generic_visit`) without building the method
        name and looking it up for every node: the visitors are few and known."""
        if id(node) not in self.ignored:
            method = _VISITORS.get(node.__class__.__name__)
            if method is None:
                self.generic_visit(node)
            else:
                method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        """`ast.NodeVisitor.generic_visit`: every child in field order (`walk.children`, no generators)."""
        for child in children(node):
            self.visit(child)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:  # nested function: same definition
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._visit_arguments(node.args)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]  # noqa: N815 - ast.NodeVisitor's naming

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            return
        self._add(self._resolve_name(node.id))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.facts.attributes.add(node.attr)
        resolved = self._resolve_chain(node)
        if resolved is not None:
            self._add(resolved)
        else:
            self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        self._check_dynamic(node)
        self.generic_visit(node)

    # ------------------------------------------------------------------------------------- helpers
    def _resolve_name(self, name: str) -> Binding | None:
        if name in self.local_imports:
            return self.local_imports[name]
        if name in self.locals:
            return None
        return self.symbols.resolve_global(self.module, name)

    def _resolve_chain(self, node: ast.expr) -> Binding | None:
        if isinstance(node, ast.Name):
            return self._resolve_name(node.id)
        if isinstance(node, ast.Attribute):
            base = self._resolve_chain(node.value)
            return self.symbols.resolve_attribute(base, node.attr) if base is not None else None
        return None

    def _add(self, binding: Binding | None) -> None:
        if binding is None:
            return
        if isinstance(binding, ModuleRef):
            self.facts.targets.add(binding.name if is_external(binding.name) else MODULE + binding.name)
        else:
            self.facts.targets.add(binding)

    def _check_dynamic(self, call: ast.Call) -> None:
        func = call.func
        name = func.id if isinstance(func, ast.Name) else None
        first = call.args[0] if call.args else None
        literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
        if name == "getattr" and len(call.args) >= 2:
            attr = call.args[1]
            if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
                self.facts.attributes.add(attr.value)
                module = self._imported_module(call.args[0])
                if module is not None:  # getattr(importlib.import_module("pkg.mod"), "Impl")
                    self._add(self.symbols.resolve_attribute(module, attr.value))
            else:
                self.facts.dynamic.append(DynamicUse(call.lineno, "getattr() with a computed attribute name"))
        elif name in DYNAMIC_CALLS and not self._is_local(name) and not (name == "__import__" and literal):
            self.facts.dynamic.append(DynamicUse(call.lineno, DYNAMIC_CALLS[name]))
        elif self._is_import_module(func) and not literal:
            self.facts.dynamic.append(DynamicUse(call.lineno, "importlib.import_module() of a computed module name"))
        elif self._is_import_module(func) and first is not None:
            self._add(self._imported_module(call))

    def _imported_module(self, node: ast.expr) -> ModuleRef | None:
        """The module `importlib.import_module("a.b")` (a literal, absolute name) imports."""
        if not (isinstance(node, ast.Call) and self._is_import_module(node.func) and node.args):
            return None
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)) or first.value.startswith("."):
            return None
        found = self.symbols.resolve_import(first.value, None)
        return found if isinstance(found, ModuleRef) else None

    def _is_local(self, name: str) -> bool:
        return name in self.locals or self.symbols.resolve_global(self.module, name) is not None

    def _is_import_module(self, func: ast.expr) -> bool:
        return (
            self._resolve_chain(func) == "ext:importlib"
            and isinstance(func, ast.Attribute | ast.Name)
            and (
                (isinstance(func, ast.Attribute) and func.attr == "import_module")
                or (isinstance(func, ast.Name) and func.id == "import_module")
            )
        )


# `_Collector`'s visitors by the class name they visit (ast.NodeVisitor's `visit_Constant` only forwards to
# deprecated visitors and then to `generic_visit`, which is what the fallback does)
_VISITORS = {
    name[len("visit_") :]: method
    for name, method in vars(_Collector).items()
    if name.startswith("visit_") and callable(method)
}
