"""Run the planned moves with rope, in place on the workspace copy.

`rope.refactor.move.create_move` on a top-level name gives a `MoveGlobal`; its changes move the definition
with the imports it needs and rewrite every importer in the project. Destinations must exist, so each is
created first (with `__init__.py` in new packages). Preferences are set explicitly (a user's
`[tool.rope]` must not change what decompose does): `from-global` imports, no `.ropeproject` folder, no
history kept.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from pathlib import Path

from rope.base.exceptions import RopeError
from rope.base.project import Project
from rope.refactor.move import create_move

from decompose.domain.model import Location
from decompose.errors import RefactorError
from decompose.refactoring.moves import Move

IGNORED = [
    ".git",
    ".venv",
    "venv",
    ".aws-sam",
    "node_modules",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    "build",
    "dist",
]


def module_file(module: str) -> str:
    return "/".join(module.split(".")) + ".py"


def run_moves(code_root: Path, moves: Sequence[Move]) -> set[str]:
    """Apply `moves` in order; returns the files (relative to `code_root`) created for destinations."""
    created: set[str] = set()
    project = Project(str(code_root), ropefolder=None)
    # rope resolves imports through sys.path too, parsing boto3 and friends on every move (seconds each);
    # moving project code needs only the project's own modules.
    project.get_python_path_folders = list  # type: ignore[method-assign]
    prefs = project.prefs
    prefs.imports.preferred_import_style = "from-global"
    prefs.set("ignored_resources", IGNORED)
    prefs.set("ignore_syntax_errors", True)
    prefs.set("ignore_bad_imports", True)
    prefs.set("save_history", False)
    prefs.set("max_history_items", 0)
    prefs.set("pull_imports_to_top", False)
    prefs.set("split_imports", False)
    prefs.set("sort_imports_alphabetically", False)
    try:
        for move in moves:
            new = _ensure_module(code_root, move.destination)
            if new:
                created |= new
                project.validate(project.root)  # rope learns about files made outside it
            resource = project.get_resource(module_file(move.source))
            offset = _offset(resource.read(), move)
            clash = _clashes(code_root, move)
            prefs.imports.preferred_import_style = "normal-import" if clash else "from-global"
            try:
                changes = create_move(project, resource, offset).get_changes(move.destination)
                project.do(changes)
            except RopeError as exc:
                where = Location(module_file(move.source), move.line)
                raise RefactorError(f"rope cannot move {move.name} to {move.destination}: {exc}", where) from exc
    finally:
        project.close()
    return created


def _clashes(code_root: Path, move: Move) -> bool:
    """Whether `from-global` would bind the moved name in a module that already binds it to something else
    (`payments.router` and `health.router` both used in app.py): then rope keeps `import module` style."""
    source_last = move.source.rsplit(".", 1)[-1]
    for path in code_root.rglob("*.py"):
        if any(p.startswith(".") or p == "__pycache__" for p in path.relative_to(code_root).parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        imports_source = False
        binds_other = False
        for stmt in tree.body:
            if isinstance(stmt, ast.Import):
                imports_source |= any(a.name == move.source for a in stmt.names)
                binds_other |= any((a.asname or a.name.split(".")[0]) == move.name for a in stmt.names)
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    full = f"{stmt.module}.{alias.name}" if stmt.module else alias.name
                    imports_source |= full == move.source or (alias.name == source_last and stmt.level > 0)
                    if (alias.asname or alias.name) == move.name and not (
                        stmt.module == move.source and alias.name == move.name
                    ):
                        binds_other = True
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                binds_other |= stmt.name == move.name
            elif isinstance(stmt, ast.Assign):
                binds_other |= any(isinstance(t, ast.Name) and t.id == move.name for t in stmt.targets)
        if imports_source and binds_other:
            return True
    return False


def _ensure_module(code_root: Path, module: str) -> set[str]:
    created: set[str] = set()
    parts = module.split(".")
    folder = code_root
    for part in parts[:-1]:
        folder = folder / part
        if not folder.exists():
            folder.mkdir()
            init = folder / "__init__.py"
            init.write_text("", encoding="utf-8")
            created.add(init.relative_to(code_root).as_posix())
    path = folder / f"{parts[-1]}.py"
    if not path.exists():
        path.write_text("", encoding="utf-8")  # rope inserts the moved code at the top: docstrings come later
        created.add(path.relative_to(code_root).as_posix())
    return created


def _offset(text: str, move: Move) -> int:
    """The character offset of the moved name in its definition (what `create_move` wants)."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and stmt.name == move.name:
            line = lines[stmt.lineno - 1]
            found = re.search(rf"\b(?:def|class)\s+({re.escape(move.name)})\b", line)
            if found:
                return starts[stmt.lineno - 1] + found.start(1)
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        for target in targets:
            if isinstance(target, ast.Name) and target.id == move.name:
                raw = lines[target.lineno - 1].encode("utf-8")
                column = len(raw[: target.col_offset].decode("utf-8"))
                return starts[target.lineno - 1] + column
    raise RefactorError(f"{move.name} is no longer defined in {move.source}", Location(module_file(move.source)))
