"""SdkCall -> the IAM actions it needs, as a pure function of the call and `data/iam_mapping.json`.

The rule: one action per operation, `<iam prefix>:<Operation>` (prefix from `models.iam_prefix`), on the
resource chosen by the service's resource rules. Everything else is data, each entry citing its source.

Data file schema (version 1):

- `prefixes.overrides`: client name -> IAM prefix, used when the botocore model has no signingName.
- `foreign_actions`: actions an entry may grant outside its service's prefix (`iam:PassRole`).
- `resources.<service>.rules`: ordered; the first rule whose `member` is an input member of the operation
  (and, with `"passed": true`, is passed by the call; with `"operations"`, whose regex `re.search`es the
  operation name) gives `resource_type`, `resource_param` (default: the member) and `suffix_param`. No rule
  -> resource type `*`.
- `operations.<service>.<Operation>` and `vias.<"kind name">` (e.g. `"transfer upload_file"`, matched on
  the call's `via` with any `Resource.` qualifier dropped): an entry with `source`, optional `note`,
  optional `actions` (replacing the default action; `[]` means the call needs no permission) and optional
  `when`, a list of conditions applied in order. A condition names a `param` and one test: `"is": "passed"`
  / `"absent"`, `"matches": regex` (the param is a literal whose value `re.match`es, ignoring case) or
  `"not_matches": regex` (it does not: absent, not literal, or different); then `"replace"` (the actions
  so far) and/or `"add"`.
- `implicit.<service>`: `{source, when}`, conditions as above applied to every operation of the service after
  its own entry: what a service does with the caller's credentials on the caller's behalf (Rekognition reads
  the S3 object named in `Image.S3Object`, the RDS Data API reads the secret `secretArn`, a role ARN passed to
  a service needs `iam:PassRole`). Nested request members are named by their path (`Image.S3Object.Bucket`).
- An action spec is `{"action", "resource_type"?, "resource_param"?, "suffix_param"?}`; without
  `resource_type` it takes the default resource of the operation.

An operation whose botocore model says `authtype: none` is sent unsigned (Cognito's access-token and
sign-up calls such as `GetUser`, `InitiateAuth`; STS `AssumeRoleWithWebIdentity`): no IAM policy is evaluated
for it, so it needs no action, whatever the data says.

Presigned URLs (`via` "presign ...") need the presigned operation's own action: they map like the call.
Nothing adds KMS, legal-hold, retention or object-lambda actions: those depend on the resource, not the call.
"""

from __future__ import annotations

import re
from typing import Any

from decompose.domain.iam import ActionNeed, SdkCall
from decompose.iam.actions import required_resource
from decompose.iam.models import iam_prefix as _iam_prefix
from decompose.iam.models import input_members, is_unsigned, mapping_data


def _default_resource(call: SdkCall) -> tuple[str, str | None, str | None]:
    """(resource_type, resource_param, suffix_param) of the operation by its service's resource rules, else
    the one resource type AWS's Service Authorization Reference says the action requires, named by the input
    member its ARN's last variable names (`${WorkGroupName}` -> `WorkGroup`, `${UserPoolId}` -> `UserPoolId`)."""
    members = input_members(call.service, call.operation)
    for rule in mapping_data()["resources"].get(call.service, {}).get("rules", []):
        member = rule["member"]
        if member not in members:
            continue
        if rule.get("passed") and call.param(member) is None:
            continue
        if "operations" in rule and not re.search(rule["operations"], call.operation):
            continue
        return rule["resource_type"], rule.get("resource_param", member), rule.get("suffix_param")
    required = required_resource(f"{_iam_prefix(call.service)}:{call.operation}")
    if required is None:
        return "*", None, None
    kind, arn = required
    return kind, arn_member(arn, kind, members), None


_ARN_VARIABLE = re.compile(r"\$\{(\w+)\}")
_ACCOUNT_VARIABLES = frozenset({"Partition", "Region", "Account"})


def arn_variables(arn: str) -> list[str]:
    """The variables of an ARN format other than partition, region and account, in order."""
    return [v for v in _ARN_VARIABLE.findall(arn) if v not in _ACCOUNT_VARIABLES]


def _member_names(variable: str, kind: str) -> list[str]:
    stem = variable[len(kind) :] if variable.lower().startswith(kind.lower()) else ""  # DocumentName -> Name
    return [n for n in (variable, variable.removesuffix("Name"), variable.removesuffix("Id"), stem) if n]


def arn_variable_of(arn: str, kind: str, member: str | None) -> str | None:
    """The ARN variable the input member `member` fills (`StackName` in `stack/${StackName}/${Id}`)."""
    for name in reversed(arn_variables(arn)):
        if member and member.lower() in (n.lower() for n in _member_names(name, kind)):
            return name
    return None


def arn_member(arn: str, kind: str, members: frozenset[str]) -> str | None:
    """The input member that names the resource of an ARN format: its last variable, or that name without
    `Name`/`Id`, or a member holding the whole ARN (`resourceArn`, `<Type>Arn`); None when none does."""
    lowered = {m.lower(): m for m in members}
    for name in reversed(arn_variables(arn)):
        for candidate in _member_names(name, kind):
            if candidate.lower() in lowered:
                return lowered[candidate.lower()]
    for candidate in (f"{kind}arn", "resourcearn"):
        if candidate in lowered:
            return lowered[candidate]
    return None


def _need(spec: dict[str, Any], default: tuple[str, str | None, str | None], source: str) -> ActionNeed:
    if "resource_type" in spec:
        resource = (spec["resource_type"], spec.get("resource_param"), spec.get("suffix_param"))
    else:
        resource = default
    return ActionNeed(spec["action"], *resource, source=source)


def _holds(condition: dict[str, Any], call: SdkCall) -> bool:
    value = call.param(condition["param"])
    if "is" in condition:
        return (value is not None) == (condition["is"] == "passed")
    pattern = condition.get("matches", condition.get("not_matches"))
    matched = (
        value is not None and value.kind == "literal" and re.match(pattern, value.value, re.IGNORECASE) is not None
    )
    return matched if "matches" in condition else not matched


def via_key(via: str) -> str:
    """The data key of a call's `via`: "transfer Bucket.upload_file" -> "transfer upload_file"."""
    kind, _, name = via.partition(" ")
    return f"{kind} {name.rpartition('.')[2]}" if name else kind


def mapping_entry(call: SdkCall) -> dict[str, Any] | None:
    """The data entry that governs `call` (its via's, else its operation's), None for the plain rule."""
    data = mapping_data()
    via = data["vias"].get(via_key(call.via))
    if via is not None and via["service"] == call.service:
        return via
    return data["operations"].get(call.service, {}).get(call.operation)


def actions_for(call: SdkCall) -> list[ActionNeed]:
    """The IAM actions `call` needs, in data order, without duplicates."""
    if is_unsigned(call.service, call.operation):
        return []
    default = _default_resource(call)
    entry = mapping_entry(call)
    if entry is None:
        needs = [ActionNeed(f"{_iam_prefix(call.service)}:{call.operation}", *default)]
    else:
        source = entry["source"]
        specs = entry.get("actions", [{"action": f"{_iam_prefix(call.service)}:{call.operation}"}])
        needs = _apply(entry.get("when", []), [_need(spec, default, source) for spec in specs], call, default, source)
    implicit = mapping_data().get("implicit", {}).get(call.service)
    if implicit is not None and needs:
        needs = _apply(implicit["when"], needs, call, default, implicit["source"])
    return list(dict.fromkeys(needs))


def _apply(
    conditions: list[dict[str, Any]],
    needs: list[ActionNeed],
    call: SdkCall,
    default: tuple[str, str | None, str | None],
    source: str,
) -> list[ActionNeed]:
    for condition in conditions:
        if not _holds(condition, call):
            continue
        if "replace" in condition:
            needs = [_need(spec, default, source) for spec in condition["replace"]]
        needs += [_need(spec, default, source) for spec in condition.get("add", [])]
    return needs
