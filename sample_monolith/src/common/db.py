"""Data access for the shop's DynamoDB tables."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr, Key

ORDERS_BY_CUSTOMER_INDEX = "byCustomer"

_dynamodb = boto3.resource("dynamodb")
_orders = _dynamodb.Table(os.environ["ORDERS_TABLE"])
_payments = _dynamodb.Table(os.environ["PAYMENTS_TABLE"])
_products = _dynamodb.Table(os.environ["PRODUCTS_TABLE"])

Item = dict[str, Any]


# --- products -----------------------------------------------------------------


def get_product(product_id: str) -> Item | None:
    return _products.get_item(Key={"product_id": product_id}).get("Item")


def scan_products(category: str | None = None) -> list[Item]:
    """Return every product, optionally only those of one category."""
    kwargs: dict[str, Any] = {}
    if category:
        kwargs["FilterExpression"] = Attr("category").eq(category)
    items: list[Item] = []
    while True:
        page = _products.scan(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def put_products(products: Iterable[Item]) -> int:
    """Upsert products in batches; returns how many were written."""
    written = 0
    with _products.batch_writer(overwrite_by_pkeys=["product_id"]) as batch:
        for product in products:
            batch.put_item(Item=product)
            written += 1
    return written


# --- orders -------------------------------------------------------------------


def get_order(order_id: str) -> Item | None:
    return _orders.get_item(Key={"order_id": order_id}).get("Item")


def put_order(order: Item) -> None:
    _orders.put_item(Item=order, ConditionExpression="attribute_not_exists(order_id)")


def query_orders_by_customer(customer_id: str, limit: int = 50) -> list[Item]:
    """Newest orders first, via the ``byCustomer`` GSI."""
    response = _orders.query(
        IndexName=ORDERS_BY_CUSTOMER_INDEX,
        KeyConditionExpression=Key("customer_id").eq(customer_id),
        ScanIndexForward=False,
        Limit=limit,
    )
    return response.get("Items", [])


def set_order_status(order_id: str, status: str, updated_at: str) -> Item | None:
    """Update an existing order's status; ``None`` if the order does not exist."""
    try:
        response = _orders.update_item(
            Key={"order_id": order_id},
            UpdateExpression="SET #status = :status, updated_at = :updated_at",
            ConditionExpression="attribute_exists(order_id)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":status": status, ":updated_at": updated_at},
            ReturnValues="ALL_NEW",
        )
    except _orders.meta.client.exceptions.ConditionalCheckFailedException:
        return None
    return response["Attributes"]


# --- payments -----------------------------------------------------------------


def get_payment(payment_id: str) -> Item | None:
    return _payments.get_item(Key={"payment_id": payment_id}).get("Item")


def put_payment(payment: Item) -> None:
    _payments.put_item(Item=payment)
