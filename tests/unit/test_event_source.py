"""EventSourceAnalyzer: non-HTTP routes in one handler, matched to the template's events."""

from __future__ import annotations

from tests.conftest import routes_of, sam_template

HANDLER = """
def lambda_handler(event, context):
    if "Records" in event:
        for record in event["Records"]:
            source = record.get("eventSource") or record.get("EventSource")
            if source == "aws:s3":
                on_upload(record)
            elif source == "aws:sqs":
                on_job(record)
            elif source == "aws:sns":
                on_alert(record)
        return None
    if event.get("source") == "shop.orders" and event.get("detail-type") == "OrderPlaced":
        return on_order(event["detail"])
    if event.get("detail-type") == "Scheduled Event":
        return nightly()
    route_key = event["requestContext"]["routeKey"]
    if route_key == "$connect":
        return connect(event)

def on_upload(record): ...
def on_job(record): ...
def on_alert(record): ...
def on_order(detail): ...
def nightly(): ...
def connect(event): ...
"""

EVENTS = """
Upload:
  Type: S3
  Properties:
    Bucket: !Ref Uploads
    Events: s3:ObjectCreated:*
Jobs:
  Type: SQS
  Properties:
    Queue: !GetAtt JobsQueue.Arn
MoreJobs:
  Type: SQS
  Properties:
    Queue: !GetAtt OtherQueue.Arn
Alerts:
  Type: SNS
  Properties:
    Topic: !Ref AlertsTopic
Placed:
  Type: EventBridgeRule
  Properties:
    Pattern:
      source: [shop.orders]
      detail-type: [OrderPlaced]
Nightly:
  Type: Schedule
  Properties:
    Schedule: rate(1 day)
"""

RESOURCES = """
Uploads:
  Type: AWS::S3::Bucket
JobsQueue:
  Type: AWS::SQS::Queue
OtherQueue:
  Type: AWS::SQS::Queue
AlertsTopic:
  Type: AWS::SNS::Topic
"""


def test_code_only_ids_name_what_the_code_tests(analyze_app) -> None:
    """Without a template, a route is named by the source value the code compares."""
    report = analyze_app({"app.py": HANDLER}, handler="app.lambda_handler")
    assert set(routes_of(report)) == {
        "S3 aws:s3",
        "SQS aws:sqs",
        "SNS aws:sns",
        "EventBridgeRule shop.orders/OrderPlaced",
        "Schedule aws.events",
        "WebSocket $connect",
    }


def test_template_events_name_the_routes(analyze_app) -> None:
    """With a template, each route is named by its event's resource; one branch serving two queues is two routes."""
    report = analyze_app({"app.py": HANDLER}, template=sam_template(EVENTS, extra_resources=RESOURCES))
    routes = routes_of(report)
    assert {rid: (r.entry, r.trigger.event) for rid, r in routes.items() if not rid.startswith("WebSocket")} == {
        "S3 Uploads": ("app.on_upload", "Upload"),
        "SQS JobsQueue": ("app.on_job", "Jobs"),
        "SQS OtherQueue": ("app.on_job", "MoreJobs"),
        "SNS AlertsTopic": ("app.on_alert", "Alerts"),
        "EventBridgeRule Placed": ("app.on_order", "Placed"),
        "Schedule rate(1 day)": ("app.nightly", "Nightly"),
    }
    assert {r.dispatch for r in routes.values()} == {"event-source"}
    # The WebSocket branch has no ApiGatewayV2 route in this template.
    assert [(f.rule, f.route) for f in report.findings if f.rule == "route-without-event"] == [
        ("route-without-event", "WebSocket $connect")
    ]


def test_guard_in_a_records_helper(analyze_app) -> None:
    """`if record["eventSource"] != "aws:s3": continue` in a helper that receives the records is an S3 route."""
    report = analyze_app(
        {
            "app.py": """
            def _records(records):
                for record in records:
                    if record.get("eventSource") != "aws:s3":
                        continue
                    on_upload(record)

            def lambda_handler(event, context):
                if "Records" in event:
                    return _records(event["Records"])
                return None

            def on_upload(record): ...
            """
        },
        handler="app.lambda_handler",
    )
    assert {rid: r.entry for rid, r in routes_of(report).items()} == {"S3 aws:s3": "app.on_upload"}


def test_one_rule_served_by_two_branches_is_one_route_holding_both(analyze_app) -> None:
    """A rule for two detail types, each with its branch: one route, both callees in its reach, and a note. The
    entry is the handler (sliced to the route, as the split's handler is): neither callee alone serves it."""
    handler = """
    def lambda_handler(event, context):
        if event["detail-type"] == "OrderCreated":
            return on_created(event["detail"])
        if event["detail-type"] == "OrderDeleted":
            return on_deleted(event["detail"])

    def on_created(detail): ...
    def on_deleted(detail): ...
    """
    events = """
    CreatedOrDeleted:
      Type: EventBridgeRule
      Properties:
        Pattern: {source: [shop], detail-type: [OrderCreated, OrderDeleted]}
    """
    report = analyze_app({"app.py": handler}, template=sam_template(events))
    routes = routes_of(report)
    assert list(routes) == ["EventBridgeRule CreatedOrDeleted"]
    route = routes["EventBridgeRule CreatedOrDeleted"]
    assert route.entry == "app.lambda_handler"
    assert {"app.on_created", "app.on_deleted"} <= set(route.reach.definitions)
    notes = [f for f in report.findings if f.rule == "route-several-branches"]
    assert [(f.route, "app.on_created, app.on_deleted" in f.message, "sliced" in f.message) for f in notes] == [
        ("EventBridgeRule CreatedOrDeleted", True, True)
    ]


SHAPE_SWITCH = """
import os
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

app = APIGatewayHttpResolver()

@app.get("/orders")
def list_orders():
    return []

def http(event, context):
    return app.resolve(event, context)

def on_records(event):
    for record in event["Records"]:
        if record["s3"]["bucket"]["name"] == os.environ["UPLOADS"]:
            key = record["s3"]["object"]["key"]
            if key.startswith("images/"):
                resize(record)
            elif key.startswith("docs/"):
                index(record)

def resize(record): ...
def index(record): ...
def on_custom(event): ...
def on_queue(event): ...

def lambda_handler(event, context):
    if "routeKey" in event:
        return http(event, context)
    if "Records" in event and event["Records"][0]["eventSource"] == "aws:s3":
        return on_records(event)
    if "Records" in event:
        return on_queue(event)
    if "resourceType" in event:
        return on_custom(event)
"""


def test_a_shape_switch_hands_the_event_to_helpers_that_dispatch_again(analyze_app) -> None:
    """Into a Powertools `app.resolve`, a Records loop on bucket then key prefix, a Records helper that does not
    dispatch again, and a payload key of the project's own: each is its own route."""
    routes = routes_of(analyze_app({"app.py": SHAPE_SWITCH}, handler="app.lambda_handler"))
    assert {rid: r.entry for rid, r in routes.items()} == {
        "GET /orders": "app.list_orders",
        "S3 os.environ['UPLOADS']/images/": "app.resize",
        "S3 os.environ['UPLOADS']/docs/": "app.index",
        "Records *": "app.on_queue",
        "Invoke resourceType in event": "app.on_custom",
    }
    assert routes["GET /orders"].trigger.type == "HttpApi"
