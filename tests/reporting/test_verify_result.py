"""Reading `decompose verify --format json` for the report: each route's verdict and its first explanation, the
overall status as verify exits, and a file that is not such a result as one line naming it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from decompose.errors import InputError
from decompose.loading.verify_result import read_verification


def verdict(route: str, status: str = "equivalent", policy: str = "allowed", **extra: Any) -> dict[str, Any]:
    """One route of verify's document, as `verification.results` writes it."""
    return {"function": "F", "route": route, "status": status, "policy": policy, "reason": None, "events": [],
            "differences": [], "denied": [], **extra}  # fmt: skip


def document(*routes: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "kind": "decompose-verify", "ok": True, "routes": list(routes), "notes": []}


def _write(tmp_path: Path, value: Any) -> Path:
    path = tmp_path / "verify.json"
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("routes", "status"),
    [
        ([verdict("GET /a"), verdict("POST /a")], "passed"),
        ([verdict("GET /a"), verdict("POST /a", "different", differences=[{"message": "body differs"}])], "failed"),
        ([verdict("GET /a", policy="denied", denied=[{"message": "s3:GetObject denied"}])], "failed"),
        ([verdict("GET /a"), verdict("POST /a", "not-verifiable", "not-checked", reason="no event")], "incomplete"),
        ([], "incomplete"),
    ],
)
def test_the_status_follows_verify(tmp_path: Path, routes: list[dict[str, Any]], status: str) -> None:
    """`failed` on a difference or a denied call (verify's exit 1), `passed` when all are equivalent and allowed,
    `incomplete` otherwise."""
    assert read_verification(_write(tmp_path, document(*routes))).status == status


def test_each_route_carries_its_first_explanation(tmp_path: Path) -> None:
    """The first difference (with how many more), else the first denied call, else the reason."""
    result = read_verification(
        _write(
            tmp_path,
            document(
                verdict("GET /a", "different", differences=[{"message": "status 200 != 404"}, {"message": "body"}]),
                verdict("GET /b", policy="denied", denied=[{"message": "dynamodb:Scan on OrdersTable denied"}]),
                verdict("GET /c", "not-verifiable", "not-checked", reason="no event for this route"),
            ),
        )
    )
    assert [(r.route, r.detail) for r in result.routes] == [
        ("GET /a", "status 200 != 404 (and 1 more)"),
        ("GET /b", "dynamodb:Scan on OrdersTable denied"),
        ("GET /c", "no event for this route"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "verify.json:1: not a JSON document: Expecting property name enclosed in double quotes"),
        ({"version": 1, "kind": "decompose-plan", "routes": []}, "verify.json: not a verify result (kind"),
        ({"version": 1}, "verify.json: not a `decompose verify --format json` result (no `routes` list)"),
        (document(verdict("GET /a", "fine")), "verify.json: routes[0] (GET /a): unknown status 'fine'"),
        (document({"status": "equivalent"}), "verify.json: routes[0] has no `route` string"),
    ],
)
def test_a_file_that_is_not_a_verify_result_is_one_line(tmp_path: Path, content: Any, message: str) -> None:
    """Bad JSON, another document or an unknown verdict: an input error naming the file, never a silent "not run"."""
    with pytest.raises(InputError) as raised:
        read_verification(_write(tmp_path, content), "verify.json")
    assert str(raised.value).startswith(message)
