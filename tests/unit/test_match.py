"""MatchAnalyzer: routes from `match` on route keys, tuples, path segments and event sources."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import routes_of

HELPERS = """
def a(*args): return 1
def b(*args): return 2
def c(*args): return 3
def missing(*args): return 404
"""

CASES = [
    pytest.param(
        """
        def lambda_handler(event, context):
            match event["routeKey"]:
                case "GET /a":
                    return a()
                case "POST /b" | "PUT /b":
                    return b()
                case _:
                    return missing()
        """,
        {"GET /a": "app.a", "POST /b": "app.b", "PUT /b": "app.b"},
        id="route-key-with-or-and-default",
    ),
    pytest.param(
        """
        def lambda_handler(event, context):
            match (event["httpMethod"], event["path"]):
                case ("GET", "/a"):
                    return a()
                case ("DELETE", "/c"):
                    return c()
        """,
        {"GET /a": "app.a", "DELETE /c": "app.c"},
        id="method-path-tuple",
    ),
    pytest.param(
        """
        def lambda_handler(event, context):
            method = event["requestContext"]["http"]["method"]
            match (method, event["rawPath"].strip("/").split("/")):
                case ("GET", ["notes"]):
                    return a()
                case ("GET", ["notes", note_id]):
                    return b(note_id)
                case (_, ["files", *rest]):
                    return c(rest)
        """,
        {"GET /notes": "app.a", "GET /notes/{note_id}": "app.b", "ANY /files/{proxy+}": "app.c"},
        id="segments-with-captures-and-star",
    ),
    pytest.param(
        """
        def lambda_handler(event, context):
            for record in event["Records"]:
                match record["eventSource"]:
                    case "aws:s3":
                        a(record)
                    case "aws:sqs":
                        b(record)
        """,
        {"S3 aws:s3": "app.a", "SQS aws:sqs": "app.b"},
        id="event-source",
    ),
    pytest.param(
        """
        class Routes:
            LIST = "GET /notes"
            CREATE = "POST /notes"
        def lambda_handler(event, context):
            match event["routeKey"]:
                case Routes.LIST:
                    return a()
                case Routes.CREATE:
                    return b()
        """,
        {"GET /notes": "app.a", "POST /notes": "app.b"},
        id="dotted-constants",
    ),
]


@pytest.mark.parametrize(("handler", "expected"), CASES)
def test_match_routes(analyze_app, handler: str, expected: dict[str, str]) -> None:
    """Each match shape yields its routes; `case _` yields none."""
    report = analyze_app({"app.py": textwrap.dedent(handler) + HELPERS}, handler="app.lambda_handler")
    routes = routes_of(report)
    assert {rid: r.entry for rid, r in routes.items()} == expected
    assert {r.dispatch for r in routes.values()} == {"match"}
