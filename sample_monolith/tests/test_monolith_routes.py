"""Route tests for the shop monolith: every event in events/ runs under moto."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

SAMPLE_ROOT = Path(__file__).resolve().parent.parent
EVENTS_DIR = SAMPLE_ROOT / "events"
TEMPLATE = SAMPLE_ROOT / "template.yaml"

# Status code each HTTP test event produces against the seeded stack.
EXPECTED_STATUS = {
    "ListProducts": 200,
    "GetProduct": 200,
    "ListOrders": 200,
    "CreateOrder": 201,
    "GetOrder": 200,
    "UpdateOrderStatus": 200,
    "CheckoutOrder": 202,
    "CreatePayment": 201,
    "GetPayment": 200,
    "CreateInvoice": 201,
    "ListInvoices": 200,
    "GetInvoice": 200,
    "DownloadInvoice": 200,
}
S3_EVENTS = {"UploadCatalogue"}
EVENT_NAMES = sorted(path.stem for path in EVENTS_DIR.glob("*.json"))


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def http_event(name: str, *, body: Any = None, **overrides: Any) -> dict[str, Any]:
    """A copy of a stored event with a different body and/or top-level fields."""
    event = load_event(name)
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    event.update(overrides)
    return event


def _template_api_events() -> dict[str, tuple[str, str]]:
    """``{event name: (METHOD, path)}`` for every Api event of MonolithFunction, and of the functions split
    from it (a strangler split moves events to new functions that serve the same code)."""

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load(TEMPLATE.read_text(), Loader=_Loader)
    events = {}
    for resource in template["Resources"].values():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and props.get("CodeUri") == "src/":
            events.update(props.get("Events") or {})
    return {
        name: (spec["Properties"]["Method"].upper(), spec["Properties"]["Path"])
        for name, spec in events.items()
        if spec["Type"] == "Api"
    }


# --- the events directory matches the template ----------------------------------


def test_every_template_route_has_a_matching_event() -> None:
    api_events = _template_api_events()
    assert set(api_events) == set(EXPECTED_STATUS)
    assert set(EVENT_NAMES) == set(api_events) | S3_EVENTS
    for name, (method, path) in api_events.items():
        event = load_event(name)
        assert event["httpMethod"] == method, name
        assert event["resource"] == path, name
        assert event["requestContext"]["resourcePath"] == path, name
        assert event["requestContext"]["httpMethod"] == method, name


def test_build_requirements_match_the_project_requirements() -> None:
    # `sam build` installs CodeUri/requirements.txt (src/), the repo installs the top-level one.
    top_level = (SAMPLE_ROOT / "requirements.txt").read_text()
    assert (SAMPLE_ROOT / "src" / "requirements.txt").read_text() == top_level


# --- every stored event, end to end ------------------------------------------------


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_every_event_is_handled(name: str, app: ModuleType, payment_provider_runtime: list) -> None:
    result = app.lambda_handler(load_event(name), None)
    if name in S3_EVENTS:
        assert result["processed"] == 1
    else:
        assert result["statusCode"] == EXPECTED_STATUS[name], result["body"]
        assert result["headers"]["Content-Type"]


# --- products ---------------------------------------------------------------------


def test_list_products_filters_by_category(app: ModuleType) -> None:
    response = app.lambda_handler(load_event("ListProducts"), None)
    body = body_of(response)
    assert response["statusCode"] == 200
    assert [p["product_id"] for p in body["products"]] == ["p-100"]
    assert body["products"][0]["price"] == 24.9


def test_list_products_without_filter_returns_everything(app: ModuleType) -> None:
    event = http_event("ListProducts", queryStringParameters=None)
    body = body_of(app.lambda_handler(event, None))
    assert body["count"] == 2
    assert {p["product_id"] for p in body["products"]} == {"p-100", "p-200"}


def test_get_product(app: ModuleType) -> None:
    response = app.lambda_handler(load_event("GetProduct"), None)
    assert response["statusCode"] == 200
    assert body_of(response)["name"] == "Espresso beans 1kg"


def test_get_unknown_product_is_404(app: ModuleType) -> None:
    event = http_event("GetProduct", path="/products/p-missing")
    assert app.lambda_handler(event, None)["statusCode"] == 404


# --- orders -----------------------------------------------------------------------


def test_list_orders_queries_the_customer_index(app: ModuleType, aws: Any) -> None:
    aws.table("ORDERS_TABLE").put_item(
        Item={
            "order_id": "ord-1002",
            "customer_id": "cust-42",
            "status": "PENDING",
            "total": Decimal("4.50"),
            "currency": "EUR",
            "created_at": "2024-06-11T12:00:00+00:00",
        }
    )
    aws.table("ORDERS_TABLE").put_item(
        Item={
            "order_id": "ord-2001",
            "customer_id": "cust-99",
            "status": "PENDING",
            "total": Decimal("9.00"),
            "currency": "EUR",
            "created_at": "2024-06-11T13:00:00+00:00",
        }
    )
    response = app.lambda_handler(load_event("ListOrders"), None)
    body = body_of(response)
    assert response["statusCode"] == 200
    # Newest first, other customers' orders excluded.
    assert [o["order_id"] for o in body["orders"]] == ["ord-1002", "ord-1001"]


def test_list_orders_requires_customer_id(app: ModuleType) -> None:
    event = http_event("ListOrders", queryStringParameters=None)
    response = app.lambda_handler(event, None)
    assert response["statusCode"] == 400
    assert "customer_id" in body_of(response)["error"]


def test_create_order_stores_queues_and_publishes(app: ModuleType, aws: Any) -> None:
    response = app.lambda_handler(load_event("CreateOrder"), None)
    assert response["statusCode"] == 201, response["body"]
    order = body_of(response)
    assert order["status"] == "PENDING"
    assert order["total"] == 38.4  # 1 x 24.90 + 3 x 4.50
    assert response["headers"]["Location"] == f"/orders/{order['order_id']}"

    stored = aws.table("ORDERS_TABLE").get_item(Key={"order_id": order["order_id"]})
    assert stored["Item"]["total"] == Decimal("38.40")
    assert stored["Item"]["customer_id"] == "cust-42"

    (message,) = aws.drain(aws.fulfilment_queue_url)
    assert json.loads(message["Body"])["order_id"] == order["order_id"]
    assert message["MessageAttributes"]["customer_id"]["StringValue"] == "cust-42"

    (notification,) = aws.drain(aws.order_events_queue_url)
    published = json.loads(notification["Body"])
    assert published["type"] == "OrderCreated"
    assert published["order_id"] == order["order_id"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"items": [{"product_id": "p-100", "quantity": 1}]}, "customer_id"),
        ({"customer_id": "cust-42", "items": [{"product_id": "p-100"}]}, "quantity"),
        (
            {"customer_id": "cust-42", "items": [{"product_id": "p-100", "quantity": 0}]},
            "must be positive",
        ),
        (
            {"customer_id": "cust-42", "items": [{"product_id": "nope", "quantity": 1}]},
            "unknown product",
        ),
        ("{not json", "not valid JSON"),
    ],
)
def test_create_order_validation_errors_are_400(app: ModuleType, aws: Any, body: Any, message: str) -> None:
    response = app.lambda_handler(http_event("CreateOrder", body=body), None)
    assert response["statusCode"] == 400
    assert message in body_of(response)["error"]
    assert aws.drain(aws.fulfilment_queue_url) == []


def test_get_order(app: ModuleType) -> None:
    response = app.lambda_handler(load_event("GetOrder"), None)
    assert response["statusCode"] == 200
    assert body_of(response)["customer_id"] == "cust-42"


def test_update_order_status(app: ModuleType, aws: Any) -> None:
    response = app.lambda_handler(load_event("UpdateOrderStatus"), None)
    assert response["statusCode"] == 200
    assert body_of(response)["status"] == "SHIPPED"
    stored = aws.table("ORDERS_TABLE").get_item(Key={"order_id": "ord-1001"})["Item"]
    assert stored["status"] == "SHIPPED"
    assert stored["updated_at"] != "2024-06-10T09:30:00+00:00"


def test_update_status_rejects_unknown_status(app: ModuleType) -> None:
    event = http_event("UpdateOrderStatus", body={"status": "TELEPORTED"})
    assert app.lambda_handler(event, None)["statusCode"] == 400


def test_update_status_of_unknown_order_is_404(app: ModuleType, aws: Any) -> None:
    event = http_event("UpdateOrderStatus", path="/orders/ord-missing/status")
    assert app.lambda_handler(event, None)["statusCode"] == 404
    # The conditional update must not have created a stub item.
    assert "Item" not in aws.table("ORDERS_TABLE").get_item(Key={"order_id": "ord-missing"})


def test_checkout_starts_the_state_machine(app: ModuleType, aws: Any) -> None:
    response = app.lambda_handler(load_event("CheckoutOrder"), None)
    assert response["statusCode"] == 202
    execution_arn = body_of(response)["execution_arn"]
    execution = aws.sfn.describe_execution(executionArn=execution_arn)
    assert execution["stateMachineArn"] == aws.state_machine_arn
    assert json.loads(execution["input"])["order_id"] == "ord-1001"


def test_checkout_of_cancelled_order_is_409(app: ModuleType, aws: Any) -> None:
    aws.table("ORDERS_TABLE").update_item(
        Key={"order_id": "ord-1001"},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "CANCELLED"},
    )
    assert app.lambda_handler(load_event("CheckoutOrder"), None)["statusCode"] == 409
    executions = aws.sfn.list_executions(stateMachineArn=aws.state_machine_arn)
    assert executions["executions"] == []


# --- payments ---------------------------------------------------------------------


def test_create_payment_invokes_provider_synchronously(
    app: ModuleType, aws: Any, payment_provider_runtime: list
) -> None:
    response = app.lambda_handler(load_event("CreatePayment"), None)
    assert response["statusCode"] == 201, response["body"]
    payment = body_of(response)
    assert payment["status"] == "CAPTURED"
    assert payment["provider_reference"].startswith("ch_")

    (call,) = payment_provider_runtime
    assert call.function_name == aws.names["PAYMENT_FUNCTION_NAME"]
    assert call.invocation_type == "RequestResponse"
    assert call.payload["order_id"] == "ord-1001"
    assert call.payload["amount"] == "49.8"

    stored = aws.table("PAYMENTS_TABLE").get_item(Key={"payment_id": payment["payment_id"]})["Item"]
    assert stored["status"] == "CAPTURED"
    order = aws.table("ORDERS_TABLE").get_item(Key={"order_id": "ord-1001"})["Item"]
    assert order["status"] == "PAID"


def test_declined_payment_is_402_and_recorded(app: ModuleType, aws: Any, payment_provider_runtime: list) -> None:
    body = json.loads(load_event("CreatePayment")["body"])
    event = http_event("CreatePayment", body={**body, "card_token": "tok_declined"})
    response = app.lambda_handler(event, None)
    assert response["statusCode"] == 402
    payment = body_of(response)
    assert payment["decline_reason"] == "card_declined"
    order = aws.table("ORDERS_TABLE").get_item(Key={"order_id": "ord-1001"})["Item"]
    assert order["status"] == "PENDING"


def test_provider_failure_is_502(app: ModuleType, aws: Any, payment_provider_runtime: list, monkeypatch: Any) -> None:
    monkeypatch.setenv("PAYMENT_FUNCTION_NAME", "no-such-function")
    response = app.lambda_handler(load_event("CreatePayment"), None)
    assert response["statusCode"] == 502
    assert aws.table("PAYMENTS_TABLE").scan()["Count"] == 1  # only the seeded one


def test_payment_amount_must_match_order(app: ModuleType, payment_provider_runtime: list) -> None:
    body = json.loads(load_event("CreatePayment")["body"])
    event = http_event("CreatePayment", body={**body, "amount": 1})
    response = app.lambda_handler(event, None)
    assert response["statusCode"] == 400
    assert payment_provider_runtime == []


def test_get_payment(app: ModuleType) -> None:
    response = app.lambda_handler(load_event("GetPayment"), None)
    assert response["statusCode"] == 200
    assert body_of(response)["amount"] == 12.9


# --- invoices ---------------------------------------------------------------------


def test_create_invoice_renders_a_pdf_into_the_bucket(app: ModuleType, aws: Any) -> None:
    response = app.lambda_handler(load_event("CreateInvoice"), None)
    assert response["statusCode"] == 201, response["body"]
    invoice = body_of(response)
    obj = aws.s3.get_object(Bucket=aws.names["INVOICES_BUCKET"], Key=invoice["key"])
    data = obj["Body"].read()
    assert data.startswith(b"%PDF")
    assert len(data) == invoice["size"]
    assert obj["ContentType"] == "application/pdf"
    assert obj["Metadata"]["order-id"] == "ord-1001"


def test_create_invoice_for_unknown_order_is_404(app: ModuleType) -> None:
    event = http_event("CreateInvoice", body={"order_id": "ord-missing"})
    assert app.lambda_handler(event, None)["statusCode"] == 404


def test_list_invoices(app: ModuleType) -> None:
    app.lambda_handler(load_event("CreateInvoice"), None)
    body = body_of(app.lambda_handler(load_event("ListInvoices"), None))
    assert body["count"] == 2
    assert "inv-9001" in {invoice["invoice_id"] for invoice in body["invoices"]}


def test_get_invoice_returns_a_presigned_url(app: ModuleType, aws: Any) -> None:
    response = app.lambda_handler(load_event("GetInvoice"), None)
    assert response["statusCode"] == 200
    invoice = body_of(response)
    assert aws.names["INVOICES_BUCKET"] in invoice["download_url"]
    assert "invoices/inv-9001.pdf" in invoice["download_url"]
    assert "X-Amz-Signature=" in invoice["download_url"]
    assert invoice["order_id"] == "ord-0999"
    assert invoice["expires_in"] == 900


def test_get_missing_invoice_is_404(app: ModuleType) -> None:
    event = http_event("GetInvoice", path="/invoices/inv-abcdef")
    assert app.lambda_handler(event, None)["statusCode"] == 404


def test_invalid_invoice_id_is_400(app: ModuleType) -> None:
    event = http_event("GetInvoice", path="/invoices/..%2Fsecrets")
    assert app.lambda_handler(event, None)["statusCode"] == 400


def test_download_invoice_returns_the_pdf(app: ModuleType) -> None:
    response = app.lambda_handler(load_event("DownloadInvoice"), None)
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert response["headers"]["Content-Type"] == "application/pdf"
    assert base64.b64decode(response["body"]).startswith(b"%PDF")


# --- catalogue uploads (S3) ---------------------------------------------------------


def test_upload_imports_products_and_writes_a_report(app: ModuleType, aws: Any) -> None:
    result = app.lambda_handler(load_event("UploadCatalogue"), None)
    (report,) = result["reports"]
    assert report["rows"] == 4
    assert report["imported"] == 3
    assert report["rejected"] == [{"row": 4, "reason": "price and stock must be numbers"}]

    kettle = aws.table("PRODUCTS_TABLE").get_item(Key={"product_id": "p-300"})["Item"]
    assert kettle["price"] == Decimal("54.00")
    assert kettle["stock"] == 25

    uploads_bucket = aws.names["UPLOADS_BUCKET"]
    stored = aws.s3.get_object(Bucket=uploads_bucket, Key=report["report_key"])
    assert report["report_key"] == "processed/catalogue-2024-06.csv.report.json"
    assert json.loads(stored["Body"].read())["imported"] == 3


def test_report_object_is_itself_handled_as_an_upload(app: ModuleType, aws: Any) -> None:
    """The report lands in the same bucket, so its ObjectCreated event comes back."""
    first = app.lambda_handler(load_event("UploadCatalogue"), None)
    event = load_event("UploadCatalogue")
    event["Records"][0]["s3"]["object"]["key"] = first["reports"][0]["report_key"]
    second = app.lambda_handler(event, None)
    assert second["reports"][0]["imported"] == 0
    assert second["reports"][0]["report_key"] == "processed/catalogue-2024-06.csv.report.json.report.json"


def test_non_s3_records_are_skipped(app: ModuleType) -> None:
    event = {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}
    assert app.lambda_handler(event, None) == {"processed": 0, "reports": []}


# --- routing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("DELETE", "/orders/ord-1001"),
        ("GET", "/orders/ord-1001/unknown"),
        ("POST", "/products"),
    ],
)
def test_unknown_route_is_404(app: ModuleType, method: str, path: str) -> None:
    event = http_event("GetOrder", httpMethod=method, path=path)
    response = app.lambda_handler(event, None)
    assert response["statusCode"] == 404
    assert body_of(response)["error"] == f"no route for {method} {path}"


def test_trailing_slash_is_tolerated(app: ModuleType) -> None:
    event = http_event("GetOrder", path="/orders/ord-1001/")
    assert app.lambda_handler(event, None)["statusCode"] == 200


# --- the payment provider function on its own ---------------------------------------------


@pytest.mark.parametrize(
    ("request_overrides", "expected"),
    [
        ({}, "approved"),
        ({"card_token": "tok_declined"}, "declined"),
        ({"card_token": "4242424242424242"}, "declined"),
        ({"amount": "5000.01"}, "declined"),
        ({"currency": "JPY"}, "declined"),
    ],
)
def test_payment_provider_verdicts(payment_provider: ModuleType, request_overrides: dict, expected: str) -> None:
    request = {
        "payment_id": "pay-1",
        "order_id": "ord-1",
        "amount": "49.80",
        "currency": "EUR",
        "card_token": "tok_visa_4242",
        **request_overrides,
    }
    assert payment_provider.lambda_handler(request, None)["status"] == expected


def test_payment_provider_rejects_malformed_requests(payment_provider: ModuleType) -> None:
    with pytest.raises(ValueError, match="amount"):
        payment_provider.lambda_handler({"currency": "EUR"}, None)
