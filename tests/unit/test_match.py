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


DECORATED = """
import functools
import os
import boto3

s3 = boto3.client("s3")

def route_key(fn):
    @functools.wraps(fn)
    def wrapper(event, context):
        key = f"{event['httpMethod']} {event['resource']}"
        s3.put_object(Bucket=os.environ["AUDIT"], Key="audit.log", Body=b"")
        return fn(key, event, context)
    return wrapper

@route_key
def lambda_handler(key, event, context):
    match key:
        case "GET /orders":
            return list_orders()
        case "POST /orders":
            return create_order(event)

def list_orders(): return []
def create_order(event): return {}
"""


def test_a_decorator_builds_the_route_key_the_handler_matches(analyze_app) -> None:
    """The wrapper computes `f"{method} {resource}"` and passes it in: routes from the handler's `match`, and the
    wrapper's own AWS call is in every route's reach and policy."""
    routes = routes_of(analyze_app({"app.py": DECORATED}, handler="app.lambda_handler"))
    assert {rid: r.entry for rid, r in routes.items()} == {
        "GET /orders": "app.list_orders",
        "POST /orders": "app.create_order",
    }
    for route in routes.values():
        assert "app.route_key" in route.reach.definitions
        assert {(c.service, c.operation) for c in route.calls} == {("s3", "PutObject")}
