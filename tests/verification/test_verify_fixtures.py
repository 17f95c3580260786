"""`decompose verify` on each fixture app that `apply` splits: the routes it extracts are equivalent.

Per app (no recorded events: each route runs with its synthesized event), two movable routes are extracted,
to keep the suite's time in bounds; README's Verify section has the figures with every movable route
extracted. The framework apps (Flask, FastAPI, Chalice) and Powertools run from packages that install their
framework from the requirements file at CodeUri, as `sam build` does. A requirements file outside CodeUri is
the exception that proves the guard: nothing installs the framework, and verify must say so.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.verification.projects import cli, movable_routes, split_copy

APPS = sorted(p.name for p in FIXTURES.iterdir() if (p / "template.yaml").is_file())
# the Flask MethodView serves GET and PUT through one registration: one function (a plan problem otherwise)
TOGETHER = {"flask_app": (("GET /v1/files/{key+}", "PUT /v1/files/{key+}"),)}
PICKS = {"flask_app": ("GET /v1/files/{key+}", "PUT /v1/files/{key+}", "GET /")}


def _verify(root: Path) -> tuple[int, dict]:
    code, output = cli("verify", str(root), "--format", "json")
    return code, json.loads(output[output.index("{") :])


@pytest.mark.parametrize("app", APPS)
def test_the_extracted_routes_of_each_fixture_app_are_equivalent(app: str, tmp_path: Path) -> None:
    """Each fixture app's extracted routes answer their events like the monolith, every call allowed."""
    routes = PICKS.get(app) or movable_routes(FIXTURES / app)[:2]
    root = split_copy(FIXTURES / app, tmp_path, routes, TOGETHER.get(app, ()))
    code, document = _verify(root)
    assert code == 0, json.dumps(document["routes"], indent=2)[:4000]
    # a route's function may hold more routes than the one marked (a Chalice view serving GET and DELETE)
    assert set(routes) <= {r["route"] for r in document["routes"]}
    assert {(r["status"], r["policy"]) for r in document["routes"]} == {("equivalent", "allowed")}
    assert all(any(e["origin"] == "synthesized" for e in r["events"]) for r in document["routes"])


def test_requirements_outside_code_uri_are_caught_on_both_sides(tmp_path: Path) -> None:
    """The powertools app with its requirements.txt beside template.yaml, outside CodeUri `src/`: SAM's
    builder installs nothing for the monolith, so neither its build nor any new function's package holds
    Powertools, and verify says so for the monolith instead of passing a route Lambda would fail."""
    app = tmp_path / "app" / "powertools"
    shutil.copytree(FIXTURES / "powertools", app, ignore=shutil.ignore_patterns("__pycache__"))
    (app / "src" / "requirements.txt").rename(app / "requirements.txt")
    routes = movable_routes(app)[:1]
    root = split_copy(app, tmp_path / "split", routes)
    code, document = _verify(root)
    (route,) = document["routes"]
    assert code == 1
    assert route["status"] == "not-verifiable"
    assert "the monolith's handler does not import" in route["reason"]
    assert "its package lacks 'aws_lambda_powertools'" in route["reason"]


def test_a_distribution_the_generated_requirements_leave_out_is_caught(tmp_path: Path) -> None:
    """A new function whose generated requirements file lost Powertools' line (the monolith's build still
    installs it): the function's import fails in verify as it would in Lambda, where the monolith's works."""
    routes = movable_routes(FIXTURES / "powertools")[:1]
    root = split_copy(FIXTURES / "powertools", tmp_path, routes)
    (requirements,) = (root / "src" / ".decompose" / "requirements").glob("*.txt")
    lines = requirements.read_text(encoding="utf-8").splitlines(keepends=True)
    requirements.write_text("".join(li for li in lines if "powertools" not in li), encoding="utf-8")
    code, document = _verify(root)
    (route,) = document["routes"]
    assert code == 1
    assert route["status"] == "different"
    assert any("its package lacks 'aws_lambda_powertools'" in d["message"] for d in route["differences"])
