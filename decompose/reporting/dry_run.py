"""The Markdown and HTML views of the dry-run report (the JSON view is `dry_run_json`).

Both render `domain.report.DryRunReport` through a jinja2 template in `templates/` and compute nothing of their
own: `dry_run.md.j2` draws the architecture as Mermaid (`reporting.mermaid`), `dry_run.html.j2` as inline SVG
(`reporting.diagram_svg`), with its CSS inline and no script, so the page fetches nothing when it is opened.
The pull request's body is `render_markdown_report(report, diffs=False)`: the commits carry the diffs.
"""

from __future__ import annotations

from collections.abc import Callable

from decompose.domain.report import DryRunReport
from decompose.reporting.diagram_svg import layout
from decompose.reporting.dry_run_json import render_json_report
from decompose.reporting.escaping import markdown_fence, visible
from decompose.reporting.figures import counted, human_bytes, milliseconds, share
from decompose.reporting.mermaid import flowchart
from decompose.reporting.templating import render, render_html

FORMATS = ("md", "html", "json")


def render_markdown_report(report: DryRunReport, *, diffs: bool = True) -> str:
    """The report as GitHub-flavoured Markdown; `diffs=False` leaves the change set's diffs out."""
    before, after = flowchart(report.before), flowchart(report.after)
    return render(
        "dry_run.md.j2",
        report=report,
        diffs=diffs,
        mermaid_before=before,
        mermaid_after=after,
        fence_mermaid_before=markdown_fence(before),
        fence_mermaid_after=markdown_fence(after),
    )


def render_summary(report: DryRunReport) -> str:
    """The summary as plain text for a terminal: what moves, the profiles' figures, findings, verification."""
    s = report.summary
    base = report.monolith_before
    lines = []
    if s.extracted:
        lines.append(
            f"dry run: {s.extracted_routes} of {counted(s.routes, 'route')} of {visible(report.monolith)} move to "
            f"{counted(len(s.extracted), 'new function')}; {counted(s.changed_files, 'file')} would change"
        )
    else:
        lines.append(f"dry run: nothing to extract (no function of {visible(report.plan_file)} says `extract: true`)")
    rows = [("", "routes", "package", "cold import", "IAM actions", "on *")]
    for p in report.profiles:
        name = {"before": f"{p.logical_id} today", "after": f"{p.logical_id} after"}.get(p.stage, p.logical_id)
        size = human_bytes(p.package.total_bytes) + ("+" if p.package.missing else "")
        timing = milliseconds(p.cold_import.median_ms)
        if p.stage == "new":
            size += f" ({share(p.package.total_bytes, base.package.total_bytes)})"
            ratio = share(p.cold_import.median_ms, base.cold_import.median_ms)
            timing += f" ({ratio})" if ratio else ""
        actions = f"{len(p.iam.actions)}{'+' if p.iam.unread else ''}"
        rows.append((visible(name), str(p.routes), size, timing, actions, str(len(p.iam.wildcard_statements))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        lines.append("  " + "  ".join(cells).rstrip())
    before, after = s.findings_before, s.findings_after
    lines.append(
        f"findings: {before.error} error(s), {before.warning} warning(s), {before.info} note(s) today; "
        f"{after.error}, {after.warning}, {after.info} after"
    )
    verification = report.verification
    if verification.status == "not run":
        lines.append("verification: not run")
    else:
        ok = sum(1 for r in verification.routes if r.ok)
        lines.append(f"verification: {verification.status} ({ok} of {len(verification.routes)} routes equivalent)")
    if s.incomplete_policies:
        lines.append(f"incomplete policies: {counted(s.incomplete_policies, 'new function')} (see the report)")
    runs = report.measured.import_runs
    timing = f"cold import median of {counted(runs, 'run')}" if runs else "cold import not measured"
    lines.append(f"measured here: {visible(report.measured.python)}, {timing}")
    return "\n".join(lines) + "\n"


def render_html_report(report: DryRunReport) -> str:
    """The report as one self-contained HTML page (inline SVG and CSS, nothing fetched)."""
    return render_html("dry_run.html.j2", report=report, before=layout(report.before), after=layout(report.after))


RENDERERS: dict[str, Callable[[DryRunReport], str]] = {
    "md": render_markdown_report,
    "html": render_html_report,
    "json": render_json_report,
}


def render_report(report: DryRunReport, fmt: str) -> str:
    """The report in `fmt` (`md`, `html` or `json`)."""
    return RENDERERS[fmt](report)
