"""A temporary copy of the project that `apply`'s stages change freely, and the change set it amounts to.

Every stage of `apply` (rope's refactor, generated handlers, packages, the template edit) works on the
workspace, never on the user's tree: the user's files change only when `changes.writer` writes the change
set, after everything was computed. The copy leaves out what is not the project (`.git`, virtualenvs,
`.aws-sam` build output, caches); `change_set` compares every file of the copy with the original, so a
stage that changes a file by any means (rope writes files itself) is seen, and a file rewritten with the
same text is no change. Text is compared and kept exactly (no newline translation).

The dry-run report uses a workspace the other way round: `apply_changes` brings a fresh copy to a change set's
result, and `export` copies a folder of it (or a list of its files: one function's package) to a scratch folder
beside it, where the report measures package sizes and times imports without touching the user's tree.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from types import TracebackType

from decompose.domain.model import Finding, FunctionSpec
from decompose.domain.plan import GENERATED_MARKER, ChangeSet, FileChange
from decompose.errors import DecomposeError

SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".aws-sam", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".tox",
     ".nox", "node_modules", ".ropeproject", ".idea", ".vscode"}
)  # fmt: skip
DEFAULT_PART = "refactor"  # a change no stage declared: rope's edits of the user's code


def skipped(name: str) -> bool:
    """Whether a directory of the project is left out of the workspace (and of the change set)."""
    return name in SKIPPED_DIRS or name.startswith((".venv", "venv")) or name.endswith(".egg-info")


class Workspace:
    """A temp copy of `root`; use as a context manager (the copy is deleted on exit)."""

    def __init__(self, root: Path) -> None:
        self.source = root.resolve()
        self._temp: tempfile.TemporaryDirectory[str] | None = None
        self.root = self.source  # replaced by the copy on enter
        self._parts: dict[str, tuple[str, bool]] = {}

    def __enter__(self) -> Workspace:
        self._temp = tempfile.TemporaryDirectory(prefix="decompose-")
        self.root = Path(self._temp.name) / "project"
        shutil.copytree(self.source, self.root, ignore=_ignore, symlinks=True)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._temp is not None:
            self._temp.cleanup()
            self._temp = None

    def code_root(self, spec: FunctionSpec) -> Path:
        """The copy of a function's CodeUri."""
        return self.path(spec.code_uri)

    def path(self, rel: str) -> Path:
        """The workspace path of `rel` (relative, inside the project: `..` or an absolute path is refused)."""
        pure = PurePosixPath(rel.replace(os.sep, "/"))
        if pure.is_absolute() or ".." in pure.parts or not rel:
            raise DecomposeError(f"{rel!r}: not a path inside the project")
        target = self.root / pure
        if not target.resolve().is_relative_to(self.root.resolve()):
            raise DecomposeError(f"{rel!r}: resolves outside the project (a symbolic link?)")
        return target

    def read(self, rel: str) -> str | None:
        """The workspace's current text of `rel`, None when it does not exist."""
        path = self.path(rel)
        return _read(path) if path.is_file() else None

    def write(self, rel: str, text: str, *, part: str, generated: bool = False) -> None:
        """Write `rel` in the workspace and record which stage made it; a generated file must carry the marker."""
        if generated and GENERATED_MARKER not in text:
            raise DecomposeError(f"{rel}: a generated file must carry {GENERATED_MARKER!r}")
        path = self.path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        self._parts[PurePosixPath(rel).as_posix()] = (part, generated)

    def apply_changes(self, change_set: ChangeSet) -> None:
        """Bring the copy to `change_set`'s result: each change's new text written, deleted files removed."""
        for change in change_set.changes:
            path = self.path(change.path)
            if change.after is None:
                path.unlink(missing_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="") as handle:
                handle.write(change.after)

    def export(self, name: str, folder: str, files: Iterable[str] | None = None) -> Path:
        """Copy `files` (relative to `folder`, a folder of the copy; all of it when None) to a new scratch folder
        `name` beside the copy, and return it."""
        if self._temp is None:
            raise DecomposeError("the workspace is closed")
        if not name.isidentifier():
            raise DecomposeError(f"{name!r}: not a scratch folder name")
        source = self.path(folder) if folder not in ("", ".") else self.root
        target = Path(self._temp.name) / "scratch" / name
        if files is None:
            shutil.copytree(source, target, ignore=_ignore, symlinks=True)
            return target
        target.mkdir(parents=True)
        for rel in files:
            pure = PurePosixPath(rel)
            if pure.is_absolute() or ".." in pure.parts:
                raise DecomposeError(f"{rel!r}: not a path inside {folder}")
            (target / pure).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / pure, target / pure)
        return target

    def change_set(self, findings: tuple[Finding, ...] = ()) -> ChangeSet:
        """Every file that differs between the workspace and the original project, sorted by path."""
        if self._temp is None:
            raise DecomposeError("the workspace is closed")
        before = set(_files(self.source))
        after = set(_files(self.root))
        changes = []
        for rel in sorted(before | after):
            old_path, new_path = self.source / rel, self.root / rel
            if rel in before and rel in after and filecmp.cmp(old_path, new_path, shallow=False):
                continue
            part, generated = self._parts.get(rel, (DEFAULT_PART, False))
            old = _read(old_path) if rel in before else None
            new = _read(new_path) if rel in after else None
            if old is not None and GENERATED_MARKER in old and rel not in self._parts:
                generated = True
            changes.append(FileChange(rel, old, new, part, generated))
        return ChangeSet(tuple(changes), findings)


def _ignore(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if skipped(n) and (Path(directory) / n).is_dir()}


def _files(root: Path) -> Iterator[str]:
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not skipped(d))
        base = Path(current)
        for name in files:
            if name.endswith((".pyc", ".pyo")):
                continue
            yield (base / name).relative_to(root).as_posix()


def _read(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except UnicodeDecodeError as error:
        raise DecomposeError(f"{path.name}: changed but not UTF-8 text; decompose only changes text files") from error
