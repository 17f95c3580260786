"""function-orchestrator: retries, compensation, status-driven flows and guarded multi-service sequences;
per-record error isolation, cleanup on a known error and simple guards stay silent."""

from __future__ import annotations

import pytest

from tests.rules.apps import found, run, template

RULE = "function-orchestrator"
RESOURCES = (
    "Orders:\n  Type: AWS::DynamoDB::Table\n  Properties:\n"
    "    AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n"
    "    KeySchema: [{AttributeName: id, KeyType: HASH}]\n    BillingMode: PAY_PER_REQUEST\n"
    "Connections:\n  Type: AWS::DynamoDB::Table\n  Properties:\n"
    "    AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n"
    "    KeySchema: [{AttributeName: id, KeyType: HASH}]\n    BillingMode: PAY_PER_REQUEST\n"
    "Jobs:\n  Type: AWS::SQS::Queue\n"
    "Checkout:\n  Type: AWS::Serverless::StateMachine\n  Properties:\n"
    "    Definition: {StartAt: Done, States: {Done: {Type: Succeed}}}\n"
)
ENV = "TABLE: !Ref Orders\nCONNECTIONS: !Ref Connections\nQUEUE: !Ref Jobs\nMACHINE: !Ref Checkout"
HEAD = (
    "import os\nimport time\nimport boto3\n"
    "TABLE = boto3.resource('dynamodb').Table(os.environ['TABLE'])\n"
    "SQS = boto3.client('sqs')\nSFN = boto3.client('stepfunctions')\n"
    "def handler(event, context):\n"
)  # the handler's body starts on line 8
SEND = "SQS.send_message(QueueUrl=os.environ['QUEUE'], MessageBody=event['id'])"
START = "SFN.start_execution(stateMachineArn=os.environ['MACHINE'], input='{}')"


def body(*lines: str) -> str:
    return HEAD + "".join(f"    {line}\n" for line in lines)


WHERE = "Invoke AppFunction"
CASES = [
    pytest.param(
        body(
            "for attempt in range(3):",
            "    try:",
            "        TABLE.put_item(Item={'id': event['id']})",
            "        break",
            "    except Exception:",
            "        time.sleep(2 ** attempt)",
        ),
        {("warning", "src/app.py:8", WHERE)},
        id="retry-loop-with-backoff",
    ),
    pytest.param(
        body(
            "attempts = 0",
            "while attempts < 5:",
            "    try:",
            f"        return {SEND}",
            "    except Exception:",
            "        attempts += 1",
        ),
        {("warning", "src/app.py:9", WHERE)},
        id="while-retry-returning-on-success",
    ),
    pytest.param(
        "import os\nimport boto3\nfrom tenacity import retry, stop_after_attempt\n"
        "TABLE = boto3.resource('dynamodb').Table(os.environ['TABLE'])\n"
        "@retry(stop=stop_after_attempt(3))\ndef save(item):\n    TABLE.put_item(Item=item)\n"
        "def handler(event, context):\n    save(event)\n",
        {("warning", "src/app.py:5", WHERE)},
        id="tenacity-retry-decorator",
    ),
    pytest.param(
        body(
            "try:",
            "    TABLE.put_item(Item={'id': event['id'], 'status': 'CHARGED'})",
            f"    {SEND}",
            "except Exception:",
            "    TABLE.delete_item(Key={'id': event['id']})",
            "    raise",
        ),
        {("warning", "src/app.py:8", WHERE)},
        id="compensation-on-failure",
    ),
    pytest.param(
        body(
            "order = TABLE.get_item(Key={'id': event['id']})['Item']",
            "if order['status'] == 'PENDING':",
            f"    {SEND}",
            "elif order['status'] == 'PAID':",
            f"    {START}",
        ),
        {("warning", "src/app.py:9", WHERE)},
        id="status-drives-the-flow",
    ),
    pytest.param(
        body(
            "try:",
            "    order = TABLE.get_item(Key={'id': event['id']})['Item']",
            f"    {SEND}",
            f"    {START}",
            "except Exception:",
            "    return {'statusCode': 502}",
        ),
        {("warning", "src/app.py:8", WHERE)},
        id="three-services-under-one-handler",
    ),
    pytest.param(
        body(
            "for record in event['Records']:",
            "    try:",
            "        TABLE.put_item(Item={'id': record['id']})",
            "    except Exception:",
            "        print('skipping', record)",
        ),
        set(),
        id="per-record-error-isolation",
    ),
    pytest.param(
        body(
            "api = boto3.client('apigatewaymanagementapi', endpoint_url=os.environ['WS'])",
            "try:",
            "    api.post_to_connection(ConnectionId=event['id'], Data=b'x')",
            "except api.exceptions.GoneException:",
            "    boto3.resource('dynamodb').Table(os.environ['CONNECTIONS']).delete_item(Key={'id': event['id']})",
        ),
        set(),
        id="cleanup-of-a-stale-connection",
    ),
    pytest.param(
        body(
            "try:", "    return TABLE.get_item(Key={'id': event['id']})['Item']", "except Exception:", "    return None"
        ),
        set(),
        id="error-response-only",
    ),
    pytest.param(
        body(
            "order = TABLE.get_item(Key={'id': event['id']})['Item']",
            "if order['status'] != 'PENDING':",
            "    return {'statusCode': 409}",
            f"{SEND}",
        ),
        set(),
        id="a-status-guard-is-not-a-flow",
    ),
    pytest.param(
        body(
            "if event['status'] == 'A':",
            "    return 1",
            "elif event['status'] == 'B':",
            "    return 2",
        ),
        set(),
        id="status-branches-without-aws-calls",
    ),
]


@pytest.mark.parametrize(("code", "expected"), CASES)
def test_function_orchestrator(tmp_path, code, expected) -> None:
    """Each case yields exactly the expected orchestration findings."""
    report = run(tmp_path, {"app.py": code}, template(environment=ENV, resources=RESOURCES))
    assert found(report, RULE) == expected


def test_finding_sketches_the_state_machine(tmp_path) -> None:
    """A retry loop becomes a Task with Retry in the sketch."""
    code = body(
        "for attempt in range(3):",
        "    try:",
        "        TABLE.put_item(Item={'id': event['id']})",
        "        break",
        "    except Exception:",
        "        time.sleep(2 ** attempt)",
    )
    report = run(tmp_path, {"app.py": code}, template(environment=ENV, resources=RESOURCES))
    (finding,) = [f for f in report.findings if f.rule == RULE]
    assert finding.evidence[-1] == "Step Functions sketch: PutItemOrders (Task dynamodb:putItem) [Retry: BackoffRate 2]"
