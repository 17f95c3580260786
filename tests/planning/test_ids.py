"""Logical ids derived from routes: the naming convention, validity for CloudFormation, uniqueness."""

from __future__ import annotations

import pytest

from decompose.planning.ids import (
    MAX_DERIVED,
    default_modules,
    fit,
    invalid_logical_id,
    invalid_module,
    is_taken,
    logical_id_rule,
    route_name,
    snake,
    unique_id,
)


def _id(route: str, used: set[str] | frozenset[str] = frozenset()) -> str:
    return unique_id(fit(route_name(route), route), lambda c: is_taken(c, used))


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("GET /orders/{order_id}", "GetOrderFunction"),
        ("GET /orders", "ListOrdersFunction"),
        ("GET /health", "GetHealthFunction"),
        ("GET /", "GetRootFunction"),
        ("POST /orders", "CreateOrderFunction"),
        ("PUT /orders/{order_id}/status", "UpdateOrderStatusFunction"),
        ("POST /orders/{order_id}/checkout", "CreateOrderCheckoutFunction"),
        ("GET /categories/{id}/statuses", "ListCategoryStatusesFunction"),
        ("GET /addresses", "ListAddressesFunction"),
        ("DELETE /items/{param1}", "DeleteItemFunction"),
        ("PATCH /orders/{id}", "PatchOrderFunction"),
        ("ANY /admin/{proxy+}", "HandleAdminFunction"),
        ("GET /order_items/{id}", "GetOrderItemFunction"),
        ("S3 UploadsBucket", "UploadsBucketS3Function"),
        ("SQS JobsQueue", "JobsQueueSQSFunction"),
        ("Schedule rate(1 day)", "Rate1DayScheduleFunction"),
        ("WebSocket $connect", "ConnectWebSocketFunction"),
        ("EventBridgeRule shop.orders/OrderPlaced", "ShopOrdersOrderPlacedEventBridgeRuleFunction"),
        ("Invoke Worker", "WorkerInvokeFunction"),
        ("GET /café", "GetCafeFunction"),
    ],
)
def test_route_names(route: str, expected: str) -> None:
    """Each route gets the documented name: verb from the method, nouns from the static segments."""
    assert _id(route) == expected


@pytest.mark.parametrize(
    "route",
    [
        'GET /orders/"x\'y"/../../etc',
        "GET /日本/{id}",
        "GET /" + "segment/" * 40,
        "GET /" + "a" * 300,
        "POST /1st/{id}",
        "S3 ",
        "GET /\n\t\x00",
        "Schedule cron(0 12 * * ? *)",
    ],
)
def test_hostile_routes_still_give_valid_bounded_ids(route: str) -> None:
    """Quotes, `..`, unicode, control characters and 300-character paths give ids cfn-lint accepts."""
    logical_id = _id(route)
    assert invalid_logical_id(logical_id) is None
    assert len(logical_id) <= MAX_DERIVED
    assert logical_id[0].isalpha()


def test_long_routes_stay_distinct_after_truncation() -> None:
    """Two long routes sharing a 60-character prefix get different ids (a hash of the whole route)."""
    assert _id("GET /" + "a" * 300 + "/x") != _id("GET /" + "a" * 300 + "/y")


def test_taken_ids_and_sam_derived_ids_are_avoided() -> None:
    """A template resource, or one SAM would derive (`<Id>Role`), pushes the id to `<Stem>2Function`."""
    assert _id("GET /orders/{id}", {"GetOrderFunction"}) == "GetOrder2Function"
    assert _id("GET /orders/{id}", {"GetOrderFunctionRole"}) == "GetOrder2Function"
    assert _id("GET /orders/{id}", {"GetOrderFunction", "GetOrder2Function"}) == "GetOrder3Function"
    assert _id("GET /orders/{id}", {"GetOrderFunctionErrorsAlarm"}) == "GetOrder2Function"  # decompose's own alarm id


def test_the_rule_comes_from_cfn_lint_schema() -> None:
    """The id pattern and length are cfn-lint's own resource-name schema."""
    pattern, longest = logical_id_rule()
    assert pattern.pattern == "^[a-zA-Z0-9]+$"
    assert longest == 255


@pytest.mark.parametrize(
    ("value", "valid"),
    [("GetOrderFunction", True), ("Get-Order", False), ("", False), ("Ünïcode", False), ("A" * 256, False)],
)
def test_invalid_logical_id(value: str, valid: bool) -> None:
    """Only ASCII letters and digits, at most 255 characters."""
    assert (invalid_logical_id(value) is None) is valid


@pytest.mark.parametrize(
    ("logical_id", "expected"),
    [
        ("GetOrderFunction", "get_order"),
        ("UploadsBucketS3Function", "uploads_bucket_s3"),
        ("GetOrder2Function", "get_order2"),
        ("HTTPHealthFunction", "http_health"),
        ("Function", "function"),
        ("ClassFunction", "class_"),
        ("ImportFunction", "import_"),
        ("Route1Function", "route1"),
    ],
)
def test_snake_module_names(logical_id: str, expected: str) -> None:
    """Module names are the id without `Function`, in snake case."""
    assert snake(logical_id) == expected


@pytest.mark.parametrize("logical_id", ["ClassFunction", "ImportFunction", "NoneFunction", "1Function"])
def test_default_modules_are_importable_names(logical_id: str) -> None:
    """Default module names never are keywords or start with a digit."""
    for name in default_modules(logical_id):
        assert invalid_module(name) is None, name


@pytest.mark.parametrize(
    ("value", "valid"),
    [("routes.get_order", True), ("handlers.x", True), ("../etc", False), ("a.class", False), ("a..b", False)],
)
def test_invalid_module(value: str, valid: bool) -> None:
    """Modules are dotted ASCII identifiers, never a path."""
    assert (invalid_module(value) is None) is valid
