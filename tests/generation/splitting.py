"""Build the split's input by hand (handlers written by the test, drafts computed from a real analysis).

`split(root, monolith, functions)` does what `decompose apply` does around the template and packages stages:
analyze the monolith, add each new function to the template (with every monolith variable, so the
re-analysis binds its resources), re-analyze the new functions on the result, build their packages, and
edit the original template again with the final drafts (policies from the re-analysis, environment from the
packages). It writes the template and the package files into `root`, and returns what it computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from decompose.domain.model import FunctionAnalysis
from decompose.domain.plan import Deployment, FunctionDraft, FunctionPlan, Plan
from decompose.generation.packages import Packaging, build_packages
from decompose.generation.template import edit_template
from decompose.pipeline import analyze


@dataclass(frozen=True)
class Wanted:
    """A function the test extracts: its routes, the handler it wrote, deployment and overrides."""

    routes: tuple[str, ...]
    handler: str
    deployment: Deployment = field(default_factory=Deployment)
    architectures: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Split:
    plan: Plan
    monolith: FunctionAnalysis
    functions: tuple[FunctionAnalysis, ...]
    packaging: Packaging
    drafts: tuple[FunctionDraft, ...]
    before: str
    after: str


def drafts_for(
    monolith: FunctionAnalysis, plan: Plan, functions: dict[str, FunctionAnalysis] | None, packaging: Packaging | None
) -> tuple[FunctionDraft, ...]:
    """One draft per planned function: events from the monolith's routes, policies from the re-analysis."""
    routes = {r.id: r for r in monolith.routes}
    drafts = []
    for function in plan.functions:
        events = tuple(dict.fromkeys(e for r in function.routes if (e := routes[r].trigger.event)))
        policies: list[object] = []
        if functions is not None:
            for route in functions[function.logical_id].routes:
                policies.extend(p for p in route.policies if p not in policies)
        environment = (
            packaging.package(function.logical_id).environment
            if packaging is not None
            else tuple(str(k) for k, _ in monolith.spec.environment)
        )
        handler = f"{function.handler}.lambda_handler"
        drafts.append(
            FunctionDraft(function, handler, monolith.spec.code_uri, events, tuple(policies), environment, "makefile")
        )
    return tuple(drafts)


def split(root: Path, monolith_id: str, wanted: dict[str, Wanted], template: str = "template.yaml") -> Split:
    """Extract `wanted` from `monolith_id` in the project at `root` (edited in place)."""
    template_path = root / template
    before = template_path.read_text(encoding="utf-8")
    monolith = analyze(root, function=monolith_id).functions[0]
    plan = Plan(
        monolith_id,
        tuple(
            FunctionPlan(
                logical_id,
                w.routes,
                extract=True,
                handler=w.handler.rpartition(".")[0],
                deployment=w.deployment,
                architectures=w.architectures,
            )
            for logical_id, w in wanted.items()
        ),
    )
    first = edit_template(before, template, plan, monolith.spec, drafts_for(monolith, plan, None, None))
    template_path.write_text(first, encoding="utf-8")
    report = analyze(root)
    functions = {f.spec.logical_id: f for f in report.functions if f.spec.logical_id in wanted}
    code_root = root / monolith.spec.code_uri
    packaging = build_packages(code_root, list(functions.values()), root=root, plan=plan, monolith=monolith.spec)
    drafts = drafts_for(monolith, plan, functions, packaging)
    after = edit_template(before, template, plan, monolith.spec, drafts)
    template_path.write_text(after, encoding="utf-8")
    for rel, text in packaging.files:
        target = code_root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return Split(plan, monolith, tuple(functions.values()), packaging, drafts, before, after)
