"""`lambda-monolith`: one function serving many routes or event sources.

Evidence, all measured: the routes (by trigger type), the package (bytes of the CodeUri's Python files, and
of the reached distributions when they are installed here), how little of it each route needs, and how much
broader the role is than the routes need: the IAM actions the role grants (action wildcards expanded with
AWS's catalogue, `decompose.iam.actions`) against the distinct actions the routes' least-privilege policies
hold. A function whose routes all run the same entry (several queues feeding one processor) is one task, not
a monolith, and is not reported.
"""

from __future__ import annotations

import functools
import importlib.metadata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from decompose.domain.model import Finding, FunctionAnalysis, Severity
from decompose.iam.actions import catalogue_available, expand_action
from decompose.iam.monolith import granted_statements, role_policies
from decompose.rules.base import Rule
from decompose.rules.context import RuleContext
from decompose.rules.data import guidance, rules_data

SHOWN_ROUTES = 6


class LambdaMonolithRule(Rule):
    id: ClassVar[str] = "lambda-monolith"
    severity: ClassVar[Severity] = Severity.WARNING
    title: ClassVar[str] = "One function serves many routes or event sources"
    rationale: ClassVar[str] = (
        "A function that contains the code of every path is a bigger package, slower for Lambda to start; its "
        "execution role must allow everything any path needs, so most paths run with permissions they never "
        "use; and every change to one path is a deployment of all of them, harder to test, upgrade and share "
        "between developers."
    )
    fix: ClassVar[str] = (
        "Split it route by route (`decompose plan`): one function per well-defined task, each with only the "
        "code, distributions and least-privilege permissions its routes need."
    )
    source: ClassVar[str] = guidance("lambda-monolith")
    needs_calls: ClassVar[bool] = False

    def check(self, context: RuleContext) -> Iterator[Finding]:
        data = rules_data()["monolith"]
        for function in context.report.functions:
            routes = function.routes
            entries = {r.entry for r in routes}
            if len(routes) < data["min_routes"] or len(entries) < 2:
                continue
            kinds = Counter(r.trigger.type for r in routes)
            mixed = any(r.trigger.is_http for r in routes) and any(not r.trigger.is_http for r in routes)
            severity = Severity.WARNING if len(routes) >= data["warning_routes"] or mixed else Severity.INFO
            spec = function.spec
            name = spec.logical_id or spec.handler
            shown = ", ".join(r.id for r in routes[:SHOWN_ROUTES]) + (", ..." if len(routes) > SHOWN_ROUTES else "")
            evidence = [
                f"routes: {len(routes)} ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}): {shown}",
                *_package(context, function),
                _role(context, function),
            ]
            message = (
                f"{name} serves {len(routes)} routes through {len(entries)} entry points"
                f"{' and both HTTP and event sources' if mixed else ''}: one package, one role and one deployment"
                " for all of them"
            )
            yield self.finding(
                message, context.function_location(spec), evidence=[e for e in evidence if e], severity=severity
            )


def _package(context: RuleContext, function: FunctionAnalysis) -> list[str]:
    """The package's size and how much of it the routes need (None-free lines)."""
    code = context.code.get(function.spec.code_uri)
    root = context.root
    if code is None or root is None:
        return []
    sizes = {name: _size(root / module.path) for name, module in code.symbols.tree.modules.items()}
    total = sum(sizes.values())
    needs = {r.id: sum(sizes.get(m, 0) for m in r.reach.modules) for r in function.routes}
    smallest = min(needs.items(), key=lambda item: (item[1], item[0]))
    largest = max(needs.items(), key=lambda item: (item[1], item[0]))
    lines = [
        f"package: {len(sizes)} Python files, {_bytes(total)} under {function.spec.code_uri}/;"
        f" the routes need {_bytes(smallest[1])} ({smallest[0]}) to {_bytes(largest[1])} ({largest[0]}) of it"
    ]
    distributions = sorted({d for r in function.routes for d in r.reach.distributions})
    if distributions:
        parts = []
        for name in distributions:
            size = _installed_size(name)
            users = sum(1 for r in function.routes if name in r.reach.distributions)
            shown = f"{name} {_bytes(size)}" if size is not None else f"{name} (size unknown: not installed here)"
            parts.append(f"{shown}, {users}/{len(function.routes)} routes")
        lines.append(f"distributions (installed size): {'; '.join(parts)}")
    return lines


def _role(context: RuleContext, function: FunctionAnalysis) -> str:
    spec = function.spec
    if not context.report.iam:
        return "role: not compared (--no-iam)"
    if context.template is None:
        return "role: no template (code-only analysis), not compared"
    policies = role_policies(spec, context.resources)
    if policies is None:
        return "role: defined outside the template, not compared"
    if not catalogue_available():
        return "role: not counted (parliament's IAM action catalogue is not installed)"
    statements, problems = granted_statements(policies)
    granted: set[str] = set()
    for statement in statements:
        for pattern in statement.actions:
            granted |= expand_action(pattern) or set()
    needed = {p.action for r in function.routes for p in r.permissions}
    unread = f"; {len(problems)} entries not read" if problems else ""
    return (
        f"role: grants {len(granted)} IAM actions in {len(statements)} statements{unread};"
        f" its {len(function.routes)} routes need {len(needed)} ({', '.join(sorted(needed)) or 'none'})"
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@functools.cache
def _installed_size(name: str) -> int | None:
    try:
        files = importlib.metadata.distribution(name).files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    return sum(f.size or 0 for f in files) or None


def _bytes(size: int | None) -> str:
    if size is None:
        return "?"
    for unit, scale in (("MB", 1_000_000), ("kB", 1_000)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"
