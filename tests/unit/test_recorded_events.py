"""`loading.events`: the project's recorded events, and the route of the monolith each one triggers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decompose.domain.model import Location, Route, Trigger
from decompose.loading.events import RecordedEvent, read_events, route_of


def _http(route_id: str, event: str = "E") -> Route:
    method, path = route_id.split(" ", 1)
    return Route(Trigger("Api", method=method, path=path, event=event), "if-chain", "app.f", Location("app.py"))


def _source(kind: str, source: str, event: str) -> Route:
    return Route(Trigger(kind, source=source, event=event), "records", "app.f", Location("app.py"))


ROUTES = (
    _http("GET /orders"),
    _http("GET /orders/{order_id}"),
    _http("GET /orders/latest"),
    _http("ANY /admin/{proxy+}"),
    _source("S3", "UploadsBucket", "UploadCatalogue"),
    _source("SQS", "JobsQueue", "Jobs"),
    _source("SQS", "OtherQueue", "Other"),
    _source("Schedule", "rate(1 hour)", "Hourly"),
)


@pytest.mark.parametrize(
    ("name", "payload", "expected"),
    [
        ("a", {"httpMethod": "GET", "resource": "/orders/{order_id}", "path": "/orders/o-1"}, "GET /orders/{order_id}"),
        ("a", {"httpMethod": "GET", "path": "/orders/o-1"}, "GET /orders/{order_id}"),
        ("a", {"httpMethod": "GET", "path": "/orders/latest"}, "GET /orders/latest"),  # a literal beats a parameter
        ("a", {"httpMethod": "GET", "path": "/orders/"}, "GET /orders"),
        ("a", {"httpMethod": "DELETE", "path": "/admin/users/7"}, "ANY /admin/{proxy+}"),
        ("a", {"httpMethod": "POST", "path": "/orders"}, None),  # no such route: left out, never guessed
        ("a", {"routeKey": "GET /orders", "rawPath": "/x"}, "GET /orders"),
        (
            "a",
            {"routeKey": "$default", "rawPath": "/orders/o-2", "requestContext": {"http": {"method": "get"}}},
            "GET /orders/{order_id}",
        ),
        ("a", {"Records": [{"eventSource": "aws:s3"}]}, "S3 UploadsBucket"),
        ("Jobs", {"Records": [{"eventSource": "aws:sqs"}]}, "SQS JobsQueue"),  # two queues: the file's name decides
        ("Nope", {"Records": [{"eventSource": "aws:sqs"}]}, None),
        ("a", {"detail-type": "Scheduled Event"}, "Schedule rate(1 hour)"),
        ("a", {"anything": 1}, None),
    ],
)
def test_route_of_reads_the_route_from_the_event(name: str, payload: dict, expected: str | None) -> None:
    """An event goes to the route API Gateway or its event source would route it to, or to none."""
    route = route_of(RecordedEvent(name, f"events/{name}.json", payload), ROUTES)
    assert (route.id if route else None) == expected


def test_read_events_pairs_responses_and_reports_bad_files(tmp_path: Path) -> None:
    """Events are read in name order with the status recorded beside them; a file that is not a JSON object
    is a warning at its line, and nothing else is read from it."""
    events = tmp_path / "events"
    events.mkdir()
    (events / "b.json").write_text(json.dumps({"httpMethod": "GET"}))
    (events / "b.response.json").write_text(json.dumps({"statusCode": 201}))
    (events / "a.json").write_text(json.dumps({"Records": []}))
    (events / "broken.json").write_text('{\n  "a": 1,\n}\n')
    (events / "list.json").write_text("[1, 2]")
    found, findings = read_events(tmp_path)
    assert [(e.name, e.path, e.status) for e in found] == [("a", "events/a.json", None), ("b", "events/b.json", 201)]
    assert [(f.rule, f.location.path, f.location.line) for f in findings if f.location] == [
        ("event-unreadable", "events/broken.json", 3),
        ("event-unreadable", "events/list.json", 1),
    ]


def test_no_events_folder_is_no_events(tmp_path: Path) -> None:
    """A project without `events/` has no recorded events and no finding."""
    assert read_events(tmp_path) == ((), ())
