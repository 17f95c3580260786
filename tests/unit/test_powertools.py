"""PowertoolsAnalyzer: decorated routes on a resolver and on routers included with a prefix."""

from __future__ import annotations

from tests.conftest import routes_of

APP = """
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver as Resolver
import payments

app = Resolver()
app.include_router(payments.router, prefix="/payments")

@app.get("/orders/<order_id>")
def get_order(order_id):
    return {"id": order_id}

@app.route("/orders", method=["POST", "PUT"])
def save_order():
    return app.current_event.json_body

def lambda_handler(event, context):
    return app.resolve(event, context)
"""

PAYMENTS = """
from aws_lambda_powertools.event_handler.router import Router

router = Router()

@router.get("/")
def list_payments():
    return []

@router.post("/<payment_id>/refund")
def refund(payment_id):
    return {"refunded": payment_id}
"""


def test_resolver_and_router_routes(analyze_app) -> None:
    """Every decorated function is a route; router paths get the include prefix; `<x>` becomes `{x}`."""
    report = analyze_app({"app.py": APP, "payments.py": PAYMENTS}, handler="app.lambda_handler")
    routes = routes_of(report)
    assert {rid: r.entry for rid, r in routes.items()} == {
        "GET /orders/{order_id}": "app.get_order",
        "POST /orders": "app.save_order",
        "PUT /orders": "app.save_order",
        "GET /payments": "payments.list_payments",
        "POST /payments/{payment_id}/refund": "payments.refund",
    }
    assert {r.trigger.type for r in routes.values()} == {"HttpApi"}


def test_registration_is_not_part_of_the_reach(analyze_app) -> None:
    """Route decorators and include_router wire routes up; only code the route body uses is reached."""
    report = analyze_app({"app.py": APP, "payments.py": PAYMENTS}, handler="app.lambda_handler")
    routes = routes_of(report)
    assert routes["GET /orders/{order_id}"].reach.definitions == ("app.get_order",)
    assert routes["GET /orders/{order_id}"].reach.modules == ("app",)
    assert routes["POST /orders"].reach.definitions == ("app.app", "app.save_order")
    assert routes["GET /payments"].reach.definitions == ("payments.list_payments",)


REBOUND = """
import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

app = APIGatewayHttpResolver()
s3 = boto3.client("s3")

@app.get("/a")
def handler():
    return s3.list_buckets()

@app.get("/b")
def handler():
    return s3.get_object(Bucket="b", Key="k")

def lambda_handler(event, context):
    return app.resolve(event, context)
"""


def test_two_routes_sharing_one_python_name_both_exist(analyze_app) -> None:
    """Each decorator registers its function before the name is rebound: both routes, each with its own code."""
    routes = routes_of(analyze_app({"app.py": REBOUND}, handler="app.lambda_handler"))
    assert {rid: (r.entry, str(r.location)) for rid, r in routes.items()} == {
        "GET /a": ("app.handler@8", "app.py:8"),
        "GET /b": ("app.handler", "app.py:12"),
    }
    assert {c.operation for c in routes["GET /a"].calls} == {"ListBuckets"}
    assert {c.operation for c in routes["GET /b"].calls} == {"GetObject"}
