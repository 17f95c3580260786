"""The monolith to compare with: the project as it was before the split, from git.

After `apply`, the monolith's code is refactored too: the moved route code lives in modules the monolith
and the new functions share, so comparing them with each other would not see a change to that shared code.
The baseline is therefore the project at the newest commit whose template does not yet declare the functions
being verified (right after `apply`, before committing it: `HEAD`); `--baseline REV` names another. It is
extracted with `git archive` into a temporary folder. Outside a git repository, or when no such commit
exists, the baseline is the working tree's monolith, and the result says so.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from decompose.errors import UsageError

HISTORY = 200  # commits looked at, newest first


@dataclass(frozen=True)
class Baseline:
    root: Path  # the project folder of the baseline (the working tree itself for "working tree")
    label: str  # "git <short revision>" or "working tree"
    note: str | None = None


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    git = shutil.which("git")
    if git is None:
        return subprocess.CompletedProcess(args, 127, b"", b"git not found")
    return subprocess.run([git, "-C", str(root), *args], capture_output=True, check=False, timeout=60)


def find_baseline(root: Path, template: str, functions: Sequence[str], revision: str | None, into: Path) -> Baseline:
    """The baseline project for `functions` (logical ids) of the project at `root`, extracted under `into`."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        if revision is not None:
            raise UsageError(f"--baseline {revision}: {root} is not in a git repository")
        return Baseline(root, "working tree", "not a git repository: the baseline is the working tree's monolith")
    repo = Path(top.stdout.decode().strip())
    prefix = root.resolve().relative_to(repo.resolve()).as_posix()
    path = template if prefix in ("", ".") else f"{prefix}/{template}"
    if revision is None:
        revision = _before_split(root, path, functions)
        if revision is None:
            note = "no commit before the split was found: the baseline is the working tree's (refactored) monolith"
            return Baseline(root, "working tree", note)
    elif _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").returncode != 0:
        raise UsageError(f"--baseline {revision}: no such commit")
    archive = _git(repo, "archive", "--format=tar", revision, "--", prefix if prefix not in ("", ".") else ".")
    if archive.returncode != 0:
        raise UsageError(
            f"--baseline {revision}: git archive failed: {archive.stderr.decode(errors='replace').strip()}"
        )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    short = _git(root, "rev-parse", "--short", revision).stdout.decode().strip() or revision
    return Baseline(into / prefix if prefix not in ("", ".") else into, f"git {short}")


def _before_split(root: Path, path: str, functions: Sequence[str]) -> str | None:
    """The newest commit whose template at `path` declares none of `functions` (any commit: one that left the
    template alone but changed the code is newer than the last that touched the template)."""
    log = _git(root, "log", f"-n{HISTORY}", "--format=%H")
    if log.returncode != 0:
        return None
    for revision in log.stdout.decode().split():
        shown = _git(root, "show", f"{revision}:{path}")
        if shown.returncode != 0:
            continue
        text = shown.stdout.decode("utf-8", errors="replace")
        if not any(_declares(text, f) for f in functions):
            return revision
    return None


def _declares(text: str, logical_id: str) -> bool:
    name = re.escape(logical_id)
    return re.search(rf"^\s+{name}\s*:|\"{name}\"\s*:\s*\{{", text, re.MULTILINE) is not None
