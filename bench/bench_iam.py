"""Least-privilege benchmark: each sample_monolith route's generated policy against what its event really calls.

    .venv/bin/python bench/bench_iam.py

Runs every event in sample_monolith/events/ under moto with the proof harness (tests/iam/harness.py) and prints
a Markdown table per route:

- actions granted / exercised: distinct IAM actions the route's policy allows (SAM policy templates expanded,
  wildcard actions expanded) / distinct actions the event's recorded calls need (decompose's mapping);
- pairs: (action, resource) pairs granted; precision = granted pairs some recorded call uses / granted pairs;
- recall: recorded (action, concrete ARN) needs the policy allows (moto's IAM evaluator) / recorded needs;
- scoped: statements whose every resource names a resource (not `*`) / statements.

The last rows compare with the monolith's role (MonolithFunction `Policies`, read by
`decompose.iam.monolith.granted_statements`), which every route shares today. How actions are counted: an
action pattern with a wildcard (`dynamodb:*`, `sqs:SendMessage*`) counts the IAM actions it matches in
parliament's catalogue (AWS's Service Authorization Reference). The footnote also gives the count over
`<prefix>:<Operation>` for every botocore operation of the services with that IAM prefix
(`decompose.iam.models.operation_names`/`iam_prefix`) plus the action names decompose's mapping data uses
(`s3:ListBucket`...): operations are not IAM actions (`SendMessageBatch` is authorized by `sqs:SendMessage`),
so that figure only shows the API surface the wildcards open.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from iam.harness import (  # noqa: E402 - the harness lives with the tests
    EVENT_NAMES,
    allowed,
    exercised,
    expand_action,
    expand_action_by_operations,
    granted_pairs,
    monolith_policies,
    recorded_run,
    render_arn,
    route_statements,
    routes_by_event,
)

from decompose.iam.arns import UnrenderableError  # noqa: E402
from decompose.iam.monolith import granted_statements  # noqa: E402


def _ratio(num: int, den: int) -> str:
    return f"{num}/{den} = {num / den:.2f}" if den else "n/a"


def _monolith_row() -> tuple[int, int, int, int, int]:
    """(IAM actions, botocore-operation actions, statements, statements scoped to named resources, problems)."""
    statements, problems = granted_statements(monolith_policies())
    actions: set[str] = set()
    by_operations: set[str] = set()
    scoped = 0
    for statement in statements:
        for pattern in statement.actions:
            actions |= expand_action(pattern)
            by_operations |= expand_action_by_operations(pattern)
        rendered = []
        for resource in statement.resources:
            try:
                rendered.append(render_arn(resource))
            except UnrenderableError:
                rendered.append("*")
        scoped += all(r != "*" for r in rendered)
    return len(actions), len(by_operations), len(statements), scoped, len(problems)


def main() -> None:
    started = time.perf_counter()
    rows = []
    totals = {"granted": 0, "used": 0, "needs": 0, "allowed": 0, "statements": 0, "scoped": 0}
    all_granted: set[str] = set()
    all_used: set[str] = set()
    for event in EVENT_NAMES:
        route = routes_by_event()[event]
        run = recorded_run(event)
        needs = run.needs()
        statements = route_statements(event)
        pairs = granted_pairs(statements)
        used = {pair for pair in pairs if exercised(pair, needs)}
        ok = {need for need in needs if allowed(statements, *need)}
        scoped = sum(all(r != "*" for r in s.resources) for s in statements)
        actions_granted = {action for action, _ in pairs}
        actions_used = {action for action, _ in needs}
        all_granted |= actions_granted
        all_used |= actions_used
        totals["granted"] += len(pairs)
        totals["used"] += len(used)
        totals["needs"] += len(needs)
        totals["allowed"] += len(ok)
        totals["statements"] += len(statements)
        totals["scoped"] += scoped
        rows.append(
            f"| `{route.id}` | {event} | {len(actions_granted)} / {len(actions_used)} | {len(pairs)} | "
            f"{_ratio(len(used), len(pairs))} | {_ratio(len(ok), len(needs))} | {_ratio(scoped, len(statements))} |"
        )
    mono_actions, mono_operations, mono_statements, mono_scoped, mono_problems = _monolith_row()
    print("| route | event | actions granted / exercised | pairs granted | precision | recall | scoped statements |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(
        f"| **all {len(EVENT_NAMES)} routes** | | {len(all_granted)} / {len(all_used)} (distinct) | "
        f"{totals['granted']} | "
        f"{_ratio(totals['used'], totals['granted'])} | {_ratio(totals['allowed'], totals['needs'])} | "
        f"{_ratio(totals['scoped'], totals['statements'])} |"
    )
    print(
        f"| **monolith role** (every route today) | | {mono_actions} / {len(all_used)} | | | | "
        f"{_ratio(mono_scoped, mono_statements)} |"
    )
    print()
    print(
        f"Monolith: {mono_statements} Allow statements granting {mono_actions} distinct IAM actions (wildcards"
        f" expanded with parliament's IAM action catalogue; {mono_operations} when expanded over botocore operations"
        f" + decompose's mapped action names instead), {mono_problems} unread entries; the routes together need"
        f" {len(all_used)} distinct actions."
    )
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
