"""A synthesized event with the input its route reads gets past the route's validation, for real.

The app's own code is read (`analysis.inputs`), the event synthesized from it (`verification.events`), and
both the shaped event and one with the old empty body run through the runner (a fresh interpreter under
moto): the shaped one is answered 201, the empty one stops at a 400.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from decompose.analysis.codebase import load_codebase
from decompose.analysis.inputs import InputShape, read_input_shape
from decompose.pipeline import analyze
from decompose.verification.events import Target, synthesized
from decompose.verification.processes import run_jobs
from tests.conftest import routes_of, sam_template, write_app

TABLE = "verify-inputs-table"
APP = """
import json
import os
from decimal import Decimal

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
KINDS = ("book", "game")


def _fail(message):
    return {"statusCode": 400, "body": json.dumps({"error": message})}


def lambda_handler(event, context):
    body = json.loads(event.get("body") or "{}")
    for field in ("sku", "kind", "lines"):
        if field not in body:
            return _fail(f"{field} is required")
    if body["kind"] not in KINDS:
        return _fail("kind")
    quantity = sum(int(line["qty"]) for line in body["lines"])
    dry_run = (event.get("queryStringParameters") or {}).get("dry_run") == "yes"
    item = {"sku": body["sku"], "kind": body["kind"], "qty": Decimal(quantity)}
    if not dry_run:
        table.put_item(Item=item)
    return {"statusCode": 201, "body": json.dumps({"sku": item["sku"], "qty": quantity, "dry_run": dry_run})}
"""


def _job(code: Path, events: list[dict[str, Any]]) -> dict[str, Any]:
    request = {
        "TableName": TABLE,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "sku", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "sku", "AttributeType": "S"}],
    }
    world = {"region": "us-east-1", "account": "123456789012",
             "resources": [{"id": "Table", "kind": "table", "name": TABLE, "request": request}]}  # fmt: skip
    return {
        "code_root": str(code),
        "handler": "app.lambda_handler",
        "environment": {"TABLE": TABLE},
        "identity": {"name": "fn", "arn": "arn:aws:lambda:us-east-1:123456789012:function:fn"},
        "world": world,
        "seed": {"items": [], "objects": [], "parameters": [], "secrets": []},
        "functions": [],
        "events": [{"name": f"e{i}", "payload": e} for i, e in enumerate(events)],
        "start": "2024-01-01T00:00:00+00:00",
        "guard": None,
        "policy": None,
    }


def test_the_shaped_event_gets_past_validation_where_an_empty_body_does_not(tmp_path: Path) -> None:
    """Keys from a literal loop and `in` tests, a member of a module constant, list elements read as ints,
    a query parameter compared with a literal (which takes that literal): the handler answers 201."""
    template = sam_template("""
    Create:
      Type: Api
      Properties: {Path: /skus, Method: post}
    """)
    write_app(tmp_path, {"template.yaml": template, "src/app.py": APP})
    report = analyze(tmp_path, iam=False)
    route = routes_of(report)["POST /skus"]
    shape = read_input_shape(load_codebase(tmp_path / "src", tmp_path).graph, "app.lambda_handler", route)
    event = report.functions[0].spec.events[0]
    shaped = synthesized(Target("ApiFunction", route, event, shape=shape), {}, {})
    empty = synthesized(Target("ApiFunction", route, event, shape=InputShape()), {}, {})
    assert shaped is not None
    assert empty is not None
    assert json.loads(shaped.payload["body"]) == {"kind": "book", "lines": [{"qty": 1}], "sku": "sku-1"}
    assert shaped.payload["queryStringParameters"] == {"dry_run": "yes"}

    (run,) = run_jobs([_job(tmp_path / "src", [dict(shaped.payload), dict(empty.payload)])], tmp_path / "runs")

    answered, refused = (e["plain"]["response"] for e in run["events"])
    assert answered["statusCode"] == 201, answered
    assert json.loads(answered["body"]) == {"sku": "sku-1", "qty": 1, "dry_run": True}
    assert refused["statusCode"] == 400
