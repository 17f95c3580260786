"""Payment provider adapter.

Stands in front of the card processor: the shop invokes it synchronously with
``{"payment_id", "order_id", "amount", "currency", "card_token"}`` and gets
``{"status": "approved" | "declined", ...}`` back.
"""

from __future__ import annotations

import hashlib
import logging
import os
from decimal import Decimal, InvalidOperation
from typing import Any

logger = logging.getLogger()
logger.setLevel(os.getenv("LOG_LEVEL", "INFO"))

DECLINE_ABOVE_AMOUNT = Decimal(os.getenv("DECLINE_ABOVE_AMOUNT", "5000"))
SUPPORTED_CURRENCIES = frozenset({"EUR", "GBP", "USD"})


def _decline(reason: str) -> dict[str, Any]:
    return {"status": "declined", "reason": reason}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        amount = Decimal(str(event["amount"]))
    except (KeyError, InvalidOperation) as exc:
        raise ValueError("amount is missing or not a number") from exc
    currency = str(event.get("currency", "")).upper()
    card_token = str(event.get("card_token", ""))
    logger.info("charge %s %s for payment %s", amount, currency, event.get("payment_id"))

    if currency not in SUPPORTED_CURRENCIES:
        return _decline("unsupported_currency")
    if not card_token.startswith("tok_"):
        return _decline("invalid_card_token")
    if card_token == "tok_declined":
        return _decline("card_declined")
    if amount > DECLINE_ABOVE_AMOUNT:
        return _decline("amount_limit_exceeded")

    digest = hashlib.sha256(f"{event.get('payment_id')}:{card_token}".encode()).hexdigest()
    return {
        "status": "approved",
        "provider_reference": f"ch_{digest[:24]}",
        "amount": str(amount),
        "currency": currency,
    }
