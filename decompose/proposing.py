"""The wizard's use cases: what there is to split, what each function would gain, and the plan it amounts to.

    survey    the project -> one analysis with IAM (routes, reach, policies) -> the template -> the functions
              that could be the monolith -> the plan file, if there is one
    offer     one monolith -> its plan (`splitting.plan_for`: fresh, or the plan file extended with new
              routes) -> per function: what extracting it gains (`planning.gains`, measured), whether it
              is extracted already, and why it cannot be extracted now (`check_plan` on the plan with it
              marked) -> a default selection
    revise    the offer's plan text with the choices (extract marks, names, deployment) -> read back and
              checked like any plan file
    preview   `splitting.apply` on the revised text: the change set, computed, written nowhere
    changes   what `save` and `apply` write: the plan file alone, or the plan file and the change set, as one
              change set for `changes.writer`

Every figure the wizard shows comes from these values; the wizard only asks and shows. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from decompose.domain.gains import Gain
from decompose.domain.model import AnalysisReport, FunctionAnalysis
from decompose.domain.plan import ChangeSet, Deployment, FileChange, Plan, PlanProblem
from decompose.errors import PlanError, UsageError
from decompose.generation.template import MARKER_KEY
from decompose.loading.template import LoadedTemplate, load_template
from decompose.pipeline import analyze
from decompose.planning.build import choose_monolith
from decompose.planning.check import check_plan
from decompose.planning.gains import ImportTimer, measure_gains
from decompose.planning.ids import invalid_logical_id, is_taken
from decompose.planning.plan_file import read_plan_text, revise_plan_text
from decompose.splitting import ApplyOutcome, PlanOutcome, Project, apply, plan_for

DEFAULT_COUNT = 3  # functions selected by default: the three smallest packages (a few at a time)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Survey:
    """The project as the wizard found it."""

    project: Project
    report: AnalysisReport
    template: LoadedTemplate
    plan_path: Path
    existing_text: str | None
    candidates: tuple[FunctionAnalysis, ...]  # functions that could be the monolith, most routes first
    suggested: str | None  # the one `choose_monolith` picks by itself, None when the user must choose

    @property
    def shown_plan(self) -> str:
        return self.project.display(self.plan_path)


@dataclass(frozen=True)
class Offer:
    """One monolith's plan, and per function what the wizard offers about it."""

    survey: Survey
    monolith: FunctionAnalysis
    outcome: PlanOutcome
    text: str  # the plan text the choices start from
    gains: tuple[Gain, ...]  # one per function of the plan, in plan order
    applied: frozenset[str]  # functions an earlier apply already extracted (they stay extracted)
    blocked: Mapping[str, str]  # function -> why it cannot be extracted now
    default: tuple[str, ...]  # functions selected by default

    @property
    def plan(self) -> Plan:
        return self.outcome.plan

    def gain(self, logical_id: str) -> Gain:
        return next(g for g in self.gains if g.logical_id == logical_id)

    @property
    def selectable(self) -> tuple[str, ...]:
        return tuple(f.logical_id for f in self.plan.functions if f.logical_id not in self.applied | set(self.blocked))

    def resolve(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """Functions named by logical id or by one of their routes (`--extract`); an unknown name is a
        `UsageError` listing what there is."""
        out = []
        for name in names:
            function = next((f for f in self.plan.functions if name == f.logical_id or name in f.routes), None)
            if function is None:
                known = ", ".join(f.logical_id for f in self.plan.functions)
                raise UsageError(f"--extract {name!r}: no function or route of that name (functions: {known})")
            if function.logical_id in self.blocked:
                raise UsageError(f"--extract {name!r}: {self.blocked[function.logical_id]}")
            out.append(function.logical_id)
        return tuple(dict.fromkeys(out))

    def name_problem(self, old: str, new: str, renames: Mapping[str, str]) -> str | None:
        """Why `new` cannot replace `old` as a logical id, given the other renames; None when it can."""
        if new == old:
            return None
        reason = invalid_logical_id(new)
        if reason:
            return reason
        template = self.survey.template
        others = {renames.get(f.logical_id, f.logical_id) for f in self.plan.functions if f.logical_id != old}
        used = {*template.resources, *template.parameters, *others}
        if is_taken(new, used, self.plan.deployment.alias):
            return f"{new} is taken (a resource or parameter of the template, another function, or an id SAM derives)"
        if old in self.applied:
            return f"{old} is already in the template: rename it there, not in the wizard"
        return None


@dataclass(frozen=True)
class Draft:
    """The plan text with the wizard's choices, read back, and every problem `check_plan` finds in it."""

    text: str
    plan: Plan
    problems: tuple[PlanProblem, ...]


def survey(path: Path, *, plan_file: Path | None = None, progress: Progress | None = None) -> Survey:
    """Analyze the project (with IAM: the gains and the policies need it) and read its plan file, if any."""
    project = Project.at(path)
    if progress:
        progress("analyzing the project")
    report = analyze(project.template, progress=progress)
    template = load_template(project.root, project.template)
    plan_path = project.plan_path(plan_file)
    existing = plan_path.read_text(encoding="utf-8") if plan_path.is_file() else None
    candidates = tuple(
        sorted(
            (f for f in report.functions if f.spec.logical_id is not None and f.routes),
            key=lambda f: (-len(f.routes), str(f.spec.logical_id)),
        )
    )
    if not candidates:
        raise UsageError(f"{report.template or path}: no Python function with routes to split")
    planned = read_plan_text(existing, project.display(plan_path)).monolith if existing else None
    try:
        suggested = str(choose_monolith(report, planned or None).spec.logical_id)
    except UsageError:
        suggested = None
    return Survey(project, report, template, plan_path, existing, candidates, suggested)


def offer(
    found: Survey,
    monolith_id: str,
    *,
    group: str = "route",
    timer: ImportTimer | None = None,
    progress: Progress | None = None,
) -> Offer:
    """The plan of `monolith_id` and what the wizard offers about each of its functions."""
    monolith = choose_monolith(found.report, monolith_id)
    outcome = plan_for(
        found.project, found.report, found.template, monolith, found.plan_path, found.existing_text, group=group
    )
    text = outcome.change_set.changes[0].after if outcome.change_set.changes else found.existing_text
    plan = outcome.plan
    if progress:
        progress("measuring what each function gains")
    gains = measure_gains(
        monolith,
        plan.functions,
        root=found.project.root,
        resources=found.template.resources,
        timer=timer,
        progress=progress,
    )
    applied = frozenset(f.logical_id for f in plan.functions if _applied(found.template, f.logical_id, plan.monolith))
    blocked = _blocked(plan, applied, found)
    marked = [f.logical_id for f in plan.functions if f.extract and f.logical_id not in applied | set(blocked)]
    default = tuple(marked) if marked else _smallest(gains, applied | set(blocked))
    return Offer(found, monolith, outcome, text or "", gains, applied, blocked, default)


def revise(
    chosen: Offer,
    *,
    extract: tuple[str, ...],
    renames: Mapping[str, str] | None = None,
    deployment: Deployment | None = None,
) -> Draft:
    """The plan text with `extract` (and what was extracted before) marked, renamed, with `deployment`."""
    marks = {f.logical_id: f.logical_id in extract or f.logical_id in chosen.applied for f in chosen.plan.functions}
    shown = chosen.survey.shown_plan
    text = revise_plan_text(chosen.text, shown, extract=marks, renames=renames or {}, deployment=deployment)
    plan = read_plan_text(text, shown)
    problems = tuple(check_plan(plan, chosen.survey.report, chosen.survey.template))
    return Draft(text, plan, problems)


def preview(chosen: Offer, draft: Draft) -> ApplyOutcome:
    """Everything `apply` would change for the draft, computed on a temporary copy; nothing is written."""
    return apply(chosen.survey.project.root, plan_file=chosen.survey.plan_path, plan_text=draft.text)


def plan_change(found: Survey, draft: Draft) -> ChangeSet:
    """The plan file's own change (relative to the project root), empty when the file already says it."""
    if draft.text == found.existing_text:
        return ChangeSet(())
    rel = found.project.display(found.plan_path)
    if Path(rel).is_absolute():
        raise UsageError(f"{found.plan_path}: the wizard saves its plan inside the project; choose a path there")
    return ChangeSet((FileChange(rel, found.existing_text, draft.text, "plan", generated=True),))


def with_plan(found: Survey, draft: Draft, outcome: ApplyOutcome) -> ChangeSet:
    """The plan file's change and the change set `apply` computed, written together (all or nothing)."""
    own = plan_change(found, draft)
    return ChangeSet(own.changes + outcome.change_set.changes, outcome.change_set.findings)


def _applied(template: LoadedTemplate, logical_id: str, monolith: str) -> bool:
    resource = template.resources.get(logical_id)
    if not isinstance(resource, Mapping):
        return False
    marker = (resource.get("Metadata") or {}).get(MARKER_KEY)
    return isinstance(marker, Mapping) and marker.get("SplitFrom") == monolith


def _blocked(plan: Plan, applied: frozenset[str], found: Survey) -> dict[str, str]:
    """Per function not extracted yet: the first problem `check_plan` raises when it alone is marked. A plan
    with problems before any mark (a route another function already serves) is a `PlanError` listing them."""
    unmarked = replace(plan, functions=tuple(replace(f, extract=f.logical_id in applied) for f in plan.functions))
    problems = check_plan(unmarked, found.report, found.template)
    if problems:  # the plan is wrong before anything is chosen: say all of it, offer nothing
        raise PlanError(problems)
    blocked = {}
    for index, function in enumerate(plan.functions):
        if function.logical_id in applied:
            continue
        functions = list(unmarked.functions)
        functions[index] = replace(function, extract=True)
        marked = replace(unmarked, functions=tuple(functions))
        found_problems = check_plan(marked, found.report, found.template)
        if found_problems:
            blocked[function.logical_id] = found_problems[0].message
    return blocked


def _smallest(gains: tuple[Gain, ...], excluded: set[str] | frozenset[str]) -> tuple[str, ...]:
    """The `DEFAULT_COUNT` functions with the smallest packages (the least to move, the most the monolith
    keeps carrying for them), ties broken by fewer IAM actions, then by name."""

    def size(gain: Gain) -> tuple[int, int, str]:
        own = gain.own
        return (own.package_bytes or own.code_bytes, own.actions or 0, gain.logical_id)

    ranked = sorted((g for g in gains if g.logical_id not in excluded), key=size)
    return tuple(g.logical_id for g in ranked[:DEFAULT_COUNT])
