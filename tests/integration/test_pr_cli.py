"""`decompose pr` against a real git repository with a bare remote: the branch, its commits, the body, the refusals.

Every case checks that the user's side of the repository (HEAD, current branch, index, status, files) is
exactly as it was: the commits are built in a temporary worktree and only a new ref appears.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import main
from tests.git_repos import commit_all, git, repository, snapshot, state
from tests.planning.apps import shop

EXTRACT = ("GET /orders", "S3 UploadsBucket")
BRANCH = "decompose/extract-list-orders-uploads-bucket-s3"


def _run(*args: str, cwd: Path | None = None):
    if cwd is None:
        return CliRunner().invoke(main, list(args))
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args))
    finally:
        os.chdir(previous)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The shop app in `work/shop` of a clone whose remote is a bare repository, committed and pushed on main,
    with a plan (extracting two routes) written but not committed."""
    work, _ = repository(tmp_path)
    shop(work / "shop")
    commit_all(work)
    args = [a for route in EXTRACT for a in ("--extract", route)]
    assert _run("plan", str(work / "shop"), *args).exit_code == 0
    return work / "shop"


def _subjects(work: Path, base: str, branch: str) -> list[str]:
    return git(work, "log", "--reverse", "--format=%s", f"{base}..{branch}").splitlines()


def _paths(work: Path, commit: str) -> list[str]:
    return git(work, "diff-tree", "--no-commit-id", "--name-only", "-r", commit).splitlines()


def _errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("decompose: error:")]


def test_pr_makes_a_branch_of_reviewable_commits_and_leaves_the_user_alone(project: Path) -> None:
    """Four commits (plan, refactor, new functions, template) on a new branch from main; the user's HEAD,
    branch, index, status and files are untouched, no worktree is left, and the body sits in the git dir."""
    work = project.parent
    before = state(work)
    result = _run("pr", str(project))
    assert result.exit_code == 0, result.output
    assert state(work) == before
    assert git(work, "worktree", "list", "--porcelain").count("worktree ") == 1
    main_sha = git(work, "rev-parse", "main").strip()
    assert git(work, "merge-base", "main", BRANCH).strip() == main_sha
    assert _subjects(work, "main", BRANCH) == [
        "Plan the split of ShopFunction",
        "Move the code of 2 new functions into modules of their own",
        "Add handlers and packages for 2 new functions",
        "Route 2 routes to their function in template.yaml",
    ]
    plan, refactor, handlers, template = git(work, "rev-list", "--reverse", f"main..{BRANCH}").split()
    assert _paths(work, plan) == ["shop/decompose.yaml"]
    assert all(p.startswith("shop/src/") and p.endswith(".py") for p in _paths(work, refactor))
    assert "shop/src/orders.py" in _paths(work, refactor)
    assert {"shop/src/handlers/list_orders.py", "shop/src/handlers/uploads_bucket_s3.py"} <= set(_paths(work, handlers))
    assert _paths(work, template) == ["shop/template.yaml"]
    tip_template = git(work, "show", f"{BRANCH}:shop/template.yaml")
    assert "ListOrdersFunction:" in tip_template
    assert "UploadsBucketS3Function:" in tip_template
    body_path = work / ".git" / "decompose" / (BRANCH.replace("/", "-") + ".md")
    assert f"pull request body: {body_path}" in result.output
    body = body_path.read_text(encoding="utf-8")
    assert "## Rollout checklist" in body
    assert "| ListOrdersFunction (new) |" in body  # the dry-run report's summary table
    assert "| UploadsBucketS3Function (new) |" in body
    assert body.count("```mermaid") == 2  # the architecture before and after
    assert "Next strangler step: extract `GetOrder2Function`, `CreateOrderFunction`" in body
    assert f"next: git push --set-upstream origin {BRANCH}" in result.output


def test_the_branch_holds_exactly_what_apply_writes(project: Path, tmp_path: Path) -> None:
    """A second clone of the repository, with the same plan applied to its working tree, equals the branch's tip."""
    work = project.parent
    assert _run("pr", str(project)).exit_code == 0
    check = tmp_path / "check"
    git(tmp_path, "clone", "--quiet", str(work), str(check))
    shutil.copy(project / "decompose.yaml", check / "shop" / "decompose.yaml")
    assert _run("apply", str(check / "shop"), "--force").exit_code == 0
    git(check, "add", "--all")
    assert git(check, "diff", "--cached", "--stat", f"origin/{BRANCH}") == ""


def test_a_committed_plan_makes_three_commits_from_the_named_base(project: Path) -> None:
    """With the plan committed and `--base release` while `main` is checked out: refactor, new functions,
    template, starting from release's commit, on the branch `--branch` names."""
    work = project.parent
    commit_all(work, "the plan", push=False)
    git(work, "branch", "release")
    (project / "NOTES.md").write_text("main moved on\n", encoding="utf-8")
    commit_all(work, "main moves on", push=False)
    result = _run("pr", str(project), "--base", "release", "--branch", "split/two")
    assert result.exit_code == 0, result.output
    assert git(work, "rev-parse", "split/two~3").strip() == git(work, "rev-parse", "release").strip()
    assert _subjects(work, "release", "split/two") == [
        "Move the code of 2 new functions into modules of their own",
        "Add handlers and packages for 2 new functions",
        "Route 2 routes to their function in template.yaml",
    ]
    assert "NOTES.md" not in git(work, "ls-tree", "-r", "--name-only", "split/two")


def test_uncommitted_changes_are_refused_and_nothing_is_created(project: Path) -> None:
    """An edited source file under the project: exit 2, one line naming it, no branch, no body, files untouched."""
    work = project.parent
    orders = project / "src" / "orders.py"
    orders.write_text(orders.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    before = state(work)
    result = _run("pr", str(project))
    assert result.exit_code == 2
    (error,) = _errors(result.output)
    assert "uncommitted changes (shop/src/orders.py)" in error
    assert "nothing was created" in error
    assert state(work) == before
    assert git(work, "branch", "--list", "decompose/*") == ""
    assert not (work / ".git" / "decompose").exists()


def test_an_existing_branch_is_never_moved(project: Path) -> None:
    """A second run onto the same branch name: exit 2, the branch still where the first run put it."""
    work = project.parent
    assert _run("pr", str(project)).exit_code == 0
    first = git(work, "rev-parse", BRANCH)
    result = _run("pr", str(project))
    assert result.exit_code == 2
    assert f"branch {BRANCH} already exists" in _errors(result.output)[0]
    assert git(work, "rev-parse", BRANCH) == first


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--base", "nowhere"), "--base 'nowhere': no such branch or commit"),
        (("--branch", "bad..name"), "--branch 'bad..name' is not a valid git branch name"),
    ],
)
def test_a_bad_base_or_branch_name_is_a_usage_error(project: Path, args: tuple[str, ...], message: str) -> None:
    """A base that does not exist or a branch name git refuses: exit 2, one line, no branch."""
    work = project.parent
    result = _run("pr", str(project), *args)
    assert result.exit_code == 2
    assert message in _errors(result.output)[0]
    assert git(work, "for-each-ref", "refs/heads/").count("\n") == 1


def test_a_project_outside_git_is_a_usage_error(tmp_path: Path) -> None:
    """No repository around the project: exit 2 and a line saying so."""
    root = shop(tmp_path / "plain")
    assert _run("plan", str(root), "--extract", "GET /orders").exit_code == 0
    result = _run("pr", str(root))
    assert result.exit_code == 2
    assert "not inside a git repository" in _errors(result.output)[0]


def test_push_puts_the_branch_on_the_remote_with_its_upstream(project: Path, tmp_path: Path) -> None:
    """`--push`: the bare remote has the branch at the same commit, and the local branch tracks it."""
    work = project.parent
    result = _run("pr", str(project), "--push")
    assert result.exit_code == 0, result.output
    assert f"pushed {BRANCH} to origin" in result.output
    assert git(tmp_path / "remote.git", "rev-parse", BRANCH) == git(work, "rev-parse", BRANCH)
    assert git(work, "rev-parse", "--abbrev-ref", f"{BRANCH}@{{upstream}}").strip() == f"origin/{BRANCH}"


def _bin_with(tmp_path: Path, scripts: dict[str, str]) -> Path:
    """A folder for PATH holding git (linked) and the given executable scripts."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    for name, text in scripts.items():
        script = folder / name
        script.write_text(text, encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder


def test_open_without_gh_prints_the_exact_command(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No gh on PATH: the branch is pushed and the exact `gh pr create` command (a valid shell line) printed."""
    monkeypatch.setenv("PATH", str(_bin_with(tmp_path, {})))
    result = _run("pr", str(project), "--open")
    assert result.exit_code == 0, result.output
    assert "gh (the GitHub CLI) is not installed or not logged in" in result.output
    line = next(line.strip() for line in result.output.splitlines() if line.strip().startswith("gh pr create"))
    body = project.parent / ".git" / "decompose" / (BRANCH.replace("/", "-") + ".md")
    assert shlex.split(line) == [
        "gh",
        "pr",
        "create",
        "--base",
        "main",
        "--head",
        BRANCH,
        "--title",
        "Extract ListOrdersFunction and UploadsBucketS3Function from ShopFunction",
        "--body-file",
        str(body),
    ]
    assert git(tmp_path / "remote.git", "branch", "--list", BRANCH).strip() == BRANCH


FAKE_GH = """#!/bin/sh
# FakeGh: logged in; `pr create` records its arguments and answers with a URL.
if [ "$1" = auth ]; then exit 0; fi
printf '%s\\n' "$@" > "{log}"
echo https://github.example/shop/pull/7
"""


def test_open_runs_gh_pr_create_when_gh_is_logged_in(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A logged-in gh on PATH: `gh pr create` runs with the base, the branch, the title and the body file."""
    log = tmp_path / "gh-args"
    monkeypatch.setenv("PATH", str(_bin_with(tmp_path, {"gh": FAKE_GH.format(log=log)})))
    result = _run("pr", str(project), "--open")
    assert result.exit_code == 0, result.output
    assert "opened https://github.example/shop/pull/7" in result.output
    args = log.read_text(encoding="utf-8").splitlines()
    assert args[:6] == ["pr", "create", "--base", "main", "--head", BRANCH]
    assert Path(args[args.index("--body-file") + 1]).read_text(encoding="utf-8").startswith("<!-- Generated by")


def test_pr_from_the_project_folder_takes_the_current_directory(project: Path) -> None:
    """`decompose pr` with no PATH, run inside the project: the same branch, files unchanged."""
    before = snapshot(project)
    result = _run("pr", cwd=project)
    assert result.exit_code == 0, result.output
    assert git(project.parent, "branch", "--list", BRANCH).strip() == BRANCH
    assert snapshot(project) == before
