"""Read and parse the Python files under a function's CodeUri.

A file that cannot be decoded or parsed becomes a finding with its file and line, and the rest of the code
is still analyzed: one bad file must not hide every route.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

from decompose.domain.model import Finding, Location, Severity

SKIPPED_DIRS = frozenset(
    {
        "__pycache__",
        ".venv",
        "venv",
        ".aws-sam",
        "node_modules",
        ".git",
        "tests",
        "test",
        ".pytest_cache",
        "build",
        "dist",
    }
)


@dataclass(frozen=True)
class SourceModule:
    """One parsed Python module: its dotted name relative to the code root, its file and its tree."""

    name: str
    path: str  # relative to the project root, POSIX
    tree: ast.Module
    is_package: bool


@dataclass(frozen=True)
class SourceTree:
    """Every parseable module under one code root, keyed by dotted name."""

    root: str  # the code root relative to the project root
    modules: dict[str, SourceModule]
    findings: tuple[Finding, ...]


def read_sources(project_root: Path, code_root: Path) -> SourceTree:
    """Parse every `.py` file below `code_root` (tests, virtualenvs and build output excluded)."""
    modules: dict[str, SourceModule] = {}
    findings: list[Finding] = []
    for file in sorted(_python_files(code_root)):
        rel = _relative(file, project_root)
        parts = file.relative_to(code_root).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        if not name or not all(part.isidentifier() for part in name.split(".")):
            continue
        try:
            text = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            line = file.read_bytes()[: exc.start].count(b"\n") + 1
            findings.append(
                Finding(
                    "decode-error",
                    Severity.ERROR,
                    f"not UTF-8 ({exc.reason} at byte {exc.start}); file skipped",
                    Location(rel, line),
                )
            )
            continue
        try:
            tree = ast.parse(text, filename=rel)
        except SyntaxError as exc:
            findings.append(
                Finding("syntax-error", Severity.ERROR, f"{exc.msg}; file skipped", Location(rel, exc.lineno))
            )
            continue
        modules[name] = SourceModule(name, rel, tree, is_package)
    return SourceTree(_relative(code_root, project_root), modules, tuple(findings))


def _python_files(code_root: Path) -> list[Path]:
    found: list[Path] = []
    stack = [code_root]
    while stack:
        folder = stack.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                if entry.name not in SKIPPED_DIRS and not entry.name.startswith("."):
                    stack.append(entry)
            elif entry.suffix == ".py" and entry.is_file():
                found.append(entry)
    return found


def _relative(path: Path, root: Path) -> str:
    """`path` relative to the project root; a folder outside it (a layer beside the function) by `../`."""
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()
    return rel or "."
