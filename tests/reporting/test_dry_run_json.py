"""The JSON view of the dry-run report: it validates against the schema shipped in the package, the schema and
the model cannot drift apart, and hostile route strings come back exactly."""

from __future__ import annotations

import dataclasses
import inspect
import json
from typing import Any

import jsonschema
import pytest

from decompose.domain import report as model
from decompose.domain.plan import Deployment
from decompose.domain.report import DryRunReport
from decompose.reporting.dry_run_json import DERIVED, render_json_report, schema
from tests.reporting.apps import HOSTILE_ROUTE

CLASSES = [
    c
    for _, c in inspect.getmembers(model, inspect.isclass)
    if dataclasses.is_dataclass(c) and c.__module__ == model.__name__
] + [Deployment]


def _validator() -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema())
    return jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())


def _errors(document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(document)]


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    """The shipped schema itself passes the metaschema."""
    jsonschema.Draft202012Validator.check_schema(schema())


@pytest.mark.parametrize("name", ["sample_report", "hostile_report"])
def test_a_real_report_validates_against_the_schema(name: str, request: pytest.FixtureRequest) -> None:
    """The dry run of a real project, as `--format json` prints it, has no schema error."""
    report: DryRunReport = request.getfixturevalue(name)
    document = json.loads(render_json_report(report))
    assert _errors(document) == []
    assert document["functions"], "the plan extracts functions, so the document details them"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_the_schema_describes_every_field_of_the_model(cls: type) -> None:
    """Each dataclass of the report model has a schema definition naming exactly its fields (and derived values),
    all required, nothing else allowed."""
    definition = schema() if cls is DryRunReport else schema()["$defs"][cls.__name__]
    names = {f.name for f in dataclasses.fields(cls)} | set(DERIVED.get(cls, ()))
    assert set(definition["properties"]) == names
    assert set(definition["required"]) == names
    assert definition["additionalProperties"] is False


def test_the_schema_rejects_a_document_missing_a_field(sample_report: DryRunReport) -> None:
    """The schema is strict: a function without its policy is an error at that place."""
    document = json.loads(render_json_report(sample_report))
    del document["functions"][0]["policies"]
    document["summary"]["routes"] = "14"
    assert sorted(_errors(document)) == [
        "functions/0: 'policies' is a required property",
        "summary/routes: '14' is not of type 'integer'",
    ]


def test_hostile_route_strings_come_back_exactly(hostile_report: DryRunReport) -> None:
    """Quotes, a newline, `<script>` and backticks in a route survive the JSON view unchanged."""
    document = json.loads(render_json_report(hostile_report))
    routes = [r["id"] for f in document["functions"] for r in f["routes"]]
    assert HOSTILE_ROUTE in routes
    labels = [n["label"] for n in document["after"]["nodes"] if n["kind"] == "route"]
    assert HOSTILE_ROUTE in labels


def test_the_sample_report_figures_are_real(sample_report: DryRunReport) -> None:
    """The sample's headline figures: three routes move, each new function is smaller and narrower than the
    monolith, and its cold import was measured."""
    document = json.loads(render_json_report(sample_report))
    assert document["summary"]["extracted_routes"] == 3
    before = document["monolith_before"]
    for function in document["functions"]:
        profile = function["profile"]
        assert 0 < profile["package"]["total_bytes"] < before["package"]["total_bytes"]
        assert 0 < len(profile["iam"]["actions"]) < len(before["iam"]["actions"])
        assert profile["cold_import"]["error"] is None, profile["cold_import"]
        assert profile["cold_import"]["median_ms"] > 0
