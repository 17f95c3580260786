"""Is the edited template deployable? cfn-lint and aws-sam-translator's own transform say, offline.

`validate_template(text, path)` returns findings, sorted by line:

- **cfn-lint** (`cfnlint.api.lint`, every default rule, `us-east-1`): its errors (`E…`) are `template-invalid`
  errors, its warnings (`W…`) `template-lint` warnings, its informational matches (`I…`) infos.
- **The SAM transform** (`samtranslator.translator.transform.transform`, in process): what CloudFormation would
  run. It reads no AWS account: local `CodeUri`/`ContentUri`/`DefinitionUri` paths become `s3://` placeholders
  (SAM only uploads them; the transform refuses local paths), the region comes from `AWS_DEFAULT_REGION`
  (set to `us-east-1` for the call when unset, then restored), and managed policy names resolve through the
  translator's own bundled map instead of an IAM call. Each cause of an `InvalidDocumentException` is a
  `sam-transform` error.

`require_valid(findings)` raises `TemplateValidationError` listing every error at once; `transformed(text)`
gives the transformed CloudFormation (tests assert on the resources SAM derives from it).
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from cfnlint.api import lint
from cfnlint.decode import decode_str
from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.model.exceptions import InvalidDocumentException, InvalidResourceException
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

from decompose.domain.model import Finding, Location, Severity, plain
from decompose.errors import TemplateError

REGION = "us-east-1"
_LOCAL_CODE = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
}
_LEVELS = {"E": (Severity.ERROR, "template-invalid"), "W": (Severity.WARNING, "template-lint")}

logging.getLogger("samtranslator").setLevel(logging.CRITICAL)


class TemplateValidationError(TemplateError):
    """The edited template does not pass cfn-lint or the SAM transform."""


class _BundledPolicies(ManagedPolicyLoader):
    """Managed policy names -> ARNs from the translator's own bundled map: no IAM call."""

    def __init__(self) -> None:
        self._policy_map = None

    def load(self) -> dict[str, str]:
        return get_bundled_managed_policy_map("aws") or {}


def validate_template(text: str, path: str) -> tuple[Finding, ...]:
    """cfn-lint's matches and the SAM transform's errors for the template `text` (at `path`)."""
    findings = list(_lint(text, path))
    template, matches = decode_str(text)
    if template is not None and not matches:
        findings.extend(_transform_findings(template, path))
    return tuple(sorted(findings, key=lambda f: f.sort_key))


def require_valid(findings: tuple[Finding, ...]) -> None:
    """Raise `TemplateValidationError` naming every error among `findings` (warnings pass)."""
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors:
        first = errors[0]
        listed = "; ".join(f"{f.location}: {f.message}" if f.location else f.message for f in errors)
        raise TemplateValidationError(
            f"the edited template is not valid ({len(errors)} error(s)): {listed}",
            first.location,
        )


def transformed(text: str) -> dict[str, Any]:
    """The CloudFormation template SAM's transform makes of `text` (raises `TemplateValidationError`)."""
    template, matches = decode_str(text)
    if template is None or matches:
        raise TemplateValidationError("not a YAML/JSON template")
    try:
        return _transform(template)
    except (InvalidDocumentException, InvalidResourceException) as exc:
        raise TemplateValidationError(f"SAM transform: {_causes(exc)[0]}") from exc


def _lint(text: str, path: str) -> Iterator[Finding]:
    for match in lint(text, regions=[REGION]):
        rule = match.rule.id
        severity, name = _LEVELS.get(rule[:1], (Severity.INFO, "template-lint"))
        yield Finding(name, severity, f"{rule} {match.message}", Location(path, match.linenumber))


def _transform_findings(template: Mapping[str, Any], path: str) -> Iterator[Finding]:
    try:
        _transform(template)
    except (InvalidDocumentException, InvalidResourceException) as exc:
        resources = template.get("Resources") or {}
        lines = {str(k): getattr(k, "start_mark", None) for k in resources} if isinstance(resources, Mapping) else {}
        for cause in getattr(exc, "causes", None) or [exc]:
            logical_id = getattr(cause, "_logical_id", None)
            mark = lines.get(logical_id) if isinstance(logical_id, str) else None
            where = Location(path, mark.line + 1 if mark is not None else None)
            yield Finding("sam-transform", Severity.ERROR, f"SAM transform: {_message(cause)}", where)


def _transform(template: Mapping[str, Any]) -> dict[str, Any]:
    document = plain(copy.deepcopy(dict(template)))
    for resource in (document.get("Resources") or {}).values():
        if not isinstance(resource, dict):
            continue
        key = _LOCAL_CODE.get(str(resource.get("Type")))
        props = resource.get("Properties")
        if key and isinstance(props, dict) and isinstance(props.get(key), str) and "://" not in props[key]:
            props[key] = f"s3://decompose-placeholder/{props[key].strip('/') or 'root'}"
    globals_function = ((document.get("Globals") or {}).get("Function") or {}) if isinstance(document, dict) else {}
    if isinstance(globals_function.get("CodeUri"), str) and "://" not in globals_function["CodeUri"]:
        globals_function["CodeUri"] = "s3://decompose-placeholder/globals"
    with _region():
        return transform(document, {}, _BundledPolicies())


def _causes(exc: Exception) -> list[str]:
    return [_message(c) for c in getattr(exc, "causes", None) or [exc]]


def _message(cause: object) -> str:
    return str(getattr(cause, "message", cause))


@contextmanager
def _region() -> Iterator[None]:
    before = os.environ.get("AWS_DEFAULT_REGION")
    if before is None:
        os.environ["AWS_DEFAULT_REGION"] = REGION
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
