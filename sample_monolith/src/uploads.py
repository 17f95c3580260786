"""Catalogue imports: CSV or JSON files dropped into the uploads bucket."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import posixpath
import urllib.parse
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from common import db
from common.clients import s3_client

logger = logging.getLogger(__name__)

REPORT_PREFIX = "processed/"


def _read_rows(key: str, text: str) -> list[dict[str, Any]]:
    """Parse an uploaded catalogue file into raw rows."""
    if key.lower().endswith(".csv"):
        return list(csv.DictReader(io.StringIO(text)))
    if key.lower().endswith(".json"):
        data = json.loads(text, parse_float=Decimal)
        rows = data.get("products", []) if isinstance(data, dict) else data
        return [row for row in rows if isinstance(row, dict)]
    logger.warning("ignoring %s: unsupported file type", key)
    return []


def _to_product(row: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise one catalogue row (raises ``ValueError``)."""
    product_id = str(row.get("product_id") or "").strip()
    name = str(row.get("name") or "").strip()
    if not product_id or not name:
        raise ValueError("product_id and name are required")
    try:
        price = Decimal(str(row.get("price"))).quantize(Decimal("0.01"))
        stock = int(row.get("stock") or 0)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError("price and stock must be numbers") from exc
    if price <= 0 or stock < 0:
        raise ValueError("price must be positive and stock not negative")
    return {
        "product_id": product_id,
        "name": name,
        "category": str(row.get("category") or "uncategorised").strip(),
        "price": price,
        "currency": str(row.get("currency") or "EUR").strip().upper(),
        "stock": stock,
    }


def handle_upload(record: dict[str, Any]) -> dict[str, Any]:
    """Import the catalogue file named in an S3 ``ObjectCreated`` record."""
    bucket = record["s3"]["bucket"]["name"]
    key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
    obj = s3_client().get_object(Bucket=bucket, Key=key)
    rows = _read_rows(key, obj["Body"].read().decode("utf-8-sig"))

    products: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    for line, row in enumerate(rows, start=1):
        try:
            products.append(_to_product(row))
        except ValueError as exc:
            rejected.append({"row": line, "reason": str(exc)})
    imported = db.put_products(products)

    report = {
        "source": f"s3://{bucket}/{key}",
        "processed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": len(rows),
        "imported": imported,
        "rejected": rejected,
    }
    # Keep the import report in the uploads bucket, next to what merchandising uploaded.
    report_key = f"{REPORT_PREFIX}{posixpath.basename(key)}.report.json"
    s3_client().put_object(
        Bucket=os.environ["UPLOADS_BUCKET"],
        Key=report_key,
        Body=json.dumps(report, indent=2).encode("utf-8"),
        ContentType="application/json",
    )
    logger.info("imported %d/%d products from %s", imported, len(rows), key)
    return {**report, "report_key": report_key}
