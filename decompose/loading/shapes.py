"""The shape of every template value decompose reads, checked once at load against cfn-lint's own schemas.

A template can carry any YAML where a mapping is expected (`Events: "x"`, `Environment: [1]`,
`Properties: 5`). Rather than guard every reader, the loader checks each value decompose reads once,
against the resource schemas cfn-lint ships (CloudFormation's registry schemas, and cfn-lint's schema for
the SAM resource types): the type a property must have is the schema's, never a table of our own. What
does not fit is an error finding at its line (`Events of ApiFunction must be a mapping, not a string`):
that resource is not read, and the rest of the template is.

- `READS` lists, per resource type, the property paths decompose reads (`*` is every key or item).
- A value that is an intrinsic function (`!If`, `!Ref`...) fits any type, as it does for CloudFormation;
  where decompose must iterate it (a function's `Events`, its environment `Variables`) it is a warning:
  what it holds is not read.
- `null` means "not set", as cfn-lint and SAM read it, except where the schema requires the key (a SAM
  event's `Properties`) and for a resource's `Properties`: cfn-lint rejects those too.
- Where an `anyOf` offers one schema per event type (SAM's `Events`), the one whose `Type` matches the
  event's is used, so `Path` is checked as an `Api` event's path.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER, ResourceNotFoundError

from decompose.domain.model import Finding, Location, Severity

SCHEMA_REGION = "us-east-1"  # the property types decompose reads are the same in every region
Path = tuple[str, ...]

_FUNCTION_READS: tuple[Path, ...] = (
    ("Handler",),
    ("Runtime",),
    ("PackageType",),
    ("Role",),
    ("Environment",),
    ("Environment", "Variables"),
)
READS: dict[str, tuple[Path, ...]] = {
    "AWS::Serverless::Function": (
        *_FUNCTION_READS,
        ("CodeUri",),
        ("Events",),
        ("Events", "*"),
        ("Events", "*", "Type"),
        ("Events", "*", "Properties"),
        ("Events", "*", "Properties", "Path"),
        ("Events", "*", "Properties", "Method"),
        ("Policies",),
        ("Policies", "*"),
    ),
    "AWS::Lambda::Function": (*_FUNCTION_READS, ("Code",)),
    "AWS::IAM::Role": (("Policies",), ("Policies", "*"), ("Policies", "*", "PolicyDocument"), ("ManagedPolicyArns",)),
    "AWS::ApiGatewayV2::Route": (("RouteKey",), ("Target",)),
    "AWS::ApiGatewayV2::Integration": (("IntegrationUri",),),
}
ITERATED: frozenset[Path] = frozenset(
    {("Events",), ("Events", "*"), ("Events", "*", "Properties"), ("Environment",), ("Environment", "Variables")}
)
_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "a number",
    "boolean": "a boolean",
    "null": "null",
}


@dataclass
class ShapeReport:
    """What the check found: findings, resources dropped whole, and resources with a property of bad shape."""

    findings: list[Finding] = field(default_factory=list)
    dropped: set[str] = field(default_factory=set)  # not a mapping, no Type, Properties not a mapping
    invalid: set[str] = field(default_factory=set)  # a property decompose reads has the wrong shape


def check_resources(resources: Mapping[Any, Any], template: str) -> ShapeReport:
    """Check each resource's own shape (a mapping with a Type and a mapping of Properties)."""
    report = ShapeReport()
    for key, resource in resources.items():
        name = str(key)
        problem = None
        if not isinstance(resource, Mapping):
            problem = f"resource {name} must be a mapping, not {_kind(resource)}"
        elif not isinstance(resource.get("Type"), str):
            problem = f"Type of {name} must be a string, not {_kind(resource.get('Type'))}"
        elif resource.get("Properties") is not None and not isinstance(resource.get("Properties"), Mapping):
            problem = f"Properties of {name} must be a mapping, not {_kind(resource.get('Properties'))}"
        elif "Properties" in resource and resource.get("Properties") is None:
            problem = f"Properties of {name} must be a mapping, not null"
        if problem is not None:
            report.dropped.add(name)
            where = resource.get("Properties", resource) if isinstance(resource, Mapping) else resource
            report.findings.append(_finding(problem, template, _line(where) or _line(key)))
    return report


def check_properties(kind: str, name: str, props: Mapping[str, Any], template: str) -> list[Finding]:
    """Findings for the properties of one resource decompose reads that do not fit the schema."""
    paths = READS.get(kind)
    schema = _schema(kind) if paths else None
    if not paths or schema is None:
        return []
    findings: list[Finding] = []
    failed: set[Path] = set()
    for path in paths:
        for concrete, chain, key in _instances(props, path):
            if any(concrete[: len(f)] == f for f in failed):
                continue
            value = chain[-1]
            if value is None:
                if _required_at(kind, path, _types_along(chain)):
                    failed.add(concrete)
                    allowed = _allowed_at(kind, path, _types_along(chain)) or frozenset({"object"})
                    message = f"{_shown(concrete)} of {name} must be {_expected(allowed)}, not null"
                    findings.append(_finding(message, template, _line(key)))
                continue
            if _is_intrinsic(value):
                if path in ITERATED:
                    message = (
                        f"{_shown(concrete)} of {name} is built with {next(iter(value))}: decompose does not"
                        " evaluate it, so what it holds is not read"
                    )
                    findings.append(_finding(message, template, _line(value) or _line(key), Severity.WARNING))
                failed.add(concrete)
                continue
            allowed = _allowed_at(kind, path, _types_along(chain))
            if allowed is None or _fits(value, allowed):
                continue
            failed.add(concrete)
            message = f"{_shown(concrete)} of {name} must be {_expected(allowed)}, not {_kind(value)}"
            findings.append(_finding(message, template, _line(value) or _line(key)))
    return findings


# ------------------------------------------------------------------------------------------ the values
def _instances(props: Mapping[str, Any], path: Path) -> Iterator[tuple[Path, list[Any], Any]]:
    """Each concrete occurrence of `path` in `props`: its concrete path, the values along it, and its key."""

    def walk(value: Any, rest: Path, done: Path, chain: list[Any], key: Any) -> Iterator[tuple[Path, list[Any], Any]]:
        if not rest:
            yield done, chain, key
            return
        head, tail = rest[0], rest[1:]
        if isinstance(value, Mapping) and not _is_intrinsic(value):
            items = list(value.items()) if head == "*" else [(k, v) for k, v in value.items() if k == head]
            for inner_key, inner in items:
                yield from walk(inner, tail, (*done, str(inner_key)), [*chain, inner], inner_key)
        elif isinstance(value, list) and head == "*":
            for index, inner in enumerate(value, start=1):
                yield from walk(inner, tail, (*done, str(index)), [*chain, inner], value)

    yield from walk(props, path, (), [props], None)


def _is_intrinsic(value: Any) -> bool:
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    (key,) = value.keys()
    return key == "Ref" or str(key).startswith("Fn::")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


def _fits(value: Any, allowed: frozenset[str]) -> bool:
    if isinstance(value, bool):
        return "boolean" in allowed
    if isinstance(value, Mapping):
        return "object" in allowed
    if isinstance(value, list):
        return "array" in allowed
    if isinstance(value, str):
        return "string" in allowed
    if isinstance(value, int):
        return bool(allowed & {"integer", "number"})
    if isinstance(value, float):
        return "number" in allowed
    return True


def _expected(allowed: frozenset[str]) -> str:
    names = list(dict.fromkeys(_NAMES.get(t, t) for t in sorted(allowed, key=list(_NAMES).index)))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _shown(path: Path) -> str:
    if path[:1] == ("Events",) and len(path) >= 2:
        inner = ".".join(path[2:])
        return f"{inner} of event {path[1]}" if inner else f"event {path[1]}"
    if len(path) >= 2 and path[1].isdigit():
        return f"{path[0]} entry {path[1]}" + ("".join(f".{p}" for p in path[2:]))
    return ".".join(path)


def _finding(message: str, template: str, line: int | None, severity: Severity = Severity.ERROR) -> Finding:
    return Finding("template-error", severity, message, Location(template, line))


def _line(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


# ------------------------------------------------------------------------------------------ the schemas
@functools.cache
def _schema(kind: str) -> dict[str, Any] | None:
    try:
        return PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, kind).schema
    except ResourceNotFoundError:
        return None


def _types_along(chain: list[Any]) -> tuple[object, ...]:
    """What of the values along a path the schema lookup depends on: each mapping's `Type` (a SAM event's)."""
    return tuple(v.get("Type") if isinstance(v, Mapping) and isinstance(v.get("Type"), str) else None for v in chain)


@functools.lru_cache(maxsize=4096)
def _allowed_at(kind: str, path: Path, types: tuple[object, ...]) -> frozenset[str] | None:
    """`_allowed` for a READS path (keys as `*`) and the `Type`s along it: one schema walk per shape, not per
    event (a template with 1,000 events has a handful of event shapes)."""
    schema = _schema(kind)
    return _allowed(schema, path, _stand_ins(types)) if schema is not None else None


@functools.lru_cache(maxsize=4096)
def _required_at(kind: str, path: Path, types: tuple[object, ...]) -> bool:
    schema = _schema(kind)
    return _required(schema, path, _stand_ins(types)) if schema is not None else False


def _stand_ins(types: tuple[object, ...]) -> list[Any]:
    return [{"Type": t} if t is not None else None for t in types]


def _allowed(root: dict[str, Any], path: Path, chain: list[Any]) -> frozenset[str] | None:
    """The JSON types the schema allows at `path` (None: it does not say), choosing among `anyOf`
    alternatives by the value's `Type` where it can. `chain` holds the values from the properties down."""
    schemas = _at(root, root, chain[0], path, chain[1:])
    types: set[str] = set()
    for schema in schemas:
        found = _types(schema)
        if found is None:
            return None
        types |= found
    return frozenset(types) if schemas else None


def _required(root: dict[str, Any], path: Path, chain: list[Any]) -> bool:
    """Whether the schema requires the last key of `path` where it is (`Properties` of a SAM event)."""
    parents = _at(root, root, chain[0], path[:-1], chain[1:-1])
    return bool(parents) and all(path[-1] in (parent.get("required") or ()) for parent in parents)


def _at(root: dict[str, Any], schema: Any, value: Any, path: Path, values: list[Any]) -> list[dict[str, Any]]:
    """The sub-schemas at `path` below `schema` (which describes `value`; `values` are those along `path`)."""
    alternatives = _alternatives(root, schema, value)
    if not path:
        return alternatives
    return [
        found
        for alternative in alternatives
        for child in _children(alternative, path[0])
        for found in _at(root, child, values[0], path[1:], values[1:])
    ]


def _children(schema: dict[str, Any], head: str) -> list[Any]:
    found = []
    properties = schema.get("properties") or {}
    if head in properties:
        found.append(properties[head])
    elif (head.isdigit() or head == "*") and isinstance(schema.get("items"), dict):
        found.append(schema["items"])
    else:
        found.extend((schema.get("patternProperties") or {}).values())
        if isinstance(schema.get("additionalProperties"), dict):
            found.append(schema["additionalProperties"])
    return found


def _alternatives(root: dict[str, Any], schema: Any, value: Any) -> list[dict[str, Any]]:
    """`schema` with `$ref`s resolved and `anyOf`/`oneOf`/`allOf` flattened; among `anyOf` alternatives
    that pin `Type` with an enum, those matching the value's `Type` when any does."""
    schema = _deref(root, schema)
    if not isinstance(schema, dict):
        return []
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            options = [a for option in schema[combinator] for a in _alternatives(root, option, value)]
            if combinator != "allOf" and isinstance(value, Mapping) and isinstance(value.get("Type"), str):
                typed = [o for o in options if value["Type"] in _type_enum(o)]
                options = typed or options
            rest = {k: v for k, v in schema.items() if k != combinator}
            return options + ([rest] if "type" in rest or "properties" in rest else [])
    return [schema]


def _type_enum(schema: dict[str, Any]) -> tuple[Any, ...]:
    """The values an alternative's `Type` property may take (SAM event kinds), or ()."""
    pinned = (schema.get("properties") or {}).get("Type")
    return tuple(pinned.get("enum", ())) if isinstance(pinned, dict) else ()


def _deref(root: dict[str, Any], schema: Any) -> Any:
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 32:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            return {}
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        schema, seen = target, seen + 1
    return schema


def _types(schema: dict[str, Any]) -> frozenset[str] | None:
    kind = schema.get("type")
    if isinstance(kind, str):
        return frozenset({kind})
    if isinstance(kind, list):
        return frozenset(kind)
    if "properties" in schema or "patternProperties" in schema:
        return frozenset({"object"})
    if "items" in schema:
        return frozenset({"array"})
    if "enum" in schema:
        return frozenset({"string" if isinstance(v, str) else "number" for v in schema["enum"]})
    return None
