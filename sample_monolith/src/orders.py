"""Order routes: listing, placing, status changes and checkout."""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3

from common import db
from common.clients import sfn_client
from common.responses import error_response, json_response, not_found
from common.validation import (
    ValidationError,
    one_of,
    parse_json_body,
    positive_int,
    query_param,
    require_fields,
)

logger = logging.getLogger(__name__)

ORDER_STATUSES = ("PENDING", "PAID", "PACKED", "SHIPPED", "DELIVERED", "CANCELLED")
MAX_LINES_PER_ORDER = 50

FULFILMENT_QUEUE_URL = os.environ["FULFILMENT_QUEUE_URL"]
ORDER_EVENTS_TOPIC_ARN = os.getenv("ORDER_EVENTS_TOPIC_ARN", "")

_sqs = boto3.client("sqs")
_sns = boto3.client("sns")


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _price_lines(raw_lines: list[Any]) -> tuple[list[dict[str, Any]], Decimal, str]:
    """Resolve requested lines against the catalogue; returns lines, total, currency."""
    if not isinstance(raw_lines, list) or len(raw_lines) > MAX_LINES_PER_ORDER:
        raise ValidationError(f"'items' must be a list of at most {MAX_LINES_PER_ORDER} lines")
    lines: list[dict[str, Any]] = []
    currencies: set[str] = set()
    total = Decimal(0)
    for index, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            raise ValidationError(f"items[{index}] must be an object")
        require_fields(raw, ("product_id", "quantity"))
        quantity = positive_int(raw["quantity"], f"items[{index}].quantity", maximum=99)
        product = db.get_product(str(raw["product_id"]))
        if product is None:
            raise ValidationError(f"unknown product: {raw['product_id']}")
        unit_price = Decimal(product["price"])
        currencies.add(product.get("currency", "EUR"))
        lines.append(
            {
                "product_id": product["product_id"],
                "name": product["name"],
                "quantity": quantity,
                "unit_price": unit_price,
            }
        )
        total += unit_price * quantity
    if len(currencies) > 1:
        raise ValidationError("all items of an order must share one currency")
    return lines, total, currencies.pop() if currencies else "EUR"


def _publish_order_event(event_type: str, order: dict[str, Any]) -> None:
    if not ORDER_EVENTS_TOPIC_ARN:
        logger.warning("ORDER_EVENTS_TOPIC_ARN not set, dropping %s", event_type)
        return
    _sns.publish(
        TopicArn=ORDER_EVENTS_TOPIC_ARN,
        Subject=event_type,
        Message=json.dumps(
            {
                "type": event_type,
                "order_id": order["order_id"],
                "customer_id": order["customer_id"],
                "status": order["status"],
                "total": str(order["total"]),
                "currency": order["currency"],
            }
        ),
        MessageAttributes={"event_type": {"DataType": "String", "StringValue": event_type}},
    )


def list_orders(event: dict[str, Any]) -> dict[str, Any]:
    """GET /orders?customer_id=...[&limit=...]"""
    customer_id = query_param(event, "customer_id", required=True)
    limit_param = query_param(event, "limit")
    limit = positive_int(limit_param, "limit", maximum=100) if limit_param else 50
    orders = db.query_orders_by_customer(customer_id, limit=limit)
    return json_response(200, {"customer_id": customer_id, "orders": orders, "count": len(orders)})


def create_order(event: dict[str, Any]) -> dict[str, Any]:
    """POST /orders: store the order, queue it for fulfilment, announce it."""
    body = parse_json_body(event)
    require_fields(body, ("customer_id", "items"))
    lines, total, currency = _price_lines(body["items"])
    now = _now_iso()
    order = {
        "order_id": f"ord-{uuid.uuid4().hex[:12]}",
        "customer_id": str(body["customer_id"]),
        "status": "PENDING",
        "items": lines,
        "total": total,
        "currency": currency,
        "shipping_address": body.get("shipping_address") or {},
        "created_at": now,
        "updated_at": now,
    }
    db.put_order(order)
    _sqs.send_message(
        QueueUrl=FULFILMENT_QUEUE_URL,
        MessageBody=json.dumps({"order_id": order["order_id"], "items": lines}, default=str),
        MessageAttributes={"customer_id": {"DataType": "String", "StringValue": order["customer_id"]}},
    )
    _publish_order_event("OrderCreated", order)
    return json_response(201, order, headers={"Location": f"/orders/{order['order_id']}"})


def get_order(event: dict[str, Any], order_id: str) -> dict[str, Any]:
    """GET /orders/{order_id}"""
    order = db.get_order(order_id)
    if order is None:
        return not_found(f"order {order_id} not found")
    return json_response(200, order)


def update_order_status(event: dict[str, Any], order_id: str) -> dict[str, Any]:
    """PUT /orders/{order_id}/status with body ``{"status": "SHIPPED"}``."""
    body = parse_json_body(event)
    require_fields(body, ("status",))
    status = one_of(str(body["status"]).upper(), ORDER_STATUSES, "status")
    order = db.set_order_status(order_id, status, _now_iso())
    if order is None:
        return not_found(f"order {order_id} not found")
    return json_response(200, order)


def start_checkout(event: dict[str, Any], order_id: str) -> dict[str, Any]:
    """POST /orders/{order_id}/checkout: hand the order to the checkout workflow."""
    order = db.get_order(order_id)
    if order is None:
        return not_found(f"order {order_id} not found")
    if order["status"] in ("CANCELLED", "DELIVERED"):
        return error_response(409, f"order {order_id} is {order['status']}")
    execution = sfn_client().start_execution(
        stateMachineArn=os.environ["CHECKOUT_STATE_MACHINE_ARN"],
        name=f"checkout-{order_id}-{uuid.uuid4().hex[:8]}",
        input=json.dumps(
            {
                "order_id": order_id,
                "customer_id": order["customer_id"],
                "total": str(order["total"]),
                "currency": order["currency"],
            }
        ),
    )
    return json_response(
        202,
        {
            "order_id": order_id,
            "execution_arn": execution["executionArn"],
            "started_at": execution["startDate"].isoformat(),
        },
    )
