"""Payment routes. Charges go through the payment provider function."""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from common import db
from common.clients import lambda_client
from common.responses import error_response, json_response, not_found
from common.validation import (
    ValidationError,
    parse_json_body,
    positive_decimal,
    require_fields,
)

logger = logging.getLogger(__name__)


class PaymentProviderError(RuntimeError):
    """The payment provider failed to give an answer."""


def _charge_card(payment_id: str, order_id: str, amount: Decimal, currency: str, card_token: str) -> dict[str, Any]:
    """Ask the payment provider to charge the card and wait for its verdict."""
    response = lambda_client().invoke(
        FunctionName=os.environ["PAYMENT_FUNCTION_NAME"],
        InvocationType="RequestResponse",
        Payload=json.dumps(
            {
                "payment_id": payment_id,
                "order_id": order_id,
                "amount": str(amount),
                "currency": currency,
                "card_token": card_token,
            }
        ).encode("utf-8"),
    )
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError") or not isinstance(payload, dict):
        raise PaymentProviderError(
            payload.get("errorMessage", "invalid provider response")
            if isinstance(payload, dict)
            else "invalid provider response"
        )
    return payload


def create_payment(event: dict[str, Any]) -> dict[str, Any]:
    """POST /payments: charge an order's total and record the outcome."""
    body = parse_json_body(event)
    require_fields(body, ("order_id", "amount", "currency", "card_token"))
    amount = positive_decimal(body["amount"], "amount")
    order_id = str(body["order_id"])
    currency = str(body["currency"]).upper()

    order = db.get_order(order_id)
    if order is None:
        return not_found(f"order {order_id} not found")
    if amount != order["total"] or currency != order["currency"]:
        raise ValidationError("amount and currency must match the order total")
    if order["status"] != "PENDING":
        return error_response(409, f"order {order_id} is already {order['status']}")

    payment_id = f"pay-{uuid.uuid4().hex[:12]}"
    try:
        verdict = _charge_card(payment_id, order_id, amount, currency, str(body["card_token"]))
    except PaymentProviderError as exc:
        logger.error("payment provider failed for %s: %s", order_id, exc)
        return error_response(502, "payment provider unavailable")

    approved = verdict.get("status") == "approved"
    now = datetime.now(UTC).isoformat(timespec="seconds")
    payment = {
        "payment_id": payment_id,
        "order_id": order_id,
        "amount": amount,
        "currency": currency,
        "status": "CAPTURED" if approved else "DECLINED",
        "provider_reference": verdict.get("provider_reference"),
        "decline_reason": verdict.get("reason"),
        "created_at": now,
    }
    db.put_payment({k: v for k, v in payment.items() if v is not None})
    if approved:
        db.set_order_status(order_id, "PAID", now)
    return json_response(201 if approved else 402, payment)


def get_payment(event: dict[str, Any], payment_id: str) -> dict[str, Any]:
    """GET /payments/{payment_id}"""
    payment = db.get_payment(payment_id)
    if payment is None:
        return not_found(f"payment {payment_id} not found")
    return json_response(200, payment)
