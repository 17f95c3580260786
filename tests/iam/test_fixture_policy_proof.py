"""The proof of test_policy_proof.py for every analyzer fixture (tests/fixtures/*): see fixture_harness.py.

Recall: every call a route's synthesized event really makes is allowed by the route's policy. Precision: the
policies grant (almost) nothing the events do not use. Sufficiency: under moto's IAM access control the route
runs with only its policy. Necessity: without any one statement the route hits AccessDenied, where moto can
tell. Lint: parliament finds nothing. Variants with a known gap (fixture_data.py) are strict xfails.
"""

from __future__ import annotations

import json

import pytest

from decompose.iam.lint import lint_policy

from .fixture_data import DATA
from .fixture_harness import (
    FIXTURE_NAMES,
    FIXTURES,
    all_cases,
    detectable_by_moto,
    recorded_run,
    route_needs,
    route_statements,
    routes,
    run_case,
)
from .harness import allowed, allowed_by_iam_match, exercised, granted_pairs, moto_view, policy_document

MIN_PRECISION = 0.95


def _param(case, *extra):
    marks = [pytest.mark.xfail(strict=True, reason=case.known_gap)] if case.known_gap else []
    return pytest.param(case, *extra, id=case.id + ("".join(f"-{e}" for e in extra)), marks=marks)


CASES = [_param(case) for case in all_cases()]
ROUTE_CASES = [case for case in all_cases() if not case.variant]
STATEMENT_CASES = [
    pytest.param(case, index, id=f"{case.id}-statement{index}")
    for case in ROUTE_CASES
    for index in range(len(route_statements(case.fixture, case.route_id)))
]


def test_every_fixture_route_is_covered():
    """Each route id of each fixture's expected.json is analyzed, and has a case here; data names real routes."""
    for fixture in FIXTURE_NAMES:
        expected = json.loads((FIXTURES / fixture / "expected.json").read_text(encoding="utf-8"))
        expected_ids = {route["id"] for function in expected["functions"] for route in function["routes"]}
        assert expected_ids == set(routes(fixture)), fixture
        assert expected_ids == {case.route_id for case in ROUTE_CASES if case.fixture == fixture}
        assert set(DATA[fixture].inputs) <= expected_ids, f"{fixture}: inputs for unknown routes"


@pytest.mark.parametrize("case", CASES)
def test_recall(case):
    """Every (action, concrete resource) the event really needs is allowed by the route's rendered policy."""
    run = recorded_run(case)
    assert run.succeeded, f"{case.id} failed even without access control: {run.error!r} {run.response!r}"
    statements = list(route_statements(case.fixture, case.route_id))
    missing = sorted(need for need in run.needs() if not allowed(statements, *need))
    assert not missing, f"{case.id}: the generated policy does not allow {missing}"
    disagree = sorted(need for need in run.needs() if not allowed_by_iam_match(statements, *need))
    assert not disagree, f"decompose's iam_match disagrees with moto's evaluator on {disagree}"


def precision_report() -> tuple[int, int, dict[str, list[tuple[str, str]]]]:
    """(used, granted, over-granted pairs per route) over every fixture route (variants' needs included)."""
    granted_total = used_total = 0
    over: dict[str, list[tuple[str, str]]] = {}
    for case in ROUTE_CASES:
        needs = route_needs(case.fixture, case.route_id)
        pairs = granted_pairs(list(route_statements(case.fixture, case.route_id)))
        unused = sorted(pair for pair in pairs if not exercised(pair, needs))
        granted_total += len(pairs)
        used_total += len(pairs) - len(unused)
        if unused:
            over[case.id] = unused
    return used_total, granted_total, over


def test_precision():
    """At least 95% of the (action, resource) pairs the fixture route policies grant are exercised."""
    used, granted, over = precision_report()
    precision = used / granted
    print(f"precision {used}/{granted} = {precision:.3f}; over-granted: {over}")
    assert precision >= MIN_PRECISION, f"precision {precision:.3f} < {MIN_PRECISION}; over-granted per route: {over}"


@pytest.mark.parametrize("case", CASES)
def test_policy_suffices_under_moto_enforcement(case):
    """Run as an IAM user holding only the route's policy, the route succeeds without any AccessDenied."""
    run = run_case(case, policy=moto_view(list(route_statements(case.fixture, case.route_id))))
    assert not run.denied, f"{case.id}: moto denied {run.denied}"
    assert run.succeeded, f"{case.id}: {run.error!r} {run.response!r}"


@pytest.mark.parametrize(("case", "index"), STATEMENT_CASES)
def test_each_statement_is_necessary(case, index):
    """Without any one statement of its policy the route hits AccessDenied, where moto can tell."""
    statements = list(route_statements(case.fixture, case.route_id))
    removed, rest = statements[index], statements[:index] + statements[index + 1 :]
    needs = route_needs(case.fixture, case.route_id)
    only_here = sorted(need for need in needs if allowed([removed], *need) and not allowed(rest, *need))
    assert only_here, f"{case.id}: {removed} grants nothing the route's events need that the others do not"
    # Try the route's event and then its variants: the first whose checked needs include a unique one proves it.
    siblings = [c for c in all_cases() if (c.fixture, c.route_id) == (case.fixture, case.route_id) and not c.known_gap]
    checked_anywhere: set[tuple[str, str]] = set()
    for candidate in siblings:
        checked = recorded_run(candidate).checked_needs() & set(only_here)
        checked_anywhere |= checked
        if detectable_by_moto(moto_view(statements), moto_view(rest), checked):
            run = run_case(candidate, policy=moto_view(rest))
            assert run.denied, f"{candidate.id}: removing {removed.origin} {removed.actions} went unnoticed"
            assert not run.succeeded
            return
    reasons = [
        f"{need}: moto reads the resource as '*' and the other statements grant {need[0]} on another resource"
        if need in checked_anywhere
        else f"{need}: moto never authorizes this action for the call that needs it"
        " (S3 copy source, API Gateway management API through a stage URL)"
        for need in only_here
    ]
    pytest.skip("; ".join(reasons) + " -- proven by test_recall against the real call parameters instead")


@pytest.mark.parametrize("case", ROUTE_CASES, ids=[c.id for c in ROUTE_CASES])
def test_parliament_finds_nothing(case):
    """parliament reports no finding on the route's rendered policy (SAM templates expanded)."""
    statements = list(route_statements(case.fixture, case.route_id))
    if not statements:
        pytest.skip(f"{case.id} has an empty policy: nothing to lint")
    assert lint_policy(policy_document(statements)) == []
