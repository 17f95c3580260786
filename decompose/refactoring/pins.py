"""Definitions the project's own tests reach into by name stay where the tests look for them.

Tests outside the code root are no part of what rope rewrites, and some reach into modules dynamically
(`sys.modules["common.clients"].lambda_client.cache_clear()`), which no refactoring tool can follow. So every
definition a test file names counts as used by the monolith (`REST`) and is never moved as one function's
exclusive code: the tests keep passing. A test file names `module.name` when it imports it
(`from module import name`), uses it through an imported module (`import module; module.name`), or mentions
the module as a string and accesses an attribute `name` anywhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

from decompose.analysis.codebase import Codebase

TEST_DIRS = frozenset({"tests", "test"})
SKIPPED = frozenset({".git", ".venv", "venv", "node_modules", ".aws-sam", "__pycache__", ".pytest_cache"})


def test_files(project_root: Path, code_root: Path) -> list[Path]:
    """Test modules of the project (conftest.py, test_*.py, *_test.py, or anything under tests/)."""
    found: list[Path] = []
    for path in project_root.rglob("*.py"):
        parts = path.relative_to(project_root).parts
        if any(p in SKIPPED or p.startswith(".") for p in parts):
            continue
        under_tests = any(p in TEST_DIRS for p in parts[:-1])
        named = path.name == "conftest.py" or path.name.startswith("test_") or path.stem.endswith("_test")
        if under_tests or named:
            found.append(path)
    del code_root
    return found


def pinned_definitions(codebase: Codebase, project_root: Path, code_root: Path) -> set[str]:
    """Definition ids of the code tree that the project's tests name."""
    symbols = codebase.symbols
    pinned: set[str] = set()
    for path in test_files(project_root, code_root):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        mentioned = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)} & set(
            symbols.modules
        )
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in symbols.modules and not node.level:
                pinned.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                mentioned.update(a.name for a in node.names if a.name in symbols.modules)
        for module in mentioned:
            pinned.update(f"{module}.{name}" for name in attributes)
    return {p for p in pinned if p in symbols.definitions}
