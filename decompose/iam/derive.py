"""The IAM use case for one route: SDK calls -> IAM actions -> permissions on template resources ->
a SAM policy list, checked against what the monolith's own role grants."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from decompose.analysis.graph import DefinitionGraph
from decompose.analysis.symbols import SymbolTable
from decompose.domain.iam import LibraryCall, Permission, SdkCall
from decompose.domain.model import Finding, FunctionSpec, Gap, Severity, Trigger
from decompose.iam.binding import NO_RESOURCE, bind_all
from decompose.iam.completeness import RULE, unresolved_calls
from decompose.iam.kms import kms_permissions
from decompose.iam.libraries import is_sdk_library_call, library_operations
from decompose.iam.mapping import actions_for
from decompose.iam.monolith import GrantedStatement, covers, iam_match
from decompose.iam.policy import build_policies
from decompose.iam.sdk_calls import InferenceMemo, LibraryTable, SdkCallFinder
from decompose.iam.signing import signed_permissions, signed_requests


@dataclass(frozen=True)
class RoutePolicy:
    calls: tuple[SdkCall, ...]
    permissions: tuple[Permission, ...]
    policies: tuple[Any, ...]
    findings: tuple[Finding, ...]
    gaps: tuple[Gap, ...] = ()  # calls that may be AWS calls decompose could not follow (`completeness`)
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
    services: frozenset[str] | None = frozenset(),
    library: LibraryTable | None = None,
    passed: Any = None,
    shared: frozenset[str] | None = None,
) -> RoutePolicy:
    """Everything IAM about one route, from the definitions it reaches (and the `library` calls it makes).

    `services` are the services the project creates clients for (`completeness.project_services`; None:
    any): calls named like their operations on receivers the inference did not resolve are gaps. `shared`:
    the definitions other routes sharing `memo` reach too (only those are remembered; None: every one).
    """
    route = trigger.route_id
    finder = SdkCallFinder(
        symbols, graph, reached, entry, memo, library=library, passed=passed, shared=shared, services=services
    )
    calls = finder.calls()
    calls += library_operations(finder.library_calls())  # what a third-party SDK calls inside its methods
    unresolved = unresolved_calls(finder, services)
    permissions: dict[tuple[str, str, str], Permission] = {}
    findings: list[Finding] = []
    for call in calls:
        for need in actions_for(call):
            for permission, finding in bind_all(
                need, call=call, spec=spec, resources=resources, trigger=trigger, route=route
            ):
                for granted in (permission, *kms_permissions(call, permission, resources)):
                    _merge(permissions, granted)
                if finding is not None:
                    findings.append(finding)
    signed_gaps = set()
    for request, permission, why in signed_permissions(signed_requests(finder)):  # SigV4 without boto3
        if permission is None:
            findings.append(Finding(RULE, Severity.WARNING, why, request.location, route))
            signed_gaps.add(Gap(RULE, request.location))
        else:
            _merge(permissions, permission)
            findings.append(Finding("unbound-resource", Severity.WARNING, why, request.location, route))
    ordered = tuple(sorted(permissions.values(), key=lambda p: (p.action, p.resource, p.location)))
    if monolith is not None:
        findings.extend(_beyond_monolith(ordered, monolith, resources, spec, route))
    findings.extend(Finding(RULE, Severity.WARNING, u.message, u.location, route) for u in unresolved)
    gaps = tuple(sorted({Gap(RULE, u.location) for u in unresolved} | signed_gaps))
    policies = tuple(build_policies(ordered, trigger, resources))
    return RoutePolicy(
        tuple(calls),
        ordered,
        policies,
        tuple(findings),
        gaps=gaps,
        library_calls=tuple(c for c in finder.library_calls() if not is_sdk_library_call(c)),
    )


def _merge(permissions: dict[tuple[str, str, str], Permission], granted: Permission) -> None:
    """One permission per action, resource and call site: a call whose argument can come two ways that
    name the same resource (`os.environ["A"] if x else os.environ["B"]`) is one line with both ways."""
    key = (granted.action, granted.resource, str(granted.location))
    known = permissions.get(key)
    if known is None:
        permissions[key] = granted
    elif granted.via not in known.via.split(" or "):
        permissions[key] = replace(known, via=f"{known.via} or {granted.via}")


def _beyond_monolith(
    permissions: Iterable[Permission],
    granted: Sequence[GrantedStatement],
    resources: Mapping[str, Any],
    spec: FunctionSpec,
    route: str,
) -> list[Finding]:
    """Permissions the monolith's role does not grant either. decompose's own `*` for a resource it could
    not bind (`unbound-resource`) is compared by its action only: the monolith need not grant `*`, only the
    action on the resource the code really uses, which decompose does not know."""
    out = []
    seen: set[tuple[str, str]] = set()
    for permission in permissions:
        fallback = permission.resource == "*" and permission.via != NO_RESOURCE
        if (permission.action, permission.resource) in seen:
            continue
        if fallback:
            if _grants_action(granted, permission.action):
                continue
            message = (
                f"{permission.action} is not granted to {spec.logical_id} on any resource either: the monolith"
                " would fail here too (not added silently)"
            )
        elif covers(granted, permission.action, permission.arn, resources):
            continue
        else:
            elsewhere = _granted_on(granted, permission.action)
            message = (
                f"{permission.action} on {permission.resource} is not granted to {spec.logical_id} either:"
                " the monolith would fail here too (not added silently)"
                + (
                    f"; its role grants {permission.action} on {', '.join(elsewhere)}, a different resource than"
                    " the code uses"
                    if elsewhere
                    else ""
                )
            )
        seen.add((permission.action, permission.resource))
        out.append(Finding("beyond-monolith-role", Severity.WARNING, message, permission.location, route))
    return out


MAX_SHOWN = 3


def _granted_on(granted: Sequence[GrantedStatement], action: str) -> list[str]:
    """The resources the role grants `action` on (at most a few, as written: `!Ref Other`, an ARN)."""
    found: dict[str, None] = {}
    for statement in granted:
        if any(iam_match(pattern, action, case_sensitive=False) for pattern in statement.actions):
            for resource in statement.resources:
                found.setdefault(_shown(resource), None)
    names = list(found)
    return [*names[:MAX_SHOWN], f"{len(names) - MAX_SHOWN} more"] if len(names) > MAX_SHOWN else names


def _shown(resource: Any) -> str:
    """A granted resource as a reader knows it: the logical id a `!Ref`/`!GetAtt` names, else its text."""
    if isinstance(resource, Mapping) and len(resource) == 1:
        ((key, inner),) = resource.items()
        if key == "Ref" and isinstance(inner, str):
            return inner
        if key == "Fn::GetAtt":
            return str(inner[0] if isinstance(inner, list) and inner else inner).split(".")[0]
        if key == "Fn::Sub":
            return str(inner[0] if isinstance(inner, list) else inner)
    return str(resource)


def _grants_action(granted: Sequence[GrantedStatement], action: str) -> bool:
    return any(iam_match(pattern, action, case_sensitive=False) for s in granted for pattern in s.actions)
