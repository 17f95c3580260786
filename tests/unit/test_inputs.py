"""read_input_shape: the JSON body keys and query parameters a route's code reads, per reader style."""

from __future__ import annotations

from pathlib import Path

from decompose.analysis.codebase import load_codebase
from decompose.analysis.inputs import InputField, InputShape, read_input_shape
from decompose.pipeline import analyze
from tests.conftest import routes_of, write_app


def _shapes(tmp_path: Path, sources: dict[str, str], handler: str = "app.lambda_handler") -> dict[str, InputShape]:
    """Route id -> the input shape its code reads, for an app of `sources` under src/ (no template)."""
    write_app(tmp_path, {f"src/{k}": v for k, v in sources.items()})
    report = analyze(tmp_path / "src", iam=False, handler=handler)
    graph = load_codebase(tmp_path / "src", tmp_path).graph
    return {rid: read_input_shape(graph, handler, route) for rid, route in routes_of(report).items()}


def _field(shape: InputShape, dotted: str) -> InputField:
    """The body field at `a.b` (`items[]` for a list's element)."""
    node = shape.body
    assert node is not None
    for step in dotted.split("."):
        name = step.removesuffix("[]")
        node = dict(node.keys)[name] if name else node
        if step.endswith("[]"):
            assert node.element is not None
            node = node.element
    return node


REST = {
    "app.py": """
    import json
    from decimal import Decimal

    import orders

    def lambda_handler(event, context):
        method = event["httpMethod"]
        path = event["path"]
        if method == "POST" and path == "/orders":
            return orders.create(event)
        if method == "GET" and path == "/orders":
            return orders.search(event)
        return {"statusCode": 404}
    """,
    "orders.py": """
    import json
    from decimal import Decimal

    STATUSES = ("PENDING", "PAID")

    def _body(event):
        raw = event.get("body") or "{}"
        return json.loads(raw, parse_float=Decimal)

    def _require(payload, fields):
        missing = [name for name in fields if payload.get(name) in (None, "")]
        if missing:
            raise ValueError(missing)

    def _param(event, name):
        return (event.get("queryStringParameters") or {}).get(name)

    def _lines(raw_lines):
        if not isinstance(raw_lines, list):
            raise ValueError("items")
        return [int(line["qty"]) for line in raw_lines]

    def create(event):
        body = _body(event)
        _require(body, ("customer", "items"))
        if str(body["status"]).upper() not in STATUSES:
            return {"statusCode": 400}
        city = body["address"]["city"].lower()
        total = Decimal(str(body.get("total")))
        return {"statusCode": 201, "body": json.dumps([city, str(total), _lines(body["items"])])}

    def search(event):
        q = event["queryStringParameters"]["q"]
        limit = int(_param(event, "limit") or 10)
        tags = event["multiValueQueryStringParameters"]["tag"]
        return {"statusCode": 200, "body": json.dumps([q, limit, tags])}
    """,
}


def test_a_rest_route_reads_its_body_through_helpers_locals_and_loops(tmp_path: Path) -> None:
    """json.loads of the raw body in a helper, keys from a literal tuple a helper loops over, nested keys,
    list elements passed to another helper, and each value's kind from its use."""
    shape = _shapes(tmp_path, REST)["POST /orders"]
    assert shape.body_keys == ("address", "address.city", "customer", "items", "items[].qty", "status", "total")
    assert _field(shape, "address").kind == "object"
    assert _field(shape, "address.city").kind == "string"
    assert _field(shape, "items").kind == "list"
    assert _field(shape, "items[].qty").kind == "int"
    assert _field(shape, "total").kind == "number"
    assert _field(shape, "status").choices == ("PENDING",)  # a member of the module constant it must be in
    assert shape.query == ()
    assert shape.unfollowed == ()


def test_a_rest_route_reads_query_parameters_single_and_multi_valued(tmp_path: Path) -> None:
    """Subscripted and `.get` through `or {}` in a helper called with the name; multiValue parameters."""
    shape = _shapes(tmp_path, REST)["GET /orders"]
    assert shape.body is None
    query = dict(shape.query)
    assert sorted(query) == ["limit", "q"]
    assert query["limit"].kind == "int"
    assert [name for name, _ in shape.multi_query] == ["tag"]


def test_a_body_passed_to_code_outside_the_project_is_said(tmp_path: Path) -> None:
    """The reader does not guess what a schema library or a constructor takes: a note with file:line names
    each call."""
    shapes = _shapes(
        tmp_path,
        {
            "app.py": """
            import json
            from marshmallow import Schema
            from models import Order

            def lambda_handler(event, context):
                body = json.loads(event["body"])
                order = Schema().load(body)
                return {"statusCode": 200, "body": json.dumps(Order(**body))}
            """
        },
    )
    (shape,) = shapes.values()
    assert shape.body is not None
    assert shape.body_keys == ()
    assert shape.unfollowed == (
        "src/app.py:7: the request body is passed to load(), which decompose does not read",
        "src/app.py:8: the request body is unpacked into Order(**...)",
    )


def test_powertools_json_body_and_query_string_value(tmp_path: Path) -> None:
    """`app.current_event.json_body` is the body, `get_query_string_value("x")` a query parameter."""
    shapes = _shapes(
        tmp_path,
        {
            "app.py": """
            from aws_lambda_powertools.event_handler import APIGatewayRestResolver

            app = APIGatewayRestResolver()

            @app.post("/orders")
            def create_order():
                body = app.current_event.json_body
                return {"customer": body["customer"], "qty": int(body.get("qty", 1))}

            @app.get("/orders")
            def list_orders():
                page = app.current_event.get_query_string_value("page", "1")
                size = app.current_event.query_string_parameters.get("size")
                return {"page": int(page), "size": size}

            def lambda_handler(event, context):
                return app.resolve(event, context)
            """
        },
    )
    created, listed = shapes["POST /orders"], shapes["GET /orders"]
    assert created.body_keys == ("customer", "qty")
    assert _field(created, "qty").kind == "int"
    assert created.styles == ("powertools",)
    assert [name for name, _ in listed.query] == ["page", "size"]
    assert dict(listed.query)["page"].kind == "int"


def test_flask_get_json_and_request_args(tmp_path: Path) -> None:
    """`request.get_json()` and `request.json` are the body, `request.args` the query."""
    shapes = _shapes(
        tmp_path,
        {
            "app.py": """
            import serverless_wsgi
            from flask import Flask, request

            app = Flask(__name__)

            @app.post("/notes")
            def create_note():
                text = request.get_json()["text"]
                return {"text": text.strip(), "pinned": request.json.get("pinned") == True}

            @app.get("/notes")
            def list_notes():
                return {"q": request.args.get("q"), "tags": request.args.getlist("tag")}

            def handler(event, context):
                return serverless_wsgi.handle_request(app, event, context)
            """
        },
        handler="app.handler",
    )
    created, listed = shapes["POST /notes"], shapes["GET /notes"]
    assert created.body_keys == ("pinned", "text")
    assert _field(created, "text").kind == "string"
    assert created.styles == ("flask",)
    assert [name for name, _ in listed.query] == ["q"]
    assert [name for name, _ in listed.multi_query] == ["tag"]


def test_chalice_json_body_and_query_params(tmp_path: Path) -> None:
    """`app.current_request.json_body` is the body (through `or {}`), `query_params` the query."""
    shapes = _shapes(
        tmp_path,
        {
            "app.py": """
            from chalice import Chalice

            app = Chalice(app_name="books")

            @app.route("/books", methods=["POST"])
            def add_book():
                body = app.current_request.json_body or {}
                if "title" not in body:
                    return {"error": "title"}
                return {"title": body["title"], "year": int(body.get("year", 2000))}

            @app.route("/books")
            def list_books():
                params = app.current_request.query_params or {}
                return {"author": params.get("author")}
            """
        },
        handler="app.app",
    )
    added, listed = shapes["POST /books"], shapes["GET /books"]
    assert added.body_keys == ("title", "year")
    assert _field(added, "year").kind == "int"
    assert added.styles == ("chalice",)
    assert [name for name, _ in listed.query] == ["author"]


def test_fastapi_model_fields_and_query_parameters(tmp_path: Path) -> None:
    """A pydantic model parameter is the body (its annotated fields, a nested model, a list of models);
    scalar and `Query()` parameters outside the path are the query; a path parameter is neither."""
    shapes = _shapes(
        tmp_path,
        {
            "app.py": """
            from fastapi import FastAPI, Query
            from mangum import Mangum
            from pydantic import BaseModel

            class Line(BaseModel):
                sku: str
                qty: int

            class Address(BaseModel):
                city: str

            class Order(BaseModel):
                customer: str
                priority: bool = False
                address: Address | None = None
                lines: list[Line]
                tags: list[str] = []

            app = FastAPI()

            @app.post("/shops/{shop_id}/orders")
            def create_order(shop_id: str, order: Order):
                return {"shop": shop_id, "customer": order.customer}

            @app.get("/orders")
            def list_orders(limit: int = 10, status: str = Query("open")):
                return []

            handler = Mangum(app)
            """
        },
        handler="app.handler",
    )
    created, listed = shapes["POST /shops/{shop_id}/orders"], shapes["GET /orders"]
    assert created.body_keys == (
        "address", "address.city", "customer", "lines", "lines[].qty", "lines[].sku", "priority", "tags",
    )  # fmt: skip
    assert _field(created, "lines[].qty").kind == "int"
    assert _field(created, "priority").kind == "bool"
    assert _field(created, "tags").kind == "list"
    assert created.query == ()
    assert sorted(name for name, _ in listed.query) == ["limit", "status"]
    assert dict(listed.query)["limit"].kind == "int"


def test_a_body_passed_to_a_project_class_method_is_followed(tmp_path: Path) -> None:
    """`Repository().add(body)` reads the method; `self._check(item)` inside it, and a parameter annotated
    with the class (`repo: Repository`), too."""
    shapes = _shapes(
        tmp_path,
        {
            "app.py": """
            import json

            from repository import Repository

            def lambda_handler(event, context):
                body = json.loads(event["body"])
                Repository().add(body)
                return _audit(Repository(), body)

            def _audit(repo: Repository, body):
                return repo.trail(body["actor"])
            """,
            "repository.py": """
            class Repository:
                def add(self, item):
                    self._check(item)
                    return {"sku": item["sku"]}

                def _check(self, item):
                    if int(item["qty"]) < 1:
                        raise ValueError("qty")

                def trail(self, actor):
                    return actor.lower()
            """,
        },
    )
    (shape,) = shapes.values()
    assert shape.body_keys == ("actor", "qty", "sku")
    assert _field(shape, "qty").kind == "int"
    assert _field(shape, "actor").kind == "string"


def test_headers_and_authorizer_claims_are_read(tmp_path: Path) -> None:
    """`event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"]` in a helper, and a header."""
    shapes = _shapes(
        tmp_path,
        {
            "app.py": """
            def _caller(event):
                claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
                return claims["sub"]

            def lambda_handler(event, context):
                if event.get("headers", {}).get("x-api-key") != "k-1":
                    return {"statusCode": 403}
                return {"statusCode": 200, "body": _caller(event)}
            """
        },
    )
    (shape,) = shapes.values()
    assert shape.context_keys == ("authorizer.jwt.claims.sub",)
    assert [(name, node.choices) for name, node in shape.headers] == [("x-api-key", ("k-1",))]


def test_arithmetic_makes_a_number_and_character_iteration_a_string(tmp_path: Path) -> None:
    """`Decimal(...) * line["quantity"]` and `count += body["extra"]` make numbers; `ord(c) for c in title`
    and `for c in name.lower()` iterate a string, not a list; `"a" + x` says nothing."""
    shapes = _shapes(
        tmp_path,
        {
            "app.py": """
            import json
            from decimal import Decimal

            def lambda_handler(event, context):
                body = json.loads(event["body"])
                net = sum(Decimal(str(line["price"])) * line["quantity"] for line in body["lines"])
                count = 0
                count += body["extra"]
                code = sum(ord(c) for c in body["title"])
                initials = [c for c in body["name"].lower()]
                label = "order " + body["label"]
                return {"statusCode": 200, "body": json.dumps([str(net), count, code, initials, label])}
            """
        },
    )
    (shape,) = shapes.values()
    kinds = {key: _field(shape, key).kind for key in shape.body_keys}
    assert kinds == {
        "extra": "number",
        "label": "any",
        "lines": "list",
        "lines[].price": "number",
        "lines[].quantity": "number",
        "name": "string",
        "title": "string",
    }
