"""The one module that writes the user's tree: a change set, all of it or none of it.

`write` first checks everything, then stages, then commits:

1. **Refuse** (nothing written, `WriteRefusedError`): a path outside the project (absolute, `..`, or
   through a symbolic link), a dirty git tree (unless `force`; a project outside git is allowed; `ignore`
   lists paths whose own state does not count, such as the plan file `apply` reads), a file created over an
   existing file, or a generated file replacing one that does not carry `GENERATED_MARKER` (decompose never
   overwrites a file it did not generate; modifying the user's source is the refactor's change and is
   allowed), and a file that changed on disk since the change set was computed.
2. **Stage**: every new content goes to a temp file beside its target (same directory, so the final rename
   is atomic), with the original's permissions; every original is copied to a backup beside it.
3. **Commit**: `os.replace` each temp file onto its target (deletes move the target to its backup). If any
   step fails, every target already replaced is restored from its backup, new files and new directories
   are removed, and `WriteFailedError` says what failed. On success the backups are removed.

Each file is replaced atomically, so a reader never sees half a file; a crash in the middle of the commit
can leave some files new and some old, with the backups (`.<name>.decompose-backup-*`) beside them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from decompose.domain.model import Location
from decompose.domain.plan import GENERATED_MARKER, ChangeSet, FileChange
from decompose.errors import WriteFailedError, WriteRefusedError

TEMP_TAG = ".decompose-tmp-"
BACKUP_TAG = ".decompose-backup-"


@dataclass(frozen=True)
class WriteResult:
    """What `write` did: the paths it created, modified and deleted (relative to the root)."""

    created: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.created) + len(self.modified) + len(self.deleted)


@dataclass
class _Staged:
    change: FileChange
    target: Path
    temp: Path | None = None
    backup: Path | None = None
    done: bool = False


@dataclass
class _Run:
    staged: list[_Staged] = field(default_factory=list)
    new_dirs: list[Path] = field(default_factory=list)


def write(change_set: ChangeSet, root: Path, *, force: bool = False, ignore: Collection[str] = ()) -> WriteResult:
    """Write every change of `change_set` under `root`, atomically per file and all-or-nothing overall."""
    root = root.resolve()
    if change_set.empty:
        return WriteResult()
    targets = [(change, _target(root, change.path)) for change in change_set.changes]
    if not force:
        _refuse_dirty(root, set(ignore))
    for change, target in targets:
        _refuse_unsafe(change, target)
    run = _Run()
    try:
        for change, target in targets:
            _stage(change, target, run)
        for item in run.staged:
            _commit(item)
    except OSError as error:
        _rollback(run)
        raise WriteFailedError(f"writing failed, nothing was changed: {error}") from error
    except BaseException:
        _rollback(run)
        raise
    for item in run.staged:
        if item.backup is not None:
            item.backup.unlink(missing_ok=True)
    return WriteResult(
        created=tuple(c.path for c in change_set.changes if c.kind == "create"),
        modified=tuple(c.path for c in change_set.changes if c.kind == "modify"),
        deleted=tuple(c.path for c in change_set.changes if c.kind == "delete"),
    )


def _target(root: Path, rel: str) -> Path:
    pure = PurePosixPath(rel)
    if not rel or pure.is_absolute() or ".." in pure.parts or "\\" in rel:
        raise WriteRefusedError("not a path inside the project; nothing was written", Location(rel))
    target = root.joinpath(*pure.parts)
    if not target.parent.resolve().is_relative_to(root) or (
        target.is_symlink() and not target.resolve().is_relative_to(root)
    ):
        raise WriteRefusedError("resolves outside the project (a symbolic link?); nothing was written", Location(rel))
    return target


def _refuse_dirty(root: Path, ignore: set[str]) -> None:
    """A git tree with uncommitted changes (under `root`, other than `ignore`) is refused."""
    try:
        probe = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
        )
    except OSError:
        return  # no git on this machine: nothing to protect against
    if probe.returncode != 0:
        return  # not a git work tree
    status = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "-z", "--untracked-files=all", "--", "."],
        capture_output=True,
        text=True,
        check=False,
    )
    if status.returncode != 0:
        raise WriteRefusedError(f"git status failed: {status.stderr.strip()}; nothing was written")
    top = Path(probe.stdout.strip()).resolve()
    dirty = []
    entries = iter(status.stdout.split("\0"))
    for entry in entries:
        if not entry:
            continue
        code, name = entry[:2], entry[3:]
        if "R" in code or "C" in code:
            next(entries, None)  # a rename carries its old path as the next field
        path = (top / name).resolve()
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else name
        if rel not in ignore:
            dirty.append(rel)
    if dirty:
        shown = ", ".join(sorted(dirty)[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise WriteRefusedError(
            f"the git tree has uncommitted changes ({shown}): commit or stash them, or pass --force; "
            "nothing was written",
            Location(sorted(dirty)[0]),
        )


def _refuse_unsafe(change: FileChange, target: Path) -> None:
    where = Location(change.path)
    exists = target.exists() or target.is_symlink()
    current = _read(target) if target.is_file() else None
    if change.kind == "create" and exists:
        raise WriteRefusedError("appeared since the change set was computed; nothing was written", where)
    if change.kind in ("modify", "delete"):
        if current is None:
            raise WriteRefusedError("no longer exists; nothing was written", where)
        if current != change.before:
            raise WriteRefusedError("changed on disk since the change set was computed; nothing was written", where)
        if change.generated and GENERATED_MARKER not in current:
            raise WriteRefusedError(
                "was not generated by decompose and would be replaced by a generated file; nothing was written", where
            )


def _stage(change: FileChange, target: Path, run: _Run) -> None:
    item = _Staged(change, target)
    run.staged.append(item)
    _make_parents(target.parent, run)
    if target.exists():
        handle, backup = tempfile.mkstemp(prefix=f".{target.name}{BACKUP_TAG}", dir=target.parent)
        os.close(handle)
        item.backup = Path(backup)
        shutil.copy2(target, item.backup)
    if change.after is not None:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}{TEMP_TAG}", dir=target.parent)
        item.temp = Path(temp)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(change.after)
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            shutil.copymode(target, item.temp)
        else:
            os.chmod(item.temp, 0o666 & ~_umask())


def _commit(item: _Staged) -> None:
    if item.temp is not None:
        os.replace(item.temp, item.target)
        item.temp = None
    else:
        item.target.unlink()
    item.done = True


def _rollback(run: _Run) -> None:
    """Put every original back, remove new files and directories and every temp file; best effort."""
    for item in reversed(run.staged):
        try:
            if item.done:
                if item.backup is not None:
                    os.replace(item.backup, item.target)
                    item.backup = None
                else:
                    item.target.unlink(missing_ok=True)
            for leftover in (item.temp, item.backup):
                if leftover is not None:
                    leftover.unlink(missing_ok=True)
        except OSError:
            continue
    for directory in reversed(run.new_dirs):
        try:
            directory.rmdir()
        except OSError:
            continue


def _make_parents(directory: Path, run: _Run) -> None:
    missing = []
    current = directory
    while not current.exists():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        path.mkdir()
        run.new_dirs.append(path)


def _read(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
