"""Golden tests: every dispatch-style fixture app analyzes to the JSON written by hand beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decompose.pipeline import analyze
from decompose.reporting.json_report import to_document
from decompose.rules import rule_ids
from tests.conftest import FIXTURES

IAM_RULES = frozenset(
    {"unbound-resource", "beyond-monolith-role", "monolith-policy-unread", "possible-aws-call-unresolved"}
)
ANTI_PATTERN_RULES = rule_ids()  # measured against their own hand-written table in tests/rules/test_precision.py
COMPARED = ("rule", "severity", "location", "route")
APPS = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").is_file())


def _comparable(document: dict) -> dict:
    """Routes and reach as written by hand; findings by rule, severity, location and route (messages are prose).

    IAM (`permissions`, `policies` and the IAM findings) is proven by execution under moto in tests/iam, and the
    anti-pattern rules have their own oracle, not here.
    """
    document = json.loads(json.dumps(document))
    document.pop("iam", None)
    document.pop("rules", None)
    document["findings"] = [
        {k: f[k] for k in COMPARED} for f in document["findings"] if f["rule"] not in IAM_RULES | ANTI_PATTERN_RULES
    ]
    for function in document["functions"]:
        function.pop("loop_guards", None)
        for route in function["routes"]:
            route.pop("permissions", None)
            route.pop("policies", None)
    return document


@pytest.mark.parametrize("app", APPS)
def test_fixture_matches_expected_json(app: str) -> None:
    """The analysis of each fixture app equals its hand-derived expected.json (messages aside)."""
    expected = json.loads((FIXTURES / app / "expected.json").read_text(encoding="utf-8"))
    actual = to_document(analyze(FIXTURES / app))
    assert _comparable(actual) == _comparable(expected), (
        f"analysis of tests/fixtures/{app} changed. If the change is right, regenerate and review the diff:\n"
        f"  .venv/bin/decompose analyze tests/fixtures/{app} --format json > tests/fixtures/{app}/expected.json"
    )


def test_every_dispatch_style_has_a_fixture() -> None:
    """Each built-in strategy is exercised by at least one fixture app."""
    styles = set()
    for app in APPS:
        document = json.loads((FIXTURES / app / "expected.json").read_text(encoding="utf-8"))
        styles |= {style for function in document["functions"] for style in function["dispatch"]}
    assert styles >= {"if-chain", "dispatch-table", "match", "powertools", "event-source"}


def test_fixture_apps_are_valid_python() -> None:
    """The fixtures are real code: every file compiles."""
    for path in Path(FIXTURES).rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
