"""The policy check: recorded calls to concrete ARNs, moto's evaluator on the rendered policy, moto's view."""

from __future__ import annotations

from typing import Any

import pytest

from decompose.verification.policy import Policy, RecordedCall, Statement, rendered_policy
from decompose.verification.world import Names

RESOURCES = {
    "OrdersTable": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
    "Uploads": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-uploads"}}},
    "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {}},
}
NAMES = Names("shop", RESOURCES)
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/shop-OrdersTable"


def _call(service: str, operation: str, **params: Any) -> RecordedCall:
    return RecordedCall(service, operation, params)


@pytest.mark.parametrize(
    ("call", "needs"),
    [
        (_call("dynamodb", "GetItem", TableName="shop-OrdersTable", Key={}), [("dynamodb:GetItem", TABLE)]),
        (
            _call("dynamodb", "Query", TableName="shop-OrdersTable", IndexName="by-customer"),
            [("dynamodb:Query", f"{TABLE}/index/by-customer")],
        ),
        (
            _call("s3", "GetObject", Bucket="shop-uploads", Key="a/b.csv"),
            [("s3:GetObject", "arn:aws:s3:::shop-uploads/a/b.csv")],
        ),
        (
            _call(
                "sqs",
                "SendMessage",
                QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/shop-Jobs",
                MessageBody="x",
            ),
            [("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:shop-Jobs")],
        ),
        (
            _call("lambda", "Invoke", FunctionName="payments"),
            [("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:payments")],
        ),
    ],
)
def test_a_recorded_call_names_its_action_and_concrete_arn(call: RecordedCall, needs: list[tuple[str, str]]) -> None:
    """The real parameters of a call give the ARN the policy must allow (key, index, queue URL -> ARN)."""
    assert call.needs() == needs


def test_a_sam_policy_template_is_rendered_to_the_worlds_names() -> None:
    """`DynamoDBReadPolicy: {TableName: !Ref T}` becomes concrete statements on the world's table ARN."""
    policy = rendered_policy([{"DynamoDBReadPolicy": {"TableName": {"Ref": "OrdersTable"}}}], NAMES.render)
    assert policy.problems == ()
    assert policy.allows("dynamodb:GetItem", TABLE)
    assert not policy.allows("dynamodb:PutItem", TABLE)
    assert not policy.allows("dynamodb:GetItem", TABLE.replace("OrdersTable", "Other"))


def test_covering_says_what_a_too_narrow_grant_does_allow() -> None:
    """For a resource narrowed too far, the statements that grant the action name their resources."""
    policy = Policy((Statement(("s3:GetObject",), ("arn:aws:s3:::shop-uploads/incoming/*",), "test"),))
    assert not policy.allows("s3:GetObject", "arn:aws:s3:::shop-uploads/a/b.csv")
    assert policy.covering("s3:GetObject") == ["arn:aws:s3:::shop-uploads/incoming/*"]
    assert policy.covering("s3:PutObject") == []


def test_an_empty_policy_allows_nothing() -> None:
    """A function without statements is denied every call (moto's evaluator is not asked)."""
    assert not Policy(()).allows("dynamodb:GetItem", TABLE)


def test_motos_view_widens_only_what_moto_cannot_check() -> None:
    """S3 and SQS statements keep their resources (moto checks them); others become `*`, Lambda gets moto's name."""
    policy = Policy(
        (
            Statement(("s3:GetObject",), ("arn:aws:s3:::b/*",), "s3"),
            Statement(("dynamodb:GetItem",), (TABLE,), "ddb"),
            Statement(("lambda:InvokeFunction",), ("arn:aws:lambda:us-east-1:123456789012:function:f",), "fn"),
        )
    )
    statements = policy.moto_view()["Statement"]
    assert statements[0]["Resource"] == ["arn:aws:s3:::b/*"]
    assert statements[1]["Resource"] == "*"
    assert "lambda:Invoke" in statements[2]["Action"]
