"""Exact-fit SAM policy templates: a readable `SNSPublishMessagePolicy: {TopicName: ...}` instead of a statement.

A template may replace an inline statement only when it grants exactly the needed actions on exactly the one
resource (the selection rule of the IAM facts, section 5): no extra action, no prefix wildcard such as
LambdaInvokePolicy's `function:${name}*`, no extra resource such as the DynamoDB templates' `/index/*`.

Nothing here decides that from memory. Each candidate below only says which parameter the template takes and
how to pass a template resource's name to it; `exact_template` expands the candidate with aws-sam-translator's
own processor and data, renders every resource of the result with placeholder names (`arns.render`), and
compares actions and resources with what is needed. Candidates that never fit (DynamoDBCrudPolicy,
LambdaInvokePolicy, S3ReadPolicy...) are listed too, so the tests show the expansion rejecting them.

An action wildcard in a template is an exact fit only if the IAM actions it matches are known: the table
`_WILDCARD_ACTIONS` lists them. `sqs:SendMessage*` (SQSSendMessagePolicy) matches `sqs:SendMessage` and nothing
else: SQS defines no other IAM action starting with SendMessage, and `SendMessageBatch` is authorized by
`sqs:SendMessage` (Amazon SQS Developer Guide, "Amazon SQS API permissions: Actions and resource reference";
chalice `policies.json` and the IAM facts, section 4.1, map send_message_batch the same way). So
SQSSendMessagePolicy is the exact fit for `{sqs:SendMessage}`; should SQS ever add a `SendMessage...` action,
the template would grant it too. Any other wildcard makes the template not exact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from decompose.iam.arns import UnrenderableError, arn_for, render
from decompose.iam.monolith import expand_policy_template, placeholder_name, statements_of

__all__ = ["CANDIDATES", "Candidate", "exact_template"]

# The IAM actions an action wildcard used by a candidate template matches (lower case).
_WILDCARD_ACTIONS: dict[str, frozenset[str]] = {
    "sqs:sendmessage*": frozenset({"sqs:sendmessage"}),
}


def _ref(logical_id: str) -> Any:
    return {"Ref": logical_id}


def _get_att(attribute: str) -> Callable[[str], Any]:
    return lambda logical_id: {"Fn::GetAtt": [logical_id, attribute]}


@dataclass(frozen=True)
class Candidate:
    """A SAM policy template that may fit one resource: its parameter, and how to pass the resource's name.

    `resource_type` is the IAM resource type it is tried for ("*" for templates on `Resource: "*"`, which take
    no parameter).
    """

    template: str
    resource_type: str
    parameter: str | None = None
    value: Callable[[str], Any] = _ref

    def parameters(self, logical_id: str) -> dict[str, Any]:
        return {self.parameter: self.value(logical_id)} if self.parameter else {}


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("SNSPublishMessagePolicy", "topic", "TopicName", _get_att("TopicName")),
    Candidate("SQSSendMessagePolicy", "queue", "QueueName", _get_att("QueueName")),
    Candidate("SQSPollerPolicy", "queue", "QueueName", _get_att("QueueName")),
    Candidate("StepFunctionsExecutionPolicy", "stateMachine", "StateMachineName", _get_att("Name")),
    Candidate("StepFunctionsExecutionPolicy_v2", "stateMachine", "StateMachineName", _get_att("Name")),
    Candidate("EventBridgePutEventsPolicy", "event-bus", "EventBusName"),
    Candidate("AWSSecretsManagerGetSecretValuePolicy", "secret", "SecretArn"),
    Candidate("KMSDecryptPolicy", "key", "KeyId"),
    Candidate("KMSEncryptPolicy", "key", "KeyId"),
    Candidate("CloudWatchPutMetricPolicy", "*"),
    Candidate("DynamoDBReconfigurePolicy", "table", "TableName"),
    Candidate("DynamoDBReadPolicy", "table", "TableName"),
    Candidate("DynamoDBCrudPolicy", "table", "TableName"),
    Candidate("LambdaInvokePolicy", "function", "FunctionName"),
    Candidate("S3ReadPolicy", "object", "BucketName"),
    Candidate("SSMParameterReadPolicy", "parameter", "ParameterName"),
    Candidate("KinesisStreamReadPolicy", "stream", "StreamName"),
)


def exact_template(
    actions: frozenset[str],
    resource_type: str,
    logical_id: str,
    resources: Mapping[str, Any],
    suffix: str | None = None,
) -> dict[str, Any] | None:
    """The SAM policy template granting exactly `actions` on exactly that resource, as a `Policies` entry, or None.

    `suffix` refines the resource as in `arns.arn_for` (an index name, an object key prefix). For
    `resource_type` "*" (actions that take no resource) `logical_id` and `suffix` are ignored.
    """
    if resource_type == "*":
        target = "*"
    else:
        try:
            target = render(arn_for(resource_type, logical_id, resources, suffix), resources, placeholder_name)
        except ValueError:  # not a resource of that type, or an ARN that cannot be rendered
            return None
    wanted = frozenset(action.lower() for action in actions)
    for candidate in CANDIDATES:
        if candidate.resource_type != resource_type:
            continue
        parameters = candidate.parameters(logical_id)
        if _fits(candidate.template, parameters, wanted, target, resources):
            return {candidate.template: parameters}
    return None


def _fits(
    template: str, parameters: dict[str, Any], wanted: frozenset[str], target: str, resources: Mapping[str, Any]
) -> bool:
    """Whether the expanded template allows exactly `wanted` on exactly `target`, unconditionally."""
    try:
        document = expand_policy_template(template, parameters)
    except (KeyError, ValueError):
        return False
    statements, problems = statements_of(document, template)
    if problems or not statements:
        return False
    granted: set[str] = set()
    for statement in statements:
        if not statement.resources:
            return False
        for resource in statement.resources:
            try:
                if render(resource, resources, placeholder_name) != target:
                    return False
            except UnrenderableError:
                return False
        for pattern in statement.actions:
            matched = _actions_matched(pattern.lower())
            if matched is None:
                return False
            granted |= matched
    return granted == wanted


def _actions_matched(pattern: str) -> frozenset[str] | None:
    """The IAM actions an action pattern matches, None when a wildcard's matches are not known."""
    if "*" not in pattern and "?" not in pattern:
        return frozenset({pattern})
    return _WILDCARD_ACTIONS.get(pattern)
