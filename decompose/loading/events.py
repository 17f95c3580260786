"""The project's recorded events (`events/*.json`) and the route of the monolith each one triggers.

SAM projects keep sample invocations in `events/` (`sam local generate-event`, captured requests): each file is
one Lambda event, exactly as the function receives it. A file `<name>.response.json` beside `<name>.json` is the
response recorded for it (its `statusCode` is what the generated PreTraffic hook expects in the same class).

Which route an event triggers is read from the event itself, the way API Gateway and the event sources route:

- REST payload 1.0 (`httpMethod`): the route `<httpMethod> <resource>` when it exists; else the route whose
  path matches `path` (a literal segment beats a parameter, a parameter beats a greedy `{x+}`), with the same
  method or `ANY`.
- HTTP payload 2.0 (`routeKey`): the route `routeKey` (`GET /items/{id}`) when it exists; else
  `requestContext.http.method` and `rawPath`, matched as above.
- Records (`Records[0].eventSource` `aws:s3`, `aws:sqs`, `aws:sns`, `aws:dynamodb`, `aws:kinesis`): the route of
  that trigger type (`S3 ...`, `SQS ...`) when there is one; when several, the one whose template event has the
  file's name (`UploadCatalogue.json` -> event `UploadCatalogue`).
- EventBridge (`detail-type`): a `Schedule ...` route for `Scheduled Event`, else `EventBridgeRule ...`, chosen
  as records are.

An event no route matches, or that two routes match equally, is left out, never guessed.
A file that is not JSON is a finding with its line; nothing else is read from it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from decompose.domain.model import Finding, Location, Route, Severity

EVENTS_DIR = "events"
RESPONSE_SUFFIX = ".response.json"
RECORD_SOURCES = {
    "aws:s3": "S3",
    "aws:sqs": "SQS",
    "aws:sns": "SNS",
    "aws:dynamodb": "DynamoDB",
    "aws:kinesis": "Kinesis",
}  # Records[0].eventSource (EventSource for SNS) -> the trigger type of the route


@dataclass(frozen=True)
class RecordedEvent:
    """One recorded event: its file's name (without `.json`), path (relative to the project), the event, and the
    status code of the response recorded beside it, if any."""

    name: str
    path: str
    payload: Any
    status: int | None = None


def read_events(root: Path, folder: str = EVENTS_DIR) -> tuple[tuple[RecordedEvent, ...], tuple[Finding, ...]]:
    """Every event file of `root/folder` in name order (none when the folder does not exist), and a finding for
    each file that is not a JSON object."""
    directory = root / folder
    if not directory.is_dir():
        return (), ()
    events: list[RecordedEvent] = []
    findings: list[Finding] = []
    for path in sorted(directory.glob("*.json")):
        if path.name.endswith(RESPONSE_SUFFIX) or not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        payload = _json(path, rel, findings)
        if payload is None:
            continue
        response = path.with_name(path.name.removesuffix(".json") + RESPONSE_SUFFIX)
        recorded = _json(response, response.relative_to(root).as_posix(), findings) if response.is_file() else None
        status = recorded.get("statusCode") if isinstance(recorded, Mapping) else None
        status = status if isinstance(status, int) and not isinstance(status, bool) else None
        events.append(RecordedEvent(path.name.removesuffix(".json"), rel, payload, status))
    return tuple(events), tuple(findings)


def _json(path: Path, rel: str, findings: list[Finding]) -> Any:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        message = f"not JSON: {exc.msg}"
        findings.append(Finding("event-unreadable", Severity.WARNING, message, Location(rel, exc.lineno)))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        findings.append(Finding("event-unreadable", Severity.WARNING, f"cannot be read: {exc}", Location(rel, 1)))
        return None
    if not isinstance(value, dict):
        findings.append(Finding("event-unreadable", Severity.WARNING, "not a JSON object (an event)", Location(rel, 1)))
        return None
    return value


def route_of(event: RecordedEvent, routes: Sequence[Route]) -> Route | None:
    """The route of `routes` that `event` triggers, or None when none does or two do equally."""
    payload = event.payload
    if not isinstance(payload, Mapping):
        return None
    by_id = {r.id: r for r in routes}
    if isinstance(payload.get("httpMethod"), str):
        method = payload["httpMethod"].upper()
        resource = payload.get("resource")
        exact = by_id.get(f"{method} {resource}") or by_id.get(f"ANY {resource}")
        return exact or _by_path(method, payload.get("path"), routes)
    if isinstance(payload.get("routeKey"), str):
        exact = by_id.get(payload["routeKey"])
        context = payload.get("requestContext")
        http = context.get("http") if isinstance(context, Mapping) else None
        method = http.get("method") if isinstance(http, Mapping) else None
        if exact is not None or not isinstance(method, str):
            return exact
        return _by_path(method.upper(), payload.get("rawPath"), routes)
    kind = _source_kind(payload)
    if kind is None:
        return None
    candidates = [r for r in routes if r.trigger.type == kind]
    if len(candidates) == 1:
        return candidates[0]
    named = [r for r in candidates if r.trigger.event == event.name]
    return named[0] if len(named) == 1 else None


def _source_kind(payload: Mapping[str, Any]) -> str | None:
    records = payload.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], Mapping):
        source = records[0].get("eventSource") or records[0].get("EventSource")
        return RECORD_SOURCES.get(source) if isinstance(source, str) else None
    if "detail-type" in payload:
        return "Schedule" if payload.get("detail-type") == "Scheduled Event" else "EventBridgeRule"
    return None


def _by_path(method: str, path: Any, routes: Sequence[Route]) -> Route | None:
    if not isinstance(path, str):
        return None
    path = path.rstrip("/") or "/"
    scored = []
    for route in routes:
        trigger = route.trigger
        if not trigger.is_http or trigger.path is None or (trigger.method or "ANY") not in (method, "ANY"):
            continue
        score = _path_score(trigger.path, path)
        if score is not None:
            scored.append((score, trigger.method == method, route))
    if not scored:
        return None
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    best = scored[0]
    tied = [s for s in scored if (s[0], s[1]) == (best[0], best[1])]
    return best[2] if len(tied) == 1 else None


def _path_score(template: str, path: str) -> tuple[int, int] | None:
    """How specifically the route path `template` (`/orders/{id}`, `/admin/{proxy+}`) matches `path`: (literal
    segments, parameters), None when it does not match."""
    parts = [p for p in template.strip("/").split("/") if p]
    pattern, literal, parameters = "", 0, 0
    for part in parts:
        if re.fullmatch(r"\{[^}]+\+\}", part):
            pattern += "(/.+)?" if part == parts[-1] else "/[^/]+"
        elif re.fullmatch(r"\{[^}]+\}", part):
            pattern += "/[^/]+"
            parameters += 1
        else:
            pattern += "/" + re.escape(part)
            literal += 1
    if not re.fullmatch(pattern or "/?", path if pattern else path.strip("/")):
        return None
    return literal, parameters
