"""Shared helpers: write a tiny SAM app from inline, dedented sources and analyze it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from decompose.domain.model import AnalysisReport, Route
from decompose.pipeline import analyze

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


def write_app(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` (relative path -> dedented text, or raw bytes) under `root`."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def sam_template(events: str = "", handler: str = "app.lambda_handler", extra_resources: str = "") -> str:
    """A minimal SAM template with one Python function whose Events are `events` (YAML, 8-space indent)."""
    body = textwrap.dedent(events).strip("\n")
    events_block = "      Events:\n" + textwrap.indent(body, " " * 8) + "\n" if body else ""
    return (
        "Transform: AWS::Serverless-2016-10-31\n"
        "Globals:\n  Function:\n    Runtime: python3.12\n"
        "Resources:\n"
        "  ApiFunction:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: src/\n"
        f"      Handler: {handler}\n" + events_block + textwrap.indent(textwrap.dedent(extra_resources), "  ")
    )


@pytest.fixture
def analyze_app(tmp_path: Path) -> Callable[..., AnalysisReport]:
    """Write an app (every source under src/, the template beside it) and analyze it."""

    def run(sources: dict[str, str | bytes], template: str | None = None, **kwargs: str) -> AnalysisReport:
        files: dict[str, str | bytes] = {f"src/{k}": v for k, v in sources.items()}
        if template is not None:
            files["template.yaml"] = template
        write_app(tmp_path, files)
        return analyze(tmp_path if template is not None else tmp_path / "src", **kwargs)

    return run


def routes_of(report: AnalysisReport) -> dict[str, Route]:
    """Route id -> route, over every function of the report."""
    return {route.id: route for function in report.functions for route in function.routes}
