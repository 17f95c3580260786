"""Matching code routes to template events when some routes were extracted to functions of their own."""

from __future__ import annotations

from collections.abc import Callable

from decompose.domain.model import AnalysisReport

HANDLER = """
def lambda_handler(event, context):
    if event["httpMethod"] == "GET" and event["path"] == "/a":
        return a()
    if event["httpMethod"] == "GET" and event["path"] == "/b":
        return b()

def a():
    return 1

def b():
    return 2
"""

EXTRACTED = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.lambda_handler
      Runtime: python3.12
      Events:
        B:
          Type: Api
          Properties: {Path: /b, Method: get}
  GetAFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: handlers.get_a.lambda_handler
      Runtime: python3.12
      Events:
        A:
          Type: Api
          Properties: {Path: /a, Method: get}
"""

GET_A = """
from app import a

def lambda_handler(event, context):
    return a()
"""


def _rules(report: AnalysisReport) -> list[tuple[str, str | None, str]]:
    """The route/event findings (the anti-pattern rules have their own tests)."""
    return [(f.rule, f.route, f.severity.value) for f in report.findings if f.rule.startswith(("route-", "event-"))]


def test_a_route_whose_event_moved_to_another_function_is_extracted_not_missing(
    analyze_app: Callable[..., AnalysisReport],
) -> None:
    """The monolith's branch for GET /a, whose event now belongs to GetAFunction, is info `route-extracted`."""
    report = analyze_app({"app.py": HANDLER, "handlers/get_a.py": GET_A}, EXTRACTED, function="ApiFunction")
    assert _rules(report) == [("route-extracted", "GET /a", "info")]
    (finding,) = [f for f in report.findings if f.rule == "route-extracted"]
    assert finding.message.startswith("served by GetAFunction (event A)")
    monolith = report.functions[0]
    assert {r.id: r.trigger.event for r in monolith.routes} == {"GET /a": None, "GET /b": "B"}


def test_without_another_function_the_route_has_no_event(analyze_app: Callable[..., AnalysisReport]) -> None:
    """A route no function of the template routes stays `route-without-event`."""
    template = EXTRACTED[: EXTRACTED.index("  GetAFunction:")]
    report = analyze_app({"app.py": HANDLER}, template)
    assert _rules(report) == [("route-without-event", "GET /a", "warning")]


GREEDY = EXTRACTED.replace("Path: /a, Method: get", 'Path: "/admin/{proxy+}", Method: any')

ADMIN = """
def lambda_handler(event, context):
    if event["path"].startswith("/admin/"):
        return admin()
    if event["httpMethod"] == "GET" and event["path"] == "/b":
        return b()

def admin():
    return 1

def b():
    return 2
"""


def test_a_greedy_route_moved_with_its_own_greedy_event_is_extracted(
    analyze_app: Callable[..., AnalysisReport],
) -> None:
    """`ANY /admin/{proxy+}` whose `/admin/{proxy+}` event moved to another function is `route-extracted` too."""
    report = analyze_app({"app.py": ADMIN, "handlers/get_a.py": GET_A}, GREEDY, function="ApiFunction")
    assert _rules(report) == [("route-extracted", "ANY /admin/{proxy+}", "info")]
