"""The demo app: every route of sample_monolith is found with its entry, and the split sheds fpdf2."""

from __future__ import annotations

from click.testing import CliRunner

from decompose.cli import main
from decompose.pipeline import analyze
from decompose.rules import rule_ids
from tests.conftest import REPO, routes_of

SAMPLE = REPO / "sample_monolith"

# Route -> (template event, entry, location), as the sample's author documented them in sample_monolith/README.md.
EXPECTED = {
    "GET /products": ("ListProducts", "catalogue.list_products", "src/catalogue.py:17"),
    "GET /products/{product_id}": ("GetProduct", "catalogue.get_product", "src/catalogue.py:27"),
    "GET /orders": ("ListOrders", "orders.list_orders", "src/orders.py:95"),
    "POST /orders": ("CreateOrder", "orders.create_order", "src/orders.py:104"),
    "GET /orders/{order_id}": ("GetOrder", "orders.get_order", "src/orders.py:131"),
    "PUT /orders/{order_id}/status": ("UpdateOrderStatus", "orders.update_order_status", "src/orders.py:139"),
    "POST /orders/{order_id}/checkout": ("CheckoutOrder", "orders.start_checkout", "src/orders.py:150"),
    "POST /payments": ("CreatePayment", "payments.create_payment", "src/payments.py:55"),
    "GET /payments/{payment_id}": ("GetPayment", "payments.get_payment", "src/payments.py:96"),
    "POST /invoices": ("CreateInvoice", "invoices.create_invoice", "src/invoices.py:83"),
    "GET /invoices": ("ListInvoices", "invoices.list_invoices", "src/invoices.py:113"),
    "GET /invoices/{invoice_id}": ("GetInvoice", "invoices.get_invoice", "src/invoices.py:135"),
    "GET /invoices/{invoice_id}/download": ("DownloadInvoice", "invoices.download_invoice", "src/invoices.py:166"),
    "S3 UploadsBucket": ("UploadCatalogue", "uploads.handle_upload", "src/uploads.py:59"),
    "Invoke PaymentProviderFunction": (None, "app.lambda_handler", "payment_provider/app.py:27"),
}


def test_every_route_of_the_sample_is_found() -> None:
    """All 13 HTTP routes, the S3 path and the invoked provider, each with its event, entry and location."""
    report = analyze(SAMPLE)
    actual = {rid: (r.trigger.event, r.entry, str(r.location)) for rid, r in routes_of(report).items()}
    assert actual == EXPECTED
    assert {f.rule for f in report.findings} <= rule_ids(), "only anti-pattern findings (tests/rules has them)"


def test_only_the_pdf_route_needs_fpdf2() -> None:
    """fpdf2 is imported at the top of invoices.py, yet only POST /invoices reaches it."""
    routes = routes_of(analyze(SAMPLE))
    assert [rid for rid, r in routes.items() if "fpdf2" in r.reach.distributions] == ["POST /invoices"]


def test_a_route_reaches_only_its_own_table() -> None:
    """GET /orders/{order_id} uses the orders table object, not the payments or products ones."""
    definitions = routes_of(analyze(SAMPLE))["GET /orders/{order_id}"].reach.definitions
    assert "common.db._orders" in definitions
    assert "common.db._payments" not in definitions
    assert "common.db._products" not in definitions


def test_demo_command_prints_the_route_table() -> None:
    """`make demo` runs `decompose analyze sample_monolith`: it exits 0 and lists the routes."""
    result = CliRunner().invoke(main, ["analyze", str(SAMPLE)])
    assert result.exit_code == 0
    assert "S3 UploadsBucket" in result.output
    assert "15 route(s)" in result.output


def test_parallel_iam_stage_gives_the_same_report(monkeypatch) -> None:
    """The IAM stage forked over worker processes (large apps, Linux) reports exactly what one process does."""
    from decompose import pipeline  # noqa: PLC0415 - the module whose threshold is patched
    from decompose.reporting.json_report import to_document  # noqa: PLC0415

    sequential = to_document(analyze(SAMPLE))
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_ROUTES", 1)
    assert to_document(analyze(SAMPLE)) == sequential
