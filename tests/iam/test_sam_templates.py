"""Exact-fit SAM policy templates, checked by expanding aws-sam-translator's own templates."""

from __future__ import annotations

from pathlib import Path

import pytest
from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor

from decompose.iam import sam_templates
from decompose.iam.arns import arn_for
from decompose.iam.monolith import covers, granted_statements
from decompose.iam.sam_templates import CANDIDATES, exact_template
from decompose.loading.template import load_template

REPO = Path(__file__).resolve().parents[2]

RESOURCES = {
    "Table": {"Type": "AWS::DynamoDB::Table"},
    "Bucket": {"Type": "AWS::S3::Bucket"},
    "Queue": {"Type": "AWS::SQS::Queue"},
    "Topic": {"Type": "AWS::SNS::Topic"},
    "NamedTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-events"}}},
    "Function": {"Type": "AWS::Serverless::Function"},
    "Machine": {"Type": "AWS::Serverless::StateMachine"},
    "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "orders-bus"}},
    "Secret": {"Type": "AWS::SecretsManager::Secret"},
    "Parameter": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "shop-config"}},
    "Key": {"Type": "AWS::KMS::Key"},
    "Stream": {"Type": "AWS::Kinesis::Stream"},
}

POLLER_ACTIONS = {
    "sqs:ChangeMessageVisibility",
    "sqs:ChangeMessageVisibilityBatch",
    "sqs:DeleteMessage",
    "sqs:DeleteMessageBatch",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
}
CRUD_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:Scan",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:BatchGetItem",
    "dynamodb:DescribeTable",
    "dynamodb:ConditionCheckItem",
}

# (actions, IAM resource type, logical id, expected Policies entry or None)
CASES = [
    (
        {"sns:Publish"},
        "topic",
        "Topic",
        {"SNSPublishMessagePolicy": {"TopicName": {"Fn::GetAtt": ["Topic", "TopicName"]}}},
    ),
    (
        {"SNS:publish"},
        "topic",
        "NamedTopic",
        {"SNSPublishMessagePolicy": {"TopicName": {"Fn::GetAtt": ["NamedTopic", "TopicName"]}}},
    ),
    (
        {"sqs:SendMessage"},
        "queue",
        "Queue",
        {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["Queue", "QueueName"]}}},
    ),
    (POLLER_ACTIONS, "queue", "Queue", {"SQSPollerPolicy": {"QueueName": {"Fn::GetAtt": ["Queue", "QueueName"]}}}),
    (
        {"states:StartExecution"},
        "stateMachine",
        "Machine",
        {"StepFunctionsExecutionPolicy": {"StateMachineName": {"Fn::GetAtt": ["Machine", "Name"]}}},
    ),
    (
        {"states:StartExecution", "states:StartSyncExecution"},
        "stateMachine",
        "Machine",
        {"StepFunctionsExecutionPolicy_v2": {"StateMachineName": {"Fn::GetAtt": ["Machine", "Name"]}}},
    ),
    ({"events:PutEvents"}, "event-bus", "Bus", {"EventBridgePutEventsPolicy": {"EventBusName": {"Ref": "Bus"}}}),
    (
        {"secretsmanager:GetSecretValue"},
        "secret",
        "Secret",
        {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "Secret"}}},
    ),
    ({"kms:Decrypt"}, "key", "Key", {"KMSDecryptPolicy": {"KeyId": {"Ref": "Key"}}}),
    ({"kms:Encrypt"}, "key", "Key", {"KMSEncryptPolicy": {"KeyId": {"Ref": "Key"}}}),
    ({"cloudwatch:PutMetricData"}, "*", "", {"CloudWatchPutMetricPolicy": {}}),
    ({"dynamodb:UpdateTable"}, "table", "Table", {"DynamoDBReconfigurePolicy": {"TableName": {"Ref": "Table"}}}),
    # never exact: extra actions, extra resources, prefix wildcards
    ({"sqs:SendMessage", "sqs:ReceiveMessage"}, "queue", "Queue", None),
    ({"sqs:ReceiveMessage"}, "queue", "Queue", None),
    ({"states:StartSyncExecution"}, "stateMachine", "Machine", None),
    ({"kms:Decrypt", "kms:Encrypt"}, "key", "Key", None),
    ({"dynamodb:GetItem"}, "table", "Table", None),
    (CRUD_ACTIONS, "table", "Table", None),
    ({"lambda:InvokeFunction"}, "function", "Function", None),
    ({"s3:GetObject"}, "object", "Bucket", None),
    ({"ssm:GetParameter"}, "parameter", "Parameter", None),
    ({"kinesis:GetRecords"}, "stream", "Stream", None),
    ({"cloudwatch:PutMetricData", "cloudwatch:GetMetricData"}, "*", "", None),
    # the resource is not of the type the action needs
    ({"sns:Publish"}, "topic", "Queue", None),
    ({"sns:Publish"}, "topic", "Missing", None),
]


@pytest.mark.parametrize(("actions", "resource_type", "logical_id", "expected"), CASES)
def test_exact_template(actions, resource_type, logical_id, expected):
    """A template is chosen only when its expansion grants exactly the actions on exactly that resource."""
    assert exact_template(frozenset(actions), resource_type, logical_id, RESOURCES) == expected


@pytest.mark.parametrize(
    ("actions", "resource_type", "logical_id", "template"),
    [
        ({"sns:Publish"}, "topic", "OrderEventsTopic", "SNSPublishMessagePolicy"),
        ({"sqs:SendMessage"}, "queue", "FulfilmentQueue", "SQSSendMessagePolicy"),
        ({"states:StartExecution"}, "stateMachine", "CheckoutStateMachine", "StepFunctionsExecutionPolicy"),
        ({"dynamodb:GetItem", "dynamodb:PutItem"}, "table", "OrdersTable", None),
        ({"lambda:InvokeFunction"}, "function", "PaymentProviderFunction", None),
        ({"s3:GetObject"}, "object", "UploadsBucket", None),
    ],
)
def test_exact_template_on_the_sample(actions, resource_type, logical_id, template):
    """On the sample app the chosen template, expanded again, covers the actions on the resource's own ARN."""
    loaded = load_template(REPO / "sample_monolith", REPO / "sample_monolith" / "template.yaml")
    entry = exact_template(frozenset(actions), resource_type, logical_id, loaded.resources)
    assert (next(iter(entry)) if entry else None) == template
    if entry:
        granted, problems = granted_statements([entry])
        assert problems == []
        arn = arn_for(resource_type, logical_id, loaded.resources)
        assert all(covers(granted, action, arn, loaded.resources) for action in actions)


def test_a_wildcard_with_unknown_matches_is_not_exact(monkeypatch):
    """Without the known expansion of `sqs:SendMessage*`, SQSSendMessagePolicy is not taken as exact."""
    monkeypatch.setattr(sam_templates, "_WILDCARD_ACTIONS", {})
    assert exact_template(frozenset({"sqs:SendMessage"}), "queue", "Queue", RESOURCES) is None


def test_candidates_are_sam_templates_with_those_parameters():
    """Every candidate names a template of aws-sam-translator's data and the parameter it really takes."""
    templates = PolicyTemplatesProcessor.get_default_policy_templates_json()["Templates"]
    for candidate in CANDIDATES:
        assert candidate.template in templates
        declared = set(templates[candidate.template].get("Parameters", {}))
        assert declared == ({candidate.parameter} if candidate.parameter else set())


def test_a_suffix_narrows_the_resource_no_template_names():
    """No candidate names one DynamoDB index or one key prefix, so a suffixed resource gets no template."""
    assert exact_template(frozenset({"dynamodb:Query"}), "index", "Table", RESOURCES, "byCustomer") is None
    assert exact_template(frozenset({"s3:GetObject"}), "object", "Bucket", RESOURCES, "invoices/") is None
