"""The plan file (`decompose.yaml`): render it, read it back with line numbers, and update it on a re-run.

The file is YAML a person edits, so it is handled with ruamel.yaml's round trip (comments, key order and
quotes survive a load and a dump). A fresh plan is rendered as text (every scalar quoted by ruamel itself,
so a route with quotes, `#` or `: ` stays one string) and normalised by one round trip, so that re-reading
and re-dumping it changes nothing. A re-run (`update_plan_text`) loads the user's file, appends entries for
new functions (parsed from text at the indentation they will live at, so their comments keep their
columns), sets `extract: true` where asked, and dumps; when nothing is added or changed it returns the
user's text untouched, byte for byte.

`read_plan` turns the file into a `Plan` with the line of every key it later complains about, and notes
every value of the wrong type as a `PlanProblem` instead of stopping at the first.
"""

from __future__ import annotations

import difflib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from decompose.domain.model import FunctionSpec, Location, Route
from decompose.domain.plan import DEPLOYMENT_TYPES, GENERATED_MARKER, PLAN_VERSION, Deployment, FunctionPlan, Plan
from decompose.domain.plan import PlanProblem as Problem
from decompose.errors import PlanError
from decompose.planning.ids import default_modules

FUNCTION_KEYS = (
    "logical_id",
    "extract",
    "routes",
    "module",
    "handler",
    "memory_size",
    "timeout",
    "runtime",
    "architectures",
    "deployment",
)
TOP_KEYS = ("version", "template", "monolith", "deployment", "functions")
DEPLOYMENT_KEYS = ("type", "alias", "alarms", "pre_traffic")
ARCHITECTURES = ("x86_64", "arm64")
MEMORY_RANGE = (128, 10240)  # MB, AWS::Lambda::Function MemorySize
TIMEOUT_RANGE = (1, 900)  # seconds

HEADER = """\
# decompose plan: how {monolith} of {template} is split into one function per route.
# {marker}. Edit it freely: `decompose plan` again keeps your edits and comments and adds
# functions for new routes; `decompose plan --check` lists every problem; `decompose apply` extracts the
# functions marked `extract: true` (a few at a time is the strangler way).
version: {version}
template: {template_value}
monolith: {monolith_value}
# How new functions take traffic (SAM AutoPublishAlias + DeploymentPreference); a function's own
# `deployment:` overrides any of these keys. type is one of:
# {types}.
deployment:
  type: {type}
  alias: {alias}
  alarms: {alarms}  # logical ids of AWS::CloudWatch::Alarm resources that roll a deployment back
  # pre_traffic: HookFunction    # the logical id of a CodeDeploy PreTraffic hook function
# One entry per new function: its logical id, its routes, the module its routes' own code moves to and the
# generated handler module (dotted, under CodeUri {code_uri}). Merge functions by moving routes under one
# entry; override memory_size, timeout, runtime, architectures or deployment per function.
functions:
"""


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 1_000_000  # never fold a long route onto two lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def render_plan(plan: Plan, monolith: FunctionSpec, routes: Mapping[str, Route]) -> str:
    """The plan file for a fresh plan: a commented header, then one entry per function."""
    d = plan.deployment
    text = HEADER.format(
        monolith=_comment(plan.monolith),
        template=_comment(plan.template or "the template"),
        marker=GENERATED_MARKER,
        version=plan.version,
        template_value=_scalar(plan.template) if plan.template else "null",
        monolith_value=_scalar(plan.monolith),
        types=_wrap(sorted(DEPLOYMENT_TYPES)),
        type=_scalar(d.type),
        alias=_scalar(d.alias),
        alarms="[" + ", ".join(_scalar(a) for a in d.alarms) + "]",
        code_uri=_comment(monolith.code_uri),
    )
    text += "".join(_entry(f, plan, monolith, routes) for f in plan.functions)
    if not plan.functions:
        text = text.replace("functions:\n", "functions: []\n")
    return _normalise(text)


def update_plan_text(
    text: str,
    added: Sequence[FunctionPlan],
    *,
    extract: Iterable[str],
    plan: Plan,
    monolith: FunctionSpec,
    routes: Mapping[str, Route],
    path: str,
) -> str:
    """The user's plan file with entries for `added` appended and `extract: true` on the functions named in
    `extract` (logical ids); the same text when that changes nothing."""
    yaml = _yaml()
    data = _load(yaml, text, path)
    functions = data.get("functions") if isinstance(data, CommentedMap) else None
    if not isinstance(functions, CommentedSeq):
        if functions is not None and functions != []:
            raise PlanError([Problem("`functions` is not a list", Location(path, _key_line(data, "functions")))])
        functions = CommentedSeq()
        data["functions"] = functions
    changed = False
    wanted = set(extract)
    for entry in functions:
        if isinstance(entry, CommentedMap) and entry.get("logical_id") in wanted and entry.get("extract") is not True:
            if "extract" in entry:
                entry["extract"] = True
            else:
                entry.insert(1, "extract", True)
            changed = True
    if added:
        snippet = "functions:\n" + "".join(_entry(f, plan, monolith, routes) for f in added)
        functions.extend(yaml.load(snippet)["functions"])
        changed = True
    if not changed:
        return text
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def revise_plan_text(
    text: str,
    path: str,
    *,
    extract: Mapping[str, bool] | None = None,
    renames: Mapping[str, str] | None = None,
    deployment: Deployment | None = None,
) -> str:
    """The plan text with the wizard's choices: `extract` true or false per logical id, functions renamed
    (`renames`: old id -> new id; a `module`/`handler` left at the old id's default follows the new id), and
    the default `deployment`'s type and alarms. Comments, order and quotes are kept; the same text when
    that changes nothing. The result is read back and checked like any plan file."""
    yaml = _yaml()
    data = _load(yaml, text, path)
    if not isinstance(data, CommentedMap):
        raise PlanError(
            [Problem("a plan file is a mapping (version, monolith, deployment, functions)", Location(path, 1))]
        )
    changed = False
    functions = data.get("functions")
    for entry in functions if isinstance(functions, CommentedSeq) else ():
        if not isinstance(entry, CommentedMap):
            continue
        old = entry.get("logical_id")
        if extract is not None and old in extract and entry.get("extract") is not extract[old]:
            if "extract" in entry:
                entry["extract"] = extract[old]
            else:
                entry.insert(1, "extract", extract[old])
            changed = True
        new = (renames or {}).get(old) if isinstance(old, str) else None
        if new and new != old:
            entry["logical_id"] = str(new)
            for key, before, after in zip(
                ("module", "handler"), default_modules(old), default_modules(new), strict=True
            ):
                if entry.get(key) == before:
                    entry[key] = after
            changed = True
    if deployment is not None:
        current = data.get("deployment")
        if not isinstance(current, CommentedMap):
            current = CommentedMap()
            data["deployment"] = current
        if current.get("type") != deployment.type:
            current["type"] = str(deployment.type)
            changed = True
        if list(current.get("alarms") or []) != list(deployment.alarms):
            alarms = CommentedSeq(str(a) for a in deployment.alarms)  # plain str: a template key is a str subclass
            alarms.fa.set_flow_style()
            current["alarms"] = alarms
            changed = True
    if not changed:
        return text
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _entry(function: FunctionPlan, plan: Plan, monolith: FunctionSpec, routes: Mapping[str, Route]) -> str:
    lines = [
        f"  - logical_id: {_scalar(function.logical_id)}",
        f"    extract: {'true' if function.extract else 'false'}",
    ]
    lines.append("    routes:")
    for route_id in function.routes:
        route = routes.get(route_id)
        where = f"  # {_comment(route.entry)} ({_comment(str(route.location))})" if route else ""
        lines.append(f"      - {_scalar(route_id)}{where}")
    for key in ("module", "handler"):
        value = getattr(function, key)
        if value is not None:
            lines.append(f"    {key}: {_scalar(value)}")
    inherited = {
        "memory_size": monolith.memory_size,
        "timeout": monolith.timeout,
        "runtime": monolith.runtime,
        "architectures": list(monolith.architectures) or None,
    }
    shown = []
    for key, value in inherited.items():
        own = getattr(function, key)
        if own is not None:
            lines.append(f"    {key}: {_flow(list(own) if isinstance(own, tuple) else own)}")
        else:
            shown.append(f"    # {key}: {_comment(_flow(value)) if value is not None else '(SAM default)'}")
    deployment = _deployment_overrides(function.deployment, plan.deployment)
    if deployment:
        lines.append(f"    deployment: {_flow(deployment)}")
    if shown:
        lines.append(f"    # Inherited from {_comment(plan.monolith)} unless set here:")
        lines.extend(shown)
        if not deployment:
            lines.append("    # deployment: {type: AllAtOnce}")
    return "\n".join(lines) + "\n"


def _deployment_overrides(own: Deployment, default: Deployment) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in DEPLOYMENT_KEYS:
        value = getattr(own, key)
        if value != getattr(default, key):
            out[key] = list(value) if isinstance(value, tuple) else value
    return out


def _wrap(words: list[str], width: int = 100) -> str:
    """`words` joined by commas over comment lines of at most `width` characters."""
    lines = [""]
    for word in words:
        piece = word if not lines[-1] else f", {word}"
        if lines[-1] and len(lines[-1]) + len(piece) > width:
            lines[-1] += ","
            lines.append(word)
        else:
            lines[-1] += piece
    return "\n# ".join(lines)


def _normalise(text: str) -> str:
    """One round trip through ruamel: the text a later load-and-dump reproduces exactly."""
    yaml = _yaml()
    out = io.StringIO()
    yaml.dump(yaml.load(text), out)
    return out.getvalue()


def _scalar(value: str) -> str:
    """`value` as one YAML scalar on one line, quoted by ruamel only when it must be."""
    out = io.StringIO()
    _yaml().dump([str(value)], out)
    text = out.getvalue().strip("\n")
    if "\n" not in text and text.startswith("  - "):
        return text[4:]
    return _double_quoted(value)


def _double_quoted(value: str) -> str:
    """A YAML double-quoted scalar with every non-printable or line-breaking character escaped."""
    out = ['"']
    for char in value:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable() and char not in "\u2028\u2029\x85":
            out.append(char)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _flow(value: Any) -> str:
    """A small value in YAML flow style (`[x86_64]`, `{type: AllAtOnce}`, `1024`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return _scalar(value) if not any(c in value for c in ",[]{}") else _double_quoted(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def _comment(text: str) -> str:
    """`text` safe inside a comment: one line, printable."""
    return "".join(c if c.isprintable() else " " for c in str(text))


# --- reading ---------------------------------------------------------------------------------------------


@dataclass
class _Reader:
    path: str
    problems: list[Problem]

    def problem(self, message: str, line: int | None) -> None:
        self.problems.append(Problem(message, Location(self.path, line)))


def read_plan_text(text: str, path: str) -> Plan:
    """A `Plan` from the plan file's text (`path` names it in messages).

    A file that is not YAML, not a mapping or not version 1 raises `PlanError`; everything else that is
    wrong (a value of the wrong type, an unknown key) is collected in `Plan.problems`.
    """
    data = _load(_yaml(), text, path)
    if not isinstance(data, CommentedMap):
        raise PlanError([Problem("a plan file is a YAML mapping (version, monolith, functions)", Location(path, 1))])
    reader = _Reader(path, [])
    version = data.get("version")
    if version != PLAN_VERSION:
        raise PlanError(
            [
                Problem(
                    f"unsupported plan version {version!r}: expected {PLAN_VERSION}",
                    Location(path, _key_line(data, "version") or 1),
                )
            ]
        )
    _unknown_keys(reader, data, TOP_KEYS, "plan")
    monolith = data.get("monolith")
    if not isinstance(monolith, str) or not monolith:
        reader.problem("`monolith` must name the function to split (its logical id)", _key_line(data, "monolith") or 1)
        monolith = ""
    template = data.get("template")
    if template is not None and not isinstance(template, str):
        reader.problem("`template` must be a path relative to the project", _key_line(data, "template"))
        template = None
    default = _deployment(reader, data.get("deployment"), Deployment(), data, "deployment")
    raw = data.get("functions")
    functions: list[FunctionPlan] = []
    if isinstance(raw, list):
        for index, entry in enumerate(raw):
            line = _item_line(raw, index)
            if not isinstance(entry, CommentedMap):
                reader.problem("each function is a mapping with logical_id and routes", line)
                continue
            functions.append(_function(reader, entry, line, default))
    elif raw is not None:
        reader.problem("`functions` must be a list", _key_line(data, "functions"))
    else:
        reader.problem("the plan has no `functions` list", 1)
    lines = tuple((key, _key_line(data, key) or 1) for key in data if isinstance(key, str))
    return Plan(
        monolith=monolith,
        functions=tuple(functions),
        template=template,
        version=PLAN_VERSION,
        path=path,
        deployment=default,
        problems=tuple(reader.problems),
        lines=lines,
    )


def _function(reader: _Reader, entry: CommentedMap, line: int | None, default: Deployment) -> FunctionPlan:
    _unknown_keys(reader, entry, FUNCTION_KEYS, "function")
    lines: list[tuple[str, int]] = [(k, _key_line(entry, k) or line or 1) for k in entry if isinstance(k, str)]
    logical_id = entry.get("logical_id")
    if not isinstance(logical_id, str) or not logical_id:
        reader.problem("a function needs a `logical_id` (a string)", _key_line(entry, "logical_id") or line)
        logical_id = ""
    extract = entry.get("extract", False)
    if not isinstance(extract, bool):
        reader.problem(f"`extract` must be true or false, not {extract!r}", _key_line(entry, "extract"))
        extract = False
    routes: list[str] = []
    raw_routes = entry.get("routes")
    if isinstance(raw_routes, list):
        for index, route in enumerate(raw_routes):
            where = _item_line(raw_routes, index)
            if isinstance(route, str):
                routes.append(route)
                lines.append((f"routes.{len(routes) - 1}", where or line or 1))
            else:
                reader.problem(f"a route is a string like 'GET /orders', not {route!r}", where)
    else:
        reader.problem(
            f"{logical_id or 'function'}: `routes` must be a list of route ids", _key_line(entry, "routes") or line
        )
    module = _string(reader, entry, "module")
    handler = _string(reader, entry, "handler")
    memory = _integer(reader, entry, "memory_size", MEMORY_RANGE)
    timeout = _integer(reader, entry, "timeout", TIMEOUT_RANGE)
    runtime = _string(reader, entry, "runtime")
    if runtime is not None and not runtime.startswith("python"):
        reader.problem(f"runtime {runtime!r} is not a Python runtime (python3.x)", _key_line(entry, "runtime"))
        runtime = None
    architectures = _architectures(reader, entry)
    deployment = _deployment(reader, entry.get("deployment"), default, entry, "deployment")
    own = entry.get("deployment")
    if isinstance(own, CommentedMap):
        lines.extend((f"deployment.{k}", _key_line(own, k) or line or 1) for k in own if isinstance(k, str))
    return FunctionPlan(
        logical_id=logical_id,
        routes=tuple(routes),
        extract=extract,
        module=module,
        handler=handler,
        memory_size=memory,
        timeout=timeout,
        runtime=runtime,
        architectures=architectures,
        deployment=deployment,
        line=line,
        lines=tuple(lines),
    )


def _deployment(reader: _Reader, raw: Any, base: Deployment, parent: CommentedMap, key: str) -> Deployment:
    if raw is None:
        return base
    if not isinstance(raw, CommentedMap):
        reader.problem("`deployment` must be a mapping (type, alias, alarms, pre_traffic)", _key_line(parent, key))
        return base
    _unknown_keys(reader, raw, DEPLOYMENT_KEYS, "deployment")
    values: dict[str, Any] = {}
    for name in ("type", "alias", "pre_traffic"):
        if name in raw:
            value = raw[name]
            if isinstance(value, str) and value:
                values[name] = value
            elif value is None and name == "pre_traffic":
                values[name] = None
            else:
                reader.problem(f"deployment {name} must be a string, not {value!r}", _key_line(raw, name))
    if "alarms" in raw:
        alarms = raw["alarms"]
        if isinstance(alarms, list) and all(isinstance(a, str) for a in alarms):
            values["alarms"] = tuple(alarms)
        else:
            reader.problem("deployment alarms must be a list of alarm logical ids", _key_line(raw, "alarms"))
    return replace(base, **values)


def _string(reader: _Reader, entry: CommentedMap, key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value:
        return value
    reader.problem(f"`{key}` must be a string, not {value!r}", _key_line(entry, key))
    return None


def _integer(reader: _Reader, entry: CommentedMap, key: str, bounds: tuple[int, int]) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        reader.problem(f"`{key}` must be a whole number from {low} to {high}, not {value!r}", _key_line(entry, key))
        return None
    return value


def _architectures(reader: _Reader, entry: CommentedMap) -> tuple[str, ...] | None:
    value = entry.get("architectures")
    if value is None:
        return None
    if isinstance(value, list) and len(value) == 1 and value[0] in ARCHITECTURES:
        return (str(value[0]),)
    reader.problem(
        f"`architectures` must be a one-item list, [x86_64] or [arm64], not {_flow(value)}",
        _key_line(entry, "architectures"),
    )
    return None


def _unknown_keys(reader: _Reader, mapping: CommentedMap, known: Sequence[str], what: str) -> None:
    for key in mapping:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
            reader.problem(f"unknown {what} key {key!r}{hint}", _key_line(mapping, key))


def _load(yaml: YAML, text: str, path: str) -> Any:
    try:
        return yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        message = " ".join(str(error.problem or error.context or "not YAML").split())
        raise PlanError([Problem(f"not a YAML plan: {message}", Location(path, line))]) from error
    except YAMLError as error:
        raise PlanError([Problem(f"not a YAML plan: {' '.join(str(error).split())}", Location(path, 1))]) from error


def _key_line(mapping: Any, key: Any) -> int | None:
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def _item_line(seq: Any, index: int) -> int | None:
    try:
        return int(seq.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None
