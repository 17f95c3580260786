"""Which route a recorded event goes to, and the event synthesized for a route without one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from decompose.analysis.inputs import InputField, InputShape
from decompose.domain.model import Location, Route, Trigger, TriggerEvent
from decompose.domain.verification import SynthesizedInput
from decompose.verification.events import Target, project_events, route_of, synthesized

NAMES = {"UploadsBucket": "shop-uploads", "JobsQueue": "shop-JobsQueue", "OrdersTable": "shop-OrdersTable"}


def _target(kind: str, method: str | None = None, path: str | None = None, source: str | None = None) -> Target:
    name = "".join(c for c in f"{kind}{method or ''}{path or source}" if c.isalnum())
    event = TriggerEvent(name, kind, method, path, source)
    trigger = Trigger(kind, method, path, source, event.name)
    return Target("F", Route(trigger, "test", "app.entry", Location("app.py", 1)), event)


TARGETS = [
    _target("Api", "GET", "/orders/{order_id}"),
    _target("Api", "GET", "/orders"),
    _target("HttpApi", "POST", "/items"),
    _target("S3", source="UploadsBucket"),
    _target("SQS", source="JobsQueue"),
]


@pytest.mark.parametrize(
    ("payload", "route"),
    [
        ({"httpMethod": "GET", "resource": "/orders/{order_id}", "path": "/orders/o-1"}, "GET /orders/{order_id}"),
        ({"httpMethod": "GET", "path": "/orders/o-1"}, "GET /orders/{order_id}"),
        ({"httpMethod": "GET", "path": "/orders"}, "GET /orders"),
        ({"httpMethod": "DELETE", "path": "/orders"}, None),
        (
            {
                "version": "2.0",
                "routeKey": "POST /items",
                "rawPath": "/items",
                "requestContext": {"http": {"method": "POST"}},
            },
            "POST /items",
        ),
        ({"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "shop-uploads"}}}]}, "S3 UploadsBucket"),
        (
            {"Records": [{"eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:shop-JobsQueue"}]},
            "SQS JobsQueue",
        ),
        ({"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "another-bucket"}}}]}, None),
    ],
)
def test_a_recorded_event_goes_to_the_route_of_its_trigger(payload: dict[str, Any], route: str | None) -> None:
    """REST by method and resource (or path against the template), HTTP API by route key, records by source."""
    found = route_of(payload, TARGETS, NAMES)
    assert (found.route.id if found else None) == route


def test_the_events_folder_is_read_and_what_is_left_out_is_noted(tmp_path: Path) -> None:
    """A file named after a template event goes to its route; a broken file or one no extracted route takes
    is a note, not a crash and not silence."""
    (tmp_path / f"{TARGETS[1].route.trigger.event}.json").write_text(json.dumps({"anything": 1}), encoding="utf-8")
    (tmp_path / "Other.json").write_text(json.dumps({"httpMethod": "GET", "path": "/orders/o-9"}), encoding="utf-8")
    (tmp_path / "Broken.json").write_text("{", encoding="utf-8")
    (tmp_path / "Kept.json").write_text(json.dumps({"httpMethod": "DELETE", "path": "/orders"}), encoding="utf-8")
    (tmp_path / "decompose-seed.json").write_text("{}", encoding="utf-8")
    events, notes = project_events(tmp_path, TARGETS, NAMES, "events")
    assert [(e.name, e.route, e.file) for e in events] == [
        ("ApiGETorders", "GET /orders", "events/ApiGETorders.json"),
        ("Other", "GET /orders/{order_id}", "events/Other.json"),
    ]
    assert len(notes) == 2
    assert notes[0].startswith("events/Broken.json: not a JSON event")
    assert notes[1] == "events/Kept.json: no extracted route takes it (its route stays in the monolith?); not run"


def test_a_synthesized_http_event_has_concrete_path_parameters_from_the_seed() -> None:
    """The path parameter takes the seed's value for an attribute of that name, so the route finds its item."""
    seed = {"items": [{"table": "t", "item": {"order_id": "ord-1001"}}]}
    event = synthesized(TARGETS[0], NAMES, seed)
    assert event is not None
    assert event.origin == "synthesized"
    assert event.payload["path"] == "/orders/ord-1001"
    assert event.payload["pathParameters"] == {"order_id": "ord-1001"}
    assert event.payload["resource"] == "/orders/{order_id}"


def test_a_synthesized_s3_event_names_the_seeded_object() -> None:
    """An S3 record names the world's bucket and the seed's first object in it."""
    seed = {"objects": [{"bucket": "shop-uploads", "key": "uploads/c.csv"}]}
    event = synthesized(TARGETS[3], NAMES, seed)
    assert event is not None
    record = event.payload["Records"][0]
    assert record["s3"]["bucket"]["name"] == "shop-uploads"
    assert record["s3"]["object"]["key"] == "uploads/c.csv"
    assert route_of(event.payload, TARGETS, NAMES) == TARGETS[3]


def _shaped(kind: str, method: str, path: str, shape: InputShape, catch_all: bool = False) -> Target:
    target = _target(kind, method, path)
    return Target(target.function, target.route, target.event, catch_all=catch_all, shape=shape)


ORDER_SHAPE = InputShape(
    body=InputField(
        "object",
        keys=(
            ("customer_id", InputField()),
            ("items", InputField("list", element=InputField("object", keys=(("qty", InputField("int")),)))),
            ("status", InputField("string", choices=("PENDING",))),
            ("total", InputField("number")),
            ("note", InputField("string")),
        ),
    ),
    query=(("limit", InputField("int")), ("q", InputField())),
    multi_query=(("tag", InputField()),),
)
SEED = {"items": [{"table": "t", "item": {"customer_id": "cus-7", "order_id": "ord-1001"}}]}


def test_a_synthesized_rest_event_carries_the_body_and_query_its_code_reads() -> None:
    """Keys the code reads, each with a compared literal, a seed value of its name, or a value of its kind;
    the query in both the single- and multi-value maps; the event's input says what was synthesized."""
    event = synthesized(_shaped("Api", "POST", "/orders", ORDER_SHAPE), NAMES, SEED)
    assert event is not None
    assert json.loads(event.payload["body"]) == {
        "customer_id": "cus-7",
        "items": [{"qty": 1}],
        "status": "PENDING",
        "total": 1,
        "note": "note-1",
    }
    assert event.payload["queryStringParameters"] == {"limit": "1", "q": "q-1", "tag": "tag-1"}
    assert event.payload["multiValueQueryStringParameters"] == {"limit": ["1"], "q": ["q-1"], "tag": ["tag-1"]}
    assert event.input == SynthesizedInput(
        ("customer_id", "items", "items[].qty", "status", "total", "note"), ("limit", "q", "tag[]"), None
    )


def test_a_synthesized_http_api_event_has_a_raw_query_string_and_the_body() -> None:
    """Payload 2.0: `rawQueryString` and comma-joined `queryStringParameters`, also behind `$default`."""
    event = synthesized(_shaped("HttpApi", "POST", "/orders", ORDER_SHAPE, catch_all=True), NAMES, SEED)
    assert event is not None
    assert event.payload["routeKey"] == "$default"
    assert event.payload["rawQueryString"] == "limit=1&q=q-1&tag=tag-1"
    assert event.payload["queryStringParameters"] == {"limit": "1", "q": "q-1", "tag": "tag-1"}
    assert json.loads(event.payload["body"])["items"] == [{"qty": 1}]


def test_a_body_route_whose_reads_are_not_seen_says_so() -> None:
    """A POST whose code reads no body the reader sees keeps `{}`, and its input says why; so does what the
    reader could not follow."""
    unseen = synthesized(_shaped("Api", "POST", "/orders", InputShape()), NAMES, {})
    passed = InputShape(body=InputField("object"), unfollowed=("src/app.py:6: the request body is passed to load()",))
    hidden = synthesized(_shaped("Api", "POST", "/orders", passed), NAMES, {})
    assert unseen is not None
    assert hidden is not None
    assert unseen.payload["body"] == "{}"
    assert unseen.input is not None
    assert unseen.input.unknown == "its reach reads no request body decompose can see: the body is {}"
    assert hidden.input is not None
    assert hidden.input.unknown == "src/app.py:6: the request body is passed to load()"


def test_authorizer_claims_and_headers_the_code_reads_are_added_never_replaced() -> None:
    """`requestContext.authorizer.jwt.claims.sub` and an `x-api-key` header are added; the event's own
    `requestContext.http.method` and `content-type` are kept as they are."""
    context = InputField(
        "object",
        keys=(
            ("authorizer", InputField("object", keys=(
                ("jwt", InputField("object", keys=(("claims", InputField("object", keys=(("sub", InputField()),))),))),
            ))),
            ("http", InputField("object", keys=(("method", InputField("string", choices=("DELETE",))),))),
        ),
    )  # fmt: skip
    headers = (("x-api-key", InputField()), ("Content-Type", InputField()))
    shape = InputShape(context=context, headers=headers)
    event = synthesized(_shaped("HttpApi", "GET", "/orders", shape), NAMES, {"items": [{"item": {"sub": "u-1"}}]})
    assert event is not None
    assert event.payload["requestContext"]["authorizer"] == {"jwt": {"claims": {"sub": "u-1"}}}
    assert event.payload["requestContext"]["http"]["method"] == "GET"
    assert event.payload["headers"] == {
        "content-type": "application/json",
        "accept": "application/json",
        "x-api-key": "x-api-key-1",
    }
    assert event.input is not None
    assert event.input.context == ("authorizer.jwt.claims.sub",)
    assert event.input.headers == ("x-api-key",)
