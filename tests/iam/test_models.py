"""botocore/boto3 model lookups, against the models installed in the virtualenv."""

import pytest

from decompose.iam import models


@pytest.mark.parametrize(
    ("service", "prefix"),
    [
        pytest.param("s3", "s3", id="s3"),
        pytest.param("dynamodb", "dynamodb", id="dynamodb"),
        pytest.param("sqs", "sqs", id="sqs"),
        pytest.param("sns", "sns", id="sns"),
        pytest.param("stepfunctions", "states", id="stepfunctions-override"),
        pytest.param("lambda", "lambda", id="lambda"),
        pytest.param("events", "events", id="events"),
        pytest.param("secretsmanager", "secretsmanager", id="secretsmanager"),
        pytest.param("ssm", "ssm", id="ssm"),
        pytest.param("kms", "kms", id="kms"),
        pytest.param("sts", "sts", id="sts"),
        pytest.param("cloudwatch", "cloudwatch", id="cloudwatch-not-endpoint-prefix"),
        pytest.param("sesv2", "ses", id="sesv2-signing-name"),
        pytest.param("apigatewaymanagementapi", "execute-api", id="apigatewaymanagementapi"),
        pytest.param("kinesis", "kinesis", id="kinesis"),
        pytest.param("firehose", "firehose", id="firehose"),
        pytest.param("bedrock-runtime", "bedrock", id="bedrock-runtime"),
        pytest.param("logs", "logs", id="logs"),
        pytest.param("efs", "elasticfilesystem", id="efs-override"),
    ],
)
def test_iam_prefix(service, prefix):
    """The IAM prefix is the signing name, else the data file's override, else the client name."""
    assert models.iam_prefix(service) == prefix


def test_prefix_overrides_agree_with_signing_names():
    """Every prefix override names a real client and agrees with its model's signingName when it has one."""
    overrides = models.mapping_data()["prefixes"]["overrides"]
    for service, prefix in overrides.items():
        assert models.is_service(service), service
        assert models.iam_prefix(service) == prefix, service


@pytest.mark.parametrize(
    ("service", "method", "operation"),
    [
        pytest.param("s3", "put_object", "PutObject", id="put-object"),
        pytest.param("s3", "list_objects_v2", "ListObjectsV2", id="v2-suffix"),
        pytest.param("dynamodb", "batch_write_item", "BatchWriteItem", id="batch-write"),
        pytest.param("stepfunctions", "start_sync_execution", "StartSyncExecution", id="sfn"),
        pytest.param("s3", "get_paginator", None, id="not-an-operation"),
        pytest.param("s3", "generate_presigned_url", None, id="presign-is-not-an-operation"),
    ],
)
def test_operation_for_method(service, method, operation):
    """A client method maps to its operation through botocore's xform_name, other methods to None."""
    assert models.operation_for_method(service, method) == operation


def test_operation_names_and_input_members():
    """Operation names and input members come from the service model."""
    assert "PutItem" in models.operation_names("dynamodb")
    assert {"Bucket", "Key", "VersionId"} <= models.input_members("s3", "GetObject")
    assert models.input_members("s3", "NoSuchOperation") == frozenset()
    assert models.operation_names("no-such-service") == frozenset()


@pytest.mark.parametrize(
    ("name", "known"),
    [
        pytest.param("s3", True, id="s3"),
        pytest.param("bedrock-runtime", True, id="hyphenated"),
        pytest.param("states", False, id="iam-prefix-is-not-a-client"),
        pytest.param("boto3", False, id="not-a-service"),
    ],
)
def test_is_service(name, known):
    """is_service accepts botocore client names only."""
    assert models.is_service(name) is known


@pytest.mark.parametrize(
    ("service", "name", "operation"),
    [
        pytest.param("dynamodb", "query", "Query", id="method-name"),
        pytest.param("dynamodb", "Query", "Query", id="operation-name"),
        pytest.param("s3", "list_objects_v2", "ListObjectsV2", id="s3-v2"),
        pytest.param("s3", "get_object", None, id="not-pageable"),
    ],
)
def test_paginator_operation(service, name, operation):
    """A paginator name (method or operation spelling) maps to the operation it pages."""
    assert models.paginator_operation(service, name) == operation


@pytest.mark.parametrize(
    ("service", "name", "operation"),
    [
        pytest.param("s3", "object_exists", "HeadObject", id="snake"),
        pytest.param("s3", "BucketExists", "HeadBucket", id="camel"),
        pytest.param("dynamodb", "table_exists", "DescribeTable", id="dynamodb"),
        pytest.param("s3", "no_such_waiter", None, id="unknown"),
    ],
)
def test_waiter_operation(service, name, operation):
    """A waiter maps to the operation it polls, from waiters-2."""
    assert models.waiter_operation(service, name) == operation


def test_resource_types_and_identifiers():
    """Resource types and identifiers come from boto3's resources-1 model."""
    assert models.resource_types("dynamodb") == {"Table", "ServiceResource"}
    assert {"Bucket", "Object", "ObjectSummary", "ServiceResource"} <= models.resource_types("s3")
    assert models.resource_types("stepfunctions") == frozenset()
    assert models.resource_identifiers("dynamodb", "Table") == ("Name",)
    assert models.resource_identifiers("s3", "Object") == ("BucketName", "Key")


@pytest.mark.parametrize(
    ("service", "resource_type", "action", "expected"),
    [
        pytest.param("dynamodb", "Table", "put_item", ("PutItem", {"TableName": "Name"}), id="snake"),
        pytest.param("dynamodb", "Table", "PutItem", ("PutItem", {"TableName": "Name"}), id="camel"),
        pytest.param("dynamodb", "Table", "load", ("DescribeTable", {"TableName": "Name"}), id="table-load"),
        pytest.param("s3", "Object", "load", ("HeadObject", {"Bucket": "BucketName", "Key": "Key"}), id="object-load"),
        pytest.param(
            "s3", "Object", "copy_from", ("CopyObject", {"Bucket": "BucketName", "Key": "Key"}), id="copy-from"
        ),
        pytest.param("dynamodb", "Table", "wait_until_exists", ("DescribeTable", {"TableName": "Name"}), id="waiter"),
        pytest.param("sqs", "Queue", "send_message", ("SendMessage", {"QueueUrl": "Url"}), id="sqs-queue"),
        pytest.param("sqs", "ServiceResource", "get_queue_by_name", ("GetQueueUrl", {}), id="service-action"),
        pytest.param("s3", "Bucket", "no_such_action", None, id="unknown"),
    ],
)
def test_resource_action(service, resource_type, action, expected):
    """A resource action maps to its operation and the request parameters its identifiers fill."""
    assert models.resource_action(service, resource_type, action) == expected


def test_subresource_tracks_identifiers_from_bucket_to_object():
    """s3.Bucket(name).Object(key): the Object takes BucketName from the Bucket's Name and Key from its argument."""
    bucket = models.resource_subresource("s3", "ServiceResource", "Bucket")
    assert bucket == models.SubResource("Bucket", from_args=("Name",))
    obj = models.resource_subresource("s3", "Bucket", "Object")
    assert obj == models.SubResource("Object", from_parent={"BucketName": "Name"}, from_args=("Key",))
    assert models.resource_subresource("s3", "Object", "bucket") == models.SubResource(
        "Bucket", from_parent={"Name": "BucketName"}
    )
    assert models.resource_subresource("dynamodb", "ServiceResource", "Table").type == "Table"
    assert models.resource_subresource("s3", "Bucket", "nothing") is None


def test_action_result_tracks_identifiers_from_request_and_response():
    """Resources returned by actions say where their identifiers come from."""
    queue = models.resource_action_result("sqs", "ServiceResource", "get_queue_by_name")
    assert queue == models.SubResource("Queue", from_response={"Url": "QueueUrl"})
    bucket = models.resource_action_result("s3", "ServiceResource", "create_bucket")
    assert bucket == models.SubResource("Bucket", from_request={"Name": "Bucket"})


@pytest.mark.parametrize(
    ("service", "resource_type", "attr", "expected", "item_type"),
    [
        pytest.param("s3", "Bucket", "objects", ("ListObjects", {"Bucket": "Name"}), "ObjectSummary", id="objects"),
        pytest.param("s3", "ServiceResource", "buckets", ("ListBuckets", {}), "Bucket", id="buckets"),
        pytest.param("dynamodb", "ServiceResource", "tables", ("ListTables", {}), "Table", id="tables"),
        pytest.param("s3", "Bucket", "nothing", None, None, id="unknown"),
    ],
)
def test_resource_collection(service, resource_type, attr, expected, item_type):
    """A collection maps to its list operation, the identifiers it passes, and the type it yields."""
    assert models.resource_collection(service, resource_type, attr) == expected
    assert models.resource_collection_type(service, resource_type, attr) == item_type


def test_resource_batch_action():
    """bucket.objects.delete() is DeleteObjects with the bucket and the keys of the collection."""
    assert models.resource_batch_action("s3", "ObjectSummary", "delete") == (
        "DeleteObjects",
        {"Bucket": "BucketName", "Delete.Objects[].Key": "Key"},
    )
