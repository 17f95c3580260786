"""synchronous-wait: sleeps (and polling loops), waiters, blocking calls, and independent calls in sequence;
look-alikes (a sleep of 0, a project function called sleep, pagination, dependent calls) stay silent."""

from __future__ import annotations

import pytest

from tests.rules.apps import found, run, template

RULE = "synchronous-wait"
RESOURCES = (
    "Orders:\n  Type: AWS::DynamoDB::Table\n  Properties:\n"
    "    AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n"
    "    KeySchema: [{AttributeName: id, KeyType: HASH}]\n    BillingMode: PAY_PER_REQUEST\n"
    "Jobs:\n  Type: AWS::SQS::Queue\n"
)
ENV = "TABLE: !Ref Orders\nQUEUE: !Ref Jobs"
HEAD = (
    "import os\nimport time\nimport boto3\n"
    "TABLE = boto3.resource('dynamodb').Table(os.environ['TABLE'])\n"
    "SQS = boto3.client('sqs')\nSFN = boto3.client('stepfunctions')\n"
    "def handler(event, context):\n"
)  # the handler's body starts on line 8


def body(*lines: str) -> str:
    return HEAD + "".join(f"    {line}\n" for line in lines)


CASES = [
    pytest.param(body("time.sleep(2)"), {("warning", "src/app.py:8", "Invoke AppFunction")}, id="time-sleep"),
    pytest.param(
        "from time import sleep as pause\ndef handler(event, context):\n    pause(1.5)\n",
        {("warning", "src/app.py:3", "Invoke AppFunction")},
        id="aliased-sleep",
    ),
    pytest.param(body("time.sleep(0)"), set(), id="sleep-zero-yields-not-waits"),
    pytest.param(
        "def sleep(seconds):\n    return seconds\ndef handler(event, context):\n    sleep(3)\n",
        set(),
        id="a-project-function-called-sleep",
    ),
    pytest.param(
        "import asyncio\nasync def main():\n    await asyncio.sleep(1)\n"
        "def handler(event, context):\n    asyncio.run(main())\n",
        {("warning", "src/app.py:3", "Invoke AppFunction")},
        id="asyncio-sleep",
    ),
    pytest.param(
        body(
            "while True:",
            "    status = SFN.describe_execution(executionArn=event['arn'])['status']",
            "    if status != 'RUNNING':",
            "        return status",
            "    time.sleep(5)",
        ),
        {("warning", "src/app.py:12", "Invoke AppFunction")},
        id="polling-loop",
    ),
    pytest.param(
        body(
            "status = 'RUNNING'",
            "while status == 'RUNNING':",
            "    status = SFN.describe_execution(executionArn=event['arn'])['status']",
        ),
        {("warning", "src/app.py:9", "Invoke AppFunction")},
        id="busy-polling-loop-without-a-pause",
    ),
    pytest.param(
        body(
            "items = []",
            "while len(items) < 10:",
            "    items += SQS.receive_message(QueueUrl=os.environ['QUEUE']).get('Messages', [])",
        ),
        set(),
        id="a-loop-not-on-a-status",
    ),
    pytest.param(
        "import boto3\nS3 = boto3.client('s3')\ndef handler(event, context):\n"
        "    S3.get_waiter('object_exists').wait(Bucket=event['b'], Key=event['k'])\n",
        {("warning", "src/app.py:4", "Invoke AppFunction")},
        id="client-waiter",
    ),
    pytest.param(
        body("TABLE.wait_until_exists()"), {("warning", "src/app.py:8", "Invoke AppFunction")}, id="resource-waiter"
    ),
    pytest.param(
        body("return SQS.receive_message(QueueUrl=os.environ['QUEUE'], WaitTimeSeconds=20)"),
        {("warning", "src/app.py:8", "Invoke AppFunction")},
        id="sqs-long-poll",
    ),
    pytest.param(body("return SQS.receive_message(QueueUrl=os.environ['QUEUE'])"), set(), id="sqs-short-poll"),
    pytest.param(
        body("return SQS.receive_message(QueueUrl=os.environ['QUEUE'], WaitTimeSeconds=0)"),
        set(),
        id="sqs-wait-zero",
    ),
    pytest.param(
        body(
            "TABLE.put_item(Item={'id': event['id']})",
            "SQS.send_message(QueueUrl=os.environ['QUEUE'], MessageBody=event['id'])",
        ),
        {("info", "src/app.py:8", "Invoke AppFunction")},
        id="independent-calls-in-sequence",
    ),
    pytest.param(
        body(
            "item = TABLE.get_item(Key={'id': event['id']})['Item']",
            "SQS.send_message(QueueUrl=os.environ['QUEUE'], MessageBody=item['body'])",
        ),
        set(),
        id="second-call-uses-the-first-result",
    ),
    pytest.param(
        body(
            "found = TABLE.get_item(Key={'id': event['id']})",
            "if 'Item' not in found:",
            "    return None",
            "SQS.send_message(QueueUrl=os.environ['QUEUE'], MessageBody=event['id'])",
        ),
        set(),
        id="branch-on-the-first-result",
    ),
    pytest.param(
        body("TABLE.put_item(Item={'id': event['id']})", "return TABLE.get_item(Key={'id': event['id']})"),
        set(),
        id="same-resource-read-after-write",
    ),
    pytest.param(
        body(
            "kwargs = {}",
            "while True:",
            "    page = TABLE.scan(**kwargs)",
            "    if 'LastEvaluatedKey' not in page:",
            "        return page",
            "    kwargs['ExclusiveStartKey'] = page['LastEvaluatedKey']",
        ),
        set(),
        id="pagination-is-not-polling",
    ),
]


@pytest.mark.parametrize(("code", "expected"), CASES)
def test_synchronous_wait(tmp_path, code, expected) -> None:
    """Each case yields exactly the expected waits."""
    report = run(tmp_path, {"app.py": code}, template(environment=ENV, resources=RESOURCES))
    assert found(report, RULE) == expected


def test_polling_loop_names_the_polled_call_and_a_sketch(tmp_path) -> None:
    """A sleep in a loop around an AWS call is reported as polling, with a Step Functions loop sketch."""
    code = body(
        "while True:",
        "    status = SFN.describe_execution(executionArn=event['arn'])['status']",
        "    if status != 'RUNNING':",
        "        return status",
        "    time.sleep(5)",
    )
    report = run(tmp_path, {"app.py": code}, template(environment=ENV, resources=RESOURCES))
    (wait,) = [f for f in report.findings if f.rule == RULE]
    assert "stepfunctions.DescribeExecution every 5 s" in wait.message
    assert any(line.startswith("Step Functions: Check") for line in wait.evidence)


def test_waiter_reports_botocore_timing(tmp_path) -> None:
    """object_exists polls HeadObject every 5 s up to 20 times: up to 100 s, from botocore's waiters-2."""
    code = (
        "import boto3\nS3 = boto3.client('s3')\ndef handler(event, context):\n"
        "    S3.get_waiter('object_exists').wait(Bucket=event['b'], Key=event['k'])\n"
    )
    report = run(tmp_path, {"app.py": code}, template())
    (wait,) = [f for f in report.findings if f.rule == RULE]
    assert "up to 100 s (20 polls, 5 s apart)" in wait.message
