"""The rollout of a split function: what its phase puts around it in the template (issue 9).

SAM's `DeploymentPreference` shifts traffic between two versions of **one** function, and the first deploy of a
new function has no old version to shift from: a plain split would move each route to new code all at once.
So a split function goes through two phases (the plan records each function's):

- **shim**: the new function runs the monolith's own handler and package, unchanged, with its routes' events
  and its own least-privilege role. Behaviour is the monolith's by construction; what moves is the wiring
  (the event, the role, the function). Its `AutoPublishAlias` and `DeploymentPreference` are there already,
  so that the next phase is a version change of the same alias.
- **extract**: its code switches to the generated handler and trimmed package. That is a new version of the
  same function, so CodeDeploy shifts traffic to it gradually (the plan's deployment type), rolled back
  automatically by alarms: the plan's own, or, when it names none, an `AWS::CloudWatch::Alarm` on the
  alias's `Errors` generated here (`errors_alarm`: threshold, period, evaluation periods). Optionally a
  generated PreTraffic hook replays the function's recorded events on the new version before any traffic.

Everything here is computed, nothing written: `plan_rollout` returns the companions (JSON-able resources the
template edit renders and marks `Metadata.Decompose.Of: <function>`), the resolved `Alarms` and `PreTraffic`,
and the hook's files (`decompose_hooks/<snake>/hook.py` rendered from `templates/pre_traffic_hook.py.j2`, and
`events.json`, both carrying `GENERATED_MARKER`), under the template's folder.

The hook, as CodeDeploy requires (aws/serverless-application-model: docs/safe_lambda_deployments.rst): its
`FunctionName` starts with `CodeDeployHook_` (SAM's CodeDeploy role, `AWSCodeDeployRoleForLambda`, may invoke
only those), then the function's id (40 characters at most) and the first group of the stack's UUID, so two
stacks of one template do not collide and the name stays within Lambda's 64 characters; it may invoke only the
new version (`lambda:InvokeFunction` on `!Ref <Function>.Version`) and report only to the function's own
deployment group (`codedeploy:PutLifecycleEventHookExecutionStatus`). What it replays: `replay: read` only the
events of read-only routes (GET, HEAD, OPTIONS: a PreTraffic hook runs against the deployed stack's real
tables and buckets); `replay: all` every event of the function's routes, writes included. An event is matched
to its route by `loading.events.route_of`. A hook with nothing to replay is not generated (a finding says so).
The hook ignores the template's `Globals` (`IgnoreGlobals: "*"`): a global `AutoPublishAlias` or
`DeploymentPreference` would give the hook a deployment of its own, a global `VpcConfig` could cut it off from
the CodeDeploy API (the deployment would then wait an hour before failing), and it needs no layer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath
from typing import Any

import jinja2

from decompose.domain.model import Finding, Location, Route, Severity
from decompose.domain.plan import (
    ERRORS_ALARM_SUFFIX,
    EXTRACT,
    GENERATED_MARKER,
    HOOK_SUFFIX,
    READ_ONLY_METHODS,
    Companion,
    FunctionPlan,
    Plan,
)
from decompose.generation.handlers import docstring_lines, docstring_text
from decompose.generation.rendering import environment
from decompose.loading.events import RecordedEvent, route_of
from decompose.planning.ids import snake

HOOKS_DIR = "decompose_hooks"
HOOK_TEMPLATE = "pre_traffic_hook.py.j2"
HOOK_PREFIX = "CodeDeployHook"  # AWSCodeDeployRoleForLambda may invoke only functions named CodeDeployHook_*
HOOK_ID_LIMIT = 40  # CodeDeployHook_ (15) + id (40) + _ (1) + 8 hex of the stack's UUID = 64, Lambda's maximum
HOOK_TIMEOUT = 300  # seconds: the replay invokes the new version once per event, one after the other
HOOK_MEMORY = 256


@dataclass(frozen=True)
class Rollout:
    """What one function's phase puts around it: the resources generated beside it, its `DeploymentPreference`
    alarms and PreTraffic hook (resolved), the hook's files (relative to the project root) and findings."""

    companions: tuple[Companion, ...] = ()
    alarms: tuple[str, ...] = ()
    pre_traffic: str | None = None
    files: tuple[tuple[str, str], ...] = ()
    findings: tuple[Finding, ...] = ()


def plan_rollout(
    function: FunctionPlan,
    plan: Plan,
    *,
    phase: str,
    runtime: str,
    routes: Sequence[Route],
    events: Sequence[RecordedEvent],
    template_dir: str = "",
) -> Rollout:
    """The rollout of `function` (split from `plan.monolith`) in `phase`.

    `routes` are the monolith's routes (every one, so an event goes to its most specific route), `events`
    the project's recorded events, `runtime` the function's, `template_dir` the template's folder relative to
    the project root (the hook's `CodeUri` is relative to it).
    """
    deployment = function.deployment
    alarms, hook = deployment.alarms, deployment.pre_traffic
    if phase != EXTRACT:
        return Rollout(alarms=alarms, pre_traffic=hook)
    companions: list[Companion] = []
    files: list[tuple[str, str]] = []
    findings: list[Finding] = []
    if not alarms:
        alarm = errors_alarm(function, plan.monolith)
        companions.append(alarm)
        alarms = (alarm.logical_id,)
    if deployment.replay != "none" and hook is None:
        cases = replay_cases(function, routes, events)
        if cases:
            companion, hook_files = pre_traffic_hook(function, plan.monolith, runtime, cases, template_dir)
            companions.append(companion)
            files.extend(hook_files)
            hook = companion.logical_id
        else:
            which = "read-only routes (GET, HEAD, OPTIONS)" if deployment.replay == "read" else "routes"
            message = (
                f"{function.logical_id}: replay: {deployment.replay}, but events/ records no event of its {which}: "
                "no PreTraffic hook is generated"
            )
            where = Location(plan.path or "decompose.yaml", function.line_of("deployment.replay"))
            findings.append(Finding("replay-without-events", Severity.WARNING, message, where))
    return Rollout(tuple(companions), alarms, hook, tuple(files), tuple(findings))


def errors_alarm(function: FunctionPlan, monolith: str) -> Companion:
    """An alarm on the `Errors` of the function's alias: CodeDeploy rolls a deployment back when it fires."""
    logical_id = function.logical_id
    alias = function.deployment.alias
    settings = function.deployment.errors_alarm
    threshold = int(settings.threshold) if float(settings.threshold).is_integer() else settings.threshold
    resource = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": (
                f"{logical_id} (alias {alias}): more than {threshold} error(s) in {settings.evaluation_periods} "
                f"period(s) of {settings.period} s; CodeDeploy rolls its deployment back (generated by decompose, "
                f"split from {monolith})"
            ),
            "Namespace": "AWS/Lambda",
            "MetricName": "Errors",
            "Dimensions": [
                {"Name": "FunctionName", "Value": {"Ref": logical_id}},
                {"Name": "Resource", "Value": {"Fn::Sub": f"${{{logical_id}}}:{alias}"}},
            ],
            "Statistic": "Sum",
            "Period": settings.period,
            "EvaluationPeriods": settings.evaluation_periods,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
        },
    }
    return Companion(logical_id + ERRORS_ALARM_SUFFIX, resource, f"the errors alarm of {logical_id}")


@dataclass(frozen=True)
class ReplayCase:
    """One recorded event the hook replays: its file, its route, whether it is HTTP, the recorded status."""

    source: str
    route: str
    http: bool
    status: int | None
    event: Any


def replay_cases(function: FunctionPlan, routes: Sequence[Route], events: Sequence[RecordedEvent]) -> list[ReplayCase]:
    """The recorded events of `function`'s routes its `replay` mode allows, in file order."""
    mine = set(function.routes)
    cases = []
    for event in events:
        route = route_of(event, routes)
        if route is None or route.id not in mine:
            continue
        http = route.trigger.is_http
        if function.deployment.replay == "read" and (not http or _method(event.payload) not in READ_ONLY_METHODS):
            continue
        cases.append(ReplayCase(event.path, route.id, http, event.status, event.payload))
    return cases


def _method(payload: Mapping[str, Any]) -> str | None:
    method = payload.get("httpMethod")
    if not isinstance(method, str):
        context = payload.get("requestContext")
        http = context.get("http") if isinstance(context, Mapping) else None
        method = http.get("method") if isinstance(http, Mapping) else None
    return method.upper() if isinstance(method, str) else None


def pre_traffic_hook(
    function: FunctionPlan, monolith: str, runtime: str, cases: Sequence[ReplayCase], template_dir: str = ""
) -> tuple[Companion, tuple[tuple[str, str], ...]]:
    """The hook function resource and its two files (paths relative to the project root)."""
    logical_id = function.logical_id
    folder = f"{HOOKS_DIR}/{snake(logical_id)}"
    code = _render_hook(function)
    data = {
        "generated": f"{GENERATED_MARKER} from events/: what the PreTraffic hook of {logical_id} replays "
        "(re-run `decompose apply`, do not edit)",
        "function": logical_id,
        "replay": function.deployment.replay,
        "events": [
            {"source": c.source, "route": c.route, "http": c.http, "status": c.status, "event": c.event} for c in cases
        ],
    }
    version = {"Ref": f"{logical_id}.Version"}
    group = f"${{{logical_id}DeploymentGroup}}"
    resource = {
        "Type": "AWS::Serverless::Function",
        "IgnoreGlobals": "*",  # no alias or deployment of its own, no VPC that cannot reach CodeDeploy, no layers
        "Properties": {
            "Description": f"CodeDeploy PreTraffic hook of {logical_id}: replays its recorded events (decompose)",
            "FunctionName": hook_function_name(logical_id),
            "CodeUri": f"{folder}/",
            "Handler": "hook.lambda_handler",
            "Runtime": runtime,
            "Timeout": HOOK_TIMEOUT,
            "MemorySize": HOOK_MEMORY,
            "Environment": {"Variables": {"TARGET_VERSION": version}},
            "Policies": [
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": version},
                        {
                            "Effect": "Allow",
                            "Action": ["codedeploy:PutLifecycleEventHookExecutionStatus"],
                            "Resource": {
                                "Fn::Sub": "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:"
                                f"deploymentgroup:${{ServerlessDeploymentApplication}}/{group}"
                            },
                        },
                    ],
                }
            ],
        },
    }
    base = PurePosixPath(template_dir) if template_dir not in ("", ".") else PurePosixPath()
    files = (
        ((base / folder / "hook.py").as_posix(), code),
        ((base / folder / "events.json").as_posix(), json.dumps(data, indent=2, ensure_ascii=False) + "\n"),
    )
    summary = f"the PreTraffic hook of {logical_id}: replays {len(cases)} recorded event(s)"
    return Companion(logical_id + HOOK_SUFFIX, resource, summary), files


def hook_function_name(logical_id: str) -> dict[str, Any]:
    """`CodeDeployHook_<id>_<first group of the stack's UUID>`, at most 64 characters."""
    short = logical_id
    if len(short) > HOOK_ID_LIMIT:
        digest = hashlib.sha256(logical_id.encode()).hexdigest()[:7]
        short = logical_id[: HOOK_ID_LIMIT - 7] + digest
    stack_uuid = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}  # arn:...:stack/<name>/<uuid>
    first_group = {"Fn::Select": [0, {"Fn::Split": ["-", stack_uuid]}]}
    return {"Fn::Sub": [f"{HOOK_PREFIX}_{short}_${{StackUuid}}", {"StackUuid": first_group}]}


@cache
def _hook_template() -> jinja2.Template:
    env = environment().overlay()
    env.filters = {**env.filters, "doc": docstring_text, "doclines": docstring_lines}  # the overlay's own
    return env.get_template(HOOK_TEMPLATE)


def _render_hook(function: FunctionPlan) -> str:
    return _hook_template().render(
        marker=GENERATED_MARKER,
        logical_id=function.logical_id,
        alias=function.deployment.alias,
        routes=function.routes,
    )
