"""The wizard end to end in a real pseudo-terminal (pexpect): the console script, questionary's real prompts,
real keys (arrows, space, Ctrl-U, Ctrl-C), a real git repository with a bare remote.

Each case waits for a prompt's text before it types, as a person would; `PROMPT_TOOLKIT_NO_CPR` stops
prompt_toolkit asking the terminal where its cursor is (pexpect's terminal never answers), `NO_COLOR`
keeps the screen text matchable.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pexpect
import pytest

from decompose.planning.plan_file import read_plan_text
from tests.git_repos import commit_all, git, repository, state
from tests.planning.apps import shop

DECOMPOSE = str(Path(sys.executable).with_name("decompose"))
SAMPLE = Path(__file__).resolve().parents[2] / "sample_monolith"
DOWN, CTRL_C, CTRL_U = "\x1b[B", "\x03", "\x15"
SETTLE = 0.3  # seconds for a prompt to finish drawing before the next key


def _spawn(cwd: Path, *args: str, timeout: float = 120) -> pexpect.spawn:
    env = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "NO_COLOR": "1", "TERM": "xterm", "COLUMNS": "160"}
    env.pop("PYTEST_CURRENT_TEST", None)
    return pexpect.spawn(
        DECOMPOSE, list(args), cwd=str(cwd), env=env, dimensions=(50, 160), encoding="utf-8", timeout=timeout
    )


def _answer(child: pexpect.spawn, prompt: str, keys: str, *, done: bool = True) -> None:
    """Wait for `prompt` on the screen, then type `keys`; when they answer it (`done`), wait for questionary to
    redraw the prompt with its answer, so that the next wait cannot match this prompt's redraw."""
    child.expect_exact(prompt)
    time.sleep(SETTLE)
    child.send(keys)
    if done:
        child.expect_exact(prompt)


def _finish(child: pexpect.spawn) -> tuple[int, str]:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus if child.exitstatus is not None else 128 + (child.signalstatus or 0), child.before


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The shop app, committed on main of a clone of a bare remote, with no plan yet."""
    work, _ = repository(tmp_path)
    shop(work / "shop")
    commit_all(work)
    return work / "shop"


def test_the_wizard_picks_renames_and_opens_a_branch(project: Path) -> None:
    """Grouping, checkboxes toggled, a name refused then accepted, a canary and an alarm, each policy accepted,
    then a pull request: the branch holds the renamed function with the alarm; the user's tree is untouched."""
    work = project.parent
    before = state(work)
    child = _spawn(project, "wizard")
    _answer(child, "How should routes be grouped into functions?", "\r")
    child.expect_exact("ShopFunction today: package")
    # rows: ListOrders, GetOrder2, CreateOrder, UploadsBucketS3; checked by default: the three smallest
    # (UploadsBucketS3, then CreateOrder and GetOrder2, tied on size and IAM, by name)
    _answer(child, "Which functions do you extract now?", " " + DOWN + DOWN + " " + "\r")
    _answer(child, "Keep these names?", "n")
    _answer(child, "Logical id for GET /orders:", CTRL_U + "Orders List", done=False)
    time.sleep(SETTLE)
    child.send("\r")
    child.expect_exact("is not a valid logical id: only letters A-Z, a-z and digits")
    child.send(CTRL_U + "OrdersList\r")
    child.expect_exact("Logical id for GET /orders:")
    _answer(child, "Logical id for GET /orders/{id}:", "\r")
    _answer(child, "Logical id for S3 UploadsBucket:", "\r")
    _answer(child, "How do the new functions take traffic?", DOWN + "\r")
    _answer(child, "Which alarms roll a deployment back?", " \r")
    for function in ("OrdersList", "GetOrder2Function", "UploadsBucketS3Function"):
        child.expect_exact(f"Policy of {function} (")
        _answer(child, f"Extract {function} with this policy?", "y")
    child.expect_exact("Dry run: what would change")
    _answer(child, "What now?", "\r")
    _answer(child, "Branch name:", CTRL_U + "split/three\r")
    _answer(child, "Push to origin and open the pull request?", "n")
    _answer(child, "Push split/three to origin?", "y")
    child.expect_exact("pushed split/three to origin")
    code, _ = _finish(child)
    assert code == 0
    assert state(work) == before
    commits = git(work, "log", "--reverse", "--format=%s", "main..split/three").splitlines()
    assert commits[0] == "Plan the split of ShopFunction"
    assert len(commits) == 4
    template = git(work, "show", "split/three:shop/template.yaml")
    assert "  OrdersList:\n" in template
    assert "CreateOrderFunction:" not in template
    assert "ErrorsAlarm" in template.split("OrdersList:", 1)[1]
    plan = git(work, "show", "split/three:shop/decompose.yaml")
    assert "type: Linear10PercentEvery10Minutes" in plan  # the one below the default canary
    assert git(work.parent / "remote.git", "branch", "--list", "split/three").strip() == "split/three"


@pytest.mark.parametrize(
    "stop_at",
    ["Which functions do you extract now?", "Extract UploadsBucketS3Function", "Branch name:"],
)
def test_ctrl_c_at_any_prompt_writes_nothing(project: Path, stop_at: str) -> None:
    """Ctrl-C while a prompt waits (before, during and after the change set is computed): exit 130, the
    message says nothing was written, and the files, the git state and the branches are as they were."""
    work = project.parent
    before = state(work)
    child = _spawn(project, "wizard", "--group", "route")
    answers = {
        "Which functions do you extract now?": "\r",
        "Keep these names?": "y",
        "How do the new functions take traffic?": "\r",
        "Which alarms roll a deployment back?": "\r",
        "with this policy?": "y",
        "What now?": "\r",
        "Branch name:": "\r",
    }
    prompts = list(answers)
    while True:
        seen = prompts[child.expect_exact(prompts)]
        time.sleep(SETTLE)
        if stop_at in child.before + seen:
            child.send(CTRL_C)
            break
        child.send(answers[seen])
        child.expect_exact(seen)  # the prompt redrawn with its answer
    code, rest = _finish(child)
    assert code == 130
    assert "interrupted; nothing was written" in rest
    assert state(work) == before
    assert git(work, "for-each-ref", "--format=%(refname)", "refs/heads/").split() == ["refs/heads/main"]
    assert not (work / ".git" / "decompose").exists()


def test_a_bare_decompose_on_a_terminal_is_the_wizard(project: Path) -> None:
    """`decompose` with no command, on a terminal, starts the wizard on the current folder."""
    child = _spawn(project)
    _answer(child, "How should routes be grouped into functions?", CTRL_C, done=False)
    code, _ = _finish(child)
    assert code == 130


def test_the_sample_monolith_three_routes_to_a_pull_request(tmp_path: Path) -> None:
    """On sample_monolith, every default taken with Enter: three routes extracted, a branch of four commits and
    a pull-request body naming the three functions."""
    work, _ = repository(tmp_path)
    project = work / "sample_monolith"
    files = [p for p in SAMPLE.rglob("*") if p.is_file() and not {".pytest_cache", "__pycache__"} & set(p.parts)]
    for source in files:
        target = project / source.relative_to(SAMPLE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    commit_all(work)
    child = _spawn(project, "wizard", timeout=300)
    _answer(child, "How should routes be grouped into functions?", "\r")
    _answer(child, "Which functions do you extract now?", "\r")
    _answer(child, "Keep these names?", "y")
    _answer(child, "How do the new functions take traffic?", "\r")
    for _ in range(3):
        _answer(child, "with this policy?", "y")
    _answer(child, "What now?", "\r")
    _answer(child, "Branch name:", "\r")
    _answer(child, "Push to origin and open the pull request?", "n")
    _answer(child, "to origin?", "n")
    code, _ = _finish(child)
    assert code == 0
    (branch,) = git(work, "for-each-ref", "--format=%(refname:short)", "refs/heads/decompose/").split()
    assert len(git(work, "rev-list", f"main..{branch}").split()) == 4
    body = (work / ".git" / "decompose" / (branch.replace("/", "-") + ".md")).read_text(encoding="utf-8")
    plan = read_plan_text(git(work, "show", f"{branch}:sample_monolith/decompose.yaml"), "decompose.yaml")
    assert len(plan.extracted) == 3
    assert all(f"| {f.logical_id} (new) |" in body for f in plan.extracted)
    assert "```mermaid" in body
    assert "## Rollout checklist" in body


def test_on_a_dirty_tree_only_saving_the_plan_is_offered(project: Path) -> None:
    """An uncommitted edit: the pull request and apply are shown disabled with the file named, Enter saves the
    plan, and the edited file and every other file stay as they were."""
    orders = project / "src" / "orders.py"
    orders.write_text(orders.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    child = _spawn(project, "wizard", "--group", "route", "--extract", "GET /orders", "--deployment", "AllAtOnce")
    _answer(child, "Keep these names?", "y")
    _answer(child, "Which alarms roll a deployment back?", "\r")
    _answer(child, "Extract ListOrdersFunction with this policy?", "y")
    child.expect_exact("What now?")
    child.expect_exact("uncommitted changes: shop/src/orders.py (--force to apply anyway)")
    time.sleep(SETTLE)
    child.send("\r")
    child.expect_exact("saved the plan: 1 file(s) written")
    code, _ = _finish(child)
    assert code == 0
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    assert set(after) - set(before) == {project / "decompose.yaml"}
    assert all(after[p] == content for p, content in before.items())


SECOND = """
  AdminFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: admin/
      Handler: app.lambda_handler
"""


def test_several_candidate_monoliths_are_asked_for(project: Path) -> None:
    """Two functions with four routes each: the wizard lists both and goes on with the one picked."""
    shutil.copytree(project / "src", project / "admin")
    template = project / "template.yaml"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("\n  OrdersTable:", SECOND.rstrip("\n") + "\n  OrdersTable:", 1), encoding="utf-8")
    commit_all(project.parent, "a second function")
    child = _spawn(project, "wizard", "--group", "route")
    child.expect_exact("Which function is the monolith?")
    child.expect_exact("AdminFunction  (4 routes, handler app.lambda_handler)")
    child.expect_exact("ShopFunction  (4 routes, handler app.lambda_handler)")
    time.sleep(SETTLE)
    child.send(DOWN + "\r")
    child.expect_exact("ShopFunction today: package")
    _answer(child, "Which functions do you extract now?", CTRL_C, done=False)
    code, _ = _finish(child)
    assert code == 130
