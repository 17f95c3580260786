"""Compare what the monolith and a new function did with one event, after the documented normalisation.

Both runs' outcomes come from the runner as tagged JSON (`codec`). `normalise` applies the rules of
`data/normalisation.json` (each says what it masks and why) and replaces the running function's own name
and ARN with `<this-function>`. `differences` then compares, in this order: an exception (type and
message), the response (for an API Gateway proxy result: status code, headers, and the body as JSON when
it parses, else as text; any other return value as a whole), the ordered sequence of AWS calls with their
parameters (calls an in-stack function made when it was invoked included, marked `nested`), and the AWS
state afterwards (every table's items, every object, queued message, published notification, execution,
stream record, parameter and secret). Each difference carries a one-line message and a unified diff.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from decompose.domain.verification import Difference

THIS_FUNCTION = "<this-function>"
MONOLITH = "monolith"


@dataclass(frozen=True)
class _Rule:
    name: str
    kind: str
    pattern: re.Pattern[str] | None
    keys: frozenset[str]
    within: frozenset[str]
    replacement: str


@cache
def rules_data() -> dict[str, Any]:
    """The normalisation table, as shipped (`data/normalisation.json`)."""
    text = resources.files("decompose.verification").joinpath("data/normalisation.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _rules() -> tuple[_Rule, ...]:
    out = []
    for rule in rules_data()["rules"]:
        pattern = re.compile(rule["pattern"]) if rule["kind"] == "text" else None
        keys = frozenset(k.lower() for k in rule.get("keys", []))
        within = frozenset(k.lower() for k in rule.get("within", []))
        out.append(_Rule(rule["name"], rule["kind"], pattern, keys, within, rule["replacement"]))
    return tuple(out)


def normalise(value: Any, identity: tuple[str, ...] = ()) -> Any:
    """`value` with every rule applied; `identity` are the running function's own name and ARN."""
    names = sorted((n for n in identity if n), key=len, reverse=True)
    return _walk(value, names, None)


def _walk(value: Any, identity: list[str], parent: str | None) -> Any:
    if isinstance(value, str):
        return _text(value, identity)
    if isinstance(value, list):
        return [_walk(v, identity, parent) for v in value]
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            rule = _key_rule(str(key), parent)
            out[_text(str(key), identity)] = rule.replacement if rule is not None else _walk(item, identity, str(key))
        return out
    return value


def _key_rule(key: str, parent: str | None) -> _Rule | None:
    for rule in _rules():
        if (
            rule.kind == "key"
            and key.lower() in rule.keys
            and (not rule.within or (parent or "").lower() in rule.within)
        ):
            return rule
    return None


def _text(text: str, identity: list[str]) -> str:
    for name in identity:
        text = text.replace(name, THIS_FUNCTION)
    for rule in _rules():
        if rule.pattern is not None:
            text = rule.pattern.sub(rule.replacement, text)
    return text


def differences(event: str, monolith: Mapping[str, Any], function: Mapping[str, Any], name: str) -> list[Difference]:
    """What `function` (the new function `name`) did otherwise than `monolith` with `event`, normalised."""
    old = normalise(dict(monolith), tuple(monolith.get("identity", ())))
    new = normalise(dict(function), tuple(function.get("identity", ())))
    found: list[Difference] = []
    if old.get("error") or new.get("error"):
        found += _errors(event, old.get("error"), new.get("error"), name)
        if found:
            return found  # what the calls and state show follows from the error; the error says it first
    else:
        found += _responses(event, old.get("response"), new.get("response"), name)
    found += _calls(event, old.get("calls", []), new.get("calls", []), name)
    if old.get("state") != new.get("state"):
        diff = _diff(old.get("state"), new.get("state"), name)
        found.append(Difference(event, "state", f"the AWS state after the event differs ({_first_line(diff)})", diff))
    return found


def _errors(event: str, old: Any, new: Any, name: str) -> list[Difference]:
    if old and new:
        if (old["type"], old["message"]) == (new["type"], new["message"]):
            return []
        message = f"the monolith raised {_error_text(old)}, {name} raised {_error_text(new)}"
        return [Difference(event, "error", message)]
    if new:
        phase = " while importing its handler" if new.get("phase") == "import" else ""
        message = f"{name} raised {_error_text(new)}{phase}; the monolith answered"
        if new["type"] == "ModuleNotFoundError":
            missing = new.get("module") or new["message"]
            message += f" (its package lacks {missing!r}: a module or distribution left out of it)"
        elif new["type"] == "ImportError" and new.get("module"):
            message += f" (its package lacks {new['module']!r}, or holds another version of it than the monolith's)"
        return [Difference(event, "error", message)]
    return [Difference(event, "error", f"the monolith raised {_error_text(old)}; {name} answered without an error")]


def _error_text(error: Mapping[str, Any]) -> str:
    where = f" at {error['where']}" if error.get("where") else ""
    return f"{error['type']}: {error['message']}{where}"


def _responses(event: str, old: Any, new: Any, name: str) -> list[Difference]:
    if old == new:
        return []
    if _is_proxy(old) and _is_proxy(new):
        found = []
        if old.get("statusCode") != new.get("statusCode"):
            message = f"status {old.get('statusCode')} from the monolith, {new.get('statusCode')} from {name}"
            found.append(Difference(event, "response.status", message))
        for key in ("headers", "multiValueHeaders", "cookies"):
            if old.get(key) != new.get(key):
                diff = _diff(old.get(key), new.get(key), name)
                found.append(Difference(event, "response.headers", f"response {key} differ", diff))
        old_body, new_body = _body(old), _body(new)
        if old_body != new_body:
            diff = _diff(old_body, new_body, name)
            found.append(Difference(event, "response.body", f"response bodies differ ({_first_line(diff)})", diff))
        rest = {k for k in {*old, *new} if k not in ("statusCode", "headers", "multiValueHeaders", "cookies", "body")}
        if any(old.get(k) != new.get(k) for k in rest):
            keys = sorted(k for k in rest if old.get(k) != new.get(k))
            diff = _diff({k: old.get(k) for k in keys}, {k: new.get(k) for k in keys}, name)
            found.append(Difference(event, "response", f"response fields {', '.join(keys)} differ", diff))
        return found
    diff = _diff(old, new, name)
    return [Difference(event, "response", f"the return values differ ({_first_line(diff)})", diff)]


def _is_proxy(response: Any) -> bool:
    return isinstance(response, Mapping) and "statusCode" in response


def _body(response: Mapping[str, Any]) -> Any:
    body = response.get("body")
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return body
    return body


def _calls(event: str, old: list[Any], new: list[Any], name: str) -> list[Difference]:
    old_lines = [_call_line(c) for c in old]
    new_lines = [_call_line(c) for c in new]
    if old_lines == new_lines:
        return []
    index = next((i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b), None)
    if index is None:
        index = min(len(old_lines), len(new_lines))
    first_old = _short_call(old[index]) if index < len(old) else "no call"
    first_new = _short_call(new[index]) if index < len(new) else "no call"
    message = (
        f"the AWS calls differ from call {index + 1}: the monolith made {first_old}, {name} made {first_new} "
        f"({len(old)} and {len(new)} calls)"
    )
    diff = "".join(difflib.unified_diff([x + "\n" for x in old_lines], [x + "\n" for x in new_lines], MONOLITH, name))
    return [Difference(event, "calls", message, diff)]


def _call_line(call: Mapping[str, Any]) -> str:
    prefix = "  (nested) " if call.get("nested") else ""
    presigned = " presigned" if call.get("presigned") else ""
    outcome = f" -> {call['error']}" if call.get("error") else ""
    params = json.dumps(call.get("params", {}), sort_keys=True)
    return f"{prefix}{call['service']}.{call['operation']}{presigned} {params}{outcome}"


def _short_call(call: Mapping[str, Any]) -> str:
    return f"{call['service']}.{call['operation']}"


def _diff(old: Any, new: Any, name: str) -> str:
    a = json.dumps(old, indent=2, sort_keys=True, default=str).splitlines(keepends=True)
    b = json.dumps(new, indent=2, sort_keys=True, default=str).splitlines(keepends=True)
    return "".join(line if line.endswith("\n") else line + "\n" for line in difflib.unified_diff(a, b, MONOLITH, name))


def _first_line(diff: str) -> str:
    """The first changed line of a diff, shortened: what a one-line message can say about it."""
    for line in diff.splitlines():
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
            text = line[1:].strip().rstrip(",")
            return ("first: " + text)[:100]
    return "see the diff"
