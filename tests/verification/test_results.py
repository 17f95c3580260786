"""The verify JSON document (version 1): written from a result, read back, refused when it is something else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decompose.domain.verification import (
    DeniedCall,
    Difference,
    EventUse,
    PackageView,
    PolicyVerdict,
    RouteVerdict,
    Status,
    SynthesizedInput,
    VerifyResult,
)
from decompose.errors import InputError
from decompose.verification.results import read_result, render_json, render_text

RESULT = VerifyResult(
    template="template.yaml",
    monolith="MonolithFunction",
    baseline="git abc1234",
    routes=(
        RouteVerdict(
            "GetOrderFunction",
            "GET /orders/{order_id}",
            Status.EQUIVALENT,
            PolicyVerdict.ALLOWED,
            (EventUse("GetOrder", "project", "events/GetOrder.json"),),
        ),
        RouteVerdict(
            "CreateOrderFunction",
            "POST /orders",
            Status.DIFFERENT,
            PolicyVerdict.DENIED,
            (
                EventUse(
                    "synthesized POST /orders",
                    "synthesized",
                    input=SynthesizedInput(("customer", "items", "items[].qty"), ("dry_run",), "src/app.py:9: ..."),
                ),
            ),
            (Difference("CreateOrder", "response.status", "status 201 from the monolith, 500 from X"),),
            (
                DeniedCall(
                    "CreateOrder",
                    "sns.Publish",
                    "sns:Publish",
                    "arn:aws:sns:us-east-1:1:t",
                    "evaluator",
                    "CreateOrderFunction's policy has no statement allowing sns:Publish",
                ),
            ),
        ),
        RouteVerdict(
            "S3Function",
            "S3 UploadsBucket",
            Status.NOT_VERIFIABLE,
            PolicyVerdict.NOT_CHECKED,
            reason="its package cannot be made",
        ),
    ),
    packages=(PackageView("GetOrderFunction", ("handlers/get_order.py",), ("boto3",), "make build-GetOrderFunction"),),
    created=("OrdersTable",),
    not_created=("Api (AWS::ApiGateway::RestApi)",),
    notes=("a note",),
    seconds=12.5,
)


def test_a_result_survives_the_round_trip() -> None:
    """What `--format json` writes, `read_result` reads back into the same value."""
    assert read_result(render_json(RESULT)) == RESULT


def test_the_document_carries_the_summary_ci_reads() -> None:
    """The top of the document says ok and counts each verdict, so CI needs no walk over the routes."""
    document = json.loads(render_json(RESULT))
    assert document["kind"] == "decompose-verify"
    assert document["version"] == 1
    assert document["ok"] is False
    assert document["summary"] == {"routes": 3, "equivalent": 1, "different": 1, "not_verifiable": 1, "denied_calls": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not a verify result"),
        ('{"kind": "decompose-report"}', "kind 'decompose-verify' expected"),
        ('{"kind": "decompose-verify", "version": 9}', "version 9"),
        ('{"kind": "decompose-verify", "version": 1}', "missing or malformed field"),
    ],
)
def test_read_result_refuses_other_documents(text: str, message: str) -> None:
    """Another kind, another version or a truncated document is a clear InputError, never a KeyError."""
    with pytest.raises(InputError, match=message):
        read_result(text)


def test_read_result_reads_a_file(tmp_path: Path) -> None:
    """A path is read as the document's file."""
    path = tmp_path / "verify.json"
    path.write_text(render_json(RESULT), encoding="utf-8")
    assert read_result(path).routes == RESULT.routes


def test_the_text_view_shows_every_verdict_and_why() -> None:
    """People see one line per route, the differences and denied calls under it, and the summary last."""
    text = render_text(RESULT)
    assert "equivalent     GetOrderFunction" in text
    assert "DIFFERENT" in text
    assert "status 201 from the monolith, 500 from X" in text
    assert "denied: CreateOrderFunction's policy has no statement allowing sns:Publish" in text
    assert "why: its package cannot be made" in text
    assert text.rstrip().endswith("3 route(s): 1 equivalent, 1 different, 1 not verifiable; 1 denied call(s) (12 s)")
