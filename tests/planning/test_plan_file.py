"""The plan file: rendered commented and stable, read back with lines, and updated without losing edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from decompose import splitting
from decompose.changes.writer import write
from decompose.domain.model import FunctionSpec
from decompose.domain.plan import GENERATED_MARKER, Deployment, FunctionPlan, Plan
from decompose.errors import PlanError
from decompose.planning.plan_file import _normalise, read_plan_text, render_plan, revise_plan_text, update_plan_text
from tests.planning.apps import ROUTES, shop

SPEC = FunctionSpec("ShopFunction", "app.lambda_handler", "src", "python3.12", memory_size=512, timeout=30)


def _plan(root: Path, **options: object) -> splitting.PlanOutcome:
    outcome = splitting.plan(root, **options)  # type: ignore[arg-type]
    write(outcome.change_set, outcome.write_root, force=True)
    return outcome


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return shop(tmp_path)


def test_fresh_plan_has_a_marked_commented_header_and_every_route(app: Path) -> None:
    """A fresh plan carries the generated marker, explains itself, and lists each route once."""
    _plan(app)
    text = (app / "decompose.yaml").read_text()
    assert GENERATED_MARKER in text
    assert "# Inherited from ShopFunction unless set here:" in text
    assert "# memory_size: 256" in text
    assert "# timeout: 20" in text
    plan = read_plan_text(text, "decompose.yaml")
    assert sorted(r for f in plan.functions for r in f.routes) == sorted(ROUTES)
    assert plan.problems == ()


def test_rendered_plan_survives_a_round_trip_unchanged(app: Path) -> None:
    """Loading and dumping the rendered plan with ruamel reproduces it byte for byte."""
    _plan(app)
    text = (app / "decompose.yaml").read_text()
    assert _normalise(text) == text


def test_read_plan_knows_the_line_of_every_route(app: Path) -> None:
    """Each function and each of its routes has its plan-file line."""
    _plan(app)
    lines = (app / "decompose.yaml").read_text().splitlines()
    plan = read_plan_text("\n".join(lines) + "\n", "decompose.yaml")
    for function in plan.functions:
        assert f"logical_id: {function.logical_id}" in lines[function.line_of("logical_id") - 1]  # type: ignore[operator]
        for index, route in enumerate(function.routes):
            assert route in lines[function.line_of(f"routes.{index}") - 1]  # type: ignore[operator]


def test_rerun_keeps_edits_and_comments_and_is_a_no_op(app: Path) -> None:
    """The user's renames, merges, overrides and comments survive a re-run that has nothing to add."""
    _plan(app)
    path = app / "decompose.yaml"
    text = path.read_text()
    text = text.replace("logical_id: ListOrdersFunction", "logical_id: OrdersReadFunction  # renamed by me")
    text = text.replace("    # memory_size: 256\n", "    memory_size: 1024\n", 1)
    text = text.replace("# One entry per new function", "# my own note\n# One entry per new function")
    path.write_text(text)
    outcome = _plan(app)
    assert outcome.change_set.empty
    assert path.read_text() == text
    assert outcome.problems == ()
    assert outcome.plan.functions[0].logical_id == "OrdersReadFunction"
    assert outcome.plan.functions[0].memory_size == 1024


def test_rerun_adds_new_routes_and_reports_vanished_ones(app: Path) -> None:
    """A route new in the code gets a function at the end; a route gone from the code is a problem with its line."""
    _plan(app)
    path = app / "decompose.yaml"
    text = path.read_text().replace("- POST /orders  #", "- DELETE /orders  # was POST;")
    path.write_text(text)
    outcome = _plan(app)
    new_text = path.read_text()
    assert "was POST;" in new_text  # the user's line is kept, never silently dropped
    assert [f.routes for f in outcome.added] == [("POST /orders",)]
    assert new_text.rstrip().endswith("# deployment: {type: AllAtOnce}")
    (problem,) = outcome.problems
    line = new_text.splitlines().index(next(x for x in new_text.splitlines() if "DELETE /orders" in x)) + 1
    assert str(problem).startswith(f"decompose.yaml:{line}: route 'DELETE /orders' no longer exists")


def test_extract_on_rerun_sets_the_flag_in_place(app: Path) -> None:
    """`plan --extract` on an existing plan flips `extract` of that entry, keeping everything else."""
    _plan(app)
    before = (app / "decompose.yaml").read_text()
    outcome = _plan(app, extract=("S3 UploadsBucket",))
    after = (app / "decompose.yaml").read_text()
    assert [f.logical_id for f in outcome.plan.extracted] == ["UploadsBucketS3Function"]
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == ["    extract: true"]


def test_hostile_route_strings_survive_render_and_read() -> None:
    """Routes with quotes, `#`, `: `, newlines and unicode are one string each after a round trip."""
    routes = ('GET /a: "b" #c', "GET /../..\n/x", "GET /日本\u2028😀", "'; rm -rf /")
    plan = Plan("ShopFunction", (FunctionPlan("XFunction", routes, module="routes.x", handler="handlers.x"),))
    text = render_plan(plan, SPEC, {})
    assert read_plan_text(text, "p.yaml").functions[0].routes == routes


def test_update_of_an_unchanged_plan_returns_the_text_untouched() -> None:
    """No additions and no new extract flags: the user's text comes back byte for byte, even if oddly indented."""
    text = "version: 1\nmonolith: ShopFunction\nfunctions:\n-   logical_id: AFunction\n    routes: [GET /a]\n"
    plan = read_plan_text(text, "p.yaml")
    assert update_plan_text(text, [], extract=[], plan=plan, monolith=SPEC, routes={}, path="p.yaml") == text


@pytest.mark.parametrize(
    ("text", "fragment", "line"),
    [
        ("version: 1\nfunctions: [\n", "not a YAML plan", 3),
        ("- a\n- b\n", "a plan file is a YAML mapping", 1),
        ("version: 2\nmonolith: X\nfunctions: []\n", "unsupported plan version 2", 1),
        ("monolith: X\nversion: 1\nmonolith: Y\nfunctions: []\n", "not a YAML plan", 3),
    ],
)
def test_unreadable_plans_raise_with_a_line(text: str, fragment: str, line: int) -> None:
    """A file that is not a version-1 YAML mapping is one error with its line."""
    with pytest.raises(PlanError) as caught:
        read_plan_text(text, "p.yaml")
    (problem,) = caught.value.problems
    assert fragment in str(problem)
    assert problem.location is not None
    assert problem.location.line == line


BAD_VALUES = """\
version: 1
monolith: ShopFunction
functions:
  - logical_id: AFunction
    extract: yes please
    routes:
      - GET /a
      - 42
    memory_size: lots
    timeout: 901
    architectures: [x86_64, arm64]
    runtime: nodejs20.x
    memroy: 1
    deployment: {type: AllAtOnce, alarms: NotAList}
  - just a string
"""


def test_values_of_the_wrong_type_are_all_reported_with_their_lines() -> None:
    """Every value of the wrong type (and an unknown key) is one problem at its own line; reading goes on."""
    plan = read_plan_text(BAD_VALUES, "p.yaml")
    found = [(p.location.line if p.location else None, p.message.split(" ")[0]) for p in plan.problems]
    assert found == [
        (13, "unknown"),
        (5, "`extract`"),
        (8, "a"),
        (9, "`memory_size`"),
        (10, "`timeout`"),
        (12, "runtime"),
        (11, "`architectures`"),
        (14, "deployment"),
        (15, "each"),
    ]
    assert "did you mean 'memory_size'?" in plan.problems[0].message
    assert plan.functions[0].routes == ("GET /a",)


class _Node(str):
    """A str subclass, as cfn-lint's decoder hands back template keys (ruamel cannot represent it as such)."""


def test_revise_marks_renames_and_sets_the_deployment_keeping_comments(app: Path) -> None:
    """The wizard's choices: extract marks, a rename whose default module and handler follow it, the deployment
    with a template-key alarm; the user's comment survives and the result reads back as a plan."""
    _plan(app)
    text = (app / "decompose.yaml").read_text().replace("version: 1", "version: 1  # mine")
    revised = revise_plan_text(
        text,
        "decompose.yaml",
        extract={"ListOrdersFunction": True, "CreateOrderFunction": False},
        renames={"ListOrdersFunction": "OrdersList"},
        deployment=Deployment("AllAtOnce", "live", (_Node("ErrorsAlarm"),)),
    )
    assert "version: 1  # mine" in revised
    plan = read_plan_text(revised, "decompose.yaml")
    renamed = next(f for f in plan.functions if f.logical_id == "OrdersList")
    assert (renamed.extract, renamed.module, renamed.handler) == (True, "routes.orders_list", "handlers.orders_list")
    assert [f.logical_id for f in plan.extracted] == ["OrdersList"]
    assert plan.deployment == Deployment("AllAtOnce", "live", ("ErrorsAlarm",))


def test_revise_without_a_change_returns_the_same_text(app: Path) -> None:
    """Choices that change nothing give back the very text (no reformatting of the user's file)."""
    _plan(app)
    text = (app / "decompose.yaml").read_text()
    assert revise_plan_text(text, "decompose.yaml", extract={"ListOrdersFunction": False}) == text
