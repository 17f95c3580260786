"""Shop monolith: one Lambda function behind every route of the shop API.

API Gateway (REST, proxy integration) events are routed by method and path;
S3 ``ObjectCreated`` notifications from the uploads bucket import catalogues.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import invoices
import orders
import uploads
from catalogue import get_product, list_products
from common.responses import error_response, not_found
from common.validation import ValidationError
from payments import create_payment, get_payment

logger = logging.getLogger()
logger.setLevel(os.getenv("LOG_LEVEL", "INFO"))

PRODUCT_PATH = re.compile(r"/products/(?P<product_id>[^/]+)")
ORDER_PATH = re.compile(r"/orders/(?P<order_id>[^/]+)")
PAYMENT_PATH = re.compile(r"/payments/(?P<payment_id>[^/]+)")
INVOICE_PATH = re.compile(r"/invoices/(?P<invoice_id>[^/]+)")


def _handle_s3_records(records: list[dict[str, Any]]) -> dict[str, Any]:
    reports = []
    for record in records:
        if record.get("eventSource") != "aws:s3":
            logger.warning("skipping record from %s", record.get("eventSource"))
            continue
        reports.append(uploads.handle_upload(record))
    return {"processed": len(reports), "reports": reports}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "Records" in event:
        return _handle_s3_records(event["Records"])

    method = event["httpMethod"]
    path = event["path"].rstrip("/") or "/"
    logger.info("%s %s", method, path)

    try:
        if method == "GET" and path == "/products":
            return list_products(event)
        elif method == "GET" and (match := PRODUCT_PATH.fullmatch(path)):
            return get_product(event, match["product_id"])
        elif method == "GET" and path == "/orders":
            return orders.list_orders(event)
        elif method == "POST" and path == "/orders":
            return orders.create_order(event)
        elif method == "GET" and (match := ORDER_PATH.fullmatch(path)):
            return orders.get_order(event, match["order_id"])
        elif method == "PUT" and (match := re.fullmatch(r"/orders/(?P<order_id>[^/]+)/status", path)):
            return orders.update_order_status(event, match["order_id"])
        elif method == "POST" and (match := re.fullmatch(r"/orders/(?P<order_id>[^/]+)/checkout", path)):
            return orders.start_checkout(event, match["order_id"])
        elif method == "POST" and path == "/payments":
            return create_payment(event)
        elif method == "GET" and (match := PAYMENT_PATH.fullmatch(path)):
            return get_payment(event, match["payment_id"])
        elif method == "POST" and path == "/invoices":
            return invoices.create_invoice(event)
        elif method == "GET" and path == "/invoices":
            return invoices.list_invoices(event)
        elif method == "GET" and (match := INVOICE_PATH.fullmatch(path)):
            return invoices.get_invoice(event, match["invoice_id"])
        elif method == "GET" and (match := re.fullmatch(r"/invoices/(?P<invoice_id>[^/]+)/download", path)):
            return invoices.download_invoice(event, match["invoice_id"])
        else:
            return not_found(f"no route for {method} {path}")
    except ValidationError as exc:
        return error_response(400, str(exc))
