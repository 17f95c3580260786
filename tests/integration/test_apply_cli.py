"""`decompose apply` through the CLI on bad input: one line with file:line, an exit code, nothing written."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cfnlint.decode import decode
from click.testing import CliRunner

from decompose.cli import main
from tests.conftest import FIXTURES, REPO
from tests.planning.apps import shop


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts
    }


def _planned(root: Path, *extract: str) -> Path:
    args = [a for r in extract for a in ("--extract", r)]
    assert _run("plan", str(root), *args).exit_code == 0
    return root / "decompose.yaml"


def _errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("decompose: error:")]


def test_a_plan_naming_a_vanished_route_stops_apply(tmp_path: Path) -> None:
    """A route the code no longer has: `file:line: ...`, exit 2, nothing written."""
    root = shop(tmp_path)
    plan = _planned(root, "GET /orders")
    plan.write_text(plan.read_text().replace("- GET /orders  #", "- GET /gone  #"))
    before = _snapshot(root)
    result = _run("apply", str(root))
    assert result.exit_code == 2
    (error, *_) = _errors(result.output)
    assert error.startswith("decompose: error: decompose.yaml:")
    assert "route 'GET /gone' no longer exists" in error
    assert _snapshot(root) == before


def test_a_logical_id_colliding_with_a_resource_stops_apply(tmp_path: Path) -> None:
    """Renaming a function to a resource's id is caught before any stage runs."""
    root = shop(tmp_path)
    plan = _planned(root, "GET /orders")
    plan.write_text(plan.read_text().replace("logical_id: ListOrdersFunction", "logical_id: OrdersTable"))
    before = _snapshot(root)
    result = _run("apply", str(root), "--dry-run")
    assert result.exit_code == 2
    assert any("logical id OrdersTable is already a AWS::Serverless::SimpleTable" in e for e in _errors(result.output))
    assert _snapshot(root) == before


def test_code_rope_cannot_move_is_one_error_and_nothing_written(tmp_path: Path) -> None:
    """A route that reaches `getattr(module, computed)` cannot be moved: one line naming the file, exit 1."""
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / "if_chain_v1", root, ignore=shutil.ignore_patterns("expected.json"))
    _planned(root, "ANY /admin/{proxy+}")
    before = _snapshot(root)
    result = _run("apply", str(root), "--phase", "extract")  # a shim moves no code: only extracting can fail so
    assert result.exit_code == 1
    (error,) = _errors(result.output)
    assert "router.py:13: cannot move _run_task: getattr() with a computed attribute name" in error
    assert "Traceback" not in result.output
    assert _snapshot(root) == before


def test_a_dirty_git_tree_is_refused_and_dry_run_still_works(tmp_path: Path) -> None:
    """Uncommitted work: apply refuses (exit 2, nothing written); --dry-run shows the diff; --force writes."""
    root = shop(tmp_path)
    _planned(root, "GET /orders")
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "app"], check=True)
    (root / "src/orders.py").write_text((root / "src/orders.py").read_text() + "# wip\n")
    before = _snapshot(root)
    refused = _run("apply", str(root))
    assert refused.exit_code == 2
    assert _errors(refused.output) == [
        "decompose: error: src/orders.py: the git tree has uncommitted changes (src/orders.py): commit or stash "
        "them, or pass --force; nothing was written"
    ]
    dry = _run("apply", str(root), "--dry-run")
    assert dry.exit_code == 0
    assert "+++ b/template.yaml" in dry.output
    assert _snapshot(root) == before
    forced = _run("apply", str(root), "--force")
    assert forced.exit_code == 0, forced.output
    assert "ListOrdersFunction:" in (root / "template.yaml").read_text()


def test_nothing_marked_for_extraction_is_nothing_to_do(tmp_path: Path) -> None:
    """A plan with no `extract: true` computes an empty change set and says so."""
    root = shop(tmp_path)
    _planned(root)
    result = _run("apply", str(root))
    assert result.exit_code == 0
    assert "nothing to do" in result.output


def test_an_unsafe_framework_split_is_refused_with_the_routes_line(tmp_path: Path) -> None:
    """One Chalice view serving two routes, planned by hand into different functions: a plan problem at the
    route's line naming the view's file:line (`plan --check` and `apply` exit 2), and apply writes nothing."""
    root = tmp_path / "chalice_sam"
    shutil.copytree(FIXTURES / "chalice_sam", root)
    route = "GET /books/{isbn}"
    plan = root / "decompose.yaml"
    plan.write_text(
        "version: 1\nmonolith: APIHandler\nfunctions:\n  - logical_id: GetBookFunction\n    extract: true\n"
        f"    routes:\n      - {route}\n"
    )
    planned = _run("plan", str(root), "--check")
    expected = (
        f"decompose: error: decompose.yaml:7: route '{route}' is served by the same Chalice view as "
        "'DELETE /books/{isbn}' (app.book at src/app.py:36): the new function's app would register both; put "
        "them in one function"
    )
    assert planned.exit_code == 2
    assert _errors(planned.output)[0] == expected
    before = _snapshot(root)
    result = _run("apply", str(root))
    assert result.exit_code == 2, result.output
    assert _errors(result.output)[0] == expected
    assert _snapshot(root) == before


def test_a_function_in_a_loop_aws_can_stop_carries_recursive_loop_terminate(tmp_path: Path) -> None:
    """The re-analysis decides `RecursiveLoop`: the sample's catalogue import writes to the bucket that
    triggers it without a key filter (a loop AWS can stop) and gets `Terminate`; GET /orders does not."""
    root = tmp_path / "sample_monolith"
    shutil.copytree(REPO / "sample_monolith", root, ignore=shutil.ignore_patterns(".pytest_cache", "__pycache__"))
    _planned(root, "S3 UploadsBucket", "GET /orders")
    result = _run("apply", str(root))
    assert result.exit_code == 0, result.output
    template, _ = decode(str(root / "template.yaml"))
    resources = template["Resources"]
    assert resources["UploadsBucketS3Function"]["Properties"]["RecursiveLoop"] == "Terminate"
    assert "RecursiveLoop" not in resources["ListOrdersFunction"]["Properties"]
    assert _run("apply", str(root)).output.startswith("nothing to do")  # and it stays so on a re-run


def test_a_refactor_that_loses_an_aws_call_stops_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the refactored code of a new function no longer makes a call its route made in the monolith (here
    the real refactor, then its moved code broken), apply stops with the function's plan line and the lost
    action: a route's policy is never silently smaller."""
    from decompose import splitting  # noqa: PLC0415 - the use case whose refactor stage is wrapped

    real = splitting.refactor

    def breaking(code_root, monolith, plan):
        result = real(code_root, monolith, plan)
        for moved in (code_root / "routes").glob("*.py"):
            moved.write_text(moved.read_text().replace(".get_item(Key=", ".get(Key="))
        return result

    monkeypatch.setattr(splitting, "refactor", breaking)
    root = shop(tmp_path)
    _planned(root, "GET /orders/{id}")
    before = _snapshot(root)
    result = _run("apply", str(root), "--phase", "extract")  # a shim runs no refactored code
    assert result.exit_code == 1
    (error,) = _errors(result.output)
    assert error.startswith("decompose: error: decompose.yaml:")
    assert "'GET /orders/{id}' no longer makes dynamodb:GetItem, which it makes in the monolith" in error
    assert _snapshot(root) == before
