"""Invoice routes: PDF rendering and storage in the invoices bucket."""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from common import db
from common.clients import s3_client
from common.responses import binary_response, json_response, not_found
from common.validation import ValidationError, parse_json_body, require_fields

INVOICES_BUCKET = os.environ["INVOICES_BUCKET"]
INVOICE_PREFIX = "invoices/"
INVOICE_ID_PATTERN = re.compile(r"inv-[0-9a-f]{4,32}")
PRESIGNED_URL_TTL_SECONDS = int(os.getenv("INVOICE_URL_TTL_SECONDS", "900"))
SELLER_LINES = ("Shop Monolith Ltd.", "1 Example Street", "Dublin, Ireland")


def _invoice_key(invoice_id: str) -> str:
    if not INVOICE_ID_PATTERN.fullmatch(invoice_id):
        raise ValidationError(f"invalid invoice id: {invoice_id}")
    return f"{INVOICE_PREFIX}{invoice_id}.pdf"


def _latin1(text: Any) -> str:
    """The core PDF fonts only cover Latin-1; replace anything else."""
    return str(text).encode("latin-1", "replace").decode("latin-1")


def _render_pdf(invoice_id: str, order: dict[str, Any]) -> bytes:
    """Lay out a one-page invoice for ``order``."""
    pdf = FPDF(format="A4")
    pdf.set_title(f"Invoice {invoice_id}")
    pdf.set_author(SELLER_LINES[0])
    pdf.add_page()

    pdf.set_font("Helvetica", style="B", size=18)
    pdf.cell(0, 10, f"Invoice {invoice_id}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=10)
    for line in SELLER_LINES:
        pdf.cell(0, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    issued = datetime.now(UTC).date().isoformat()
    for label, value in (
        ("Order", order["order_id"]),
        ("Customer", order["customer_id"]),
        ("Issued", issued),
    ):
        pdf.cell(30, 6, f"{label}:")
        pdf.cell(0, 6, _latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    pdf.set_font("Helvetica", style="B", size=10)
    widths = (95, 20, 35, 35)
    for width, heading in zip(widths, ("Item", "Qty", "Unit price", "Amount")):
        pdf.cell(width, 7, heading, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=10)
    currency = order.get("currency", "EUR")
    for line in order.get("items", []):
        quantity = int(line["quantity"])
        unit_price = Decimal(line["unit_price"])
        pdf.cell(widths[0], 7, _latin1(line["name"])[:60], border=1)
        pdf.cell(widths[1], 7, str(quantity), border=1, align="R")
        pdf.cell(widths[2], 7, f"{unit_price:.2f} {currency}", border=1, align="R")
        pdf.cell(widths[3], 7, f"{unit_price * quantity:.2f} {currency}", border=1, align="R")
        pdf.ln()
    pdf.set_font("Helvetica", style="B", size=11)
    pdf.cell(sum(widths[:3]), 8, "Total", border=1)
    pdf.cell(widths[3], 8, f"{Decimal(order['total']):.2f} {currency}", border=1, align="R")
    return bytes(pdf.output())


def create_invoice(event: dict[str, Any]) -> dict[str, Any]:
    """POST /invoices with body ``{"order_id": ...}``: render and store the PDF."""
    body = parse_json_body(event)
    require_fields(body, ("order_id",))
    order = db.get_order(str(body["order_id"]))
    if order is None:
        return not_found(f"order {body['order_id']} not found")

    invoice_id = f"inv-{uuid.uuid4().hex[:12]}"
    key = _invoice_key(invoice_id)
    document = _render_pdf(invoice_id, order)
    s3_client().put_object(
        Bucket=INVOICES_BUCKET,
        Key=key,
        Body=document,
        ContentType="application/pdf",
        Metadata={"order-id": order["order_id"], "customer-id": order["customer_id"]},
    )
    return json_response(
        201,
        {
            "invoice_id": invoice_id,
            "order_id": order["order_id"],
            "key": key,
            "size": len(document),
        },
        headers={"Location": f"/invoices/{invoice_id}"},
    )


def list_invoices(event: dict[str, Any]) -> dict[str, Any]:
    """GET /invoices"""
    invoices: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"Bucket": INVOICES_BUCKET, "Prefix": INVOICE_PREFIX}
    while True:
        page = s3_client().list_objects_v2(**kwargs)
        for obj in page.get("Contents", []):
            name = obj["Key"].removeprefix(INVOICE_PREFIX).removesuffix(".pdf")
            invoices.append(
                {
                    "invoice_id": name,
                    "key": obj["Key"],
                    "size": obj["Size"],
                    "last_modified": obj["LastModified"].isoformat(),
                }
            )
        if not page.get("IsTruncated"):
            break
        kwargs["ContinuationToken"] = page["NextContinuationToken"]
    return json_response(200, {"invoices": invoices, "count": len(invoices)})


def get_invoice(event: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    """GET /invoices/{invoice_id}: metadata plus a short-lived download link."""
    key = _invoice_key(invoice_id)
    s3 = s3_client()
    try:
        head = s3.head_object(Bucket=INVOICES_BUCKET, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return not_found(f"invoice {invoice_id} not found")
        raise
    url = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": INVOICES_BUCKET,
            "Key": key,
            "ResponseContentType": "application/pdf",
        },
        ExpiresIn=PRESIGNED_URL_TTL_SECONDS,
    )
    return json_response(
        200,
        {
            "invoice_id": invoice_id,
            "order_id": head.get("Metadata", {}).get("order-id"),
            "size": head["ContentLength"],
            "download_url": url,
            "expires_in": PRESIGNED_URL_TTL_SECONDS,
        },
    )


def download_invoice(event: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    """GET /invoices/{invoice_id}/download: the PDF itself."""
    key = _invoice_key(invoice_id)
    try:
        obj = s3_client().get_object(Bucket=INVOICES_BUCKET, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return not_found(f"invoice {invoice_id} not found")
        raise
    return binary_response(obj["Body"].read(), "application/pdf", filename=f"{invoice_id}.pdf")
