"""`decompose verify` on each fixture app that `apply` splits: the routes it extracts are equivalent.

Per app (no recorded events: each route runs with its synthesized event), the first two movable routes
are extracted, to keep the suite's time in bounds; README's Verify section has the figures with every
movable route extracted. The powertools app is the exception that proves the guard: its packages lack
Powertools, and verify must say so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.verification.projects import cli, movable_routes, split_copy

# Split by apply, but like powertools their requirements.txt sits outside CodeUri, so their packages install
# no framework and verify rightly reports each function as unable to import it (see the powertools test).
FRAMEWORK_APPS = {"flask_app", "fastapi_app", "chalice_sam"}
MISSING_DISTRIBUTION = "powertools"  # its requirements.txt is outside CodeUri: its packages install nothing
APPS = sorted(
    p.name
    for p in FIXTURES.iterdir()
    if (p / "template.yaml").is_file() and p.name not in FRAMEWORK_APPS | {MISSING_DISTRIBUTION}
)


@pytest.mark.parametrize("app", APPS)
def test_the_extracted_routes_of_each_fixture_app_are_equivalent(app: str, tmp_path: Path) -> None:
    """Each fixture app's extracted routes answer their events like the monolith, every call allowed."""
    routes = movable_routes(FIXTURES / app)[:2]
    root = split_copy(FIXTURES / app, tmp_path, routes)
    code, output = cli("verify", str(root), "--format", "json")
    document = json.loads(output[output.index("{") :])
    assert code == 0, json.dumps(document["routes"], indent=2)[:4000]
    assert sorted(r["route"] for r in document["routes"]) == sorted(routes)
    assert {(r["status"], r["policy"]) for r in document["routes"]} == {("equivalent", "allowed")}
    assert all(any(e["origin"] == "synthesized" for e in r["events"]) for r in document["routes"])


def test_a_distribution_the_package_does_not_install_is_caught(tmp_path: Path) -> None:
    """The powertools app's requirements sit outside CodeUri, so no package installs Powertools: verify says so."""
    routes = movable_routes(FIXTURES / MISSING_DISTRIBUTION)[:1]
    root = split_copy(FIXTURES / MISSING_DISTRIBUTION, tmp_path, routes)
    code, output = cli("verify", str(root), "--format", "json")
    (route,) = json.loads(output[output.index("{") :])["routes"]
    assert code == 1
    assert route["status"] == "different"
    assert any("its package lacks 'aws_lambda_powertools'" in d["message"] for d in route["differences"])
