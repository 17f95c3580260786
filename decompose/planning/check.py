"""Validate a plan against the project as it is now: every problem at once, each with its plan-file line.

`check_plan` is what `decompose plan --check` prints and what `decompose apply` refuses to go past. It
checks the plan's own consistency (ids valid and unique, a route in one function only, modules that are
Python names, deployment types CodeDeploy knows), and the plan against the fresh analysis and template:
every route still exists in the monolith, no id collides with a resource or parameter of the template (or
with one SAM would derive: `<Id>Role`...), alarms and hooks name resources that exist, and a function to
extract has template events to take over. A function decompose itself added to the template earlier is
not a collision: that is the plan being applied again.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from decompose.domain.model import AnalysisReport, FunctionAnalysis, Location, Route
from decompose.domain.plan import COMPANION_SUFFIXES, DEPLOYMENT_TYPES, Deployment, FunctionPlan, Plan, PlanProblem
from decompose.generation.template import MARKER_KEY
from decompose.loading.template import LoadedTemplate
from decompose.planning.build import FRAMEWORKS
from decompose.planning.ids import SAM_DERIVED, default_modules, invalid_logical_id, invalid_module

EXTRACTED_RULE = "route-extracted"  # analysis finding: a route the monolith still has, served by another function
_ALIAS = re.compile(r"^[A-Za-z0-9]+$")  # SAM puts the alias into the logical id `<Id>Alias<alias>`


def check_plan(plan: Plan, report: AnalysisReport, template: LoadedTemplate | None) -> list[PlanProblem]:
    """Every problem of `plan` for the project `report` and `template` describe, in plan-file order."""
    path = plan.path or "decompose.yaml"
    problems: list[PlanProblem] = list(plan.problems)

    def problem(message: str, line: int | None) -> None:
        problems.append(PlanProblem(message, Location(path, line)))

    resources: Mapping[str, Any] = template.resources if template else {}
    parameters = set(template.parameters) if template else set()
    monolith = next((f for f in report.functions if f.spec.logical_id == plan.monolith), None)
    if plan.monolith and monolith is None:
        known = ", ".join(sorted(str(f.spec.logical_id) for f in report.functions)) or "none"
        problem(
            f"monolith {plan.monolith!r} is not a Python function of the template (functions: {known})",
            plan.line_of("monolith"),
        )
    _check_deployment(plan.deployment, resources, problem, lambda key: plan.line_of("deployment"))
    served_elsewhere = {f.route: f.message for f in report.findings if f.rule == EXTRACTED_RULE and f.route}
    seen_ids: dict[str, int | None] = {}
    seen_routes: dict[str, tuple[str, int | None]] = {}
    seen_modules: dict[str, str] = {}
    for function in plan.functions:
        _check_function(function, plan, problem)
        logical_id = function.logical_id
        if logical_id:
            if logical_id in seen_ids:
                problem(
                    f"duplicate logical id {logical_id}: also the function at line {seen_ids[logical_id]}",
                    function.line_of("logical_id"),
                )
            seen_ids.setdefault(logical_id, function.line)
            clash = _collision(function, resources, parameters, plan.deployment.alias, plan.monolith)
            if clash:
                problem(clash, function.line_of("logical_id"))
        module, handler = _modules(function)
        for key, name in (("module", module), ("handler", handler)):
            if name in seen_modules and seen_modules[name] != logical_id:
                problem(f"{key} {name} is also used by {seen_modules[name]}", function.line_of(key))
            seen_modules.setdefault(name, logical_id)
        for index, route in enumerate(function.routes):
            line = function.line_of(f"routes.{index}")
            if route in seen_routes:
                other, other_line = seen_routes[route]
                problem(f"route {route!r} is in two functions: {other} (line {other_line}) and {logical_id}", line)
                continue
            seen_routes[route] = (logical_id, line)
            if monolith is not None:
                _check_route(route, function, monolith, served_elsewhere, line, problem)
        if function.deployment != plan.deployment:
            _check_deployment(
                function.deployment, resources, problem, lambda key, f=function: f.line_of(f"deployment.{key}")
            )
    return sorted(problems, key=lambda p: (p.location.line or 0) if p.location else 0)


def _check_function(function: FunctionPlan, plan: Plan, problem: Any) -> None:
    if function.logical_id:
        reason = invalid_logical_id(function.logical_id)
        if reason:
            problem(reason, function.line_of("logical_id"))
    if not function.routes:
        problem(f"{function.logical_id or 'function'} has no routes", function.line_of("routes"))
    module, handler = _modules(function)
    for key, name in (("module", module), ("handler", handler)):
        reason = invalid_module(name)
        if reason:
            problem(f"{key}: {reason}", function.line_of(key))
    if module == handler:
        problem(f"module and handler must differ (both {module})", function.line_of("handler"))


def _check_route(  # noqa: PLR0917 - one private call site
    route: str,
    function: FunctionPlan,
    monolith: FunctionAnalysis,
    served_elsewhere: Mapping[str, str],
    line: int | None,
    problem: Any,
) -> None:
    routes = {r.id: r for r in monolith.routes}
    found = routes.get(route)
    if found is None:
        close = difflib.get_close_matches(route, sorted(routes), n=2)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        problem(f"route {route!r} no longer exists in {monolith.spec.logical_id}{hint}", line)
        return
    if route in served_elsewhere:
        owner = served_elsewhere[route].removeprefix("served by ").split()[0]
        # a namesake route of another function "served by" the monolith itself is not served elsewhere
        if owner not in (function.logical_id, monolith.spec.logical_id):
            problem(f"route {route!r} is already served by {owner}, not by {function.logical_id}", line)
        return
    if function.extract and found.trigger.event is None:
        problem(f"route {route!r} has no event in the template: nothing would route it to {function.logical_id}", line)
    elif function.extract and found.dispatch in FRAMEWORKS:
        _check_framework_route(found, function, monolith, line, problem)


def _check_framework_route(
    found: Route, function: FunctionPlan, monolith: FunctionAnalysis, line: int | None, problem: Any
) -> None:
    """What a framework app's split cannot do safely: one view registered for routes of two functions (the
    new function's app would register all of them), a Chalice route behind a catch-all event."""
    framework = FRAMEWORKS[found.dispatch]
    where = str(found.location)
    others = sorted(
        r.id
        for r in monolith.routes
        if r.entry == found.entry and r.dispatch == found.dispatch and r.id not in function.routes
    )
    if others:
        problem(
            f"route {found.id!r} is served by the same {framework} view as {others[0]!r} ({found.entry} at "
            f"{where}): the new function's app would register both; put them in one function",
            line,
        )
    event = next((e for e in monolith.spec.events if e.name == found.trigger.event), None)
    if found.dispatch == "chalice" and event is not None and event.path != found.trigger.path:
        problem(
            f"route {found.id!r} reaches the Chalice app ({where}) only through the catch-all event {event.name} "
            f"(template line {event.line}): Chalice dispatches on requestContext.resourcePath, so the monolith answers "
            "it 405 and a function of its own would answer differently; give the route its own event first",
            line,
        )


def _check_deployment(deployment: Deployment, resources: Mapping[str, Any], problem: Any, line_of: Any) -> None:
    if deployment.type not in DEPLOYMENT_TYPES:
        close = difflib.get_close_matches(deployment.type, sorted(DEPLOYMENT_TYPES), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (one of {', '.join(sorted(DEPLOYMENT_TYPES))})"
        problem(f"unknown deployment type {deployment.type!r}{hint}", line_of("type"))
    if not _ALIAS.match(deployment.alias):
        problem(f"deployment alias {deployment.alias!r} must be letters and digits only", line_of("alias"))
    for alarm in deployment.alarms:
        if _type_of(resources, alarm) != "AWS::CloudWatch::Alarm":
            problem(f"alarm {alarm!r} is not an AWS::CloudWatch::Alarm of the template", line_of("alarms"))
    hook = deployment.pre_traffic
    if hook is not None and _type_of(resources, hook) not in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
        problem(f"pre_traffic hook {hook!r} is not a function of the template", line_of("pre_traffic"))
    if hook is not None and deployment.replay != "none":
        problem(
            f"deployment has both pre_traffic {hook!r} and replay: {deployment.replay}; CodeDeploy runs one PreTraffic "
            "hook (set replay: none, or drop pre_traffic)",
            line_of("replay"),
        )


def _collision(
    function: FunctionPlan, resources: Mapping[str, Any], parameters: set[str], alias: str, monolith: str
) -> str | None:
    logical_id = function.logical_id
    if logical_id in parameters:
        return f"logical id {logical_id} is already a parameter of the template"
    if logical_id in resources and not _is_ours(resources[logical_id], monolith):
        kind = _type_of(resources, logical_id) or "resource"
        return f"logical id {logical_id} is already a {kind} of the template"
    for derived in [logical_id + s for s in SAM_DERIVED] + [f"{logical_id}Alias{function.deployment.alias or alias}"]:
        if derived in resources or derived in parameters:
            return f"SAM derives {derived} from logical id {logical_id}, and the template already has {derived}"
    for derived in (logical_id + s for s in COMPANION_SUFFIXES):
        if derived in parameters or (derived in resources and not _is_companion(resources[derived], logical_id)):
            return (
                f"decompose names {derived} after logical id {logical_id} (its generated alarm or hook), and the "
                f"template already has {derived}"
            )
    return None


def _is_companion(resource: Any, logical_id: str) -> bool:
    """A resource decompose generated beside the function `logical_id` (`Metadata.Decompose.Of`)."""
    marker = (resource.get("Metadata") or {}).get(MARKER_KEY) if isinstance(resource, Mapping) else None
    return isinstance(marker, Mapping) and marker.get("Of") == logical_id


def _is_ours(resource: Any, monolith: str) -> bool:
    """A function decompose split from this monolith on an earlier apply (`Metadata.Decompose.SplitFrom`)."""
    if not isinstance(resource, Mapping) or resource.get("Type") != "AWS::Serverless::Function":
        return False
    marker = (resource.get("Metadata") or {}).get(MARKER_KEY)
    return isinstance(marker, Mapping) and marker.get("SplitFrom") == monolith


def _modules(function: FunctionPlan) -> tuple[str, str]:
    module, handler = default_modules(function.logical_id or "Function")
    return function.module or module, function.handler or handler


def _type_of(resources: Mapping[str, Any], logical_id: str) -> str | None:
    resource = resources.get(logical_id)
    return resource.get("Type") if isinstance(resource, Mapping) else None
