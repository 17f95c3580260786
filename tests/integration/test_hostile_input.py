"""Hostile input through the real CLI, each case in a process of its own with a deadline: never a traceback,
never a hang, always a one-line answer naming the file and line, and the rest of the project analyzed."""

from __future__ import annotations

import json
import os
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from decompose.loading import source
from tests.cli_process import CliResult, run_cli
from tests.conftest import sam_template, write_app

APP = """
def lambda_handler(event, context):
    if event["httpMethod"] == "GET" and event["path"] == "/a":
        return a()

def a():
    return 1
"""
EVENTS = "A:\n  Type: Api\n  Properties:\n    Path: /a\n    Method: get\n"


def _clean(result: CliResult) -> None:
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in (0, 1, 2), result.output


def _analyze(root: Path, *args: str, **kwargs: Any) -> CliResult:
    result = run_cli("analyze", str(root), *args, **kwargs)
    _clean(result)
    return result


# ------------------------------------------------------------------------------------- template shapes
WRONG = {"a string": "x", "a list": [1], "a number": 5, "null": None}


def _base() -> dict[str, Any]:
    """A template with every kind of value decompose reads: a function, its role, a WebSocket route."""
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "ApiFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "src/",
                    "Handler": "app.lambda_handler",
                    "Runtime": "python3.12",
                    "Role": {"Fn::GetAtt": ["AppRole", "Arn"]},
                    "Environment": {"Variables": {"TABLE": {"Ref": "Table"}}},
                    "Events": {"A": {"Type": "Api", "Properties": {"Path": "/a", "Method": "get"}}},
                },
            },
            "OtherFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "src/", "Handler": "app.lambda_handler", "Runtime": "python3.12"},
            },
            "AppRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {},
                    "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": []}}],
                },
            },
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "PAY_PER_REQUEST"}},
            "Integration": {
                "Type": "AWS::ApiGatewayV2::Integration",
                "Properties": {"IntegrationUri": {"Fn::GetAtt": ["ApiFunction", "Arn"]}},
            },
            "ConnectRoute": {
                "Type": "AWS::ApiGatewayV2::Route",
                "Properties": {"RouteKey": "$connect", "Target": "integrations/x"},
            },
        },
    }


# (where the value goes, how the message names it, the types the schema allows there, null allowed)
SHAPES = [
    (("ApiFunction", "Properties"), "Properties of ApiFunction", {"a mapping"}, False),
    (("ApiFunction", "Properties", "Events"), "Events of ApiFunction", {"a mapping"}, True),
    (("ApiFunction", "Properties", "Events", "A"), "event A of ApiFunction", {"a mapping"}, True),
    (
        ("ApiFunction", "Properties", "Events", "A", "Properties"),
        "Properties of event A of ApiFunction",
        {"a mapping"},
        False,
    ),
    (
        ("ApiFunction", "Properties", "Events", "A", "Properties", "Path"),
        "Properties.Path of event A of ApiFunction",
        {"a string"},
        False,
    ),
    (("ApiFunction", "Properties", "Environment"), "Environment of ApiFunction", {"a mapping"}, True),
    (
        ("ApiFunction", "Properties", "Environment", "Variables"),
        "Environment.Variables of ApiFunction",
        {"a mapping"},
        True,
    ),
    (("ApiFunction", "Properties", "Policies"), "Policies of ApiFunction", {"a mapping", "a list", "a string"}, True),
    (("ApiFunction", "Properties", "Role"), "Role of ApiFunction", {"a mapping", "a string"}, True),
    (("ApiFunction", "Properties", "Handler"), "Handler of ApiFunction", {"a string"}, True),
    (("AppRole", "Properties", "Policies"), "Policies of AppRole", {"a list"}, True),
    (("AppRole", "Properties", "Policies", 0), "Policies entry 1 of AppRole", {"a mapping"}, True),
    (("ConnectRoute", "Properties"), "Properties of ConnectRoute", {"a mapping"}, False),
    (("ConnectRoute", "Properties", "RouteKey"), "RouteKey of ConnectRoute", {"a string"}, False),
    (("Integration", "Properties"), "Properties of Integration", {"a mapping"}, False),
    (("Table", "Properties"), "Properties of Table", {"a mapping"}, False),
]
SHAPE_CASES = [
    pytest.param(path, shown, kind, value, nullable, id=f"{shown} as {kind}")
    for path, shown, allowed, nullable in SHAPES
    for kind, value in WRONG.items()
    if kind not in allowed
]


def _set(template: dict[str, Any], path: tuple[Any, ...], value: object) -> None:
    node: Any = template["Resources"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@pytest.mark.parametrize(("path", "shown", "kind", "value", "nullable"), SHAPE_CASES)
def test_a_value_of_the_wrong_shape_is_an_error_finding_at_its_line(  # noqa: PLR0917 - one per column
    tmp_path, path, shown, kind, value, nullable
) -> None:
    """Each value decompose reads, given as a string, list, number or null where it does not fit, is one
    error at its line (null: unset, as cfn-lint and SAM read it, unless the schema requires the key or it
    is a resource's Properties); the other function is still analyzed."""
    template = _base()
    _set(template, path, value)
    write_app(tmp_path, {"template.yaml": yaml.safe_dump(template, sort_keys=False), "src/app.py": APP})
    result = _analyze(tmp_path)
    if kind == "null" and nullable:
        assert "template-error" not in result.output
        return
    assert re.search(rf"template\.yaml:\d+  template-error: {re.escape(shown)} must be .*, not {kind}", result.output)
    assert result.exit_code == 1
    assert "OtherFunction" in result.stdout


def test_an_intrinsic_where_decompose_must_iterate_is_a_warning(tmp_path) -> None:
    """`Events: !If [...]` is valid CloudFormation but decompose cannot read the events: a warning says so."""
    template = _base()
    _set(template, ("ApiFunction", "Properties", "Events"), {"Fn::If": ["Prod", {}, {}]})
    write_app(tmp_path, {"template.yaml": yaml.safe_dump(template, sort_keys=False), "src/app.py": APP})
    result = _analyze(tmp_path)
    assert "Events of ApiFunction is built with Fn::If: decompose does not evaluate it" in result.output


def test_a_resource_that_is_not_a_mapping(tmp_path) -> None:
    """A resource that is a string is an error at its line; the functions are analyzed."""
    template = sam_template(EVENTS) + "  Broken: just a string\n"
    write_app(tmp_path, {"template.yaml": template, "src/app.py": APP})
    result = _analyze(tmp_path)
    assert re.search(
        r"template\.yaml:\d+  template-error: resource Broken must be a mapping, not a string", result.output
    )
    assert "GET /a" in result.stdout


# ----------------------------------------------------------------------------------------- source trees
def _app(root: Path, files: dict[str, str | bytes] | None = None, code_uri: str = "src/") -> Path:
    template = sam_template(EVENTS).replace("CodeUri: src/", f"CodeUri: {code_uri}")
    return write_app(root, {"template.yaml": template, "src/app.py": APP, **(files or {})})


def _deep_elif(branches: int) -> str:
    arms = "".join(f"    elif x == {i}:\n        return {i}\n" for i in range(1, branches))
    return "def f(x):\n    if x == 0:\n        return 0\n" + arms


Setup = Callable[[Path], Any]


def _links(*pairs: tuple[str, str]) -> Setup:
    def make(root: Path) -> None:
        for link, target in pairs:
            (root / link).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, root / link)

    return make


SOURCE_CASES: dict[str, tuple[dict[str, str | bytes], str, Setup | None, tuple[str, ...], int, list[str]]] = {
    # name: (files, CodeUri, setup, extra args, exit code, what the output says)
    "a symbolic-link loop in the code": (
        {},
        "src/",
        _links(("src/loop", "."), ("src/pkg/up", "..")),
        (),
        0,
        ["src/loop  symlink-loop: links back to src, a folder it is in; not followed", "GET /a"],
    ),
    "a CodeUri that is itself a link loop": (
        {},
        "loop",
        _links(("loop", "loop")),
        (),
        1,
        ["bad-code-uri: CodeUri 'loop' is a symbolic link loop"],
    ),
    "an absolute CodeUri outside the project": (
        {},
        "/usr/lib",
        None,
        (),
        1,
        ["code-outside-project: CodeUri '", "is outside the project folder; not read (pass --allow-outside"],
    ),
    "a CodeUri above the project": ({}, "../..", None, (), 1, ["code-outside-project: CodeUri '../..' is outside"]),
    "a link out of the project": (
        {},
        "src/",
        _links(("src/shared", "/usr/lib/python3")),
        (),
        0,
        ["src/shared  code-outside-project: a symbolic link out of the project folder; not read", "GET /a"],
    ),
    "a link to a missing file": (
        {},
        "src/",
        _links(("src/gone.py", "nowhere.py")),
        (),
        1,
        ["src/gone.py  read-error: a symbolic link to a missing file; skipped", "GET /a"],
    ),
    "a 12,000-branch elif chain": (
        {"src/deep.py": _deep_elif(12_000)},
        "src/",
        None,
        (),
        1,
        ["src/deep.py  too-complex: nests deeper than Python parses", "GET /a"],
    ),
    "a 20,000-term expression": (
        {"src/deep.py": "x = " + "+".join(["1"] * 20_000) + "\n"},
        "src/",
        None,
        (),
        1,
        ["src/deep.py  too-complex: nests deeper than Python parses; file skipped", "GET /a"],
    ),
    "a UTF-8 byte-order mark": ({"src/app.py": "\ufeff" + APP}, "src/", None, (), 0, ["GET /a"]),
    "a PEP 263 coding line": (
        {"src/app.py": ("# -*- coding: latin-1 -*-\n" + APP + "CAFE = 'caf\xe9'\n").encode("latin-1")},
        "src/",
        None,
        (),
        0,
        ["GET /a"],
    ),
    "an unknown codec": (
        {"src/odd.py": "# coding: klingon\nx = 1\n"},
        "src/",
        None,
        (),
        1,
        ["src/odd.py:1  decode-error: unknown encoding", "GET /a"],
    ),
    "a null byte": (
        {"src/bad.py": b"x = 1\ny = 2\0\n"},
        "src/",
        None,
        (),
        1,
        ["src/bad.py:2  syntax-error: a null byte"],
    ),
    "bytes that are not UTF-8": (
        {"src/bad.py": b"x = 1\ny = '\xff'\n"},
        "src/",
        None,
        (),
        1,
        ["src/bad.py:2  decode-error"],
    ),
}


@pytest.mark.parametrize("case", sorted(SOURCE_CASES))
def test_source_trees(tmp_path, case) -> None:
    """Links, folders outside the project and files CPython would (not) read each get a clear answer, and
    the rest of the code is analyzed."""
    files, code_uri, setup, args, code, expected = SOURCE_CASES[case]
    _app(tmp_path, files, code_uri)
    if setup is not None:
        setup(tmp_path)
    result = _analyze(tmp_path, *args)
    for text in expected:
        assert text in result.output, result.output
    assert result.exit_code == code, result.output


def test_a_file_over_the_size_bound_is_skipped(tmp_path, monkeypatch) -> None:
    """A source file larger than the parse bound is a too-complex finding naming it (bound lowered here)."""
    monkeypatch.setattr(source, "MAX_SOURCE_BYTES", 1000)  # the forked CLI inherits it
    _app(tmp_path, {"src/big.py": "x = 1\n" * 500})
    result = _analyze(tmp_path)
    assert "src/big.py  too-complex: 3,000 bytes, over the 1,000 parsed; file skipped" in result.output
    assert "GET /a" in result.stdout


def test_a_tree_deeper_than_the_measured_bound_is_skipped(tmp_path, monkeypatch) -> None:
    """Where the parser bounds depth by the C stack (Python 3.12+), the tree is measured: deeper than the bound
    is a too-complex finding (forced on here, with a bound of 20 levels)."""
    monkeypatch.setattr(source, "CHECK_NESTING", True)
    monkeypatch.setattr(source, "MAX_NESTING", 20)
    _app(tmp_path, {"src/deep.py": "x = " + "-" * 30 + "1\n"})
    result = _analyze(tmp_path)
    assert "src/deep.py  too-complex: nests 33 levels deep (decompose follows 20); file skipped" in result.output
    assert "GET /a" in result.stdout


def test_allow_outside_reads_it_and_keeps_code_uri_relative(tmp_path) -> None:
    """With --allow-outside a CodeUri outside the project is read, and the JSON still says where it is
    relative to PATH."""
    project, shared = tmp_path / "project", tmp_path / "shared"
    write_app(shared, {"app.py": APP})
    write_app(project, {"template.yaml": sam_template(EVENTS).replace("CodeUri: src/", f"CodeUri: {shared}")})
    refused = _analyze(project, "--format", "json")
    assert refused.exit_code == 1
    result = _analyze(project, "--allow-outside", "--format", "json")
    document = json.loads(result.stdout)
    assert [f["code_uri"] for f in document["functions"]] == ["../shared"]
    assert document["functions"][0]["routes"][0]["location"] == "../shared/app.py:5"


# --------------------------------------------------------------------------------------------- handlers
HANDLER_CASES = {
    "an alias": ("app.handler", APP + "\nhandler = lambda_handler\n", 0, ["GET /a", "entry          app.a"]),
    "a name imported from another module": ("main.handler", APP, 0, ["GET /a"]),
    "an instance of a class with __call__": (
        "app.handler",
        APP
        + "\nclass Handler:\n    def __call__(self, event, context):\n        return lambda_handler(event, context)\n"
        "\nhandler = Handler()\n",
        0,
        ["GET /a"],
    ),
    "a framework object": (
        "app.handler",
        "import adapters\n\nhandler = adapters.wrap(object())\n",
        1,
        ["unsupported-handler: handler app.handler is a framework object (adapters.wrap(...) from adapters)"],
    ),
    "a class": (
        "app.Handler",
        APP + "\nclass Handler:\n    pass\n",
        1,
        ["unsupported-handler: handler app.Handler is the class"],
    ),
    "a name the module does not define": (
        "app.nope",
        APP,
        1,
        ["handler app.nope not found under src (app defines no nope)"],
    ),
}


@pytest.mark.parametrize("case", sorted(HANDLER_CASES))
def test_handlers_are_followed_or_reported_as_what_they_are(tmp_path, case) -> None:
    """A handler that is an alias, an import or a callable object is followed; anything else is named for
    what it is, never just "not found"."""
    handler, code, exit_code, expected = HANDLER_CASES[case]
    files = {"template.yaml": sam_template(EVENTS, handler=handler), "src/app.py": code}
    files["src/main.py"] = "from app import lambda_handler as handler\n"
    write_app(tmp_path, files)
    result = _analyze(tmp_path)
    for text in expected:
        assert text in result.output, result.output
    assert result.exit_code == exit_code


# ----------------------------------------------------------------------------------------- routes
def _code_only(tmp_path: Path, code: str, *args: str) -> CliResult:
    write_app(tmp_path, {"app.py": code})
    return _analyze(tmp_path, "--handler", "app.lambda_handler", *args)


def _routes(result: CliResult) -> list[str]:
    return [r["id"] for f in json.loads(result.stdout)["functions"] for r in f["routes"]]


def test_literal_path_text_stays_literal(tmp_path) -> None:
    """`path == "/x/<b>"` compares text: `<b>` is no parameter (only framework rules use that syntax)."""
    code = 'def lambda_handler(event, context):\n    if event["path"] == "/x/<b>":\n        return b()\n\n'
    code += "def b():\n    return 1\n"
    assert _routes(_code_only(tmp_path, code, "--format", "json")) == ["ANY /x/<b>"]


def test_an_empty_prefix_is_not_a_catch_all(tmp_path) -> None:
    """`path.startswith("")` holds for every path: it pins no route, so no `/{proxy+}` route appears."""
    code = textwrap.dedent(
        """
        def lambda_handler(event, context):
            path = event["path"]
            if path == "/a":
                return a()
            if path.startswith(""):
                return other()

        def a():
            return 1

        def other():
            return 2
        """
    )
    assert _routes(_code_only(tmp_path, code, "--format", "json")) == ["ANY /a"]


CONTROL = (
    'def lambda_handler(event, context):\n    if event["path"] == "/a\\nb\\x1b[31m|`x`\\\\":\n        return a()\n\n'
    "def a():\n    return 1\n"
)


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_control_characters_in_a_route_are_escaped_in_every_format(tmp_path, fmt) -> None:
    """A newline or a terminal escape in a route string never reaches the output raw; JSON stays valid."""
    result = _code_only(tmp_path, CONTROL, "--format", fmt)
    assert "\x1b" not in result.stdout
    if fmt == "json":
        assert _routes(result) == ["ANY /a\nb\x1b[31m|`x`\\"]
        return
    line = next(line for line in result.stdout.splitlines() if "/a" in line)
    assert "\\nb\\x1b[31m" in line
    if fmt == "markdown":
        assert "``ANY /a\\nb\\x1b[31m\\|`x`\\``" in line  # one code span: the backslash is not doubled


def test_guarded_case_arms_and_unpacked_tables_are_read_or_reported(tmp_path) -> None:
    """A `case ... if guard` arm is read with its guard (or reported when the guard is no route test), and
    `**{...}` entries of a dispatch table are routes (or reported when they are not a dict literal)."""
    code = textwrap.dedent(
        """
        OTHER = {"GET /b": b}
        ROUTES = {"GET /a": a, **OTHER, **{"GET /c": c}, **make()}

        def lambda_handler(event, context):
            method, path = event["httpMethod"], event["path"]
            match (method, path):
                case ("GET", p) if p.startswith("/users/"):
                    return user(p)
                case ("POST", _) if flag():
                    return post()
            return ROUTES[f"{method} {path}"](event)

        def a(e): return 1
        def b(e): return 1
        def c(e): return 1
        def user(p): return 1
        def post(): return 1
        def flag(): return True
        def make(): return {}
        """
    )
    result = _code_only(tmp_path, code)
    for route in ("GET /a", "GET /b", "GET /c", "GET /users/{proxy+}", "POST /{proxy+}"):
        assert route in result.stdout
    assert "case guard `if flag()` is not a route test; the arm is read without it" in result.stdout
    assert "dispatch-table entry **make() is not a dict literal; not read" in result.stdout


# ----------------------------------------------------------------------------------------- IAM messages
TABLE = "  Table:\n    Type: AWS::DynamoDB::Table\n"


def test_policy_lines_of_one_call_site_are_merged(tmp_path) -> None:
    """Two environment variables that name the same table at one call site are one policy line."""
    code = textwrap.dedent(
        """
        import os
        import boto3

        ddb = boto3.resource("dynamodb")

        def lambda_handler(event, context):
            name = os.environ["A"] if event.get("x") else os.environ["B"]
            return ddb.Table(name).get_item(Key={})
        """
    )
    template = sam_template(extra_resources=TABLE).replace(
        "      Handler:",
        "      Environment:\n        Variables:\n          A: !Ref Table\n          B: !Ref Table\n      Handler:",
    )
    write_app(tmp_path, {"template.yaml": template, "src/app.py": code})
    result = _analyze(tmp_path)
    lines = [line for line in result.stdout.splitlines() if line.lstrip().startswith("policy")]
    assert len(lines) == 1
    assert "env A -> !Ref Table or env B -> !Ref Table" in lines[0]


def test_messages_never_say_none_nor_a_invoke_trigger(tmp_path) -> None:
    """In code-only mode the unbound-resource reasons read as sentences: no "None", no "a Invoke"."""
    code = textwrap.dedent(
        """
        import os
        import boto3

        s3 = boto3.client("s3")

        def lambda_handler(event, context):
            s3.put_object(Bucket=os.environ["BUCKET"], Key="k", Body=b"")
            s3.get_object(Bucket=event["bucket"], Key="k")
        """
    )
    result = _code_only(tmp_path, code)
    assert "unbound-resource" in result.stdout
    assert "None" not in result.stdout
    assert " a Invoke" not in result.stdout
    assert "environment variable BUCKET is read, and there is no template" in result.stdout
    assert "the bucket comes from the event (bucket), and the route's Invoke trigger names no bucket" in result.stdout


def test_a_literal_is_never_said_to_be_unknown(tmp_path) -> None:
    """A table named by one of two literals a parameter receives is bound to each, not "not known statically"."""
    code = textwrap.dedent(
        """
        import boto3

        ddb = boto3.resource("dynamodb")

        def get(name):
            return ddb.Table(name).get_item(Key={})

        def lambda_handler(event, context):
            return get("orders"), get("items")
        """
    )
    result = _code_only(tmp_path, code)
    assert "not known statically" not in result.stdout
    assert "table/orders" in result.stdout
    assert "table/items" in result.stdout


def test_the_star_fallback_is_compared_with_the_monolith_by_its_action(tmp_path) -> None:
    """decompose's own `*` for a table it cannot bind (named by the event) is no beyond-monolith-role when the
    monolith grants the action on a table: it need not grant `*`, only what the code really uses."""
    code = textwrap.dedent(
        """
        import boto3

        ddb = boto3.resource("dynamodb")

        def lambda_handler(event, context):
            return ddb.Table(event["table"]).get_item(Key={})
        """
    )
    template = sam_template(extra_resources=TABLE).replace(
        "      Handler:",
        "      Policies:\n        - DynamoDBReadPolicy:\n            TableName: !Ref Table\n      Handler:",
    )
    write_app(tmp_path, {"template.yaml": template, "src/app.py": code})
    result = _analyze(tmp_path)
    assert "dynamodb:GetItem on *" in result.stdout
    assert "unbound-resource" in result.stdout
    assert "beyond-monolith-role" not in result.stdout
