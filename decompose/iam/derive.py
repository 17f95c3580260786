"""The IAM use case for one route: SDK calls -> IAM actions -> permissions on template resources ->
a SAM policy list, checked against what the monolith's own role grants."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from decompose.analysis.graph import DefinitionGraph
from decompose.analysis.symbols import SymbolTable
from decompose.domain.iam import LibraryCall, Permission, SdkCall
from decompose.domain.model import Finding, FunctionSpec, Severity, Trigger
from decompose.iam.binding import bind_all
from decompose.iam.kms import kms_permissions
from decompose.iam.mapping import actions_for
from decompose.iam.monolith import GrantedStatement, covers
from decompose.iam.policy import build_policies
from decompose.iam.sdk_calls import InferenceMemo, LibraryTable, SdkCallFinder


@dataclass(frozen=True)
class RoutePolicy:
    calls: tuple[SdkCall, ...]
    permissions: tuple[Permission, ...]
    policies: tuple[Any, ...]
    findings: tuple[Finding, ...]
    library_calls: tuple[LibraryCall, ...] = ()


def derive_route_policy(
    *,
    symbols: SymbolTable,
    graph: DefinitionGraph,
    reached: Iterable[str],
    entry: str,
    spec: FunctionSpec,
    resources: Mapping[str, Any],
    trigger: Trigger,
    monolith: Sequence[GrantedStatement] | None,
    memo: InferenceMemo | None = None,
    library: LibraryTable | None = None,
    passed: Any = None,
) -> RoutePolicy:
    """Everything IAM about one route, from the definitions it reaches (and the `library` calls it makes)."""
    route = trigger.route_id
    finder = SdkCallFinder(symbols, graph, reached, entry, memo, library=library, passed=passed)
    calls = finder.calls()
    permissions: dict[tuple[str, str, str, str], Permission] = {}
    findings: list[Finding] = []
    for call in calls:
        for need in actions_for(call):
            for permission, finding in bind_all(
                need, call=call, spec=spec, resources=resources, trigger=trigger, route=route
            ):
                for granted in (permission, *kms_permissions(call, permission, resources)):
                    key = (granted.action, granted.resource, str(granted.location), granted.via)
                    permissions.setdefault(key, granted)
                if finding is not None:
                    findings.append(finding)
    ordered = tuple(sorted(permissions.values(), key=lambda p: (p.action, p.resource, p.location)))
    if monolith is not None:
        findings.extend(_beyond_monolith(ordered, monolith, resources, spec, route))
    policies = tuple(build_policies(ordered, trigger, resources))
    return RoutePolicy(tuple(calls), ordered, policies, tuple(findings), tuple(finder.library_calls()))


def _beyond_monolith(
    permissions: Iterable[Permission],
    granted: Sequence[GrantedStatement],
    resources: Mapping[str, Any],
    spec: FunctionSpec,
    route: str,
) -> list[Finding]:
    out = []
    seen: set[tuple[str, str]] = set()
    for permission in permissions:
        if (permission.action, permission.resource) in seen or covers(
            granted, permission.action, permission.arn, resources
        ):
            continue
        seen.add((permission.action, permission.resource))
        out.append(
            Finding(
                "beyond-monolith-role",
                Severity.WARNING,
                f"{permission.action} on {permission.resource} is not granted to {spec.logical_id} either:"
                " the monolith would fail here too (not added silently)",
                permission.location,
                route,
            )
        )
    return out
