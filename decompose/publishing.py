"""The pull-request use case: the change set `apply` computes, as a branch of a few reviewable commits.

    pull_request  the repository around the project -> refuse uncommitted changes under the project (the
                  plan file aside) -> the base commit -> a temporary detached worktree of it -> `apply`
                  computed there, on the base's own files (or the change set the wizard already computed,
                  when the base is the checked-out commit and the project has no uncommitted or ignored
                  files that the computation could have read) -> the writer writes it into the worktree ->
                  one commit per part (the plan; the refactor; the new functions' handlers and packages;
                  the template) -> the branch is created at the last commit -> the worktree is removed ->
                  the body (the Markdown report and a rollout checklist) written beside the git directory
    push          `git push --set-upstream <remote> <branch>`
    open          `gh pr create` when gh is installed and logged in; otherwise the exact command to run

The user's current branch, index and working tree are never touched: every write happens in the temporary
worktree, through `changes.writer`, and git objects and one new ref are all that remain. The branch is
created last, so an interrupted run leaves nothing behind but unreachable objects. Nothing here prints.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from decompose.changes.git import Repository
from decompose.changes.workspace import skipped
from decompose.changes.writer import write
from decompose.domain.plan import GENERATED_MARKER, ChangeSet, FileChange, Plan
from decompose.dry_run import build_report
from decompose.errors import DecomposeError, UsageError, WriteRefusedError
from decompose.planning.ids import snake
from decompose.reporting.dry_run import render_markdown_report
from decompose.reporting.pull_request import render_body
from decompose.splitting import ApplyOutcome, Project, apply

COMMITS = (  # (parts, subject): one commit per group, in this order; a group with no change is no commit
    (("plan",), "Plan the split of {monolith}"),
    (("refactor",), "Move the code of {functions} into modules of their own"),
    (("handler", "package"), "Add handlers and packages for {functions}"),
    ((), "Route {routes} to {their} function in {template}"),  # () = every other part: the template
)
BRANCH_PREFIX = "decompose/"
BODY_IMPORT_RUNS = 1  # cold-import runs per handler for the body's figures (`dry-run` takes a median of more)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Commit:
    """One commit of the branch: its id, subject and the paths it changes (relative to the repository)."""

    sha: str
    subject: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class PullRequest:
    """What `pull_request` made: the branch (from `base` at `base_sha`), its commits, the body file."""

    repository: Path
    branch: str
    base: str
    base_sha: str
    commits: tuple[Commit, ...]
    title: str
    body: str
    body_path: Path
    outcome: ApplyOutcome
    reused: bool  # the change set computed beforehand was committed as it was
    fallback_identity: bool  # git knew no user: committed as decompose


def pull_request(
    path: Path,
    *,
    plan_file: Path | None = None,
    plan_text: str | None = None,
    branch: str | None = None,
    base: str | None = None,
    body_file: Path | None = None,
    computed: ApplyOutcome | None = None,
    progress: Progress | None = None,
) -> PullRequest:
    """Build the branch for the plan at `plan_file` (or `plan_text`) of the project at `path`.

    `computed` is a change set already computed on the project's working tree (the wizard's preview); it is
    used only when that tree is exactly the base's (see the module docstring), else `apply` runs again on
    the base. Refuses (`WriteRefusedError`, exit 2) uncommitted changes under the project, a base that does
    not exist, a branch that exists, and a plan with nothing to extract.
    """
    say = progress or (lambda _: None)
    project = Project.at(path)
    repo = Repository.of(project.root)
    plan_path = project.plan_path(plan_file).resolve()
    if plan_text is None:
        if not plan_path.is_file():
            raise UsageError(f"{project.display(plan_path)}: no plan file; run `decompose plan` first")
        plan_text = plan_path.read_text(encoding="utf-8")
    project_rel = repo.relative(project.root)
    plan_rel = repo.relative(plan_path) if plan_path.is_relative_to(repo.root) else None
    _refuse_uncommitted(repo, project_rel, plan_rel)
    base = base or repo.default_base()
    if base is None:
        raise UsageError("no branch main or master: name the base with --base")
    base_sha = repo.resolve(base)
    if base_sha is None:
        raise UsageError(f"--base {base!r}: no such branch or commit in {repo.root}")
    reusable = computed is not None and _same_tree(repo, base_sha, project_rel)
    with repo.worktree(base_sha) as tree:
        here = tree / project_rel
        if reusable and computed is not None:
            outcome = computed
        else:
            say("computing the change set on the base")
            outcome = apply(here, plan_file=tree / plan_rel if plan_rel else None, plan_text=plan_text)
        plan = outcome.plan
        if not plan.extracted:
            raise UsageError("the plan extracts nothing: mark functions `extract: true` (or use --extract) first")
        if outcome.change_set.empty:
            raise UsageError(f"nothing to do on {base}: it already is the plan's result")
        name = branch or default_branch(plan)
        if not repo.valid_branch_name(name):
            raise UsageError(f"--branch {name!r} is not a valid git branch name")
        if repo.branch_exists(name):
            raise WriteRefusedError(f"branch {name} already exists: pick another with --branch; nothing was created")
        changes = _in_repository(outcome.change_set, project_rel)
        if plan_rel is not None:
            changes += _plan_change(tree, plan_rel, plan_text)
        say("writing the change set into a temporary worktree")
        write(ChangeSet(tuple(changes)), tree, force=True)
        say("committing")
        commits = _commit(repo, tree, changes, plan, template=project_rel_join(project_rel, plan.template))
        say("measuring the body's report (the dry-run report, without the diffs the commits carry)")
        report = _report(repo, tree, base_sha, here, outcome, progress)
    repo.create_branch(name, commits[-1].sha)
    title = title_of(plan)
    body = render_body(plan, report=report, branch=name, base=base, commits=[(c.sha, c.subject) for c in commits])
    target = (body_file or default_body_path(repo, name)).resolve()
    _write_body(target, body, repo.git_dir)
    return PullRequest(
        repository=repo.root,
        branch=name,
        base=base,
        base_sha=base_sha,
        commits=tuple(commits),
        title=title,
        body=body,
        body_path=target,
        outcome=outcome,
        reused=reusable,
        fallback_identity=repo.identity_missing(),
    )


def uncommitted(path: Path, plan_path: Path) -> list[str] | None:
    """The uncommitted paths under the project at `path` (relative to the repository; the plan file aside),
    the ones `pull_request` and the writer refuse; None when the project is not in a git repository."""
    try:
        repo = Repository.of(path)
    except UsageError:
        return None
    plan_rel = repo.relative(plan_path) if plan_path.resolve().is_relative_to(repo.root) else None
    return sorted(c.path for c in repo.status(repo.relative(path)) if not c.ignored and c.path != plan_rel)


def push(request: PullRequest, remote: str = "origin") -> str:
    """Push the branch to `remote`; git's report."""
    repo = Repository(request.repository)
    if remote not in repo.remotes():
        raise UsageError(f"no git remote {remote!r} (remotes: {', '.join(repo.remotes()) or 'none'}): pass --remote")
    return repo.push(remote, request.branch)


def open_command(request: PullRequest) -> list[str]:
    """The `gh pr create` command for the pushed branch."""
    return [
        "gh",
        "pr",
        "create",
        "--base",
        request.base,
        "--head",
        request.branch,
        "--title",
        request.title,
        "--body-file",
        str(request.body_path),
    ]


def gh_ready() -> bool:
    """Whether the GitHub CLI is installed and logged in (`gh auth status` succeeds)."""
    if shutil.which("gh") is None:
        return False
    try:
        done = subprocess.run(["gh", "auth", "status"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def open_pull_request(request: PullRequest) -> str:
    """Run `gh pr create` in the repository; its output (the pull request's URL)."""
    done = subprocess.run(
        open_command(request), cwd=request.repository, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), f"exit {done.returncode}")
        raise DecomposeError(f"gh pr create failed: {first.strip()}")
    return done.stdout.strip()


def shell_command(command: list[str]) -> str:
    return shlex.join(command)


def default_branch(plan: Plan) -> str:
    """`decompose/extract-get-order-create-order-...` from the functions the plan extracts (three at most)."""
    names = [snake(f.logical_id).replace("_", "-") for f in plan.extracted]
    shown = "-".join(names[:3]) + (f"-and-{len(names) - 3}-more" if len(names) > 3 else "")
    return f"{BRANCH_PREFIX}extract-{shown[:80].rstrip('-')}"


def title_of(plan: Plan) -> str:
    ids = [f.logical_id for f in plan.extracted]
    return f"Extract {_names(ids)} from {plan.monolith}"


def default_body_path(repo: Repository, branch: str) -> Path:
    """`<git dir>/decompose/<branch>.md`: beside the repository's data, never in the working tree."""
    return repo.git_dir / "decompose" / (branch.replace("/", "-") + ".md")


def _report(  # noqa: PLR0917 - one private call site
    repo: Repository, tree: Path, base_sha: str, here: Path, outcome: ApplyOutcome, progress: Progress | None
) -> str:
    """The dry-run report's Markdown (no diffs: the commits carry them), measured on the temporary worktree put
    back at the base (the report compares the project before and after the change set)."""
    repo.run("checkout", "--quiet", "--detach", "--force", base_sha, cwd=tree)
    repo.run("clean", "--quiet", "-d", "--force", "-x", cwd=tree)
    report = build_report(here, outcome=outcome, import_runs=BODY_IMPORT_RUNS, progress=progress)
    return render_markdown_report(report, diffs=False)


def project_rel_join(project_rel: str, rel: str | None) -> str:
    rel = rel or "template.yaml"
    return rel if project_rel in ("", ".") else f"{project_rel}/{rel}"


def _refuse_uncommitted(repo: Repository, project_rel: str, plan_rel: str | None) -> None:
    dirty = sorted(c.path for c in repo.status(project_rel) if not c.ignored and c.path != plan_rel)
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise WriteRefusedError(
            f"the git tree has uncommitted changes ({shown}): commit or stash them first; the pull request is "
            "built from committed files only; nothing was created"
        )


def _same_tree(repo: Repository, base_sha: str, project_rel: str) -> bool:
    """Whether the project's working files are exactly the base's: the base is checked out, nothing under
    the project is uncommitted (checked before), and no ignored file there could have been read."""
    if repo.head() != base_sha:
        return False
    ignored = [c.path for c in repo.status(project_rel, ignored=True) if c.ignored]
    return all(_harmless(path) for path in ignored)


def _harmless(path: str) -> bool:
    """An ignored path the workspace never copies (caches, virtualenvs, build output, bytecode)."""
    parts = PurePosixPath(path.rstrip("/")).parts
    return any(skipped(p) for p in parts) or path.endswith((".pyc", ".pyo"))


def _in_repository(change_set: ChangeSet, project_rel: str) -> list[FileChange]:
    if project_rel in ("", "."):
        return list(change_set.changes)
    return [FileChange(f"{project_rel}/{c.path}", c.before, c.after, c.part, c.generated) for c in change_set.changes]


def _plan_change(tree: Path, plan_rel: str, text: str) -> list[FileChange]:
    target = tree / plan_rel
    before = target.read_text(encoding="utf-8") if target.is_file() else None
    return [] if before == text else [FileChange(plan_rel, before, text, "plan", generated=True)]


def _commit(repo: Repository, tree: Path, changes: list[FileChange], plan: Plan, *, template: str) -> list[Commit]:
    ids = [f.logical_id for f in plan.extracted]
    routes = [r for f in plan.extracted for r in f.routes]
    values = {
        "monolith": plan.monolith,
        "functions": ids[0] if len(ids) == 1 else f"{len(ids)} new functions",
        "routes": routes[0] if len(routes) == 1 else f"{len(routes)} routes",
        "their": "its" if len(routes) == 1 else "their",
        "template": PurePosixPath(template).name,
    }
    claimed = {p for parts, _ in COMMITS for p in parts}
    commits = []
    for parts, subject in COMMITS:
        paths = [c.path for c in changes if (c.part in parts if parts else c.part not in claimed)]
        if not paths:
            continue
        message = subject.format(**values) + "\n\n" + _message_body(parts, paths, plan)
        sha = repo.commit(tree, paths, message)
        commits.append(Commit(sha, message.splitlines()[0], tuple(sorted(paths))))
    if not commits:
        raise DecomposeError("the change set changes no file")
    return commits


def _message_body(parts: tuple[str, ...], paths: list[str], plan: Plan) -> str:
    why = {
        ("plan",): "The plan file decompose reads: which routes move to which new function, and how they deploy.",
        ("refactor",): (
            "rope moves each extracted function's own code into its module and rewrites every import; the "
            "monolith keeps serving every route."
        ),
        ("handler", "package"): (
            "A generated handler per new function (the monolith's dispatcher sliced to its routes) and its "
            "package: exactly the files and distributions it imports (Makefile build targets)."
        ),
    }.get(parts, "The new functions, with their least-privilege policies, take over their routes' events.")
    functions = "\n".join(f"- {f.logical_id}: {', '.join(f.routes)}" for f in plan.extracted)
    listed = "\n".join(f"- {p}" for p in sorted(paths)[:20])
    more = f"\n- and {len(paths) - 20} more" if len(paths) > 20 else ""
    return f"{why}\n\n{functions}\n\nFiles:\n{listed}{more}\n\n{GENERATED_MARKER} (decompose pr).\n"


def _names(items: list[str], what: str = "functions") -> str:
    if len(items) > 3:
        return f"{', '.join(items[:2])} and {len(items) - 2} more {what}"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _write_body(target: Path, body: str, git_dir: Path) -> None:
    """The body file, through the writer (created, or replaced when decompose wrote it before); the default
    folder `<git dir>/decompose` is created by the writer, a folder named by --body-file must exist."""
    root = git_dir if target.is_relative_to(git_dir) else target.parent
    if not root.is_dir():
        raise UsageError(f"--body-file {target}: no such folder {root}")
    before = target.read_text(encoding="utf-8") if target.is_file() else None
    if before == body:
        return
    rel = target.relative_to(root).as_posix()
    write(ChangeSet((FileChange(rel, before, body, "report", generated=True),)), root, force=True)
