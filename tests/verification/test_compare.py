"""The normalisation rules (a data table) and the differences verify reports between two runs."""

from __future__ import annotations

from typing import Any

import pytest

from decompose.verification.compare import differences, normalise, rules_data


def _outcome(**fields: Any) -> dict[str, Any]:
    """A runner outcome with defaults: a 200 proxy response, no calls, an empty state."""
    return {"identity": ["fn", "arn:aws:lambda:us-east-1:123456789012:function:fn"], "calls": [], "state": {}, **fields}


def _proxy(status: int = 200, body: str = "{}", headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "headers": headers or {"Content-Type": "application/json"}, "body": body}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("id 3f2c8a9e-1b4d-4c6e-9f0a-7b8c9d0e1f2a", "id <uuid>"),
        ("at 2024-01-01T00:00:00.123456+00:00", "at <timestamp>"),
        ("at 2024-01-01 10:11:12Z", "at <timestamp>"),
        ("signed at 20240101T000000Z", "signed at <timestamp>"),
        (
            "https://b.s3.amazonaws.com/k?X-Amz-Signature=abc123&X-Amz-Credential=AKIA%2F2024&x=1",
            "https://b.s3.amazonaws.com/k?X-Amz-Signature=<signed>&X-Amz-Credential=<signed>&x=1",
        ),
        (
            {"ResponseMetadata": {"RequestId": "r-1", "HTTPStatusCode": 200}},
            {"ResponseMetadata": {"RequestId": "<request-id>", "HTTPStatusCode": 200}},
        ),
        ({"fields": {"policy": "eyJ", "key": "k"}}, {"fields": {"policy": "<signed>", "key": "k"}}),
        ({"policy": "kept outside a presigned POST's fields"}, {"policy": "kept outside a presigned POST's fields"}),
        ("plain text 12345", "plain text 12345"),
    ],
)
def test_normalise_masks_only_what_the_rules_name(value: Any, expected: Any) -> None:
    """Each rule masks its values and leaves everything else (and the field itself) in place."""
    assert normalise(value) == expected


def test_the_running_functions_own_name_is_masked() -> None:
    """The monolith and the new function are different functions: their names compare equal as <this-function>."""
    assert normalise("from arn:aws:lambda:r:1:function:fn", ("fn", "arn:aws:lambda:r:1:function:fn")) == (
        "from <this-function>"
    )


def test_every_rule_is_documented() -> None:
    """Every rule of the table says what it masks and why (the README's table is made from it)."""
    assert all(rule["name"] and rule["why"] and rule["kind"] in ("text", "key") for rule in rules_data()["rules"])


def test_equal_runs_have_no_difference() -> None:
    """Two runs that differ only by a generated id and a request id are equivalent."""
    old = _outcome(response=_proxy(body='{"id": "3f2c8a9e-1b4d-4c6e-9f0a-7b8c9d0e1f2a"}'))
    new = _outcome(response=_proxy(body='{"id": "00000000-1b4d-4c6e-9f0a-7b8c9d0e1f2a"}'))
    assert differences("e", old, new, "NewFunction") == []


@pytest.mark.parametrize(
    ("old", "new", "aspect", "message"),
    [
        (
            _outcome(response=_proxy(200)),
            _outcome(response=_proxy(404)),
            "response.status",
            "status 200 from the monolith, 404 from NewFunction",
        ),
        (
            _outcome(response=_proxy(body='{"a": 1}')),
            _outcome(response=_proxy(body='{"a": 2}')),
            "response.body",
            "response bodies differ",
        ),
        (
            _outcome(response=_proxy()),
            _outcome(response=_proxy(headers={"X": "y"})),
            "response.headers",
            "response headers differ",
        ),
        (
            _outcome(response=_proxy()),
            _outcome(
                error={
                    "type": "ModuleNotFoundError",
                    "message": "No module named 'pricing'",
                    "phase": "import",
                    "where": "handlers/get.py:3",
                    "module": "pricing",
                }
            ),
            "error",
            "NewFunction raised ModuleNotFoundError: No module named 'pricing' at handlers/get.py:3 while importing"
            " its handler; the monolith answered (its package lacks 'pricing'",
        ),
        (
            _outcome(calls=[{"service": "dynamodb", "operation": "GetItem", "params": {"TableName": "t"}}]),
            _outcome(calls=[{"service": "dynamodb", "operation": "Scan", "params": {"TableName": "t"}}]),
            "calls",
            "the AWS calls differ from call 1: the monolith made dynamodb.GetItem, NewFunction made dynamodb.Scan",
        ),
        (
            _outcome(state={"T": [{"a": 1}]}),
            _outcome(state={"T": []}),
            "state",
            "the AWS state after the event differs",
        ),
    ],
)
def test_each_aspect_that_differs_is_reported_with_a_clear_message(
    old: Any, new: Any, aspect: str, message: str
) -> None:
    """A difference names its aspect and says what differs in one line, the monolith first."""
    found = differences("GetOrder", old, new, "NewFunction")
    assert [d.aspect for d in found] == [aspect]
    assert found[0].message.startswith(message)
    assert found[0].event == "GetOrder"


def test_a_body_diff_is_json_aware_and_readable() -> None:
    """Bodies are compared as JSON (key order does not matter) and the diff shows the changed value."""
    old = _outcome(response=_proxy(body='{"b": 1, "total": "49.80"}'))
    same = _outcome(response=_proxy(body='{"total": "49.80", "b": 1}'))
    new = _outcome(response=_proxy(body='{"b": 1, "total": "0.00"}'))
    assert differences("e", old, same, "F") == []
    (found,) = differences("e", old, new, "F")
    assert '-  "total": "49.80"' in found.diff
    assert '+  "total": "0.00"' in found.diff


def test_a_name_the_package_cannot_import_names_the_missing_module() -> None:
    """`from common import db_get_order` failing in the new function only: the message names the module."""
    error = {
        "type": "ImportError",
        "message": "cannot import name 'db_get_order' from 'common' (common/__init__.py)",
        "phase": "import",
        "where": "routes/get_order.py:7",
        "module": "common.db_get_order",
    }
    (found,) = differences("GetOrder", _outcome(response=_proxy()), _outcome(error=error), "GetOrderFunction")
    assert "its package lacks 'common.db_get_order'" in found.message
