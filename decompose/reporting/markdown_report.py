"""The Markdown view of an analysis, rendered from `templates/analyze.md.j2`."""

from __future__ import annotations

from decompose.domain.model import AnalysisReport
from decompose.reporting.templating import render


def render_markdown(report: AnalysisReport) -> str:
    return render("analyze.md.j2", report=report)
