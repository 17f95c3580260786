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
from dataclasses import dataclass
from pathlib import Path

from decompose.changes.workspace import skipped
from decompose.domain.model import AnalysisReport, Finding, FunctionAnalysis, Location
from decompose.domain.plan import ChangeSet, FileChange, FunctionPlan, Plan, PlanProblem
from decompose.errors import PlanError, UsageError
from decompose.loading.template import LoadedTemplate, find_template, load_template
from decompose.pipeline import analyze
from decompose.planning.build import build_plan, choose_monolith, extend_plan
from decompose.planning.check import check_plan
from decompose.planning.plan_file import read_plan_text, render_plan, update_plan_text

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
    used = {*template.resources, *template.parameters}
    modules = _modules(project.root / monolith.spec.code_uri)
    routes = {r.id: r for r in monolith.routes}
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
    problems = tuple(check_plan(written, report, template))
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


def check(path: Path, *, plan_file: Path | None = None) -> CheckOutcome:
    """Read the plan file and check it against a fresh analysis of its monolith (nothing is written)."""
    project = Project.at(path)
    plan_path = project.plan_path(plan_file)
    shown = project.display(plan_path)
    if not plan_path.is_file():
        raise UsageError(f"{shown}: no plan file; run `decompose plan` first")
    read = read_plan_text(_read_text(plan_path), shown)
    template = load_template(project.root, project.template)
    try:
        report = analyze(project.template, function=read.monolith or None, iam=False)
    except UsageError as error:
        problem = PlanProblem(f"monolith: {error.message}", Location(shown, read.line_of("monolith") or 1))
        raise PlanError([*read.problems, problem]) from error
    return CheckOutcome(read, tuple(check_plan(read, report, template)), report, template)


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
