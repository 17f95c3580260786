"""API Gateway (REST, proxy integration) response builders."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

DEFAULT_HEADERS = {
    "Content-Type": "application/json",
    "Access-Control-Allow-Origin": "*",
}


def _json_default(value: Any) -> Any:
    """Serialise the types DynamoDB hands back to us."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def json_response(status_code: int, body: Any, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build a proxy-integration response with a JSON body."""
    return {
        "statusCode": status_code,
        "headers": {**DEFAULT_HEADERS, **(headers or {})},
        "body": json.dumps(body, default=_json_default),
    }


def error_response(status_code: int, message: str, **details: Any) -> dict[str, Any]:
    """Build an error response: ``{"error": message, ...details}``."""
    return json_response(status_code, {"error": message, **details})


def not_found(message: str = "Not found") -> dict[str, Any]:
    return error_response(404, message)


def binary_response(data: bytes, content_type: str, filename: str | None = None) -> dict[str, Any]:
    """Return raw bytes; API Gateway decodes them when the type is a binary media type."""
    headers = {**DEFAULT_HEADERS, "Content-Type": content_type}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return {
        "statusCode": 200,
        "headers": headers,
        "body": base64.b64encode(data).decode("ascii"),
        "isBase64Encoded": True,
    }
