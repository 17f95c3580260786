"""Policy linting with the real parliament."""

import pytest

from decompose.iam import models
from decompose.iam.lint import lint_policy

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/T"


def policy(*statements):
    """A policy document of Allow statements given as (actions, resources)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource} for action, resource in statements],
    }


def issues(findings):
    return sorted({finding.split(":")[0] for finding in findings})


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(policy((["s3:ListBucket"], "arn:aws:s3:::b/*")), ["RESOURCE_MISMATCH"], id="list-on-objects"),
        pytest.param(
            policy((["s3:ListBucket"], "arn:aws:s3:::b"), (["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::b/*")),
            [],
            id="correct-s3",
        ),
        pytest.param(policy((["s3:GetObject"], "arn:aws:s3:::b")), ["RESOURCE_MISMATCH"], id="get-on-bucket"),
        pytest.param(policy((["s3:FooBar"], "arn:aws:s3:::b")), ["UNKNOWN_ACTION"], id="unknown-action"),
        pytest.param(
            policy(
                (
                    ["dynamodb:Query"],
                    [f"{TABLE}", f"{TABLE}/index/I"],
                )
            ),
            [],
            id="dynamodb-table-and-index",
        ),
        pytest.param(
            policy(
                (
                    ["states:StartExecution"],
                    {"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:M"},
                )
            ),
            [],
            id="pseudo-parameters-resolved",
        ),
        pytest.param(
            policy((["sqs:SendMessage"], "arn:aws:sqs:${QueueRegion}:123456789012:q")),
            [],
            id="unresolved-expression-ignored",
        ),
        pytest.param(policy((["cloudwatch:PutMetricData"], "*")), [], id="action-without-resource-on-star"),
    ],
)
def test_lint_policy(document, expected):
    """parliament reports wrong resource types and unknown actions, and nothing on a correct policy."""
    assert issues(lint_policy(document)) == expected


def test_finding_names_the_action_and_required_format():
    """A RESOURCE_MISMATCH finding carries parliament's detail: the action and the ARN format it needs."""
    (finding,) = lint_policy(policy((["s3:ListBucket"], "arn:aws:s3:::b/*")))
    assert "s3:ListBucket" in finding
    assert "arn:*:s3:::*" in finding


def test_every_action_in_the_mapping_data_is_known_to_parliament():
    """Every action the data file can grant is a real IAM action according to parliament."""
    data = models.mapping_data()
    entries = [entry for table in data["operations"].values() for entry in table.values()]
    entries += list(data["vias"].values())
    actions = set()
    for entry in entries:
        actions.update(spec["action"] for spec in entry.get("actions", []))
        for condition in entry.get("when", []):
            actions.update(spec["action"] for spec in condition.get("replace", []) + condition.get("add", []))
    unknown = [finding for finding in lint_policy(policy((sorted(actions), "*"))) if finding.startswith("UNKNOWN")]
    assert unknown == []
