"""Test DATA for the policy proof of the analyzer fixtures (`fixture_harness.py`): no set-up code lives here.

Per fixture: values for path parameters, per-route request inputs (body, query string, record payloads), items to
seed per table and objects per bucket (by template logical id), and extra event variants of a route. Everything
else (resources, environment, events, runs) is derived from the template and the analysis.

Route inputs (all optional): `body` (JSON request body or WebSocket message), `query` (query string), `path`
(path parameter values for this route only), `key` (S3 object key), `message` (SQS body or SNS message),
`subject` (SNS subject), `image` (DynamoDB stream NewImage, plain values), `data` (Kinesis payload), `detail`
(EventBridge detail), `headers` (extra HTTP request headers). `parameters` seeds SSM parameters by name.

A variant is (route id, extra inputs, known gap): the same route driven down another branch. A known gap names
the decompose finding that explains why the generated policy cannot cover that branch; the proof then expects
the gap (strict xfail) instead of hiding it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Variant:
    route: str
    inputs: dict[str, Any]
    known_gap: str | None = None


@dataclass(frozen=True)
class FixtureData:
    path_values: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    objects: dict[str, dict[str, str]] = field(default_factory=dict)
    variants: dict[str, Variant] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)  # SSM parameter name -> value


CALLER = "user-1"  # the JWT `sub` of HTTP API events

DATA: dict[str, FixtureData] = {
    "dispatch_table": FixtureData(
        path_values={"team_id": "t-1", "project_id": "p-1"},
        inputs={
            "POST /users": {"body": {"email": "Ada@Example.com", "name": "Ada"}},
            "POST /projects": {"body": {"name": "Apollo", "owner": "u-1"}},
            "PUT /settings": {"body": {"theme": "dark"}},
        },
        items={
            "TeamsTable": [{"team_id": "t-1", "name": "Core", "member_ids": ["u-1"]}],
            "UsersTable": [{"user_id": "u-1", "email": "ada@example.com", "name": "Ada"}],
        },
        objects={"DocumentsBucket": {"settings.json": '{"theme": "dark"}', "projects/p-1.json": "{}"}},
    ),
    "http_api_v2": FixtureData(
        path_values={"id": "i-1", "cart_id": "c-1"},
        inputs={"PUT /items/{id}": {"body": {"name": "Mug", "price": "9.50"}}},
        items={
            "CatalogTable": [{"id": "i-1", "name": "Mug", "price": Decimal("9.50")}],
            "CartsTable": [{"cart_id": "c-1", "customer": CALLER, "lines": [{"item_id": "i-1", "quantity": 2}]}],
        },
    ),
    "if_chain_v1": FixtureData(
        path_values={"id": "o-1", "param1": "42", "report_id": "r-1", "proxy+": "ping"},
        inputs={"POST /orders": {"body": {"customer": "c-1", "total": "12.50"}}},
        items={
            "OrdersTable": [{"pk": "ORDER#o-1", "status": "open", "customer": "c-1", "total": Decimal("12.5")}],
            "InventoryTable": [{"item_id": 42, "name": "widget"}],
        },
        objects={"ReportsBucket": {"reports/r-1.csv": "day,total\n"}},
        variants={
            "recount-stock": Variant(
                "ANY /admin/{proxy+}",
                {"path": {"proxy+": "recount-stock"}},
                known_gap="decompose reports unresolved-dynamic at src/admin/router.py:13 (getattr(tasks, task_name))"
                " and grants nothing for the task it cannot resolve: admin.tasks.recount_stock scans InventoryTable",
            )
        },
    ),
    "match_statement": FixtureData(
        path_values={"note_id": "n-1"},
        inputs={
            "POST /notes": {"body": {"text": "hello", "tags": ["Work", "To Do"]}},
            "POST /notes/{note_id}/attachments": {"query": {"filename": "photo.png"}},
        },
        items={
            "NotesTable": [{"note_id": "n-1", "owner": CALLER, "text": "hi"}],
            "TagsTable": [{"tag": "work", "uses": 3}],
        },
    ),
    "powertools": FixtureData(
        path_values={"order_id": "o-1", "payment_id": "pay-1"},
        inputs={
            "POST /orders": {"body": {"customer": "c-1", "lines": [{"unit_price": "5.00", "quantity": 2}]}},
            "POST /payments/{payment_id}/refund": {"body": {"reason": "damaged"}},
        },
        items={
            "OrdersTable": [{"order_id": "o-1", "status": "open", "customer": "c-1"}],
            "PaymentsTable": [{"payment_id": "pay-1", "amount": 10}],
        },
    ),
    "flask_app": FixtureData(
        path_values={"note_id": "n-1", "key+": "report.pdf"},
        inputs={"POST /notes": {"body": {"text": "buy milk"}}, "PUT /v1/files/{key+}": {"body": {"pages": 2}}},
        items={"NotesTable": [{"note_id": "n-1", "text": "hello"}]},
        objects={"FilesBucket": {"uploads/report.pdf": "%PDF"}},
    ),
    "fastapi_app": FixtureData(
        path_values={"sku": "sku-1", "image_path+": "sku-1.jpg"},
        inputs={"PUT /products/{sku}": {"body": {"name": "Mug", "price": "9.50"}, "headers": {"x-api-key": "k-1"}}},
        items={"ProductsTable": [{"sku": "sku-1", "name": "Mug"}]},
        objects={"ImagesBucket": {"products/sku-1.jpg": "jpeg"}},
        parameters={"/catalog/api-keys": "k-1,k-2"},
    ),
    "chalice_sam": FixtureData(
        path_values={"isbn": "978-1"},
        inputs={
            "POST /books": {"body": {"title": "Dune", "author": "Herbert"}},
            "POST /books/{isbn}/receipt": {"body": {"total": "12.50"}},
            "POST /reviews/{isbn}": {"body": {"stars": 4, "text": "good"}},
        },
        items={
            "BooksTable": [{"isbn": "978-1", "title": "Solaris", "author": "Lem"}],
            "ReviewsTable": [{"isbn": "978-1", "review_id": "r-1", "stars": 5, "text": "great"}],
        },
    ),
    "event_sources": FixtureData(
        inputs={
            "S3 UploadsBucket": {"key": "incoming/photo.jpg"},
            "SQS JobsQueue": {"message": {"type": "export-connections", "export_id": "e-1"}},
            "SQS PriorityJobsQueue": {"message": {"type": "export-connections", "export_id": "e-2"}},
            "SNS AlertsTopic": {"subject": "disk", "message": "disk almost full"},
            "DynamoDB OrdersTable": {"image": {"order_id": "o-1", "status": "placed"}},
            "Kinesis ClicksStream": {"data": {"page": "/home", "visitor": "v-1"}},
            "EventBridgeRule OrderPlacedRule": {
                "detail": {"order_id": "o-1", "lines": [{"sku": "sku-1", "quantity": 2}]}
            },
            "WebSocket sendMessage": {"body": {"action": "sendMessage", "message": "hi"}},
        },
        items={
            "ConnectionsTable": [{"connection_id": "conn-old", "connected_at": 0}],
            "StockTable": [{"sku": "sku-1", "reserved": 0}],
        },
        objects={"UploadsBucket": {"incoming/photo.jpg": "jpeg", "incoming/readme.txt": "text"}},
        variants={"rejected-upload": Variant("S3 UploadsBucket", {"key": "incoming/readme.txt"})},
    ),
}
