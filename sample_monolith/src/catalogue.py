"""Product catalogue routes."""

from __future__ import annotations

from typing import Any

from common import db
from common.responses import json_response, not_found
from common.validation import query_param


def _public_view(product: dict[str, Any]) -> dict[str, Any]:
    """Hide internal bookkeeping attributes from API consumers."""
    return {key: value for key, value in product.items() if not key.startswith("_")}


def list_products(event: dict[str, Any]) -> dict[str, Any]:
    """GET /products[?category=...]"""
    category = query_param(event, "category")
    products = sorted(db.scan_products(category), key=lambda p: p.get("name", ""))
    return json_response(
        200,
        {"products": [_public_view(p) for p in products], "count": len(products)},
    )


def get_product(event: dict[str, Any], product_id: str) -> dict[str, Any]:
    """GET /products/{product_id}"""
    product = db.get_product(product_id)
    if product is None:
        return not_found(f"product {product_id} not found")
    return json_response(200, _public_view(product))
