"""What a monolith's Policies grant (SAM templates, inline statements, managed policies) and what that covers."""

from __future__ import annotations

from pathlib import Path

import pytest

from decompose.iam.arns import arn_for
from decompose.iam.monolith import (
    GrantedStatement,
    covering_statement,
    covers,
    expand_policy_template,
    granted_statements,
    iam_match,
)
from decompose.loading.template import load_template

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample():
    loaded = load_template(REPO / "sample_monolith", REPO / "sample_monolith" / "template.yaml")
    (spec,) = [f for f in loaded.functions if f.logical_id == "MonolithFunction"]
    granted, problems = granted_statements(spec.policies)
    return loaded.resources, granted, problems


def test_sample_policies_expand_without_problems(sample):
    """Every entry of the sample's Policies is read: nine SAM templates and one inline statement."""
    _, granted, problems = sample
    assert problems == []
    assert [s.origin for s in granted] == [
        "DynamoDBCrudPolicy",
        "DynamoDBCrudPolicy",
        "DynamoDBCrudPolicy",
        "S3CrudPolicy",
        "S3CrudPolicy",
        "SQSSendMessagePolicy",
        "SNSPublishMessagePolicy",
        "StepFunctionsExecutionPolicy",
        "LambdaInvokePolicy",
        "inline statement 1 (ShopDataAccess)",
    ]


# (action, ARN expression, covered, origin of the covering statement)
SAMPLE_CASES = [
    ("dynamodb:GetItem", {"Fn::GetAtt": ["OrdersTable", "Arn"]}, "DynamoDBCrudPolicy"),
    ("dynamodb:Query", {"Fn::Sub": "${OrdersTable.Arn}/index/byCustomer"}, "DynamoDBCrudPolicy"),
    ("DynamoDB:getitem", {"Fn::GetAtt": ["ProductsTable", "Arn"]}, "DynamoDBCrudPolicy"),
    ("dynamodb:UpdateTable", {"Fn::GetAtt": ["OrdersTable", "Arn"]}, "inline statement 1 (ShopDataAccess)"),
    ("states:StartExecution", {"Ref": "CheckoutStateMachine"}, "StepFunctionsExecutionPolicy"),
    ("sns:Publish", {"Ref": "OrderEventsTopic"}, "SNSPublishMessagePolicy"),
    ("sqs:SendMessage", {"Fn::GetAtt": ["FulfilmentQueue", "Arn"]}, "SQSSendMessagePolicy"),
    ("lambda:InvokeFunction", {"Fn::GetAtt": ["PaymentProviderFunction", "Arn"]}, "LambdaInvokePolicy"),
    ("s3:GetObject", {"Fn::Sub": "arn:${AWS::Partition}:s3:::${InvoicesBucket}/2024/*"}, "S3CrudPolicy"),
    (
        "s3:PutObject",
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::${AWS::StackName}-uploads-${AWS::AccountId}/x"},
        "S3CrudPolicy",
    ),
    ("kms:Decrypt", {"Fn::GetAtt": ["OrdersTable", "Arn"]}, None),
    ("sqs:DeleteQueue", {"Fn::GetAtt": ["FulfilmentQueue", "Arn"]}, None),
    ("sqs:SendMessage", {"Fn::GetAtt": ["FulfilmentDeadLetterQueue", "Arn"]}, None),
    ("states:StartExecution", "arn:aws:states:us-east-1:123456789012:stateMachine:other", None),
    ("sns:Publish", {"Fn::If": ["IsProd", {"Ref": "OrderEventsTopic"}, "x"]}, None),
]


@pytest.mark.parametrize(("action", "arn_expr", "origin"), SAMPLE_CASES)
def test_sample_coverage(sample, action, arn_expr, origin):
    """The sample's role covers exactly what its templates and its wide inline statement allow."""
    resources, granted, _ = sample
    statement = covering_statement(granted, action, arn_expr, resources)
    assert (statement.origin if statement else None) == origin
    assert covers(granted, action, arn_expr, resources) is (origin is not None)


@pytest.mark.parametrize(
    ("resource_type", "logical_id", "suffix"),
    [
        ("table", "OrdersTable", None),
        ("index", "OrdersTable", "byCustomer"),
        ("bucket", "UploadsBucket", None),
        ("object", "UploadsBucket", "catalogue/"),
        ("object", "InvoicesBucket", None),
        ("queue", "FulfilmentQueue", None),
        ("topic", "OrderEventsTopic", None),
        ("stateMachine", "CheckoutStateMachine", None),
        ("function", "PaymentProviderFunction", None),
    ],
)
def test_arn_for_expressions_compare_with_template_grants(sample, resource_type, logical_id, suffix):
    """What arn_for writes for a sample resource is recognised as the resource the role's grants name."""
    resources, granted, _ = sample
    narrow = [s for s in granted if not s.origin.startswith("inline")]
    action = {
        "table": "dynamodb:GetItem",
        "index": "dynamodb:Query",
        "bucket": "s3:ListBucket",
        "object": "s3:GetObject",
        "queue": "sqs:SendMessage",
        "topic": "sns:Publish",
        "stateMachine": "states:StartExecution",
        "function": "lambda:InvokeFunction",
    }[resource_type]
    assert covers(narrow, action, arn_for(resource_type, logical_id, resources, suffix), resources)


# (Policies, origins granted, problems (substrings))
POLICY_CASES = [
    (["AWSLambdaBasicExecutionRole"], ["AWSLambdaBasicExecutionRole"], []),
    (["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"], ["AWSLambdaBasicExecutionRole"], []),
    (
        [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonS3ReadOnlyAccess"}],
        ["AmazonS3ReadOnlyAccess"],
        [],
    ),
    (["AmazonDynamoDBFullAccess"], ["AmazonDynamoDBFullAccess", "AmazonDynamoDBFullAccess"], []),
    (["AmazonMadeUpAccess"], [], ["AWS managed policy AmazonMadeUpAccess is not in decompose's table"]),
    (["arn:aws:iam::123456789012:policy/team-policy"], [], ["customer managed policy"]),
    ([{"NoSuchPolicy": {"TableName": "t"}}], [], ["unknown SAM policy template 'NoSuchPolicy'"]),
    ([{"DynamoDBCrudPolicy": {}}], [], ["DynamoDBCrudPolicy: Following required parameters"]),
    ([{"CloudWatchPutMetricPolicy": {}}], ["CloudWatchPutMetricPolicy"], []),
    ([{"Fn::If": ["IsProd", "AmazonS3FullAccess", {"Ref": "AWS::NoValue"}]}], [], ["Fn::If is not evaluated"]),
    ([{"Ref": "PolicyArnParameter"}], [], ["not an AWS managed policy ARN"]),
    (
        [
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                    {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
                    {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*", "Condition": {"Bool": {"a": "b"}}},
                ]
            },
            {"Statement": {"Sid": "Single", "Effect": "Allow", "Action": "sqs:*", "Resource": "*"}},
        ],
        ["inline statement 1", "inline statement 5 (Single)"],
        [
            "inline statement 2 (NoDelete): Effect 'Deny' is not modelled",
            "inline statement 3: NotAction/NotResource",
            "inline statement 4: it has a Condition",
        ],
    ),
    ([42], [], ["Policies entry 1: not a policy template"]),
]


@pytest.mark.parametrize(("policies", "origins", "problems"), POLICY_CASES)
def test_granted_statements(policies, origins, problems):
    """Each kind of Policies entry grants its documented statements or is reported, never silently granted."""
    granted, found = granted_statements(policies)
    assert [s.origin for s in granted] == origins
    assert len(found) == len(problems)
    for text, wanted in zip(found, problems, strict=True):
        assert wanted in text


def test_managed_policy_statements_are_the_documented_ones():
    """AmazonS3ReadOnlyAccess grants s3:Get*/List*/Describe* on everything: GetObject is covered, PutObject not."""
    granted, _ = granted_statements(["AmazonS3ReadOnlyAccess"])
    assert granted[0].actions[:3] == ("s3:Get*", "s3:List*", "s3:Describe*")
    bucket = "arn:aws:s3:::any-bucket/key"
    assert covers(granted, "s3:GetObject", bucket, {})
    assert not covers(granted, "s3:PutObject", bucket, {})


def test_conditioned_managed_statements_are_not_counted():
    """AmazonDynamoDBFullAccess's iam:PassRole holds only under a Condition, so it does not count as granted."""
    granted, _ = granted_statements(["AmazonDynamoDBFullAccess"])
    assert covers(granted, "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:1:table/t", {})
    assert not covers(granted, "iam:PassRole", "arn:aws:iam::1:role/r", {})


def test_unrenderable_grants_cover_nothing():
    """A granted resource that cannot be rendered (an import from another stack) covers nothing."""
    granted = [GrantedStatement(("sqs:*",), ({"Fn::ImportValue": "queue-arn"},), "inline statement 1")]
    assert not covers(granted, "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q", {})


def test_expand_policy_template_uses_sams_data():
    """Expansion goes through aws-sam-translator's processor: unknown names are KeyError, bad parameters ValueError."""
    document = expand_policy_template("SNSPublishMessagePolicy", {"TopicName": "t"})
    assert document["Statement"][0]["Action"] == ["sns:Publish"]
    with pytest.raises(KeyError):
        expand_policy_template("NoSuchPolicy", {})
    with pytest.raises(ValueError, match="TopicName"):
        expand_policy_template("SNSPublishMessagePolicy", {})


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("*", "arn:aws:s3:::b/k", True),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", True),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b", False),
        ("arn:aws:s3:::b*", "arn:aws:s3:::b/k", True),
        ("arn:aws:*:us-east-1:*:table/t", "arn:aws:dynamodb:us-east-1:1:table/t", True),
        ("function:pay*", "function:payments:live", True),
        ("key/????", "key/abcd", True),
        ("key/????", "key/abc", False),
        ("arn:aws:s3:::B", "arn:aws:s3:::b", False),
        # a value that is itself a pattern is matched only if every string it stands for is
        ("b/*", "b/prefix/*", True),
        ("b/prefix/*", "b/*", False),
        ("b/?", "b/*", False),
        ("b/x?", "b/x?", True),
        ("b/xy", "b/x?", False),
        ("secret:s-*", "secret:s-??????", True),
    ],
)
def test_iam_match(pattern, value, matches):
    """`*` spans any characters including `/` and `:`, `?` exactly one, and ARNs are case-sensitive."""
    assert iam_match(pattern, value) is matches


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("dynamodb:*", "dynamodb:GetItem", True),
        ("s3:Get*", "s3:GetObjectVersion", True),
        ("s3:Get*", "s3:PutObject", False),
        ("S3:GETOBJECT", "s3:GetObject", True),
        ("sqs:SendMessage*", "sqs:SendMessage", True),
        ("*", "kms:Decrypt", True),
        ("dynamodb:*", "dynamodbx:GetItem", False),
    ],
)
def test_iam_match_actions_ignore_case(pattern, action, matches):
    """Action patterns match case-insensitively, with prefix wildcards."""
    assert iam_match(pattern, action, case_sensitive=False) is matches
