"""The rollout of a split function: the shim phase, the extract phase with its alarm and PreTraffic hook.

One copy of the sample goes through the phases a user would take (module-scoped, since each apply re-analyzes
the app): `plan` with two routes, `apply --phase shim`, `apply --phase extract` with
`replay: read`. The tests read the template of each step with cfn-lint's decoder and SAM's own transform,
and run the generated hook against botocore's Stubber (real clients, real request validation).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from cfnlint.decode import decode_str

from decompose import splitting
from decompose.changes.writer import write
from decompose.domain.model import Location, Route, Severity, Trigger, plain
from decompose.domain.plan import GENERATED_MARKER, AlarmSettings, Deployment, FunctionDraft, FunctionPlan, Plan
from decompose.errors import TemplateError
from decompose.generation.rollout import (
    HOOK_ID_LIMIT,
    errors_alarm,
    hook_function_name,
    plan_rollout,
    pre_traffic_hook,
    replay_cases,
)
from decompose.generation.validation import transformed, validate_template
from decompose.loading.events import RecordedEvent
from tests.conftest import REPO
from tests.generation.test_sam_build import sam_build, wheelhouse  # noqa: F401 - a fixture, pytest injects it
from tests.generation.test_template import SAMPLE as SAMPLE_TEMPLATE
from tests.generation.test_template import draft as template_draft
from tests.generation.test_template import edit as template_edit

SAMPLE = REPO / "sample_monolith"
ROUTES = ("GET /orders", "POST /orders")
IGNORED = shutil.ignore_patterns(".pytest_cache", "__pycache__", ".aws-sam")


@dataclass(frozen=True)
class Phases:
    root: Path
    monolith_handler: str
    shim: dict[str, Any]  # the template after `apply` (shim), decoded
    shim_text: str
    extract: dict[str, Any]  # after `apply --phase extract` with replay: read
    extract_text: str
    extract_findings: tuple[str, ...]
    plan_text: str


def _apply(root: Path, phase: str | None = None) -> splitting.ApplyOutcome:
    outcome = splitting.apply(root, phase=phase)
    write(outcome.change_set, root, force=True)
    return outcome


def _decoded(text: str) -> dict[str, Any]:
    template, matches = decode_str(text)
    assert not matches, matches
    return template


@pytest.fixture(scope="module")
def phases(tmp_path_factory: pytest.TempPathFactory) -> Phases:
    root = tmp_path_factory.mktemp("rollout") / "app"
    shutil.copytree(SAMPLE, root, ignore=IGNORED)
    outcome = splitting.plan(root, extract=ROUTES)
    write(outcome.change_set, outcome.write_root, force=True)
    plan = root / "decompose.yaml"
    plan.write_text(plan.read_text().replace("  replay: none", "  replay: read"))
    _apply(root, "shim")
    shim_text = (root / "template.yaml").read_text()
    extracted = _apply(root, "extract")
    extract_text = (root / "template.yaml").read_text()
    monolith = _decoded(shim_text)["Resources"]["MonolithFunction"]["Properties"]["Handler"]
    return Phases(
        root,
        monolith,
        _decoded(shim_text),
        shim_text,
        _decoded(extract_text),
        extract_text,
        tuple(f"{f.rule}: {f.message}" for f in extracted.change_set.findings),
        plan.read_text(),
    )


def _errors(text: str) -> list[str]:
    return [f"{f.rule}: {f.message}" for f in validate_template(text, "template.yaml") if f.severity is Severity.ERROR]


# ------------------------------------------------------------------------------------------------ shim
def test_a_shim_runs_the_monoliths_own_handler_and_package(phases: Phases) -> None:
    """A shim's Handler and CodeUri are the monolith's, with no Makefile build of its own; it carries its
    route's event and its own scoped policy, and the template marks its phase."""
    resources = phases.shim["Resources"]
    monolith = resources["MonolithFunction"]
    for logical_id in ("ListOrdersFunction", "CreateOrderFunction"):
        shim = resources[logical_id]
        assert shim["Properties"]["Handler"] == phases.monolith_handler
        assert shim["Properties"]["CodeUri"] == monolith["Properties"]["CodeUri"]
        assert "BuildMethod" not in shim["Metadata"]
        assert shim["Metadata"]["Decompose"]["Phase"] == "shim"
        assert shim["Properties"]["Policies"] != monolith["Properties"].get("Policies")
    assert set(resources["ListOrdersFunction"]["Properties"]["Events"]) == {"ListOrders"}
    assert "ListOrders" not in monolith["Properties"]["Events"]


def test_a_shim_template_passes_cfn_lint_and_the_sam_transform_with_an_alias_ready(phases: Phases) -> None:
    """The shim phase's template has no cfn-lint error and transforms; each shim already publishes the alias
    its extract phase will shift traffic on, and has no generated alarm or hook yet."""
    assert _errors(phases.shim_text) == []
    resources = transformed(phases.shim_text)["Resources"]
    assert resources["ListOrdersFunctionAliaslive"]["Type"] == "AWS::Lambda::Alias"
    assert "ListOrdersFunctionErrorsAlarm" not in phases.shim["Resources"]
    assert "ListOrdersFunctionPreTrafficHook" not in phases.shim["Resources"]


def test_the_shim_changes_no_code(phases: Phases) -> None:
    """The shim phase wrote only the template and the plan: no handler, no Makefile, no moved module."""
    root = phases.root.parent / "shim_only"
    shutil.copytree(SAMPLE, root, ignore=IGNORED)
    outcome = splitting.plan(root, extract=ROUTES)
    write(outcome.change_set, outcome.write_root, force=True)
    changed = sorted(c.path for c in splitting.apply(root, phase="shim").change_set.changes)
    assert changed == ["decompose.yaml", "template.yaml"]


# --------------------------------------------------------------------------------------------- extract
def test_extract_switches_the_code_under_the_same_alias(phases: Phases) -> None:
    """After `apply --phase extract`, each function runs its generated handler with its Makefile package,
    keeps its alias and deployment preference, and the plan file records its phase."""
    resources = phases.extract["Resources"]
    for logical_id, handler in (
        ("ListOrdersFunction", "handlers.list_orders.lambda_handler"),
        ("CreateOrderFunction", "handlers.create_order.lambda_handler"),
    ):
        function = resources[logical_id]
        assert function["Properties"]["Handler"] == handler
        assert function["Metadata"]["BuildMethod"] == "makefile"
        assert function["Metadata"]["Decompose"]["Phase"] == "extract"
        assert function["Properties"]["AutoPublishAlias"] == "live"
    assert phases.plan_text.count("    phase: extract\n") == 2
    assert "    phase: shim\n" not in phases.plan_text


def test_extract_generates_an_errors_alarm_on_the_alias_and_rolls_back_on_it(phases: Phases) -> None:
    """With no alarm named, each function gets an `AWS::CloudWatch::Alarm` on `Errors` of its alias
    (dimensions FunctionName and Resource `<function>:live`) and its DeploymentPreference names it."""
    resources = phases.extract["Resources"]
    for logical_id in ("ListOrdersFunction", "CreateOrderFunction"):
        alarm = resources[f"{logical_id}ErrorsAlarm"]
        assert alarm["Type"] == "AWS::CloudWatch::Alarm"
        assert alarm["Metadata"]["Decompose"] == {"SplitFrom": "MonolithFunction", "Of": logical_id}
        props = alarm["Properties"]
        assert (props["Namespace"], props["MetricName"], props["Statistic"]) == ("AWS/Lambda", "Errors", "Sum")
        assert props["Dimensions"] == [
            {"Name": "FunctionName", "Value": {"Ref": logical_id}},
            {"Name": "Resource", "Value": {"Fn::Sub": f"${{{logical_id}}}:live"}},
        ]
        preference = resources[logical_id]["Properties"]["DeploymentPreference"]
        assert preference["Alarms"] == [{"Ref": f"{logical_id}ErrorsAlarm"}]


def test_extract_template_passes_cfn_lint_and_sam_wires_alarm_and_hook_into_codedeploy(phases: Phases) -> None:
    """The extract phase's template has no cfn-lint error; SAM's transform puts the alarm on the deployment
    group and the hook on the alias's CodeDeploy update policy."""
    assert _errors(phases.extract_text) == []
    resources = transformed(phases.extract_text)["Resources"]
    group = resources["ListOrdersFunctionDeploymentGroup"]["Properties"]
    assert group["AlarmConfiguration"]["Alarms"] == [{"Name": {"Ref": "ListOrdersFunctionErrorsAlarm"}}]
    policy = resources["ListOrdersFunctionAliaslive"]["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert policy["BeforeAllowTrafficHook"] == {"Ref": "ListOrdersFunctionPreTrafficHook"}
    assert (
        "BeforeAllowTrafficHook"
        not in resources["CreateOrderFunctionAliaslive"]["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    )


def test_the_hook_is_a_codedeploy_hook_allowed_only_its_version_and_its_group(phases: Phases) -> None:
    """The hook function is named `CodeDeployHook_*`, may invoke only the new version and report only to its
    function's deployment group."""
    hook = phases.extract["Resources"]["ListOrdersFunctionPreTrafficHook"]
    props = hook["Properties"]
    assert props["FunctionName"]["Fn::Sub"][0].startswith("CodeDeployHook_ListOrdersFunction_")
    assert props["Environment"]["Variables"]["TARGET_VERSION"] == {"Ref": "ListOrdersFunction.Version"}
    (statement_invoke, statement_report) = props["Policies"][0]["Statement"]
    assert statement_invoke["Action"] == ["lambda:InvokeFunction"]
    assert statement_invoke["Resource"] == {"Ref": "ListOrdersFunction.Version"}
    assert statement_report["Action"] == ["codedeploy:PutLifecycleEventHookExecutionStatus"]
    assert "${ListOrdersFunctionDeploymentGroup}" in statement_report["Resource"]["Fn::Sub"]
    assert hook["IgnoreGlobals"] == "*"
    lambda_function = transformed(phases.extract_text)["Resources"]["ListOrdersFunctionPreTrafficHook"]
    assert "TracingConfig" not in lambda_function["Properties"]  # the sample's Globals set `Tracing: Active`


def test_replay_read_replays_only_read_only_routes_and_says_when_nothing_is_left(phases: Phases) -> None:
    """`replay: read` gives GET /orders a hook replaying `events/ListOrders.json`; POST /orders has no
    read-only event, so it has no hook and a warning says so."""
    data = json.loads((phases.root / "decompose_hooks/list_orders/events.json").read_text())
    assert [(c["source"], c["route"]) for c in data["events"]] == [("events/ListOrders.json", "GET /orders")]
    assert GENERATED_MARKER in data["generated"]
    assert not (phases.root / "decompose_hooks/create_order").exists()
    assert any(f.startswith("replay-without-events: CreateOrderFunction") for f in phases.extract_findings)


def test_the_generated_hook_passes_ruff_and_imports(phases: Phases) -> None:
    """The hook's Python passes ruff (the project's own rules) and imports in a fresh interpreter."""
    folder = phases.root / "decompose_hooks/list_orders"
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--config", str(REPO / "pyproject.toml"), str(folder / "hook.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout
    imported = subprocess.run(
        [sys.executable, "-c", "import hook"], cwd=folder, capture_output=True, text=True, check=False
    )
    assert imported.returncode == 0, imported.stderr


def test_a_rerun_of_the_extract_phase_is_a_no_op(phases: Phases) -> None:
    """Once applied, the recorded phase (extract) is what a plain `apply` does again: nothing to change."""
    assert [c.path for c in splitting.apply(phases.root).change_set.changes] == []


# ---------------------------------------------------------------------------------------- the hook runs
def _hook(folder: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("generated_hook", folder / "hook.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _payload(body: object, error: str | None = None) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    answer: dict[str, Any] = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(raw), len(raw))}
    if error:
        answer["FunctionError"] = error
    return answer


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (_payload({"statusCode": 200, "body": "[]"}), "Succeeded"),
        (_payload({"statusCode": 404, "body": "{}"}), "Succeeded"),  # a replayed request may name absent data
        (_payload({"statusCode": 502, "body": "{}"}), "Failed"),
        (_payload({"errorMessage": "boom"}, error="Unhandled"), "Failed"),
        (_payload(["no status"]), "Failed"),
    ],
)
def test_the_hook_invokes_the_new_version_and_reports_to_codedeploy(
    phases: Phases, monkeypatch: pytest.MonkeyPatch, answer: dict[str, Any], status: str
) -> None:
    """The hook invokes TARGET_VERSION with each recorded event and always reports Succeeded or Failed
    through PutLifecycleEventHookExecutionStatus (botocore's Stubber checks both requests)."""
    hook = _hook(phases.root / "decompose_hooks/list_orders")
    cases = json.loads((phases.root / "decompose_hooks/list_orders/events.json").read_text())["events"]
    target = "arn:aws:lambda:us-east-1:123456789012:function:ListOrders:7"
    monkeypatch.setenv("TARGET_VERSION", target)
    lambda_client = boto3.client("lambda", region_name="us-east-1")
    codedeploy = boto3.client("codedeploy", region_name="us-east-1")
    with Stubber(lambda_client) as lambdas, Stubber(codedeploy) as deploys:
        lambdas.add_response(
            "invoke",
            answer,
            {
                "FunctionName": target,
                "InvocationType": "RequestResponse",
                "Payload": json.dumps(cases[0]["event"]).encode(),
            },
        )
        deploys.add_response(
            "put_lifecycle_event_hook_execution_status",
            {"lifecycleEventHookExecutionId": "h-1"},
            {"deploymentId": "d-ABC", "lifecycleEventHookExecutionId": "h-1", "status": status},
        )
        clients = {"lambda": lambda_client, "codedeploy": codedeploy}
        monkeypatch.setattr(hook.boto3, "client", lambda name, **_: clients[name])
        result = hook.lambda_handler({"DeploymentId": "d-ABC", "LifecycleEventHookExecutionId": "h-1"}, None)
        lambdas.assert_no_pending_responses()
        deploys.assert_no_pending_responses()
    assert result["status"] == status


# ---------------------------------------------------------------------------------------- the rules
def _function(**deployment: Any) -> FunctionPlan:
    routes = ("GET /orders", "POST /orders")
    return FunctionPlan("OrdersFunction", routes, extract=True, deployment=Deployment(**deployment))


def _route(route_id: str, event: str) -> Route:
    method, path = route_id.split(" ", 1)
    return Route(Trigger("Api", method=method, path=path, event=event), "if-chain", "app.handler", Location("app.py"))


MONOLITH_ROUTES = (_route("GET /orders", "ListOrders"), _route("POST /orders", "CreateOrder"))
EVENTS = (
    RecordedEvent("CreateOrder", "events/CreateOrder.json", {"httpMethod": "POST", "resource": "/orders"}, 201),
    RecordedEvent("ListOrders", "events/ListOrders.json", {"httpMethod": "GET", "resource": "/orders"}),
    RecordedEvent("Other", "events/Other.json", {"httpMethod": "GET", "resource": "/elsewhere"}),
)


@pytest.mark.parametrize(
    ("replay", "expected"),
    [
        ("read", [("events/ListOrders.json", "GET /orders", None)]),
        ("all", [("events/CreateOrder.json", "POST /orders", 201), ("events/ListOrders.json", "GET /orders", None)]),
    ],
)
def test_replay_modes_choose_the_functions_recorded_events(replay: str, expected: list[tuple]) -> None:
    """`read` keeps the events of read-only methods, `all` every event of the function's routes; an event
    of another route is never replayed."""
    cases = replay_cases(_function(replay=replay), MONOLITH_ROUTES, EVENTS)
    assert [(c.source, c.route, c.status) for c in cases] == expected


def test_the_shim_phase_generates_nothing_and_keeps_the_plans_own_alarms() -> None:
    """A shim has no generated alarm or hook: its alias starts at the first version, nothing to shift."""
    plan = Plan("MonolithFunction", (_function(replay="all"),))
    rollout = plan_rollout(
        plan.functions[0], plan, phase="shim", runtime="python3.12", routes=MONOLITH_ROUTES, events=EVENTS
    )
    assert (rollout.companions, rollout.alarms, rollout.pre_traffic, rollout.files) == ((), (), None, ())


def test_named_alarms_replace_the_generated_one() -> None:
    """A plan that names its alarms gets them, and no generated alarm."""
    plan = Plan("MonolithFunction", (_function(alarms=("MyAlarm",)),))
    rollout = plan_rollout(
        plan.functions[0], plan, phase="extract", runtime="python3.12", routes=MONOLITH_ROUTES, events=EVENTS
    )
    assert rollout.alarms == ("MyAlarm",)
    assert rollout.companions == ()


def test_the_errors_alarm_follows_the_plans_settings() -> None:
    """threshold, period and evaluation_periods come from `errors_alarm`; the alias is the plan's."""
    settings = AlarmSettings(threshold=2.5, period=300, evaluation_periods=3)
    alarm = errors_alarm(_function(alias="prod", errors_alarm=settings), "MonolithFunction")
    props = alarm.resource["Properties"]
    assert (props["Threshold"], props["Period"], props["EvaluationPeriods"]) == (2.5, 300, 3)
    assert props["Dimensions"][1]["Value"] == {"Fn::Sub": "${OrdersFunction}:prod"}


@pytest.mark.parametrize("logical_id", ["A", "Orders" * 6 + "Fn", "X" * 255])
def test_the_hook_name_fits_lambdas_64_characters(logical_id: str) -> None:
    """`CodeDeployHook_<id>_<8 hex of the stack UUID>` stays within 64 characters; a long id is shortened
    with a digest, so two long ids with one prefix stay distinct."""
    name = hook_function_name(logical_id)["Fn::Sub"][0].replace("${StackUuid}", "0123abcd")
    assert name.startswith("CodeDeployHook_")
    assert len(name) <= 64  # Lambda's FunctionName limit
    if len(logical_id) > HOOK_ID_LIMIT:
        other = hook_function_name(logical_id[:-1] + "Z")["Fn::Sub"][0]
        assert other != hook_function_name(logical_id)["Fn::Sub"][0]


def test_hostile_strings_in_routes_stay_inside_the_hook_docstring(tmp_path: Path) -> None:
    """A route id with quotes and backslashes cannot break the generated hook: it still parses and imports."""
    function = FunctionPlan("Odd", ('GET /a"""\\b', "GET /c'''"), extract=True, deployment=Deployment(replay="all"))
    _, files = pre_traffic_hook(function, "Mono", "python3.12", [])
    hook = dict(files)["decompose_hooks/odd/hook.py"]
    (tmp_path / "hook.py").write_text(hook)
    compiled = subprocess.run(
        [sys.executable, "-c", "import hook"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert compiled.returncode == 0, compiled.stderr


# ------------------------------------------------------------------------------------------- sam build
@pytest.mark.skipif(not os.environ.get("DECOMPOSE_SAM"), reason="aws-sam-cli: `make test` installs it and sets it")
def test_sam_build_builds_both_phases(phases: Phases, tmp_path: Path, wheelhouse: Path) -> None:  # noqa: F811
    """`sam build` succeeds on each phase: the shim with the monolith's own Python builder (its whole CodeUri
    and requirements), the extracted function with its Makefile target, and the hook with exactly its two
    files (boto3 is the Lambda runtime's)."""
    shim_root, extract_root = tmp_path / "shim", tmp_path / "extract"
    shutil.copytree(phases.root, shim_root, ignore=IGNORED)
    shutil.copytree(phases.root, extract_root, ignore=IGNORED)
    (shim_root / "template.yaml").write_text(phases.shim_text)
    shim = sam_build(shim_root, wheelhouse, "ListOrdersFunction") / "ListOrdersFunction"
    assert (shim / phases.monolith_handler.replace(".lambda_handler", ".py")).is_file()
    assert (shim / "fpdf").is_dir()  # the monolith's package, whole
    build = sam_build(extract_root, wheelhouse, "ListOrdersFunction")
    assert (build / "ListOrdersFunction" / "handlers" / "list_orders.py").is_file()
    assert not (build / "ListOrdersFunction" / "fpdf").exists()
    hook = sam_build(extract_root, wheelhouse, "ListOrdersFunctionPreTrafficHook") / "ListOrdersFunctionPreTrafficHook"
    assert sorted(p.name for p in hook.iterdir()) == ["events.json", "hook.py"]


# ----------------------------------------------------------------------------- companions in the template
def _with_rollout(made: FunctionDraft, replay: str) -> FunctionDraft:
    """`made` in the extract phase with the rollout `plan_rollout` computes for it (alarm, and a hook when
    `replay` finds an event)."""
    function = dataclasses.replace(made.plan, deployment=Deployment(replay=replay))
    plan = Plan("MonolithFunction", (function,))
    rollout = plan_rollout(
        function,
        plan,
        phase="extract",
        runtime="python3.12",
        routes=(_route("GET /orders/{order_id}", "GetOrder"),),
        events=(RecordedEvent("GetOrder", "events/GetOrder.json", {"httpMethod": "GET", "path": "/orders/o-1"}),),
    )
    return dataclasses.replace(
        made, plan=function, alarms=rollout.alarms, pre_traffic=rollout.pre_traffic, companions=rollout.companions
    )


@pytest.mark.parametrize("form", ["yaml", "json"])
def test_companions_are_added_after_their_function_and_removed_when_no_longer_drafted(
    tmp_path: Path, form: str
) -> None:
    """The alarm and hook follow their function, in YAML and in a `json.dumps` template; the result passes
    cfn-lint and the SAM transform, a re-edit is a no-op, and a draft without them removes both, giving the
    template a plain draft gives."""
    text = SAMPLE_TEMPLATE.read_text(encoding="utf-8")
    if form == "json":
        text = json.dumps(plain(decode_str(text)[0]), indent=2) + "\n"
    plain_draft = template_draft("GetOrderFunction", ("GET /orders/{order_id}",), ("GetOrder",))
    full = _with_rollout(plain_draft, "read")
    after = template_edit(tmp_path, text, "MonolithFunction", full)
    assert _errors(after) == []
    resources = transformed(after)["Resources"]
    assert resources["GetOrderFunctionErrorsAlarm"]["Type"] == "AWS::CloudWatch::Alarm"
    assert resources["GetOrderFunctionPreTrafficHook"]["Type"] == "AWS::Lambda::Function"
    names = list(decode_str(after)[0]["Resources"])
    position = names.index("GetOrderFunction")
    assert names[position + 1 : position + 3] == ["GetOrderFunctionErrorsAlarm", "GetOrderFunctionPreTrafficHook"]
    assert template_edit(tmp_path, after, "MonolithFunction", full) == after
    without = template_edit(tmp_path, after, "MonolithFunction", plain_draft)
    assert without == template_edit(tmp_path, text, "MonolithFunction", plain_draft)


def test_a_companion_id_taken_by_a_resource_of_the_users_is_refused(tmp_path: Path) -> None:
    """A template resource already named `<Id>ErrorsAlarm` that decompose did not generate is never replaced."""
    text = SAMPLE_TEMPLATE.read_text(encoding="utf-8").replace(
        "Resources:\n", "Resources:\n  GetOrderFunctionErrorsAlarm:\n    Type: AWS::SNS::Topic\n\n", 1
    )
    made = _with_rollout(template_draft("GetOrderFunction", ("GET /orders/{order_id}",), ("GetOrder",)), "none")
    with pytest.raises(TemplateError, match="GetOrderFunctionErrorsAlarm already names a resource decompose did not"):
        template_edit(tmp_path, text, "MonolithFunction", made)
