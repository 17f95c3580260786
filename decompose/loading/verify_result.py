"""The result file of `decompose verify --format json`, read for the dry-run report.

The report shows what verify found without running it again: per extracted route its status (`equivalent`,
`different`, `not-verifiable`), its policy verdict (`allowed`, `denied`, `not-checked`) and the first thing that
explains it (a difference, a denied call, the reason it could not be verified). The document is verify's own
JSON: `{"version": 1, "routes": [{"function", "route", "status", "policy", "reason", "differences": [{"message"}],
"denied": [{"message"}]}, ...]}`; other keys are ignored. A file that is not such a document is a one-line error
naming it, never a traceback and never a report that silently says "not run". The result is `failed` when a
route differs or a call was denied (as `verify` itself exits 1), `passed` when every route is equivalent with
every call allowed, and `incomplete` otherwise (a route verify could not run, or no route at all).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from decompose.domain.model import Location
from decompose.domain.report import RouteVerification, Verification
from decompose.errors import InputError

STATUSES = frozenset({"equivalent", "different", "not-verifiable"})
POLICY_VERDICTS = frozenset({"allowed", "denied", "not-checked"})
KIND = "decompose-verify"


def read_verification(path: Path, shown: str | None = None) -> Verification:
    """The verification result in `path` (`shown`: how messages name it)."""
    name = shown or str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read the verify result: {error.strerror or error}", Location(name)) from error
    except UnicodeDecodeError as error:
        raise InputError("the verify result is not UTF-8 text", Location(name)) from error
    except json.JSONDecodeError as error:
        raise InputError(f"not a JSON document: {error.msg}", Location(name, error.lineno)) from error
    return verification_of(document, name)


def verification_of(document: Any, name: str) -> Verification:
    """A verify JSON document (already decoded) as the report's `Verification`."""
    if not isinstance(document, Mapping) or not isinstance(document.get("routes"), list):
        raise InputError("not a `decompose verify --format json` result (no `routes` list)", Location(name))
    if "error" in document and not document["routes"]:
        raise InputError(f"verify did not run: {_text(document['error'])}", Location(name))
    kind = document.get("kind")
    if kind is not None and kind != KIND:
        raise InputError(f"not a verify result (kind {KIND!r} expected, not {kind!r})", Location(name))
    routes = tuple(_route(entry, index, name) for index, entry in enumerate(document["routes"]))
    if any(r.status == "different" or r.policy == "denied" for r in routes):
        status = "failed"
    else:
        status = "passed" if routes and all(r.ok for r in routes) else "incomplete"
    return Verification(status, name, routes)


def _route(entry: Any, index: int, name: str) -> RouteVerification:
    where = Location(name)
    if not isinstance(entry, Mapping):
        raise InputError(f"routes[{index}] is not an object", where)
    route, status, policy = entry.get("route"), entry.get("status"), entry.get("policy")
    if not isinstance(route, str):
        raise InputError(f"routes[{index}] has no `route` string", where)
    if status not in STATUSES:
        raise InputError(f"routes[{index}] ({route}): unknown status {status!r}", where)
    if policy is not None and policy not in POLICY_VERDICTS:
        raise InputError(f"routes[{index}] ({route}): unknown policy verdict {policy!r}", where)
    function = entry.get("function")
    return RouteVerification(
        route=route,
        function=function if isinstance(function, str) else None,
        status=status,
        policy=policy,
        detail=_detail(entry),
    )


def _detail(entry: Mapping[str, Any]) -> str | None:
    for key in ("differences", "denied"):
        items = entry.get(key)
        if isinstance(items, list) and items:
            first = items[0]
            message = first.get("message") if isinstance(first, Mapping) else first
            more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
            return f"{_text(message)}{more}"
    reason = entry.get("reason")
    return _text(reason) if reason else None


def _text(value: Any) -> str:
    if isinstance(value, Mapping) and "message" in value:
        value = value["message"]
    return str(value)
