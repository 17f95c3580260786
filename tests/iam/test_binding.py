"""bind(): from a call's ValueSource to the template resource and the ARN the action needs."""

from __future__ import annotations

import pytest

from decompose.domain.iam import ActionNeed, SdkCall, ValueSource
from decompose.domain.model import FunctionSpec, Location, Trigger
from decompose.iam.binding import bind
from decompose.iam.mapping import actions_for

RESOURCES = {
    "Docs": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-docs"}}},
    "Orders": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
    "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {}},
    "Chat": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}},
}
SPEC = FunctionSpec(
    "Fn",
    "app.handler",
    "src",
    "python3.12",
    environment=(
        ("DOCS", {"Fn::Sub": "${AWS::StackName}-docs"}),
        ("TABLE", {"Ref": "Orders"}),
        ("QUEUE", {"Ref": "Jobs"}),
        ("WS", {"Fn::Sub": "https://${Chat}.execute-api.${AWS::Region}.amazonaws.com/prod"}),
        ("LEGACY", "legacy-table"),
    ),
)
HERE = Location("src/app.py", 3)
WS_API = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Chat}"


def _call(service: str, operation: str, **params: ValueSource) -> SdkCall:
    return SdkCall(service, operation, HERE, tuple(sorted(params.items())))


def env(name: str) -> ValueSource:
    return ValueSource("env", name)


CASES = [
    pytest.param(
        ActionNeed("dynamodb:GetItem", "table", "TableName"),
        _call("dynamodb", "GetItem", TableName=env("TABLE")),
        ("Orders", {"Fn::GetAtt": ["Orders", "Arn"]}, "env TABLE -> !Ref Orders"),
        id="ref-to-table",
    ),
    pytest.param(
        ActionNeed("sqs:SendMessage", "queue", "QueueUrl"),
        _call("sqs", "SendMessage", QueueUrl=env("QUEUE")),
        ("Jobs", {"Fn::GetAtt": ["Jobs", "Arn"]}, "env QUEUE -> !Ref Jobs"),
        id="queue-url-ref-becomes-queue-arn",
    ),
    pytest.param(
        ActionNeed("s3:GetObject", "object", "Bucket", "Key"),
        _call("s3", "GetObject", Bucket=env("DOCS"), Key=ValueSource("unknown", "computed", "reports/")),
        (
            "Docs/reports/*",
            {
                "Fn::Sub": [
                    "arn:${AWS::Partition}:s3:::${Name}/reports/*",
                    {"Name": {"Fn::Sub": "${AWS::StackName}-docs"}},
                ]
            },
            "env DOCS -> !Sub '${AWS::StackName}-docs'",
        ),
        id="bucket-named-by-sub-and-key-prefix",
    ),
    pytest.param(
        ActionNeed("s3:GetObject", "object", "CopySource", "Key"),
        SdkCall(
            "s3",
            "CopyObject",
            HERE,
            (("CopySource.Bucket", env("DOCS")), ("CopySource.Key", ValueSource("literal", "a.txt"))),
        ),
        (
            "Docs/a.txt",
            {"Fn::Sub": ["arn:${AWS::Partition}:s3:::${Name}/a.txt", {"Name": {"Fn::Sub": "${AWS::StackName}-docs"}}]},
            "env DOCS -> !Sub '${AWS::StackName}-docs'",
        ),
        id="copy-source-dict",
    ),
    pytest.param(
        ActionNeed("dynamodb:GetItem", "table", "TableName"),
        _call("dynamodb", "GetItem", TableName=env("LEGACY")),
        (
            "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/legacy-table",
            {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/legacy-table"},
            "env LEGACY -> literal 'legacy-table'",
        ),
        id="literal-name-outside-the-template",
    ),
    pytest.param(
        ActionNeed("execute-api:ManageConnections", "connection", "endpoint_url"),
        _call("apigatewaymanagementapi", "PostToConnection", endpoint_url=env("WS")),
        (
            "Chat/prod/POST/@connections/*",
            {"Fn::Sub": WS_API + "/prod/POST/@connections/*"},
            "env WS -> !Sub 'https://${Chat}.execute-api.${AWS::Region}.amazonaws.com/prod'",
        ),
        id="websocket-connections-from-endpoint",
    ),
]


@pytest.mark.parametrize(("need", "call", "expected"), CASES)
def test_bind(need: ActionNeed, call: SdkCall, expected: tuple) -> None:
    """Each way a resource is named binds to the right template resource, ARN and explanation."""
    permission, finding = bind(
        need, call=call, spec=SPEC, resources=RESOURCES, trigger=Trigger("Api", "GET", "/x"), route="GET /x"
    )
    assert (permission.resource, permission.arn, permission.via) == expected
    assert finding is None


def test_event_value_is_the_trigger_resource() -> None:
    """A bucket read from an S3 event is the trigger's bucket."""
    call = _call("s3", "GetObject", Bucket=ValueSource("event", "s3.bucket.name"))
    trigger = Trigger("S3", source="Docs", event="Upload")
    permission, _ = bind(
        ActionNeed("s3:GetObject", "object", "Bucket", "Key"),
        call=call,
        spec=SPEC,
        resources=RESOURCES,
        trigger=trigger,
        route="S3 Docs",
    )
    assert (permission.resource, permission.via) == ("Docs/*", "event s3.bucket.name -> trigger Docs")


def test_event_value_of_an_http_route_is_unbound() -> None:
    """A bucket read from an HTTP request cannot be known: '*' with a finding."""
    call = _call("s3", "GetObject", Bucket=ValueSource("event", "queryStringParameters.bucket"))
    permission, finding = bind(
        ActionNeed("s3:GetObject", "object", "Bucket", "Key"),
        call=call,
        spec=SPEC,
        resources=RESOURCES,
        trigger=Trigger("Api", "GET", "/x"),
        route="GET /x",
    )
    assert permission.arn == "*"
    assert finding is not None
    assert finding.rule == "unbound-resource"


@pytest.mark.parametrize(
    ("service", "operation", "params", "arn"),
    [
        pytest.param(
            "athena",
            "StartQueryExecution",
            {"QueryString": "select 1", "WorkGroup": "analytics"},
            "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/analytics",
            id="athena-workgroup",
        ),
        pytest.param(
            "cognito-idp",
            "AdminDisableUser",
            {"UserPoolId": "eu-west-1_abc", "Username": "u"},
            "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/eu-west-1_abc",
            id="cognito-user-pool",
        ),
        pytest.param(
            "cloudformation",
            "UpdateStack",
            {"StackName": "pipeline"},
            "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/pipeline/*",
            id="cloudformation-stack-with-its-id-unknown",
        ),
    ],
)
def test_resource_types_come_from_the_service_authorization_reference(
    service: str, operation: str, params: dict[str, str], arn: str
) -> None:
    """An action the mapping data has no rule for is scoped to the resource type AWS documents for it, in its
    ARN format, named by the input member its ARN's variable names."""
    call = _call(service, operation, **{k: ValueSource("literal", v) for k, v in params.items()})
    (need,) = actions_for(call)
    permission, finding = bind(need, call=call, spec=SPEC, resources=RESOURCES, trigger=Trigger("Invoke"), route="r")
    assert (permission.arn, finding) == ({"Fn::Sub": arn}, None)
