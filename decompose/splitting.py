"""The split's use cases: `plan` (write or update the plan file), `check` (validate it) and `apply`.

    plan    analyze the project -> choose the monolith -> build a fresh plan, or extend the existing plan
            file with functions for new routes (the user's edits and comments kept) -> check it -> the
            plan file as a one-file change set
    check   read the plan file -> analyze -> `planning.check_plan`: every problem at once, file:line
    apply   check (any problem stops here) -> copy the project to a workspace -> the stages, each on the
            copy: rope refactor, generated handlers, re-analysis of the new functions on the refactored
            code, packages, the template edit, validation -> the workspace's diff as one change set

Nothing here writes the user's tree or prints: each use case returns a value, the CLI shows it and hands
change sets to `changes.writer`, the one module that writes. `apply --dry-run` is the same computation
without the write.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from decompose.changes.workspace import Workspace, skipped
from decompose.domain.model import (
    AnalysisReport,
    Finding,
    FunctionAnalysis,
    FunctionSpec,
    Location,
    Severity,
    Trigger,
)
from decompose.domain.plan import (
    EXTRACT,
    PHASES,
    SHIM,
    ChangeSet,
    FileChange,
    FunctionDraft,
    FunctionPackage,
    FunctionPlan,
    GeneratedHandler,
    Plan,
    PlanProblem,
)
from decompose.errors import DecomposeError, PlanError, UsageError
from decompose.generation.handlers import generate_handlers, split_problems
from decompose.generation.packages import build_packages, shim_package
from decompose.generation.rollout import HOOKS_DIR, Rollout, plan_rollout
from decompose.generation.template import edit_template
from decompose.generation.validation import require_valid, validate_template
from decompose.iam.policy import build_policies, needs_own_grant
from decompose.loading.events import EVENTS_DIR, RecordedEvent, read_events
from decompose.loading.template import LoadedTemplate, find_template, load_template
from decompose.pipeline import analyze, analyze_specs
from decompose.planning.build import build_plan, choose_monolith, extend_plan
from decompose.planning.check import FRAMEWORKS, check_plan
from decompose.planning.ids import snake
from decompose.planning.plan_file import read_plan_text, record_phases, render_plan, update_plan_text
from decompose.refactoring import refactor
from decompose.rules import loop_guard

PLAN_FILE = "decompose.yaml"


@dataclass(frozen=True)
class Project:
    """Where a project is: its root folder and its template (relative to the root)."""

    root: Path
    template: Path

    @classmethod
    def at(cls, path: Path) -> Project:
        """The project at `path`: a SAM project folder or its template file."""
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
        if path.is_file():
            return cls(path.parent, path)
        template = find_template(path)
        if template is None and (path / ".chalice" / "config.json").is_file():
            raise UsageError(
                f"{path}: a Chalice project deployed by `chalice deploy` (.chalice/config.json), with no SAM "
                "template: Chalice builds one function and one API from the app, so plan and apply have no "
                "template to give a route a function of its own (deploy the app with SAM, Handler: app.app and "
                "an Api event per route, to split it)"
            )
        if template is None:
            raise UsageError(f"{path}: no template.yaml/template.json here; plan and apply need a SAM template")
        return cls(path, template)

    def plan_path(self, given: Path | None) -> Path:
        return given if given is not None else self.root / PLAN_FILE

    def display(self, path: Path) -> str:
        """`path` as messages name it: relative to the project root when inside it."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)


@dataclass(frozen=True)
class PlanOutcome:
    """What `plan` computed: the plan, the plan file's change (none when unchanged), what it added, and the
    problems `check_plan` finds in the result (a route of the file that vanished from the code...)."""

    plan: Plan
    change_set: ChangeSet
    write_root: Path  # the folder the change set's path is relative to
    added: tuple[FunctionPlan, ...]
    problems: tuple[PlanProblem, ...]
    findings: tuple[Finding, ...]
    created: bool


@dataclass(frozen=True)
class CheckOutcome:
    """A plan read back and checked against the project; `report` is the fresh analysis of its monolith."""

    plan: Plan
    problems: tuple[PlanProblem, ...]
    report: AnalysisReport
    template: LoadedTemplate

    @property
    def monolith(self) -> FunctionAnalysis:
        return next(f for f in self.report.functions if f.spec.logical_id == self.plan.monolith)


def plan(
    path: Path,
    *,
    output: Path | None = None,
    function: str | None = None,
    group: str = "route",
    extract: tuple[str, ...] = (),
) -> PlanOutcome:
    """Write a fresh plan, or extend the existing plan file at `output` (default `decompose.yaml`)."""
    project = Project.at(path)
    plan_path = project.plan_path(output)
    shown = project.display(plan_path)
    existing_text = _read_text(plan_path) if plan_path.exists() else None
    existing = read_plan_text(existing_text, shown) if existing_text is not None else None
    if existing is not None and function is not None and existing.monolith and existing.monolith != function:
        raise UsageError(
            f"{shown} plans the split of {existing.monolith}, not {function}: use another -o file for {function}"
        )
    report = analyze(project.template, iam=group == "resources")  # only resource grouping needs policies
    template = load_template(project.root, project.template)
    monolith = choose_monolith(report, function or (existing.monolith if existing and existing.monolith else None))
    return plan_for(project, report, template, monolith, plan_path, existing_text, group=group, extract=extract)


def plan_for(  # noqa: PLR0917 - the pieces `plan` and the wizard have both computed already
    project: Project,
    report: AnalysisReport,
    template: LoadedTemplate,
    monolith: FunctionAnalysis,
    plan_path: Path,
    existing_text: str | None,
    *,
    group: str = "route",
    extract: tuple[str, ...] = (),
) -> PlanOutcome:
    """The plan of `monolith` from an analysis already made: fresh, or the existing plan text extended."""
    shown = project.display(plan_path)
    used = {*template.resources, *template.parameters}
    modules = _modules(project.root / monolith.spec.code_uri)
    routes = {r.id: r for r in monolith.routes}
    existing = read_plan_text(existing_text, shown) if existing_text is not None else None
    if existing is None or existing_text is None:
        fresh = build_plan(monolith, group=group, extract=extract, used=used, modules=modules, template=template.path)
        text = render_plan(fresh, monolith.spec, routes)
        added = fresh.functions
    else:
        extended, added = extend_plan(existing, monolith, group=group, extract=extract, used=used, modules=modules)
        extracted = [f.logical_id for f in extended.functions if f.extract]
        text = update_plan_text(
            existing_text, added, extract=extracted, plan=extended, monolith=monolith.spec, routes=routes, path=shown
        )
    written = read_plan_text(text, shown)
    problems = _problems(written, report, template, project)
    name = plan_path.name
    change = () if text == existing_text else (FileChange(name, existing_text, text, "plan", generated=True),)
    return PlanOutcome(
        plan=written,
        change_set=ChangeSet(change),
        write_root=plan_path.parent,
        added=tuple(added),
        problems=problems,
        findings=report.findings,
        created=existing_text is None,
    )


def check(
    path: Path, *, plan_file: Path | None = None, plan_text: str | None = None, iam: bool = False
) -> CheckOutcome:
    """Read the plan file (or take `plan_text`, the text it would have: the wizard's plan before it is saved)
    and check it against a fresh analysis of its monolith (with `iam`, its policies too); nothing is written."""
    project = Project.at(path)
    plan_path = project.plan_path(plan_file)
    shown = project.display(plan_path)
    if plan_text is None and not plan_path.is_file():
        raise UsageError(f"{shown}: no plan file; run `decompose plan` first")
    read = read_plan_text(_read_text(plan_path) if plan_text is None else plan_text, shown)
    template = load_template(project.root, project.template)
    try:
        report = analyze(project.template, function=read.monolith or None, iam=iam)
    except UsageError as error:
        problem = PlanProblem(f"monolith: {error.message}", Location(shown, read.line_of("monolith") or 1))
        raise PlanError([*read.problems, problem]) from error
    return CheckOutcome(read, _problems(read, report, template, project), report, template)


def _problems(
    plan: Plan, report: AnalysisReport, template: LoadedTemplate, project: Project
) -> tuple[PlanProblem, ...]:
    """`check_plan`'s problems; once there are none, what the handlers of the plan's framework routes could not
    be generated for (a framework app the split cannot slice), at each function's line."""
    problems = check_plan(plan, report, template)
    monolith = next((f for f in report.functions if f.spec.logical_id == plan.monolith), None)
    if problems or monolith is None:
        return tuple(problems)
    dispatch = {r.id: r.dispatch for r in monolith.routes}
    framework = [f for f in plan.extracted if any(dispatch.get(r) in FRAMEWORKS for r in f.routes)]
    if not framework:
        return ()
    only = replace(plan, functions=tuple(framework))
    code_root = project.root / monolith.spec.code_uri
    found = split_problems(code_root, monolith.spec, only, project_root=project.root)
    where = plan.path or PLAN_FILE
    return tuple(PlanProblem(message, Location(where, function.line)) for function, message in found)


def _modules(code_root: Path) -> set[str]:
    """Every dotted module under a code root (packages by their folder name)."""
    found: set[str] = set()
    for current, dirs, files in os.walk(code_root):
        dirs[:] = [d for d in dirs if not skipped(d)]
        base = Path(current).relative_to(code_root)
        for name in files:
            if name.endswith(".py"):
                parts = [*base.parts, name.removesuffix(".py")]
                if parts[-1] == "__init__":
                    parts.pop()
                if parts:
                    found.add(".".join(parts))
    return found


def _read_text(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read the plan file: {error}") from error


@dataclass(frozen=True)
class ApplyOutcome:
    """What `apply` computed: the change set (empty when the project already is the plan's result), the
    re-analysis of each new function on the refactored code, their packages, the phase each function was
    applied in, and the plan file's path (relative to the root: its own uncommitted state does not make the
    tree dirty); `drafts` are what the template edit wrote for each new function (its policies, events,
    variables), for the views."""

    plan: Plan
    change_set: ChangeSet
    functions: tuple[FunctionAnalysis, ...]
    packages: tuple[FunctionPackage, ...]
    plan_file: str
    root: Path
    drafts: tuple[FunctionDraft, ...] = ()
    phases: tuple[tuple[str, str], ...] = ()  # (logical id, phase) of every function applied, in plan order


def apply(
    path: Path, *, plan_file: Path | None = None, plan_text: str | None = None, phase: str | None = None
) -> ApplyOutcome:
    """Everything `decompose apply` would change, as one change set computed on a workspace; writes nothing.

    `plan_text` stands for the plan file's text when given. Each function marked `extract: true` is applied
    in its phase (`Plan.phase_of`: `phase`, else the one the plan records for it, else the plan's first
    phase): a shim runs the monolith's own handler and package, an extracted function its generated handler
    and package. The phases are recorded in the plan file (part of the change set). Any plan problem raises
    `PlanError` (all of them); an analysis error in the monolith's code, a route the refactored code no
    longer serves as planned, a template the edit cannot handle or an edited template cfn-lint or the SAM
    transform rejects raises a `DecomposeError` with file:line.
    """
    if phase is not None and phase not in PHASES:
        raise UsageError(f"--phase must be one of {', '.join(PHASES)}, not {phase!r}")
    project = Project.at(path)
    checked = check(path, plan_file=plan_file, plan_text=plan_text, iam=True)  # IAM: the refactor's guard
    if checked.problems:
        raise PlanError(checked.problems)
    errors = [f for f in checked.report.findings if f.severity is Severity.ERROR]
    if errors:
        raise DecomposeError(f"the monolith's code has errors; fix them first: {errors[0].message}", errors[0].location)
    plan = checked.plan
    plan_path = project.plan_path(plan_file)
    shown = project.display(plan_path)
    if not plan.extracted:
        return ApplyOutcome(plan, ChangeSet(()), (), (), shown, project.root)
    phases = {f.logical_id: plan.phase_of(f, phase) for f in plan.extracted}
    extracting = replace(
        plan, functions=tuple(replace(f, extract=phases.get(f.logical_id) == EXTRACT) for f in plan.functions)
    )
    monolith = checked.monolith
    spec = monolith.spec
    template_rel = checked.template.path
    with Workspace(project.root) as ws:
        code_root = ws.code_root(spec)
        dispatcher = _with_moved_events(spec, checked.template, plan)
        findings: list[Finding] = []
        handlers: list[GeneratedHandler] = []
        if extracting.extracted:  # a shim changes no code: the refactor runs for extracted functions only
            refactored = refactor(code_root, replace(monolith, spec=dispatcher), extracting)
            findings += refactored.findings
            handlers = generate_handlers(code_root, dispatcher, extracting, project_root=ws.root)
        for handler in handlers:
            ws.write(_under(spec.code_uri, handler.path), handler.text, part="handler", generated=True)
        reanalysis, functions = _reanalyze(ws.root, template_rel, plan, phases, monolith, checked.template, handlers)
        packages = _packages(ws, code_root, plan, phases, functions, spec, findings)
        events, event_findings = read_events(ws.root, (Path(template_rel).parent / EVENTS_DIR).as_posix())
        findings += event_findings
        drafts = []
        for function_plan, analysis in zip(plan.extracted, functions, strict=True):
            draft, rollout = _draft(
                function_plan,
                analysis,
                packages[function_plan.logical_id],
                handlers,
                spec,
                checked,
                phases[function_plan.logical_id],
                events,
            )
            loop = loop_guard(reanalysis, function_plan.logical_id, function_plan.routes)
            drafts.append(replace(draft, recursive_loop=loop))
            findings += rollout.findings
            _write_hook(ws, rollout, function_plan, template_rel)
        template_text = ws.read(template_rel) or ""
        edited = edit_template(template_text, template_rel, plan, spec, drafts)
        ws.write(template_rel, edited, part="template")
        validation = validate_template(edited, template_rel)
        require_valid(validation)
        _record_phases(ws, project, plan_path, shown, phases, plan_text)
        findings += validation
        change_set = ws.change_set(tuple(sorted(findings, key=lambda f: f.sort_key)))
    built = tuple(p for f, p in packages.items() if phases[f] == EXTRACT)
    return ApplyOutcome(
        plan, change_set, tuple(functions), built, shown, project.root, tuple(drafts), tuple(phases.items())
    )


def _packages(  # noqa: PLR0917 - one private call site
    ws: Workspace,
    code_root: Path,
    plan: Plan,
    phases: dict[str, str],
    functions: list[FunctionAnalysis],
    spec: FunctionSpec,
    findings: list[Finding],
) -> dict[str, FunctionPackage]:
    """Each function's package: an extracted one's own (its Makefile target and requirements written here), a
    shim's the monolith's (what of it runs, for its environment)."""
    extracted = [a for a in functions if phases[a.spec.logical_id or ""] == EXTRACT]
    out: dict[str, FunctionPackage] = {}
    if extracted:
        extracting = replace(plan, functions=tuple(f for f in plan.functions if phases.get(f.logical_id) == EXTRACT))
        packaging = build_packages(code_root, extracted, root=ws.root, plan=extracting, monolith=spec)
        for rel, text in packaging.files:
            ws.write(_under(spec.code_uri, rel), text, part="package", generated=True)
        findings += packaging.findings
        out.update((p.logical_id, p) for p in packaging.packages)
    for analysis in functions:
        if phases[analysis.spec.logical_id or ""] == SHIM:
            package, shim_findings = shim_package(code_root, analysis, root=ws.root, plan=plan, monolith=spec)
            out[package.logical_id] = package
            findings += shim_findings
    return out


def _write_hook(ws: Workspace, rollout: Rollout, function_plan: FunctionPlan, template_rel: str) -> None:
    """The hook's files, or, when the function has no generated hook now, the removal of one generated before."""
    for rel, text in rollout.files:
        ws.write(rel, text, part="rollout", generated=True)
    if rollout.files:
        return
    folder = Path(template_rel).parent / HOOKS_DIR / snake(function_plan.logical_id)
    existing = ws.path(folder.as_posix())
    for name in ("hook.py", "events.json"):
        if (existing / name).is_file():
            ws.delete((folder / name).as_posix(), part="rollout")


def _record_phases(  # noqa: PLR0917 - one private call site
    ws: Workspace, project: Project, plan_path: Path, shown: str, phases: dict[str, str], plan_text: str | None
) -> None:
    """The plan file (or `plan_text`, its text to be) with the phase of every function applied (its comments
    and edits kept)."""
    text = _read_text(plan_path) if plan_text is None else plan_text
    recorded = record_phases(text, phases, shown, read_plan_text(text, shown).phase)
    if recorded == text:
        return
    try:
        rel = plan_path.resolve().relative_to(project.root.resolve()).as_posix()
    except ValueError as error:
        raise UsageError(
            f"{shown}: apply records each function's phase in the plan file, so it must be inside the project"
        ) from error
    ws.write(rel, recorded, part="plan")


def _reanalyze(  # noqa: PLR0917 - one private call site
    root: Path,
    template: str,
    plan: Plan,
    phases: dict[str, str],
    monolith: FunctionAnalysis,
    loaded: LoadedTemplate,
    handlers: list[GeneratedHandler],
) -> tuple[AnalysisReport, list[FunctionAnalysis]]:
    """Each function to apply analyzed as its own Lambda on the refactored workspace: its handler (the
    generated one, or the monolith's for a shim, which then serves only its routes), the monolith's settings,
    the events it takes over. It must serve exactly its planned routes. The report also says which of them
    sit in a loop AWS can stop (`RecursiveLoop: Terminate`)."""
    by_id = {h.logical_id: h for h in handlers}
    existing = {s.logical_id: s for s in loaded.functions}
    specs = []
    for function_plan in plan.extracted:
        names = _event_names(function_plan, monolith)
        events = [e for e in monolith.spec.events if e.name in names]
        earlier = existing.get(function_plan.logical_id)
        if earlier is not None:  # applied before: its events already moved to it
            events += [e for e in earlier.events if e.name not in names]
        shape = replace(monolith.spec, logical_id=function_plan.logical_id, events=tuple(events))
        if phases[function_plan.logical_id] == SHIM:
            specs.append(replace(shape, serves=function_plan.routes))
            continue
        handler = by_id.get(function_plan.logical_id)
        if handler is None:
            raise DecomposeError(f"no handler was generated for {function_plan.logical_id}")
        specs.append(replace(shape, handler=handler.handler))
    report = analyze_specs(root, template, specs, iam=True)
    analyses = {a.spec.logical_id: a for a in report.functions}
    out = []
    for function_plan in plan.extracted:
        analysis = analyses.get(function_plan.logical_id)
        served = {r.id for r in analysis.routes} if analysis else set()
        missing = [r for r in function_plan.routes if r not in served]
        extra = sorted(served - set(function_plan.routes))
        if missing or extra or analysis is None:
            what = (
                f"does not serve {missing[0]!r}"
                if missing
                else f"also serves {extra[0]!r}"
                if extra
                else "was not analyzed"
            )
            which = "the generated handler" if phases[function_plan.logical_id] == EXTRACT else "the shim"
            raise DecomposeError(
                f"{function_plan.logical_id}: {which} {what} after the refactor; nothing was written",
                Location(plan.path or PLAN_FILE, function_plan.line),
            )
        _require_same_actions(function_plan, monolith, analysis, plan)
        out.append(analysis)
    return report, out


def _require_same_actions(
    function_plan: FunctionPlan, monolith: FunctionAnalysis, analysis: FunctionAnalysis, plan: Plan
) -> None:
    """The new function's code must still make every AWS call its routes made in the monolith: an action the
    monolith's analysis found that the re-analysis does not is code the refactor broke (a helper shadowed by
    a namesake once made a route's policy silently empty), never a smaller policy."""
    before = {r.id: {p.action for p in r.permissions} for r in monolith.routes}
    after = {r.id: {p.action for p in r.permissions} for r in analysis.routes}
    for route in function_plan.routes:
        lost = sorted(before.get(route, set()) - after.get(route, set()))
        if lost:
            raise DecomposeError(
                f"{function_plan.logical_id}: after the refactor {route!r} no longer makes {', '.join(lost)}, which "
                "it makes in the monolith; nothing was written",
                Location(plan.path or PLAN_FILE, function_plan.line),
            )


def _with_moved_events(spec: FunctionSpec, template: LoadedTemplate, plan: Plan) -> FunctionSpec:
    """The monolith as the dispatcher sees it: its own events plus those an earlier apply moved to functions of
    this plan, so the routes of functions extracted before still match their events (handlers are
    regenerated on every apply, and must be the same)."""
    extracted = {f.logical_id for f in plan.extracted}
    moved = tuple(e for s in template.functions if s.logical_id in extracted for e in s.events)
    return replace(spec, events=spec.events + moved)


def _event_names(function_plan: FunctionPlan, monolith: FunctionAnalysis) -> tuple[str, ...]:
    """The monolith's template events that route the function's routes (none once they moved)."""
    routes = {r.id: r for r in monolith.routes}
    names = (routes[r].trigger.event for r in function_plan.routes if r in routes)
    return tuple(dict.fromkeys(n for n in names if n))


def _draft(  # noqa: PLR0917 - one private call site
    function_plan: FunctionPlan,
    analysis: FunctionAnalysis,
    package: FunctionPackage,
    handlers: list[GeneratedHandler],
    spec: FunctionSpec,
    checked: CheckOutcome,
    phase: str,
    events: tuple[RecordedEvent, ...],
) -> tuple[FunctionDraft, Rollout]:
    permissions = [p for route in analysis.routes for p in route.permissions if needs_own_grant(p, route.trigger)]
    policies = build_policies(permissions, Trigger("Invoke"), checked.template.resources)
    rollout = plan_rollout(
        function_plan,
        checked.plan,
        phase=phase,
        runtime=str(function_plan.runtime or spec.runtime or "python3.12"),
        routes=checked.monolith.routes,
        events=events,
        template_dir=Path(checked.template.path).parent.as_posix(),
    )
    if phase == SHIM:
        handler, build_method = str(spec.handler), None  # the monolith's own handler, package and build
    else:
        handler = next(h for h in handlers if h.logical_id == function_plan.logical_id).handler
        build_method = "makefile"
    draft = FunctionDraft(
        plan=function_plan,
        handler=handler,
        code_uri=spec.code_uri,
        events=_event_names(function_plan, checked.monolith),
        policies=tuple(policies),
        environment=package.environment,
        build_method=build_method,
        phase=phase,
        alarms=rollout.alarms,
        pre_traffic=rollout.pre_traffic,
        companions=rollout.companions,
    )
    return draft, rollout


def _under(code_uri: str, rel: str) -> str:
    """A path relative to a CodeUri, relative to the project root."""
    return rel if code_uri in ("", ".") else f"{code_uri.rstrip('/')}/{rel}"
