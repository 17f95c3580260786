"""The CLI through click's CliRunner: formats, exit codes, and one-line errors naming file and line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from decompose.cli import main
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
