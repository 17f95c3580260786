"""The policy proof of `harness.py`, generalised to every analyzer fixture under tests/fixtures/ (one SAM app each).

Nothing here is written per fixture; per-fixture request bodies and seed data are DATA in `fixture_data.py`.

- **Stack.** Each resource of the template is created in a fresh `moto.mock_aws()` by type (`create_resources`):
  DynamoDB tables (keys, GSIs/LSIs, streams) and SAM SimpleTables, S3 buckets, SQS queues, SNS topics, Kinesis
  streams. A resource is named by its explicit name property when it has one, else `<stack>-<logicalid>`
  (`physical_name`); `arns.render` gets the same names, so policies, environment and stack agree. Types the code
  never calls (the function itself, API definitions, WebSocket integration/route/stage resources, permissions)
  are not created: moto's API Gateway management API accepts any connection id.
- **Event.** One event per route, synthesized from its trigger (`build_event`): REST payload 1.0, HTTP API
  payload 2.0 (`$default` route key for a route served by a catch-all event, JWT claims), S3/SQS/SNS/DynamoDB
  stream/Kinesis records, EventBridge rule (source and detail-type from the template pattern), schedule and
  WebSocket (`requestContext.routeKey`). Path parameters take `fixture_data` values, else `<name>-1`.
- **Run.** The handler (`Handler` of the function, code under `CodeUri`) is imported fresh for every run with the
  function's environment rendered by `arns.render`; sys.path and sys.modules are restored afterwards. Every
  AWS call is recorded as in harness.py. Presigned URLs and POSTs make no call in the handler: they are recorded
  as the operation they authorize (`generate_presigned_post` is captured by a client mix-in, botocore reports
  it as CreateBucket) and then *replayed* with the route's credentials, because AWS authorizes a presigned
  request as its signer at the time it is used (moto does not check IAM for presigned requests).
- **Enforcement limits.** As in harness.py (`moto_view`): moto checks resources for S3 and SQS only. moto
  authorizes one action per call (`moto_action`): S3 by HTTP method (CopyObject -> s3:PutObject on the target;
  the source's s3:GetObject/GetObjectTagging are not checked), and the API Gateway management API through a
  stage URL (`https://{api}.execute-api.../{stage}/@connections/{id}`) not at all. A statement whose only
  unique needs are of that kind is proven by the recall check (moto's policy evaluator against the real call
  parameters), and its removal test is skipped with that reason.

A decompose limitation worked around here: `arns.render` raises UnrenderableError for `Ref` of an
`AWS::ApiGatewayV2::Api` (its Ref is the API id), although decompose's own WebSocket statements use it
(`${ChatApi}`); `render_value` renders such a Ref as the API's physical id.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import importlib
import json
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode, urlparse

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore import xform_name
from moto import mock_aws
from moto.core import enable_iam_authentication

from decompose.domain.model import FunctionAnalysis, Route, TriggerEvent
from decompose.iam.arns import render
from decompose.iam.models import iam_prefix
from decompose.loading.template import load_template
from decompose.pipeline import analyze

from .fixture_data import CALLER, DATA, FixtureData
from .harness import (
    ACCOUNT,
    MOTO_ACTION_NAMES,
    REGION,
    RecordedCall,
    RunResult,
    Statement,
    _create_user,
    _is_access_denied,
    _session,
    moto_permits,
    rendered_statements,
)

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
FIXTURE_NAMES = tuple(sorted(p.name for p in FIXTURES.iterdir() if (p / "template.yaml").is_file()))

# Resource types whose Ref is an id decompose's renderer does not know; rendered as the physical name instead.
_REF_AS_ID = frozenset({"AWS::ApiGatewayV2::Api"})
_TABLES = frozenset({"AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"})
_NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Serverless::SimpleTable": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Kinesis::Stream": "Name",
}
_ATTRIBUTE_TYPES = {"String": "S", "Number": "N", "Binary": "B"}
# moto authorizes S3 by HTTP method and resource kind, not by operation (moto/s3/responses.py ACTION_MAP).
_S3_MOTO_ACTIONS = {
    "CopyObject": "s3:PutObject",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "HeadObject": "s3:GetObject",
    "HeadBucket": "s3:ListBucket",
}
# Services moto never authorizes on the paths the apps use (management API through a stage URL).
_MOTO_UNCHECKED_SERVICES = frozenset({"apigatewaymanagementapi"})


# --- a fixture: its analysis, template, names -----------------------------------------------------------------


@functools.cache
def function_analysis(fixture: str) -> FunctionAnalysis:
    functions = analyze(FIXTURES / fixture).functions
    assert len(functions) == 1, f"{fixture}: one function per fixture expected, got {len(functions)}"
    return functions[0]


@functools.cache
def template_resources(fixture: str) -> Mapping[str, Any]:
    return load_template(FIXTURES / fixture, FIXTURES / fixture / "template.yaml").resources


def stack_name(fixture: str) -> str:
    return fixture.replace("_", "-")


def physical_name(fixture: str, logical_id: str) -> str:
    """The name a resource without an explicit name gets (lower case: valid for buckets too)."""
    return f"{stack_name(fixture)}-{logical_id.lower()}"


@functools.cache
def _renderable_resources(fixture: str) -> Mapping[str, Any]:
    return {lid: r for lid, r in template_resources(fixture).items() if _type(r) not in _REF_AS_ID}


def _type(resource: Any) -> str:
    return str(resource.get("Type")) if isinstance(resource, Mapping) else ""


def render_value(fixture: str, expr: Any) -> str:
    return render(
        expr,
        _renderable_resources(fixture),
        functools.partial(physical_name, fixture),
        region=REGION,
        account=ACCOUNT,
        stack_name=stack_name(fixture),
    )


def resource_name(fixture: str, logical_id: str) -> str:
    resource = template_resources(fixture)[logical_id]
    properties = resource.get("Properties") or {}
    prop = _NAME_PROPERTY.get(_type(resource))
    if prop and prop in properties:
        return render_value(fixture, properties[prop])
    return physical_name(fixture, logical_id)


@functools.cache
def routes(fixture: str) -> dict[str, Route]:
    return {route.id: route for route in function_analysis(fixture).routes}


def data(fixture: str) -> FixtureData:
    return DATA.get(fixture, FixtureData())


# --- cases: one per route, plus the variants of fixture_data ------------------------------------------------------


@dataclass(frozen=True)
class Case:
    fixture: str
    route_id: str
    variant: str = ""

    @property
    def id(self) -> str:
        return f"{self.fixture}:{self.route_id}" + (f"[{self.variant}]" if self.variant else "")

    @property
    def route(self) -> Route:
        return routes(self.fixture)[self.route_id]

    @property
    def inputs(self) -> dict[str, Any]:
        base = dict(data(self.fixture).inputs.get(self.route_id, {}))
        if self.variant:
            base.update(data(self.fixture).variants[self.variant].inputs)
        return base

    @property
    def known_gap(self) -> str | None:
        return data(self.fixture).variants[self.variant].known_gap if self.variant else None


@functools.cache
def all_cases() -> tuple[Case, ...]:
    cases = []
    for fixture in FIXTURE_NAMES:
        cases += [Case(fixture, route_id) for route_id in sorted(routes(fixture))]
        for name, variant in sorted(data(fixture).variants.items()):
            assert variant.route in routes(fixture), f"{fixture}: variant {name} names no route {variant.route}"
            cases.append(Case(fixture, variant.route, name))
    return tuple(cases)


# --- what a route is granted ----------------------------------------------------------------------------------


@functools.cache
def route_statements(fixture: str, route_id: str) -> tuple[Statement, ...]:
    policies = routes(fixture)[route_id].policies
    return tuple(rendered_statements(policies, lambda resource: render_value(fixture, resource)))


# --- the stack ------------------------------------------------------------------------------------------------


def _table_request(fixture: str, logical_id: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    props = resource.get("Properties") or {}
    request: dict[str, Any] = {"TableName": resource_name(fixture, logical_id), "BillingMode": "PAY_PER_REQUEST"}
    if _type(resource) == "AWS::Serverless::SimpleTable":
        key = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
        request["KeySchema"] = [{"AttributeName": key["Name"], "KeyType": "HASH"}]
        request["AttributeDefinitions"] = [
            {"AttributeName": key["Name"], "AttributeType": _ATTRIBUTE_TYPES[key["Type"]]}
        ]
        return request
    request["KeySchema"] = list(props["KeySchema"])
    request["AttributeDefinitions"] = list(props["AttributeDefinitions"])
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(kind):
            request[kind] = [
                {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
                for index in props[kind]
            ]
    if props.get("StreamSpecification"):
        request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return request


def create_resources(fixture: str) -> dict[str, list[str]]:
    """Every resource of the template that code can call, created in moto; returns {type: [logical ids]} per
    outcome ("created", "not created") for the report."""
    outcome: dict[str, list[str]] = {"created": [], "not created": []}
    for logical_id, resource in sorted(template_resources(fixture).items()):
        kind, props = _type(resource), resource.get("Properties") or {}
        if kind in _TABLES:
            boto3.client("dynamodb", region_name=REGION).create_table(**_table_request(fixture, logical_id, resource))
        elif kind == "AWS::S3::Bucket":
            boto3.client("s3", region_name=REGION).create_bucket(Bucket=resource_name(fixture, logical_id))
        elif kind == "AWS::SQS::Queue":
            boto3.client("sqs", region_name=REGION).create_queue(QueueName=resource_name(fixture, logical_id))
        elif kind == "AWS::SNS::Topic":
            boto3.client("sns", region_name=REGION).create_topic(Name=resource_name(fixture, logical_id))
        elif kind == "AWS::Kinesis::Stream":
            mode = (props.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
            extra = {"StreamModeDetails": {"StreamMode": mode}} if mode == "ON_DEMAND" else {"ShardCount": 1}
            boto3.client("kinesis", region_name=REGION).create_stream(
                StreamName=resource_name(fixture, logical_id), **extra
            )
        else:
            outcome["not created"].append(f"{logical_id} ({kind})")
            continue
        outcome["created"].append(logical_id)
    return outcome


def seed(fixture: str) -> None:
    dynamodb = boto3.resource("dynamodb", region_name=REGION)
    for logical_id, items in data(fixture).items.items():
        table = dynamodb.Table(resource_name(fixture, logical_id))
        for item in items:
            table.put_item(Item=item)
    ssm = boto3.client("ssm", region_name=REGION)
    for name, value in data(fixture).parameters.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString")
    s3 = boto3.client("s3", region_name=REGION)
    for logical_id, objects in data(fixture).objects.items():
        for key, body in objects.items():
            s3.put_object(Bucket=resource_name(fixture, logical_id), Key=key, Body=body.encode())


def environment(fixture: str) -> dict[str, str]:
    return {name: render_value(fixture, value) for name, value in function_analysis(fixture).spec.environment}


# --- the event --------------------------------------------------------------------------------------------------


def _template_event(fixture: str, route: Route) -> TriggerEvent | None:
    return next((e for e in function_analysis(fixture).spec.events if e.name == route.trigger.event), None)


def _fill(path: str, values: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    params: dict[str, str] = {}
    out = []
    for segment in path.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            name = segment[1:-1]
            value = values.get(name, f"{name.rstrip('+')}-1")
            params[name.rstrip("+") if name.endswith("+") else name] = value
            out.append(value)
        else:
            out.append(segment)
    return "/".join(out), params


def _body(inputs: Mapping[str, Any]) -> str | None:
    return json.dumps(inputs["body"]) if "body" in inputs else None


def build_event(case: Case) -> dict[str, Any]:
    fixture, route, inputs = case.fixture, case.route, case.inputs
    trigger = route.trigger
    kind = trigger.type
    if kind in ("Api", "HttpApi"):
        values = {**data(fixture).path_values, **inputs.get("path", {})}
        path, params = _fill(trigger.path or "/", values)
        method = trigger.method if trigger.method not in (None, "ANY") else "POST"
        query = inputs.get("query")
        headers = {"content-type": "application/json", **inputs.get("headers", {})}
        if kind == "Api":
            return {
                "resource": trigger.path,
                "path": path,
                "httpMethod": method,
                "headers": headers,
                "multiValueHeaders": {k: [v] for k, v in headers.items()},
                "queryStringParameters": query,
                "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
                "pathParameters": params or None,
                "stageVariables": None,
                "requestContext": {
                    "resourcePath": trigger.path,
                    "httpMethod": method,
                    "path": f"/Prod{path}",
                    "stage": "Prod",
                    "requestId": "req-1",
                    "accountId": ACCOUNT,
                    "identity": {"sourceIp": "127.0.0.1"},
                },
                "body": _body(inputs),
                "isBase64Encoded": False,
            }
        template_event = _template_event(fixture, route)
        behind_catch_all = template_event is not None and template_event.is_catch_all
        route_key = "$default" if behind_catch_all else f"{method} {trigger.path}"
        return {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": urlencode(query or {}),
            "headers": headers,
            "queryStringParameters": query,
            "pathParameters": params or None,
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": "api1",
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
                "authorizer": {"jwt": {"claims": {"sub": CALLER}, "scopes": None}},
                "requestId": "req-1",
                "routeKey": route_key,
                "stage": "$default",
            },
            "body": _body(inputs),
            "isBase64Encoded": False,
        }
    source = trigger.source or ""
    if kind == "S3":
        bucket = render_value(fixture, {"Ref": source})
        record = {
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "awsRegion": REGION,
            "s3": {"bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}, "object": {"key": inputs["key"]}},
        }
        return {"Records": [record]}
    if kind == "SQS":
        arn = render_value(fixture, {"Fn::GetAtt": [source, "Arn"]})
        body = inputs.get("message", {})
        message = body if isinstance(body, str) else json.dumps(body)
        return {"Records": [{"eventSource": "aws:sqs", "messageId": "m-1", "body": message, "eventSourceARN": arn}]}
    if kind == "SNS":
        topic = render_value(fixture, {"Ref": source})
        sns = {"TopicArn": topic, "Subject": inputs.get("subject"), "Message": inputs.get("message", "")}
        return {"Records": [{"EventSource": "aws:sns", "EventSubscriptionArn": f"{topic}:sub-1", "Sns": sns}]}
    if kind == "DynamoDB":
        image = {k: TypeSerializer().serialize(v) for k, v in inputs.get("image", {}).items()}
        record = {"eventSource": "aws:dynamodb", "eventName": "INSERT", "dynamodb": {"NewImage": image}}
        return {"Records": [record]}
    if kind == "Kinesis":
        payload = base64.b64encode(json.dumps(inputs.get("data", {})).encode()).decode()
        return {"Records": [{"eventSource": "aws:kinesis", "kinesis": {"data": payload, "partitionKey": "p"}}]}
    if kind in ("EventBridgeRule", "CloudWatchEvent"):
        template_event = _template_event(fixture, route)
        pattern = dict(template_event.pattern) if template_event else {}
        return {
            "version": "0",
            "source": (pattern.get("source") or ("custom",))[0],
            "detail-type": (pattern.get("detail-type") or ("Event",))[0],
            "account": ACCOUNT,
            "region": REGION,
            "detail": inputs.get("detail", {}),
        }
    if kind in ("Schedule", "ScheduleV2"):
        return {"version": "0", "source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    if kind == "WebSocket":
        return {
            "requestContext": {
                "routeKey": source,
                "eventType": {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(source, "MESSAGE"),
                "connectionId": "conn-1",
                "connectedAt": int(time.time() * 1000),
                "stage": "production",
                "apiId": "api1",
            },
            "body": _body(inputs),
            "isBase64Encoded": False,
        }
    raise NotImplementedError(f"{case.id}: no event synthesized for trigger type {kind}")


# --- what a route does -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixtureCall(RecordedCall):
    """A recorded call with the request URL (for ARNs named by the endpoint) and whether it was only presigned."""

    url: str = ""
    presigned: bool = False
    replay: bool = False

    def _arns(self, need: Any) -> list[str]:
        if self.service == "apigatewaymanagementapi" and need.resource_type != "*":
            parsed = urlparse(self.url)
            api_id = parsed.hostname.split(".", 1)[0] if parsed.hostname else "?"
            method = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}[self.operation]
            stage, _, rest = parsed.path.strip("/").partition("/@connections/")
            return [f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/{stage}/{method}/@connections/{rest}"]
        return super()._arns(need)

    @property
    def moto_action(self) -> str | None:
        """The one action moto authorizes for this call (None: moto authorizes nothing)."""
        if self.presigned or self.service in _MOTO_UNCHECKED_SERVICES:
            return None
        if self.service == "s3":
            return _S3_MOTO_ACTIONS.get(self.operation, f"s3:{self.operation}")
        return f"{iam_prefix(self.service)}:{self.operation}"


@dataclass
class FixtureRun(RunResult):
    calls: list[FixtureCall] = dataclasses.field(default_factory=list)  # type: ignore[assignment]

    def checked_needs(self) -> set[tuple[str, str]]:
        """The needs moto's access control really checks when the route runs."""
        found = set()
        for call in self.calls:
            if call.moto_action is None:
                continue
            for action, arn in call.needs():
                if MOTO_ACTION_NAMES.get(action, action).lower() == call.moto_action.lower() or (
                    action.lower() == call.moto_action.lower()
                ):
                    found.add((action, arn))
        return found

    @property
    def succeeded(self) -> bool:
        if self.error is not None or self.denied:
            return False
        if isinstance(self.response, Mapping) and "statusCode" in self.response:
            return int(self.response["statusCode"]) < 400
        return True


class _Recorder:
    def __init__(self, result: FixtureRun) -> None:
        self.result = result
        self.replaying = False

    def install(self, session: boto3.session.Session) -> None:
        events = session.events
        events.register("before-parameter-build", self.record)
        events.register("before-call", self.add_url)
        events.register("after-call", self.check_denied)
        events.register("creating-client-class.s3", self.add_presign_post_recorder)

    def record(self, params: Mapping[str, Any], model: Any, context: Any = None, **_: Any) -> None:
        presigned = bool(context and context.get("is_presign_request"))
        if presigned and model.name == "CreateBucket":
            return  # generate_presigned_post borrows CreateBucket's URL; the mix-in records what it authorizes
        call = FixtureCall(model.service_model.service_name, model.name, dict(params), presigned=presigned)
        self.result.calls.append(dataclasses.replace(call, replay=self.replaying))

    def add_url(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        last = self.result.calls[-1]
        if last.operation == model.name and not last.url:
            self.result.calls[-1] = dataclasses.replace(last, url=str(params.get("url", "")))

    def check_denied(self, parsed: Mapping[str, Any], model: Any, **_: Any) -> None:
        error = parsed.get("Error") if isinstance(parsed, Mapping) else None
        if error and _is_access_denied(error):
            self.result.denied.append(f"{model.service_model.service_name}.{model.name}: {error.get('Code')}")

    def add_presign_post_recorder(self, class_attributes: dict[str, Any], **_: Any) -> None:
        """Wrap botocore's `generate_presigned_post` (a class attribute botocore adds for S3, run before us)."""
        original = class_attributes.get("generate_presigned_post")
        if original is None:
            return
        recorder = self

        def generate_presigned_post(client: Any, Bucket: str, Key: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N803
            recorder.result.calls.append(FixtureCall("s3", "PutObject", {"Bucket": Bucket, "Key": Key}, presigned=True))
            return original(client, Bucket, Key, *args, **kwargs)

        class_attributes["generate_presigned_post"] = generate_presigned_post

    def replay_presigned(self, session: boto3.session.Session) -> None:
        """Use each presigned URL/POST as its holder would: the same operation, signed by the route's identity."""
        self.replaying = True
        for call in [c for c in self.result.calls if c.presigned]:
            client = session.client(call.service)
            params = dict(call.params)
            if call.operation == "PutObject":
                params.setdefault("Body", b"upload")
            with contextlib.suppress(client.exceptions.ClientError):  # denials are recorded by check_denied
                getattr(client, xform_name(call.operation))(**params)
        self.replaying = False


def _app_modules(src: Path) -> set[str]:
    return {p.stem for p in src.iterdir() if (p.suffix == ".py" or (p / "__init__.py").is_file())}


@contextlib.contextmanager
def _fresh_handler(fixture: str) -> Iterator[Any]:
    spec = function_analysis(fixture).spec
    src = (FIXTURES / fixture / spec.code_uri).resolve()
    tops = _app_modules(src)

    def is_app(name: str) -> bool:
        return name.split(".", 1)[0] in tops

    set_aside = {n: m for n, m in sys.modules.items() if is_app(n)}
    for name in set_aside:
        del sys.modules[name]
    sys.path.insert(0, str(src))
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(spec.handler_module)
        assert Path(module.__file__ or "").resolve().is_relative_to(src), module.__file__
        yield getattr(module, spec.handler_function)
    finally:
        for name in [n for n in sys.modules if is_app(n)]:
            del sys.modules[name]
        sys.modules.update(set_aside)
        sys.path.remove(str(src))


def _lambda_context(fixture: str) -> SimpleNamespace:
    name = physical_name(fixture, function_analysis(fixture).spec.logical_id or "function")
    return SimpleNamespace(
        function_name=name,
        function_version="$LATEST",
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        memory_limit_in_mb=128,
        aws_request_id="req-1",
        log_group_name=f"/aws/lambda/{name}",
        log_stream_name="stream",
        get_remaining_time_in_millis=lambda: 10_000,
    )


def run_case(case: Case, *, policy: dict[str, Any] | None = None) -> FixtureRun:
    """Run the case's event through the fixture's handler in a fresh moto stack, recording every call; with
    `policy` (a document moto can enforce, see harness.moto_view) as an IAM user holding only that policy."""
    fixture = case.fixture
    result = FixtureRun(case.id)
    event = build_event(case)
    with pytest.MonkeyPatch.context() as mp:
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            mp.delenv(key, raising=False)
        base = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_LAMBDA_FUNCTION_NAME": _lambda_context(fixture).function_name,
        }
        for key, value in {**base, **environment(fixture)}.items():
            mp.setenv(key, value)
        with mock_aws():
            mp.setattr(boto3, "DEFAULT_SESSION", _session("testing", "testing"))  # mock_aws resets it on start
            create_resources(fixture)
            seed(fixture)
            key_id, secret = _create_user(policy) if policy is not None else ("testing", "testing")
            session = _session(key_id, secret)
            recorder = _Recorder(result)
            recorder.install(session)
            mp.setattr(boto3, "DEFAULT_SESSION", session)
            with _fresh_handler(fixture) as handler:
                guard = enable_iam_authentication() if policy is not None else contextlib.nullcontext()
                with guard:
                    try:
                        result.response = handler(event, _lambda_context(fixture))
                        recorder.replay_presigned(session)
                    except Exception as exc:  # the outcome is what the tests inspect
                        result.error = exc
    return result


@functools.cache
def recorded_run(case: Case) -> FixtureRun:
    """`run_case` without access control, once per process (the runs are deterministic)."""
    return run_case(case)


def route_needs(fixture: str, route_id: str) -> set[tuple[str, str]]:
    """The union of what every case of a route (its event and its variants without a known gap) needs."""
    return {
        need
        for case in all_cases()
        if case.fixture == fixture and case.route_id == route_id and case.known_gap is None
        for need in recorded_run(case).needs()
    }


def detectable_by_moto(full: dict[str, Any], reduced: dict[str, Any], needs: set[tuple[str, str]]) -> list[Any]:
    return sorted(need for need in needs if moto_permits(full, need) and not moto_permits(reduced, need))
