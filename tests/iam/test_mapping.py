"""SdkCall -> ActionNeed: the 1:1 rule, every exception in the data file, and the data file's own validity."""

import re

import pytest

from decompose.domain.iam import ActionNeed, SdkCall, ValueSource
from decompose.domain.model import Location
from decompose.iam import mapping, models

UNKNOWN = ValueSource("unknown", "not a string")


def call(service, operation, via="client", **params):
    """An SdkCall whose str params are literals and whose other params are kept as given."""
    sources = tuple(
        (name, ValueSource("literal", value) if isinstance(value, str) else value) for name, value in params.items()
    )
    return SdkCall(service, operation, Location("app.py", 1), sources, via)


def needs(sdk_call):
    return [(n.action, n.resource_type, n.resource_param, n.suffix_param) for n in mapping.actions_for(sdk_call)]


OBJECT = ("object", "Bucket", "Key")
BUCKET = ("bucket", "Bucket", None)
SOURCE_OBJECT = ("object", "CopySource", None)
TABLE = ("table", "TableName", None)


@pytest.mark.parametrize(
    ("sdk_call", "expected"),
    [
        # defaults, one per service
        pytest.param(call("s3", "PutObject", Bucket="b", Key="k"), [("s3:PutObject", *OBJECT)], id="s3-object"),
        pytest.param(call("s3", "DeleteObject", Bucket="b", Key="k"), [("s3:DeleteObject", *OBJECT)], id="s3-delete"),
        pytest.param(
            call("s3", "GetBucketPolicy", Bucket="b"), [("s3:GetBucketPolicy", *BUCKET)], id="s3-bucket-default"
        ),
        pytest.param(call("dynamodb", "PutItem", TableName="t"), [("dynamodb:PutItem", *TABLE)], id="ddb-table"),
        pytest.param(call("dynamodb", "Query", TableName="t"), [("dynamodb:Query", *TABLE)], id="ddb-query-table"),
        pytest.param(
            call("dynamodb", "Query", TableName="t", IndexName="byCustomer"),
            [("dynamodb:Query", "index", "TableName", "IndexName")],
            id="ddb-query-index",
        ),
        pytest.param(
            call("dynamodb", "Scan", TableName="t", IndexName="i"),
            [("dynamodb:Scan", "index", "TableName", "IndexName")],
            id="ddb-scan-index",
        ),
        pytest.param(
            call("sqs", "SendMessage", QueueUrl="u"), [("sqs:SendMessage", "queue", "QueueUrl", None)], id="sqs"
        ),
        pytest.param(call("sns", "Publish", TopicArn="a"), [("sns:Publish", "topic", "TopicArn", None)], id="sns"),
        pytest.param(
            call("sns", "Publish", TargetArn="a"), [("sns:Publish", "topic", "TargetArn", None)], id="sns-target"
        ),
        pytest.param(
            call("lambda", "GetFunction", FunctionName="f"),
            [("lambda:GetFunction", "function", "FunctionName", None)],
            id="lambda",
        ),
        pytest.param(
            call("stepfunctions", "StartExecution", stateMachineArn="a"),
            [("states:StartExecution", "stateMachine", "stateMachineArn", None)],
            id="sfn-start",
        ),
        pytest.param(
            call("stepfunctions", "StartSyncExecution", stateMachineArn="a"),
            [("states:StartSyncExecution", "stateMachine", "stateMachineArn", None)],
            id="sfn-sync",
        ),
        pytest.param(
            call("stepfunctions", "StopExecution", executionArn="a"),
            [("states:StopExecution", "execution", "executionArn", None)],
            id="sfn-execution",
        ),
        pytest.param(
            call("stepfunctions", "SendTaskSuccess", taskToken="t", output="{}"),
            [("states:SendTaskSuccess", "*", None, None)],
            id="sfn-no-resource",
        ),
        pytest.param(
            call("events", "DescribeEventBus", Name="b"),
            [("events:DescribeEventBus", "*", None, None)],
            id="events-no-identifying-param",
        ),
        pytest.param(
            call("events", "ListRules", EventBusName="bus"),
            [("events:ListRules", "event-bus", "EventBusName", None)],
            id="events-bus",
        ),
        pytest.param(
            call("secretsmanager", "GetSecretValue", SecretId="s"),
            [("secretsmanager:GetSecretValue", "secret", "SecretId", None)],
            id="secret",
        ),
        pytest.param(
            call("ssm", "GetParameter", Name="/p"), [("ssm:GetParameter", "parameter", "Name", None)], id="ssm-name"
        ),
        pytest.param(
            call("ssm", "GetParameters", Names=UNKNOWN),
            [("ssm:GetParameters", "parameter", "Names", None)],
            id="ssm-names",
        ),
        pytest.param(
            call("ssm", "GetParametersByPath", Path="/app/"),
            [("ssm:GetParametersByPath", "parameter", "Path", None)],
            id="ssm-path",
        ),
        pytest.param(
            call("ssm", "GetDocument", Name="doc"),
            [("ssm:GetDocument", "document", "Name", None)],
            id="ssm-document-not-param",
        ),
        pytest.param(call("kms", "Decrypt", CiphertextBlob=UNKNOWN), [("kms:Decrypt", "key", "KeyId", None)], id="kms"),
        pytest.param(
            call("kinesis", "PutRecord", StreamName="s"), [("kinesis:PutRecord", "stream", "StreamName", None)], id="ks"
        ),
        pytest.param(
            call("kinesis", "PutRecord", StreamARN="arn"),
            [("kinesis:PutRecord", "stream", "StreamARN", None)],
            id="kinesis-arn",
        ),
        pytest.param(
            call("firehose", "PutRecordBatch", DeliveryStreamName="d"),
            [("firehose:PutRecordBatch", "deliverystream", "DeliveryStreamName", None)],
            id="firehose",
        ),
        pytest.param(
            call("sesv2", "SendEmail"), [("ses:SendEmail", "identity", None, None)], id="sesv2-prefix-no-resource"
        ),
        pytest.param(
            call("bedrock-runtime", "InvokeModel", modelId="m"),
            [("bedrock:InvokeModel", "*", None, None)],
            id="bedrock-prefix",
        ),
        # s3 exceptions
        pytest.param(call("s3", "ListObjects", Bucket="b"), [("s3:ListBucket", *BUCKET)], id="list-objects"),
        pytest.param(call("s3", "ListObjectsV2", Bucket="b"), [("s3:ListBucket", *BUCKET)], id="list-objects-v2"),
        pytest.param(
            call("s3", "ListObjectsV2", "paginator list_objects_v2", Bucket="b"),
            [("s3:ListBucket", *BUCKET)],
            id="list-objects-paginator",
        ),
        pytest.param(call("s3", "HeadBucket", Bucket="b"), [("s3:ListBucket", *BUCKET)], id="head-bucket"),
        pytest.param(
            call("s3", "HeadBucket", "waiter bucket_exists", Bucket="b"),
            [("s3:ListBucket", *BUCKET)],
            id="bucket-exists-waiter",
        ),
        pytest.param(call("s3", "HeadObject", Bucket="b", Key="k"), [("s3:GetObject", *OBJECT)], id="head-object"),
        pytest.param(
            call("s3", "HeadObject", Bucket="b", Key="k", VersionId="v"),
            [("s3:GetObject", *OBJECT), ("s3:GetObjectVersion", *OBJECT)],
            id="head-object-version",
        ),
        pytest.param(call("s3", "GetObject", Bucket="b", Key="k"), [("s3:GetObject", *OBJECT)], id="get-object"),
        pytest.param(
            call("s3", "GetObject", Bucket="b", Key="k", VersionId=UNKNOWN),
            [("s3:GetObjectVersion", *OBJECT)],
            id="get-object-version",
        ),
        pytest.param(call("s3", "ListBuckets"), [("s3:ListAllMyBuckets", "*", None, None)], id="list-buckets"),
        pytest.param(
            call("s3", "ListObjectVersions", Bucket="b"), [("s3:ListBucketVersions", *BUCKET)], id="list-versions"
        ),
        pytest.param(
            call("s3", "ListMultipartUploads", Bucket="b"),
            [("s3:ListBucketMultipartUploads", *BUCKET)],
            id="list-multipart-uploads",
        ),
        pytest.param(
            call("s3", "ListParts", Bucket="b", Key="k"), [("s3:ListMultipartUploadParts", *OBJECT)], id="list-parts"
        ),
        pytest.param(
            call("s3", "CreateMultipartUpload", Bucket="b", Key="k"), [("s3:PutObject", *OBJECT)], id="mpu-create"
        ),
        pytest.param(call("s3", "UploadPart", Bucket="b", Key="k"), [("s3:PutObject", *OBJECT)], id="mpu-part"),
        pytest.param(
            call("s3", "CompleteMultipartUpload", Bucket="b", Key="k"), [("s3:PutObject", *OBJECT)], id="mpu-complete"
        ),
        pytest.param(
            call("s3", "AbortMultipartUpload", Bucket="b", Key="k"),
            [("s3:AbortMultipartUpload", *OBJECT)],
            id="mpu-abort-1to1",
        ),
        pytest.param(
            call("s3", "CopyObject", Bucket="b", Key="k", CopySource="src/key"),
            [("s3:GetObject", *SOURCE_OBJECT), ("s3:PutObject", *OBJECT), ("s3:GetObjectTagging", *SOURCE_OBJECT)],
            id="copy-object",
        ),
        pytest.param(
            call("s3", "CopyObject", Bucket="b", Key="k", CopySource="src/key", TaggingDirective="REPLACE"),
            [("s3:GetObject", *SOURCE_OBJECT), ("s3:PutObject", *OBJECT)],
            id="copy-object-replace-tags",
        ),
        pytest.param(
            call("s3", "CopyObject", Bucket="b", Key="k", CopySource="src/key?versionId=3", TaggingDirective="REPLACE"),
            [("s3:GetObject", *SOURCE_OBJECT), ("s3:PutObject", *OBJECT), ("s3:GetObjectVersion", *SOURCE_OBJECT)],
            id="copy-object-version",
        ),
        pytest.param(
            call(
                "s3",
                "CopyObject",
                "resource Object.copy_from",
                Bucket="b",
                Key="k",
                CopySource=UNKNOWN,
                TaggingDirective="REPLACE",
                Tagging="a=b",
                ACL="private",
            ),
            [
                ("s3:GetObject", *SOURCE_OBJECT),
                ("s3:PutObject", *OBJECT),
                ("s3:PutObjectTagging", *OBJECT),
                ("s3:PutObjectAcl", *OBJECT),
            ],
            id="copy-from-with-tags-and-acl",
        ),
        pytest.param(
            call("s3", "UploadPartCopy", Bucket="b", Key="k", CopySource="src/key"),
            [("s3:GetObject", *SOURCE_OBJECT), ("s3:PutObject", *OBJECT)],
            id="upload-part-copy",
        ),
        pytest.param(
            call("s3", "DeleteObjects", Bucket="b", Delete=UNKNOWN),
            [("s3:DeleteObject", "object", "Bucket", "Delete.Objects[].Key")],
            id="delete-objects",
        ),
        pytest.param(
            call("s3", "PutObject", Bucket="b", Key="k", ACL="public-read"),
            [("s3:PutObject", *OBJECT), ("s3:PutObjectAcl", *OBJECT)],
            id="put-object-acl",
        ),
        pytest.param(
            call("s3", "PutObject", Bucket="b", Key="k", Tagging="a=b"),
            [("s3:PutObject", *OBJECT), ("s3:PutObjectTagging", *OBJECT)],
            id="put-object-tagging",
        ),
        pytest.param(call("s3", "SelectObjectContent", Bucket="b", Key="k"), [("s3:GetObject", *OBJECT)], id="select"),
        pytest.param(
            call("s3", "DeleteBucketLifecycle", Bucket="b"),
            [("s3:PutLifecycleConfiguration", *BUCKET)],
            id="delete-lifecycle",
        ),
        pytest.param(
            call("s3", "PutBucketReplication", Bucket="b", ReplicationConfiguration=UNKNOWN),
            [
                ("s3:PutReplicationConfiguration", *BUCKET),
                ("iam:PassRole", "role", "ReplicationConfiguration.Role", None),
            ],
            id="replication-pass-role",
        ),
        # presign and transfer
        pytest.param(
            call("s3", "GetObject", "presign get_object", Bucket="b", Key="k"),
            [("s3:GetObject", *OBJECT)],
            id="presign-get",
        ),
        pytest.param(
            call("s3", "PutObject", "presign put_object", Bucket="b", Key="k"),
            [("s3:PutObject", *OBJECT)],
            id="presign-put",
        ),
        pytest.param(
            call("s3", "PutObject", "presign post", Bucket="b", Key="k"),
            [("s3:PutObject", *OBJECT)],
            id="presign-post",
        ),
        pytest.param(
            call("s3", "PutObject", "transfer upload_file", Bucket="b", Key="k"),
            [("s3:PutObject", *OBJECT), ("s3:AbortMultipartUpload", *OBJECT)],
            id="upload-file",
        ),
        pytest.param(
            call("s3", "PutObject", "transfer Bucket.upload_fileobj", Bucket="b", Key="k", ACL="private"),
            [("s3:PutObject", *OBJECT), ("s3:AbortMultipartUpload", *OBJECT), ("s3:PutObjectAcl", *OBJECT)],
            id="upload-fileobj-resource-acl",
        ),
        pytest.param(
            call("s3", "GetObject", "transfer download_file", Bucket="b", Key="k"),
            [("s3:GetObject", *OBJECT)],
            id="download-file",
        ),
        pytest.param(
            call("s3", "GetObject", "transfer Object.download_fileobj", Bucket="b", Key="k"),
            [("s3:GetObject", *OBJECT)],
            id="download-fileobj",
        ),
        pytest.param(
            call("s3", "CopyObject", "transfer copy", Bucket="b", Key="k", CopySource=UNKNOWN),
            [
                ("s3:GetObject", *SOURCE_OBJECT),
                ("s3:PutObject", *OBJECT),
                ("s3:AbortMultipartUpload", *OBJECT),
                ("s3:GetObjectTagging", *SOURCE_OBJECT),
            ],
            id="managed-copy",
        ),
        # dynamodb exceptions
        pytest.param(
            call("dynamodb", "TransactWriteItems", TransactItems=UNKNOWN),
            [
                (f"dynamodb:{action}", "table", "TransactItems[].*.TableName", None)
                for action in ("PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem")
            ],
            id="transact-write",
        ),
        pytest.param(
            call("dynamodb", "TransactGetItems", TransactItems=UNKNOWN),
            [("dynamodb:GetItem", "table", "TransactItems[].Get.TableName", None)],
            id="transact-get",
        ),
        pytest.param(
            call("dynamodb", "ExecuteStatement", Statement='SELECT * FROM "Orders" WHERE pk = ?'),
            [("dynamodb:PartiQLSelect", "table", "Statement", None)],
            id="partiql-select",
        ),
        pytest.param(
            call("dynamodb", "ExecuteStatement", Statement="  insert into Orders value {'pk': ?}"),
            [("dynamodb:PartiQLInsert", "table", "Statement", None)],
            id="partiql-insert-lowercase",
        ),
        pytest.param(
            call("dynamodb", "ExecuteStatement", Statement='UPDATE "Orders" SET a = 1 WHERE pk = ?'),
            [("dynamodb:PartiQLUpdate", "table", "Statement", None)],
            id="partiql-update",
        ),
        pytest.param(
            call("dynamodb", "ExecuteStatement", Statement='DELETE FROM "Orders" WHERE pk = ?'),
            [("dynamodb:PartiQLDelete", "table", "Statement", None)],
            id="partiql-delete",
        ),
        pytest.param(
            call("dynamodb", "ExecuteStatement", Statement=ValueSource("env", "STATEMENT")),
            [
                (f"dynamodb:PartiQL{verb}", "table", "Statement", None)
                for verb in ("Select", "Insert", "Update", "Delete")
            ],
            id="partiql-not-literal",
        ),
        pytest.param(
            call("dynamodb", "BatchExecuteStatement", Statements=UNKNOWN),
            [
                (f"dynamodb:PartiQL{verb}", "table", "Statements[].Statement", None)
                for verb in ("Select", "Insert", "Update", "Delete")
            ],
            id="partiql-batch",
        ),
        pytest.param(
            call("dynamodb", "BatchGetItem", RequestItems=UNKNOWN),
            [("dynamodb:BatchGetItem", "table", "RequestItems", None)],
            id="batch-get",
        ),
        pytest.param(
            call("dynamodb", "BatchWriteItem", RequestItems=UNKNOWN),
            [("dynamodb:BatchWriteItem", "table", "RequestItems", None)],
            id="batch-write",
        ),
        pytest.param(
            call("dynamodb", "DescribeTable", "resource Table.load", TableName="t"),
            [("dynamodb:DescribeTable", *TABLE)],
            id="table-load",
        ),
        pytest.param(call("dynamodb", "DescribeEndpoints"), [], id="describe-endpoints-free"),
        pytest.param(call("sts", "GetCallerIdentity"), [], id="get-caller-identity-free"),
        pytest.param(call("sts", "GetSessionToken"), [], id="get-session-token-free"),
        # sqs, sns, lambda, kms, cloudwatch, events
        pytest.param(
            call("sqs", "SendMessageBatch", QueueUrl="u"),
            [("sqs:SendMessage", "queue", "QueueUrl", None)],
            id="sqs-send-batch",
        ),
        pytest.param(
            call("sqs", "DeleteMessageBatch", QueueUrl="u"),
            [("sqs:DeleteMessage", "queue", "QueueUrl", None)],
            id="sqs-delete-batch",
        ),
        pytest.param(
            call("sqs", "ChangeMessageVisibilityBatch", QueueUrl="u"),
            [("sqs:ChangeMessageVisibility", "queue", "QueueUrl", None)],
            id="sqs-visibility-batch",
        ),
        pytest.param(
            call("sqs", "GetQueueUrl", QueueName="q"),
            [("sqs:GetQueueUrl", "queue", "QueueName", None)],
            id="sqs-get-queue-url",
        ),
        pytest.param(
            call("sqs", "CreateQueue", QueueName="q", tags=UNKNOWN),
            [("sqs:CreateQueue", "queue", "QueueName", None), ("sqs:TagQueue", "queue", "QueueName", None)],
            id="sqs-create-with-tags",
        ),
        pytest.param(
            call("sns", "PublishBatch", TopicArn="a"),
            [("sns:Publish", "topic", "TopicArn", None)],
            id="sns-publish-batch",
        ),
        pytest.param(
            call("lambda", "Invoke", FunctionName="f"),
            [("lambda:InvokeFunction", "function", "FunctionName", None)],
            id="lambda-invoke",
        ),
        pytest.param(
            call("lambda", "InvokeWithResponseStream", FunctionName="f"),
            [("lambda:InvokeFunction", "function", "FunctionName", None)],
            id="lambda-invoke-stream",
        ),
        pytest.param(
            call("lambda", "InvokeAsync", FunctionName="f"),
            [("lambda:InvokeAsync", "function", "FunctionName", None)],
            id="lambda-invoke-async",
        ),
        pytest.param(
            call("lambda", "CreateFunction", FunctionName="f", Role="arn:aws:iam::1:role/r"),
            [("lambda:CreateFunction", "function", "FunctionName", None), ("iam:PassRole", "role", "Role", None)],
            id="lambda-create-pass-role",
        ),
        pytest.param(
            call("lambda", "UpdateFunctionConfiguration", FunctionName="f", Timeout=UNKNOWN),
            [("lambda:UpdateFunctionConfiguration", "function", "FunctionName", None)],
            id="lambda-update-without-role",
        ),
        pytest.param(
            call("stepfunctions", "CreateStateMachine", name="m", roleArn="r"),
            [("states:CreateStateMachine", "statemachine", "name", None), ("iam:PassRole", "role", "roleArn", None)],
            id="sfn-create-pass-role",
        ),
        pytest.param(
            call("events", "PutEvents", Entries=UNKNOWN),
            [("events:PutEvents", "event-bus", "Entries[].EventBusName", None)],
            id="events-put-events",
        ),
        pytest.param(
            call("events", "PutRule", Name="r", RoleArn="arn"),
            [("events:PutRule", "rule", "Name", None), ("iam:PassRole", "role", "RoleArn", None)],
            id="events-put-rule-pass-role",
        ),
        pytest.param(
            call("events", "PutTargets", Rule="r", Targets=UNKNOWN),
            [("events:PutTargets", "rule", "Rule", None)],
            id="events-put-targets-no-role-shown",
        ),
        pytest.param(
            call("kms", "ReEncrypt", CiphertextBlob=UNKNOWN, DestinationKeyId="k"),
            [("kms:ReEncryptFrom", "key", "SourceKeyId", None), ("kms:ReEncryptTo", "key", "DestinationKeyId", None)],
            id="kms-re-encrypt",
        ),
        pytest.param(
            call("cloudwatch", "PutMetricData", Namespace="n"),
            [("cloudwatch:PutMetricData", "*", None, None)],
            id="cloudwatch-put-metric-data",
        ),
    ],
)
def test_actions_for(sdk_call, expected):
    """Each call maps to exactly the expected actions, resource types and resource parameters, in order."""
    assert needs(sdk_call) == expected


def test_default_need_cites_botocore_and_exceptions_cite_their_entry():
    """A 1:1 action cites the botocore model; an exception carries its data entry's source."""
    (plain,) = mapping.actions_for(call("dynamodb", "PutItem", TableName="t"))
    assert plain.source == ActionNeed("x", "*").source
    (listing,) = mapping.actions_for(call("s3", "ListObjectsV2", Bucket="b"))
    assert "aws/chalice" in listing.source


def test_no_kms_retention_legal_hold_or_object_lambda_by_default():
    """Common reads and writes never grow KMS, retention, legal-hold or object-lambda actions."""
    calls = [
        call("s3", "GetObject", Bucket="b", Key="k"),
        call("s3", "PutObject", Bucket="b", Key="k"),
        call("s3", "PutObject", "transfer upload_file", Bucket="b", Key="k"),
        call("s3", "GetObject", "transfer download_file", Bucket="b", Key="k"),
        call("dynamodb", "GetItem", TableName="t"),
        call("sqs", "SendMessage", QueueUrl="u"),
        call("secretsmanager", "GetSecretValue", SecretId="s"),
    ]
    granted = {need.action for sdk_call in calls for need in mapping.actions_for(sdk_call)}
    assert not {a for a in granted if a.startswith("kms:") or re.search("Retention|LegalHold|object-lambda", a)}


@pytest.mark.parametrize(
    ("via", "key"),
    [
        pytest.param("client", "client", id="client"),
        pytest.param("transfer upload_file", "transfer upload_file", id="plain"),
        pytest.param("transfer Bucket.upload_file", "transfer upload_file", id="resource-qualified"),
        pytest.param("presign get_object", "presign get_object", id="presign"),
    ],
)
def test_via_key(via, key):
    """A via is matched on its kind and its method name, without a resource qualifier."""
    assert mapping.via_key(via) == key


# Permissions on the caller's behalf, and calls that need none -----------------------------------------------


@pytest.mark.parametrize(
    ("sdk_call", "expected"),
    [
        pytest.param(
            call("rekognition", "DetectLabels", **{"Image.S3Object.Bucket": "b", "Image.S3Object.Name": "k"}),
            [
                ("rekognition:DetectLabels", "*", None, None),
                ("s3:GetObject", "object", "Image.S3Object.Bucket", "Image.S3Object.Name"),
            ],
            id="rekognition-reads-the-s3-image",
        ),
        pytest.param(
            call("rekognition", "DetectLabels", **{"Image.Bytes": UNKNOWN}),
            [("rekognition:DetectLabels", "*", None, None)],
            id="rekognition-bytes-read-nothing",
        ),
        pytest.param(
            call(
                "rekognition",
                "StartLabelDetection",
                **{"Video.S3Object.Bucket": "b", "Video.S3Object.Name": "k", "NotificationChannel.RoleArn": "r"},
            ),
            [
                ("rekognition:StartLabelDetection", "*", None, None),
                ("s3:GetObject", "object", "Video.S3Object.Bucket", "Video.S3Object.Name"),
                ("iam:PassRole", "role", "NotificationChannel.RoleArn", None),
            ],
            id="rekognition-video-passes-its-role",
        ),
        pytest.param(
            call("rds-data", "ExecuteStatement", resourceArn="c", secretArn="s", sql="select 1"),
            [
                ("rds-data:ExecuteStatement", "cluster", "resourceArn", None),
                ("secretsmanager:GetSecretValue", "secret", "secretArn", None),
            ],
            id="rds-data-reads-the-secret",
        ),
        pytest.param(
            call("cloudformation", "CreateStack", StackName="s", RoleARN="r"),
            [("cloudformation:CreateStack", "stack", "StackName", None), ("iam:PassRole", "role", "RoleARN", None)],
            id="cloudformation-service-role",
        ),
        pytest.param(call("cognito-idp", "GetUser", AccessToken=UNKNOWN), [], id="cognito-access-token-call"),
        pytest.param(call("cognito-idp", "SignUp", ClientId="c"), [], id="cognito-unauthenticated-call"),
        pytest.param(
            call("cognito-idp", "AdminGetUser", UserPoolId="p"),
            [("cognito-idp:AdminGetUser", "userpool", "UserPoolId", None)],
            id="cognito-admin-call-is-iam",
        ),
    ],
)
def test_caller_behalf_and_unsigned_calls(sdk_call, expected):
    """Services acting with the caller's credentials add their actions; unsigned operations need none."""
    assert needs(sdk_call) == expected


def test_unsigned_operations_come_from_the_botocore_model():
    """`authtype: none` in botocore marks exactly the calls no IAM policy is evaluated for."""
    assert models.is_unsigned("cognito-idp", "InitiateAuth")
    assert not models.is_unsigned("cognito-idp", "AdminInitiateAuth")
    assert models.is_unsigned("sts", "AssumeRoleWithWebIdentity")
    assert not models.is_unsigned("s3", "GetObject")


# The data file, validated against the models ---------------------------------------------------------------


def _entries():
    data = models.mapping_data()
    for service, operations in data["operations"].items():
        for operation, entry in operations.items():
            yield service, operation, entry
    for entry in data["vias"].values():
        yield entry["service"], None, entry
    for service, entry in data["implicit"].items():
        yield service, None, entry


def _specs(entry):
    yield from entry.get("actions", [])
    for condition in entry.get("when", []):
        yield from condition.get("replace", [])
        yield from condition.get("add", [])


def test_every_entry_names_a_real_service_and_operation_and_cites_a_source():
    """Every operation in the data exists in botocore for its service, and every entry has a source."""
    for service, operation, entry in _entries():
        assert models.is_service(service), service
        if operation is not None:
            assert operation in models.operation_names(service), (service, operation)
        assert entry["source"].strip(), (service, operation)


def test_every_action_has_its_service_prefix_or_is_a_listed_foreign_action():
    """Every action prefix is the service's IAM prefix, or a listed exception such as iam:PassRole."""
    foreign = set(models.mapping_data()["foreign_actions"])
    for service, operation, entry in _entries():
        for spec in _specs(entry):
            prefix = spec["action"].split(":")[0]
            assert prefix == models.iam_prefix(service) or spec["action"] in foreign, (service, operation, spec)


def test_condition_params_are_input_members_of_their_operation():
    """A condition tests a real input member (nested paths like Targets[].RoleArn name a real top-level member)."""
    for service, operation, entry in _entries():
        if operation is None:
            continue
        members = models.input_members(service, operation)
        for condition in entry.get("when", []):
            top = re.split(r"[.\[]", condition["param"])[0]
            assert top in members, (service, operation, condition["param"])


def test_resource_rules_name_members_of_some_operation():
    """Each resource rule's member is an input member of at least one operation of its service."""
    for service, table in models.mapping_data()["resources"].items():
        every_member = set().union(*(models.input_members(service, op) for op in models.operation_names(service)))
        for rule in table["rules"]:
            assert rule["member"] in every_member, (service, rule)


def test_via_entries_map_operations_that_exist():
    """Transfer entries are for s3, whose calls carry the PutObject/GetObject/CopyObject operations."""
    for via, entry in models.mapping_data()["vias"].items():
        assert via.startswith("transfer "), via
        assert entry["service"] == "s3"
