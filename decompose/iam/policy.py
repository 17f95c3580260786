"""Turn a route's permissions into a SAM `Policies:` list: deterministic, grouped by resource, minimal.

Statements are grouped by resource and sorted; a SAM policy template replaces a statement only when it
grants exactly the same actions on exactly the same resource (`sam_templates.exact_template`). What SAM adds
to every function's role by itself (CloudWatch Logs, X-Ray) and what it adds for the function's own event
sources (the SQS poller, stream readers) is left out, so the generated policy never repeats it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from decompose.domain.iam import Permission
from decompose.domain.model import Trigger
from decompose.iam import sam_templates

SAM_MANAGED_PREFIXES = ("logs:", "xray:")
# What SAM grants the function for its own event source, per trigger type (aws-sam-translator push/pull
# event sources: SQSPollerPolicy, DynamoDB/Kinesis stream read policies).
SAM_EVENT_SOURCE_ACTIONS = {
    "SQS": frozenset(
        {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"}
    ),
    "DynamoDB": frozenset(
        {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}
    ),
    "Kinesis": frozenset(
        {
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards",
            "kinesis:ListStreams",
        }
    ),
}


def needs_own_grant(permission: Permission, trigger: Trigger) -> bool:
    """False for what SAM already grants: logs, X-Ray, and the poller actions on the trigger's own resource."""
    if permission.action.startswith(SAM_MANAGED_PREFIXES):
        return False
    provided = SAM_EVENT_SOURCE_ACTIONS.get(trigger.type, frozenset())
    return not (permission.action in provided and permission.resource.split("/")[0] == trigger.source)


def build_policies(permissions: Iterable[Permission], trigger: Trigger, resources: Mapping[str, Any]) -> list[Any]:
    """The `Policies:` list for one route's function."""
    by_resource: dict[str, tuple[str, Any, set[str]]] = {}
    for permission in permissions:
        if not needs_own_grant(permission, trigger):
            continue
        key = json.dumps(permission.arn, sort_keys=True)
        entry = by_resource.setdefault(key, (permission.resource, permission.arn, set()))
        entry[2].add(permission.action)
    policies: list[Any] = []
    statements: list[dict[str, Any]] = []
    for resource, arn, actions in sorted(by_resource.values(), key=lambda e: (e[0], json.dumps(e[1], sort_keys=True))):
        logical_id = resource.split("/")[0]
        template = None
        if logical_id in resources:
            template = sam_templates.exact_template(
                frozenset(actions), _resource_type(actions, resource), logical_id, resources
            )
        if template is not None:
            policies.append(template)
        else:
            statements.append({"Effect": "Allow", "Action": sorted(actions), "Resource": arn})
    if statements:
        policies.append({"Version": "2012-10-17", "Statement": statements})
    return policies


def _resource_type(actions: set[str], resource: str) -> str:
    """The IAM resource type a statement is about, as far as the exact-template check needs it."""
    prefix = next(iter(sorted(actions))).split(":")[0]
    return {
        "sns": "topic",
        "sqs": "queue",
        "states": "stateMachine",
        "events": "event-bus",
        "secretsmanager": "secret",
        "kms": "key",
        "lambda": "function",
        "dynamodb": "index" if "/index/" in resource else "table",
        "s3": "object" if "/" in resource else "bucket",
    }.get(prefix, "*")
