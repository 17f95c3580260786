"""Fixtures for the shop monolith's tests.

Every test gets a fresh moto account with all of the stack's resources
created, a fresh import of the monolith (so its module-level boto3 clients
are built inside the mock), and an in-process stand-in for the payment
provider Lambda (see ``payment_provider_runtime``).
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody
from moto import mock_aws

SAMPLE_ROOT = Path(__file__).resolve().parent.parent
SRC_DIR = SAMPLE_ROOT / "src"
EVENTS_DIR = SAMPLE_ROOT / "events"
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
PAYMENT_PROVIDER_APP = SAMPLE_ROOT / "payment_provider" / "app.py"

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account

# Physical names shaped like the ones CloudFormation generates for the stack
# "shop-monolith". The uploads bucket name must match the S3 test event.
ORDERS_TABLE = "shop-monolith-OrdersTable-1R3D7K9QX2M4"
PAYMENTS_TABLE = "shop-monolith-PaymentsTable-0Z8Y6W4V2T1S"
PRODUCTS_TABLE = "shop-monolith-ProductsTable-5H2J8L4N6P9R"
INVOICES_BUCKET = "shop-monolith-invoicesbucket-1a2b3c4d5e6f"
UPLOADS_BUCKET = f"shop-monolith-uploads-{ACCOUNT_ID}"
FULFILMENT_QUEUE = "shop-monolith-FulfilmentQueue-3MZ0Q8C1B7XA"
ORDER_EVENTS_TOPIC = "shop-monolith-OrderEventsTopic-9TQ4R2S6U8VW"
CHECKOUT_STATE_MACHINE = "CheckoutStateMachine-Xk2Lm9Pq4Rs7"
PAYMENT_FUNCTION_NAME = "shop-monolith-PaymentProviderFunction-8KQ2J5T0WZ1B"
CATALOGUE_UPLOAD_KEY = "uploads/catalogue-2024-06.csv"

# Top-level module names of the monolith's code (src/), read from the folder so that a module added to src/
# (by hand or by a refactoring) is imported fresh for every test too.
MONOLITH_MODULES = frozenset(
    p.stem for p in SRC_DIR.iterdir() if (p.suffix == ".py" and p.stem.isidentifier()) or (p / "__init__.py").is_file()
)

CHECKOUT_DEFINITION = {
    "StartAt": "ReserveStock",
    "States": {
        "ReserveStock": {
            "Type": "Pass",
            "Result": {"reserved": True},
            "ResultPath": "$.reservation",
            "Next": "WaitForSettlement",
        },
        "WaitForSettlement": {"Type": "Wait", "Seconds": 5, "Next": "CheckoutComplete"},
        "CheckoutComplete": {"Type": "Succeed"},
    },
}

SEED_PRODUCTS = [
    {
        "product_id": "p-100",
        "name": "Espresso beans 1kg",
        "category": "coffee",
        "price": Decimal("24.90"),
        "currency": "EUR",
        "stock": 80,
    },
    {
        "product_id": "p-200",
        "name": "Filter papers (100)",
        "category": "equipment",
        "price": Decimal("4.50"),
        "currency": "EUR",
        "stock": 500,
    },
]
SEED_ORDER = {
    "order_id": "ord-1001",
    "customer_id": "cust-42",
    "status": "PENDING",
    "items": [
        {
            "product_id": "p-100",
            "name": "Espresso beans 1kg",
            "quantity": 2,
            "unit_price": Decimal("24.90"),
        }
    ],
    "total": Decimal("49.80"),
    "currency": "EUR",
    "shipping_address": {"name": "Aoife Murphy", "city": "Cork", "country": "IE"},
    "created_at": "2024-06-10T09:30:00+00:00",
    "updated_at": "2024-06-10T09:30:00+00:00",
}
SEED_PAYMENT = {
    "payment_id": "pay-5001",
    "order_id": "ord-0999",
    "amount": Decimal("12.90"),
    "currency": "EUR",
    "status": "CAPTURED",
    "provider_reference": "ch_0f4c2a9e71d35b8a6c0e4f21",
    "created_at": "2024-06-01T08:00:00+00:00",
}
SEED_INVOICE_ID = "inv-9001"


@dataclass
class ShopAws:
    """Handles on the mocked stack, for arranging and asserting in tests."""

    s3: Any
    dynamodb: Any
    sqs: Any
    sfn: Any
    fulfilment_queue_url: str
    order_events_queue_url: str
    state_machine_arn: str
    names: dict[str, str] = field(default_factory=dict)

    def table(self, env_name: str) -> Any:
        return self.dynamodb.Table(self.names[env_name])

    def drain(self, queue_url: str) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        return messages.get("Messages", [])


def _minimal_pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


def _zip_payment_provider() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(PAYMENT_PROVIDER_APP, "app.py")
    return buffer.getvalue()


def _create_stack(monkeypatch: pytest.MonkeyPatch) -> ShopAws:
    """Create the stack's resources in moto and point the env vars at them."""
    dynamodb = boto3.resource("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName=ORDERS_TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "order_id", "AttributeType": "S"},
            {"AttributeName": "customer_id", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byCustomer",
                "KeySchema": [
                    {"AttributeName": "customer_id", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    for table_name, key in ((PAYMENTS_TABLE, "payment_id"), (PRODUCTS_TABLE, "product_id")):
        dynamodb.create_table(
            TableName=table_name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        )

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=INVOICES_BUCKET)
    s3.create_bucket(Bucket=UPLOADS_BUCKET)

    sqs = boto3.client("sqs", region_name=REGION)
    fulfilment_queue_url = sqs.create_queue(QueueName=FULFILMENT_QUEUE)["QueueUrl"]
    # Not part of the stack: a test-only subscriber to observe SNS publishes.
    audit_queue_url = sqs.create_queue(QueueName="order-events-audit")["QueueUrl"]
    audit_queue_arn = sqs.get_queue_attributes(QueueUrl=audit_queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]

    sns = boto3.client("sns", region_name=REGION)
    topic_arn = sns.create_topic(Name=ORDER_EVENTS_TOPIC)["TopicArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=audit_queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )

    iam = boto3.client("iam", region_name=REGION)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_arn = iam.create_role(RoleName="shop-monolith-test-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]

    sfn = boto3.client("stepfunctions", region_name=REGION)
    state_machine_arn = sfn.create_state_machine(
        name=CHECKOUT_STATE_MACHINE,
        definition=json.dumps(CHECKOUT_DEFINITION),
        roleArn=role_arn,
    )["stateMachineArn"]

    # The function exists in moto like it does in the stack; invoking it needs
    # docker, so invocations are answered by ``payment_provider_runtime``.
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=PAYMENT_FUNCTION_NAME,
        Runtime="python3.12",
        Role=role_arn,
        Handler="app.lambda_handler",
        Code={"ZipFile": _zip_payment_provider()},
    )

    names = {
        "ORDERS_TABLE": ORDERS_TABLE,
        "PAYMENTS_TABLE": PAYMENTS_TABLE,
        "PRODUCTS_TABLE": PRODUCTS_TABLE,
        "INVOICES_BUCKET": INVOICES_BUCKET,
        "UPLOADS_BUCKET": UPLOADS_BUCKET,
        "FULFILMENT_QUEUE_URL": fulfilment_queue_url,
        "ORDER_EVENTS_TOPIC_ARN": topic_arn,
        "CHECKOUT_STATE_MACHINE_ARN": state_machine_arn,
        "PAYMENT_FUNCTION_NAME": PAYMENT_FUNCTION_NAME,
    }
    for key, value in names.items():
        monkeypatch.setenv(key, value)

    return ShopAws(
        s3=s3,
        dynamodb=dynamodb,
        sqs=sqs,
        sfn=sfn,
        fulfilment_queue_url=fulfilment_queue_url,
        order_events_queue_url=audit_queue_url,
        state_machine_arn=state_machine_arn,
        names=names,
    )


def _seed(shop: ShopAws) -> None:
    products = shop.table("PRODUCTS_TABLE")
    for product in SEED_PRODUCTS:
        products.put_item(Item=product)
    shop.table("ORDERS_TABLE").put_item(Item=SEED_ORDER)
    shop.table("PAYMENTS_TABLE").put_item(Item=SEED_PAYMENT)
    shop.s3.put_object(
        Bucket=INVOICES_BUCKET,
        Key=f"invoices/{SEED_INVOICE_ID}.pdf",
        Body=_minimal_pdf(),
        ContentType="application/pdf",
        Metadata={"order-id": "ord-0999", "customer-id": "cust-7"},
    )
    shop.s3.put_object(
        Bucket=UPLOADS_BUCKET,
        Key=CATALOGUE_UPLOAD_KEY,
        Body=(FIXTURES_DIR / "catalogue-2024-06.csv").read_bytes(),
        ContentType="text/csv",
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[ShopAws]:
    """A mocked AWS account holding the stack's resources and seed data."""
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    monkeypatch.setenv("INVOICE_URL_TTL_SECONDS", "900")
    with mock_aws():
        shop = _create_stack(monkeypatch)
        _seed(shop)
        yield shop


def _is_monolith_module(name: str) -> bool:
    return name.split(".", 1)[0] in MONOLITH_MODULES


@pytest.fixture
def app(aws: ShopAws) -> Iterator[ModuleType]:
    """The monolith's ``app`` module, imported fresh inside the moto mock.

    Module-level clients (``orders._sqs``, ``common.db._dynamodb``...) are
    created at import time, so the modules are (re)imported for every test;
    unrelated modules that happen to share a name (``app``, ``common``...)
    are set aside and restored afterwards.
    """
    set_aside = {n: m for n, m in sys.modules.items() if _is_monolith_module(n)}
    for name in set_aside:
        del sys.modules[name]
    sys.path.insert(0, str(SRC_DIR))
    importlib.invalidate_caches()
    try:
        module = importlib.import_module("app")
        assert Path(module.__file__).resolve().parent == SRC_DIR
        clients = sys.modules["common.clients"]
        for factory in (clients.s3_client, clients.lambda_client, clients.sfn_client):
            factory.cache_clear()
        yield module
    finally:
        for name in [n for n in sys.modules if _is_monolith_module(n)]:
            del sys.modules[name]
        sys.modules.update(set_aside)
        sys.path.remove(str(SRC_DIR))


@pytest.fixture
def payment_provider() -> ModuleType:
    """payment_provider/app.py, loaded under a name that cannot clash with src/app.py."""
    spec = importlib.util.spec_from_file_location("shop_payment_provider_app", PAYMENT_PROVIDER_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class LambdaInvocation:
    function_name: str
    invocation_type: str
    payload: dict[str, Any]


@pytest.fixture
def payment_provider_runtime(app: ModuleType, payment_provider: ModuleType) -> list[LambdaInvocation]:
    """Answer ``lambda:Invoke`` calls by running payment_provider/app.py in-process.

    moto can only execute Lambda functions inside docker, which is not
    available here. Instead of a canned answer, a ``before-call`` hook on the
    monolith's (cached) Lambda client runs the real provider handler on the
    exact payload the monolith sent, and shapes the result like the Invoke
    API does (``FunctionError: Unhandled`` when the handler raises). The
    wire-level request is recorded so tests can check it was synchronous.
    """
    calls: list[LambdaInvocation] = []

    def invoke_in_process(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict]:
        function_name = unquote(params["url_path"].split("/")[3])
        invocation_type = params["headers"].get("X-Amz-Invocation-Type", "RequestResponse")
        body = params["body"] or b"{}"
        request = json.loads(body.decode() if isinstance(body, bytes) else body)
        calls.append(LambdaInvocation(function_name, invocation_type, request))
        parsed: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
        if function_name != PAYMENT_FUNCTION_NAME:
            result: Any = {
                "errorMessage": f"Function not found: {function_name}",
                "errorType": "ResourceNotFoundException",
            }
            parsed["FunctionError"] = "Unhandled"
        else:
            try:
                result = payment_provider.lambda_handler(request, None)
            except Exception as exc:  # noqa: BLE001 - the Lambda runtime reports any exception
                result = {"errorMessage": str(exc), "errorType": type(exc).__name__}
                parsed["FunctionError"] = "Unhandled"
        data = json.dumps(result).encode()
        parsed["Payload"] = StreamingBody(io.BytesIO(data), len(data))
        return AWSResponse(params["url"], 200, {}, None), parsed

    client = sys.modules["common.clients"].lambda_client()
    client.meta.events.register("before-call.lambda.Invoke", invoke_in_process)
    return calls
