"""IfChainAnalyzer: HTTP routes from if/elif tests, through locals, .get(), fallbacks and regexes."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import routes_of

HELPERS = """
def list_orders(): return []
def create_order(): return {}
def get_order(order_id): return order_id
def admin(): return "admin"
def item(n): return n
def respond(code, body): return {"statusCode": code, "body": body}
"""

CASES = [
    pytest.param(
        """
        def lambda_handler(event, context):
            if event["httpMethod"] == "GET" and event["path"] == "/orders":
                return list_orders()
            elif event["httpMethod"] == "POST" and event["path"] == "/orders":
                return create_order()
        """,
        {"GET /orders": "list_orders", "POST /orders": "create_order"},
        id="v1-direct-subscripts",
    ),
    pytest.param(
        """
        def lambda_handler(event, context):
            method = event.get("httpMethod")
            path = event.get("path", "/")
            if path == "/orders":
                if method == "GET":
                    return respond(200, list_orders())
                elif method == "POST":
                    return respond(201, create_order())
            return respond(404, None)
        """,
        {"GET /orders": "list_orders", "POST /orders": "create_order"},
        id="nested-through-locals-and-get",
    ),
    pytest.param(
        """
        import re
        ITEM = re.compile(r"^/items/([0-9]+)$")
        def lambda_handler(event, context):
            path = event["path"]
            if m := re.fullmatch(r"/orders/(?P<order_id>[^/]+)", path):
                return get_order(m["order_id"])
            if (m := ITEM.fullmatch(path)) and event["httpMethod"] == "GET":
                return item(m.group(1))
            if path.startswith("/admin/"):
                return admin()
        """,
        {"ANY /orders/{order_id}": "get_order", "GET /items/{param1}": "item", "ANY /admin/{proxy+}": "admin"},
        id="regex-compiled-and-startswith",
    ),
    pytest.param(
        """
        def lambda_handler(event, context):
            method = event.get("httpMethod") or event["requestContext"]["http"]["method"]
            path = event.get("rawPath") or event.get("path")
            if (method, path) == ("GET", "/orders"):
                return list_orders()
            if method in ("PUT", "PATCH") and path == "/orders":
                return create_order()
        """,
        {"GET /orders": "list_orders", "PUT /orders": "create_order", "PATCH /orders": "create_order"},
        id="v1-v2-fallback-tuple-and-in",
    ),
    pytest.param(
        """
        def lambda_handler(event, context):
            if event["routeKey"] == "GET /orders/{id}":
                return get_order(event["pathParameters"]["id"])
            if event["requestContext"]["http"]["method"] == "GET" and event["rawPath"] == "/orders":
                return list_orders()
        """,
        {"GET /orders/{id}": "get_order", "GET /orders": "list_orders"},
        id="v2-route-key-and-raw-path",
    ),
    pytest.param(
        """
        def lambda_handler(event, context):
            return route(event)

        def route(event):
            if event["resource"] == "/orders/{order_id}" and event["httpMethod"] == "GET":
                return get_order(event["pathParameters"]["order_id"])
        """,
        {"GET /orders/{order_id}": "get_order"},
        id="dispatch-in-a-helper-on-resource",
    ),
    pytest.param(
        """
        def lambda_handler(event, context):
            if event["httpMethod"] != "GET":
                return respond(405, None)
            if event["path"] == "/orders":
                return list_orders()
            if event["path"] == "/admin":
                return admin()
        """,
        {"GET /orders": "list_orders", "GET /admin": "admin"},
        id="early-exit-guard-narrows-the-rest",
    ),
]


@pytest.mark.parametrize(("handler", "expected"), CASES)
def test_if_chain_routes(analyze_app, handler: str, expected: dict[str, str]) -> None:
    """Each if/elif style yields exactly the expected routes, each running the route-specific function."""
    report = analyze_app({"app.py": textwrap.dedent(handler) + HELPERS}, handler="app.lambda_handler")
    routes = routes_of(report)
    assert {rid: r.entry.rpartition(".")[2] for rid, r in routes.items()} == expected
    assert {r.dispatch for r in routes.values()} == {"if-chain"}


def test_v2_code_only_routes_are_http_api(analyze_app) -> None:
    """Without a template, routes read from v2 keys are HttpApi routes, v1 keys Api routes."""
    report = analyze_app(
        {
            "app.py": """
            def lambda_handler(event, context):
                if event["routeKey"] == "GET /a":
                    return a()
                if event["httpMethod"] == "GET" and event["path"] == "/b":
                    return b()
            def a(): ...
            def b(): ...
            """
        },
        handler="app.lambda_handler",
    )
    types = {rid: r.trigger.type for rid, r in routes_of(report).items()}
    assert types == {"GET /a": "HttpApi", "GET /b": "Api"}


def test_inline_branch_is_a_route_with_a_finding(analyze_app) -> None:
    """A branch that answers inline is still a route, and a finding says it must be moved to a function."""
    report = analyze_app(
        {
            "app.py": """
            def lambda_handler(event, context):
                if event["httpMethod"] == "GET" and event["path"] == "/health":
                    return {"statusCode": 200, "body": "ok"}
            """
        },
        handler="app.lambda_handler",
    )
    assert list(routes_of(report)) == ["GET /health"]
    assert [f.rule for f in report.findings] == ["unresolved-dispatch"]


def test_a_long_elif_chain_is_read_to_the_end(analyze_app) -> None:
    """A 1,500-route elif chain nests 1,500 levels deep: every route is still found, with no RecursionError."""
    count = 1500
    branches = "".join(
        f"    {'if' if i == 0 else 'elif'} event['path'] == '/r{i}':\n        return r{i}()\n" for i in range(count)
    )
    functions = "".join(f"def r{i}():\n    return {i}\n" for i in range(count))
    report = analyze_app(
        {"app.py": "def lambda_handler(event, context):\n" + branches + functions}, handler="app.lambda_handler"
    )
    assert len(routes_of(report)) == count


CONSTANTS = """
GET = "GET"
POST = "POST"
ITEMS = "/items"
"""


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        pytest.param(
            """
            from routes import GET, POST, ITEMS
            import routes
            ADMIN = "/admin/"
            def lambda_handler(event, context):
                method, path = event["httpMethod"], event["path"]
                if method == GET and path == ITEMS:
                    return list_orders()
                elif method == routes.POST and path in (ITEMS, "/orders"):
                    return create_order()
                elif path.startswith(ADMIN):
                    return admin()
            """,
            {
                "GET /items": "list_orders",
                "POST /items": "create_order",
                "POST /orders": "create_order",
                "ANY /admin/{proxy+}": "admin",
            },
            id="module-constants-and-imported-ones",
        ),
        pytest.param(
            """
            ITEMS = "/items"
            def lambda_handler(event, context):
                ITEMS = event["queryStringParameters"]["p"]
                if event["path"] == ITEMS:
                    return list_orders()
                if event["path"] == "/orders":
                    return create_order()
            """,
            {"ANY /orders": "create_order"},
            id="a-local-of-the-same-name-is-no-constant",
        ),
    ],
)
def test_route_literals_held_in_constants(analyze_app, app: str, expected: dict[str, str]) -> None:
    """Methods and paths compared through module-level constants (`GET = "GET"`, imported or dotted) are routes."""
    report = analyze_app(
        {"app.py": textwrap.dedent(app) + HELPERS, "routes.py": CONSTANTS}, handler="app.lambda_handler"
    )
    routes = routes_of(report)
    assert {rid: r.entry.rpartition(".")[2] for rid, r in routes.items()} == expected
