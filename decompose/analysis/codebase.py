"""One code tree, parsed and resolved: what the later stages (refactor, handler generation) re-read.

`analyze` keeps its own copy of these per CodeUri (`pipeline._CodeTree`); the split's stages need the same
view of a tree they have just changed, so they load it again through this one function.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from decompose.analysis.dispatch import Strategies, built_in_strategies
from decompose.analysis.graph import DefinitionGraph
from decompose.analysis.symbols import SymbolTable
from decompose.loading.source import SourceTree, read_sources


@dataclass
class Codebase:
    """The parsed modules of one code root, their symbol table, definition graph and dispatch strategies."""

    root: Path  # the code root (a CodeUri folder)
    sources: SourceTree
    symbols: SymbolTable
    graph: DefinitionGraph
    strategies: Strategies
    registrations: list[ast.AST]  # decorators and statements that only register routes (Powertools)


def load_codebase(code_root: Path, project_root: Path | None = None) -> Codebase:
    """Parse every module under `code_root`; paths in locations are relative to `project_root` (default: the
    code root itself)."""
    sources = read_sources(project_root or code_root, code_root)
    symbols = SymbolTable(sources)
    strategies = built_in_strategies()
    registrations = strategies.prepare(symbols)
    graph = DefinitionGraph(symbols, registrations)
    return Codebase(code_root, sources, symbols, graph, strategies, registrations)
