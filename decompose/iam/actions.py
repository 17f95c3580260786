"""AWS's catalogue of IAM actions (the Service Authorization Reference, as parliament ships it): what an action
pattern such as `dynamodb:*` grants, and the access level of an action (Read, List, Write...).

The catalogue is parliament's `iam_definition.json`, read as data. parliament itself is not imported: its
package imports `pkg_resources` at import time, which a bare Python 3.12 environment does not have.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib.util
import json
from pathlib import Path


@functools.cache
def _definition() -> list[dict] | None:
    """parliament's `iam_definition.json` (read once), or None when parliament is absent."""
    spec = importlib.util.find_spec("parliament")
    locations = list(spec.submodule_search_locations or []) if spec else []
    files = [Path(p) / "iam_definition.json" for p in locations]
    path = next((f for f in files if f.is_file()), None)
    return None if path is None else json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _catalogue() -> dict[str, dict[str, str]] | None:
    """prefix -> {lower-cased action name: (canonical name, access level)}, or None when parliament is absent."""
    definition = _definition()
    if definition is None:
        return None
    table: dict[str, dict[str, str]] = {}
    for service in definition:
        actions = table.setdefault(service["prefix"], {})
        for privilege in service["privileges"]:
            actions[privilege["privilege"].lower()] = f"{privilege['privilege']}\t{privilege['access_level']}"
    return table


def catalogue_available() -> bool:
    return _catalogue() is not None


@functools.cache
def expand_action(pattern: str) -> frozenset[str] | None:
    """The IAM actions an action pattern allows (`s3:Get*` -> {s3:GetObject, ...}); None without the catalogue.

    An action with no wildcard is itself, known to the catalogue or not; `*` alone is every action.
    """
    table = _catalogue()
    if table is None:
        return None
    if "*" not in pattern and "?" not in pattern:
        return frozenset({pattern})
    prefix, _, name = ("*:*" if pattern == "*" else pattern).partition(":")
    found = set()
    for service, actions in table.items():
        if prefix != "*" and service != prefix.lower():
            continue
        for lowered, entry in actions.items():
            if fnmatch.fnmatchcase(lowered, name.lower()):
                found.add(f"{service}:{entry.split(chr(9))[0]}")
    return frozenset(found)


@functools.cache
def access_level(action: str) -> str | None:
    """AWS's access level of an action ("Read", "List", "Write", "Tagging", "Permissions management")."""
    table = _catalogue()
    prefix, _, name = action.partition(":")
    entry = (table or {}).get(prefix.lower(), {}).get(name.lower())
    return entry.split("\t")[1] if entry else None


@functools.cache
def required_resource(action: str) -> tuple[str, str] | None:
    """The resource type an action requires and its ARN format, from the Service Authorization Reference
    (`athena:StartQueryExecution` -> ("workgroup", "arn:${Partition}:athena:${Region}:${Account}:workgroup/
    ${WorkGroupName}")); None when the action takes none, takes several, or is unknown."""
    prefix, _, name = action.partition(":")
    for service in _definition() or ():
        if service["prefix"] != prefix:
            continue
        arns = {r["resource"]: r["arn"] for r in service.get("resources", [])}
        for privilege in service["privileges"]:
            if privilege["privilege"].lower() != name.lower():
                continue
            required = [
                t["resource_type"][:-1] for t in privilege["resource_types"] if t["resource_type"].endswith("*")
            ]
            if len(required) == 1 and required[0] in arns:
                return required[0], arns[required[0]]
            return None
    return None
