"""Bind the resource an SDK call names to the template's own resources.

A call's identifying argument has a `ValueSource`: a literal, an environment variable, a part of the event.
An environment variable is looked up in the function's `Environment` (Globals merged), and its value
(`!Ref OrdersTable`, `!GetAtt Queue.QueueName`, `!Sub "${AWS::StackName}-uploads"`) names a template
resource; a value from the event is the trigger's resource (the bucket of an S3 record). The ARN the action
needs is built for that resource and IAM resource type (bucket vs `bucket/*`, table vs `table/index/NAME`).
What cannot be known becomes `*` for that action only, with a finding that says why and where.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from decompose.domain.iam import ActionNeed, Permission, SdkCall, ValueSource
from decompose.domain.model import Finding, FunctionSpec, Severity, Trigger
from decompose.iam import arns
from decompose.iam.actions import required_resource
from decompose.iam.mapping import arn_variable_of, arn_variables
from decompose.loading.template import mentions, referenced_id

# IAM resource type -> CloudFormation types that can be it.
RESOURCE_TYPES: dict[str, frozenset[str]] = {
    "table": frozenset({"AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable", "AWS::DynamoDB::GlobalTable"}),
    "index": frozenset({"AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"}),
    "stream": frozenset({"AWS::DynamoDB::Table", "AWS::Kinesis::Stream"}),
    "bucket": frozenset({"AWS::S3::Bucket"}),
    "object": frozenset({"AWS::S3::Bucket"}),
    "queue": frozenset({"AWS::SQS::Queue"}),
    "topic": frozenset({"AWS::SNS::Topic"}),
    "function": frozenset({"AWS::Lambda::Function", "AWS::Serverless::Function"}),
    "stateMachine": frozenset({"AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine"}),
    "event-bus": frozenset({"AWS::Events::EventBus"}),
    "secret": frozenset({"AWS::SecretsManager::Secret"}),
    "parameter": frozenset({"AWS::SSM::Parameter"}),
    "key": frozenset({"AWS::KMS::Key"}),
    "deliverystream": frozenset({"AWS::KinesisFirehose::DeliveryStream"}),
}
# Properties that give a resource an explicit physical name.
NAME_PROPERTIES = (
    "TableName",
    "BucketName",
    "QueueName",
    "TopicName",
    "FunctionName",
    "StateMachineName",
    "Name",
    "StreamName",
    "DeliveryStreamName",
)
# What the call names when the IAM resource is inside another one (an object's bucket, an index's table).
CONTAINERS = {"object": "bucket", "index": "table"}
NO_RESOURCE = "the action takes no resource"  # the `via` of a `*` that is the action's own, not a fallback
# The trigger types whose event names a resource the function may act on.
TRIGGER_RESOURCE_TYPES = {"S3": "bucket", "SQS": "queue", "SNS": "topic", "DynamoDB": "table", "Kinesis": "stream"}


@dataclass(frozen=True)
class Target:
    """The resource an argument names: a template logical id, a literal name, or nothing known."""

    logical_id: str | None
    literal: str | None
    via: str


def bind_all(
    need: ActionNeed,
    *,
    call: SdkCall,
    spec: FunctionSpec,
    resources: Mapping[str, Any],
    trigger: Trigger,
    route: str,
) -> list[tuple[Permission, Finding | None]]:
    """Like `bind`, once per value an environment variable can take: `!If [Prod, !Ref A, !Ref B]` needs both."""
    name = _env_name(need, call)
    environment = dict(spec.environment)
    value = environment.get(name) if name else None
    alternatives = _if_branches(value)
    if len(alternatives) <= 1:
        return [bind(need, call=call, spec=spec, resources=resources, trigger=trigger, route=route)]
    out = []
    for alternative in alternatives:
        variant = replace(spec, environment=tuple({**environment, name: alternative}.items()))
        out.append(bind(need, call=call, spec=variant, resources=resources, trigger=trigger, route=route))
    return out


def _env_name(need: ActionNeed, call: SdkCall) -> str | None:
    source = call.param(need.resource_param) if need.resource_param else None
    return source.value if source is not None and source.kind == "env" else None


def _if_branches(value: Any) -> list[Any]:
    """The values `Fn::If` can give (nested ones flattened); `AWS::NoValue` gives none."""
    if isinstance(value, Mapping) and len(value) == 1 and "Fn::If" in value:
        branches = value["Fn::If"]
        if isinstance(branches, list) and len(branches) == 3:
            return [v for branch in branches[1:] for v in _if_branches(branch)]
    if value == {"Ref": "AWS::NoValue"}:
        return []
    return [value]


def bind(
    need: ActionNeed, *, call: SdkCall, spec: FunctionSpec, resources: Mapping[str, Any], trigger: Trigger, route: str
) -> tuple[Permission, Finding | None]:
    """The permission `need` requires for `call`, bound to the template where possible."""
    if need.resource_type == "*":
        return Permission(need.action, "*", "*", call.location, NO_RESOURCE), None
    if need.resource_type == "connection":
        return _connection(need, call, spec, resources, route)
    source, suffix = _copy_source(call) if need.resource_param == "CopySource" else (None, None)
    if source is None:
        source = call.param(need.resource_param) if need.resource_param else None
        suffix = _suffix(need, call)
    target = _target(source, spec, resources, trigger, need.resource_type)
    if target.logical_id is not None:
        arn = arns.arn_for(need.resource_type, target.logical_id, resources, suffix)
        return Permission(
            need.action, _display(target.logical_id, need.resource_type, suffix), arn, call.location, target.via
        ), None
    if target.literal is not None:
        arn = _literal_arn(need.resource_type, target.literal, suffix, need)
        shown = arn if isinstance(arn, str) else arn["Fn::Sub"]
        return Permission(need.action, shown, arn, call.location, target.via), None
    finding = Finding(
        "unbound-resource",
        Severity.WARNING,
        f"{need.action}: {target.via}; granted on '*' for this action only",
        call.location,
        route,
    )
    return Permission(need.action, "*", "*", call.location, target.via), finding


def _copy_source(call: SdkCall) -> tuple[ValueSource | None, str | None]:
    """`CopySource` as "bucket/key" text or as {"Bucket": ..., "Key": ...}: the source bucket and key."""
    whole = call.param("CopySource")
    if whole is not None and whole.kind == "literal" and "/" in whole.value:
        bucket, _, key = whole.value.partition("/")
        return ValueSource("literal", bucket), key.split("?")[0]
    bucket, key = call.param("CopySource.Bucket"), call.param("CopySource.Key")
    if bucket is None:
        return None, None
    suffix = (
        key.value if key is not None and key.kind == "literal" else (key.prefix + "*" if key and key.prefix else None)
    )
    return bucket, suffix


_CONNECTION_METHODS = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}


def _connection(
    need: ActionNeed, call: SdkCall, spec: FunctionSpec, resources: Mapping[str, Any], route: str
) -> tuple[Permission, Finding | None]:
    """`execute-api:ManageConnections` on the WebSocket API the management client's endpoint names."""
    source = call.param("endpoint_url")
    value = dict(spec.environment).get(source.value) if source is not None and source.kind == "env" else None
    text = value.get("Fn::Sub") if isinstance(value, Mapping) else None
    text = text[0] if isinstance(text, list) else text
    apis = [
        name
        for name in sorted(mentions({"Fn::Sub": text}))
        if isinstance(resources.get(name), Mapping) and resources[name].get("Type") == "AWS::ApiGatewayV2::Api"
    ]
    if not isinstance(text, str) or len(apis) != 1:
        why = "the WebSocket endpoint of the management client is not a template API"
        return Permission(need.action, "*", "*", call.location, why), Finding(
            "unbound-resource",
            Severity.WARNING,
            f"{need.action}: {why}; granted on '*' for this action only",
            call.location,
            route,
        )
    stage = text.rstrip("/").rsplit("/", 1)[-1] if text.count("/") >= 3 and "${" not in text.rsplit("/", 1)[-1] else "*"
    method = _CONNECTION_METHODS.get(call.operation, "*")
    api_arn = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${%s}" % apis[0]  # noqa: UP031
    arn = {"Fn::Sub": f"{api_arn}/{stage}/{method}/@connections/*"}
    via = f"env {source.value} -> {_short(value)}"  # type: ignore[union-attr]
    return Permission(need.action, f"{apis[0]}/{stage}/{method}/@connections/*", arn, call.location, via), None


def _target(
    source: ValueSource | None, spec: FunctionSpec, resources: Mapping[str, Any], trigger: Trigger, resource_type: str
) -> Target:
    if source is None:
        return Target(None, None, "the call does not name its resource")
    if source.kind == "event":
        wanted = TRIGGER_RESOURCE_TYPES.get(trigger.type)
        compatible = wanted == resource_type or (wanted == "bucket" and resource_type == "object")
        if compatible and trigger.source in resources:
            return Target(trigger.source, None, f"event {source.value} -> trigger {trigger.source}")
        if compatible and _literal_source(trigger.source) and not resources:
            # No template (a Chalice project): the trigger names its resource literally (`bucket="uploads"`).
            return Target(None, trigger.source, f"event {source.value} -> trigger {trigger.source!r}")
        noun = CONTAINERS.get(resource_type, resource_type)
        return Target(
            None,
            None,
            f"the {noun} comes from the event ({source.value or 'event'}), and the route's"
            f" {trigger.type} trigger names no {noun} of the template",
        )
    if source.kind == "env":
        environment = dict(spec.environment)
        if source.value not in environment:
            if spec.logical_id is None:
                return Target(None, None, f"environment variable {source.value} is read, and there is no template")
            return Target(None, None, f"environment variable {source.value} is not set on {spec.logical_id}")
        value = environment[source.value]
        logical_id = resource_named_by(value, resources, resource_type)
        if logical_id is not None:
            return Target(logical_id, None, f"env {source.value} -> {_short(value)}")
        if isinstance(value, str):
            return Target(None, value, f"env {source.value} -> literal {value!r}")
        return Target(None, None, f"env {source.value} -> {_short(value)} names no {resource_type} of the template")
    if source.kind == "literal":
        logical_id = resource_named_by(source.value, resources, resource_type)
        if logical_id is not None:
            return Target(logical_id, None, f"literal {source.value!r} -> {logical_id}")
        return Target(None, source.value, f"literal {source.value!r} (not a resource of the template)")
    return Target(None, None, f"the {resource_type} name is {source.value or 'not known statically'}")


def _literal_source(source: str | None) -> bool:
    """A resource name or ARN, not what the code compared (`aws:s3`) or an unknown (`*`, `?`)."""
    return bool(source) and source not in ("*", "?") and (":" not in source or source.startswith("arn:"))  # type: ignore[operator]


def resource_named_by(value: Any, resources: Mapping[str, Any], resource_type: str) -> str | None:
    """The template resource an environment value or literal names, if it is of a fitting type."""
    allowed = RESOURCE_TYPES.get(resource_type, frozenset())
    referenced = referenced_id(value)
    candidates: list[str] = [referenced] if referenced is not None else []
    for logical_id, resource in resources.items():
        props = (resource or {}).get("Properties") or {} if isinstance(resource, Mapping) else {}
        if any(props.get(name) == value for name in NAME_PROPERTIES if name in props):
            candidates.append(str(logical_id))
    for candidate in candidates:
        resource = resources.get(candidate)
        if isinstance(resource, Mapping) and resource.get("Type") in allowed:
            return candidate
    return None


def _suffix(need: ActionNeed, call: SdkCall) -> str | None:
    if need.suffix_param is None:
        return None
    source = call.param(need.suffix_param)
    if source is None:
        return None
    if need.resource_type == "object":
        if source.kind == "literal":
            return source.value
        return source.prefix + "*" if source.prefix else None
    return source.value if source.kind == "literal" else None


def _display(logical_id: str, resource_type: str, suffix: str | None) -> str:
    if resource_type == "object":
        return f"{logical_id}/{suffix or '*'}"
    if resource_type == "index":
        return f"{logical_id}/index/{suffix or '*'}"
    if resource_type == "stream":
        return f"{logical_id}/stream/*"
    return logical_id


_LITERAL_ARNS = {
    "table": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/{name}",
    "index": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/{name}/index/{suffix}",
    "stream": "arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/{name}",
    "bucket": "arn:${AWS::Partition}:s3:::{name}",
    "object": "arn:${AWS::Partition}:s3:::{name}/{suffix}",
    "function": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:{name}",
    "queue": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:{name}",
    "topic": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:{name}",
    "stateMachine": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:{name}",
    "parameter": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/{name}",
    "event-bus": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/{name}",
    "secret": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:{name}-??????",
    "key": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/{name}",
    "deliverystream": "arn:${AWS::Partition}:firehose:${AWS::Region}:${AWS::AccountId}:deliverystream/{name}",
}


def _literal_arn(resource_type: str, name: str, suffix: str | None, need: ActionNeed | None = None) -> Any:
    """The ARN of a resource the template does not define, from its literal name (or ARN, or queue URL),
    in the function's own partition, region and account (where boto3 sends the call). A type without an
    entry here takes the ARN format of the Service Authorization Reference (its other variables: `*`)."""
    if name.startswith("arn:"):
        return name + (f"/{suffix}" if resource_type == "object" and suffix else "")
    if resource_type == "queue" and name.startswith("https://"):
        name = name.rstrip("/").split("/")[-1]
    if resource_type == "parameter":
        name = name.lstrip("/")
    text = _LITERAL_ARNS.get(resource_type) or (_reference_arn(need) if need is not None else "{name}")
    text = text.replace("{name}", name.replace("${", "${!"))
    return {"Fn::Sub": text.replace("{suffix}", (suffix or "*").replace("${", "${!"))}


def _reference_arn(need: ActionNeed) -> str:
    """`arn:${Partition}:athena:${Region}:${Account}:workgroup/${WorkGroupName}` as a `Fn::Sub` pattern: the
    variable the call's member fills is the name (`{name}`), any other variable `*`."""
    found = required_resource(need.action)
    if found is None or found[0] != need.resource_type:
        return "{name}"
    text = found[1]
    for variable, pseudo in (("Partition", "AWS::Partition"), ("Region", "AWS::Region"), ("Account", "AWS::AccountId")):
        text = text.replace("${" + variable + "}", "${" + pseudo + "}")
    names = arn_variables(found[1])
    named = arn_variable_of(found[1], need.resource_type, need.resource_param) or (names[-1] if names else None)
    for variable in names:
        text = text.replace("${" + variable + "}", "{name}" if variable == named else "*", 1)
    return text


def _short(value: Any) -> str:
    if isinstance(value, Mapping) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "Ref":
            return f"!Ref {inner}"
        if key == "Fn::GetAtt":
            return "!GetAtt " + (".".join(inner) if isinstance(inner, list) else str(inner))
        if key == "Fn::Sub":
            return f"!Sub {inner if isinstance(inner, str) else inner[0]!r}"
    return repr(value)
