"""No silent under-grant: what decompose cannot follow is a gap on the route, flagged at its call site, and
the route's policy is marked incomplete; what it can follow is granted; what is not AWS is left alone."""

from __future__ import annotations

import textwrap

import pytest

from decompose.domain.model import AnalysisReport, Finding
from decompose.iam.completeness import RULE, operation_methods
from decompose.reporting.text_report import render_text
from tests.conftest import routes_of, sam_template

RESOURCES = """
Table:
  Type: AWS::DynamoDB::Table
Queue:
  Type: AWS::SQS::Queue
"""
ENVIRONMENT = "      Environment:\n        Variables:\n          TABLE: !Ref Table\n          QUEUE: !Ref Queue\n"
HEADER = """
import os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])
SQS = boto3.client("sqs")
"""


def _template(events: str = "") -> str:
    return sam_template(events, extra_resources=RESOURCES).replace("      Handler:", ENVIRONMENT + "      Handler:")


def _run(analyze_app, code: str, **modules: str) -> AnalysisReport:
    sources = {"app.py": textwrap.dedent(HEADER) + textwrap.dedent(code)}
    sources.update({f"{name}.py": textwrap.dedent(text) for name, text in modules.items()})
    return analyze_app(sources, _template())


def _flagged(report: AnalysisReport) -> list[Finding]:
    return [f for f in report.findings if f.rule == RULE]


# Shapes whose AWS calls decompose cannot follow: each is flagged where it happens, and the policy says so.
UNFOLLOWED = {
    "a client kept in a list": (
        """
        CLIENTS = [SQS]

        def lambda_handler(event, context):
            CLIENTS[0].send_message(QueueUrl=os.environ["QUEUE"], MessageBody="x")
        """,
        RULE,
        "CLIENTS[0].send_message() is named like an AWS operation (sqs)",
    ),
    "a client passed in a way the inference does not follow": (
        """
        def send(client):
            client.send_message(QueueUrl=os.environ["QUEUE"], MessageBody="x")

        def lambda_handler(event, context):
            send(**{"client": SQS})
        """,
        RULE,
        "client.send_message() is named like an AWS operation (sqs)",
    ),
    "an attribute assigned by code outside the route's reach": (
        """
        class Repo:
            def save(self, item):
                self.table.put_item(Item=item)

        REPO = Repo()

        def configure():
            REPO.table = TABLE

        def lambda_handler(event, context):
            REPO.save({"id": "1"})
        """,
        RULE,
        "self.table.put_item() is named like an AWS operation (dynamodb)",
    ),
    "a router decompose does not read": (
        """
        class Router:
            def __init__(self):
                self.routes = {}

            def route(self, key):
                def register(function):
                    self.routes[key] = function
                    return function
                return register

            def dispatch(self, event):
                return self.routes[event["routeKey"]](event)

        router = Router()

        @router.route("GET /orders")
        def list_orders(event):
            return TABLE.scan()

        def lambda_handler(event, context):
            return router.dispatch(event)
        """,
        "unresolved-dispatch",
        "the handler dispatches through app.router, a router decompose does not read: the functions registered"
        " on it (app.list_orders)",
    ),
    "a function looked up by a computed name": (
        """
        import tasks

        def lambda_handler(event, context):
            return getattr(tasks, event["task"])()
        """,
        "unresolved-dynamic",
        "getattr() with a computed attribute name",
    ),
}


@pytest.mark.parametrize("case", sorted(UNFOLLOWED))
def test_what_decompose_cannot_follow_marks_the_policy_incomplete(analyze_app, case) -> None:
    """Each under-grant shape is a finding on the route (file:line) and a gap: the policy is incomplete."""
    code, rule, message = UNFOLLOWED[case]
    report = _run(analyze_app, code, tasks="def purge():\n    return 1\n")
    (route,) = routes_of(report).values()
    findings = [f for f in report.findings if f.rule == rule]
    assert any(message in f.message and f.location is not None and f.location.line for f in findings), findings
    assert not route.policy_complete
    assert {g.rule for g in route.gaps} == {rule}
    assert "INCOMPLETE" in render_text(report)


# Shapes the inference follows: the permission is granted and the policy is complete.
FOLLOWED = {
    "a client set up in a base class through super().__init__": (
        """
        class Base:
            def __init__(self):
                self.queue = SQS

        class Notifier(Base):
            def __init__(self):
                super().__init__()

            def notify(self):
                self.queue.send_message(QueueUrl=os.environ["QUEUE"], MessageBody="x")

        def lambda_handler(event, context):
            Notifier().notify()
        """,
        "sqs:SendMessage",
    ),
    "a constructor called in a dispatch branch": (
        """
        class Service:
            def __init__(self, table):
                self.table = table

            def list(self):
                return self.table.scan()

        def lambda_handler(event, context):
            if event["httpMethod"] == "GET" and event["path"] == "/items":
                return Service(TABLE).list()
        """,
        "dynamodb:Scan",
    ),
    "an SDK call in the dispatch branch itself": (
        """
        def respond(body):
            return {"statusCode": 200, "body": body}

        def lambda_handler(event, context):
            if event["httpMethod"] == "GET" and event["path"] == "/items":
                items = TABLE.scan()
                return respond(items)
        """,
        "dynamodb:Scan",
    ),
    "a client from a wrapper that caches it in a dict, as a default argument": (
        """
        _CLIENTS = {}

        def get_client(name):
            if name not in _CLIENTS:
                _CLIENTS[name] = boto3.client(name)
            return _CLIENTS[name]

        SQS_CLIENT = get_client("sqs")

        def notify(event, client=SQS_CLIENT):
            client.send_message(QueueUrl=os.environ["QUEUE"], MessageBody="x")

        def lambda_handler(event, context):
            if event["httpMethod"] == "POST" and event["path"] == "/notify":
                return notify(event)
        """,
        "sqs:SendMessage",
    ),
}


@pytest.mark.parametrize("case", sorted(FOLLOWED))
def test_what_decompose_follows_is_granted_and_complete(analyze_app, case) -> None:
    """Shapes the inference follows get their permission, bound to the template, and a complete policy."""
    code, action = FOLLOWED[case]
    (route,) = routes_of(_run(analyze_app, code)).values()
    assert action in {p.action for p in route.permissions}
    assert all(p.resource != "*" for p in route.permissions)
    assert route.policy_complete


# Calls that are not AWS calls, however they are named: never flagged.
NOT_AWS = {
    "dict methods in a DynamoDB project": """
        def lambda_handler(event, context):
            item = TABLE.get_item(Key={"id": "1"}).get("Item", {})
            item.update({"seen": True})
            return dict(item).copy()
        """,
    "a non-AWS library's session.query()": """
        from sqlalchemy.orm import Session

        def lambda_handler(event, context):
            session = Session()
            return session.query("x").all()
        """,
    "a project object with a method named like an operation": """
        class Search:
            def query(self, text):
                return [text]

        def lambda_handler(event, context):
            return Search().query("x")
        """,
    "a method reached only because a dict's .get() is": """
        class Store:
            def __init__(self, table=TABLE):
                self.table = table

            def get(self, key):
                return self.table.get_item(Key={"id": key})

            def all(self):
                return self.table.scan().get("Items", [])

        def lambda_handler(event, context):
            return Store().all()
        """,
    "an unresolved receiver with an operation of a service the project never uses": """
        LOOKUP = {}

        def lambda_handler(event, context):
            return LOOKUP.get("search").start_query_execution(QueryString="x")
        """,
}


@pytest.mark.parametrize("case", sorted(NOT_AWS))
def test_calls_that_are_not_aws_are_not_flagged(analyze_app, case) -> None:
    """Receivers resolved to anything that is not a client, builtin method names and operations of services
    the project creates no client for are never reported."""
    report = _run(analyze_app, NOT_AWS[case])
    assert _flagged(report) == []
    assert all(route.policy_complete for route in routes_of(report).values())


def test_an_operation_of_a_service_the_project_uses_is_flagged(analyze_app) -> None:
    """The same unresolved call is flagged once the project creates a client of that service (Athena)."""
    code = """
        ATHENA = boto3.client("athena")
        LOOKUP = {}

        def lambda_handler(event, context):
            return LOOKUP.get("search").start_query_execution(QueryString="x")
        """
    (finding,) = _flagged(_run(analyze_app, code))
    assert "LOOKUP.get('search').start_query_execution() is named like an AWS operation (athena)" in finding.message


def test_a_client_built_with_a_computed_service_name_makes_every_service_count(analyze_app) -> None:
    """When the project creates a client of a service it computes, every service's operations count."""
    code = """
        MAILERS = {}

        def client():
            return boto3.client(os.environ["SERVICE"])

        def lambda_handler(event, context):
            mailer = MAILERS.get("ses")
            return mailer.send_email(Source="a", Destination={}, Message={})
        """
    (finding,) = _flagged(_run(analyze_app, code))
    assert "(pinpoint-email, ses, sesv2)" in finding.message
    assert "send_email" in operation_methods(None)


def test_one_call_site_reached_by_many_routes_is_one_finding(analyze_app) -> None:
    """A warning at one call site shared by every route is one finding naming them all, shown once."""
    code = """
        BOX = {}

        def publish():
            BOX["sqs"].send_message(QueueUrl=os.environ["QUEUE"], MessageBody="x")

        def a():
            publish()

        def b():
            publish()

        def c():
            publish()

        def lambda_handler(event, context):
            path = event["path"]
            if path == "/a":
                return a()
            if path == "/b":
                return b()
            if path == "/c":
                return c()
        """
    report = _run(analyze_app, code)
    (finding,) = _flagged(report)
    assert finding.all_routes == ("ANY /a", "ANY /b", "ANY /c")
    assert "[ANY /a and 2 more routes]" in render_text(report)
    assert not any(route.policy_complete for route in routes_of(report).values())
