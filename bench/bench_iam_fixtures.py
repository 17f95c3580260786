"""Least-privilege benchmark over the analyzer fixtures (tests/fixtures/*), the companion of bench_iam.py.

    .venv/bin/python bench/bench_iam_fixtures.py

Runs every fixture route's synthesized event (and the variants of tests/iam/fixture_data.py) under moto with
tests/iam/fixture_harness.py and prints one Markdown row per fixture:

- routes / cases: analyzed routes, and events run (variants included; a variant with a known gap is counted
  apart, its needs are not in recall or precision);
- recall: recorded (action, concrete ARN) needs the route policies allow (moto's IAM evaluator) / needs;
- precision: granted (action, resource) pairs some recorded call uses / granted pairs (wildcards expanded as in
  bench_iam.py);
- scoped: statements whose every resource names a resource (not `*`) / statements.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from iam.fixture_harness import (  # noqa: E402 - the harness lives with the tests
    FIXTURE_NAMES,
    all_cases,
    recorded_run,
    route_needs,
    route_statements,
    routes,
)
from iam.harness import allowed, exercised, granted_pairs  # noqa: E402


def _ratio(num: int, den: int) -> str:
    return f"{num}/{den} = {num / den:.2f}" if den else "n/a"


def fixture_rows() -> list[tuple[str, int, int, int, int, int, int, int, int, int]]:
    """Per fixture: (name, routes, cases, gaps, allowed needs, needs, used pairs, pairs, scoped, statements)."""
    rows = []
    for fixture in FIXTURE_NAMES:
        cases = [c for c in all_cases() if c.fixture == fixture]
        gaps = sum(1 for c in cases if c.known_gap)
        ok = needs_total = used = pairs_total = scoped = statements_total = 0
        for case in cases:
            if case.known_gap:
                continue
            statements = list(route_statements(fixture, case.route_id))
            needs = recorded_run(case).needs()
            needs_total += len(needs)
            ok += sum(1 for need in needs if allowed(statements, *need))
        for route_id in routes(fixture):
            statements = list(route_statements(fixture, route_id))
            needs = route_needs(fixture, route_id)
            pairs = granted_pairs(statements)
            pairs_total += len(pairs)
            used += sum(1 for pair in pairs if exercised(pair, needs))
            statements_total += len(statements)
            scoped += sum(1 for s in statements if "*" not in s.resources)
        counts = (ok, needs_total, used, pairs_total, scoped, statements_total)
        rows.append((fixture, len(routes(fixture)), len(cases), gaps, *counts))
    return rows


def main() -> None:
    start = time.perf_counter()
    rows = fixture_rows()
    print("| fixture | routes | cases (known gaps) | recall | precision | scoped statements |")
    print("|---|---|---|---|---|---|")
    totals = [0] * 9
    for name, *values in rows:
        totals = [t + v for t, v in zip(totals, values, strict=True)]
        n_routes, n_cases, gaps, ok, needs, used, pairs, scoped, statements = values
        print(
            f"| {name} | {n_routes} | {n_cases} ({gaps}) | {_ratio(ok, needs)} | {_ratio(used, pairs)} "
            f"| {_ratio(scoped, statements)} |"
        )
    n_routes, n_cases, gaps, ok, needs, used, pairs, scoped, statements = totals
    print(
        f"| **all** | {n_routes} | {n_cases} ({gaps}) | {_ratio(ok, needs)} | {_ratio(used, pairs)} "
        f"| {_ratio(scoped, statements)} |"
    )
    print(f"\n({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
