"""Precision on the apps we know by heart: the anti-pattern findings of sample_monolith and of every fixture,
worked out by reading their code (not by running decompose), and nothing else.

Why each is true:
- every app is one function dispatching to many routes: `lambda-monolith`;
- sample: `uploads.handle_upload` writes its report to `processed/` in the unfiltered uploads bucket
  (`recursive-trigger`); `payments._charge_card` invokes the provider with RequestResponse
  (`function-calls-function`); `orders.create_order` stores the order, sends to the fulfilment queue and
  publishes the event one after another, none using another's result (`synchronous-wait`, info);
- event_sources: the upload route deletes rejected uploads (ObjectRemoved, the event listens to
  ObjectCreated) and copies images to `processed/` (outside the `incoming/` filter): two near misses (info);
- if_chain_v1: `inventory.delete_item` deletes, then publishes the audit message; match_statement:
  `notes.create_note` puts the note, then updates the tag counts; fastapi_app: `put_product` saves, then
  publishes; chalice_app: `invoices.attach` copies the upload, then links it to its order (all info; the
  Chalice S3 event is no template event, so its copy to `invoices/` is not compared with its `incoming/`
  prefix: a near miss left unreported).
"""

from __future__ import annotations

import pytest

from decompose.pipeline import analyze
from decompose.rules import rule_ids
from tests.conftest import FIXTURES, REPO

EXPECTED = {
    "sample_monolith": {
        ("lambda-monolith", "warning", "template.yaml:35", None),
        ("recursive-trigger", "warning", "src/uploads.py:84", "S3 UploadsBucket"),
        ("function-calls-function", "warning", "src/payments.py:32", "POST /payments"),
        ("synchronous-wait", "info", "src/orders.py:121", "POST /orders"),
    },
    "dispatch_table": {("lambda-monolith", "warning", "template.yaml:17", None)},
    "event_sources": {
        ("lambda-monolith", "warning", "template.yaml:15", None),
        ("recursive-trigger", "info", "src/uploads.py:16", "S3 UploadsBucket"),
        ("recursive-trigger", "info", "src/uploads.py:20", "S3 UploadsBucket"),
    },
    "http_api_v2": {("lambda-monolith", "warning", "template.yaml:14", None)},
    "if_chain_v1": {
        ("lambda-monolith", "warning", "template.yaml:16", None),
        ("synchronous-wait", "info", "src/inventory.py:16", "DELETE /items/{param1}"),
    },
    "match_statement": {
        ("lambda-monolith", "warning", "template.yaml:33", None),
        ("synchronous-wait", "info", "src/notes.py:33", "POST /notes"),
    },
    "powertools": {("lambda-monolith", "warning", "template.yaml:17", None)},
    "flask_app": {("lambda-monolith", "warning", "template.yaml:12", None)},
    "fastapi_app": {
        ("lambda-monolith", "warning", "template.yaml:11", None),
        ("synchronous-wait", "info", "src/routers/products.py:24", "PUT /products/{sku}"),
    },
    "chalice_app": {
        ("lambda-monolith", "warning", ".chalice/config.json", None),
        ("synchronous-wait", "info", "chalicelib/invoices.py:12", "S3 orders-invoices-dev"),
    },
}


@pytest.mark.parametrize("app", sorted(EXPECTED))
def test_anti_patterns_found_are_exactly_the_known_ones(app: str) -> None:
    """Every anti-pattern finding of the app is one worked out by hand, and every one of those is found."""
    path = REPO / app if app == "sample_monolith" else FIXTURES / app
    ids = rule_ids()
    report = analyze(path)
    actual = {(f.rule, str(f.severity), str(f.location), f.route) for f in report.findings if f.rule in ids}
    assert actual == EXPECTED[app]
