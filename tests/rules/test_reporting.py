"""The anti-pattern findings in every view: evidence, fix, rule metadata and loop guards."""

from __future__ import annotations

import functools

import click

from decompose.domain.model import AnalysisReport
from decompose.pipeline import analyze
from decompose.reporting.json_report import to_document
from decompose.reporting.markdown_report import render_markdown
from decompose.reporting.text_report import render_text
from tests.conftest import REPO


@functools.cache
def _sample() -> AnalysisReport:
    return analyze(REPO / "sample_monolith")


def test_json_carries_evidence_fix_rules_and_loop_guards() -> None:
    """Findings have evidence and fix, the rules that fired are described, the monolith lists its guarded route."""
    document = to_document(_sample())
    loop = next(f for f in document["findings"] if f["rule"] == "recursive-trigger")
    assert loop["evidence"]
    assert "RecursiveLoop" in loop["fix"]
    assert {r["id"] for r in document["rules"]} == {f["rule"] for f in document["findings"]}
    assert all(r["rationale"] and r["source"].startswith("https://docs.aws.amazon.com/") for r in document["rules"])
    monolith = next(f for f in document["functions"] if f["logical_id"] == "MonolithFunction")
    assert monolith["loop_guards"] == ["S3 UploadsBucket"]


def test_text_prints_evidence_and_fix_under_the_finding() -> None:
    """Each anti-pattern finding is followed by its evidence lines and a fix line."""
    text = click.unstyle(render_text(_sample()))
    assert "write: s3:PutObject on UploadsBucket/processed/* at src/uploads.py:84" in text
    assert "fix: Put an SQS queue between the two functions" in text


def test_markdown_has_an_evidence_and_fixes_section() -> None:
    """The Markdown report lists each anti-pattern with its evidence as bullets and its fix."""
    markdown = render_markdown(_sample())
    assert "### Anti-patterns: evidence and fixes" in markdown
    assert "- callee: PaymentProviderFunction" in markdown
