"""Match the routes the code dispatches to the events the template declares.

A code route becomes one `Trigger` per template event that routes exactly it (HTTP: same method, or `ANY`,
and the same path up to parameter names; others: same event type and source). What does not line up is a
finding: a code route no event reaches, an event no code route serves, and catch-all events, which hide
routes from the template and matter for a strangler-fig split.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from decompose.analysis.dispatch.base import EVENT_SOURCE_TYPES, HTTP, RECORDS, CodeRoute
from decompose.domain.model import Finding, FunctionSpec, Location, Severity, Trigger, TriggerEvent

_PARAM = re.compile(r"\{[^}+]+\}")


@dataclass(frozen=True)
class MatchedRoute:
    """A code route with the trigger it gets from the template (or from the code alone)."""

    code: CodeRoute
    trigger: Trigger


def match_triggers(
    spec: FunctionSpec,
    routes: list[CodeRoute],
    template: str | None,
    location_of: Callable[[CodeRoute], Location],
    others: Sequence[FunctionSpec] = (),
) -> tuple[list[MatchedRoute], list[Finding]]:
    """Pair code routes with template events; `location_of` tells where a route's entry is.

    `others` are the template's other functions: a route with no event of its own whose exact event belongs
    to one of them has been extracted (`decompose apply`), and is reported as `route-extracted` (info), not
    as a route no event reaches. The monolith keeps the branch so it can still serve the route on rollback.
    """
    matched: list[MatchedRoute] = []
    findings: list[Finding] = []
    served: set[str] = set()
    greedy = [e for e in spec.events if e.is_http and (e.path is None or e.path.endswith("{proxy+}"))]
    by_path: dict[str, list[TriggerEvent]] = {}
    for event in spec.events:
        if event.is_http and event.path is not None:
            by_path.setdefault(path_shape(event.path), []).append(event)
    for route in routes:
        c = route.constraint
        events = list(_http_events(by_path, spec, route) if c.kind == HTTP else _other_events(spec, route))
        if events:
            for event in events:
                served.add(event.name)
                matched.append(MatchedRoute(route, _trigger_for(route, event)))
            continue
        where = location_of(route)
        covering = [e for e in greedy if e.covers(c.path or "/")] if c.kind == HTTP else []
        elsewhere = _served_elsewhere(others, spec, route)
        if elsewhere is not None:
            owner, event = elsewhere
            trigger = replace(_trigger_for(route, event), event=None)
            message = f"served by {owner.logical_id} (event {event.name}); the monolith keeps its branch"
            findings.append(Finding("route-extracted", Severity.INFO, message, where, trigger.route_id))
        elif covering:
            event = max(covering, key=lambda e: len(e.path or ""))  # the most specific greedy event wins
            trigger = Trigger(event.type, c.method or "ANY", c.path or "/{proxy+}", event=event.name)
            findings.append(
                Finding(
                    "route-behind-catch-all",
                    Severity.INFO,
                    f"served through the catch-all event {event.name}",
                    where,
                    trigger.route_id,
                )
            )
        else:
            trigger = _code_trigger(route)
            if template is not None:
                findings.append(
                    Finding(
                        "route-without-event",
                        Severity.WARNING,
                        "no event of the template routes here",
                        where,
                        trigger.route_id,
                    )
                )
        matched.append(MatchedRoute(route, trigger))
    if template is not None:
        findings.extend(_template_findings(spec, served, template))
    return matched, findings


def _served_elsewhere(
    others: Sequence[FunctionSpec], spec: FunctionSpec, route: CodeRoute
) -> tuple[FunctionSpec, TriggerEvent] | None:
    """The other function of the template, and its event, that routes exactly `route` (HTTP with a path, or
    a specific event source), if any."""
    c = route.constraint
    if (c.kind == HTTP and c.path is None) or c.kind == RECORDS:
        return None
    for other in others:
        if other.logical_id == spec.logical_id:
            continue
        if c.kind == HTTP:
            by_path: dict[str, list[TriggerEvent]] = {}
            for event in other.events:
                if event.is_http and event.path is not None:  # same path shape only: greedy events never cover
                    by_path.setdefault(path_shape(event.path), []).append(event)
            found = next(_http_events(by_path, other, route), None)
        else:
            found = next(_other_events(other, route), None)
        if found is not None:
            return other, found
    return None


def direct_routes(spec: FunctionSpec, handler: CodeRoute) -> list[MatchedRoute]:
    """A handler without dispatch serves every event it has as it is (or, with none, direct invokes)."""
    if not spec.events:
        return [MatchedRoute(handler, Trigger("Invoke", source=spec.logical_id or spec.handler))]
    return [MatchedRoute(handler, _event_trigger(e)) for e in spec.events]


def _http_events(
    by_path: dict[str, list[TriggerEvent]], spec: FunctionSpec, route: CodeRoute
) -> Iterator[TriggerEvent]:
    c = route.constraint
    candidates = (
        by_path.get(path_shape(c.path), []) if c.path is not None else [e for e in spec.events if e.is_http and e.path]
    )
    for event in candidates:
        if c.method not in (None, "ANY") and event.method not in ("ANY", c.method):
            continue
        yield event


def _other_events(spec: FunctionSpec, route: CodeRoute) -> Iterator[TriggerEvent]:
    c = route.constraint
    for event in spec.events:
        if c.kind == RECORDS:
            if event.type in EVENT_SOURCE_TYPES.values():
                yield event
        elif c.kind == "Schedule":
            if event.type in ("Schedule", "ScheduleV2"):
                yield event
        elif c.kind == "EventBridgeRule":
            if event.type == "EventBridgeRule" and _pattern_matches(event, c.source or "*"):
                yield event
        elif c.kind == "WebSocket":
            if event.type == "WebSocket" and event.source == c.source:
                yield event
        elif event.type == c.kind:
            yield event


def _pattern_matches(event: TriggerEvent, source: str) -> bool:
    wanted_source, _, wanted_detail = source.partition("/")
    pattern = dict(event.pattern)
    if wanted_source not in ("", "*") and "source" in pattern and wanted_source not in pattern["source"]:
        return False
    return not (wanted_detail and "detail-type" in pattern and wanted_detail not in pattern["detail-type"])


def path_shape(path: str) -> str:
    """A path with its parameter names erased: `/orders/{id}` and `/orders/{order_id}` have one shape."""
    return _PARAM.sub("{}", path.rstrip("/") or "/")


def _trigger_for(route: CodeRoute, event: TriggerEvent) -> Trigger:
    if event.is_http:
        method = route.constraint.method if route.constraint.method not in (None, "ANY") else event.method
        return Trigger(event.type, method, event.path, event=event.name)
    return _event_trigger(event)


def _event_trigger(event: TriggerEvent) -> Trigger:
    if event.is_http:
        return Trigger(event.type, event.method or "ANY", event.path or "$default", event=event.name)
    return Trigger(event.type, source=event.source, event=event.name)


def _code_trigger(route: CodeRoute) -> Trigger:
    c = route.constraint
    if c.kind == HTTP:
        kind = "HttpApi" if c.payload == "v2" else "Api"
        return Trigger(kind, c.method or "ANY", c.path or "/{proxy+}")
    return Trigger(c.kind or RECORDS, source=c.source or "*")


def _template_findings(spec: FunctionSpec, served: set[str], template: str) -> Iterator[Finding]:
    for event in spec.events:
        where = Location(template, event.line)
        if event.is_catch_all:
            yield Finding(
                "catch-all-event",
                Severity.INFO,
                f"{event.name} ({_event_trigger(event).route_id}) sends every path not routed explicitly"
                f" to {spec.logical_id}",
                where,
            )
        elif event.name not in served:
            yield Finding(
                "event-without-route",
                Severity.WARNING,
                f"event {event.name} ({_event_trigger(event).route_id}) reaches no route of the code",
                where,
            )
