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

SCHEDULE_SOURCE = "aws.events"
SCHEDULE_DETAIL_TYPE = "Scheduled Event"


class EventSourceAnalyzer:
    """Non-HTTP routes from tests on the shape and source of the event."""

    name: ClassVar[str] = "event-source"

    def constraints(self, test: ast.expr, evaluator: Evaluator) -> list[Constraint] | None:
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            return self._compare(test, evaluator)
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
