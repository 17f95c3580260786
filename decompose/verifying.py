"""The `verify` use case: prove that each extracted function behaves like the monolith did, before deploying.

    verify  the project (after `apply`) -> the functions its template says decompose split off the monolith
            -> the baseline: the monolith before the split, from git (`verification.baseline`)
            -> the world: moto state from the template's resources and the seed (`verification.world`)
            -> the events: the project's own, routed to the extracted routes, and one synthesized per route
               (`verification.events`)
            -> each function's package as `sam build` makes it, and the baseline monolith's from its own build
               (`verification.packaging`), the function's policy rendered to concrete ARNs
               (`verification.policy`)
            -> one fresh interpreter for the monolith and one per function, every event in a fresh world
               (`verification.runner`), the function's run again under moto's access control with only its
               policy
            -> per event: normalised comparison (`verification.compare`), every recorded call evaluated
               against the policy -> a verdict per route (`domain.verification`)

Nothing here writes the user's tree or prints: the result is a value the CLI renders, and every temporary
file lives in a folder deleted at the end.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from decompose.analysis.codebase import load_codebase
from decompose.analysis.inputs import InputShape, read_input_shape
from decompose.domain.model import FunctionAnalysis, FunctionSpec
from decompose.domain.verification import (
    DeniedCall,
    Difference,
    EventUse,
    PackageView,
    PolicyVerdict,
    RouteVerdict,
    Status,
    VerifyResult,
)
from decompose.errors import UsageError
from decompose.iam.arns import UnrenderableError
from decompose.loading.template import LoadedTemplate, load_template
from decompose.pipeline import analyze
from decompose.planning.plan_file import read_plan_text
from decompose.splitting import Project
from decompose.verification.baseline import find_baseline
from decompose.verification.compare import differences
from decompose.verification.events import Event, Target, project_events, synthesized
from decompose.verification.packaging import MaterialisedPackage, PackageUnavailableError, materialise
from decompose.verification.policy import Policy, RecordedCall, rendered_policy
from decompose.verification.processes import run_jobs
from decompose.verification.world import ACCOUNT, REGION, Names, find_seed, read_seed, stack_name, world_spec

START = "2024-01-01T00:00:00+00:00"  # the world's clock at the start of every event, in both runs
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    """No progress display."""


@dataclass
class _Function:
    """One extracted function under verification, and what is known about it so far."""

    logical_id: str
    spec: FunctionSpec
    analysis: FunctionAnalysis
    build_method: str | None
    policy: Policy | None = None
    package: Any = None
    problem: str | None = None  # why its routes are not verifiable


def verify(
    path: Path,
    *,
    plan_file: Path | None = None,
    events: Path | None = None,
    baseline: str | None = None,
    progress: Progress = _quiet,
) -> VerifyResult:
    """Run every extracted route's events through the monolith and through its new function; compare."""
    began = time.monotonic()
    project = Project.at(path)
    root = project.root
    template = load_template(root, project.template)
    monolith_id, function_ids, notes = _chosen(project, template, plan_file)
    progress("analyzing the split functions")
    report = analyze(project.template, iam=False)
    analyses = {f.spec.logical_id: f for f in report.functions}
    functions = [_function(fid, analyses, template) for fid in function_ids if fid in analyses]
    notes += [
        f"{fid}: the template declares it but decompose cannot analyze it"
        for fid in function_ids
        if fid not in analyses
    ]
    if not functions:
        raise UsageError(f"{template.path}: none of the split functions can be analyzed")
    names = _names(root, template, project.template)
    spec, created, not_created = world_spec(names)
    physical = {r["id"]: r["name"] for r in spec["resources"]}
    events_dir = events if events is not None else (root / "events" if (root / "events").is_dir() else None)
    if events is not None and not events.is_dir():
        raise UsageError(f"--events {events}: no such folder")
    seed_path = find_seed(events_dir)
    seed = (
        read_seed(seed_path, names, spec, root)
        if seed_path
        else {"items": [], "objects": [], "parameters": [], "secrets": []}
    )
    targets = [t for f in functions for t in _targets(f, root)]
    notes += [f"{t.route.id}: {u}" for t in targets for u in (t.shape.unfollowed if t.shape else ())]
    shown = project.display(events_dir) if events_dir else ""
    found, event_notes = project_events(events_dir, targets, physical, shown) if events_dir else ([], [])
    notes += event_notes
    made = [e for t in targets if (e := synthesized(t, physical, seed)) is not None]
    notes += [
        f"{t.route.id}: no event is synthesized for a {t.route.trigger.type} trigger"
        for t in targets
        if all(e.route != t.route.id for e in made)
    ]
    all_events = found + made
    with tempfile.TemporaryDirectory(prefix="decompose-verify-") as scratch:
        folder = Path(scratch)
        progress("finding the baseline")
        base = find_baseline(root, template.path, [f.logical_id for f in functions], baseline, folder / "baseline")
        if base.note:
            notes.append(base.note)
        monolith_spec, monolith_build = _baseline_monolith(base.root, project.template.relative_to(root), monolith_id)
        progress("packaging the monolith and the functions")
        monolith = _monolith_package(base.root, monolith_spec, monolith_build, folder)
        for function in functions:
            _prepare(function, root, names, folder / "packages" / function.logical_id)
        runnable = [f for f in functions if f.problem is None]
        jobs = []
        if isinstance(monolith, MaterialisedPackage):
            jobs.append(_monolith_job(monolith, monolith_spec, names, spec, seed, template, root, all_events, notes))
            for function in runnable:
                mine = [e for e in all_events if e.function == function.logical_id]
                jobs.append(_function_job(function, names, spec, seed, template, root, mine))
            progress(f"running {len(all_events)} event(s) through the monolith and {len(runnable)} function(s)")
        results = run_jobs(jobs, folder / "runs") if jobs else []
    monolith_run, by_function = _outcomes(monolith, results, runnable)
    verdicts = [
        _verdict(target, [e for e in all_events if e.route == target.route.id and e.function == target.function],
                 monolith_run, by_function.get(target.function), _by_id(functions, target.function))
        for target in targets
    ]  # fmt: skip
    notes += [f"{f.logical_id}'s policy: {p}" for f in functions if f.policy is not None for p in f.policy.problems]
    return VerifyResult(
        template=template.path,
        monolith=monolith_id,
        baseline=base.label,
        routes=tuple(verdicts),
        packages=_package_views(monolith_id, monolith, functions),
        created=tuple(created),
        not_created=tuple(not_created),
        notes=tuple(dict.fromkeys(notes)),
        seconds=round(time.monotonic() - began, 2),
    )


def _outcomes(
    monolith: MaterialisedPackage | str, results: Sequence[Mapping[str, Any]], runnable: Sequence[_Function]
) -> tuple[Mapping[str, Any], dict[str, Mapping[str, Any]]]:
    """The monolith's run (a failure when its package cannot be made: nothing ran) and each function's."""
    if isinstance(monolith, str):
        return {"failure": f"its package cannot be made: {monolith}"}, {}
    by_function = {f.logical_id: r for f, r in zip(runnable, results[1:], strict=True)}
    return {**results[0], "package": monolith.source}, by_function


def _package_views(
    monolith_id: str, monolith: MaterialisedPackage | str, functions: Sequence[_Function]
) -> tuple[PackageView, ...]:
    """What each variant ran with: the baseline monolith's build first, then each function's package."""
    built = [(monolith_id, monolith)] if isinstance(monolith, MaterialisedPackage) else []
    return tuple(
        PackageView(name, package.files, package.distributions, package.source)
        for name, package in [*built, *((f.logical_id, f.package) for f in functions)]
        if package is not None
    )


# ------------------------------------------------------------------------------------------- what to verify
def _chosen(project: Project, template: LoadedTemplate, plan_file: Path | None) -> tuple[str, list[str], list[str]]:
    """(monolith, the split functions to verify, notes), from the template's Decompose metadata and the plan."""
    split: dict[str, str] = {}
    for logical_id, resource in template.resources.items():
        metadata = resource.get("Metadata") if isinstance(resource, Mapping) else None
        decompose = metadata.get("Decompose") if isinstance(metadata, Mapping) else None
        if isinstance(decompose, Mapping) and isinstance(decompose.get("SplitFrom"), str):
            split[str(logical_id)] = str(decompose["SplitFrom"])
    notes: list[str] = []
    plan_path = project.plan_path(plan_file)
    if plan_path.is_file():
        plan = read_plan_text(plan_path.read_text(encoding="utf-8"), project.display(plan_path))
        monolith = plan.monolith
        wanted = [f.logical_id for f in plan.extracted]
        notes += [
            f"{f}: marked for extraction in the plan but not applied yet (run `decompose apply`)"
            for f in wanted
            if f not in split
        ]
        functions = [f for f in wanted if split.get(f) == monolith]
    elif plan_file is not None:
        raise UsageError(f"--plan {plan_file}: no such file")
    else:
        monoliths = sorted(set(split.values()))
        if len(monoliths) > 1:
            raise UsageError(
                f"{template.path} holds functions split from {', '.join(monoliths)}: name the plan with --plan"
            )
        monolith = monoliths[0] if monoliths else ""
        functions = sorted(split)
    if not functions:
        raise UsageError(
            f"{template.path}: no function split by decompose (Metadata.Decompose.SplitFrom): "
            "run `decompose apply` first"
        )
    return monolith, functions, notes


def _function(logical_id: str, analyses: Mapping[str | None, FunctionAnalysis], template: LoadedTemplate) -> _Function:
    analysis = analyses[logical_id]
    return _Function(logical_id, analysis.spec, analysis, _build_method(template.resources[logical_id]))


def _by_id(functions: Sequence[_Function], logical_id: str) -> _Function:
    return next(f for f in functions if f.logical_id == logical_id)


def _targets(function: _Function, root: Path) -> list[Target]:
    """The function's routes to verify, each HTTP route with the input shape its code reads."""
    http = [r for r in function.analysis.routes if r.trigger.is_http]
    graph = load_codebase(root / function.spec.code_uri, root).graph if http else None
    shapes = {r.id: read_input_shape(graph, function.spec.handler, r) for r in http} if graph else {}
    return [_target(function, route, shapes.get(route.id)) for route in function.analysis.routes]


def _target(function: _Function, route: Any, shape: InputShape | None) -> Target:
    event = next((e for e in function.spec.events if e.name == route.trigger.event), None)
    catch_all = event is None or event.is_catch_all
    if event is None or (route.trigger.is_http and event.path != route.trigger.path):
        catch_all = True
    return Target(function.logical_id, route, event, catch_all=catch_all and route.trigger.is_http, shape=shape)


def _names(root: Path, template: LoadedTemplate, template_path: Path) -> Names:
    from cfnlint.decode import decode  # noqa: PLC0415 - the parameters' defaults (LoadedTemplate keeps ids only)

    decoded, _ = decode(str(template_path))
    parameters = {}
    for name, parameter in ((decoded or {}).get("Parameters") or {}).items():
        default = parameter.get("Default") if isinstance(parameter, Mapping) else None
        parameters[str(name)] = str(default) if default is not None else str(name)
    return Names(stack_name(root), template.resources, parameters)


def _baseline_monolith(root: Path, template_rel: Path, monolith_id: str) -> tuple[FunctionSpec, str | None]:
    """The baseline's monolith and its BuildMethod."""
    loaded = load_template(root, root / template_rel)
    spec = next((f for f in loaded.functions if f.logical_id == monolith_id), None)
    if spec is None:
        raise UsageError(f"the baseline's {template_rel.as_posix()} has no function {monolith_id}")
    return spec, _build_method(loaded.resources.get(monolith_id))


def _build_method(resource: object) -> str | None:
    metadata = resource.get("Metadata") if isinstance(resource, Mapping) else None
    build = metadata.get("BuildMethod") if isinstance(metadata, Mapping) else None
    return str(build) if build else None


def _monolith_package(
    base_root: Path, spec: FunctionSpec, build_method: str | None, folder: Path
) -> MaterialisedPackage | str:
    """The baseline monolith's package, built as `sam build` builds it (its CodeUri and what its own
    requirements file installs), or why it cannot be made."""
    layers = [base_root / layer for layer in spec.layers]
    try:
        return materialise(
            base_root / spec.code_uri, spec.logical_id or "", build_method, folder / "monolith-package", layers
        )
    except PackageUnavailableError as error:
        return str(error)


def _prepare(function: _Function, root: Path, names: Names, destination: Path) -> None:
    try:
        function.policy = rendered_policy(function.spec.policies, names.render)
    except (UnrenderableError, ValueError, KeyError) as error:
        function.problem = f"its policy cannot be rendered: {error}"
        return
    try:
        layers = [root / layer for layer in function.spec.layers]
        function.package = materialise(
            root / function.spec.code_uri, function.logical_id, function.build_method, destination, layers
        )
    except PackageUnavailableError as error:
        function.problem = f"its package cannot be made: {error}"


# ------------------------------------------------------------------------------------------- the jobs
def _identity(names: Names, logical_id: str) -> dict[str, str]:
    name = names.name(logical_id)
    return {"name": name, "arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"}


def _in_stack(template: LoadedTemplate, names: Names, root: Path, skip: set[str]) -> list[dict[str, Any]]:
    """The template's other Python functions, which a synchronous invoke runs in-process."""
    out = []
    for spec in template.functions:
        if spec.logical_id in skip or spec.logical_id is None:
            continue
        code_root = (root / spec.code_uri).resolve()
        if not code_root.is_dir():
            continue
        environment, _ = names.environment(spec.environment)
        identity = _identity(names, spec.logical_id)
        out.append({"names": [identity["name"], identity["arn"]], "code_root": str(code_root),
                    "handler": spec.handler, "environment": environment})  # fmt: skip
    return out


def _job(  # noqa: PLR0917 - one shape for both variants
    code_root: Path,
    handler: str,
    environment: dict[str, str],
    identity: dict[str, str],
    spec: Mapping[str, Any],
    seed: Mapping[str, Any],
    functions: list[dict[str, Any]],
    events: Sequence[Event],
) -> dict[str, Any]:
    return {
        "code_root": str(code_root.resolve()),
        "handler": handler,
        "environment": environment,
        "identity": identity,
        "world": dict(spec),
        "seed": dict(seed),
        "functions": functions,
        "events": [{"name": _key(e), "payload": dict(e.payload)} for e in events],
        "start": START,
        "guard": None,
        "policy": None,
    }


def _key(event: Event) -> str:
    return f"{event.function}|{event.route}|{event.name}"


def _monolith_job(  # noqa: PLR0917 - one private call site
    package: MaterialisedPackage,
    spec_: FunctionSpec,
    names: Names,
    spec: Mapping[str, Any],
    seed: Mapping[str, Any],
    template: LoadedTemplate,
    root: Path,
    events: Sequence[Event],
    notes: list[str],
) -> dict[str, Any]:
    environment, problems = names.environment(spec_.environment)
    notes += [f"{spec_.logical_id}: {p}" for p in problems]
    functions = _in_stack(template, names, root, {spec_.logical_id or ""} | _split_ids(template))
    job = _job(package.folder, spec_.handler, environment, _identity(names, spec_.logical_id or ""),
               spec, seed, functions, events)  # fmt: skip
    job["guard"] = {"allowed": list(package.allowed)}  # its own build, like every function's
    return job


def _split_ids(template: LoadedTemplate) -> set[str]:
    out = set()
    for logical_id, resource in template.resources.items():
        metadata = resource.get("Metadata") if isinstance(resource, Mapping) else None
        if isinstance(metadata, Mapping) and isinstance(metadata.get("Decompose"), Mapping):
            out.add(str(logical_id))
    return out


def _split_from(resource: Mapping[str, Any]) -> str | None:
    metadata = resource.get("Metadata")
    decompose = metadata.get("Decompose") if isinstance(metadata, Mapping) else None
    return str(decompose["SplitFrom"]) if isinstance(decompose, Mapping) and decompose.get("SplitFrom") else None


def _function_job(  # noqa: PLR0917 - one private call site
    function: _Function,
    names: Names,
    spec: Mapping[str, Any],
    seed: Mapping[str, Any],
    template: LoadedTemplate,
    root: Path,
    events: Sequence[Event],
) -> dict[str, Any]:
    environment, _ = names.environment(function.spec.environment)
    monolith = {str(v) for r in template.resources.values() if isinstance(r, Mapping) for v in [_split_from(r)] if v}
    functions = _in_stack(template, names, root, _split_ids(template) | monolith)
    job = _job(function.package.folder, function.spec.handler, environment, _identity(names, function.logical_id),
               spec, seed, functions, events)  # fmt: skip
    job["guard"] = {"allowed": list(function.package.allowed)}  # a shim's, the monolith's own build's, too
    job["policy"] = function.policy.moto_view() if function.policy is not None else None
    return job


# ------------------------------------------------------------------------------------------- verdicts
def _verdict(
    target: Target,
    events: Sequence[Event],
    monolith_run: Mapping[str, Any],
    function_run: Mapping[str, Any] | None,
    function: _Function,
) -> RouteVerdict:
    used = tuple(EventUse(e.name, e.origin, e.file, e.input) for e in events)
    base = {"function": target.function, "route": target.route.id, "events": used}
    if function.problem is not None:
        return RouteVerdict(
            **base, status=Status.NOT_VERIFIABLE, policy=PolicyVerdict.NOT_CHECKED, reason=function.problem
        )
    if not events:
        reason = "no event reaches it: add one to the events folder"
        return RouteVerdict(**base, status=Status.NOT_VERIFIABLE, policy=PolicyVerdict.NOT_CHECKED, reason=reason)
    for run, who in ((monolith_run, "the monolith's runner"), (function_run or {}, f"{target.function}'s runner")):
        if run.get("failure"):
            return RouteVerdict(**base, status=Status.NOT_VERIFIABLE, policy=PolicyVerdict.NOT_CHECKED,
                                reason=f"{who} failed: {run['failure']}")  # fmt: skip
    old = {e["name"]: e for e in monolith_run.get("events", [])}
    new = {e["name"]: e for e in (function_run or {}).get("events", [])}
    found: list[Difference] = []
    denied: dict[tuple[str, str], DeniedCall] = {}
    checked = False
    for event in events:
        key = _key(event)
        before, after = old.get(key), new.get(key)
        if before is None or after is None:
            return RouteVerdict(**base, status=Status.NOT_VERIFIABLE, policy=PolicyVerdict.NOT_CHECKED,
                                reason=f"{event.name}: a runner returned no outcome")  # fmt: skip
        if (before["plain"].get("error") or {}).get("phase") == "import":
            error = before["plain"]["error"]
            reason = f"the monolith's handler does not import: {error['type']}: {error['message']}"
            if error["type"] == "ModuleNotFoundError":
                missing = error.get("module") or error["message"]
                reason += (f" (its package lacks {missing!r}: the monolith's own build, {monolith_run.get('package')}, "
                           "leaves it out, so it would fail in Lambda too)")  # fmt: skip
            return RouteVerdict(**base, status=Status.NOT_VERIFIABLE, policy=PolicyVerdict.NOT_CHECKED, reason=reason)
        found += differences(event.name, before["plain"], after["plain"], target.function)
        if (after["plain"].get("error") or {}).get("phase") != "import":
            checked = True
            for call in _denied_calls(event.name, after, function):
                denied.setdefault((call.action, call.resource), call)
    status = Status.DIFFERENT if found else Status.EQUIVALENT
    policy = PolicyVerdict.DENIED if denied else PolicyVerdict.ALLOWED if checked else PolicyVerdict.NOT_CHECKED
    return RouteVerdict(**base, status=status, policy=policy, differences=tuple(found), denied=tuple(denied.values()))


def _denied_calls(event: str, outcome: Mapping[str, Any], function: _Function) -> list[DeniedCall]:
    policy = function.policy
    assert policy is not None
    name = function.logical_id
    out: list[DeniedCall] = []
    for record in outcome["plain"].get("calls", []):
        if record.get("nested"):
            continue
        call = RecordedCall.from_record(record, REGION, ACCOUNT)
        try:
            needs = call.needs()
        except (KeyError, ValueError, TypeError) as error:
            out.append(
                DeniedCall(
                    event, call.name, "?", "?", "evaluator", f"{call.name}: its IAM action is not known ({error})"
                )
            )
            continue
        for action, resource in needs:
            if policy.allows(action, resource):
                continue
            covering = policy.covering(action)
            if covering:
                message = (f"{name}'s policy allows {action} only on {', '.join(covering)}, not on {resource} "
                           f"({call.name} in {event}): a resource narrowed too far")  # fmt: skip
            else:
                message = f"{name}'s policy has no statement allowing {action} ({call.name} on {resource} in {event})"
            out.append(DeniedCall(event, call.name, action, resource, "evaluator", message))
    for entry in (outcome.get("enforced") or {}).get("denied", []):
        call, _, code = entry.partition(": ")
        message = f"moto's access control refused {call} ({code}) when {name} ran with only its policy, in {event}"
        out.append(DeniedCall(event, call, call, "*", "moto", message))
    return out
