"""The JSON document of `decompose verify --format json` (version 1, documented in the README), and back.

`to_document` / `render_json` write a `VerifyResult`; `read_result` reads such a document (a path, or the
text itself) back into a `VerifyResult`, refusing another version or kind with a `InputError`: tools that
show verify's outcome (the dry-run report) load it with `read_result` instead of reading keys themselves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from decompose.domain.model import Location
from decompose.domain.verification import (
    DeniedCall,
    Difference,
    EventUse,
    PackageView,
    PolicyVerdict,
    RouteVerdict,
    Status,
    SynthesizedInput,
    VerifyResult,
)
from decompose.errors import InputError

FORMAT_VERSION = 1
KIND = "decompose-verify"


def to_document(result: VerifyResult) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "kind": KIND,
        "ok": result.ok,
        "template": result.template,
        "monolith": result.monolith,
        "baseline": result.baseline,
        "summary": {
            "routes": len(result.routes),
            "equivalent": result.count(Status.EQUIVALENT),
            "different": result.count(Status.DIFFERENT),
            "not_verifiable": result.count(Status.NOT_VERIFIABLE),
            "denied_calls": result.denied_calls,
        },
        "routes": [_route(r) for r in result.routes],
        "packages": [
            {"function": p.function, "files": list(p.files), "distributions": list(p.distributions), "source": p.source}
            for p in result.packages
        ],
        "world": {"created": list(result.created), "not_created": list(result.not_created)},
        "notes": list(result.notes),
        "seconds": result.seconds,
    }


def _route(verdict: RouteVerdict) -> dict[str, Any]:
    return {
        "function": verdict.function,
        "route": verdict.route,
        "status": verdict.status.value,
        "policy": verdict.policy.value,
        "reason": verdict.reason,
        "events": [
            {"name": e.name, "origin": e.origin, "file": e.file, "input": _input(e.input)} for e in verdict.events
        ],
        "differences": [
            {"event": d.event, "aspect": d.aspect, "message": d.message, "diff": d.diff} for d in verdict.differences
        ],
        "denied": [
            {
                "event": d.event,
                "call": d.call,
                "action": d.action,
                "resource": d.resource,
                "by": d.by,
                "message": d.message,
            }
            for d in verdict.denied
        ],
    }


def _input(described: SynthesizedInput | None) -> dict[str, Any] | None:
    if described is None:
        return None
    return {
        "body_keys": list(described.body_keys),
        "query": list(described.query),
        "headers": list(described.headers),
        "context": list(described.context),
        "unknown": described.unknown,
    }


def _read_input(data: Any) -> SynthesizedInput | None:
    if not isinstance(data, dict):
        return None
    return SynthesizedInput(
        tuple(data["body_keys"]),
        tuple(data["query"]),
        data.get("unknown"),
        tuple(data.get("headers", ())),
        tuple(data.get("context", ())),
    )


def render_json(result: VerifyResult) -> str:
    return json.dumps(to_document(result), indent=2) + "\n"


def read_result(source: Path | str) -> VerifyResult:
    """A `VerifyResult` from a verify JSON document: a file path, or the document's text."""
    shown = str(source) if isinstance(source, Path) else "<verify result>"
    try:
        text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InputError(f"not a verify result: {error}", Location(shown)) from error
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise InputError(f"not a verify result (kind {KIND!r} expected)", Location(shown))
    if data.get("version") != FORMAT_VERSION:
        raise InputError(
            f"verify result version {data.get('version')!r}; this decompose reads {FORMAT_VERSION}", Location(shown)
        )
    try:
        return VerifyResult(
            template=data["template"],
            monolith=data["monolith"],
            baseline=data["baseline"],
            routes=tuple(_verdict(r) for r in data["routes"]),
            packages=tuple(
                PackageView(p["function"], tuple(p["files"]), tuple(p["distributions"]), p["source"])
                for p in data["packages"]
            ),
            created=tuple(data["world"]["created"]),
            not_created=tuple(data["world"]["not_created"]),
            notes=tuple(data["notes"]),
            seconds=float(data["seconds"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"a verify result with a missing or malformed field: {error}", Location(shown)) from error


def _verdict(data: dict[str, Any]) -> RouteVerdict:
    return RouteVerdict(
        function=data["function"],
        route=data["route"],
        status=Status(data["status"]),
        policy=PolicyVerdict(data["policy"]),
        events=tuple(
            EventUse(e["name"], e["origin"], e.get("file"), _read_input(e.get("input"))) for e in data["events"]
        ),
        differences=tuple(
            Difference(d["event"], d["aspect"], d["message"], d.get("diff", "")) for d in data["differences"]
        ),
        denied=tuple(
            DeniedCall(d["event"], d["call"], d["action"], d["resource"], d["by"], d["message"]) for d in data["denied"]
        ),
        reason=data.get("reason"),
    )


def render_text(result: VerifyResult) -> str:
    """The result for people: one line per route, then each difference (with its diff) and denied call."""
    lines = [f"decompose verify: {result.template}, split from {result.monolith} (baseline: {result.baseline})"]
    width = max((len(r.function) for r in result.routes), default=0)
    route_width = max((len(r.route) for r in result.routes), default=0)
    for verdict in result.routes:
        status = "equivalent" if verdict.ok else verdict.status.value.upper()
        if verdict.status is Status.EQUIVALENT and not verdict.ok:
            status = "DENIED"
        origins = [e.origin for e in verdict.events]
        used = (
            f"{len(origins)} event(s): {origins.count('project')} project, {origins.count('synthesized')} synthesized"
        )
        lines.append(
            f"  {status:<14} {verdict.function:<{width}}  {verdict.route:<{route_width}}  [{used}; "
            f"policy {verdict.policy.value}]"
        )
        if verdict.reason:
            lines.append(f"      why: {verdict.reason}")
        for difference in verdict.differences:
            lines.append(f"      {difference.event}: {difference.aspect}: {difference.message}")
            lines += [f"        {line}" for line in difference.diff.splitlines()[:40]]
        lines += [f"      denied: {d.message}" for d in verdict.denied]
    if result.not_created:
        lines.append(f"not in the world: {', '.join(result.not_created)}")
    lines += [f"note: {note}" for note in result.notes]
    lines.append(
        f"{len(result.routes)} route(s): {result.count(Status.EQUIVALENT)} equivalent, "
        f"{result.count(Status.DIFFERENT)} different, {result.count(Status.NOT_VERIFIABLE)} not verifiable; "
        f"{result.denied_calls} denied call(s) ({result.seconds:.0f} s)"
    )
    return "\n".join(lines) + "\n"
