"""Lint a generated IAM policy with parliament (duo-labs), the way a reviewer would.

parliament knows every action and the resource types each accepts, so it catches an unknown action
(UNKNOWN_ACTION) and an action on the wrong kind of ARN (RESOURCE_MISMATCH: `s3:ListBucket` on
`bucket/*`). It only reads concrete ARNs: CloudFormation pseudo parameters (`${AWS::Region}`...) are
replaced by sample values first, `{"Fn::Sub": ...}` strings are unwrapped, and findings that still concern
an unresolved `${...}` expression are dropped. parliament is a development dependency (the `dev` extra).
"""

from __future__ import annotations

import json
import re
from typing import Any

_PSEUDO_PARAMETERS = {
    "${AWS::Partition}": "aws",
    "${AWS::Region}": "us-east-1",
    "${AWS::AccountId}": "123456789012",
    "${AWS::URLSuffix}": "amazonaws.com",
}
_UNRESOLVED = re.compile(r"\$\{[^}]*\}")


def _concrete(value: Any) -> Any:
    """`value` with pseudo parameters replaced and `Fn::Sub` strings unwrapped (other intrinsics kept)."""
    if isinstance(value, str):
        for name, sample in _PSEUDO_PARAMETERS.items():
            value = value.replace(name, sample)
        return value
    if isinstance(value, list):
        return [_concrete(item) for item in value]
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"}:
            template = value["Fn::Sub"]
            return _concrete(template[0] if isinstance(template, list) else template)
        return {key: _concrete(item) for key, item in value.items()}
    return value


def lint_policy(document: dict[str, Any]) -> list[str]:
    """parliament's findings on a policy document, as "ISSUE: detail" strings in parliament's order."""
    from parliament import analyze_policy_string  # noqa: PLC0415  (dev-only dependency, imported on use)

    policy = analyze_policy_string(json.dumps(_concrete(document)))
    findings = []
    for finding in policy.findings:
        text = f"{finding.issue}: {finding.detail}"
        if _UNRESOLVED.search(text) or _UNRESOLVED.search(json.dumps(finding.location, default=str)):
            continue
        findings.append(text)
    return findings
