"""Real git repositories for the pull-request tests: a clone of a bare remote, holding an app, committed on main."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
}


def git(cwd: Path, *args: str) -> str:
    """git's stdout; a failure fails the test with git's stderr."""
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def repository(tmp_path: Path) -> tuple[Path, Path]:
    """An empty clone (`work`) of a bare remote (`remote.git`), with a committer identity of its own."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    work = tmp_path / "work"
    git(tmp_path, "clone", "--quiet", str(remote), str(work))
    git(work, "config", "user.name", IDENTITY["GIT_AUTHOR_NAME"])
    git(work, "config", "user.email", IDENTITY["GIT_AUTHOR_EMAIL"])
    git(work, "checkout", "--quiet", "-B", "main")
    return work, remote


def commit_all(work: Path, message: str = "the app", *, push: bool = True) -> str:
    """Commit everything in `work` on its branch (and push it); the new commit's id."""
    git(work, "add", "--all")
    git(work, "commit", "--quiet", "-m", message)
    if push:
        git(work, "push", "--quiet", "origin", "HEAD")
    return git(work, "rev-parse", "HEAD").strip()


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` outside `.git`, by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def state(work: Path) -> tuple[str, str, str, str, dict[str, bytes]]:
    """What `decompose pr` must leave as it was: HEAD, the current branch, the index, `git status`, the files."""
    return (
        git(work, "rev-parse", "HEAD"),
        git(work, "symbolic-ref", "HEAD"),
        git(work, "ls-files", "--stage"),
        git(work, "status", "--porcelain", "--untracked-files=all"),
        snapshot(work),
    )
