"""The proof that each generated route policy is right for sample_monolith: replayed under moto (see harness.py).

Recall: every call a route's event really makes is allowed by the route's policy. Precision: the policy grants
(almost) nothing the events do not use. Sufficiency: moto's IAM access control lets the route run with only its
policy. Necessity: without any one statement the route hits AccessDenied. Lint: parliament finds nothing.
"""

from __future__ import annotations

import pytest

from decompose.iam.lint import lint_policy

from .harness import (
    EVENT_NAMES,
    allowed,
    allowed_by_iam_match,
    exercised,
    granted_pairs,
    moto_permits,
    moto_view,
    policy_document,
    recorded_run,
    route_statements,
    routes_by_event,
    run_event,
)

MIN_PRECISION = 0.95

STATEMENT_CASES = [
    pytest.param(event, index, id=f"{event}-statement{index}")
    for event in EVENT_NAMES
    for index in range(len(route_statements(event)))
]


def test_every_event_has_a_route():
    """Each file in sample_monolith/events/ is the template event of exactly one analyzed route."""
    assert set(EVENT_NAMES) <= set(routes_by_event())


@pytest.mark.parametrize("event", EVENT_NAMES)
def test_recall(event):
    """Every (action, concrete resource) the route's event really needs is allowed by the route's rendered policy."""
    run = recorded_run(event)
    assert run.succeeded, f"{event} failed even without access control: {run.error!r} {run.response!r}"
    assert run.calls, f"{event} made no AWS call: nothing to prove"
    statements = route_statements(event)
    missing = sorted(need for need in run.needs() if not allowed(statements, *need))
    assert not missing, f"{routes_by_event()[event].id}: the generated policy does not allow {missing}"
    disagree = sorted(need for need in run.needs() if not allowed_by_iam_match(statements, *need))
    assert not disagree, f"decompose's iam_match disagrees with moto's evaluator on {disagree}"


def test_precision():
    """At least 95% of the (action, resource) pairs the route policies grant are exercised by the sample's events."""
    granted_total = used_total = 0
    over: dict[str, list[tuple[str, str]]] = {}
    for event in EVENT_NAMES:
        needs = recorded_run(event).needs()
        pairs = granted_pairs(route_statements(event))
        unused = sorted(pair for pair in pairs if not exercised(pair, needs))
        granted_total += len(pairs)
        used_total += len(pairs) - len(unused)
        if unused:
            over[routes_by_event()[event].id] = unused
    precision = used_total / granted_total
    print(f"precision {used_total}/{granted_total} = {precision:.3f}; over-granted: {over}")
    assert precision >= MIN_PRECISION, f"precision {precision:.3f} < {MIN_PRECISION}; over-granted per route: {over}"


@pytest.mark.parametrize("event", EVENT_NAMES)
def test_policy_suffices_under_moto_enforcement(event):
    """Run as an IAM user holding only the route's policy, the route succeeds without any AccessDenied."""
    run = run_event(event, policy=moto_view(route_statements(event)))
    assert not run.denied, f"{event}: moto denied {run.denied}"
    assert run.succeeded, f"{event}: {run.error!r} {run.response!r}"


@pytest.mark.parametrize(("event", "index"), STATEMENT_CASES)
def test_each_statement_is_necessary(event, index):
    """Without any one statement of its policy the route hits AccessDenied, where moto can tell."""
    statements = route_statements(event)
    removed, rest = statements[index], statements[:index] + statements[index + 1 :]
    needs = recorded_run(event).needs()
    # By the real evaluator (resources included): the statement must be the only grant of some exercised need.
    only_here = sorted(need for need in needs if allowed([removed], *need) and not allowed(rest, *need))
    assert only_here, f"{event}: {removed} grants nothing the event needs that the other statements do not"
    # moto checks resources for S3 and SQS only (harness.moto_view): a statement scoped to one table, topic,
    # state machine or function is told apart from another statement with the same action only by resource,
    # which moto cannot see; such a removal is skipped here and proven by test_recall's resource check instead.
    full, reduced = moto_view(statements), moto_view(rest)
    detectable = [need for need in only_here if moto_permits(full, need) and not moto_permits(reduced, need)]
    if not detectable:
        pytest.skip(
            f"moto authorizes {sorted({n[0] for n in only_here})} with resource '*', and the remaining statements"
            " grant the same actions on other resources: the removal is invisible to moto"
        )
    run = run_event(event, policy=reduced)
    assert run.denied, f"{event}: removing {removed.origin} {removed.actions} went unnoticed ({run.response!r})"
    assert not run.succeeded


@pytest.mark.parametrize("event", EVENT_NAMES)
def test_parliament_finds_nothing(event):
    """parliament reports no finding on the route's rendered policy (SAM templates expanded)."""
    assert lint_policy(policy_document(route_statements(event))) == []
