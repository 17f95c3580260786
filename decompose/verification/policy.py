"""The policy check: is every AWS call a new function really made allowed by the policy it will deploy with?

Two checks, because neither alone is enough:

- **The evaluator, on concrete ARNs.** Each recorded call (`RecordedCall`) is mapped to the IAM actions it
  needs by decompose's own `iam.mapping.actions_for` (an `SdkCall` built from the literal parameters), and
  each action is given the concrete ARN the call's parameters name (`RecordedCall.needs`): bucket/key, table
  (+ index), queue URL -> ARN, topic, state machine and function ARNs, SSM parameter, the API Gateway
  management API's connection. `Policy.allows` asks moto's own IAM policy evaluator
  (`moto.iam.access_control.IAMPolicy`) whether the function's rendered policy allows it.
- **moto's access control.** The function runs again as an IAM user holding only its policy, with moto's IAM
  enforcement on (`Policy.moto_view`). moto authorizes S3 against the bucket/object ARN and SQS against the
  queue ARN, but every other service against resource `*`, and names Lambda's action after the API
  operation (`lambda:Invoke`): the view widens other services' resources to `*` and adds moto's spelling, so
  enforcement proves the actions of every statement and the resources of S3 and SQS statements, and the
  evaluator proves every resource.

`rendered_policy` turns a function's `Policies` (SAM policy templates expanded by aws-sam-translator,
documents, AWS managed policies from decompose's table) into concrete statements with `arns.render` and the
world's physical names. Entries it cannot read (a customer managed policy, a Condition) are returned as
problems: the policy is then checked as narrower than it is, which can report a call as denied that is not.
Calls an invoked in-stack function made (`nested`) belong to that function's role and are not checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from decompose.domain.iam import SdkCall, ValueSource
from decompose.domain.model import Location
from decompose.iam.arns import UnrenderableError
from decompose.iam.mapping import actions_for
from decompose.iam.models import iam_prefix
from decompose.iam.monolith import granted_statements, iam_match

# Services whose moto responses authorize against the request's resource ARN; all others use resource "*".
MOTO_RESOURCE_SERVICES = frozenset({"s3", "sqs"})
# IAM action -> the name moto checks (moto uses the API operation name for these).
MOTO_ACTION_NAMES = {"lambda:InvokeFunction": "lambda:Invoke"}
# IAM prefix -> the prefix moto's access control uses (the request's signing name).
MOTO_SIGNING_PREFIXES = {"cloudwatch": "monitoring"}
ACCESS_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "403"})


@dataclass(frozen=True)
class Statement:
    """One Allow statement with concrete action patterns and resource ARNs (or ARN patterns)."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    origin: str

    def as_json(self) -> dict[str, Any]:
        return {"Effect": "Allow", "Action": list(self.actions), "Resource": list(self.resources)}


@dataclass(frozen=True)
class Policy:
    """A function's rendered policy: its statements, and the `Policies` entries that could not be read."""

    statements: tuple[Statement, ...]
    problems: tuple[str, ...] = ()

    def document(self) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": [s.as_json() for s in self.statements]}

    def allows(self, action: str, resource: str) -> bool:
        """Whether the policy allows `action` on `resource`, by moto's own IAM policy evaluator."""
        if not self.statements:
            return False
        from moto.iam.access_control import IAMPolicy, PermissionResult  # noqa: PLC0415 - moto loads slowly

        verdict = IAMPolicy(json.dumps(self.document())).is_action_permitted(action, resource)
        return verdict is PermissionResult.PERMITTED

    def covering(self, action: str) -> list[str]:
        """The resources of the statements that grant `action` (what a too-narrow grant does allow)."""
        return [
            r
            for s in self.statements
            if any(iam_match(p, action, case_sensitive=False) for p in s.actions)
            for r in s.resources
        ]

    def moto_view(self) -> dict[str, Any]:
        """The document moto can enforce: `Resource: *` where moto checks no resource, moto's action names added."""
        out = []
        for statement in self.statements:
            prefixes = {action.split(":", 1)[0] for action in statement.actions}
            resources: Any = list(statement.resources) if prefixes <= MOTO_RESOURCE_SERVICES else "*"
            actions = list(statement.actions)
            for action in statement.actions:
                prefix, _, name = action.partition(":")
                if action in MOTO_ACTION_NAMES:
                    actions.append(MOTO_ACTION_NAMES[action])
                if prefix in MOTO_SIGNING_PREFIXES:
                    actions.append(f"{MOTO_SIGNING_PREFIXES[prefix]}:{name}")
            out.append({"Effect": "Allow", "Action": actions, "Resource": resources})
        return {"Version": "2012-10-17", "Statement": out}


def rendered_policy(policies: Sequence[Any], render: Callable[[Any], str]) -> Policy:
    """A SAM `Policies:` list as concrete Allow statements (templates expanded, resources rendered)."""
    granted, problems = granted_statements(list(policies))
    statements = []
    for statement in granted:
        resources = []
        for resource in statement.resources:
            try:
                resources.append(render(resource))
            except UnrenderableError as error:
                problems.append(f"{statement.origin}: a resource is not evaluated ({error}); it is not counted")
        statements.append(Statement(statement.actions, tuple(resources), statement.origin))
    return Policy(tuple(statements), tuple(problems))


def _literal(name: str, value: Any) -> ValueSource:
    if name == "CopySource" and isinstance(value, Mapping) and "Bucket" in value:
        value = f"{value['Bucket']}/{value.get('Key', '')}"
    if isinstance(value, str):
        return ValueSource("literal", value)
    return ValueSource("unknown", f"{type(value).__name__} value")


def _copy_source(value: Any) -> tuple[str, str]:
    if isinstance(value, Mapping):
        return str(value.get("Bucket", "")), str(value.get("Key", ""))
    bucket, _, key = unquote(str(value)).lstrip("/").partition("/")
    return bucket, key.split("?versionId=")[0]


@dataclass(frozen=True)
class RecordedCall:
    """One AWS operation a handler really called: botocore client name, operation, request parameters
    (tagged JSON, `codec`), the client's endpoint, and whether it was only presigned."""

    service: str
    operation: str
    params: Mapping[str, Any]
    url: str = ""
    presigned: bool = False
    region: str = "us-east-1"
    account: str = "123456789012"

    @classmethod
    def from_record(cls, record: Mapping[str, Any], region: str, account: str) -> RecordedCall:
        return cls(
            str(record["service"]),
            str(record["operation"]),
            dict(record.get("params") or {}),
            str(record.get("endpoint") or ""),
            bool(record.get("presigned")),
            region,
            account,
        )

    @property
    def name(self) -> str:
        return f"{self.service}.{self.operation}" + (" (presigned)" if self.presigned else "")

    def sdk_call(self) -> SdkCall:
        params = tuple((name, _literal(name, value)) for name, value in sorted(self.params.items()))
        return SdkCall(self.service, self.operation, Location("<recorded>"), params)

    def needs(self) -> list[tuple[str, str]]:
        """(IAM action, concrete resource ARN) pairs the call needs, by decompose's mapping and the real params."""
        return [(need.action, arn) for need in actions_for(self.sdk_call()) for arn in self._arns(need)]

    def _arns(self, need: Any) -> list[str]:
        kind, param = need.resource_type, need.resource_param
        p = self.params
        where = f"{self.region}:{self.account}"
        if kind == "*":
            return ["*"]
        if self.service == "s3":
            if param == "CopySource":
                bucket, key = _copy_source(p.get("CopySource"))
            else:
                bucket, key = str(p.get("Bucket", "")), str(p.get("Key", ""))
            return [f"arn:aws:s3:::{bucket}" if kind == "bucket" else f"arn:aws:s3:::{bucket}/{key}"]
        if self.service in ("dynamodb", "dynamodbstreams") and kind in ("table", "index"):
            tables = [p["TableName"]] if "TableName" in p else sorted(p.get("RequestItems", {}))
            arns = [t if str(t).startswith("arn:") else f"arn:aws:dynamodb:{where}:table/{t}" for t in tables]
            if kind == "index":
                arns = [f"{arn}/index/{p.get('IndexName', '*')}" for arn in arns]
            return arns
        if self.service == "sqs":
            return [self._queue_arn(str(p.get(param or "QueueUrl", "")))]
        if self.service == "lambda":
            name = str(p.get(param or "FunctionName", ""))
            return [name if name.startswith("arn:") else f"arn:aws:lambda:{where}:function:{name}"]
        if self.service == "apigatewaymanagementapi":
            parsed = urlparse(self.url)
            api_id = parsed.hostname.split(".", 1)[0] if parsed.hostname else "?"
            method = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}
            stage = parsed.path.strip("/")
            connection = p.get("ConnectionId", "*")
            action_method = method.get(self.operation, "*")
            return [f"arn:aws:execute-api:{where}:{api_id}/{stage}/{action_method}/@connections/{connection}"]
        if self.service == "ssm" and kind == "parameter":
            name = str(p.get(param or "Name", ""))
            return [name if name.startswith("arn:") else f"arn:aws:ssm:{where}:parameter/{name.lstrip('/')}"]
        if self.service == "secretsmanager" and kind == "secret":
            name = str(p.get(param or "SecretId", ""))
            return [name if name.startswith("arn:") else f"arn:aws:secretsmanager:{where}:secret:{name}-??????"]
        if self.service == "kinesis" and kind == "stream":
            name = str(p.get(param or "StreamName", ""))
            return [name if name.startswith("arn:") else f"arn:aws:kinesis:{where}:stream/{name}"]
        if self.service == "events" and kind == "event-bus":
            entries = p.get("Entries") or [{}]
            buses = {str(e.get("EventBusName") or "default") for e in entries if isinstance(e, Mapping)}
            return [b if b.startswith("arn:") else f"arn:aws:events:{where}:event-bus/{b}" for b in sorted(buses)]
        value = p.get(param) if param else None
        if isinstance(value, str) and value.startswith("arn:"):
            return [value]  # topics, state machines, executions: their parameters are ARNs
        if isinstance(value, str):
            return [f"arn:aws:{iam_prefix(self.service)}:{where}:{kind}/{value}"]
        return ["*"]

    def _queue_arn(self, url: str) -> str:
        if url.startswith("arn:"):
            return url
        parts = urlparse(url).path.strip("/").split("/")
        account, name = (parts[0], parts[1]) if len(parts) == 2 else (self.account, parts[-1])
        return f"arn:aws:sqs:{self.region}:{account}:{name}"


def is_access_denied(code: str, message: str = "") -> bool:
    return code in ACCESS_DENIED_CODES or "AccessDenied" in message or "not authorized" in message
