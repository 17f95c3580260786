"""Request parsing and validation helpers."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any


class ValidationError(ValueError):
    """The request is malformed; the router turns this into a 400."""


def parse_json_body(event: Mapping[str, Any]) -> dict[str, Any]:
    """Decode the JSON object in the request body (floats become ``Decimal``)."""
    raw = event.get("body")
    if not raw:
        raise ValidationError("request body is required")
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8")
    try:
        payload = json.loads(raw, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"request body is not valid JSON: {exc.msg}") from exc
    if not isinstance(payload, dict):
        raise ValidationError("request body must be a JSON object")
    return payload


def require_fields(payload: Mapping[str, Any], fields: Iterable[str]) -> None:
    """Raise if any of ``fields`` is missing or empty in ``payload``."""
    missing = [name for name in fields if payload.get(name) in (None, "", [], {})]
    if missing:
        raise ValidationError(f"missing required field(s): {', '.join(missing)}")


def query_param(event: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    """Read a single query string parameter."""
    value = (event.get("queryStringParameters") or {}).get(name)
    if required and not value:
        raise ValidationError(f"query parameter '{name}' is required")
    return value or None


def positive_int(value: Any, field: str, *, maximum: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"'{field}' must be an integer") from exc
    if number <= 0 or (maximum is not None and number > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ValidationError(f"'{field}' must be positive{upper}")
    return number


def positive_decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, bool):
        raise ValidationError(f"'{field}' must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationError(f"'{field}' must be a number") from exc
    if not number.is_finite() or number <= 0:
        raise ValidationError(f"'{field}' must be a positive number")
    return number


def one_of(value: Any, allowed: Iterable[str], field: str) -> str:
    options = tuple(allowed)
    if value not in options:
        raise ValidationError(f"'{field}' must be one of: {', '.join(options)}")
    return value
