"""CloudFormation expressions for the ARNs of a template's own resources, and their evaluation to strings.

Two directions, one table of resource types:

- `arn_for` writes the expression a generated policy puts in `Resource:` for an IAM resource type ("table",
  "object", "queue"...) of a template resource: `!GetAtt T.Arn`, `!Ref Topic`, or an `Fn::Sub` when the ARN
  has no attribute of its own (buckets, objects, indexes, DynamoDB streams, SSM parameters).
- `render` evaluates such an expression (or any the user wrote: `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`,
  `Fn::Select`, `Fn::Split`) to a string with CloudFormation's return values per resource type. A caller that
  passes placeholder names (`lambda lid: "{" + lid + "}"`) gets strings that compare equal exactly when two
  expressions denote the same ARN, which is how a SAM policy template's `table/${tableName}` with
  `tableName: !Ref OrdersTable` and `!GetAtt OrdersTable.Arn` are found to be the same table.

What `Ref` returns (CloudFormation "Return values" of each type): a table, bucket, function, event bus, SSM
parameter or Kinesis stream -> its name; a queue -> its URL; a topic, state machine or secret -> its ARN; a
KMS key -> its key id. A resource with an explicit name property (`TableName`, `BucketName`, `QueueName`,
`TopicName`, `FunctionName`, `StateMachineName`, `Name`) is named by it, else by `name_of(logical_id)`.

Two values are not known before deployment and render as the IAM pattern AWS documents for them: a secret's
ARN ends in a random six-character suffix (`secret:NAME-??????`) and a DynamoDB stream's ARN ends in a
timestamp label (`table/NAME/stream/*`). As a granted resource the pattern matches the real ARN; as a
required resource only a grant at least as wide covers it, which errs on the safe side. For the same reason
`arn_for("stream", table)` is `${T.Arn}/stream/*`, not `!GetAtt T.StreamArn`: it deploys whether or not the
table declares a stream and survives the stream being re-created with a new label.

`Fn::If`, `Fn::ImportValue`, `Fn::FindInMap` and `Ref: AWS::NoValue` raise `UnrenderableError`: their value
depends on conditions, other stacks or mappings the caller has not resolved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["UnrenderableError", "arn_for", "render"]

NameOf = Callable[[str], str]

_TABLES = frozenset({"AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable", "AWS::DynamoDB::GlobalTable"})
_FUNCTIONS = frozenset({"AWS::Lambda::Function", "AWS::Serverless::Function"})
_STATE_MACHINES = frozenset({"AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine"})
_BUCKET = "AWS::S3::Bucket"
_QUEUE = "AWS::SQS::Queue"
_TOPIC = "AWS::SNS::Topic"
_EVENT_BUS = "AWS::Events::EventBus"
_SECRET = "AWS::SecretsManager::Secret"
_PARAMETER = "AWS::SSM::Parameter"
_KEY = "AWS::KMS::Key"
# Resources whose Ref is an id generated at deploy time (API Gateway API ids).
_GENERATED_IDS = ("AWS::ApiGatewayV2::Api", "AWS::ApiGateway::RestApi")
_KINESIS = "AWS::Kinesis::Stream"

# The property that names a resource of each type, when the template sets it.
_NAME_PROPERTY: dict[str, str] = {
    **dict.fromkeys(_TABLES, "TableName"),
    **dict.fromkeys(_FUNCTIONS, "FunctionName"),
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Serverless::StateMachine": "Name",
    _BUCKET: "BucketName",
    _QUEUE: "QueueName",
    _TOPIC: "TopicName",
    _EVENT_BUS: "Name",
    _SECRET: "Name",
    _PARAMETER: "Name",
    _KINESIS: "Name",
}

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_MAX_DEPTH = 32


class UnrenderableError(ValueError):
    """An expression whose value cannot be known from the template alone (a condition, an import...)."""


def render(
    expr: Any,
    resources: Mapping[str, Any],
    name_of: NameOf,
    *,
    partition: str = "aws",
    region: str = "us-east-1",
    account: str = "123456789012",
    stack_name: str = "stack",
) -> str:
    """Evaluate a CloudFormation string expression the way CloudFormation would, with the names `name_of` gives.

    Raises `UnrenderableError` for conditions, imports, mappings, unknown resource types or attributes.
    """
    return _Renderer(resources, name_of, partition, region, account, stack_name).text(expr, 0)


def arn_for(resource_type: str, logical_id: str, resources: Mapping[str, Any], suffix: str | None = None) -> Any:
    """The CloudFormation expression (JSON-able long form) of the ARN of a template resource.

    `resource_type` is the IAM resource type of the action ("table", "index", "stream", "bucket", "object",
    "queue", "topic", "function", "stateMachine", "event-bus", "secret", "parameter", "key"). `suffix` refines
    it: an index name for "index" (None means any index), a key or key pattern for "object"
    (`reports/*` for a prefix, `settings.json` for one object; None means any object). Raises `ValueError`
    when the resource is missing or of another type.
    """
    cfn_type = _type_of(logical_id, resources)
    allowed = _ARN_TYPES.get(resource_type)
    if allowed is None:
        raise ValueError(f"unknown IAM resource type {resource_type!r}")
    if cfn_type not in allowed:
        raise ValueError(f"{logical_id} is a {cfn_type}, not a resource of IAM type {resource_type!r}")
    if suffix is not None and resource_type not in ("index", "object"):
        raise ValueError(f"IAM resource type {resource_type!r} takes no suffix (got {suffix!r})")
    if resource_type == "index":
        return {"Fn::Sub": f"${{{logical_id}.Arn}}/index/{_escape_sub(suffix or '*')}"}
    if resource_type == "stream" and cfn_type in _TABLES:
        return {"Fn::Sub": f"${{{logical_id}.Arn}}/stream/*"}
    if resource_type in ("bucket", "object"):
        tail = ""
        if resource_type == "object":
            tail = "/" + (_escape_sub(suffix) if suffix else "*")
        name = _name_expr(logical_id, resources)
        return {"Fn::Sub": [f"arn:${{AWS::Partition}}:s3:::${{Name}}{tail}", {"Name": name}]}
    if resource_type == "parameter":
        name = _strip_leading_slash(_name_expr(logical_id, resources))
        return {
            "Fn::Sub": [
                "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Name}",
                {"Name": name},
            ]
        }
    if resource_type in ("topic", "stateMachine", "secret"):
        return {"Ref": logical_id}
    return {"Fn::GetAtt": [logical_id, "Arn"]}


# IAM resource type -> the template resource types whose ARN it is.
_ARN_TYPES: dict[str, frozenset[str]] = {
    "table": _TABLES,
    "index": _TABLES,
    "stream": _TABLES | {_KINESIS},
    "bucket": frozenset({_BUCKET}),
    "object": frozenset({_BUCKET}),
    "queue": frozenset({_QUEUE}),
    "topic": frozenset({_TOPIC}),
    "function": _FUNCTIONS,
    "stateMachine": _STATE_MACHINES,
    "event-bus": frozenset({_EVENT_BUS}),
    "secret": frozenset({_SECRET}),
    "parameter": frozenset({_PARAMETER}),
    "key": frozenset({_KEY}),
}


def _type_of(logical_id: str, resources: Mapping[str, Any]) -> str:
    resource = resources.get(logical_id)
    if not isinstance(resource, Mapping):
        raise ValueError(f"{logical_id} is not a resource of the template")
    return str(resource.get("Type"))


def _properties(resource: Any) -> Mapping[str, Any]:
    props = resource.get("Properties") if isinstance(resource, Mapping) else None
    return props if isinstance(props, Mapping) else {}


def _name_expr(logical_id: str, resources: Mapping[str, Any]) -> Any:
    """The template's own expression for a resource's name: its name property, else `!Ref` (which names it)."""
    resource = resources[logical_id]
    prop = _NAME_PROPERTY.get(str(resource.get("Type")))
    value = _properties(resource).get(prop) if prop else None
    return _plain(value) if value is not None else {"Ref": logical_id}


def _strip_leading_slash(expr: Any) -> Any:
    """SSM ARNs are `parameter/NAME` without NAME's leading `/`: strip it from a literal or a `Fn::Sub` string."""
    if isinstance(expr, str):
        return expr.removeprefix("/")
    if isinstance(expr, dict) and isinstance(expr.get("Fn::Sub"), str):
        return {"Fn::Sub": expr["Fn::Sub"].removeprefix("/")}
    if isinstance(expr, dict) and isinstance(expr.get("Fn::Sub"), list) and expr["Fn::Sub"]:
        text, *rest = expr["Fn::Sub"]
        return {"Fn::Sub": [str(text).removeprefix("/"), *rest]}
    return expr


def _escape_sub(text: str) -> str:
    return text.replace("${", "${!")


def _plain(value: Any) -> Any:
    """A copy made of plain dict/list/str (cfn-lint's decoded nodes are subclasses carrying line marks)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


@dataclass(frozen=True)
class _Renderer:
    resources: Mapping[str, Any]
    name_of: NameOf
    partition: str
    region: str
    account: str
    stack_name: str

    def text(self, expr: Any, depth: int) -> str:
        if depth > _MAX_DEPTH:
            raise UnrenderableError("expression nests too deeply (a name that refers to itself?)")
        if isinstance(expr, str):
            return str(expr)
        if isinstance(expr, bool):
            return "true" if expr else "false"
        if isinstance(expr, int | float):
            return str(expr)
        if isinstance(expr, Mapping) and len(expr) == 1:
            ((key, arg),) = expr.items()
            return self._intrinsic(str(key), arg, depth + 1)
        raise UnrenderableError(f"not a string expression: {_short(expr)}")

    def _intrinsic(self, key: str, arg: Any, depth: int) -> str:
        if key == "Ref":
            return self.ref(str(arg), depth)
        if key == "Fn::GetAtt":
            if isinstance(arg, str):
                logical_id, _, attribute = arg.partition(".")
            elif isinstance(arg, list) and len(arg) == 2:
                logical_id, attribute = str(arg[0]), self.text(arg[1], depth)
            else:
                raise UnrenderableError(f"malformed Fn::GetAtt: {_short(arg)}")
            return self.get_att(logical_id, attribute, depth)
        if key == "Fn::Sub":
            return self._sub(arg, depth)
        if key == "Fn::Join":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise UnrenderableError(f"malformed Fn::Join: {_short(arg)}")
            return self.text(arg[0], depth).join(self._list(arg[1], depth))
        if key == "Fn::Select":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise UnrenderableError(f"malformed Fn::Select: {_short(arg)}")
            items = self._list(arg[1], depth)
            try:
                return items[int(self.text(arg[0], depth))]
            except (ValueError, IndexError) as exc:
                raise UnrenderableError(f"Fn::Select index out of range: {_short(arg)}") from exc
        raise UnrenderableError(f"{key} cannot be evaluated from the template alone")

    def _list(self, expr: Any, depth: int) -> list[str]:
        if isinstance(expr, list):
            return [self.text(item, depth) for item in expr]
        if isinstance(expr, Mapping) and set(expr) == {"Fn::Split"}:
            arg = expr["Fn::Split"]
            if not (isinstance(arg, list) and len(arg) == 2):
                raise UnrenderableError(f"malformed Fn::Split: {_short(arg)}")
            return self.text(arg[1], depth).split(self.text(arg[0], depth))
        raise UnrenderableError(f"not a list expression: {_short(expr)}")

    def _sub(self, arg: Any, depth: int) -> str:
        variables: Mapping[str, Any] = {}
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping):
            arg, variables = arg[0], arg[1]
        if not isinstance(arg, str):
            raise UnrenderableError(f"malformed Fn::Sub: {_short(arg)}")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return self.text(variables[name], depth + 1)
            if "." in name and not name.startswith("AWS::"):
                logical_id, _, attribute = name.partition(".")
                return self.get_att(logical_id, attribute, depth + 1)
            return self.ref(name, depth + 1)

        return _SUB_VARIABLE.sub(replace, arg)

    def ref(self, name: str, depth: int) -> str:
        pseudo = self._pseudo(name)
        if pseudo is not None:
            return pseudo
        resource = self.resources.get(name)
        if not isinstance(resource, Mapping):
            return self.name_of(name)  # a template parameter
        kind = str(resource.get("Type"))
        if kind == _QUEUE:
            return f"https://sqs.{self.region}.{self._url_suffix}/{self.account}/{self.name(name, depth)}"
        if kind in (_TOPIC, _SECRET) or kind in _STATE_MACHINES:
            return self.get_att(name, {_TOPIC: "TopicArn", _SECRET: "Id"}.get(kind, "Arn"), depth)
        if kind in (_KEY, *_GENERATED_IDS):
            return self.name_of(name)  # an id CloudFormation generates: the caller's name for it
        if kind in _NAME_PROPERTY:
            return self.name(name, depth)
        raise UnrenderableError(f"Ref to {name} ({kind}): its return value is not known to decompose")

    def get_att(self, logical_id: str, attribute: str, depth: int) -> str:
        resource = self.resources.get(logical_id)
        if not isinstance(resource, Mapping):
            raise UnrenderableError(f"Fn::GetAtt of {logical_id}, which is not a resource of the template")
        kind = str(resource.get("Type"))
        head = f"arn:{self.partition}"
        where = f"{self.region}:{self.account}"
        value: str | None = None
        if kind in _TABLES:
            arn = f"{head}:dynamodb:{where}:table/{self.name(logical_id, depth)}"
            value = {"Arn": arn, "StreamArn": f"{arn}/stream/*"}.get(attribute)
        elif kind == _BUCKET:
            name = self.name(logical_id, depth)
            value = {
                "Arn": f"{head}:s3:::{name}",
                "DomainName": f"{name}.s3.{self._url_suffix}",
                "RegionalDomainName": f"{name}.s3.{self.region}.{self._url_suffix}",
            }.get(attribute)
        elif kind == _QUEUE:
            name = self.name(logical_id, depth)
            value = {
                "Arn": f"{head}:sqs:{where}:{name}",
                "QueueName": name,
                "QueueUrl": f"https://sqs.{self.region}.{self._url_suffix}/{self.account}/{name}",
            }.get(attribute)
        elif kind == _TOPIC:
            name = self.name(logical_id, depth)
            arn = f"{head}:sns:{where}:{name}"
            value = {"TopicArn": arn, "TopicName": name}.get(attribute)
        elif kind in _FUNCTIONS:
            value = f"{head}:lambda:{where}:function:{self.name(logical_id, depth)}" if attribute == "Arn" else None
        elif kind in _STATE_MACHINES:
            name = self.name(logical_id, depth)
            value = {"Arn": f"{head}:states:{where}:stateMachine:{name}", "Name": name}.get(attribute)
        elif kind == _EVENT_BUS:
            name = self.name(logical_id, depth)
            value = {"Arn": f"{head}:events:{where}:event-bus/{name}", "Name": name}.get(attribute)
        elif kind == _SECRET:
            arn = f"{head}:secretsmanager:{where}:secret:{self.name(logical_id, depth)}-??????"
            value = arn if attribute == "Id" else None
        elif kind == _KEY:
            key_id = self.name_of(logical_id)
            value = {"Arn": f"{head}:kms:{where}:key/{key_id}", "KeyId": key_id}.get(attribute)
        elif kind == _KINESIS:
            value = f"{head}:kinesis:{where}:stream/{self.name(logical_id, depth)}" if attribute == "Arn" else None
        if value is None:
            raise UnrenderableError(f"Fn::GetAtt {logical_id}.{attribute} ({kind}) is not known to decompose")
        return value

    def name(self, logical_id: str, depth: int) -> str:
        resource = self.resources[logical_id]
        prop = _NAME_PROPERTY.get(str(resource.get("Type")))
        value = _properties(resource).get(prop) if prop else None
        if value is None:
            return self.name_of(logical_id)
        return self.text(value, depth + 1)

    def _pseudo(self, name: str) -> str | None:
        if name == "AWS::NoValue":
            raise UnrenderableError("Ref AWS::NoValue has no string value")
        return {
            "AWS::Partition": self.partition,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": self._url_suffix,
        }.get(name)

    @property
    def _url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"


def _short(value: Any) -> str:
    text = repr(_plain(value))
    return text if len(text) <= 80 else text[:77] + "..."
