"""Refactor a copy of an app and generate its handlers, the way `apply` runs the two stages (no writer yet:
the handlers are written straight into the copy), and re-analyze each generated handler as a function."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from decompose import pipeline
from decompose.domain.model import FunctionAnalysis, Route
from decompose.domain.plan import FunctionPlan, GeneratedHandler, Plan
from decompose.generation.handlers import generate_handlers
from decompose.pipeline import analyze
from decompose.refactoring import RefactorResult, refactor


def logical_id(route_id: str) -> str:
    """`GET /orders/{order_id}` -> `GetOrdersOrderIdFunction` (tests only; planning owns the real rule)."""
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", route_id)) + "Function"


@dataclass
class Split:
    root: Path
    monolith: FunctionAnalysis  # analyzed before this run's refactor
    plan: Plan
    result: RefactorResult
    handlers: list[GeneratedHandler]

    @property
    def code_root(self) -> Path:
        return self.root / self.monolith.spec.code_uri


def split(root: Path, routes: list[str | tuple[str, ...]]) -> Split:
    """Extract `routes` (one function each; a tuple of routes is one function) from the app at `root`, in
    place."""
    monolith = analyze(root, iam=False).functions[0]
    groups = [(r,) if isinstance(r, str) else tuple(r) for r in routes]
    grouped = {route for group in groups for route in group}
    rest = [(r,) for r in sorted(x.id for x in monolith.routes) if r not in grouped]
    functions = tuple(
        FunctionPlan(logical_id(" ".join(group)), group, extract=group in groups) for group in sorted([*groups, *rest])
    )
    plan = Plan(monolith.spec.logical_id or "", functions)
    code_root = root / monolith.spec.code_uri
    result = refactor(code_root, monolith, plan)
    handlers = generate_handlers(code_root, monolith.spec, plan, project_root=root)
    for handler in handlers:
        path = code_root / handler.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not (path.parent / "__init__.py").exists():
            (path.parent / "__init__.py").write_text("")
        path.write_text(handler.text)
    return Split(root, monolith, plan, result, handlers)


def reanalyze(outcome: Split, handler: GeneratedHandler) -> FunctionAnalysis:
    """The generated handler analyzed as a function of its own, with the monolith's events it takes over."""
    root, spec = outcome.root, outcome.monolith.spec
    mine = [r for r in outcome.monolith.routes if r.id in handler.routes]
    events = tuple(e for e in spec.events if e.name in {r.trigger.event for r in mine})
    function = replace(spec, logical_id=handler.logical_id, handler=handler.handler, events=events)
    report = pipeline.analyze_specs(root, "template.yaml", [function], iam=False)
    assert len(report.functions) == 1, report.findings
    return report.functions[0]


def entries(routes: tuple[Route, ...]) -> dict[str, str]:
    return {r.id: r.entry for r in routes}


def ruff(code_root: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    """`ruff check --select E,F,W,I` with the app's code root as first-party and its line length (120)."""
    config = code_root.parent / "ruff-check.toml"
    config.write_text(f'line-length = 120\nsrc = ["{code_root}"]\n[lint]\nselect = ["E", "F", "W", "I"]\n')
    command = [sys.executable, "-m", "ruff", "check", "--config", str(config), *(str(p) for p in paths or [code_root])]
    return subprocess.run(command, capture_output=True, text=True, check=False)
