"""What the monolith's role grants today, read from its function's `Policies`, and whether a grant covers a need.

A per-route policy should never grant more than the monolith had (the monolith works in production, so what it
lacks is either not needed or a latent AccessDenied). `granted_statements` turns each `Policies` entry into
Allow statements:

- a SAM policy template (`DynamoDBCrudPolicy: {TableName: !Ref T}`) is expanded by aws-sam-translator's own
  `PolicyTemplatesProcessor` and `policy_templates.json`, exactly as `sam build` would;
- an inline policy document contributes its Allow statements;
- an AWS managed policy (by name or ARN) contributes the statements recorded in `data/managed_policies.json`
  (copied from AWS's published documents, each with its source).

Whatever cannot be read that way is listed as a problem and grants nothing: an unknown template or managed
policy, an intrinsic in place of a policy, a `Deny` (not modelled: a Deny can only narrow grants, so a problem
entry warns that `covers` may say yes too often), `NotAction`/`NotResource`, and a `Condition` (an Allow that
holds only sometimes is not counted, so `covers` errs towards "not covered").

`covers` renders both sides with `arns.render` and placeholder names (`{LogicalId}`), so the template's own
resources compare by identity whatever they end up being called, then applies IAM's wildcard rules
(`iam_match`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources as package_files
from typing import Any

from samtranslator.policy_template_processor.exceptions import (
    InsufficientParameterValues,
    InvalidParameterValues,
    TemplateNotFoundException,
)
from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor

from decompose.domain.model import FunctionSpec
from decompose.iam.arns import UnrenderableError, render
from decompose.loading.template import referenced_id

__all__ = [
    "GrantedStatement",
    "covering_statement",
    "covers",
    "expand_policy_template",
    "granted_statements",
    "iam_match",
    "placeholder_name",
    "role_policies",
    "statements_of",
]

_AWS_MANAGED_ARN = re.compile(r"^arn:[^:]+:iam::aws:policy/(?:.*/)?(?P<name>[^/]+)$")


@dataclass(frozen=True)
class GrantedStatement:
    """One Allow statement of the role: action patterns, resources (CloudFormation expressions or strings), origin.

    `origin` says where it comes from: the SAM policy template's name, `inline statement N` (with its Sid), or
    the managed policy's name.
    """

    actions: tuple[str, ...]
    resources: tuple[Any, ...]
    origin: str


def granted_statements(spec_policies: Sequence[Any]) -> tuple[list[GrantedStatement], list[str]]:
    """The Allow statements a function's `Policies` grant, and the entries that could not be read (as problems)."""
    granted: list[GrantedStatement] = []
    problems: list[str] = []
    inline = 0
    for index, entry in enumerate(spec_policies, start=1):
        where = f"Policies entry {index}"
        if isinstance(entry, str):
            statements, found = _managed(entry, where)
        elif isinstance(entry, Mapping) and "Statement" in entry:
            statements, found = [], []
            for statement in _as_list(entry["Statement"]):
                inline += 1
                sid = statement.get("Sid") if isinstance(statement, Mapping) else None
                origin = f"inline statement {inline}" + (f" ({sid})" if sid else "")
                got, issues = _statement(statement, origin, report=True)
                statements += got
                found += issues
        elif isinstance(entry, Mapping) and len(entry) == 1:
            ((name, parameters),) = entry.items()
            statements, found = _template_or_intrinsic(str(name), parameters, where)
        else:
            statements, found = [], [f"{where}: not a policy template, managed policy or policy document"]
        granted += statements
        problems += found
    return granted, problems


def role_policies(spec: FunctionSpec, resources: Mapping[str, Any]) -> list[Any] | None:
    """What the function's role grants, as a `Policies`-style list; None when the role is outside the template.

    SAM builds the role from `Policies` unless the function names a `Role`; a role of the template
    (`!GetAtt Role.Arn`) contributes its inline `Policies[].PolicyDocument`s and `ManagedPolicyArns` (an
    `AWS::IAM::ManagedPolicy` of the template by its document). Either role also has what the template's
    `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` resources attach to it through `Roles: [!Ref Role]`.
    """
    if spec.role is None:  # SAM names the role it builds `<FunctionLogicalId>Role`
        role_id = f"{spec.logical_id}Role" if spec.logical_id else None
        return [*spec.policies, *(_attached(role_id, resources) if role_id else [])]
    target = referenced_id(spec.role)
    resource = resources.get(target) if target is not None else None
    if target is None or not isinstance(resource, Mapping) or resource.get("Type") != "AWS::IAM::Role":
        return None
    props = resource.get("Properties") or {}
    documents = [p.get("PolicyDocument") for p in props.get("Policies") or [] if isinstance(p, Mapping)]
    managed = []
    for arn in props.get("ManagedPolicyArns") or []:
        local = referenced_id(arn) if isinstance(arn, Mapping) else None
        policy = resources.get(local) if local else None
        if isinstance(policy, Mapping) and policy.get("Type") == "AWS::IAM::ManagedPolicy":
            managed.append((policy.get("Properties") or {}).get("PolicyDocument"))  # `!Ref` to the template's own
        else:
            managed.append(arn)
    return [*(d for d in documents if d), *(m for m in managed if m), *_attached(target, resources)]


_ATTACHABLE = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")


def _attached(role_id: str, resources: Mapping[str, Any]) -> list[Any]:
    """The documents of `AWS::IAM::Policy` / `AWS::IAM::ManagedPolicy` resources that attach themselves to the
    role from outside (`Roles: [!Ref Role]`)."""
    found = []
    for resource in resources.values():
        if not isinstance(resource, Mapping) or resource.get("Type") not in _ATTACHABLE:
            continue
        props = resource.get("Properties") or {}
        roles = props.get("Roles") or []
        attached = isinstance(roles, list) and any(
            isinstance(r, Mapping) and referenced_id(r) == role_id for r in roles
        )
        if attached and props.get("PolicyDocument"):
            found.append(props["PolicyDocument"])
    return found


def expand_policy_template(name: str, parameters: Any) -> dict[str, Any]:
    """A SAM policy template expanded by aws-sam-translator with `parameters`: a policy document `{"Statement": [...]}`.

    Raises `KeyError` for an unknown template and `ValueError` for missing or malformed parameters.
    """
    processor = _processor()
    if not processor.has(name):
        raise KeyError(name)
    try:
        return processor.convert(name, parameters)  # type: ignore[no-any-return]
    except (InsufficientParameterValues, InvalidParameterValues, TemplateNotFoundException) as exc:
        raise ValueError(f"{name}: {exc}") from exc


def statements_of(document: Mapping[str, Any], origin: str) -> tuple[list[GrantedStatement], list[str]]:
    """The Allow statements of a policy document, and problems for the statements that are not counted."""
    granted: list[GrantedStatement] = []
    problems: list[str] = []
    for statement in _as_list(document.get("Statement")):
        got, issues = _statement(statement, origin, report=True)
        granted += got
        problems += issues
    return granted, problems


def covers(granted: Sequence[GrantedStatement], action: str, arn_expr: Any, resources: Mapping[str, Any]) -> bool:
    """Whether some statement allows `action` on the resource `arn_expr` (unrenderable resources: not covered)."""
    return covering_statement(granted, action, arn_expr, resources) is not None


def covering_statement(
    granted: Sequence[GrantedStatement], action: str, arn_expr: Any, resources: Mapping[str, Any]
) -> GrantedStatement | None:
    """The first statement that allows `action` on `arn_expr`, or None: the reason a grant is (not) covered."""
    try:
        wanted = render(arn_expr, resources, placeholder_name)
    except UnrenderableError:
        return None
    for statement in granted:
        if not any(iam_match(pattern, action, case_sensitive=False) for pattern in statement.actions):
            continue
        for resource in statement.resources:
            try:
                pattern = render(resource, resources, placeholder_name)
            except UnrenderableError:
                continue
            if iam_match(pattern, wanted):
                return statement
    return None


def placeholder_name(logical_id: str) -> str:
    """The stand-in physical name of a template resource or parameter: `{LogicalId}`."""
    return "{" + logical_id + "}"


@functools.lru_cache(maxsize=65536)
def iam_match(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM wildcard matching: `*` is any run of characters (`/` and `:` included), `?` exactly one.

    `value` may itself be a pattern (an object prefix `bucket/invoices/*`, a secret's `name-??????`): then the
    answer is whether `pattern` matches every string `value` stands for (a `*` in `pattern` covers a `*` or `?`
    in `value`, a `?` covers a `?`, a literal covers only itself). Actions compare case-insensitively
    (`case_sensitive=False`), ARNs case-sensitively.
    """
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    # reachable[j]: pattern[:i] can produce exactly the strings of value[:j], for the current i.
    reachable = [True] + [False] * len(value)
    for token in pattern:
        if token == "*":
            for j in range(1, len(value) + 1):
                reachable[j] = reachable[j] or reachable[j - 1]
            continue
        step = [False] * (len(value) + 1)
        for j, char in enumerate(value, start=1):
            fits = char != "*" if token == "?" else char == token and char not in "*?"
            step[j] = reachable[j - 1] and fits
        reachable = step
    return reachable[-1]


@functools.cache
def _processor() -> PolicyTemplatesProcessor:
    return PolicyTemplatesProcessor(PolicyTemplatesProcessor.get_default_policy_templates_json())


@functools.cache
def _managed_policies() -> dict[str, Any]:
    text = package_files.files("decompose.iam").joinpath("data/managed_policies.json").read_text(encoding="utf-8")
    return dict(json.loads(text)["policies"])


def _template_or_intrinsic(name: str, parameters: Any, where: str) -> tuple[list[GrantedStatement], list[str]]:
    if name == "Ref" or name.startswith("Fn::"):
        try:
            arn = render({name: parameters}, {}, placeholder_name)
        except UnrenderableError as exc:
            return [], [f"{where}: {name} is not evaluated ({exc}); its grants are not counted"]
        if not _AWS_MANAGED_ARN.match(arn):
            return [], [f"{where}: {name} gives {arn!r}, not an AWS managed policy ARN; its grants are not counted"]
        return _managed(arn, where)
    try:
        document = expand_policy_template(name, parameters)
    except KeyError:
        return [], [f"{where}: unknown SAM policy template {name!r}; its grants are not counted"]
    except ValueError as exc:
        return [], [f"{where}: {exc}"]
    return statements_of(document, name)


def _managed(reference: str, where: str) -> tuple[list[GrantedStatement], list[str]]:
    match = _AWS_MANAGED_ARN.match(reference)
    if reference.startswith("arn:") and not match:
        return [], [f"{where}: customer managed policy {reference} is not read; its grants are not counted"]
    name = match.group("name") if match else reference
    policy = _managed_policies().get(name)
    if policy is None:
        return [], [f"{where}: AWS managed policy {name} is not in decompose's table; its grants are not counted"]
    granted: list[GrantedStatement] = []
    for statement in policy["Statement"]:
        got, _ = _statement(statement, name, report=False)
        granted += got
    return granted, []


def _statement(statement: Any, origin: str, *, report: bool) -> tuple[list[GrantedStatement], list[str]]:
    if not isinstance(statement, Mapping):
        return [], [f"{origin}: not a policy statement"] if report else []
    skipped = None
    if statement.get("Effect") != "Allow":
        skipped = f"Effect {statement.get('Effect')!r} is not modelled (a Deny may narrow what is reported covered)"
    elif "NotAction" in statement or "NotResource" in statement:
        skipped = "NotAction/NotResource is not modelled; the statement is not counted"
    elif "Condition" in statement:
        skipped = "it has a Condition; the statement is not counted"
    if skipped:
        return [], [f"{origin}: {skipped}"] if report else []
    actions = tuple(str(a) for a in _as_list(statement.get("Action")))
    resource_list = tuple(_as_list(statement.get("Resource")))
    return [GrantedStatement(actions, resource_list, origin)], []


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
