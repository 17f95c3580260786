"""The world both runs share: moto state made from the template's resources, and the seed put into it.

**Names.** Every resource is named as CloudFormation would: by its explicit name property when it has one
(`TableName`, `BucketName`, `!Sub "${AWS::StackName}-uploads-${AWS::AccountId}"`...), rendered by
`iam.arns.render`, else `<stack>-<LogicalId>` (lower case for buckets). The stack name is `samconfig.toml`'s
`stack_name` (what `sam deploy` uses), else the project folder's name; region us-east-1 and moto's account
123456789012. A template parameter takes its `Default`. The functions' environments and policies are
rendered with the same names, so code, policies and world agree.

**Resources** (`world_spec`, made in the parent as JSON; `build` runs in each runner): DynamoDB tables and
SAM SimpleTables (keys, GSIs, LSIs, streams), S3 buckets, SQS queues (FIFO too), SNS topics, Kinesis
streams, Step Functions state machines (with a one-state Pass definition: moto records executions, it does
not run them), Lambda functions (moto's docker-free backend: an in-stack synchronous `Invoke` is answered by
running that function's handler in-process, see `runner`), SSM parameters, Secrets Manager secrets and
EventBridge buses. Anything else is listed as not created.

**Seed** (`read_seed`): `decompose-seed.yaml` (or `.yml`/`.json`) in the events folder, put into the world
before every event, identically for both runs:

    tables:                      # template logical id -> items (numbers become Decimal)
      OrdersTable:
        - {order_id: ord-1001, status: PENDING, total: 49.80}
    objects:                     # bucket logical id -> key -> text, or a file (relative to the seed file)
      InvoicesBucket:
        invoices/inv-9001.pdf: {file: invoice.pdf, content_type: application/pdf, metadata: {order-id: o-1}}
        notes/readme.txt: hello
    parameters:                  # SSM parameter name -> value (a SecureString)
      /catalog/api-keys: k-1,k-2
    secrets:                     # secret name (or logical id) -> its SecretString
      DbSecret: '{"user": "app"}'

**State** (`dump`): after each event, every table's items (sorted), every object (key, size, text or
SHA-256, content type, user metadata), every queue's messages (in order, with attributes), every topic's
published notifications, every state machine's executions (name and input), every stream's records, and
every parameter and secret.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from decompose.domain.model import Location
from decompose.errors import InputError
from decompose.iam.arns import UnrenderableError, render
from decompose.verification.codec import b64, describe_bytes, encode

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
SEED_NAMES = ("decompose-seed.yaml", "decompose-seed.yml", "decompose-seed.json")
ROLE_NAME = "decompose-verify-role"

_TABLES = frozenset({"AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"})
_FUNCTIONS = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})
_STATE_MACHINES = frozenset({"AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"})
_KINDS = {
    **dict.fromkeys(_TABLES, "table"),
    **dict.fromkeys(_FUNCTIONS, "function"),
    **dict.fromkeys(_STATE_MACHINES, "state_machine"),
    "AWS::S3::Bucket": "bucket",
    "AWS::SQS::Queue": "queue",
    "AWS::SNS::Topic": "topic",
    "AWS::Kinesis::Stream": "stream",
    "AWS::SSM::Parameter": "parameter",
    "AWS::SecretsManager::Secret": "secret",
    "AWS::Events::EventBus": "event_bus",
}
_ATTRIBUTE_TYPES = {"String": "S", "Number": "N", "Binary": "B"}
_PASS = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


@dataclass(frozen=True)
class Names:
    """How the template's resources are named in the world, and the renderer that uses those names."""

    stack: str
    resources: Mapping[str, Any]
    parameters: Mapping[str, str] = field(default_factory=dict)

    def default_name(self, logical_id: str) -> str:
        if logical_id in self.parameters:
            return self.parameters[logical_id]
        resource = self.resources.get(logical_id)
        kind = str(resource.get("Type")) if isinstance(resource, Mapping) else ""
        name = f"{self.stack}-{logical_id}"
        return name.lower() if kind == "AWS::S3::Bucket" else name

    def render(self, expr: Any) -> str:
        """A CloudFormation expression evaluated with the world's names (raises `UnrenderableError`)."""
        return render(expr, self.resources, self.default_name, region=REGION, account=ACCOUNT, stack_name=self.stack)

    def name(self, logical_id: str) -> str:
        """The physical name of a resource (what `Ref` gives for most types; a queue's name, not its URL)."""
        kind = str(self.resources[logical_id].get("Type"))
        if kind == "AWS::SQS::Queue":
            return self.render({"Fn::GetAtt": [logical_id, "QueueName"]})
        if kind == "AWS::SNS::Topic":
            return self.render({"Fn::GetAtt": [logical_id, "TopicName"]})
        if kind in _STATE_MACHINES:
            return self.render({"Fn::GetAtt": [logical_id, "Name"]})
        if kind == "AWS::SecretsManager::Secret":
            props = self.resources[logical_id].get("Properties") or {}
            return self.render(props["Name"]) if "Name" in props else self.default_name(logical_id)
        return self.render({"Ref": logical_id})

    def environment(self, variables: Any) -> tuple[dict[str, str], list[str]]:
        """A function's environment rendered; variables that cannot be rendered get a placeholder (a note)."""
        out: dict[str, str] = {}
        notes: list[str] = []
        for key, value in variables:
            try:
                out[str(key)] = self.render(value)
            except UnrenderableError as error:
                out[str(key)] = f"<unrendered {key}>"
                notes.append(f"environment variable {key} cannot be rendered ({error}): it holds a placeholder")
        return out, notes


def stack_name(root: Path) -> str:
    """`stack_name` of samconfig.toml (any environment, `deploy` first), else the folder's name."""
    config = root / "samconfig.toml"
    if config.is_file():
        try:
            data = tomllib.loads(config.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            data = {}
        for environment in [data.get("default", {}), *(v for k, v in data.items() if k != "default")]:
            if not isinstance(environment, Mapping):
                continue
            for command in ("deploy", "global", *environment):
                params = (environment.get(command) or {}).get("parameters") if isinstance(environment, Mapping) else {}
                if isinstance(params, Mapping) and isinstance(params.get("stack_name"), str):
                    return params["stack_name"]
    name = "".join(c if c.isalnum() or c == "-" else "-" for c in root.resolve().name).strip("-")
    return name or "stack"


def world_spec(names: Names) -> tuple[dict[str, Any], list[str], list[str]]:
    """The resources to create (JSON for the runner), the logical ids created, and "Id (Type)" of the rest."""
    resources: list[dict[str, Any]] = []
    created: list[str] = []
    left_out: list[str] = []
    for logical_id, resource in sorted(names.resources.items()):
        kind_name = str(resource.get("Type")) if isinstance(resource, Mapping) else "?"
        kind = _KINDS.get(kind_name)
        if kind is None:
            left_out.append(f"{logical_id} ({kind_name})")
            continue
        props = resource.get("Properties") or {}
        try:
            entry = {"id": logical_id, "kind": kind, "name": names.name(logical_id)}
            if kind == "table":
                entry["request"] = _table_request(entry["name"], resource)
            elif kind == "queue":
                entry["fifo"] = bool(props.get("FifoQueue")) or entry["name"].endswith(".fifo")
            elif kind == "parameter":
                entry["value"] = names.render(props.get("Value", ""))
                entry["type"] = str(props.get("Type", "String"))
            elif kind == "secret":
                entry["value"] = names.render(props["SecretString"]) if "SecretString" in props else "{}"
        except (UnrenderableError, KeyError, TypeError, ValueError) as error:
            left_out.append(f"{logical_id} ({kind_name}: {error})")
            continue
        resources.append(entry)
        created.append(logical_id)
    return {"region": REGION, "account": ACCOUNT, "resources": resources}, created, left_out


def _table_request(name: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    props = resource.get("Properties") or {}
    request: dict[str, Any] = {"TableName": name, "BillingMode": "PAY_PER_REQUEST"}
    if resource.get("Type") == "AWS::Serverless::SimpleTable":
        key = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
        request["KeySchema"] = [{"AttributeName": str(key["Name"]), "KeyType": "HASH"}]
        attribute_type = _ATTRIBUTE_TYPES[str(key.get("Type", "String"))]
        request["AttributeDefinitions"] = [{"AttributeName": str(key["Name"]), "AttributeType": attribute_type}]
        return request
    request["KeySchema"] = _plain(props["KeySchema"])
    request["AttributeDefinitions"] = _plain(props["AttributeDefinitions"])
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(kind):
            request[kind] = [
                {k: _plain(v) for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
                for index in props[kind]
            ]
    if props.get("StreamSpecification"):
        request["StreamSpecification"] = {"StreamEnabled": True, **_plain(props["StreamSpecification"])}
    return request


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


# ------------------------------------------------------------------------------------------------ the seed
def find_seed(events_dir: Path | None) -> Path | None:
    if events_dir is None:
        return None
    return next((events_dir / n for n in SEED_NAMES if (events_dir / n).is_file()), None)


def read_seed(path: Path, names: Names, spec: Mapping[str, Any], root: Path) -> dict[str, Any]:
    """The seed file as JSON for the runner; any problem is an `InputError` naming the file and line."""
    from ruamel.yaml import YAML  # noqa: PLC0415 - only verify reads a seed
    from ruamel.yaml.error import YAMLError  # noqa: PLC0415

    shown = _shown(path, root)
    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8")) or {}
    except (YAMLError, UnicodeDecodeError, OSError) as error:
        line = getattr(getattr(error, "problem_mark", None), "line", None)
        where = Location(shown, line + 1 if line is not None else None)
        raise InputError(f"not a readable seed file: {error}", where) from error
    if not isinstance(data, Mapping):
        raise InputError("a seed file is a mapping of tables, objects, parameters, secrets", Location(shown, 1))
    by_id = {r["id"]: r for r in spec["resources"]}
    unknown = [k for k in data if k not in ("tables", "objects", "parameters", "secrets")]
    if unknown:
        raise InputError(
            f"unknown section {unknown[0]!r} (tables, objects, parameters, secrets)", _at(data, unknown[0], shown)
        )

    def resource(section: Mapping[str, Any], logical_id: str, kind: str) -> dict[str, Any]:
        entry = by_id.get(str(logical_id))
        if entry is None or entry["kind"] != kind:
            raise InputError(f"{logical_id} is not a {kind} of the template", _at(section, logical_id, shown))
        return entry

    seed: dict[str, Any] = {"items": [], "objects": [], "parameters": [], "secrets": []}
    tables = data.get("tables") or {}
    for logical_id, items in tables.items():
        table = resource(tables, logical_id, "table")
        if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
            raise InputError(f"{logical_id}: a list of items (mappings) expected", _at(tables, logical_id, shown))
        seed["items"] += [{"table": table["name"], "item": encode(_decimals(item))} for item in items]
    objects = data.get("objects") or {}
    for logical_id, entries in objects.items():
        bucket = resource(objects, logical_id, "bucket")
        if not isinstance(entries, Mapping):
            raise InputError(f"{logical_id}: a mapping of key -> object expected", _at(objects, logical_id, shown))
        for key, value in entries.items():
            seed["objects"].append(
                {"bucket": bucket["name"], "key": str(key), **_object(value, path, root, entries, key, shown)}
            )
    for name, value in (data.get("parameters") or {}).items():
        seed["parameters"].append({"name": str(name), "value": str(value)})
    secrets = data.get("secrets") or {}
    for name, value in secrets.items():
        entry = by_id.get(str(name))
        secret = entry["name"] if entry is not None and entry["kind"] == "secret" else str(name)
        seed["secrets"].append(
            {"name": secret, "value": value if isinstance(value, str) else json.dumps(_plain(value))}
        )
    return seed


def _object(  # noqa: PLR0917 - one private call site
    value: Any, seed_path: Path, root: Path, parent: Any, key: Any, shown: str
) -> dict[str, Any]:
    if isinstance(value, str):
        return {"body": b64(value.encode("utf-8"))}
    if not isinstance(value, Mapping) or ("file" in value) == ("text" in value):
        raise InputError(f"object {key!r}: text, or a mapping with `file` or `text`", _at(parent, key, shown))
    if "file" in value:
        file = (seed_path.parent / str(value["file"])).resolve()
        if not file.is_relative_to(root.resolve()) or not file.is_file():
            raise InputError(f"object {key!r}: {value['file']} is no file inside the project", _at(parent, key, shown))
        body = file.read_bytes()
    else:
        body = str(value["text"]).encode("utf-8")
    out: dict[str, Any] = {"body": b64(body)}
    if value.get("content_type"):
        out["content_type"] = str(value["content_type"])
    if value.get("metadata"):
        out["metadata"] = {str(k): str(v) for k, v in value["metadata"].items()}
    return out


def _decimals(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    return str(value) if isinstance(value, str) else value


def _at(node: Any, key: Any, shown: str) -> Location:
    try:
        line = node.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError):
        line = None
    return Location(shown, line)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------------- in the runner only
def build(spec: Mapping[str, Any], seed: Mapping[str, Any], client: Callable[[str], Any]) -> None:
    """Create every resource of `spec` and put the seed in (inside `moto.mock_aws`; `client(service)`)."""
    role_arn = ""
    for entry in spec["resources"]:
        kind, name = entry["kind"], entry["name"]
        if kind in ("function", "state_machine") and not role_arn:
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                     "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]}}]}  # fmt: skip
            role_arn = client("iam").create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))[
                "Role"
            ]["Arn"]
        if kind == "table":
            client("dynamodb").create_table(**entry["request"])
        elif kind == "bucket":
            client("s3").create_bucket(Bucket=name)
        elif kind == "queue":
            attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if entry.get("fifo") else {}
            client("sqs").create_queue(QueueName=name, Attributes=attributes)
        elif kind == "topic":
            client("sns").create_topic(Name=name)
        elif kind == "stream":
            client("kinesis").create_stream(StreamName=name, ShardCount=1)
        elif kind == "state_machine":
            client("stepfunctions").create_state_machine(name=name, definition=json.dumps(_PASS), roleArn=role_arn)
        elif kind == "function":
            client("lambda").create_function(
                FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="index.handler",
                Code={"ZipFile": _empty_zip()},
            )  # fmt: skip
        elif kind == "parameter":
            client("ssm").put_parameter(Name=name, Value=entry["value"] or "-", Type=entry["type"])
        elif kind == "secret":
            client("secretsmanager").create_secret(Name=name, SecretString=entry["value"])
        elif kind == "event_bus" and name != "default":
            client("events").create_event_bus(Name=name)
    _seed(seed, client)


def _seed(seed: Mapping[str, Any], client: Callable[[str], Any]) -> None:
    from boto3.dynamodb.types import TypeSerializer  # noqa: PLC0415

    from decompose.verification.codec import decode  # noqa: PLC0415

    serializer = TypeSerializer()
    for entry in seed.get("items", []):
        item = {k: serializer.serialize(v) for k, v in decode(entry["item"]).items()}
        client("dynamodb").put_item(TableName=entry["table"], Item=item)
    for entry in seed.get("objects", []):
        extra = {"ContentType": entry["content_type"]} if entry.get("content_type") else {}
        if entry.get("metadata"):
            extra["Metadata"] = entry["metadata"]
        client("s3").put_object(Bucket=entry["bucket"], Key=entry["key"], Body=decode(entry["body"]), **extra)
    for entry in seed.get("parameters", []):
        client("ssm").put_parameter(Name=entry["name"], Value=entry["value"], Type="SecureString", Overwrite=True)
    for entry in seed.get("secrets", []):
        secrets = client("secretsmanager")
        try:
            secrets.create_secret(Name=entry["name"], SecretString=entry["value"])
        except secrets.exceptions.ResourceExistsException:
            secrets.put_secret_value(SecretId=entry["name"], SecretString=entry["value"])


def _empty_zip() -> bytes:
    import io  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def dump(spec: Mapping[str, Any], client: Callable[[str], Any]) -> dict[str, Any]:
    """The world's state, per resource logical id (see the module docstring)."""
    state: dict[str, Any] = {}
    for entry in spec["resources"]:
        kind, name = entry["kind"], entry["name"]
        reader = _DUMPERS.get(kind)
        if reader is not None:
            state[entry["id"]] = reader(name, client, spec)
    return state


def _dump_table(name: str, client: Callable[[str], Any], _: Mapping[str, Any]) -> Any:
    items = []
    for page in client("dynamodb").get_paginator("scan").paginate(TableName=name):
        items += page.get("Items", [])
    return sorted((encode(i) for i in items), key=lambda i: json.dumps(i, sort_keys=True))


def _dump_bucket(name: str, client: Callable[[str], Any], _: Mapping[str, Any]) -> Any:
    s3 = client("s3")
    objects = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for summary in page.get("Contents", []):
            got = s3.get_object(Bucket=name, Key=summary["Key"])
            objects.append(
                {
                    "key": summary["Key"],
                    "body": describe_bytes(got["Body"].read()),
                    "content_type": got.get("ContentType"),
                    "metadata": got.get("Metadata") or {},
                }
            )
    return objects


def _dump_queue(name: str, client: Callable[[str], Any], _: Mapping[str, Any]) -> Any:
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    messages: list[Any] = []
    while True:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not got:
            return messages
        messages += [{"body": m.get("Body"), "attributes": encode(m.get("MessageAttributes") or {})} for m in got]


def _dump_topic(name: str, _client: Callable[[str], Any], spec: Mapping[str, Any]) -> Any:
    from moto.sns.models import sns_backends  # noqa: PLC0415 - moto keeps what was published; no API reads it

    arn = f"arn:aws:sns:{spec['region']}:{spec['account']}:{name}"
    topic = sns_backends[spec["account"]][spec["region"]].topics.get(arn)
    if topic is None:
        return []
    return [
        {"message": n[1], "subject": n[2], "attributes": encode(n[3]) if len(n) > 3 else {}}
        for n in topic.sent_notifications
    ]


def _dump_state_machine(name: str, client: Callable[[str], Any], spec: Mapping[str, Any]) -> Any:
    sfn = client("stepfunctions")
    arn = f"arn:aws:states:{spec['region']}:{spec['account']}:stateMachine:{name}"
    executions = sfn.list_executions(stateMachineArn=arn).get("executions", [])
    out = []
    for execution in sorted(executions, key=lambda e: e["startDate"]):
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        out.append({"name": execution["name"], "input": described.get("input")})
    return out


def _dump_stream(name: str, client: Callable[[str], Any], _: Mapping[str, Any]) -> Any:
    kinesis = client("kinesis")
    records = []
    for shard in kinesis.list_shards(StreamName=name).get("Shards", []):
        iterator = kinesis.get_shard_iterator(
            StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        got = kinesis.get_records(ShardIterator=iterator).get("Records", [])
        records += [{"data": describe_bytes(r["Data"]), "partition_key": r["PartitionKey"]} for r in got]
    return records


def _dump_parameter(name: str, client: Callable[[str], Any], _: Mapping[str, Any]) -> Any:
    return client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


def _dump_secret(name: str, client: Callable[[str], Any], _: Mapping[str, Any]) -> Any:
    return client("secretsmanager").get_secret_value(SecretId=name).get("SecretString")


_DUMPERS: dict[str, Callable[[str, Callable[[str], Any], Mapping[str, Any]], Any]] = {
    "table": _dump_table,
    "bucket": _dump_bucket,
    "queue": _dump_queue,
    "topic": _dump_topic,
    "state_machine": _dump_state_machine,
    "stream": _dump_stream,
    "parameter": _dump_parameter,
    "secret": _dump_secret,
}
