"""TableAnalyzer: routes from dict tables keyed by route key, tuple, nested path/method, or method alone."""

from __future__ import annotations

import textwrap

import pytest

from decompose.domain.iam import ValueSource
from tests.conftest import routes_of

HELPERS = """
def a(event): return 1
def b(event): return 2
def c(event): return 3
"""

CASES = [
    pytest.param(
        """
        ROUTES = {"GET /a": a, "POST /b/{id}": b}
        def lambda_handler(event, context):
            handler = ROUTES.get(f"{event['httpMethod']} {event['resource']}")
            return handler(event)
        """,
        {"GET /a": "app.a", "POST /b/{id}": "app.b"},
        id="f-string-route-key",
    ),
    pytest.param(
        """
        def lambda_handler(event, context):
            routes = {"GET /a": a, "DELETE /c": c}
            return routes[event["routeKey"]](event)
        """,
        {"GET /a": "app.a", "DELETE /c": "app.c"},
        id="local-table-on-v2-route-key",
    ),
    pytest.param(
        """
        TABLE = {("GET", "/a"): a, ("PUT", "/b"): b}
        def lambda_handler(event, context):
            method, path = event["httpMethod"], event["path"]
            return TABLE.get((method, path), c)(event)
        """,
        {"GET /a": "app.a", "PUT /b": "app.b"},
        id="tuple-keys",
    ),
    pytest.param(
        """
        TABLE = {"/a": {"GET": a, "POST": b}, "/c": {"DELETE": c}}
        def lambda_handler(event, context):
            return TABLE[event["path"]][event["httpMethod"]](event)
        """,
        {"GET /a": "app.a", "POST /a": "app.b", "DELETE /c": "app.c"},
        id="nested-path-then-method",
    ),
    pytest.param(
        """
        def lambda_handler(event, context):
            if event["path"] == "/things":
                operations = {"GET": a, "POST": b}
                return operations[event["httpMethod"]](event)
        """,
        {"GET /things": "app.a", "POST /things": "app.b"},
        id="method-only-blueprint-under-a-path-test",
    ),
    pytest.param(
        """
        ROUTES = {"GET /health": lambda event: {"statusCode": 200}, "GET /a": a}
        def lambda_handler(event, context):
            return ROUTES[event["routeKey"]](event)
        """,
        {"GET /health": "app.<lambda:1>", "GET /a": "app.a"},
        id="lambda-values",
    ),
]


@pytest.mark.parametrize(("handler", "expected"), CASES)
def test_table_routes(analyze_app, handler: str, expected: dict[str, str]) -> None:
    """Each table shape yields its routes, each entry being the table's value."""
    report = analyze_app({"app.py": textwrap.dedent(handler) + HELPERS}, handler="app.lambda_handler")
    routes = routes_of(report)
    assert {rid: r.entry for rid, r in routes.items()} == expected
    assert {r.dispatch for r in routes.values()} == {"dispatch-table"}


def test_values_imported_from_other_modules(analyze_app) -> None:
    """A table value imported from another module is that module's function, located there."""
    report = analyze_app(
        {
            "app.py": """
            import users
            from teams import list_teams as teams
            ROUTES = {"GET /users": users.list_users, "GET /teams": teams}
            def lambda_handler(event, context):
                return ROUTES[event["routeKey"]](event)
            """,
            "users.py": "def list_users(event):\n    return []\n",
            "teams.py": '"""Teams."""\n\n\ndef list_teams(event):\n    return []\n',
        },
        handler="app.lambda_handler",
    )
    routes = routes_of(report)
    assert (routes["GET /users"].entry, str(routes["GET /users"].location)) == ("users.list_users", "users.py:1")
    assert (routes["GET /teams"].entry, str(routes["GET /teams"].location)) == ("teams.list_teams", "teams.py:4")


def test_a_value_that_is_not_a_function_is_a_finding(analyze_app) -> None:
    """A table value decompose cannot resolve to project code is reported with its line."""
    report = analyze_app(
        {
            "app.py": """
            import json
            ROUTES = {"GET /a": json.dumps}
            def lambda_handler(event, context):
                return ROUTES[event["routeKey"]](event)
            """
        },
        handler="app.lambda_handler",
    )
    assert routes_of(report) == {} or "GET /a" not in routes_of(report)
    assert [(f.rule, str(f.location)) for f in report.findings] == [("unresolved-dispatch", "app.py:2")]


BOUND_METHODS = {
    "app.py": """
    from wiring import items, item, missing

    def lambda_handler(event, context):
        resources = {"/items": items, "/items/{id}": item}
        return resources.get(event["resource"], missing)(event)
    """,
    "wiring.py": """
    import os
    import boto3
    from endpoints import Items, Item

    dynamodb = boto3.client("dynamodb")
    items = Items(dynamodb, os.environ["TABLE"]).run
    item = Item(dynamodb, os.environ["TABLE"]).run
    missing = Items(dynamodb, os.environ["TABLE"]).not_found
    """,
    "endpoints.py": """
    class Endpoint:
        def __init__(self, client, table):
            self.client = client
            self.table = table
            self.methods = {}

        def run(self, event):
            return self.methods.get(event["httpMethod"], self.not_found)(event)

        def not_found(self, event):
            return {"statusCode": 404}

    class Items(Endpoint):
        def __init__(self, client, table):
            Endpoint.__init__(self, client, table)
            self.methods = {"GET": self.list_items, "POST": self.add}

        def list_items(self, event):
            return self.client.scan(TableName=self.table)

        def add(self, event):
            return self.client.put_item(TableName=self.table, Item={})

    class Item(Endpoint):
        def __init__(self, client, table):
            Endpoint.__init__(self, client, table)
            self.methods = {"DELETE": self.remove}

        def remove(self, event):
            return self.client.delete_item(TableName=self.table, Key={})
    """,
}


def test_bound_methods_of_module_level_objects_dispatch_again(analyze_app) -> None:
    """Table values that are bound methods of module-level objects, whose `run` looks up `self.methods` set in
    the subclass's `__init__`: one route per inner entry, with the client and table the constructor got."""
    routes = routes_of(analyze_app(BOUND_METHODS, handler="app.lambda_handler"))
    assert {rid: r.entry for rid, r in routes.items()} == {
        "GET /items": "endpoints.Items.list_items",
        "POST /items": "endpoints.Items.add",
        "DELETE /items/{id}": "endpoints.Item.remove",
    }
    assert {rid: {(c.operation, c.params) for c in r.calls} for rid, r in routes.items()} == {
        "GET /items": {("Scan", (("TableName", ValueSource("env", "TABLE")),))},
        "POST /items": {
            (
                "PutItem",
                (
                    ("Item", ValueSource("unknown", "not a string known statically")),
                    ("TableName", ValueSource("env", "TABLE")),
                ),
            )
        },
        "DELETE /items/{id}": {
            (
                "DeleteItem",
                (
                    ("Key", ValueSource("unknown", "not a string known statically")),
                    ("TableName", ValueSource("env", "TABLE")),
                ),
            )
        },
    }
