"""The refactored tree is checked before anyone sees it: it parses, no import cycle runs through a module the
refactor created, and no created module imports the monolith's handler module.

Imports are read statically (module-level `import` / `from ... import`, including those under a top-level
`if`/`try`), over the project's own modules; cycles that were already in the user's code are not the
refactor's and are left alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

from decompose.domain.model import Location
from decompose.errors import RefactorError


def import_graph(texts: dict[str, str]) -> nx.DiGraph:
    """module -> project modules it imports at import time (`texts`: module -> source)."""
    graph = nx.DiGraph()
    modules = set(texts)
    for module, text in texts.items():
        graph.add_node(module)
        tree = ast.parse(text)
        package = module.split(".")
        for node in _module_level(tree.body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = _project(alias.name, modules)
                    if target:
                        graph.add_edge(module, target)
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, package, text)
                for alias in node.names:
                    target = _project(f"{base}.{alias.name}", modules) or _project(base, modules)
                    if target:
                        graph.add_edge(module, target)
    return graph


def _module_level(body: list[ast.stmt]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            out.append(stmt)
        elif isinstance(stmt, ast.If | ast.Try):
            blocks = [stmt.body, stmt.orelse] + ([h.body for h in stmt.handlers] if isinstance(stmt, ast.Try) else [])
            for block in blocks:
                out += _module_level(block)
    return out


def _project(name: str, modules: set[str]) -> str | None:
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def _absolute(node: ast.ImportFrom, package: list[str], text: str) -> str:
    if not node.level:
        return node.module or ""
    del text
    base = package[: len(package) - node.level]
    return ".".join([*base, node.module] if node.module else base)


def check_tree(root: Path, handler_module: str, created: set[str], before: dict[Path, str]) -> None:
    """Raise RefactorError (file:line) if the refactored tree under `root` breaks a rule above."""
    texts: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
            continue
        text = path.read_text(encoding="utf-8")
        try:
            ast.parse(text)
        except SyntaxError as exc:
            raise RefactorError(
                f"the refactor broke this file: {exc.msg}", Location(rel.as_posix(), exc.lineno)
            ) from exc
        parts = rel.with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name and all(p.isidentifier() for p in name.split(".")):
            texts[name] = text
    graph = import_graph(texts)
    for module in sorted(created):
        if graph.has_edge(module, handler_module):
            raise RefactorError(f"{module} imports the monolith's handler module {handler_module}", Location(module))
    old_texts = {}
    for path, text in before.items():
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name and all(p.isidentifier() for p in name.split(".")):
            old_texts[name] = text
    old_cycles = {frozenset(c) for c in nx.simple_cycles(import_graph(old_texts))} if old_texts else set()
    for cycle in nx.simple_cycles(graph):
        if frozenset(cycle) not in old_cycles:
            chain = " -> ".join([*cycle, cycle[0]])
            raise RefactorError(f"the refactor would create an import cycle: {chain}", Location(cycle[0]))
