"""The CLI through click's CliRunner: formats, exit codes, and one-line errors naming file and line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from decompose import cli
from decompose.cli import Progress, main
from decompose.errors import UsageError
from tests.cli_process import run_cli
from tests.conftest import FIXTURES, sam_template, write_app

OK_HANDLER = """
def lambda_handler(event, context):
    if event["httpMethod"] == "GET" and event["path"] == "/a":
        return a()

def a():
    return 1
"""

EVENTS = """
A:
  Type: Api
  Properties:
    Path: /a
    Method: get
"""


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_text_output_lists_routes_entries_and_findings() -> None:
    """The text view shows each route with its entry location, modules and distributions, then findings."""
    result = _run("analyze", str(FIXTURES / "if_chain_v1"))
    assert result.exit_code == 0
    assert "GET /orders/{id}" in result.output
    assert "entry          orders.get_order (src/orders.py:35)" in result.output
    assert "route-without-event [DELETE /items/{param1}]" in result.output
    assert "\x1b[" not in result.output  # no colours when not on a terminal


def test_json_output_is_the_documented_document() -> None:
    """--format json prints version 1 with functions, routes and findings."""
    result = _run("analyze", str(FIXTURES / "powertools"), "--format", "json")
    document = json.loads(result.output)
    assert document["version"] == 1
    assert document["template"] == "template.yaml"
    assert [f["logical_id"] for f in document["functions"]] == ["OrdersApiFunction"]


def test_markdown_output_renders_the_shipped_template() -> None:
    """--format markdown renders templates/analyze.md.j2 into a route table."""
    result = _run("analyze", str(FIXTURES / "dispatch_table"), "--format", "markdown")
    assert result.exit_code == 0
    assert "| `GET /users` | ListUsers | `users.list_users`" in result.output


def test_function_filter_and_unknown_function(tmp_path: Path) -> None:
    """--function keeps one function; an unknown one is a usage error (exit 2)."""
    write_app(tmp_path, {"template.yaml": sam_template(EVENTS), "src/app.py": OK_HANDLER})
    assert _run("analyze", str(tmp_path), "--function", "ApiFunction").exit_code == 0
    result = _run("analyze", str(tmp_path), "--function", "Nope")
    assert result.exit_code == 2
    assert "no Python function 'Nope'" in result.output


def test_code_only_mode_with_handler(tmp_path: Path) -> None:
    """Without a template, --handler analyzes the code alone."""
    write_app(tmp_path, {"app.py": OK_HANDLER})
    result = _run("analyze", str(tmp_path), "--handler", "app.lambda_handler", "--format", "json")
    assert result.exit_code == 0
    routes = json.loads(result.output)["functions"][0]["routes"]
    assert [(r["id"], r["entry"], r["location"]) for r in routes] == [("GET /a", "app.a", "app.py:5")]


def test_missing_template_is_a_usage_error(tmp_path: Path) -> None:
    """A folder without a template and without --handler says what to do, exit 2."""
    result = _run("analyze", str(tmp_path))
    assert result.exit_code == 2
    assert "pass --handler" in result.output


def test_bad_handler_option_is_a_usage_error(tmp_path: Path) -> None:
    """--handler must look like module.function."""
    result = _run("analyze", str(tmp_path), "--handler", "not a handler")
    assert result.exit_code == 2


def test_no_iam_skips_the_policy_stage() -> None:
    """--no-iam lists routes and reach without policies, and says so in the JSON."""
    result = _run("analyze", str(FIXTURES / "powertools"), "--no-iam", "--format", "json")
    document = json.loads(result.output)
    assert document["iam"] is False
    assert all(r["permissions"] == [] for f in document["functions"] for r in f["routes"])
    assert "policy" not in _run("analyze", str(FIXTURES / "powertools"), "--no-iam").output


def test_markdown_escapes_what_could_break_a_table(tmp_path: Path) -> None:
    """A route path with a pipe or a backtick stays inside its table cell, in a code span that shows it as is."""
    handler = (
        "def lambda_handler(event, context):\n"
        '    if event["httpMethod"] == "GET" and event["path"] == "/a|b`c":\n'
        "        return a()\n\n"
        "def a():\n    return 1\n"
    )
    write_app(tmp_path, {"app.py": handler})
    result = _run("analyze", str(tmp_path), "--handler", "app.lambda_handler", "--format", "markdown")
    row = next(line for line in result.output.splitlines() if "/a" in line)
    assert "``GET /a\\|b`c``" in row
    assert row.count("|") - row.count("\\|") == 7  # six cells, unbroken


# ------------------------------------------------------------------------------------------------ CI use
BROKEN = "def lambda_handler(event, context):\n    return (\n"


def test_fail_on_picks_the_severity_that_fails_the_run(tmp_path: Path) -> None:
    """Warnings pass by default and fail with --fail-on warning; --fail-on never reports without failing."""
    fixture = str(FIXTURES / "if_chain_v1")  # warnings, no error
    assert _run("analyze", fixture).exit_code == 0
    assert _run("analyze", fixture, "--fail-on", "warning").exit_code == 1
    write_app(tmp_path, {"template.yaml": sam_template(EVENTS), "src/app.py": OK_HANDLER, "src/bad.py": BROKEN})
    assert _run("analyze", str(tmp_path)).exit_code == 1
    assert _run("analyze", str(tmp_path), "--fail-on", "never").exit_code == 0


def test_strict_fails_on_an_incomplete_policy() -> None:
    """--strict exits 1 when a route's policy is incomplete (the getattr route of if_chain_v1), else 0."""
    assert _run("analyze", str(FIXTURES / "if_chain_v1"), "--strict", "--fail-on", "never").exit_code == 1
    assert _run("analyze", str(FIXTURES / "powertools"), "--strict").exit_code == 0


def test_colour_can_be_turned_off_by_option_or_environment() -> None:
    """Forced colours show; --no-color (before or after the subcommand) and NO_COLOR remove them."""
    fixture = str(FIXTURES / "powertools")
    runner = CliRunner()
    assert "\x1b[" in runner.invoke(main, ["analyze", fixture], color=True).output
    assert "\x1b[" not in runner.invoke(main, ["analyze", fixture, "--no-color"], color=True).output
    assert "\x1b[" not in runner.invoke(main, ["--no-color", "analyze", fixture], color=True).output
    assert "\x1b[" not in runner.invoke(main, ["analyze", fixture], color=True, env={"NO_COLOR": "1"}).output


def test_debug_is_accepted_after_the_subcommand(tmp_path: Path) -> None:
    """`analyze --debug` re-raises the error as `--debug analyze` does, instead of one line."""
    for args in (["--debug", "analyze", str(tmp_path / "nowhere")], ["analyze", str(tmp_path / "nowhere"), "--debug"]):
        result = CliRunner().invoke(main, args)
        assert isinstance(result.exception, UsageError)


def test_help_lists_exit_codes_and_every_option_says_what_it_does() -> None:
    """`--help` of the group and of analyze ends with the exit codes; no option lacks a help text."""
    for args in (["--help"], ["analyze", "--help"]):
        output = _run(*args).output
        assert "Exit codes:" in output
        assert "2  a usage error" in output
    for command in (main, *main.commands.values()):
        assert [p.name for p in command.params if isinstance(p, click.Option) and not p.help] == []


def test_an_unknown_function_lists_the_functions_there_are(tmp_path: Path) -> None:
    """--function with a name the template lacks says which Python functions it has."""
    write_app(tmp_path, {"template.yaml": sam_template(EVENTS), "src/app.py": OK_HANDLER})
    result = _run("analyze", str(tmp_path), "--function", "Nope")
    assert result.exit_code == 2
    assert "no Python function 'Nope' in template.yaml; its Python functions: ApiFunction" in result.output


def test_a_fatal_error_in_json_mode_is_a_json_document(tmp_path: Path) -> None:
    """With --format json, an error that stops the run still prints a JSON document naming it (and exit 2)."""
    write_app(tmp_path, {"template.yaml": "Resources:\n  A: [unclosed\n", "src/app.py": OK_HANDLER})
    result = CliRunner().invoke(main, ["analyze", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["version"] == 1
    assert document["error"]["location"].startswith("template.yaml:")
    assert document["error"]["exit_code"] == 2


def test_an_internal_error_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A bug in decompose is one line that says how to see the traceback, and exit 2 (JSON: a document)."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "analyze", broken)
    result = CliRunner().invoke(main, ["analyze", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2
    assert "decompose: error: internal error: RuntimeError: boom (run with --debug" in result.stderr
    assert json.loads(result.stdout)["error"]["message"].startswith("internal error: RuntimeError: boom")


def test_a_full_disk_is_one_line_and_exit_1() -> None:
    """Writing the report to /dev/full (the console script, a real process) is one line on stderr, exit 1."""
    result = subprocess.run(
        [sys.executable, "-m", "decompose", "analyze", str(FIXTURES / "powertools")],
        stdout=Path("/dev/full").open("w"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["decompose: error: cannot write the output: No space left on device"]


def test_a_forked_cli_writing_to_a_full_disk_says_so_too() -> None:
    """The same through the forked CLI runner (which the hostile-input table uses), in JSON mode."""
    result = run_cli("analyze", str(FIXTURES / "powertools"), "--format", "json", stdout=Path("/dev/full"))
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert "cannot write the output" in result.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_after_a_while_and_erases_itself() -> None:
    """A run longer than the delay shows what it is doing on one stderr line, and clears it at the end."""
    stream = _Terminal()
    with Progress(stream=stream, after=0.05, tick=0.01) as progress:
        progress("parsing src")
        time.sleep(0.2)
    text = stream.getvalue()
    assert "decompose: parsing src" in text
    assert text.endswith("\r\x1b[K")


def test_progress_stays_quiet_off_a_terminal_and_on_short_runs() -> None:
    """Nothing is written to a pipe or a file, nor to a terminal when the run ends before the delay."""
    piped, quick = io.StringIO(), _Terminal()
    with Progress(stream=piped, after=0.0, tick=0.01) as progress:
        progress("x")
        time.sleep(0.05)
    with Progress(stream=quick, after=5.0) as progress:
        progress("x")
    assert piped.getvalue() == ""
    assert quick.getvalue() == ""
