"""function-calls-function: synchronous invokes of another function and HTTP calls to the stack's own
endpoints; asynchronous invokes and calls to the outside world stay silent."""

from __future__ import annotations

import pytest

from tests.rules.apps import found, run, template

RULE = "function-calls-function"
WORKER = (
    "WorkerFunction:\n  Type: AWS::Serverless::Function\n  Properties:\n"
    "    CodeUri: worker/\n    Handler: worker.handler\n"
)
API_EVENTS = (
    "List:\n  Type: Api\n  Properties:\n    Path: /orders\n    Method: get\n"
    "Get:\n  Type: Api\n  Properties:\n    Path: /orders/{id}\n    Method: get\n"
)


def invoke(arguments: str) -> str:
    """A handler whose invoke call is on line 5."""
    return (
        "import os\nimport boto3\nLAMBDA = boto3.client('lambda')\n"
        "def handler(event, context):\n"
        f"    return LAMBDA.invoke(FunctionName=os.environ['WORKER']{arguments})\n"
    )


def http(call: str, imports: str = "import requests") -> str:
    """An API handler that routes GET /orders and GET /orders/{id}; its HTTP call is on line 9."""
    return (
        f"import os\nimport re\n{imports}\nBASE = os.environ['API_URL']\n"
        "def handler(event, context):\n"
        "    if event['httpMethod'] == 'GET' and event['path'] == '/orders':\n"
        "        return list_orders(event)\n"
        "def list_orders(event):\n"
        f"    return {call}\n"
    )


SAME_STACK = "API_URL: !Sub 'https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod'"
CASES = [
    pytest.param(
        invoke(", InvocationType='RequestResponse'"),
        "",
        "WORKER: !Ref WorkerFunction",
        WORKER,
        {("warning", "src/app.py:5", "Invoke AppFunction")},
        id="request-response",
    ),
    pytest.param(
        invoke(""),
        "",
        "WORKER: !Ref WorkerFunction",
        WORKER,
        {("warning", "src/app.py:5", "Invoke AppFunction")},
        id="invocation-type-absent-is-synchronous",
    ),
    pytest.param(
        invoke(", InvocationType='Event'"),
        "",
        "WORKER: !Ref WorkerFunction",
        WORKER,
        set(),
        id="event-invocation-is-asynchronous",
    ),
    pytest.param(invoke(", InvocationType='DryRun'"), "", "WORKER: !Ref WorkerFunction", WORKER, set(), id="dry-run"),
    pytest.param(
        invoke(", InvocationType=event['mode']"),
        "",
        "WORKER: !Ref WorkerFunction",
        WORKER,
        {("info", "src/app.py:5", "Invoke AppFunction")},
        id="invocation-type-not-known",
    ),
    pytest.param(
        invoke("").replace("LAMBDA.invoke(", "LAMBDA.invoke_with_response_stream("),
        "",
        "WORKER: !Ref WorkerFunction",
        WORKER,
        {("warning", "src/app.py:5", "Invoke AppFunction")},
        id="response-stream-is-synchronous",
    ),
    pytest.param(
        http("requests.get(f'{BASE}/orders/1', timeout=5).json()"),
        API_EVENTS,
        SAME_STACK,
        "",
        {("warning", "src/app.py:9", "GET /orders")},
        id="requests-to-the-stack-api",
    ),
    pytest.param(
        http("requests.Session().post(BASE + '/orders', json={})"),
        API_EVENTS,
        SAME_STACK,
        "",
        {("warning", "src/app.py:9", "GET /orders")},
        id="requests-session",
    ),
    pytest.param(
        http("urllib3.PoolManager().request('GET', f'{BASE}/orders')", imports="import urllib3"),
        API_EVENTS,
        SAME_STACK,
        "",
        {("warning", "src/app.py:9", "GET /orders")},
        id="urllib3-pool-manager",
    ),
    pytest.param(
        http("urlopen(f'{BASE}/orders').read()", imports="from urllib.request import urlopen"),
        API_EVENTS,
        SAME_STACK,
        "",
        {("warning", "src/app.py:9", "GET /orders")},
        id="urllib-urlopen",
    ),
    pytest.param(
        http("requests.get(f'{BASE}/charges', timeout=5).json()"),
        API_EVENTS,
        "API_URL: https://api.payments.example.com/v1",
        "",
        set(),
        id="http-to-the-outside-world",
    ),
    pytest.param(
        http("get(f'{BASE}/orders')", imports="def get(url):\n    return url"),
        API_EVENTS,
        SAME_STACK,
        "",
        set(),
        id="a-project-function-named-get",
    ),
]


@pytest.mark.parametrize(("code", "events", "environment", "functions", "expected"), CASES)
def test_function_calls_function(tmp_path, code, events, environment, functions, expected) -> None:  # noqa: PLR0917 - a column each
    """Each case yields exactly the expected synchronous calls of another function."""
    files = {"app.py": code}
    if functions:
        (tmp_path / "worker").mkdir()
        (tmp_path / "worker" / "worker.py").write_text("def handler(event, context):\n    return {}\n")
    report = run(tmp_path, files, template(events, environment, functions=functions))
    assert found(report, RULE) == expected


def test_http_finding_names_the_callee_route(tmp_path) -> None:
    """The URL's literal path maps the call to the routes it can reach: /orders/1 is GET /orders/{id}."""
    code = http("requests.get(f'{BASE}/orders/1', timeout=5).json()")
    report = run(tmp_path, {"app.py": code}, template(API_EVENTS, SAME_STACK))
    (finding,) = [f for f in report.findings if f.rule == RULE]
    assert any("GET /orders/{id}" in line and "GET /orders," not in line for line in finding.evidence)


def test_sample_reports_the_synchronous_payment_invoke() -> None:
    """sample_monolith: POST /payments invokes the payment provider with RequestResponse."""
    from decompose.pipeline import analyze  # noqa: PLC0415
    from tests.conftest import REPO  # noqa: PLC0415

    report = analyze(REPO / "sample_monolith")
    (call,) = [f for f in report.findings if f.rule == RULE]
    assert (str(call.location), call.route) == ("src/payments.py:32", "POST /payments")
    assert any(line.startswith("caller: POST /payments of MonolithFunction") for line in call.evidence)
    assert any(line.startswith("callee: PaymentProviderFunction (handler app.lambda_handler") for line in call.evidence)
    assert "SQS queue" in (call.fix or "")
