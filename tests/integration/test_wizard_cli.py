"""The wizard scripted: every choice by a flag, `--yes` for the rest (click's CliRunner, no terminal).

The prompts themselves are driven in a real pseudo-terminal in `test_wizard_pty.py`; here the same steps
run from flags, and each bad flag is one line, exit 2, nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import main
from decompose.planning.plan_file import read_plan_text
from tests.git_repos import commit_all, git, repository, snapshot, state
from tests.planning.apps import shop


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def _errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("decompose: error:")]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The shop app, committed on main of a clone of a bare remote."""
    work, _ = repository(tmp_path)
    shop(work / "shop")
    commit_all(work)
    return work / "shop"


def test_flags_answer_every_step_and_save_writes_only_the_plan(project: Path) -> None:
    """Routes, a rename, the deployment and an alarm by flag, `--then save`: the plan file says all of it and
    is the only file written."""
    before = snapshot(project)
    result = _run(
        "wizard",
        str(project),
        "--yes",
        "--extract",
        "GET /orders",
        "--extract",
        "CreateOrderFunction",
        "--name",
        "GET /orders=OrdersList",
        "--deployment",
        "Linear10PercentEvery1Minute",
        "--alarm",
        "ErrorsAlarm",
        "--then",
        "save",
    )
    assert result.exit_code == 0, result.output
    assert "saved the plan: 1 file(s) written" in result.output
    after = snapshot(project)
    assert set(after) - set(before) == {"decompose.yaml"}
    assert {k: v for k, v in after.items() if k != "decompose.yaml"} == before
    plan = read_plan_text(after["decompose.yaml"].decode(), "decompose.yaml")
    assert [f.logical_id for f in plan.extracted] == ["OrdersList", "CreateOrderFunction"]
    assert next(f for f in plan.functions if f.logical_id == "OrdersList").module == "routes.orders_list"
    assert plan.deployment.type == "Linear10PercentEvery1Minute"
    assert plan.deployment.alarms == ("ErrorsAlarm",)


def test_yes_alone_saves_the_three_smallest(project: Path) -> None:
    """`--yes` and nothing else: the plan marks the three smallest packages and nothing else is written."""
    result = _run("wizard", str(project), "--yes")
    assert result.exit_code == 0, result.output
    plan = read_plan_text((project / "decompose.yaml").read_text(encoding="utf-8"), "decompose.yaml")
    assert [f.logical_id for f in plan.extracted] == [
        "GetOrder2Function",
        "CreateOrderFunction",
        "UploadsBucketS3Function",
    ]
    assert git(project.parent, "status", "--porcelain").strip() == "?? shop/decompose.yaml"


def test_then_apply_writes_the_plan_and_the_change_set(project: Path) -> None:
    """`--then apply` on a clean tree: the plan file and the split, both in the working tree."""
    result = _run("wizard", str(project), "--yes", "--extract", "S3 UploadsBucket", "--then", "apply")
    assert result.exit_code == 0, result.output
    assert "applied:" in result.output
    assert "UploadsBucketS3Function:" in (project / "template.yaml").read_text(encoding="utf-8")
    assert (project / "src" / "handlers" / "uploads_bucket_s3.py").is_file()
    assert (project / "decompose.yaml").is_file()


def test_then_pr_makes_the_branch_and_writes_no_file(project: Path) -> None:
    """`--then pr --branch NAME`: the branch with its commits, the plan in its first commit, the tree untouched."""
    work = project.parent
    before = state(work)
    result = _run("wizard", str(project), "--yes", "--extract", "GET /orders", "--then", "pr", "--branch", "one")
    assert result.exit_code == 0, result.output
    assert state(work) == before
    assert git(work, "log", "--format=%s", "-1", "one~3").strip() == "Plan the split of ShopFunction"
    assert "next: git push --set-upstream origin one" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--extract", "GET /nowhere"), "--extract 'GET /nowhere': no function or route of that name"),
        (("--name", "GET /orders=Orders List"), "'Orders List' is not a valid logical id"),
        (("--name", "GET /orders=OrdersTable"), "OrdersTable is taken"),
        (("--name", "no-equals-sign"), "expected OLD=NEW"),
        (("--deployment", "Fast"), "--deployment 'Fast': one of AllAtOnce"),
        (
            ("--alarm", "NoSuchAlarm"),
            "--alarm NoSuchAlarm: not an AWS::CloudWatch::Alarm of the template (ErrorsAlarm)",
        ),
        (("--function", "OrdersTable"), "OrdersTable"),
    ],
)
def test_a_bad_flag_is_one_line_and_writes_nothing(project: Path, args: tuple[str, ...], message: str) -> None:
    """A route, name, deployment, alarm or function the project does not have: exit 2, one line, no file."""
    before = snapshot(project)
    result = _run("wizard", str(project), "--yes", "--extract", "GET /orders", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert snapshot(project) == before


def test_without_a_terminal_the_wizard_needs_yes(project: Path) -> None:
    """No terminal and no `--yes`: exit 2 with a line saying how to run it unattended."""
    result = _run("wizard", str(project))
    assert result.exit_code == 2
    assert "pass --yes" in _errors(result.output)[0]


def test_a_bare_decompose_without_a_terminal_prints_the_help() -> None:
    """`decompose` with no command and no terminal: the help, exit 2 (a script never waits on a prompt)."""
    result = _run()
    assert result.exit_code == 2
    assert "Commands:" in result.output
    assert "wizard" in result.output


def test_quiet_leaves_only_the_result(project: Path) -> None:
    """`--quiet`: no gains table, no policies, no `next:` hint; the result line stays."""
    result = CliRunner().invoke(main, ["wizard", str(project), "--yes", "--quiet", "--extract", "GET /orders"])
    assert result.exit_code == 0, result.output
    assert "next:" not in result.output
    assert "ShopFunction today" not in result.output
    assert "Policy of" not in result.output
    assert "saved the plan" in result.output


def test_several_candidate_monoliths_need_function_under_yes(project: Path) -> None:
    """`--yes` cannot guess between two functions with as many routes: exit 2 naming both and `--function`."""
    template = project / "template.yaml"
    second = "  AdminFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n"
    second += "      Handler: app.lambda_handler\n  OrdersTable:"
    template.write_text(template.read_text(encoding="utf-8").replace("  OrdersTable:", second, 1), encoding="utf-8")
    result = _run("wizard", str(project), "--yes")
    assert result.exit_code == 2
    assert (
        "several functions could be the monolith (AdminFunction, ShopFunction): choose one with --function"
        in (_errors(result.output)[0])
    )
