"""The architecture picture assembled from a real analysis: generated node ids, one node per resource however many
routes touch it, access levels on the edges, and a long route list collapsed into one "+N more routes" box."""

from __future__ import annotations

import pytest

from decompose.domain.report import DryRunReport
from decompose.loading.template import load_template
from decompose.pipeline import analyze
from decompose.reporting import assembly
from tests.conftest import REPO

SAMPLE = REPO / "sample_monolith"


@pytest.fixture(scope="module")
def monolith_routes() -> tuple:
    report = analyze(SAMPLE / "template.yaml", iam=True)
    (function,) = [f for f in report.functions if f.spec.logical_id == "MonolithFunction"]
    return function.routes


def test_ids_are_generated_and_resources_appear_once(monolith_routes: tuple) -> None:
    """Routes are r1.., the function f1, resources s1..; each resource is one node with its access levels."""
    resources = load_template(SAMPLE, SAMPLE / "template.yaml").resources
    picture = assembly.diagram("t", [("MonolithFunction", False, monolith_routes)], resources)
    routes = picture.of_kind("route")
    assert [n.id for n in routes] == [f"r{i}" for i in range(1, len(monolith_routes) + 1)]
    labels = [n.label for n in picture.of_kind("resource")]
    assert len(labels) == len(set(labels))
    assert {"OrdersTable", "UploadsBucket", "OrderEventsTopic"} <= set(labels)
    edges = {e.target: e.label for e in picture.edges if e.source == "f1"}
    orders = next(n.id for n in picture.of_kind("resource") if n.label == "OrdersTable")
    assert edges[orders] == "Read, Write"


def test_a_long_route_list_is_collapsed(monolith_routes: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    """With room for 5 routes, a function of 14 draws 4 and one "+10 more routes" box linked to it."""
    monkeypatch.setattr(assembly, "ROUTES_DRAWN", 5)
    picture = assembly.diagram("t", [("MonolithFunction", False, monolith_routes)], {})
    assert len(picture.of_kind("route")) == 4
    (more,) = picture.of_kind("more")
    assert more.label == f"+{len(monolith_routes) - 4} more routes"
    assert any(e.source == more.id and e.target == "f1" for e in picture.edges)


def test_the_sample_reports_after_picture_highlights_the_new_functions(sample_report: DryRunReport) -> None:
    """After the apply, the three new functions and their routes are highlighted; the monolith is not."""
    highlighted = {n.label for n in sample_report.after.nodes if n.highlight and n.kind == "function"}
    assert highlighted == set(sample_report.summary.extracted)
    assert not any(n.highlight for n in sample_report.before.nodes)
