"""The dry-run report assembled from what the other stages computed: nothing here analyzes, refactors or measures.

`assemble` takes `Facts` (the analysis of the project as it is and as the change set leaves it, the plan, the
change set, each new function's re-analysis, package and draft, the measured sizes and import times, the
verification result) and arranges them into the one `DryRunReport` every view renders:

- the summary counts and the profiles (the monolith today, each new function, the monolith after), whose IAM
  breadth comes from each role's policies (`iam.breadth`);
- per new function: its routes, its permissions with their call sites, its `Policies` and a unified diff from the
  monolith's (both as the template spells them), what its role no longer has, its package, the variables its
  code reads with their template values, its deployment preference and its verification;
- the architecture before and after: routes -> functions -> the resources their permissions name, with the IAM
  access levels (Read, Write, List...) on each function -> resource edge; node ids are generated, never user text;
- the change set's files with their diffs, and the findings of the analysis and of the apply, file:line.
"""

from __future__ import annotations

import difflib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML

from decompose.domain.model import AnalysisReport, Finding, FunctionAnalysis, Route, Severity, plain
from decompose.domain.plan import ChangeSet, FunctionDraft, FunctionPackage, Plan
from decompose.domain.report import (
    Diagram,
    DiagramEdge,
    DiagramNode,
    DryRunReport,
    EnvironmentVariable,
    Grant,
    ImportTiming,
    MeasuredOn,
    PackageSize,
    Profile,
    ReportChange,
    ReportFinding,
    ReportRoute,
    RoleBreadth,
    RouteVerification,
    SeverityCounts,
    SplitFunction,
    Summary,
    Verification,
)
from decompose.generation.template import short_form
from decompose.iam.actions import access_level
from decompose.iam.breadth import role_breadth, role_delta
from decompose.iam.monolith import role_policies
from decompose.loading.template import LoadedTemplate

ROUTES_DRAWN = 16  # routes drawn per function in the architecture picture; the rest is one "+N more" box
BEFORE, AFTER = "monolith:before", "monolith:after"  # keys of the monolith in `Facts.sizes` and `Facts.imports`


@dataclass(frozen=True)
class Facts:
    """Everything the report is made of; `sizes` and `imports` are keyed by logical id, and `BEFORE`/`AFTER` for
    the monolith."""

    generator: str
    project: str
    plan: Plan
    plan_file: str
    before: AnalysisReport
    after: AnalysisReport
    before_template: LoadedTemplate
    after_template: LoadedTemplate
    change_set: ChangeSet
    functions: tuple[FunctionAnalysis, ...]
    packages: tuple[FunctionPackage, ...]
    drafts: tuple[FunctionDraft, ...]
    sizes: Mapping[str, PackageSize]
    imports: Mapping[str, ImportTiming]
    verification: Verification
    measured: MeasuredOn


def assemble(facts: Facts) -> DryRunReport:
    """The report of one dry run."""
    monolith = _function(facts.before, facts.plan.monolith)
    extracted_ids = tuple(f.logical_id for f in facts.plan.extracted)
    moved = {r for f in facts.plan.extracted for r in f.routes}
    kept = tuple(r for r in monolith.routes if r.id not in moved)
    after_spec = next((s for s in facts.after_template.functions if s.logical_id == facts.plan.monolith), monolith.spec)
    before_role = role_breadth(
        role_policies(monolith.spec, facts.before_template.resources), facts.before_template.resources
    )
    after_role = role_breadth(role_policies(after_spec, facts.after_template.resources), facts.after_template.resources)
    monolith_before = Profile(
        facts.plan.monolith, "before", len(monolith.routes), facts.sizes[BEFORE], facts.imports[BEFORE], before_role
    )
    monolith_after = Profile(
        facts.plan.monolith, "after", len(kept), facts.sizes[AFTER], facts.imports[AFTER], after_role
    )
    functions = tuple(
        _split_function(facts, analysis, monolith, before_role)
        for analysis in facts.functions
        if analysis.spec.logical_id in extracted_ids
    )
    changes = tuple(_change(c) for c in facts.change_set.changes)
    summary = Summary(
        routes=len(monolith.routes),
        functions=len(facts.plan.functions),
        extracted=extracted_ids,
        extracted_routes=len(monolith.routes) - len(kept),
        kept_routes=len(kept),
        changed_files=len(changes),
        findings_before=_counts(facts.before.findings),
        findings_after=_counts((*facts.after.findings, *facts.change_set.findings)),
        incomplete_policies=sum(1 for f in functions if not f.policy_complete),
    )
    resources = facts.before_template.resources
    groups_after = [(f.spec.logical_id or "", True, f.routes) for f in facts.functions]
    return DryRunReport(
        generator=facts.generator,
        project=facts.project,
        template=facts.before_template.path,
        monolith=facts.plan.monolith,
        plan_file=facts.plan_file,
        summary=summary,
        monolith_before=monolith_before,
        monolith_after=monolith_after,
        functions=functions,
        before=diagram("Before", [(facts.plan.monolith, False, monolith.routes)], resources),
        after=diagram("After", [*groups_after, (facts.plan.monolith, False, kept)], resources),
        changes=changes,
        findings=tuple(
            [*(_finding(f, "analysis") for f in facts.before.findings)]
            + [_finding(f, "apply") for f in facts.change_set.findings]
        ),
        verification=facts.verification,
        measured=facts.measured,
    )


def _function(report: AnalysisReport, logical_id: str) -> FunctionAnalysis:
    found = next((f for f in report.functions if f.spec.logical_id == logical_id), None)
    if found is None:
        raise ValueError(f"{logical_id} is not a function of the analysis")
    return found


def _split_function(
    facts: Facts, analysis: FunctionAnalysis, monolith: FunctionAnalysis, monolith_role: RoleBreadth
) -> SplitFunction:
    logical_id = analysis.spec.logical_id or ""
    package = next(p for p in facts.packages if p.logical_id == logical_id)
    draft = next(d for d in facts.drafts if d.plan.logical_id == logical_id)
    resources = facts.after_template.resources
    role = role_breadth(list(draft.policies), resources)
    routes = tuple(
        ReportRoute(r.id, r.entry, str(r.location), r.trigger.event, logical_id, True, r.policy_complete)
        for r in analysis.routes
    )
    grants = tuple(
        dict.fromkeys(
            Grant(p.action, p.resource, str(p.location), p.via) for r in analysis.routes for p in r.permissions
        )
    )
    gaps = tuple(
        dict.fromkeys(f"{g.rule} at {g.location}" if g.location else g.rule for r in analysis.routes for g in r.gaps)
    )
    values = dict(monolith.spec.environment)
    code_uri = analysis.spec.code_uri.rstrip("/")
    verification = tuple(
        facts.verification.of_route(r.id) or RouteVerification(r.id, logical_id, "not run") for r in routes
    )
    profile = Profile(logical_id, "new", len(routes), facts.sizes[logical_id], facts.imports[logical_id], role)
    monolith_policies = role_policies(monolith.spec, facts.before_template.resources) or []
    return SplitFunction(
        logical_id=logical_id,
        handler=draft.handler,
        module=draft.plan.module,
        routes=routes,
        grants=grants,
        policies=tuple(plain(list(draft.policies))),
        policy_diff=_diff(
            policy_yaml(monolith_policies),
            policy_yaml(draft.policies),
            f"{facts.plan.monolith} Policies",
            f"{logical_id} Policies",
        ),
        policy_complete=all(r.policy_complete for r in analysis.routes),
        gaps=gaps,
        no_longer=role_delta(monolith_role, role),
        modules=package.modules,
        files=tuple(f"{code_uri}/{f}" if code_uri not in ("", ".") else f for f in package.files),
        requirements=package.distributions,
        environment=tuple(
            EnvironmentVariable(name, spelled(values[name]) if name in values else None) for name in package.environment
        ),
        deployment=draft.plan.deployment,
        recursive_loop=draft.recursive_loop,
        profile=profile,
        verification=verification,
    )


# ------------------------------------------------------------------------------------------- the picture
def diagram(title: str, groups: Sequence[tuple[str, bool, Sequence[Route]]], resources: Mapping[str, Any]) -> Diagram:
    """Routes -> functions -> resources: one group per function (its logical id, whether it is new, its routes)."""
    nodes: list[DiagramNode] = []
    edges: list[DiagramEdge] = []
    resource_ids: dict[str, str] = {}
    resource_nodes: list[DiagramNode] = []
    counter = {"route": 0, "function": 0, "more": 0}
    for logical_id, new, routes in groups:
        counter["function"] += 1
        function_id = f"f{counter['function']}"
        shown = routes if len(routes) <= ROUTES_DRAWN else routes[: ROUTES_DRAWN - 1]
        for route in shown:
            counter["route"] += 1
            nodes.append(DiagramNode(f"r{counter['route']}", "route", route.id, route.trigger.type, highlight=new))
            edges.append(DiagramEdge(f"r{counter['route']}", function_id))
        if len(shown) < len(routes):
            counter["more"] += 1
            left = len(routes) - len(shown)
            nodes.append(DiagramNode(f"m{counter['more']}", "more", f"+{left} more routes", None, highlight=new))
            edges.append(DiagramEdge(f"m{counter['more']}", function_id))
        detail = "new function" if new else f"{len(routes)} route{'s' if len(routes) != 1 else ''}"
        nodes.append(DiagramNode(function_id, "function", logical_id, detail, highlight=new))
        access: dict[str, set[str]] = {}
        for route in routes:
            for permission in route.permissions:
                key = _resource_key(permission.resource, resources)
                if key not in resource_ids:
                    resource_ids[key] = f"s{len(resource_ids) + 1}"
                    resource_nodes.append(
                        DiagramNode(resource_ids[key], "resource", key, _resource_detail(key, resources))
                    )
                access.setdefault(key, set()).add(access_level(permission.action) or permission.action)
        edges.extend(
            DiagramEdge(function_id, resource_ids[key], ", ".join(sorted(levels))) for key, levels in access.items()
        )
    return Diagram(title, (*nodes, *resource_nodes), tuple(edges))


def _resource_key(resource: str, resources: Mapping[str, Any]) -> str:
    head = resource.split("/", 1)[0]
    return head if head in resources else resource


def _resource_detail(key: str, resources: Mapping[str, Any]) -> str:
    if key == "*":
        return "any resource"
    resource = resources.get(key)
    kind = resource.get("Type") if isinstance(resource, Mapping) else None
    return str(kind).removeprefix("AWS::") if kind else "not in the template"


# ------------------------------------------------------------------------------------------- small values
def policy_yaml(policies: Iterable[Any]) -> str:
    """A `Policies` list as the template spells it (short-form intrinsics)."""
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)
    out = io.StringIO()
    yaml.dump(short_form(plain(list(policies))), out)
    return out.getvalue()


def _diff(before: str, after: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), old, new, n=50)
    return "".join(lines)


def spelled(value: Any) -> str:
    """A template value as a person reads it: `!Ref OrdersTable`, `!Sub "..."`, or the literal."""
    if isinstance(value, str):
        return str(value)  # the decoder's str subclass, as a plain str
    if isinstance(value, Mapping) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "Ref" and isinstance(inner, str):
            return f"!Ref {inner}"
        if key == "Fn::GetAtt":
            return "!GetAtt " + (".".join(map(str, inner)) if isinstance(inner, list) else str(inner))
        if key == "Fn::Sub" and isinstance(inner, str):
            return f"!Sub {json.dumps(inner)}"
    return json.dumps(plain(value), sort_keys=True)


def _change(change: Any) -> ReportChange:
    diff = change.diff()
    body = [line for line in diff.splitlines() if not line.startswith(("+++ ", "--- "))]
    added = sum(1 for line in body if line.startswith("+"))
    removed = sum(1 for line in body if line.startswith("-"))
    return ReportChange(change.path, change.kind, change.part, change.generated, diff, added, removed)


def _finding(finding: Finding, source: str) -> ReportFinding:
    location = str(finding.location) if finding.location else None
    return ReportFinding(finding.rule, str(finding.severity), finding.message, location, finding.all_routes, source)


def _counts(findings: Iterable[Finding]) -> SeverityCounts:
    listed = list(findings)
    return SeverityCounts(
        error=sum(1 for f in listed if f.severity is Severity.ERROR),
        warning=sum(1 for f in listed if f.severity is Severity.WARNING),
        info=sum(1 for f in listed if f.severity is Severity.INFO),
    )
