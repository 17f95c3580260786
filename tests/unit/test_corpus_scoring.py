"""bench/corpus.py's scoring: pairing routes, entries, IAM recall/precision, resources and silent empty policies."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import corpus  # a benchmark script, importable once bench/ is on sys.path


def app(*routes: dict[str, Any], function: str | None = None) -> dict[str, Any]:
    """A corpus app whose truth is these routes in one function."""
    return {"truth": [{"function": function, "routes": list(routes)}]}


def report(*routes: dict[str, Any], findings: tuple[dict[str, Any], ...] = (), function: str | None = None) -> dict:
    """A decompose JSON report with these routes in one function."""
    return {"functions": [{"logical_id": function, "routes": list(routes)}], "findings": list(findings)}


def route(route_id: str, entry: str, *grants: str) -> dict[str, Any]:
    """A report route granting `"action Resource"` permissions (resource `*` when left out)."""
    permissions = []
    for grant in grants:
        action, _, resource = grant.partition(" ")
        permissions.append({"action": action, "resource": resource or "*"})
    return {"id": route_id, "entry": entry, "permissions": permissions}


def test_route_paired_across_parameter_names_and_trailing_slash() -> None:
    """`GET /orders/{id}/` in the report pairs with the truth's `GET /orders/{order_id}`, entry and actions scored."""
    truth = app({"id": "GET /orders/{order_id}", "entry": "app.get", "actions": ["dynamodb:GetItem Orders"]})
    result = corpus.score("t", truth, report(route("GET /orders/{id}/", "app.get", "dynamodb:GetItem Orders")))
    assert (result.routes_paired, result.routes_truth, result.routes_report) == (1, 1, 1)
    assert (result.entries_ok, result.actions_hit, result.actions_truth, result.actions_report) == (1, 1, 1, 1)
    assert (result.resources_ok, result.resources_named) == (1, 1)
    assert result.misses == []


@pytest.mark.parametrize(
    ("truth_id", "report_id", "paired"),
    [
        pytest.param("S3 UploadsBucket", "S3 aws:s3", True, id="non-http-by-kind-and-entry"),
        pytest.param("Invoke jwt_auth", "S3 aws:s3", False, id="other-kind-not-paired"),
        pytest.param("GET /a", "POST /a", False, id="http-never-by-entry"),
    ],
)
def test_fallback_pairing_by_kind_and_entry(truth_id: str, report_id: str, paired: bool) -> None:
    """A non-HTTP truth route pairs with a same-kind report route of the same entry; HTTP routes pair by id only."""
    result = corpus.score("t", app({"id": truth_id, "entry": "app.h"}), report(route(report_id, "app.h")))
    assert result.routes_paired == int(paired)


def test_missed_route_counts_its_actions_in_recall() -> None:
    """A truth route decompose did not find adds its actions to the recall denominator and is listed as missed."""
    truth = app(
        {"id": "GET /a", "entry": "app.a", "actions": ["dynamodb:GetItem"]},
        {"id": "POST /b", "entry": "app.b", "actions": ["dynamodb:PutItem", "sqs:SendMessage Jobs"]},
    )
    result = corpus.score("t", truth, report(route("GET /a", "app.a", "dynamodb:GetItem")))
    assert (result.actions_hit, result.actions_truth) == (1, 3)
    assert "route missed: POST /b (needs 2 actions)" in result.misses


def test_wrong_entry_extra_action_and_wrong_resource_are_misses() -> None:
    """A wrong entry, an action the truth does not list, a resource not the truth's: one miss each."""
    truth = app({"id": "GET /a", "entry": ["app.a", "app.handler"], "actions": ["s3:GetObject Bucket"]})
    found = route("GET /a", "app.helper", "s3:GetObject Other/*", "s3:ListBucket Bucket")
    result = corpus.score("t", truth, report(found))
    assert result.entries_ok == 0
    assert (result.actions_hit, result.actions_report, result.resources_ok, result.resources_named) == (1, 2, 0, 1)
    assert [m.split(":")[0] for m in result.misses] == ["entry wrong", "resource wrong", "action extra"]


def test_index_resource_and_optional_action() -> None:
    """A truth `Table/index/name` must match in full; an optional action counts as neither missed nor extra."""
    truth = app(
        {
            "id": "GET /a",
            "entry": "app.a",
            "actions": ["dynamodb:Query Orders/index/byUser", {"action": "s3:AbortMultipartUpload", "optional": True}],
        }
    )
    exact = corpus.score("t", truth, report(route("GET /a", "app.a", "dynamodb:Query Orders/index/byUser")))
    loose = report(route("GET /a", "app.a", "dynamodb:Query Orders", "s3:AbortMultipartUpload"))
    base_only = corpus.score("t", truth, loose)
    assert (exact.resources_ok, exact.actions_truth, exact.actions_report) == (1, 1, 1)
    assert (base_only.resources_ok, base_only.actions_report) == (0, 1)
    assert [m.split(":")[0] for m in base_only.misses] == ["resource wrong"]


@pytest.mark.parametrize(
    ("findings", "silent"),
    [
        pytest.param((), 1, id="no-finding"),
        pytest.param(({"rule": "unbound-resource", "route": "GET /a"},), 0, id="finding-on-the-route"),
        pytest.param(({"rule": "unresolved-dispatch", "route": None},), 1, id="route-less-finding-does-not-excuse"),
    ],
)
def test_silent_empty_policy_on_a_paired_route(findings: tuple[dict[str, Any], ...], silent: int) -> None:
    """A paired route that needs actions, is granted none and is named by no finding is a silent empty policy."""
    truth = app({"id": "GET /a", "entry": "app.a", "actions": ["dynamodb:GetItem"]})
    assert corpus.score("t", truth, report(route("GET /a", "app.a"), findings=findings)).silent_empty == silent


def test_catch_all_route_standing_for_missed_routes_is_silent() -> None:
    """An extra empty route in a function whose missed routes need actions is silent; an optional route is ignored."""
    truth = app(
        {"id": "GET /a", "entry": "app.a", "actions": ["dynamodb:GetItem"]},
        {"id": "OPTIONS /a", "entry": "app.cors", "optional": True},
        function="Api",
    )
    found = report(route("Invoke app.handler", "app.handler"), route("OPTIONS /a", "app.cors"), function="Api")
    result = corpus.score("t", truth, found)
    assert (result.routes_truth, result.routes_report, result.routes_paired, result.silent_empty) == (1, 1, 0, 1)


def test_routes_pair_only_within_their_function() -> None:
    """The same route id under another template function is not a match."""
    truth = app({"id": "GET /a", "entry": "app.a"}, function="One")
    assert corpus.score("t", truth, report(route("GET /a", "app.a"), function="Two")).routes_paired == 0


def test_total_adds_counters_and_time() -> None:
    """Score.add accumulates every counter and the seconds of another app."""
    total = corpus.Score(app="total")
    for seconds in (1.5, 2.0):
        one = corpus.score("t", app({"id": "GET /a", "entry": "app.a"}), report(route("GET /a", "app.a")), seconds)
        total.add(one)
    assert (total.routes_paired, total.entries_ok, total.seconds) == (2, 2, 3.5)


def test_unknown_entries_lints_the_truth(tmp_path: Path) -> None:
    """Truth entries must name a def (a function, or a method of a class) somewhere in the app's code."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "views.py").write_text("class Orders:\n    def get(self): ...\n\ndef index(): ...\n")
    routes = corpus.truth_routes(
        app(
            {"id": "GET /", "entry": "pkg.views.index"},
            {"id": "GET /o", "entry": "pkg.views.Orders.get"},
            {"id": "GET /x", "entry": ["pkg.views.missing", "pkg.views.index"]},
        )
    )
    assert corpus.unknown_entries(tmp_path, routes) == ["GET /x: pkg.views.missing"]
