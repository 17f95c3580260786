"""KMS permissions, only where the code's resource is encrypted with a customer-managed key.

AWS-managed keys (`alias/aws/s3`, the default encryption of DynamoDB, SQS SSE-SQS...) need no caller
permission, so nothing is added for them; a key the template names (`!Ref Key`, `!GetAtt Key.Arn`, an ARN)
is. The data (`data/kms.json`) lists which operations need Decrypt or GenerateDataKey, per service, and where
each resource type keeps its key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources as package_files
from typing import Any

from decompose.domain.iam import Permission, SdkCall
from decompose.loading.template import referenced_id

AWS_MANAGED_ALIAS = "alias/aws/"


@cache
def _data() -> dict[str, Any]:
    return json.loads(package_files.files("decompose.iam").joinpath("data/kms.json").read_text(encoding="utf-8"))


def kms_permissions(call: SdkCall, permission: Permission, resources: Mapping[str, Any]) -> Iterator[Permission]:
    """The KMS actions `call` needs because the resource of `permission` uses a customer-managed key."""
    actions = _data()["operations"].get(call.service, {}).get(call.operation)
    logical_id = permission.resource.split("/")[0]
    resource = resources.get(logical_id)
    if not actions or not isinstance(resource, Mapping):
        return
    key = _key_of(resource)
    if key is None:
        return
    arn, shown = _key_arn(key, resources)
    if arn is None:
        return
    for action in actions:
        yield Permission(
            action, shown, arn, call.location, f"{logical_id} is encrypted with customer-managed key {shown}"
        )


def _key_of(resource: Mapping[str, Any]) -> Any:
    path = _data()["key_properties"].get(resource.get("Type"))
    if path is None:
        return None
    values: list[Any] = [resource.get("Properties") or {}]
    for step in path:
        nxt: list[Any] = []
        for value in values:
            if step == "*" and isinstance(value, list):
                nxt += value
            elif isinstance(value, Mapping) and step in value:
                nxt.append(value[step])
        values = nxt
    return values[0] if values else None


def _key_arn(key: Any, resources: Mapping[str, Any]) -> tuple[Any, str]:
    """(ARN expression, display) of a customer-managed key, or (None, "") for an AWS-managed one."""
    if isinstance(key, str):
        if key.startswith(AWS_MANAGED_ALIAS) or (key.startswith("arn:aws:kms") and ":alias/aws/" in key):
            return None, ""
        if key.startswith("arn:"):
            return key, key
        return {"Fn::Sub": f"arn:${{AWS::Partition}}:kms:${{AWS::Region}}:${{AWS::AccountId}}:key/{key}"}, key
    target = referenced_id(key)
    resource = resources.get(target) if target is not None else None
    if isinstance(resource, Mapping) and resource.get("Type") == "AWS::KMS::Key":
        return {"Fn::GetAtt": [target, "Arn"]}, target
    return None, ""  # an alias or anything else: not a key decompose can name
