"""The runner for real: a fresh interpreter under moto runs a tiny handler and reports what it did."""

from __future__ import annotations

import random
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from decompose.verification.processes import run_jobs

START = "2024-01-01T00:00:00+00:00"
TABLE = "verify-runner-table"
APP = """
import datetime
import os
import time
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    if event.get("write"):
        table.put_item(Item={"id": str(uuid.uuid4()), "by": context.function_name})
    return {"now": datetime.datetime.now(datetime.UTC).isoformat(), "time": time.time()}
"""
GUARDED = """
import yaml


def handler(event, context):
    return yaml.safe_dump(event)
"""


def _job(code: Path, source: str, events: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    code.mkdir(parents=True)
    (code / "app.py").write_text(textwrap.dedent(source), encoding="utf-8")
    request = {
        "TableName": TABLE,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    }
    table = {"id": "Table", "kind": "table", "name": TABLE, "request": request}
    world = {"region": "us-east-1", "account": "123456789012", "resources": [table]}
    return {
        "code_root": str(code),
        "handler": "app.handler",
        "environment": {"TABLE": TABLE},
        "identity": {"name": "fn", "arn": "arn:aws:lambda:us-east-1:123456789012:function:fn"},
        "world": world,
        "seed": {"items": [], "objects": [], "parameters": [], "secrets": []},
        "functions": [],
        "events": [{"name": f"e{i}", "payload": e} for i, e in enumerate(events)],
        "start": START,
        "guard": None,
        "policy": None,
        **extra,
    }


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("runner")
    deny_writes = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"}],
    }
    jobs = [
        _job(folder / "plain", APP, [{}, {"write": True}], policy=deny_writes),
        _job(folder / "guarded", GUARDED, [{}], guard={"allowed": ["boto3", "botocore"]}),
    ]
    return run_jobs(jobs, folder / "runs")


def test_the_clock_stands_still_at_the_start_instant(outcomes: list[dict[str, Any]]) -> None:
    """Both runs read the very same time, to the microsecond, whatever the machine's load."""
    response = outcomes[0]["events"][0]["plain"]["response"]
    assert response["now"] == "2024-01-01T00:00:00+00:00"
    assert response["time"] == 1704067200.0


def test_every_call_is_recorded_with_its_parameters_and_the_state_dumped(outcomes: list[dict[str, Any]]) -> None:
    """A module-level boto3 resource built inside the mock is recorded; the item it wrote is in the state."""
    plain = outcomes[0]["events"][1]["plain"]
    (call,) = plain["calls"]
    assert (call["service"], call["operation"], call["params"]["TableName"]) == ("dynamodb", "PutItem", TABLE)
    assert call["params"]["Item"]["by"] == "fn"  # as the code passed it (boto3's resource layer serializes later)
    (item,) = plain["state"]["Table"]
    assert item["id"] == {"S": call["params"]["Item"]["id"]}


def test_ids_are_seeded_per_event(outcomes: list[dict[str, Any]]) -> None:
    """uuid4 is seeded before each event, so the same code draws the same ids in both runs."""
    (call,) = outcomes[0]["events"][1]["plain"]["calls"]
    assert call["params"]["Item"]["id"] == str(uuid.UUID(int=random.Random(0).getrandbits(128), version=4))


def test_motos_access_control_refuses_what_the_policy_lacks(outcomes: list[dict[str, Any]]) -> None:
    """Run again with only its policy, a call the policy lacks is refused by moto and reported."""
    enforced = outcomes[0]["events"][1]["enforced"]
    assert enforced["denied"] == ["dynamodb.PutItem: 403"]  # moto's code for an IAM refusal outside S3/SQS
    assert enforced["error"]["phase"] == "handler"


def test_an_import_the_package_does_not_hold_fails_as_in_lambda(outcomes: list[dict[str, Any]]) -> None:
    """From the package's own code, a distribution it does not ship is a ModuleNotFoundError, though installed."""
    error = outcomes[1]["events"][0]["plain"]["error"]
    assert (error["type"], error["module"], error["phase"]) == ("ModuleNotFoundError", "yaml", "import")
    assert error["where"] == "app.py:2"
