"""The human view of an analysis: one block per function, one per route, then the findings."""

from __future__ import annotations

from collections.abc import Iterator

import click

from decompose.domain.model import AnalysisReport, Finding, FunctionAnalysis, Route, Severity

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
    yield click.style(title, bold=True) + (
        f"  handler {spec.handler}  code {spec.code_uri}  runtime {spec.runtime or '?'}"
        f"  dispatch {', '.join(function.dispatch_styles) or 'none'}"
    )
    width = max((len(r.id) for r in function.routes), default=0)
    for route in function.routes:
        yield from _route(route, width, iam=iam)


def _route(route: Route, width: int, *, iam: bool) -> Iterator[str]:
    event = route.trigger.event or "no event"
    yield f"  {click.style(route.id.ljust(width), fg='green')}  [{event}, {route.dispatch}]"
    yield f"      entry          {route.entry} ({route.location})"
    yield f"      modules        {', '.join(route.reach.modules) or '-'}"
    yield f"      distributions  {', '.join(route.reach.distributions) or '-'}"
    if not iam:
        return
    label = "policy"
    for permission in route.permissions:
        where = f"{permission.location}; {permission.via}"
        yield f"      {label:<13}  {permission.action} on {permission.resource}  ({where})"
        label = ""
    if not route.permissions:
        yield "      policy         - (no AWS calls)"


def _finding(finding: Finding) -> str:
    colour = _SEVERITY_COLOURS[finding.severity]
    where = str(finding.location) if finding.location else "-"
    route = f" [{finding.route}]" if finding.route else ""
    lines = [
        f"  {click.style(str(finding.severity).ljust(7), fg=colour)}  {where}  {finding.rule}{route}: {finding.message}"
    ]
    lines += [f"             {line}" for line in finding.evidence]
    if finding.evidence and finding.fix:
        lines.append(f"             {click.style('fix:', bold=True)} {finding.fix}")
    return "\n".join(lines)


def _summary(report: AnalysisReport) -> str:
    routes = sum(len(f.routes) for f in report.functions)
    count = {s: sum(1 for f in report.findings if f.severity is s) for s in Severity}
    return (
        f"{len(report.functions)} function(s), {routes} route(s); {count[Severity.ERROR]} error(s), "
        f"{count[Severity.WARNING]} warning(s), {count[Severity.INFO]} note(s)"
    )
