"""Anti-pattern rules: the four other anti-patterns of AWS's guidance on event-driven Lambda applications,
and the monolith itself, found with evidence by the analysis that splits a monolith.

Each rule (`base.Rule`) carries its metadata (id, severity, a rationale citing the cost, a fix, the guidance it
cites) and yields findings with file:line and evidence, like a cfn-lint rule. They are registered in one
explicit list (`built_in_rules`) and read a `RuleContext`: the analysis report, each route's SDK calls with
their parameters and the permissions bound to them (from the IAM stage), its library calls (sleeps, HTTP
requests), the template's resources and events, and the parsed code. What the rules take as facts (which
writes fire which trigger, which sources AWS loop detection covers, which calls wait) is data,
`data/antipatterns.json`, each table citing its source.

`apply_rules` is the stage the pipeline runs last: it adds the findings to the report (a finding at one call
site reached by several routes is reported once) and records the routes whose split functions need
`RecursiveLoop: Terminate` (`AnalysisReport.loop_guards`; `recursive_trigger.loop_guard` answers for a
planned function).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from decompose.domain.model import AnalysisReport, Finding, Severity
from decompose.rules.base import Rule
from decompose.rules.context import CodeView, RuleContext
from decompose.rules.data import library_table
from decompose.rules.function_calls import FunctionCallsFunctionRule
from decompose.rules.monolith import LambdaMonolithRule
from decompose.rules.orchestrator import FunctionOrchestratorRule
from decompose.rules.recursive_trigger import RecursiveTriggerRule, loop_guard, loop_guards
from decompose.rules.waits import SynchronousWaitRule

__all__ = [
    "CodeView",
    "Rule",
    "RuleContext",
    "apply_rules",
    "built_in_rules",
    "library_table",
    "loop_guard",
    "rule_ids",
]

SKIPPED = "anti-patterns-skipped"


def built_in_rules() -> list[Rule]:
    """Every built-in rule, in report order."""
    return [
        LambdaMonolithRule(),
        RecursiveTriggerRule(),
        FunctionCallsFunctionRule(),
        SynchronousWaitRule(),
        FunctionOrchestratorRule(),
    ]


def rule_ids() -> frozenset[str]:
    return frozenset(rule.id for rule in built_in_rules())


def apply_rules(context: RuleContext, rules: Sequence[Rule] | None = None) -> AnalysisReport:
    """The report with every rule's findings added (sorted like the rest) and its loop guards set."""
    rules = built_in_rules() if rules is None else rules
    report = context.report
    found: list[Finding] = []
    skipped = [rule.id for rule in rules if rule.needs_calls and not report.iam]
    for rule in rules:
        if rule.id not in skipped:
            found.extend(rule.check(context))
    if skipped and any(f.routes for f in report.functions):
        message = f"{', '.join(skipped)} read the SDK calls of the IAM stage: not checked with --no-iam"
        found.append(Finding(SKIPPED, Severity.INFO, message))
    findings = sorted([*report.findings, *_merged(found)], key=lambda f: f.sort_key)
    guards = loop_guards(context) if report.iam and any(r.id == RecursiveTriggerRule.id for r in rules) else ()
    return replace(report, findings=tuple(findings), loop_guards=guards)


def _merged(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per rule, place and message: the routes that reach a shared call site are listed once."""
    groups: dict[tuple, list[Finding]] = {}
    for finding in findings:
        key = (finding.rule, finding.location, finding.message, finding.evidence, finding.fix)
        groups.setdefault(key, []).append(finding)
    out = []
    for group in groups.values():
        routes = sorted({f.route for f in group if f.route})
        first = group[0]
        if len(routes) <= 1:
            out.append(first)
            continue
        evidence = (*first.evidence, f"reached by {len(routes)} routes: {', '.join(routes)}")
        out.append(replace(first, route=None, evidence=evidence))
    return out
