"""Reach: exactly the definitions, modules and distributions a route needs, nothing another route alone needs."""

from __future__ import annotations

from tests.conftest import routes_of

ROUTER = """
import orders
import reports

def lambda_handler(event, context):
    if event["httpMethod"] == "GET" and event["path"] == "/orders":
        return orders.list_orders()
    if event["httpMethod"] == "GET" and event["path"] == "/report":
        return reports.build()
"""


def _reach(analyze_app, files: dict[str, str], route: str = "GET /orders"):
    report = analyze_app({"app.py": ROUTER, **files}, handler="app.lambda_handler")
    return routes_of(report)[route].reach


def test_module_level_client_and_lazy_factory_are_reached(analyze_app) -> None:
    """A module-level client and a cached factory both join the reach of the route that uses them."""
    reach = _reach(
        analyze_app,
        {
            "orders.py": """
            import functools
            import boto3
            TABLE = boto3.resource("dynamodb").Table("t")
            UNUSED = boto3.client("sqs")

            @functools.cache
            def s3():
                return boto3.client("s3")

            def list_orders():
                s3().list_buckets()
                return TABLE.scan()
            """,
            "reports.py": "def build(): return 1\n",
        },
    )
    assert reach.definitions == ("orders.TABLE", "orders.list_orders", "orders.s3")
    assert reach.distributions == ("boto3",)
    assert reach.modules == ("orders",)


def test_methods_are_reached_by_the_attributes_used(analyze_app) -> None:
    """Instantiating a class reaches __init__ and the methods the route calls, not the others."""
    reach = _reach(
        analyze_app,
        {
            "orders.py": """
            from repo import Repo

            def list_orders():
                repo = Repo()
                return repo.find()
            """,
            "repo.py": """
            class Base:
                def find(self):
                    return self._query()
                def _query(self):
                    return []
                def delete(self):
                    return None

            class Repo(Base):
                def __init__(self):
                    self.items = []
                def save(self):
                    return None
            """,
            "reports.py": "def build(): return 1\n",
        },
    )
    assert reach.definitions == (
        "orders.list_orders",
        "repo.Base",
        "repo.Base._query",
        "repo.Base.find",
        "repo.Repo",
        "repo.Repo.__init__",
    )


def test_heavy_import_only_reaches_the_route_that_uses_it(analyze_app) -> None:
    """A third-party import at the top of a module counts only for routes whose code uses it."""
    files = {
        "orders.py": "def list_orders(): return []\n",
        "reports.py": """
        from fpdf import FPDF
        import json

        def build():
            return FPDF()

        def summary():
            return json.dumps({})
        """,
        "requirements.txt": "fpdf2>=2.7\nboto3\n",
    }
    assert _reach(analyze_app, files, "GET /report").distributions == ("fpdf2",)
    assert _reach(analyze_app, files, "GET /orders").distributions == ()


def test_packages_relative_star_and_local_imports(analyze_app) -> None:
    """Relative imports, re-exports through __init__, star imports and function-local imports all resolve."""
    reach = _reach(
        analyze_app,
        {
            "orders.py": """
            from common import respond

            def list_orders():
                from common.db import query
                return respond(query())
            """,
            "common/__init__.py": "from .responses import respond\n",
            "common/responses.py": """
            from .encoding import *

            def respond(body):
                return encode(body)
            """,
            "common/encoding.py": """
            import json
            def encode(body):
                return json.dumps(body)
            def _private():
                return None
            """,
            "common/db.py": "def query(): return []\n",
            "reports.py": "def build(): return 1\n",
        },
    )
    assert reach.definitions == (
        "common.db.query",
        "common.encoding.encode",
        "common.responses.respond",
        "orders.list_orders",
    )
    assert reach.modules == ("common", "common.db", "common.encoding", "common.responses", "orders")


def test_decorators_defaults_and_bare_module_statements_are_reached(analyze_app) -> None:
    """Decorators and default values run at import; so do bare statements of reached modules."""
    reach = _reach(
        analyze_app,
        {
            "orders.py": """
            import logging
            from tracing import traced, DEFAULT_LIMIT, setup

            setup()

            @traced
            def list_orders(limit=DEFAULT_LIMIT):
                return []
            """,
            "tracing.py": """
            DEFAULT_LIMIT = 10
            def traced(fn):
                return fn
            def setup():
                return None
            def unrelated():
                return None
            """,
            "reports.py": "def build(): return 1\n",
        },
    )
    assert reach.definitions == (
        "orders.list_orders",
        "tracing.DEFAULT_LIMIT",
        "tracing.setup",
        "tracing.traced",
    )


def test_the_response_helper_of_the_dispatch_branch_joins_the_reach(analyze_app) -> None:
    """`return respond(200, list_orders())`: the entry is list_orders, and respond is part of its reach."""
    report = analyze_app(
        {
            "app.py": """
            from helpers import respond, list_orders, build

            def lambda_handler(event, context):
                if event["path"] == "/orders":
                    return respond(200, list_orders())
                if event["path"] == "/report":
                    return respond(200, build())
                return respond(404, None)
            """,
            "helpers.py": """
            def respond(code, body): return {"statusCode": code, "body": body}
            def list_orders(): return []
            def build(): return {}
            """,
        },
        handler="app.lambda_handler",
    )
    route = routes_of(report)["ANY /orders"]
    assert route.entry == "helpers.list_orders"
    assert route.reach.definitions == ("helpers.list_orders", "helpers.respond")


def test_dynamic_constructs_are_findings_with_the_route(analyze_app) -> None:
    """getattr with a computed name, eval and importlib with a computed module are reported, not dropped; with
    literal names they are followed like imports."""
    report = analyze_app(
        {
            "app.py": ROUTER,
            "orders.py": """
            import importlib
            import actions

            def list_orders(name="x"):
                getattr(actions, name)()
                eval(name)
                importlib.import_module(name)
                getattr(actions, "known")()
                getattr(importlib.import_module("plugins.impl"), "Impl")().run()
                return []
            """,
            "actions.py": "def known(): return 1\n",
            "plugins/__init__.py": "",
            "plugins/impl.py": "class Impl:\n    def run(self): return 1\n",
            "reports.py": "def build(): return 1\n",
        },
        handler="app.lambda_handler",
    )
    dynamic = [(f.rule, str(f.location), f.route) for f in report.findings if f.rule == "unresolved-dynamic"]
    assert dynamic == [
        ("unresolved-dynamic", "orders.py:5", "GET /orders"),
        ("unresolved-dynamic", "orders.py:6", "GET /orders"),
        ("unresolved-dynamic", "orders.py:7", "GET /orders"),
    ]
    assert "actions" in routes_of(report)["GET /orders"].reach.modules
    assert "plugins.impl.Impl.run" in routes_of(report)["GET /orders"].reach.definitions  # literal names: followed
