"""Event-source dispatch inside one handler: S3/SQS/SNS/DynamoDB/Kinesis records, EventBridge rules and
schedules, and WebSocket route keys.

Reads `record["eventSource"] == "aws:s3"` (SNS spells it `EventSource`), `"Records" in event`,
`event["source"]` / `event["detail-type"]` and `event["requestContext"]["routeKey"] == "$connect"`.
"""

from __future__ import annotations

import ast
from typing import ClassVar

from decompose.analysis.dispatch.base import EVENT_SOURCE_TYPES, RECORDS, Constraint
from decompose.analysis.dispatch.events import Evaluator, EventPath, Role, RoleValue
from decompose.analysis.dispatch.literals import split_route_key, strings

# Top-level keys of the events AWS services send (API Gateway v1/v2, ALB, function URLs, EventBridge, records,
# WebSocket, Cognito and CloudFormation custom resources...): testing one of them is no project payload shape.
AWS_EVENT_KEYS = frozenset(
    {
        "httpMethod",
        "path",
        "resource",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "requestContext",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "body",
        "isBase64Encoded",
        "cookies",
        "version",
        "Records",
        "source",
        "detail-type",
        "detail",
        "account",
        "region",
        "time",
        "id",
        "resources",
        "triggerSource",
        "userPoolId",
        "RequestType",
        "ResourceType",
        "ResourceProperties",
        "StackId",
        "awslogs",
        "invocationId",
        "deliveryStreamArn",
        "records",
    }
)
SCHEDULE_SOURCE = "aws.events"
SCHEDULE_DETAIL_TYPE = "Scheduled Event"


class EventSourceAnalyzer:
    """Non-HTTP routes from tests on the shape and source of the event."""

    name: ClassVar[str] = "event-source"

    def constraints(self, test: ast.expr, evaluator: Evaluator) -> list[Constraint] | None:
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            return self._compare(test, evaluator)
        if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith":
            subject = evaluator.eval(test.func.value)  # `key.startswith("images/")` on an S3 record's key
            prefixes = evaluator.constant_strings(test.args[0]) if test.args else None
            if isinstance(subject, RoleValue) and subject.role is Role.S3_KEY and prefixes:
                return [Constraint(kind="S3", source=f"*/{p}", strategy=self.name) for p in prefixes]
            return None
        value = evaluator.eval(test)
        if isinstance(value, EventPath) and value.keys == ("Records",):
            return [Constraint(kind=RECORDS, strategy=self.name)]
        return None

    def _compare(self, test: ast.Compare, evaluator: Evaluator) -> list[Constraint] | None:
        op, left, right = test.ops[0], test.left, test.comparators[0]
        container = evaluator.eval(right)
        if isinstance(op, ast.In) and isinstance(container, EventPath):
            keys = strings(left)
            if keys and container == EventPath():
                return self._presence(keys[0])
            return None
        if not isinstance(op, ast.Eq | ast.In):
            return None
        subject, literal = evaluator.eval(left), right
        if not isinstance(subject, RoleValue):
            subject, literal = evaluator.eval(right), left
        if isinstance(subject, RoleValue) and subject.role is Role.S3_BUCKET and isinstance(op, ast.Eq):
            # the bucket the record comes from: a literal name, or what the code compares it with
            bucket = evaluator.constant_string(literal) or ast.unparse(literal)
            return [Constraint(kind="S3", source=bucket, strategy=self.name)]
        values = strings(literal)
        if not isinstance(subject, RoleValue) or not values:
            return None
        out = [self._match(subject.role, value) for value in values]
        return None if any(c is None for c in out) else out  # type: ignore[return-value]

    def _presence(self, key: str) -> list[Constraint] | None:
        if key == "Records":
            return [Constraint(kind=RECORDS, strategy=self.name)]
        if key in ("source", "detail-type", "detail"):
            return [Constraint(kind="EventBridgeRule", source="*", strategy=self.name)]
        if key not in AWS_EVENT_KEYS:  # `"resourceType" in event`: a payload shape of the project's own
            return [Constraint(kind="Invoke", source=f"{key} in event", strategy=self.name)]
        return None

    def _match(self, role: Role, value: str) -> Constraint | None:
        if role is Role.EVENT_SOURCE and value in EVENT_SOURCE_TYPES:
            return Constraint(kind=EVENT_SOURCE_TYPES[value], source=value, strategy=self.name)
        if role is Role.EB_SOURCE:
            if value == SCHEDULE_SOURCE:
                return Constraint(kind="Schedule", source=value, strategy=self.name)
            return Constraint(kind="EventBridgeRule", source=value, strategy=self.name)
        if role is Role.EB_DETAIL_TYPE:
            if value == SCHEDULE_DETAIL_TYPE:
                return Constraint(kind="Schedule", source=SCHEDULE_SOURCE, strategy=self.name)
            return Constraint(kind="EventBridgeRule", source=f"*/{value}", strategy=self.name)
        if role in (Role.WS_ROUTE, Role.ROUTE_KEY) and split_route_key(value) is None:
            return Constraint(kind="WebSocket", source=value, strategy=self.name)
        return None
