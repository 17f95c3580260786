"""git, for the pull request: commits built in a temporary worktree, never in the user's own.

`Repository` runs the git command line (the one git the user has: their config, their hooks' absence
aside) and never touches the user's current branch, index or working tree:

- `worktree(commit)` checks `commit` out, detached, into a temporary folder (`git worktree add --detach`)
  and removes it afterwards, whatever happened (`git worktree remove --force`, then `prune`);
- `commit(worktree, paths, message)` stages exactly `paths` there (`add --all --force`: a generated file
  the user's `.gitignore` happens to match is still part of the change) and commits without running hooks
  (`--no-verify`: a user's pre-commit hook should judge the branch in CI, not half-way through it);
- `create_branch(name, commit)` makes the branch only at the very end, with `update-ref` and an empty old
  value, so it fails rather than move a branch that appeared meanwhile; an interrupted run leaves no branch.

Nothing else in decompose runs git, apart from the writer's dirty-tree check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from decompose.errors import DecomposeError, UsageError

FALLBACK_IDENTITY = ("decompose", "decompose@localhost")  # only when git knows no user.name/user.email


class GitError(DecomposeError):
    """A git command failed; the message carries git's own first line."""


@dataclass(frozen=True)
class Change:
    """One path of `git status --porcelain`, relative to the repository root; `ignored` for `!!` entries."""

    path: str
    ignored: bool = False


class Repository:
    """The git repository holding `path` (its top-level folder is `root`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def of(cls, path: Path) -> Repository:
        """The repository around `path`; a `UsageError` when git is missing or `path` is not in a repository."""
        folder = path if path.is_dir() else path.parent
        if shutil.which("git") is None:
            raise UsageError("git is not installed: `decompose pr` needs a git repository")
        done = _git(folder, "rev-parse", "--show-toplevel", check=False)
        if done.returncode != 0:
            raise UsageError(f"{path}: not inside a git repository (git init, commit, then decompose pr)")
        return cls(Path(done.stdout.strip()).resolve())

    def run(self, *args: str, cwd: Path | None = None, check: bool = True) -> str:
        """git's stdout for `args` (run in the repository, or in `cwd`); a failure raises `GitError`."""
        return _git(cwd or self.root, *args, check=check).stdout

    def relative(self, path: Path) -> str:
        """`path` relative to the repository root, in POSIX form (`.` for the root itself)."""
        return Path(os.path.relpath(path.resolve(), self.root)).as_posix()

    @property
    def git_dir(self) -> Path:
        """The common git directory (shared by every worktree)."""
        return (self.root / self.run("rev-parse", "--git-common-dir").strip()).resolve()

    def resolve(self, revision: str) -> str | None:
        """The commit `revision` names, None when it names none."""
        done = _git(self.root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def head(self) -> str | None:
        return self.resolve("HEAD")

    def current_branch(self) -> str | None:
        done = _git(self.root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def branch_exists(self, name: str) -> bool:
        return _git(self.root, "show-ref", "--verify", "--quiet", f"refs/heads/{name}", check=False).returncode == 0

    def valid_branch_name(self, name: str) -> bool:
        return _git(self.root, "check-ref-format", "--branch", name, check=False).returncode == 0

    def default_base(self, remote: str = "origin") -> str | None:
        """The branch a pull request goes to by default: the remote's HEAD, else `main`, else `master`."""
        done = _git(self.root, "symbolic-ref", "--quiet", "--short", f"refs/remotes/{remote}/HEAD", check=False)
        if done.returncode == 0 and done.stdout.strip():
            name = done.stdout.strip().removeprefix(f"{remote}/")
            if self.branch_exists(name):
                return name
        return next((n for n in ("main", "master") if self.branch_exists(n)), None)

    def status(self, under: str = ".", *, ignored: bool = False) -> list[Change]:
        """Uncommitted and untracked paths under `under` (relative to the root); ignored ones too if asked."""
        args = ["status", "--porcelain", "-z", "--untracked-files=all"]
        if ignored:
            args.append("--ignored=matching")
        out = self.run(*args, "--", under)
        changes = []
        entries = iter(out.split("\0"))
        for entry in entries:
            if not entry:
                continue
            code, name = entry[:2], entry[3:]
            if "R" in code or "C" in code:
                next(entries, None)  # a rename carries its old path as the next field
            changes.append(Change(name, ignored=code == "!!"))
        return changes

    def remotes(self) -> list[str]:
        return self.run("remote").split()

    @contextmanager
    def worktree(self, commit: str) -> Iterator[Path]:
        """A temporary, detached checkout of `commit`, removed on exit."""
        scratch = Path(tempfile.mkdtemp(prefix="decompose-pr-"))
        folder = scratch / "worktree"
        try:
            self.run("worktree", "add", "--detach", "--quiet", str(folder), commit)
            yield folder
        finally:
            _git(self.root, "worktree", "remove", "--force", str(folder), check=False)
            shutil.rmtree(scratch, ignore_errors=True)
            _git(self.root, "worktree", "prune", check=False)

    def commit(self, worktree: Path, paths: Collection[str], message: str) -> str:
        """Commit exactly `paths` (relative to the root) in `worktree`; the new commit's id."""
        for chunk in _chunks(sorted(paths)):
            self.run("add", "--all", "--force", "--", *chunk, cwd=worktree)
        self.run("commit", "--quiet", "--no-verify", "-m", message, cwd=worktree, check=True)
        return self.run("rev-parse", "HEAD", cwd=worktree).strip()

    def identity_missing(self) -> bool:
        """Whether git has no committer identity here (then commits are made as `FALLBACK_IDENTITY`)."""
        return _identity_unknown(str(self.root))

    def create_branch(self, name: str, commit: str) -> None:
        """Create `refs/heads/<name>` at `commit`; fails if it exists (it is never moved)."""
        self.run("update-ref", "-m", "decompose pr", f"refs/heads/{name}", commit, "")

    def push(self, remote: str, branch: str) -> str:
        """Push `branch` to `remote` (and make it the branch's upstream); git's own report."""
        done = _git(self.root, "push", "--porcelain", "--set-upstream", remote, f"refs/heads/{branch}", check=True)
        return done.stdout

    def log(self, base: str, tip: str) -> list[tuple[str, str]]:
        """(id, subject) of each commit from `base` (excluded) to `tip`, oldest first."""
        out = self.run("log", "--reverse", "--format=%H%x00%s", f"{base}..{tip}")
        return [tuple(line.split("\0", 1)) for line in out.splitlines() if line]  # type: ignore[misc]


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    if _needs_identity(cwd, env):
        env.update(
            GIT_AUTHOR_NAME=FALLBACK_IDENTITY[0],
            GIT_AUTHOR_EMAIL=FALLBACK_IDENTITY[1],
            GIT_COMMITTER_NAME=FALLBACK_IDENTITY[0],
            GIT_COMMITTER_EMAIL=FALLBACK_IDENTITY[1],
        )
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False, stdin=subprocess.DEVNULL
        )
    except OSError as error:
        raise GitError(f"cannot run git: {error}") from error
    if check and done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), f"exit {done.returncode}")
        raise GitError(f"git {args[0]} failed: {first.strip()}")
    return done


def _needs_identity(cwd: Path, env: dict[str, str]) -> bool:
    """Only `git commit` needs an identity; ask git once per call whether it has one."""
    return False if "GIT_COMMITTER_EMAIL" in env else _identity_unknown(str(cwd))


_IDENTITY: dict[str, bool] = {}


def _identity_unknown(cwd: str) -> bool:
    if cwd not in _IDENTITY:
        probe = subprocess.run(
            ["git", "var", "GIT_COMMITTER_IDENT"], cwd=cwd, capture_output=True, text=True, check=False
        )
        _IDENTITY[cwd] = probe.returncode != 0
    return _IDENTITY[cwd]


def _chunks(items: Sequence[str], size: int = 200) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
