"""Generated handlers on small dispatchers written inline: what the slice keeps, drops, copies and imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from decompose.domain.plan import GENERATED_MARKER, FunctionPlan, GeneratedHandler, Plan
from decompose.generation.handlers import (
    HandlerError,
    check_module_name,
    docstring_lines,
    docstring_text,
    generate_handlers,
    module_path,
    snake_name,
)
from decompose.pipeline import analyze
from tests.conftest import sam_template, write_app


def handler_for(tmp_path: Path, sources: dict[str, str], events: str, route: str) -> GeneratedHandler:
    """The handler generated for one function serving `route` of the app written from `sources`."""
    write_app(tmp_path, {"template.yaml": sam_template(events), **{f"src/{k}": v for k, v in sources.items()}})
    monolith = analyze(tmp_path, iam=False).functions[0]
    plan = Plan("ApiFunction", (FunctionPlan("OneFunction", (route,), extract=True),))
    (handler,) = generate_handlers(tmp_path / "src", monolith.spec, plan, project_root=tmp_path)
    return handler


REST_EVENTS = """
ListItems:
  Type: Api
  Properties: {Path: /items, Method: get}
GetItem:
  Type: Api
  Properties: {Path: "/items/{id}", Method: get}
"""

IF_CHAIN = """
import re

import items
from errors import BadRequest, respond

ITEM = re.compile(r"/items/(?P<id>[^/]+)")


def lambda_handler(event, context):
    method = event.get("httpMethod")
    path = event["path"].rstrip("/")
    try:
        if method == "GET" and path == "/items":
            return items.list_items(event)
        elif method == "GET" and (match := ITEM.fullmatch(path)):
            return items.get_item(match["id"])
        else:
            return respond(404, "no route")
    except BadRequest as exc:
        return respond(400, str(exc))
"""

SUPPORT = {
    "items.py": "def list_items(event):\n    return []\n\n\ndef get_item(item_id):\n    return item_id\n",
    "errors.py": (
        "class BadRequest(Exception):\n    pass\n\n\ndef respond(code, body):\n    return {'statusCode': code}\n"
    ),
}


def test_if_chain_slice_keeps_preprocessing_error_handling_and_fallback(tmp_path: Path) -> None:
    """The other route's branch goes; path normalisation, the try/except and the fallback stay."""
    handler = handler_for(tmp_path, {"app.py": IF_CHAIN, **SUPPORT}, REST_EVENTS, "GET /items/{id}")
    text = handler.text
    assert text.startswith(f'"""{GENERATED_MARKER}')
    assert "list_items" not in text
    assert 'items.get_item(match["id"])' in text
    assert 'path = event["path"].rstrip("/")' in text
    assert "except BadRequest as exc:" in text
    assert 'respond(404, "no route")' in text
    assert 'ITEM = re.compile(r"/items/(?P<id>[^/]+)")' in text, "the handler module's constants are copied"
    assert "import app" not in text
    assert "from app " not in text
    assert handler.path == "handlers/one.py"
    assert handler.handler == "handlers.one.lambda_handler"
    compile(text, handler.path, "exec")


def test_other_route_slice_drops_the_compiled_pattern_and_unused_safe_locals(tmp_path: Path) -> None:
    """A pattern only other branches use is not copied; `event.get(...)` locals the slice no longer reads go,
    a subscript that may raise stays (marked for ruff)."""
    handler = handler_for(tmp_path, {"app.py": IF_CHAIN, **SUPPORT}, REST_EVENTS, "GET /items")
    assert "ITEM" not in handler.text
    assert "import re" not in handler.text
    assert 'method = event.get("httpMethod")' in handler.text, "still read by the kept test"


MATCH = """
import items


def lambda_handler(event, context):
    match event["routeKey"]:
        case "GET /items":
            return items.list_items(event)
        case "GET /items/{id}":
            return items.get_item(event["pathParameters"]["id"])
    kind = event["requestContext"]["http"]["method"]
    return {"statusCode": 404}
"""

HTTP_EVENTS = """
ListItems:
  Type: HttpApi
  Properties: {Path: /items, Method: get}
GetItem:
  Type: HttpApi
  Properties: {Path: "/items/{id}", Method: get}
"""


def test_match_cases_of_other_routes_go_and_a_raising_local_stays(tmp_path: Path) -> None:
    """A `match` keeps only the function's cases; an unused local whose read may raise stays with a noqa."""
    handler = handler_for(tmp_path, {"app.py": MATCH, **SUPPORT}, HTTP_EVENTS, "GET /items")
    tree = ast.parse(handler.text)
    (match,) = [n for n in ast.walk(tree) if isinstance(n, ast.Match)]
    assert len(match.cases) == 1
    assert "get_item" not in handler.text
    assert 'kind = event["requestContext"]["http"]["method"]  # noqa: F841' in handler.text


TABLE = """
import items

ROUTES = {
    "GET /items": items.list_items,
    "GET /items/{id}": items.get_item,
}


def lambda_handler(event, context):
    route = ROUTES.get(f"{event['httpMethod']} {event['resource']}")
    if route is None:
        return {"statusCode": 404}
    return route(event)
"""


def test_dispatch_table_keeps_only_the_function_entries(tmp_path: Path) -> None:
    """The table is copied with only the function's entries."""
    handler = handler_for(tmp_path, {"app.py": TABLE, **SUPPORT}, REST_EVENTS, "GET /items")
    assert 'ROUTES = {"GET /items": items.list_items}' in handler.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("GET /a", "GET /a"),
        ('GET /x"""; import os', 'GET /x\\"\\"\\"; import os'),
        ("GET /a\\b\nc", "GET /a\\\\b\\nc"),
    ],
)
def test_route_strings_are_escaped_inside_the_docstring(value: str, expected: str) -> None:
    """Quotes, backslashes and newlines in a route cannot end the docstring or change the code."""
    assert docstring_text(value) == expected
    assert ast.literal_eval('"""' + docstring_lines(value * 20) + '"""') == value * 20


@pytest.mark.parametrize(
    ("logical_id", "snake"),
    [
        ("GetOrderFunction", "get_order"),
        ("ListAPIKeys", "list_api_keys"),
        ("ImportFunction", "import_"),
        ("Function", "function"),
    ],
)
def test_module_names_come_from_logical_ids(logical_id: str, snake: str) -> None:
    """Logical ids become identifiers (keywords get a trailing underscore)."""
    assert snake_name(logical_id) == snake


@pytest.mark.parametrize("name", ["../escape", "handlers..x", "handlers/x", "class.x", "", "handlers.1x"])
def test_unsafe_handler_module_names_are_refused(name: str) -> None:
    """A plan's handler module cannot escape the code root or be an invalid module name."""
    with pytest.raises(HandlerError):
        check_module_name(name)


def test_module_path_is_under_the_code_root() -> None:
    """A dotted module maps to a relative path with no `..`."""
    assert module_path("handlers.get_order") == "handlers/get_order.py"


POWERTOOLS = """
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

app = APIGatewayRestResolver()


@app.get("/items")
def list_items():
    return {"items": []}


@app.get("/items/<item_id>")
def get_item(item_id):
    return {"id": item_id}


@app.exception_handler(ValueError)
def bad_request(error):
    return Response(status_code=400, body=str(error))


@app.not_found
def missing(error):
    return Response(status_code=404, body="no such route")


def lambda_handler(event, context):
    return app.resolve(event, context)
"""


def test_resolver_hooks_are_kept_with_the_resolver(tmp_path: Path) -> None:
    """Exception and not-found handlers registered on the kept resolver are kept (the same error handling;
    found on a public Powertools app), other routes' views are not."""
    handler = handler_for(tmp_path, {"app.py": POWERTOOLS}, REST_EVENTS, "GET /items")
    assert "@app.exception_handler(ValueError)" in handler.text
    assert "@app.not_found" in handler.text
    assert "def get_item" not in handler.text
    assert '@app.get("/items")' in handler.text, "a view not moved yet is copied with its registration"
