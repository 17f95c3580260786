"""The pull request's body: the Markdown report of the change set, then a rollout checklist.

The report part is the dry-run report's Markdown of the change set (`publishing` measures it); the
checklist is read from the plan's deployment settings: how CodeDeploy shifts traffic
(`Canary10Percent5Minutes`: a tenth of the traffic for five minutes, then the rest), which alarms roll a
deployment back, and the next functions the plan has not extracted yet (the next strangler step).
Rendered from `templates/pr.md.j2`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from decompose.domain.plan import GENERATED_MARKER, Deployment, Plan
from decompose.reporting.templating import render

_CANARY = re.compile(r"^Canary(\d+)Percent(\d+)Minutes?$")
_LINEAR = re.compile(r"^Linear(\d+)PercentEvery(\d+)Minutes?$")
NEXT_STEPS = 3  # functions suggested as the next strangler step


def traffic_shift(deployment: Deployment) -> str:
    """What a CodeDeploy configuration does with the traffic, in words."""
    canary = _CANARY.match(deployment.type)
    if canary:
        percent, minutes = canary.groups()
        return f"{percent}% of the traffic for {minutes} minutes, then all of it"
    linear = _LINEAR.match(deployment.type)
    if linear:
        percent, minutes = linear.groups()
        unit = "minute" if minutes == "1" else f"{minutes} minutes"
        return f"{percent}% more of the traffic every {unit}"
    return "all of the traffic at once (no canary)"


def next_step(plan: Plan, count: int = NEXT_STEPS) -> list[str]:
    """The first functions of the plan not extracted yet."""
    return [f.logical_id for f in plan.functions if not f.extract][:count]


def render_body(
    plan: Plan,
    *,
    report: str,
    branch: str,
    base: str,
    commits: Sequence[tuple[str, str]],
) -> str:
    """The whole body, Markdown, marked as generated (an HTML comment). `report` is the dry-run report's
    Markdown (`render_markdown_report(report, diffs=False)`)."""
    deployments = {}
    for function in plan.extracted:
        deployments.setdefault(function.deployment, []).append(function.logical_id)
    return render(
        "pr.md.j2",
        marker=GENERATED_MARKER,
        report=report,
        plan=plan,
        branch=branch,
        base=base,
        commits=commits,
        deployments=[(d, ids, traffic_shift(d)) for d, ids in deployments.items()],
        next_functions=next_step(plan),
    )
