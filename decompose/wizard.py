"""`decompose wizard`: the whole job as a conversation, on questionary (prompt_toolkit underneath).

The steps, each answered by a flag when one is given, by its default under `--yes`, else by a prompt:

1. the monolith (`--function`), asked only when several functions could be it;
2. the grouping (`--group`), asked only when there is no plan file yet;
3. the functions to extract now (`--extract`, repeatable), shown with what each one gains, measured
   (`proposing.offer`: package, IAM actions, third-party import time against the monolith's); the default
   is what the plan file marks, else the three smallest packages;
4. their names (`--name OLD=NEW`), validated as CloudFormation logical ids by the planning package's own
   rules (`Offer.name_problem`: cfn-lint's pattern and length, free in the template and the plan);
5. the deployment preference and its alarms (`--deployment`, `--alarm`);
6. the change set, computed (`proposing.preview`) and each new function's policy reviewed (a function
   whose policy is refused is not extracted);
7. the dry-run summary;
8. what to do (`--then pr|apply|save`): open a pull request (`publishing.pull_request`, with `--branch`,
   `--base`, `--push`, `--open`), apply to the working tree (through `changes.writer`), or save the plan.

Nothing is written before step 8, and step 8 writes all of it or none of it, so Ctrl-C at any point
writes nothing (the writer rolls back on an interrupt; the pull request's branch is created last). The
prompts need a terminal: without one, `--yes` is required. `Prompter` is the seam between the steps and
questionary; `Defaults` is the one `--yes` uses.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import click

from decompose import proposing, publishing
from decompose.changes.writer import WriteResult, write
from decompose.domain.gains import Gain
from decompose.domain.plan import DEPLOYMENT_TYPES, Deployment
from decompose.errors import PlanError, UsageError
from decompose.planning.build import GROUPS
from decompose.reporting.pull_request import traffic_shift
from decompose.splitting import ApplyOutcome

ACTIONS = ("pr", "apply", "save")
ACTION_TITLES = {
    "pr": "open a pull request: a branch with the commits, and its body",
    "apply": "apply to the working tree",
    "save": "save the plan and exit",
}
GROUP_TITLES = {
    "route": "one function per route",
    "module": "one function per module of the routes' entries",
    "resources": "one function per set of resources the routes touch",
}


@dataclass(frozen=True)
class Option:
    """One answer a prompt offers."""

    title: str
    value: Any
    checked: bool = False
    disabled: str | None = None  # why it cannot be chosen


class Prompter(Protocol):
    """What the steps ask; questionary answers on a terminal, `Defaults` under `--yes`."""

    def select(self, message: str, options: Sequence[Option], default: Any) -> Any: ...

    def checkbox(self, message: str, options: Sequence[Option], *, required: bool = True) -> list[Any]: ...

    def text(self, message: str, default: str, validate: Callable[[str], str | None]) -> str: ...

    def confirm(self, message: str, default: bool) -> bool: ...


class Defaults:
    """`--yes`: every question takes its default."""

    def select(self, message: str, options: Sequence[Option], default: Any) -> Any:
        return default

    def checkbox(self, message: str, options: Sequence[Option], *, required: bool = True) -> list[Any]:
        return [o.value for o in options if o.checked and not o.disabled]

    def text(self, message: str, default: str, validate: Callable[[str], str | None]) -> str:
        problem = validate(default)
        if problem:
            raise UsageError(f"{message} {default!r}: {problem}")
        return default

    def confirm(self, message: str, default: bool) -> bool:
        return default


class Questionary:
    """The prompts on a real terminal (questionary over prompt_toolkit); `color=False` is monochrome."""

    def __init__(self, color: bool = True) -> None:
        import questionary  # noqa: PLC0415 - the prompt library loads only when the wizard asks
        from prompt_toolkit.output import ColorDepth  # noqa: PLC0415

        self._q = questionary
        self._extra: dict[str, Any] = {} if color else {"color_depth": ColorDepth.MONOCHROME}

    def select(self, message: str, options: Sequence[Option], default: Any) -> Any:
        choices = [self._q.Choice(o.title, o.value, disabled=o.disabled) for o in options]
        start = next((c for c in choices if c.value == default), None)
        return self._q.select(message, choices, default=start, **self._extra).unsafe_ask()

    def checkbox(self, message: str, options: Sequence[Option], *, required: bool = True) -> list[Any]:
        choices = [self._q.Choice(o.title, o.value, checked=o.checked, disabled=o.disabled) for o in options]
        instruction = "(space: toggle, enter: confirm)"
        rule = _at_least_one if required else (lambda _: True)
        return self._q.checkbox(message, choices, instruction=instruction, validate=rule, **self._extra).unsafe_ask()

    def text(self, message: str, default: str, validate: Callable[[str], str | None]) -> str:
        return self._q.text(
            message, default=default, validate=lambda v: validate(v) or True, **self._extra
        ).unsafe_ask()

    def confirm(self, message: str, default: bool) -> bool:
        return bool(self._q.confirm(message, default=default, **self._extra).unsafe_ask())


def _at_least_one(values: list[Any]) -> bool | str:
    return True if values else "choose at least one function (space toggles), or Ctrl-C to leave"


@dataclass(frozen=True)
class Choices:
    """What the flags decided; None (or empty) leaves the step to the prompt, or to its default with --yes."""

    function: str | None = None
    group: str | None = None
    extract: tuple[str, ...] = ()
    names: tuple[tuple[str, str], ...] = ()
    deployment: str | None = None
    alarms: tuple[str, ...] | None = None
    then: str | None = None
    branch: str | None = None
    base: str | None = None
    push: bool | None = None
    open: bool | None = None
    remote: str = "origin"
    body_file: Path | None = None
    force: bool = False


@dataclass
class Result:
    """How the wizard ended: what it did, and what the CLI prints after it."""

    action: str
    written: WriteResult | None = None
    request: publishing.PullRequest | None = None
    outcome: ApplyOutcome | None = None
    lines: list[str] = field(default_factory=list)


class Wizard:
    """The steps over one project; `out` shows text (stdout), `progress` names the long steps; `unattended`
    (`--yes`) skips the questions that only a person can answer and fails where one must."""

    def __init__(
        self,
        prompter: Prompter,
        out: Callable[[str], None],
        *,
        progress: Callable[[str], None] | None = None,
        color: bool = True,
        unattended: bool = False,
    ) -> None:
        self.ask = prompter
        self.unattended = unattended  # --yes: `prompter` answers with defaults; a step needing a person fails
        self.out = out
        self.progress = progress or (lambda _: None)
        self.color = color

    def run(self, path: Path, choices: Choices, *, plan_file: Path | None = None) -> Result:
        found = proposing.survey(path, plan_file=plan_file, progress=self.progress)
        monolith = self._monolith(found, choices)
        group = self._group(found, choices)
        chosen = proposing.offer(found, monolith, group=group, progress=self.progress)
        self._show_gains(chosen)
        extract = self._extract(chosen, choices)
        renames = self._names(chosen, extract, choices)
        deployment = self._deployment(chosen, choices)
        draft = proposing.revise(chosen, extract=extract, renames=renames, deployment=deployment)
        if draft.problems:
            raise PlanError(draft.problems)
        self.progress("computing the change set (refactor, handlers, packages, template)")
        outcome = proposing.preview(chosen, draft)
        kept = self._review(chosen, draft, outcome, renames)
        if set(kept) != {f.logical_id for f in draft.plan.extracted if f.logical_id not in chosen.applied}:
            extract = tuple(old for old in extract if renames.get(old, old) in kept)
            if not extract:
                raise UsageError("every policy was refused: nothing to extract; nothing was written")
            draft = proposing.revise(chosen, extract=extract, renames=renames, deployment=deployment)
            self.progress("computing the change set again without the refused functions")
            outcome = proposing.preview(chosen, draft)
        self._summary(chosen, draft, outcome)
        action = self._action(found, choices)
        if action == "save":
            written = write(proposing.plan_change(found, draft), found.project.root, force=True)
            return Result("save", written=written, outcome=outcome)
        if action == "apply":
            change_set = proposing.with_plan(found, draft, outcome)
            written = write(change_set, found.project.root, force=choices.force, ignore={found.shown_plan})
            return Result("apply", written=written, outcome=outcome)
        request = self._pull_request(found, draft, outcome, choices)
        return Result("pr", request=request, outcome=outcome)

    # ------------------------------------------------------------------------------------------- the steps
    def _monolith(self, found: proposing.Survey, choices: Choices) -> str:
        if choices.function:
            return choices.function
        if found.suggested:
            self.out(f"Monolith: {self._bold(found.suggested)} ({_routes_of(found, found.suggested)})")
            return found.suggested
        options = [
            Option(f"{f.spec.logical_id}  ({len(f.routes)} routes, handler {f.spec.handler})", f.spec.logical_id)
            for f in found.candidates
        ]
        if self.unattended:
            names = ", ".join(str(f.spec.logical_id) for f in found.candidates)
            raise UsageError(f"several functions could be the monolith ({names}): choose one with --function")
        return str(self.ask.select("Which function is the monolith?", options, found.candidates[0].spec.logical_id))

    def _group(self, found: proposing.Survey, choices: Choices) -> str:
        if choices.group:
            return choices.group
        if found.existing_text is not None:
            return "route"  # the plan file's functions stay; a new route gets a function of its own
        options = [Option(GROUP_TITLES[g], g) for g in GROUPS]
        return str(self.ask.select("How should routes be grouped into functions?", options, "route"))

    def _show_gains(self, chosen: proposing.Offer) -> None:
        whole = chosen.gains[0].monolith if chosen.gains else None
        if whole is None:
            return
        self.out("")
        self.out(
            f"{self._bold(chosen.plan.monolith)} today: package {_size(whole.package_bytes)} "
            f"({whole.code_files} files of code, {len(whole.distributions)} distributions), "
            f"{_count(whole.actions)} IAM actions ({_count(whole.star_actions)} on *), "
            f"third-party imports {_ms(whole.import_ms)}"
        )
        self.out(f"{'':2}{'function':<30} {'package':>16} {'IAM':>5} {'import':>16}  routes")
        for gain in chosen.gains:
            note = (
                " (extracted)"
                if gain.logical_id in chosen.applied
                else (" (cannot: see below)" if gain.logical_id in chosen.blocked else "")
            )
            self.out(
                f"{'':2}{gain.logical_id:<30} {_package_cell(gain):>16} {_count(gain.own.actions):>5} "
                f"{_import_cell(gain):>16}  {', '.join(gain.routes)}{note}"
            )
        for logical_id, why in chosen.blocked.items():
            self.out(f"  {logical_id}: {why}")
        notes = sorted({n for g in chosen.gains for n in g.unmeasured})
        for note in notes:
            self.out(f"  not measured: {note}")
        if any(not g.complete for g in chosen.gains):
            self.out("  IAM counts marked * may be short: decompose could not follow part of those routes")
        self.out("")

    def _extract(self, chosen: proposing.Offer, choices: Choices) -> tuple[str, ...]:
        if choices.extract:
            return chosen.resolve(choices.extract)
        options = [
            Option(
                f"{g.logical_id:<30} {_package_cell(g):>16} {_count(g.own.actions):>3} IAM {_import_cell(g):>16}",
                g.logical_id,
                checked=g.logical_id in chosen.default,
                disabled=("already extracted" if g.logical_id in chosen.applied else chosen.blocked.get(g.logical_id)),
            )
            for g in chosen.gains
        ]
        picked = self.ask.checkbox("Which functions do you extract now?", options)
        if not picked:
            raise UsageError("no function chosen (--extract ROUTE_OR_ID); nothing was written")
        return tuple(picked)

    def _names(self, chosen: proposing.Offer, extract: tuple[str, ...], choices: Choices) -> dict[str, str]:
        renames: dict[str, str] = {}
        for old_name, new in choices.names:
            (old,) = chosen.resolve((old_name,)) if old_name else (old_name,)
            problem = chosen.name_problem(old, new, renames)
            if problem:
                raise UsageError(f"--name {old_name}={new}: {problem}")
            renames[old] = new
        if choices.names or self.unattended:
            return renames
        self.out("Names (CloudFormation logical ids):")
        for old in extract:
            self.out(f"  {old:<30} {', '.join(chosen.plan.functions[self._index(chosen, old)].routes)}")
        if self.ask.confirm("Keep these names?", True):
            return renames
        for old in extract:
            renames[old] = self.ask.text(
                f"Logical id for {', '.join(chosen.plan.functions[self._index(chosen, old)].routes)}:",
                old,
                lambda value, old=old: chosen.name_problem(old, value, renames),
            )
        return renames

    def _deployment(self, chosen: proposing.Offer, choices: Choices) -> Deployment:
        current = chosen.plan.deployment
        kind = choices.deployment
        if kind is not None and kind not in DEPLOYMENT_TYPES:
            raise UsageError(f"--deployment {kind!r}: one of {', '.join(sorted(DEPLOYMENT_TYPES))}")
        if kind is None:
            options = [Option(_deployment_title(t), t) for t in _deployment_order()]
            kind = str(self.ask.select("How do the new functions take traffic?", options, current.type))
        alarms = _alarms(chosen)
        wanted = choices.alarms
        if wanted is not None:
            unknown = [a for a in wanted if a not in alarms]
            if unknown:
                known = ", ".join(alarms) or "none"
                raise UsageError(f"--alarm {unknown[0]}: not an AWS::CloudWatch::Alarm of the template ({known})")
        elif alarms:
            options = [Option(a, a, checked=a in current.alarms) for a in alarms]
            wanted = tuple(self.ask.checkbox("Which alarms roll a deployment back?", options, required=False))
        else:
            self.out("No AWS::CloudWatch::Alarm in the template: no alarm will roll a deployment back.")
            wanted = ()
        return Deployment(kind, current.alias, tuple(wanted), current.pre_traffic)

    def _review(
        self, chosen: proposing.Offer, draft: proposing.Draft, outcome: ApplyOutcome, renames: dict[str, str]
    ) -> list[str]:
        analyses = {a.spec.logical_id: a for a in outcome.functions}
        whole = chosen.gains[0].monolith.actions if chosen.gains else None
        kept = []
        for function in draft.plan.extracted:
            if function.logical_id in chosen.applied:
                continue
            analysis = analyses.get(function.logical_id)
            permissions = sorted(
                {
                    (p.action, p.resource, str(p.location))
                    for r in (analysis.routes if analysis else ())
                    for p in r.permissions
                }
            )
            incomplete = analysis is not None and any(not r.policy_complete for r in analysis.routes)
            self.out("")
            self.out(f"Policy of {self._bold(function.logical_id)} ({', '.join(function.routes)}):")
            for action, resource, where in permissions:
                self.out(f"  {action:<28} on {resource:<34} ({where})")
            if not permissions:
                self.out("  no AWS permission: its code makes no AWS call")
            actions = len({a for a, _, _ in permissions})
            if whole is not None:
                self.out(f"  {actions} action(s), where the monolith's role grants {whole}")
            if incomplete:
                self.out("  INCOMPLETE: decompose could not follow part of this code; see the findings")
            if self.ask.confirm(f"Extract {function.logical_id} with this policy?", True):
                kept.append(function.logical_id)
        return kept

    def _summary(self, chosen: proposing.Offer, draft: proposing.Draft, outcome: ApplyOutcome) -> None:
        change_set = outcome.change_set
        self.out("")
        self.out(self._bold("Dry run: what would change"))
        parts: dict[str, list[str]] = {}
        for change in change_set.changes:
            parts.setdefault(change.part, []).append(change.kind)
        done = {"create": "created", "modify": "modified", "delete": "deleted"}
        for part, kinds in parts.items():
            counted = ", ".join(f"{kinds.count(k)} {word}" for k, word in done.items() if k in kinds)
            self.out(f"  {part:<10} {counted}")
        ids = [f.logical_id for f in draft.plan.extracted]
        self.out(f"  functions  {', '.join(ids)} (from {draft.plan.monolith})")
        deployment = draft.plan.deployment
        alarms = ", ".join(deployment.alarms) or "no alarm"
        self.out(f"  deploy     {deployment.type} on alias {deployment.alias}, {alarms}")
        for finding in change_set.findings:
            where = f"{finding.location}: " if finding.location else ""
            self.out(f"  {finding.severity.value}: {where}{finding.rule}: {finding.message}")
        self.out("")

    def _action(self, found: proposing.Survey, choices: Choices) -> str:
        if choices.then:
            return choices.then
        if self.unattended:
            return "save"
        dirty = publishing.uncommitted(found.project.root, found.plan_path)
        shown = "" if not dirty else ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
        why = {
            "pr": "not in a git repository" if dirty is None else (f"uncommitted changes: {shown}" if dirty else None),
            "apply": f"uncommitted changes: {shown} (--force to apply anyway)" if dirty and not choices.force else None,
        }
        options = [Option(ACTION_TITLES[a], a, disabled=why.get(a)) for a in ACTIONS]
        default = next(a for a in ACTIONS if not why.get(a))
        return str(self.ask.select("What now?", options, default))

    def _pull_request(
        self, found: proposing.Survey, draft: proposing.Draft, outcome: ApplyOutcome, choices: Choices
    ) -> publishing.PullRequest:
        branch = choices.branch
        if branch is None and not self.unattended:
            default = publishing.default_branch(draft.plan)
            branch = self.ask.text("Branch name:", default, lambda v: None if v.strip() else "a branch needs a name")
        self.progress("building the branch in a temporary worktree")
        return publishing.pull_request(
            found.project.root,
            plan_file=found.plan_path,
            plan_text=draft.text,
            branch=branch,
            base=choices.base,
            body_file=choices.body_file,
            computed=outcome,
            progress=self.progress,
        )

    # ----------------------------------------------------------------------------------------------- looks
    def _bold(self, text: str) -> str:
        return click.style(text, bold=True) if self.color else text

    @staticmethod
    def _index(chosen: proposing.Offer, logical_id: str) -> int:
        return next(i for i, f in enumerate(chosen.plan.functions) if f.logical_id == logical_id)


def _routes_of(found: proposing.Survey, logical_id: str) -> str:
    function = next(f for f in found.candidates if f.spec.logical_id == logical_id)
    return f"{len(function.routes)} routes, handler {function.spec.handler}"


def _alarms(chosen: proposing.Offer) -> list[str]:
    resources = chosen.survey.template.resources
    return sorted(
        str(k) for k, v in resources.items() if isinstance(v, dict) and v.get("Type") == "AWS::CloudWatch::Alarm"
    )


def _deployment_order() -> list[str]:
    return sorted(DEPLOYMENT_TYPES, key=lambda t: (t == "AllAtOnce", not t.startswith("Canary"), t))


def _deployment_title(kind: str) -> str:
    return f"{kind:<32} {traffic_shift(Deployment(kind))}"


def _size(value: int | None) -> str:
    if value is None:
        return "?"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} B"


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f} ms"


def _package_cell(gain: Gain) -> str:
    ratio = gain.package_ratio
    size = _size(gain.own.package_bytes)
    return size if ratio is None else f"{size} ({(ratio - 1) * 100:+.0f}%)"


def _import_cell(gain: Gain) -> str:
    saved = gain.import_saved_ms
    own = _ms(gain.own.import_ms)
    return own if saved is None else f"{own} ({-saved:+.0f})"


def interactive() -> bool:
    """Whether both ends are a terminal (the prompts need one)."""
    return sys.stdin.isatty() and sys.stdout.isatty()
