"""`changes.git.Repository` on real repositories: status, temporary worktrees, branches that are never moved."""

from __future__ import annotations

from pathlib import Path

import pytest

from decompose.changes.git import GitError, Repository
from decompose.errors import UsageError
from tests.git_repos import commit_all, git, repository, state


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A clone of a bare remote with two committed files."""
    work, _ = repository(tmp_path)
    (work / "app").mkdir()
    (work / "app" / "a.py").write_text("A = 1\n", encoding="utf-8")
    (work / "b.txt").write_text("b\n", encoding="utf-8")
    commit_all(work)
    return work


def test_status_lists_changes_under_a_folder_renames_once(work: Path) -> None:
    """Modified, untracked and renamed paths under `app` (the rename by its new path), nothing outside it."""
    (work / "app" / "a.py").write_text("A = 2\n", encoding="utf-8")
    (work / "app" / "new.py").write_text("", encoding="utf-8")
    (work / "b.txt").write_text("changed\n", encoding="utf-8")
    git(work, "mv", "app/a.py", "app/moved.py")
    repo = Repository.of(work / "app")
    assert sorted(c.path for c in repo.status("app")) == ["app/moved.py", "app/new.py"]


def test_status_reports_ignored_files_only_when_asked(work: Path) -> None:
    """An ignored file is `ignored` with `ignored=True`, absent otherwise."""
    (work / ".gitignore").write_text("*.log\n", encoding="utf-8")
    commit_all(work, "ignore logs")
    (work / "app" / "x.log").write_text("", encoding="utf-8")
    repo = Repository.of(work)
    assert repo.status("app") == []
    assert [(c.path, c.ignored) for c in repo.status("app", ignored=True)] == [("app/x.log", True)]


def test_a_worktree_is_removed_even_when_the_work_fails(work: Path) -> None:
    """A failure inside the temporary worktree leaves no worktree, no folder and the user's state as it was."""
    repo = Repository.of(work)
    before = state(work)
    used: list[Path] = []

    def fail_inside() -> None:
        with repo.worktree(repo.head() or "HEAD") as tree:
            used.append(tree)
            (tree / "b.txt").write_text("scratch\n", encoding="utf-8")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_inside()
    assert used
    assert not used[0].exists()
    assert git(work, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert state(work) == before


def test_commits_in_a_worktree_become_a_branch_that_is_never_moved(work: Path) -> None:
    """A commit made in the worktree is on the new branch; creating the branch again fails and leaves it."""
    repo = Repository.of(work)
    base = repo.head() or ""
    with repo.worktree(base) as tree:
        (tree / "app" / "c.py").write_text("C = 3\n", encoding="utf-8")
        sha = repo.commit(tree, ["app/c.py"], "add c")
    repo.create_branch("topic", sha)
    assert repo.log(base, "topic") == [(sha, "add c")]
    with pytest.raises(GitError, match="git update-ref failed"):
        repo.create_branch("topic", base)
    assert repo.resolve("topic") == sha
    assert not (work / "app" / "c.py").exists()


def test_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    """A folder git does not know: a `UsageError` saying so."""
    with pytest.raises(UsageError, match="not inside a git repository"):
        Repository.of(tmp_path)


def test_the_default_base_follows_the_remote_head(work: Path) -> None:
    """origin/HEAD names main: the default base is main; without main or master there is none."""
    repo = Repository.of(work)
    git(work, "remote", "set-head", "origin", "main")
    assert repo.default_base() == "main"
    git(work, "checkout", "--quiet", "-b", "trunk")
    git(work, "branch", "--quiet", "-D", "main")
    git(work, "remote", "set-head", "origin", "--delete")
    assert repo.default_base() is None
