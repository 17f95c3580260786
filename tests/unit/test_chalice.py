"""ChaliceAnalyzer: a Chalice app's routes (the `app.app` handler) and its event handlers (each its own
function, as `chalice deploy` makes them)."""

from __future__ import annotations

import pytest

from tests.conftest import routes_of

APP = """
from chalice import Chalice, Cron, Rate
from chalicelib.orders import orders

app = Chalice(app_name="shop")
app.register_blueprint(orders, url_prefix="/v1")

@app.route("/")
def index():
    return {"hello": "world"}

@app.route("/users/{name}", methods=["PUT", "DELETE"], authorizer=None)
def user(name):
    return app.current_request.json_body

@app.on_s3_event(bucket="shop-uploads", events=["s3:ObjectCreated:*"], prefix="incoming/")
def on_upload(event):
    return event.key

@app.on_sns_message(topic="alerts")
def on_alert(event):
    return event.message

@app.on_sqs_message(queue="jobs", batch_size=5)
def on_job(event):
    return [record.body for record in event]

@app.schedule(Rate(5, unit=Rate.MINUTES))
def every_five(event):
    return None

@app.schedule(Rate(1, unit=Rate.HOURS))
def hourly(event):
    return None

@app.schedule(Cron(0, 10, "*", "*", "?", "*"))
def daily(event):
    return None

@app.schedule("rate(1 day)", name="nightly")
def nightly_job(event):
    return None

@app.on_cw_event({"source": ["shop.orders"], "detail-type": ["OrderPlaced"]})
def on_order(event):
    return event.detail

@app.lambda_function(name="resize")
def resize(event, context):
    return event

@app.authorizer()
def jwt_auth(auth_request):
    return None

@app.on_ws_connect()
def connect(event):
    return None
"""

ORDERS = """
from chalice import Blueprint

orders = Blueprint(__name__)

@orders.route("/orders")
def list_orders():
    return []

@orders.route("/orders/{order_id}", methods=["GET"])
def get_order(order_id):
    return {}

@orders.on_sqs_message(queue="order-events")
def on_order_event(event):
    return None
"""

SOURCES = {"app.py": APP, "chalicelib/__init__.py": "", "chalicelib/orders.py": ORDERS}

CASES = {
    "app.app": {
        "GET /": "app.index",
        "PUT /users/{name}": "app.user",
        "DELETE /users/{name}": "app.user",
        "GET /v1/orders": "chalicelib.orders.list_orders",
        "GET /v1/orders/{order_id}": "chalicelib.orders.get_order",
    },
    "app.on_upload": {"S3 shop-uploads": "app.on_upload"},
    "app.on_alert": {"SNS alerts": "app.on_alert"},
    "app.on_job": {"SQS jobs": "app.on_job"},
    "app.every_five": {"Schedule rate(5 minutes)": "app.every_five"},
    "app.hourly": {"Schedule rate(1 hour)": "app.hourly"},
    "app.daily": {"Schedule cron(0 10 * * ? *)": "app.daily"},
    "app.nightly_job": {"Schedule rate(1 day)": "app.nightly_job"},
    "app.on_order": {"EventBridgeRule shop.orders/OrderPlaced": "app.on_order"},
    "app.resize": {"Invoke resize": "app.resize"},
    "app.jwt_auth": {"Authorizer jwt_auth": "app.jwt_auth"},
    "app.connect": {"WebSocket $connect": "app.connect"},
    "chalicelib.orders.on_order_event": {"SQS order-events": "chalicelib.orders.on_order_event"},
}


@pytest.mark.parametrize("handler", sorted(CASES))
def test_each_function_serves_its_own_routes(analyze_app, handler) -> None:
    """`app.app` serves the REST routes (blueprint prefix prepended); each event handler is its own
    function whose single route is the trigger its decorator declares."""
    routes = routes_of(analyze_app(SOURCES, handler=handler))
    assert {rid: r.entry for rid, r in routes.items()} == CASES[handler]
    assert {r.dispatch for r in routes.values()} == {"chalice"}


MIDDLEWARE = """
from chalice import Chalice
import hooks

app = Chalice(app_name="mw")
app.register_middleware(hooks.timing, "http")

@app.middleware("all")
def tracing(event, get_response):
    return get_response(event)

@app.middleware("s3")
def s3_only(event, get_response):
    return get_response(event)

@app.route("/")
def index():
    return {}

@app.on_s3_event(bucket="b")
def upload(event):
    return None

@app.on_sqs_message(queue="q")
def job(event):
    return None
"""


def test_middleware_reaches_the_handlers_of_its_event_type(analyze_app) -> None:
    """'all' middleware reaches every function, 'http' only REST routes, 's3' only S3 handlers; the
    registration decorators themselves reach nothing."""
    sources = {"app.py": MIDDLEWARE, "hooks.py": "def timing(event, get_response):\n    return get_response(event)\n"}

    def reach(handler: str) -> set[str]:
        (route,) = routes_of(analyze_app(sources, handler=handler)).values()
        return set(route.reach.definitions)

    assert reach("app.app") == {"app.index", "app.tracing", "hooks.timing"}
    assert reach("app.upload") == {"app.upload", "app.tracing", "app.s3_only"}
    assert reach("app.job") == {"app.job", "app.tracing"}
