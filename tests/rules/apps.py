"""Tiny SAM apps for the rule tables: one function `AppFunction` (CodeUri src/, handler app.handler) with the
events, environment and resources a case needs, analyzed by the real pipeline."""

from __future__ import annotations

import textwrap
from pathlib import Path

from decompose.domain.model import AnalysisReport
from decompose.pipeline import analyze
from tests.conftest import write_app


def template(events: str = "", environment: str = "", resources: str = "", functions: str = "") -> str:
    """A SAM template; `events`, `environment` (YAML mapping lines) and `resources` are dedented YAML."""

    def block(text: str, indent: int) -> str:
        return textwrap.indent(textwrap.dedent(text).strip("\n"), " " * indent) + "\n" if text.strip() else ""

    out = (
        "Transform: AWS::Serverless-2016-10-31\n"
        "Globals:\n  Function:\n    Runtime: python3.12\n"
        "Resources:\n"
        "  AppFunction:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: src/\n"
        "      Handler: app.handler\n"
    )
    if environment.strip():
        out += "      Environment:\n        Variables:\n" + block(environment, 10)
    if events.strip():
        out += "      Events:\n" + block(events, 8)
    return out + block(resources, 2) + block(functions, 2)


def run(tmp_path: Path, sources: dict[str, str], template_text: str, **kwargs: object) -> AnalysisReport:
    files: dict[str, str | bytes] = {f"src/{name}": text for name, text in sources.items()}
    files["template.yaml"] = template_text
    write_app(tmp_path, files)
    return analyze(tmp_path, **kwargs)  # type: ignore[arg-type]


def found(report: AnalysisReport, rule: str) -> set[tuple[str, str, str | None]]:
    """(severity, location, route) of the rule's findings."""
    return {(str(f.severity), str(f.location), f.route) for f in report.findings if f.rule == rule}
