"""The stable JSON document of `decompose analyze --format json` (version 1, documented in the README)."""

from __future__ import annotations

import json
from typing import Any

from decompose.domain.iam import Permission
from decompose.domain.model import AnalysisReport, Finding, FunctionAnalysis, Route, Trigger, plain
from decompose.rules import built_in_rules

FORMAT_VERSION = 1


def to_document(report: AnalysisReport) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "template": report.template,
        "iam": report.iam,
        "functions": [_function(f, report.loop_guards, iam=report.iam) for f in report.functions],
        "findings": [_finding(f) for f in report.findings],
        "rules": [rule.metadata() for rule in built_in_rules() if rule.id in {f.rule for f in report.findings}],
    }


def render_json(report: AnalysisReport) -> str:
    return json.dumps(to_document(report), indent=2) + "\n"


def _function(
    analysis: FunctionAnalysis, loop_guards: tuple[tuple[str | None, str], ...], *, iam: bool
) -> dict[str, Any]:
    spec = analysis.spec
    return {
        "logical_id": spec.logical_id,
        "handler": spec.handler,
        "code_uri": spec.code_uri,
        "runtime": spec.runtime,
        "dispatch": list(analysis.dispatch_styles),
        "routes": [_route(r, iam=iam) for r in analysis.routes],
        "loop_guards": sorted(route for owner, route in loop_guards if owner == spec.logical_id),
    }


def _route(route: Route, *, iam: bool) -> dict[str, Any]:
    return {
        "id": route.id,
        "trigger": trigger_document(route.trigger),
        "dispatch": route.dispatch,
        "entry": route.entry,
        "location": str(route.location),
        "modules": list(route.reach.modules),
        "distributions": list(route.reach.distributions),
        "definitions": list(route.reach.definitions),
        "permissions": [_permission(p) for p in route.permissions],
        "policies": plain(list(route.policies)),
        "policy_complete": route.policy_complete if iam else None,
        "gaps": [{"rule": g.rule, "location": str(g.location) if g.location else None} for g in route.gaps],
    }


def _permission(permission: Permission) -> dict[str, Any]:
    return {
        "action": permission.action,
        "resource": permission.resource,
        "arn": plain(permission.arn),
        "location": str(permission.location),
        "via": permission.via,
    }


def trigger_document(trigger: Trigger) -> dict[str, Any]:
    if trigger.is_http:
        return {"type": trigger.type, "method": trigger.method, "path": trigger.path, "event": trigger.event}
    return {"type": trigger.type, "source": trigger.source, "event": trigger.event}


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": str(finding.severity),
        "message": finding.message,
        "location": str(finding.location) if finding.location else None,
        "route": finding.route,
        "routes": list(finding.all_routes),
        "evidence": list(finding.evidence),
        "fix": finding.fix,
    }
