"""`check_plan`: every problem of a plan at once, each with the plan-file line it is about."""

from __future__ import annotations

from pathlib import Path

import pytest

from decompose import splitting
from decompose.errors import PlanError
from tests.planning.apps import shop

HEAD = "version: 1\nmonolith: ShopFunction\n"


def _check(tmp_path: Path, body: str) -> list[tuple[int | None, str]]:
    shop(tmp_path)
    (tmp_path / "decompose.yaml").write_text(HEAD + body)
    outcome = splitting.check(tmp_path)
    return [(p.location.line if p.location else None, p.message) for p in outcome.problems]


def _entry(logical_id: str, *routes: str, extra: str = "") -> str:
    lines = [f"  - logical_id: {logical_id}", "    routes:"] + [f"      - {r}" for r in routes]
    return "\n".join(lines) + "\n" + extra


CASES = [
    pytest.param(
        _entry("AFunction", "GET /order"),
        [(6, "route 'GET /order' no longer exists in ShopFunction; did you mean 'GET /orders'")],
        id="unknown-route",
    ),
    pytest.param(
        _entry("AFunction", "GET /orders") + _entry("AFunction", "POST /orders"),
        [(7, "duplicate logical id AFunction: also the function at line 4")],
        id="duplicate-id",
    ),
    pytest.param(
        _entry("AFunction", "GET /orders") + _entry("BFunction", "GET /orders"),
        [(9, "route 'GET /orders' is in two functions: AFunction (line 6) and BFunction")],
        id="route-in-two",
    ),
    pytest.param(
        _entry("OrdersTable", "GET /orders"),
        [(4, "logical id OrdersTable is already a AWS::Serverless::SimpleTable of the template")],
        id="collides-resource",
    ),
    pytest.param(
        _entry("Stage", "GET /orders"),
        [(4, "logical id Stage is already a parameter of the template")],
        id="collides-parameter",
    ),
    pytest.param(
        _entry("ShopFunction", "GET /orders"),
        [(4, "logical id ShopFunction is already a AWS::Serverless::Function of the template")],
        id="collides-monolith",
    ),
    pytest.param(
        _entry("GetOrderFunction", "GET /orders"),
        [(4, "SAM derives GetOrderFunctionRole from logical id GetOrderFunction, and the template already has")],
        id="collides-sam-derived",
    ),
    pytest.param(_entry("Get-Order", "GET /orders"), [(4, "'Get-Order' is not a valid logical id")], id="invalid-id"),
    pytest.param(_entry("A" * 256, "GET /orders"), [(4, "logical id is 256 characters long")], id="id-too-long"),
    pytest.param(
        _entry("AFunction", "GET /orders", extra="    deployment: {type: Canary10Percent5Minute}\n"),
        [(7, "unknown deployment type 'Canary10Percent5Minute'; did you mean 'Canary10Percent5Minutes'?")],
        id="bad-deployment-type",
    ),
    pytest.param(
        _entry("AFunction", "GET /orders", extra="    deployment: {alarms: [NoSuchAlarm, ErrorsAlarm]}\n"),
        [(7, "alarm 'NoSuchAlarm' is not an AWS::CloudWatch::Alarm of the template")],
        id="bad-alarm",
    ),
    pytest.param(
        _entry("AFunction", "GET /orders", extra="    deployment: {pre_traffic: OrdersTable}\n"),
        [(7, "pre_traffic hook 'OrdersTable' is not a function of the template")],
        id="bad-hook",
    ),
    pytest.param(
        _entry("AFunction", "GET /orders", extra="    deployment: {pre_traffic: ShopFunction, replay: all}\n"),
        [(7, "deployment has both pre_traffic 'ShopFunction' and replay: all; CodeDeploy runs one PreTraffic hook")],
        id="hook-and-replay",
    ),
    pytest.param(
        _entry("AFunction", "GET /orders", extra="    phase: shimm\n"),
        [(7, "phase must be one of shim, extract, not 'shimm'; did you mean 'shim'?")],
        id="bad-phase",
    ),
    pytest.param(
        _entry("AFunction", "GET /orders", extra="    deployment: {replay: some, errors_alarm: {period: 90}}\n"),
        [
            (7, "errors_alarm period must be seconds, a multiple of 60, not 90"),
            (7, "deployment replay must be one of none, read, all, not 'some'"),
        ],
        id="bad-replay-and-alarm",
    ),
    pytest.param(
        _entry("AFunction", "GET /orders", extra="    module: ../../etc\n"),
        [(7, "module: '../../etc' is not a dotted Python module name")],
        id="bad-module",
    ),
    pytest.param(
        _entry("AFunction", "GET /orders", extra="    module: x.y\n")
        + _entry("BFunction", "POST /orders", extra="    module: x.y\n"),
        [(11, "module x.y is also used by AFunction")],
        id="shared-module",
    ),
    pytest.param(
        _entry("AFunction", extra="    memory_size: 64\n"),
        [
            (5, "AFunction: `routes` must be a list of route ids"),
            (5, "AFunction has no routes"),
            (6, "`memory_size` must be a whole number from 128 to 10240, not 64"),
        ],
        id="no-routes-bad-memory",
    ),
]


@pytest.mark.parametrize(("body", "expected"), CASES)
def test_problems(tmp_path: Path, body: str, expected: list[tuple[int, str]]) -> None:
    """Each bad plan gives exactly its problems, each at the right line."""
    found = _check(tmp_path, "functions:\n" + body)
    assert [line for line, _ in found] == [line for line, _ in expected]
    for (_, message), (_, fragment) in zip(found, expected, strict=True):
        assert message.startswith(fragment), message


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    """Four independent mistakes give four problems in file order, not just the first."""
    body = "functions:\n" + _entry("OrdersTable", "GET /nope") + _entry("B-Function", "GET /orders", "GET /nope")
    found = _check(tmp_path, body)
    assert [line for line, _ in found] == [4, 6, 7, 10]


def test_a_good_plan_has_no_problem(tmp_path: Path) -> None:
    """Merged routes, overrides and a per-function deployment within the rules are fine."""
    body = "functions:\n" + _entry(
        "OrdersFunction",
        "GET /orders",
        "POST /orders",
        extra="    extract: true\n    memory_size: 1024\n    architectures: [arm64]\n"
        "    deployment: {type: AllAtOnce, alarms: [ErrorsAlarm]}\n",
    )
    assert _check(tmp_path, body) == []


def test_extracting_a_route_without_an_event_is_a_problem(tmp_path: Path) -> None:
    """A route no template event reaches cannot be moved: nothing would route it to the new function."""
    shop(tmp_path)
    template = (tmp_path / "template.yaml").read_text()
    start = template.index("        CreateOrder:")
    end = template.index("        GetOrder:")
    (tmp_path / "template.yaml").write_text(template[:start] + template[end:])
    body = "functions:\n" + _entry("AFunction", "POST /orders", extra="    extract: true\n")
    (tmp_path / "decompose.yaml").write_text(HEAD + body)
    (problem,) = splitting.check(tmp_path).problems
    assert str(problem).startswith("decompose.yaml:6: route 'POST /orders' has no event in the template")


def test_an_unknown_monolith_is_a_plan_error_at_its_line(tmp_path: Path) -> None:
    """A monolith the template does not have is reported at the `monolith:` line."""
    shop(tmp_path)
    (tmp_path / "decompose.yaml").write_text("version: 1\n\nmonolith: Nope\nfunctions: []\n")
    with pytest.raises(PlanError) as caught:
        splitting.check(tmp_path)
    assert str(caught.value.problems[-1]).startswith("decompose.yaml:3: monolith: no Python function 'Nope'")
