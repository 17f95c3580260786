"""Routes whose entry dispatches again in its own body run as the entry sliced to them (`slicing.entry_slice`).

A dispatcher serving one route through two branches that call different functions (the route's entry is the
dispatcher, sliced, as the split's generated handler is), a dispatcher serving routes inline, and framework views
registered for several methods that branch on the request's method (Chalice, Flask, FastAPI): each route's reach
and policy hold only the branches its events can take.
"""

from __future__ import annotations

from pathlib import Path

from decompose.domain.plan import FunctionPlan, Plan
from decompose.generation.handlers import generate_handlers
from decompose.pipeline import analyze
from tests.conftest import routes_of, sam_template, write_app


def _actions(route) -> set[str]:
    return {p.action for p in route.permissions}


TWO_BRANCHES = """
import json
import os

import boto3

import cards
import pipelines

s3 = boto3.client("s3")
CARD_OPERATIONS = ["create_card", "delete_card"]


def lambda_handler(event, context):
    if "httpMethod" in event and event["httpMethod"] == "POST":
        body = json.loads(event["body"])
        if event["path"] == "/provision" and body.get("kind") in CARD_OPERATIONS:
            return cards.provision_card(body)
        elif event["path"] == "/provision":
            return pipelines.provision_pipeline(body)
        elif event["path"] == "/status":
            return pipelines.status(body)
    elif "Records" in event:
        record = event["Records"][0]["s3"]
        s3.get_object(Bucket=record["bucket"]["name"], Key=record["object"]["key"])
        return None
    raise ValueError("unknown event")
"""

CARDS = """
import os

import boto3

sagemaker = boto3.client("sagemaker")


def provision_card(body):
    return sagemaker.create_model_card(ModelCardName=body["name"], Content="{}", ModelCardStatus="Draft")
"""

PIPELINES = """
import os

import boto3

cloudformation = boto3.client("cloudformation")


def provision_pipeline(body):
    return cloudformation.create_stack(StackName=body["name"], TemplateURL=os.environ["TEMPLATE_URL"])


def status(body):
    return cloudformation.describe_stacks(StackName=body["name"])
"""

TWO_BRANCH_EVENTS = """
Provision:
  Type: Api
  Properties: {Path: /provision, Method: post}
Status:
  Type: Api
  Properties: {Path: /status, Method: post}
"""


def test_a_route_served_by_two_branches_is_the_dispatcher_sliced_to_it(tmp_path: Path) -> None:
    """POST /provision runs provision_card or provision_pipeline depending on a body field: its entry is the
    handler (either callee alone loses the other half), its reach and policy hold both callees and nothing of
    the S3 branch or the other path, and the split's handler for it keeps both branches and drops the rest."""
    sources = {"app.py": TWO_BRANCHES, "cards.py": CARDS, "pipelines.py": PIPELINES}
    write_app(
        tmp_path, {"template.yaml": sam_template(TWO_BRANCH_EVENTS), **{f"src/{k}": v for k, v in sources.items()}}
    )
    report = analyze(tmp_path)
    route = routes_of(report)["POST /provision"]
    assert route.entry == "app.lambda_handler"
    assert {"cards.provision_card", "pipelines.provision_pipeline"} <= set(route.reach.definitions)
    assert "pipelines.status" not in route.reach.definitions
    assert _actions(route) == {"sagemaker:CreateModelCard", "cloudformation:CreateStack"}
    assert _actions(routes_of(report)["POST /status"]) == {"cloudformation:DescribeStacks"}
    (note,) = [f for f in report.findings if f.rule == "route-several-branches"]
    assert note.route == "POST /provision"
    assert "its entry is app.lambda_handler, sliced to this route" in note.message
    assert str(note.location) == "src/app.py:13"  # the handler

    monolith = analyze(tmp_path, iam=False).functions[0]
    plan = Plan("ApiFunction", (FunctionPlan("ProvisionFunction", ("POST /provision",), extract=True),))
    (handler,) = generate_handlers(tmp_path / "src", monolith.spec, plan, project_root=tmp_path)
    assert "cards.provision_card(body)" in handler.text
    assert "pipelines.provision_pipeline(body)" in handler.text
    assert "pipelines.status" not in handler.text
    assert "get_object" not in handler.text


INLINE = """
import os

import boto3

dynamodb = boto3.resource("dynamodb")
orders = dynamodb.Table(os.environ["ORDERS"])
audit = boto3.client("sqs")


def lambda_handler(event, context):
    audit.send_message(QueueUrl=os.environ["AUDIT"], MessageBody=event["path"])
    if event["httpMethod"] == "GET" and event["path"] == "/orders":
        return orders.get_item(Key={"id": event["queryStringParameters"]["id"]})
    if event["httpMethod"] == "POST" and event["path"] == "/orders":
        orders.put_item(Item={"id": "1"})
        return {"statusCode": 201}
    if event["httpMethod"] == "DELETE" and event["path"] == "/orders":
        orders.delete_item(Key={"id": "1"})
        return {"statusCode": 204}
    return {"statusCode": 404}
"""

INLINE_EVENTS = """
Get:
  Type: Api
  Properties: {Path: /orders, Method: get}
Post:
  Type: Api
  Properties: {Path: /orders, Method: post}
Delete:
  Type: Api
  Properties: {Path: /orders, Method: delete}
"""


def test_inline_routes_get_their_own_branch_and_the_shared_code_only(analyze_app) -> None:
    """Each branch's own call, plus what the handler runs before dispatching (the audit message): not the union
    of every branch, as when the whole handler stood for each inline route."""
    routes = routes_of(analyze_app({"app.py": INLINE}, template=sam_template(INLINE_EVENTS)))
    assert _actions(routes["GET /orders"]) == {"dynamodb:GetItem", "sqs:SendMessage"}
    assert _actions(routes["POST /orders"]) == {"dynamodb:PutItem", "sqs:SendMessage"}
    assert _actions(routes["DELETE /orders"]) == {"dynamodb:DeleteItem", "sqs:SendMessage"}
    assert {r.entry for r in routes.values()} == {"app.lambda_handler"}


CHALICE_APP = """
from chalice import Chalice

from chalicelib.carts import carts

app = Chalice(app_name="shop")
app.register_blueprint(carts)
"""

CHALICE_CARTS = """
import os

import boto3
from chalice import Blueprint

carts = Blueprint(__name__)
table = boto3.resource("dynamodb").Table(os.environ["CARTS"])
events = boto3.client("events")


@carts.route("/cart", methods=["GET", "PUT", "DELETE"])
def cart():
    request = carts.current_request
    user = request.context["authorizer"]["claims"]["sub"]
    if request.method == "GET":
        found = table.get_item(Key={"user": user})
    elif request.method == "PUT":
        found = table.update_item(Key={"user": user}, UpdateExpression="SET n = :n")
    else:
        found = table.delete_item(Key={"user": user})
    events.put_events(Entries=[{"Source": "shop", "DetailType": "cart", "Detail": "{}"}])
    return found


@carts.route("/cart/items/{item}", methods=["GET", "DELETE"])
def cart_item(item):
    if carts.current_request.method == "DELETE":
        table.delete_item(Key={"user": item})
        return {"deleted": item}
    return table.get_item(Key={"user": item})
"""


def test_a_chalice_view_serving_several_methods_is_sliced_per_method(analyze_app) -> None:
    """`request = bp.current_request` then an if/elif on `request.method`, and an early return on
    `bp.current_request.method`: each method route gets its own branch and the code every branch runs."""
    report = analyze_app(
        {"app.py": CHALICE_APP, "chalicelib/__init__.py": "", "chalicelib/carts.py": CHALICE_CARTS}, handler="app.app"
    )
    routes = routes_of(report)
    assert _actions(routes["GET /cart"]) == {"dynamodb:GetItem", "events:PutEvents"}
    assert _actions(routes["PUT /cart"]) == {"dynamodb:UpdateItem", "events:PutEvents"}
    assert _actions(routes["DELETE /cart"]) == {"dynamodb:DeleteItem", "events:PutEvents"}
    assert _actions(routes["GET /cart/items/{item}"]) == {"dynamodb:GetItem"}
    assert _actions(routes["DELETE /cart/items/{item}"]) == {"dynamodb:DeleteItem"}
    assert {routes["GET /cart"].entry, routes["DELETE /cart"].entry} == {"chalicelib.carts.cart"}
    assert "chalicelib.carts.cart" in routes["PUT /cart"].reach.definitions, "the view itself is the route's code"


FLASK_APP = """
import os

import boto3
import serverless_wsgi
from flask import Flask, request

app = Flask(__name__)
queue = boto3.client("sqs")
bucket = boto3.client("s3")


@app.route("/jobs", methods=["GET", "POST"])
def jobs():
    if request.method == "POST":
        queue.send_message(QueueUrl=os.environ["JOBS"], MessageBody=request.get_data(as_text=True))
        return "", 202
    return bucket.list_objects_v2(Bucket=os.environ["RESULTS"])


def handler(event, context):
    return serverless_wsgi.handle_request(app, event, context)
"""

FASTAPI_APP = """
import os

import boto3
from fastapi import FastAPI, Request
from mangum import Mangum

app = FastAPI()
table = boto3.resource("dynamodb").Table(os.environ["ITEMS"])


@app.api_route("/items/{item_id}", methods=["GET", "DELETE"])
async def item(item_id: str, request: Request):
    if request.method in ("DELETE",):
        table.delete_item(Key={"id": item_id})
        return {"deleted": item_id}
    return table.get_item(Key={"id": item_id})


handler = Mangum(app)
"""


def test_flask_and_fastapi_views_are_sliced_on_the_request_method(analyze_app) -> None:
    """Flask's `request.method` (imported from flask) and a Starlette `Request` parameter's `.method`."""
    flask_routes = routes_of(analyze_app({"app.py": FLASK_APP}, handler="app.handler"))
    assert _actions(flask_routes["POST /jobs"]) == {"sqs:SendMessage"}
    assert _actions(flask_routes["GET /jobs"]) == {"s3:ListBucket"}
    fastapi_routes = routes_of(analyze_app({"app.py": FASTAPI_APP}, handler="app.handler"))
    assert _actions(fastapi_routes["DELETE /items/{item_id}"]) == {"dynamodb:DeleteItem"}
    assert _actions(fastapi_routes["GET /items/{item_id}"]) == {"dynamodb:GetItem"}


def test_a_method_test_the_view_never_reads_through_the_request_is_kept(analyze_app) -> None:
    """A local that only looks like the request (`request = {"method": ...}`) is not the framework's: every
    branch stays in every route (sound, not sliced)."""
    source = FLASK_APP.replace("    if request.method", '    request = {"method": "POST"}\n    if request.method')
    routes = routes_of(analyze_app({"app.py": source}, handler="app.handler"))
    assert _actions(routes["GET /jobs"]) == {"sqs:SendMessage", "s3:ListBucket"}
