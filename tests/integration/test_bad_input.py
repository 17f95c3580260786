"""Bad input: one line naming the file and line, never a traceback, and the rest still analyzed."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from decompose.cli import main
from tests.conftest import sam_template, write_app

GOOD = """
import broken

def lambda_handler(event, context):
    if event["httpMethod"] == "GET" and event["path"] == "/a":
        return a()
    if event["httpMethod"] == "GET" and event["path"] == "/b":
        return broken.b()

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


def _run(path: Path, *args: str):
    return CliRunner().invoke(main, ["analyze", str(path), *args])


def test_syntax_error_is_reported_and_other_routes_survive(tmp_path: Path) -> None:
    """A file with a syntax error is one error finding at its line; routes elsewhere are still found; exit 1."""
    write_app(
        tmp_path,
        {"template.yaml": sam_template(EVENTS), "src/app.py": GOOD, "src/broken.py": "def b(:\n    pass\n"},
    )
    result = _run(tmp_path)
    assert result.exit_code == 1
    assert "src/broken.py:1  syntax-error" in result.output
    assert "GET /a" in result.output
    assert "Traceback" not in result.output


def test_non_utf8_file_is_reported_with_its_line(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are a decode-error at the line they are on."""
    write_app(
        tmp_path,
        {"template.yaml": sam_template(EVENTS), "src/app.py": GOOD, "src/broken.py": b"x = 1\ny = '\xff'\n"},
    )
    result = _run(tmp_path)
    assert result.exit_code == 1
    assert "src/broken.py:2  decode-error" in result.output


def test_handler_that_does_not_exist(tmp_path: Path) -> None:
    """A Handler naming a missing function is an error at the function's line in the template."""
    write_app(tmp_path, {"template.yaml": sam_template(EVENTS, handler="app.nope"), "src/app.py": GOOD})
    result = _run(tmp_path)
    assert result.exit_code == 1
    assert "handler-not-found" in result.output
    assert "handler app.nope not found" in result.output


def test_template_that_is_not_yaml(tmp_path: Path) -> None:
    """A template that does not parse is a one-line error with its line; exit 2 (nothing analyzed), nothing else."""
    write_app(tmp_path, {"template.yaml": "Resources:\n  A: [unclosed\n", "src/app.py": GOOD})
    result = _run(tmp_path)
    assert result.exit_code == 2
    assert result.output.startswith("decompose: error: template.yaml:")
    assert len(result.output.strip().splitlines()) == 1


def test_template_without_resources(tmp_path: Path) -> None:
    """A YAML file that is not a template says so (exit 2: there is nothing to analyze)."""
    write_app(tmp_path, {"template.yaml": "just: a mapping\n", "src/app.py": GOOD})
    result = _run(tmp_path)
    assert result.exit_code == 2
    assert "template.yaml:1: template has no Resources mapping" in result.output


def test_non_python_runtime_is_skipped_with_a_warning(tmp_path: Path) -> None:
    """A Node.js function is reported and skipped; the Python one is analyzed."""
    template = sam_template(EVENTS) + (
        "  NodeFunction:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: web/\n"
        "      Handler: index.handler\n"
        "      Runtime: nodejs20.x\n"
    )
    write_app(tmp_path, {"template.yaml": template, "src/app.py": GOOD, "src/broken.py": "def b():\n    return 2\n"})
    result = _run(tmp_path)
    assert result.exit_code == 0
    assert "unsupported-runtime: NodeFunction runs 'nodejs20.x', not Python; skipped" in result.output
    assert "GET /a" in result.output


def test_missing_path(tmp_path: Path) -> None:
    """A path that does not exist is a usage error."""
    result = _run(tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "no such file or directory" in result.output


def test_json_template_is_read_too(tmp_path: Path) -> None:
    """CloudFormation JSON templates work like YAML ones."""
    template = (
        '{"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Fn": {"Type": "AWS::Serverless::Function",'
        ' "Properties": {"CodeUri": "src", "Handler": "app.lambda_handler", "Runtime": "python3.12",'
        ' "Events": {"A": {"Type": "Api", "Properties": {"Path": "/a", "Method": "GET"}}}}}}}'
    )
    write_app(tmp_path, {"template.json": template, "src/app.py": GOOD, "src/broken.py": "def b():\n    return 2\n"})
    result = _run(tmp_path, "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"event": "A"' in result.output


def test_event_path_built_with_an_intrinsic_is_not_a_catch_all(tmp_path: Path) -> None:
    """`Path: !Sub "/${Stage}/a"` is matched literally (and reported), never taken for `/{proxy+}`."""
    events = "A:\n  Type: Api\n  Properties:\n    Path: !Sub '/${Stage}/a'\n    Method: get\n"
    write_app(
        tmp_path,
        {"template.yaml": sam_template(events), "src/app.py": GOOD, "src/broken.py": "def b():\n    return 2\n"},
    )
    result = _run(tmp_path)
    assert "catch-all" not in result.output
    assert "event-without-route: event A (GET /${Stage}/a)" in result.output
