"""How broad a role is: the IAM actions its policies allow, its statements on `*`, the resources it names.

The policies are read as `monolith.granted_statements` reads them (SAM policy templates expanded by
aws-sam-translator, inline documents, AWS managed policies from the recorded documents); each action pattern is
expanded through AWS's action catalogue (`actions.expand_action`: `s3:*` is every S3 action AWS lists), so a
role's count is the number of distinct actions it allows. Entries that cannot be read are kept as `unread`:
the counts are then a lower bound, and every view says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from decompose.domain.report import RoleBreadth, RoleDelta
from decompose.iam.actions import expand_action
from decompose.iam.monolith import granted_statements

_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def role_breadth(policies: Sequence[Any] | None, resources: Mapping[str, Any]) -> RoleBreadth:
    """The breadth of a role whose `Policies` are `policies` (None: the role is not defined in the template)."""
    if policies is None:
        return RoleBreadth(unread=("the function's Role is not defined in the template",))
    statements, problems = granted_statements(list(policies))
    actions: set[str] = set()
    unread = list(problems)
    for statement in statements:
        for pattern in statement.actions:
            expanded = expand_action(pattern)
            if expanded is None:
                unread.append(f"{pattern}: AWS's action catalogue is not installed, counted as one action")
            actions |= expanded or {pattern}
    wildcard = tuple(s.origin for s in statements if any(r == "*" for r in s.resources))
    named = {name for s in statements for r in s.resources for name in _names(r) if name in resources}
    return RoleBreadth(tuple(sorted(actions)), wildcard, tuple(sorted(named)), tuple(unread))


def role_delta(monolith: RoleBreadth, function: RoleBreadth) -> RoleDelta:
    """What `function`'s role no longer has of `monolith`'s, and what it has that the monolith's does not."""
    kept = set(function.actions)
    return RoleDelta(
        actions=tuple(a for a in monolith.actions if a not in kept),
        wildcard_statements=() if function.wildcard_statements else monolith.wildcard_statements,
        resources=tuple(r for r in monolith.resources if r not in set(function.resources)),
        added=tuple(a for a in function.actions if a not in set(monolith.actions)),
    )


def _names(value: Any) -> Iterator[str]:
    """The logical ids a CloudFormation expression names (`Ref`, `Fn::GetAtt`, `${Id}` in `Fn::Sub`)."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt":
                yield str(inner[0] if isinstance(inner, list) and inner else str(inner).split(".")[0])
            elif key == "Fn::Sub":
                text, variables = (
                    (inner[0], inner[1] if len(inner) > 1 else {}) if isinstance(inner, list) else (inner, {})
                )
                local = set(variables) if isinstance(variables, Mapping) else set()
                yield from (n for n in _SUB_NAME.findall(str(text)) if n not in local)
                if isinstance(variables, Mapping):
                    for sub in variables.values():
                        yield from _names(sub)
            else:
                yield from _names(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _names(inner)
