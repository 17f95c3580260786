"""Rendering CloudFormation ARN/name expressions, and the ARN expressions written for template resources."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from decompose.iam.arns import UnrenderableError, arn_for, render
from decompose.iam.monolith import iam_match, placeholder_name
from decompose.loading.template import load_template

REPO = Path(__file__).resolve().parents[2]

RESOURCES = {
    "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "PAY_PER_REQUEST"}},
    "Simple": {"Type": "AWS::Serverless::SimpleTable"},
    "NamedTable": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Fn::Sub": "${Stage}-orders"}}},
    "Bucket": {"Type": "AWS::S3::Bucket"},
    "NamedBucket": {
        "Type": "AWS::S3::Bucket",
        "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-uploads-${AWS::AccountId}"}},
    },
    "Queue": {"Type": "AWS::SQS::Queue"},
    "NamedQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs"}},
    "Topic": {"Type": "AWS::SNS::Topic"},
    "Function": {"Type": "AWS::Serverless::Function"},
    "LambdaFunction": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "payments"}},
    "Machine": {"Type": "AWS::Serverless::StateMachine"},
    "CfnMachine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"StateMachineName": "checkout"}},
    "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "orders-bus"}},
    "Secret": {"Type": "AWS::SecretsManager::Secret"},
    "Parameter": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/shop/config", "Type": "String"}},
    "Key": {"Type": "AWS::KMS::Key"},
    "Stream": {"Type": "AWS::Kinesis::Stream"},
    "Role": {"Type": "AWS::IAM::Role"},
}

REAL_NAMES = {
    "Table": "orders-table",
    "Simple": "products-table",
    "Bucket": "invoices-bucket",
    "Queue": "fulfilment-queue",
    "Topic": "order-events",
    "Function": "shop-function",
    "Machine": "checkout-machine",
    "Secret": "card-api-key",
    "Key": "1234abcd-12ab-34cd-56ef-1234567890ab",
    "Stream": "clicks",
    "Stage": "prod",
}

ACCOUNT = "arn:aws:{service}:us-east-1:123456789012"


def _arn(service: str, rest: str) -> str:
    return ACCOUNT.format(service=service) + ":" + rest


def real_name(logical_id: str) -> str:
    return REAL_NAMES[logical_id]


# (expression, rendered with placeholder names, rendered with REAL_NAMES)
RENDER_CASES = [
    ("literal", "literal", "literal"),
    ({"Ref": "AWS::Partition"}, "aws", "aws"),
    ({"Ref": "AWS::Region"}, "us-east-1", "us-east-1"),
    ({"Ref": "AWS::AccountId"}, "123456789012", "123456789012"),
    ({"Ref": "AWS::StackName"}, "stack", "stack"),
    ({"Ref": "AWS::URLSuffix"}, "amazonaws.com", "amazonaws.com"),
    ({"Ref": "Stage"}, "{Stage}", "prod"),
    ({"Ref": "Table"}, "{Table}", "orders-table"),
    ({"Fn::GetAtt": ["Table", "Arn"]}, _arn("dynamodb", "table/{Table}"), _arn("dynamodb", "table/orders-table")),
    (
        {"Fn::GetAtt": ["Table", "StreamArn"]},
        _arn("dynamodb", "table/{Table}/stream/*"),
        _arn("dynamodb", "table/orders-table/stream/*"),
    ),
    ({"Ref": "Simple"}, "{Simple}", "products-table"),
    ({"Fn::GetAtt": ["Simple", "Arn"]}, _arn("dynamodb", "table/{Simple}"), _arn("dynamodb", "table/products-table")),
    ({"Ref": "NamedTable"}, "{Stage}-orders", "prod-orders"),
    ({"Ref": "Bucket"}, "{Bucket}", "invoices-bucket"),
    ({"Fn::GetAtt": ["Bucket", "Arn"]}, "arn:aws:s3:::{Bucket}", "arn:aws:s3:::invoices-bucket"),
    ({"Ref": "NamedBucket"}, "stack-uploads-123456789012", "stack-uploads-123456789012"),
    (
        {"Ref": "Queue"},
        "https://sqs.us-east-1.amazonaws.com/123456789012/{Queue}",
        "https://sqs.us-east-1.amazonaws.com/123456789012/fulfilment-queue",
    ),
    ({"Fn::GetAtt": ["Queue", "Arn"]}, _arn("sqs", "{Queue}"), _arn("sqs", "fulfilment-queue")),
    ({"Fn::GetAtt": ["Queue", "QueueName"]}, "{Queue}", "fulfilment-queue"),
    (
        {"Fn::GetAtt": ["Queue", "QueueUrl"]},
        "https://sqs.us-east-1.amazonaws.com/123456789012/{Queue}",
        "https://sqs.us-east-1.amazonaws.com/123456789012/fulfilment-queue",
    ),
    ({"Fn::GetAtt": ["NamedQueue", "QueueName"]}, "jobs", "jobs"),
    ({"Ref": "Topic"}, _arn("sns", "{Topic}"), _arn("sns", "order-events")),
    ({"Fn::GetAtt": ["Topic", "TopicArn"]}, _arn("sns", "{Topic}"), _arn("sns", "order-events")),
    ({"Fn::GetAtt": ["Topic", "TopicName"]}, "{Topic}", "order-events"),
    ({"Ref": "Function"}, "{Function}", "shop-function"),
    (
        {"Fn::GetAtt": ["Function", "Arn"]},
        _arn("lambda", "function:{Function}"),
        _arn("lambda", "function:shop-function"),
    ),
    ({"Ref": "LambdaFunction"}, "payments", "payments"),
    ({"Ref": "Machine"}, _arn("states", "stateMachine:{Machine}"), _arn("states", "stateMachine:checkout-machine")),
    ({"Fn::GetAtt": ["Machine", "Name"]}, "{Machine}", "checkout-machine"),
    (
        {"Fn::GetAtt": ["CfnMachine", "Arn"]},
        _arn("states", "stateMachine:checkout"),
        _arn("states", "stateMachine:checkout"),
    ),
    ({"Ref": "Bus"}, "orders-bus", "orders-bus"),
    ({"Fn::GetAtt": ["Bus", "Arn"]}, _arn("events", "event-bus/orders-bus"), _arn("events", "event-bus/orders-bus")),
    (
        {"Ref": "Secret"},
        _arn("secretsmanager", "secret:{Secret}-??????"),
        _arn("secretsmanager", "secret:card-api-key-??????"),
    ),
    ({"Ref": "Parameter"}, "/shop/config", "/shop/config"),
    ({"Ref": "Key"}, "{Key}", REAL_NAMES["Key"]),
    ({"Fn::GetAtt": ["Key", "Arn"]}, _arn("kms", "key/{Key}"), _arn("kms", "key/" + REAL_NAMES["Key"])),
    ({"Ref": "Stream"}, "{Stream}", "clicks"),
    ({"Fn::GetAtt": ["Stream", "Arn"]}, _arn("kinesis", "stream/{Stream}"), _arn("kinesis", "stream/clicks")),
    ({"Fn::GetAtt": "Queue.Arn"}, _arn("sqs", "{Queue}"), _arn("sqs", "fulfilment-queue")),
    ({"Fn::Sub": "${Table}"}, "{Table}", "orders-table"),
    ({"Fn::Sub": "${Table.Arn}/index/byCustomer"}, _arn("dynamodb", "table/{Table}/index/byCustomer"), None),
    (
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"},
        "arn:aws:s3:::{Bucket}/*",
        "arn:aws:s3:::invoices-bucket/*",
    ),
    ({"Fn::Sub": "${!Literal}-${AWS::Region}"}, "${Literal}-us-east-1", "${Literal}-us-east-1"),
    ({"Fn::Sub": ["${Name}/x", {"Name": {"Ref": "Bucket"}}]}, "{Bucket}/x", "invoices-bucket/x"),
    ({"Fn::Sub": ["${Table}", {"Table": "shadowed"}]}, "shadowed", "shadowed"),
    ({"Fn::Join": ["-", ["a", {"Ref": "Stage"}, "b"]]}, "a-{Stage}-b", "a-prod-b"),
    ({"Fn::Select": [1, ["a", {"Ref": "Topic"}]]}, _arn("sns", "{Topic}"), _arn("sns", "order-events")),
    ({"Fn::Select": ["5", {"Fn::Split": [":", {"Fn::GetAtt": ["Queue", "Arn"]}]}]}, "{Queue}", "fulfilment-queue"),
    ({"Fn::Select": [2, {"Fn::Split": ["/", {"Fn::Sub": "a/b/${Stage}"}]}]}, "{Stage}", "prod"),
]


@pytest.mark.parametrize(("expr", "placeholder", "concrete"), RENDER_CASES, ids=lambda v: json.dumps(v)[:60])
def test_render(expr, placeholder, concrete):
    """Each expression renders as CloudFormation would, with placeholder names and with real names."""
    assert render(expr, RESOURCES, placeholder_name) == placeholder
    if concrete is not None:
        assert render(expr, RESOURCES, real_name) == concrete


def test_render_takes_partition_region_and_account():
    """Pseudo parameters and ARNs follow the partition, region and account passed in."""
    expr = {"Fn::Sub": "${Queue.Arn} ${Queue} ${AWS::URLSuffix}"}
    got = render(expr, RESOURCES, placeholder_name, partition="aws-cn", region="cn-north-1", account="111122223333")
    assert got == (
        "arn:aws-cn:sqs:cn-north-1:111122223333:{Queue} "
        "https://sqs.cn-north-1.amazonaws.com.cn/111122223333/{Queue} amazonaws.com.cn"
    )


@pytest.mark.parametrize(
    "expr",
    [
        {"Fn::If": ["IsProd", "a", "b"]},
        {"Fn::ImportValue": "shared-table"},
        {"Fn::FindInMap": ["Map", "a", "b"]},
        {"Ref": "AWS::NoValue"},
        {"Ref": "Role"},
        {"Fn::GetAtt": ["Topic", "Arn"]},
        {"Fn::GetAtt": ["Missing", "Arn"]},
        {"Fn::Sub": "${Table.Nope}"},
        {"Fn::Select": [9, ["a"]]},
        ["not", "a", "string"],
    ],
    ids=lambda v: json.dumps(v)[:40],
)
def test_unrenderable(expr):
    """Conditions, imports, mappings and unknown types or attributes raise UnrenderableError, a ValueError."""
    with pytest.raises(UnrenderableError) as info:
        render(expr, RESOURCES, placeholder_name)
    assert isinstance(info.value, ValueError)
    assert str(info.value)


def test_a_name_that_refers_to_itself_is_unrenderable():
    """A resource named after itself does not recurse forever."""
    resources = {"Loop": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Ref": "Loop"}}}}
    with pytest.raises(UnrenderableError):
        render({"Ref": "Loop"}, resources, placeholder_name)


S3 = "arn:${AWS::Partition}:s3:::${Name}"
SSM = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Name}"

# (IAM resource type, logical id, suffix, expected expression, rendered with placeholder names)
ARN_FOR_CASES = [
    ("table", "Table", None, {"Fn::GetAtt": ["Table", "Arn"]}, _arn("dynamodb", "table/{Table}")),
    ("table", "Simple", None, {"Fn::GetAtt": ["Simple", "Arn"]}, _arn("dynamodb", "table/{Simple}")),
    (
        "index",
        "Table",
        "byCustomer",
        {"Fn::Sub": "${Table.Arn}/index/byCustomer"},
        _arn("dynamodb", "table/{Table}/index/byCustomer"),
    ),
    ("index", "Table", None, {"Fn::Sub": "${Table.Arn}/index/*"}, _arn("dynamodb", "table/{Table}/index/*")),
    ("stream", "Table", None, {"Fn::Sub": "${Table.Arn}/stream/*"}, _arn("dynamodb", "table/{Table}/stream/*")),
    ("stream", "Stream", None, {"Fn::GetAtt": ["Stream", "Arn"]}, _arn("kinesis", "stream/{Stream}")),
    ("bucket", "Bucket", None, {"Fn::Sub": [S3, {"Name": {"Ref": "Bucket"}}]}, "arn:aws:s3:::{Bucket}"),
    (
        "bucket",
        "NamedBucket",
        None,
        {"Fn::Sub": [S3, {"Name": {"Fn::Sub": "${AWS::StackName}-uploads-${AWS::AccountId}"}}]},
        "arn:aws:s3:::stack-uploads-123456789012",
    ),
    ("object", "Bucket", None, {"Fn::Sub": [S3 + "/*", {"Name": {"Ref": "Bucket"}}]}, "arn:aws:s3:::{Bucket}/*"),
    (
        "object",
        "Bucket",
        "invoices/*",
        {"Fn::Sub": [S3 + "/invoices/*", {"Name": {"Ref": "Bucket"}}]},
        "arn:aws:s3:::{Bucket}/invoices/*",
    ),
    (
        "object",
        "Bucket",
        "${odd}*",
        {"Fn::Sub": [S3 + "/${!odd}*", {"Name": {"Ref": "Bucket"}}]},
        "arn:aws:s3:::{Bucket}/${odd}*",
    ),
    ("queue", "Queue", None, {"Fn::GetAtt": ["Queue", "Arn"]}, _arn("sqs", "{Queue}")),
    ("topic", "Topic", None, {"Ref": "Topic"}, _arn("sns", "{Topic}")),
    ("function", "Function", None, {"Fn::GetAtt": ["Function", "Arn"]}, _arn("lambda", "function:{Function}")),
    (
        "function",
        "LambdaFunction",
        None,
        {"Fn::GetAtt": ["LambdaFunction", "Arn"]},
        _arn("lambda", "function:payments"),
    ),
    ("stateMachine", "Machine", None, {"Ref": "Machine"}, _arn("states", "stateMachine:{Machine}")),
    ("stateMachine", "CfnMachine", None, {"Ref": "CfnMachine"}, _arn("states", "stateMachine:checkout")),
    ("event-bus", "Bus", None, {"Fn::GetAtt": ["Bus", "Arn"]}, _arn("events", "event-bus/orders-bus")),
    ("secret", "Secret", None, {"Ref": "Secret"}, _arn("secretsmanager", "secret:{Secret}-??????")),
    ("parameter", "Parameter", None, {"Fn::Sub": [SSM, {"Name": "shop/config"}]}, _arn("ssm", "parameter/shop/config")),
    ("key", "Key", None, {"Fn::GetAtt": ["Key", "Arn"]}, _arn("kms", "key/{Key}")),
]


@pytest.mark.parametrize(("resource_type", "logical_id", "suffix", "expected", "rendered"), ARN_FOR_CASES)
def test_arn_for(resource_type, logical_id, suffix, expected, rendered):
    """arn_for writes the template's own expression for the ARN, and it renders to that resource's ARN."""
    expr = arn_for(resource_type, logical_id, RESOURCES, suffix)
    assert expr == expected
    assert render(expr, RESOURCES, placeholder_name) == rendered


def test_arn_for_parameter_strips_the_leading_slash_of_a_sub_name():
    """An SSM parameter named by `!Sub "/${Stage}/db"` gets the ARN `parameter/{Stage}/db`."""
    resources = {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": {"Fn::Sub": "/${Stage}/db"}}}}
    expr = arn_for("parameter", "P", resources)
    assert render(expr, resources, placeholder_name) == _arn("ssm", "parameter/{Stage}/db")


@pytest.mark.parametrize(
    ("resource_type", "logical_id", "suffix"),
    [
        ("table", "Bucket", None),
        ("queue", "Missing", None),
        ("nonsense", "Table", None),
        ("queue", "Queue", "suffix"),
    ],
)
def test_arn_for_rejects_what_does_not_fit(resource_type, logical_id, suffix):
    """A resource of another type, a missing resource, an unknown IAM type or a stray suffix is a ValueError."""
    with pytest.raises(ValueError, match=r"\S"):
        arn_for(resource_type, logical_id, RESOURCES, suffix)


def test_arn_for_returns_plain_json_from_a_decoded_template():
    """From the sample's cfn-lint-decoded template, the bucket ARN names the bucket by its BucketName expression."""
    loaded = load_template(REPO / "sample_monolith", REPO / "sample_monolith" / "template.yaml")
    expr = arn_for("bucket", "UploadsBucket", loaded.resources)
    assert json.dumps(expr) == json.dumps(
        {"Fn::Sub": [S3, {"Name": {"Fn::Sub": "${AWS::StackName}-uploads-${AWS::AccountId}"}}]}
    )
    assert type(expr["Fn::Sub"][1]["Name"]["Fn::Sub"]) is str


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def test_rendered_arns_are_the_ones_aws_returns(aws):
    """Under moto, the ARNs and URLs rendered with the real names equal (or match) what the APIs return."""
    region = "us-east-1"
    table = boto3.client("dynamodb", region_name=region).create_table(
        TableName="orders-table",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    sqs = boto3.client("sqs", region_name=region)
    queue_url = sqs.create_queue(QueueName="fulfilment-queue")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = boto3.client("sns", region_name=region).create_topic(Name="order-events")["TopicArn"]
    secret_arn = boto3.client("secretsmanager", region_name=region).create_secret(
        Name="card-api-key", SecretString="x"
    )["ARN"]
    key = boto3.client("kms", region_name=region).create_key()["KeyMetadata"]
    kinesis = boto3.client("kinesis", region_name=region)
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    stream_arn = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    bus_arn = boto3.client("events", region_name=region).create_event_bus(Name="orders-bus")["EventBusArn"]
    ssm = boto3.client("ssm", region_name=region)
    ssm.put_parameter(Name="/shop/config", Value="x", Type="String")
    parameter_arn = ssm.get_parameter(Name="/shop/config")["Parameter"]["ARN"]
    names = {**REAL_NAMES, "Key": key["KeyId"]}

    def rendered(expr):
        return render(expr, RESOURCES, names.__getitem__)

    assert rendered({"Fn::GetAtt": ["Table", "Arn"]}) == table["TableArn"]
    assert iam_match(rendered({"Fn::GetAtt": ["Table", "StreamArn"]}), table["LatestStreamArn"])
    assert rendered({"Ref": "Queue"}) == queue_url
    assert rendered({"Fn::GetAtt": ["Queue", "Arn"]}) == queue_arn
    assert rendered({"Ref": "Topic"}) == topic_arn
    assert iam_match(rendered({"Ref": "Secret"}), secret_arn)
    assert rendered({"Fn::GetAtt": ["Key", "Arn"]}) == key["Arn"]
    assert rendered({"Fn::GetAtt": ["Stream", "Arn"]}) == stream_arn
    assert rendered({"Fn::GetAtt": ["Bus", "Arn"]}) == bus_arn
    assert rendered(arn_for("parameter", "Parameter", RESOURCES)) == parameter_arn


def test_ref_to_an_api_is_its_generated_id() -> None:
    """A WebSocket endpoint built from `${ChatApi}` renders with the API's id (the caller's name for it)."""
    resources = {"ChatApi": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}}}
    url = {"Fn::Sub": "https://${ChatApi}.execute-api.${AWS::Region}.amazonaws.com/production"}
    assert (
        render(url, resources, lambda logical_id: "abc123")
        == "https://abc123.execute-api.us-east-1.amazonaws.com/production"
    )
