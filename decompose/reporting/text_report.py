"""The human view of an analysis: one block per function, one per route, then the findings."""

from __future__ import annotations

from collections.abc import Iterator

import click

from decompose.domain.model import AnalysisReport, Finding, FunctionAnalysis, Route, Severity
from decompose.reporting.escaping import visible

GAPS_SHOWN = 4  # gaps listed on a route's INCOMPLETE line (the findings list every one)
_SEVERITY_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_text(report: AnalysisReport) -> str:
    """Styled text; click strips the styles when the output is not a terminal."""
    return "\n".join(_lines(report)) + "\n"


def _lines(report: AnalysisReport) -> Iterator[str]:
    if report.template:
        yield click.style(f"Template {report.template}", bold=True)
    for function in report.functions:
        yield ""
        yield from _function(function, iam=report.iam)
    if report.findings:
        yield ""
        yield click.style(f"Findings ({len(report.findings)})", bold=True)
        yield from (_finding(f) for f in report.findings)
    counts = _summary(report)
    yield ""
    yield counts


def _function(function: FunctionAnalysis, *, iam: bool) -> Iterator[str]:
    spec = function.spec
    title = spec.logical_id or spec.handler
    yield click.style(visible(title), bold=True) + (
        f"  handler {visible(spec.handler)}  code {visible(spec.code_uri)}  runtime {visible(spec.runtime or '?')}"
        f"  dispatch {', '.join(function.dispatch_styles) or 'none'}"
    )
    width = max((len(visible(r.id)) for r in function.routes), default=0)
    for route in function.routes:
        yield from _route(route, width, iam=iam)


def _route(route: Route, width: int, *, iam: bool) -> Iterator[str]:
    event = visible(route.trigger.event or "no event")
    yield f"  {click.style(visible(route.id).ljust(width), fg='green')}  [{event}, {route.dispatch}]"
    yield f"      entry          {visible(route.entry)} ({visible(route.location)})"
    yield f"      modules        {', '.join(route.reach.modules) or '-'}"
    yield f"      distributions  {', '.join(route.reach.distributions) or '-'}"
    if not iam:
        return
    label = "policy"
    for permission in route.permissions:
        where = visible(f"{permission.location}; {permission.via}")
        yield f"      {label:<13}  {permission.action} on {visible(permission.resource)}  ({where})"
        label = ""
    if not route.permissions:
        yield (
            "      policy         - (no AWS calls)" if route.policy_complete else "      policy         - (none found)"
        )
    if not route.policy_complete:
        shown = [visible(f"{g.location} {g.rule}" if g.location else g.rule) for g in route.gaps[:GAPS_SHOWN]]
        more = len(route.gaps) - GAPS_SHOWN
        gaps = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
        label = click.style("INCOMPLETE", fg="red", bold=True)
        yield f"      {label}     {gaps}: decompose could not follow this code; the policy may lack what it needs"


def _finding(finding: Finding) -> str:
    colour = _SEVERITY_COLOURS[finding.severity]
    where = visible(finding.location) if finding.location else "-"
    routes = finding.all_routes
    more = f" and {len(routes) - 1:,} more route{'s' if len(routes) > 2 else ''}" if len(routes) > 1 else ""
    route = f" [{visible(routes[0])}{more}]" if routes else ""
    message = visible(finding.message)
    lines = [f"  {click.style(str(finding.severity).ljust(7), fg=colour)}  {where}  {finding.rule}{route}: {message}"]
    lines += [f"             {visible(line)}" for line in finding.evidence]
    if finding.evidence and finding.fix:
        lines.append(f"             {click.style('fix:', bold=True)} {visible(finding.fix)}")
    return "\n".join(lines)


def _summary(report: AnalysisReport) -> str:
    routes = sum(len(f.routes) for f in report.functions)
    count = {s: sum(1 for f in report.findings if f.severity is s) for s in Severity}
    incomplete = len(report.incomplete_routes) if report.iam else 0
    policies = f", {incomplete} with an incomplete policy" if incomplete else ""
    return (
        f"{len(report.functions)} function(s), {routes} route(s){policies}; {count[Severity.ERROR]} error(s), "
        f"{count[Severity.WARNING]} warning(s), {count[Severity.INFO]} note(s)"
    )
