"""The events a route is run with: the project's own, routed by their trigger, and one synthesized per route.

**The project's events** are the JSON files of the events folder (`events/` of the project, or `--events`),
one event each, as `sam local generate-event` writes them. An event goes to the route whose template event
has the file's name (`events/GetOrder.json` -> the route of the `GetOrder` event), else to the route its
content names: an API Gateway REST event by `httpMethod` and `resource` (or `path` against the route's path
template), an HTTP API event by `routeKey` (or method and `rawPath`), S3/SQS/SNS/DynamoDB/Kinesis records by
the bucket, queue, topic, table or stream they come from (named as the world names them), an EventBridge
event by its `source` and `detail-type` against the rule's pattern, a schedule event by its `Scheduled
Event` detail type, a WebSocket event by `requestContext.routeKey`. Files that are no JSON object, and
events no extracted route takes, are left out with a note each.

**One synthesized event per route**, so a route without a recorded event is still exercised: the trigger's
shape (REST payload 1.0 for `Api`, payload 2.0 for `HttpApi`, with `$default` for a route its function takes
through a catch-all; records for S3, SQS, SNS, DynamoDB streams and Kinesis; EventBridge with the rule's
first source and detail type; schedule; WebSocket), with concrete path parameters: a path parameter takes
the value of the seed's first item holding an attribute of that name, else `<name>-1`. An S3 record names
the seed's first object in the bucket. An HTTP event carries the input its route's code reads
(`analysis.inputs`): a JSON body with the keys it reads and a query string with the parameters it reads,
each value a literal the code compares it with, else the seed's value of an attribute of that name, else a
placeholder of the kind the code needs (`1` for a number, `<name>-1` for a string); the event's `input`
says which keys were synthesized and what could not be followed. What the code reads that the reader does
not see stays out: record an event in the events folder to take such a route past its input validation.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from decompose.analysis.inputs import InputField, InputShape
from decompose.domain.model import Route, TriggerEvent
from decompose.domain.verification import SynthesizedInput
from decompose.verification.codec import decode
from decompose.verification.world import ACCOUNT, REGION, SEED_NAMES


@dataclass(frozen=True)
class Target:
    """An extracted route, the function that takes it, and its template event (None behind a catch-all)."""

    function: str
    route: Route
    event: TriggerEvent | None
    catch_all: bool = False
    shape: InputShape | None = None  # the input its code reads (HTTP routes), see `analysis.inputs`


@dataclass(frozen=True)
class Event:
    """One event to run: a stable name, where it comes from, the route it goes to, the event itself."""

    name: str
    origin: str  # "project" or "synthesized"
    route: str
    function: str
    payload: Mapping[str, Any]
    file: str | None = None
    input: SynthesizedInput | None = None  # what a synthesized HTTP event's body and query hold


def project_events(
    folder: Path, targets: Sequence[Target], names: Mapping[str, str], shown: str
) -> tuple[list[Event], list[str]]:
    """The events folder's events routed to `targets` (`names`: resource logical id -> physical name), and
    notes for the files left out."""
    events: list[Event] = []
    notes: list[str] = []
    by_event_name = {t.route.trigger.event: t for t in targets if t.route.trigger.event}
    for path in sorted(folder.glob("*.json")):
        if path.name in SEED_NAMES:
            continue
        rel = f"{shown}/{path.name}"
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            notes.append(f"{rel}: not a JSON event ({error}); left out")
            continue
        if not isinstance(payload, dict):
            notes.append(f"{rel}: not a JSON object; left out")
            continue
        target = by_event_name.get(path.stem) or route_of(payload, targets, names)
        if target is None:
            notes.append(f"{rel}: no extracted route takes it (its route stays in the monolith?); not run")
            continue
        events.append(Event(path.stem, "project", target.route.id, target.function, payload, rel))
    return events, notes


def route_of(payload: Mapping[str, Any], targets: Sequence[Target], names: Mapping[str, str]) -> Target | None:
    """The target whose trigger `payload` is an event of, if any."""
    http = _http_request(payload)
    if http is not None:
        method, path, resource = http
        candidates = [t for t in targets if t.route.trigger.is_http and _method_matches(t, method)]
        exact = [t for t in candidates if resource is not None and t.route.trigger.path == resource]
        if exact:
            return exact[0]
        matching = [
            t for t in candidates if t.route.trigger.path and _path_pattern(t.route.trigger.path).fullmatch(path)
        ]
        return min(
            matching,
            key=lambda t: ("+" in (t.route.trigger.path or ""), -len(t.route.trigger.path or "")),
            default=None,
        )
    source = _record_source(payload, names)
    if source is not None:
        kind, logical_id = source
        return next((t for t in targets if t.route.trigger.type == kind and t.route.trigger.source == logical_id), None)
    context = payload.get("requestContext")
    if isinstance(context, Mapping) and "connectionId" in context and "routeKey" in context:
        key = context["routeKey"]
        return next((t for t in targets if t.route.trigger.type == "WebSocket" and t.route.trigger.source == key), None)
    if "detail-type" in payload:
        if payload.get("detail-type") == "Scheduled Event":
            found = next((t for t in targets if t.route.trigger.type in ("Schedule", "ScheduleV2")), None)
            if found is not None:
                return found
        for target in targets:
            if target.route.trigger.type == "EventBridgeRule" and _pattern_matches(target.event, payload):
                return target
    return None


def _http_request(payload: Mapping[str, Any]) -> tuple[str, str, str | None] | None:
    if "httpMethod" in payload:
        return str(payload["httpMethod"]).upper(), str(payload.get("path") or "/"), payload.get("resource")
    context = payload.get("requestContext")
    if payload.get("version") == "2.0" and isinstance(context, Mapping) and isinstance(context.get("http"), Mapping):
        method = str(context["http"].get("method", "GET")).upper()
        key = str(payload.get("routeKey") or "")
        resource = key.partition(" ")[2] if " " in key else None
        return method, str(payload.get("rawPath") or context["http"].get("path") or "/"), resource
    return None


def _method_matches(target: Target, method: str) -> bool:
    return (target.route.trigger.method or "ANY") in ("ANY", method)


def _path_pattern(template: str) -> re.Pattern[str]:
    parts = []
    for segment in re.split(r"(\{[^}]+\})", template):
        if segment.startswith("{") and segment.endswith("}"):
            parts.append(".+" if segment.endswith("+}") else "[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("".join(parts).rstrip("/") + "/?")


def _record_source(payload: Mapping[str, Any], names: Mapping[str, str]) -> tuple[str, str] | None:
    records = payload.get("Records")
    if not isinstance(records, list) or not records or not isinstance(records[0], Mapping):
        return None
    record = records[0]
    by_name = {name: logical_id for logical_id, name in names.items()}
    source = record.get("eventSource") or record.get("EventSource")
    if source == "aws:s3":
        bucket = (record.get("s3") or {}).get("bucket", {}).get("name")
        return ("S3", by_name[bucket]) if bucket in by_name else None
    if source == "aws:sns":
        topic = str((record.get("Sns") or {}).get("TopicArn", "")).rpartition(":")[2]
        return ("SNS", by_name[topic]) if topic in by_name else None
    arn = str(record.get("eventSourceARN") or "")
    if source == "aws:sqs":
        queue = arn.rpartition(":")[2]
        return ("SQS", by_name[queue]) if queue in by_name else None
    if source == "aws:dynamodb":
        table = arn.partition(":table/")[2].split("/")[0]
        return ("DynamoDB", by_name[table]) if table in by_name else None
    if source == "aws:kinesis":
        stream = arn.partition(":stream/")[2].split("/")[0]
        return ("Kinesis", by_name[stream]) if stream in by_name else None
    return None


def _pattern_matches(event: TriggerEvent | None, payload: Mapping[str, Any]) -> bool:
    if event is None:
        return False
    return all(not values or payload.get(key) in values for key, values in event.pattern)


# ------------------------------------------------------------------------------------------- synthesis
def synthesized(target: Target, names: Mapping[str, str], seed: Mapping[str, Any]) -> Event | None:
    """The route's synthesized event, or None for a trigger type without a shape here."""
    payload = _synthesize(target, names, seed)
    if payload is None:
        return None
    described = None
    if target.route.trigger.is_http:
        added = _with_read_parts(payload, target, seed)
        described = _described(target, added)
    return Event(f"synthesized {target.route.id}", "synthesized", target.route.id, target.function, payload,
                 input=described)  # fmt: skip


def _described(target: Target, added: tuple[tuple[str, ...], tuple[str, ...]]) -> SynthesizedInput:
    shape = target.shape or InputShape(unfollowed=("the route's code was not read",))
    unknown = list(shape.unfollowed)
    if shape.body is None and _method(target) in BODY_METHODS:
        unknown.append("its reach reads no request body decompose can see: the body is {}")
    query = tuple(name for name, _ in shape.query) + tuple(f"{name}[]" for name, _ in shape.multi_query)
    headers, context = added
    return SynthesizedInput(shape.body_keys, query, "; ".join(unknown) or None, headers, context)


BODY_METHODS = ("POST", "PUT", "PATCH")


def _method(target: Target) -> str:
    method = target.route.trigger.method
    return method if method not in (None, "ANY") else "GET"


def _input_value(node: InputField, name: str, seed: Mapping[str, Any]) -> Any:
    """A JSON value `node` accepts: a literal it is compared with, the seed's value of an attribute of that
    name, else a placeholder of its kind."""
    if node.choices:
        return node.choices[0]
    if node.kind == "object":
        return {key: _input_value(child, key, seed) for key, child in node.keys}
    if node.kind == "list":
        return [_input_value(node.element, name, seed)] if node.element is not None else []
    seeded = _seed_value(seed, name)
    if node.kind == "int":
        return int(seeded) if seeded is not None and seeded.lstrip("-").isdigit() else 1
    if node.kind == "number":
        return _number(seeded)
    if node.kind == "bool":
        return True
    return seeded if seeded is not None else f"{name}-1"


def _number(seeded: str | None) -> int | float:
    """The seed's number (an int when it is whole: an int mixes with Decimal, a float does not), else 1."""
    try:
        number = float(seeded) if seeded is not None else 1.0
    except ValueError:
        return 1
    return int(number) if number.is_integer() else number


def _query_value(node: InputField, name: str, seed: Mapping[str, Any]) -> str:
    value = _input_value(node, name, seed)
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def _with_read_parts(
    payload: dict[str, Any], target: Target, seed: Mapping[str, Any]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Add to `payload` the headers and `requestContext` keys the code reads that it lacks (an authorizer's
    claims: `requestContext.authorizer.jwt.claims.sub`), never replacing what it has; (headers, context
    keys) added."""
    shape = target.shape or InputShape()
    headers: list[str] = []
    for name, node in shape.headers:
        if name.lower() not in {h.lower() for h in payload["headers"]}:
            payload["headers"][name] = _query_value(node, name, seed)
            headers.append(name)
            if "multiValueHeaders" in payload:
                payload["multiValueHeaders"][name] = [payload["headers"][name]]
    context: list[str] = []
    if shape.context is not None:
        _merge_missing(payload["requestContext"], _input_value(shape.context, "requestContext", seed), "", context)
    return tuple(headers), tuple(context)


def _leaf_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, dict) and value:
        return [leaf for key, child in value.items() for leaf in _leaf_paths(child, f"{path}.{key}")]
    return [path]


def _merge_missing(into: dict[str, Any], extra: Any, prefix: str, added: list[str]) -> None:
    if not isinstance(extra, dict):
        return
    for key, value in extra.items():
        if key not in into:
            into[key] = value
            added += _leaf_paths(value, prefix + key)
        elif isinstance(into[key], dict):
            _merge_missing(into[key], value, f"{prefix}{key}.", added)


def _request_input(target: Target, seed: Mapping[str, Any]) -> tuple[str | None, dict[str, list[str]]]:
    """The synthesized body (JSON text, or None) and query parameters (name -> values) of an HTTP route."""
    shape = target.shape or InputShape()
    if shape.body is not None:
        root = shape.body if shape.body.kind in ("object", "list") else InputField("object")
        body: str | None = json.dumps(_input_value(root, "body", seed))
    else:
        body = "{}" if _method(target) in BODY_METHODS else None
    query = {name: [_query_value(node, name, seed)] for name, node in shape.query}
    for name, node in shape.multi_query:
        value = _input_value(node, name, seed)
        query.setdefault(name, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    return body, query


def _seed_value(seed: Mapping[str, Any], attribute: str) -> str | None:
    for entry in seed.get("items", []):
        item = decode(entry["item"])
        if attribute in item and isinstance(item[attribute], str | int):
            return str(item[attribute])
    return None


def _fill(path: str, seed: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    params: dict[str, str] = {}
    out = []
    for segment in path.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            name = segment[1:-1].rstrip("+")
            value = _seed_value(seed, name) or f"{name}-1"
            params[name] = value
            out.append(value)
        else:
            out.append(segment)
    return "/".join(out) or "/", params


def _synthesize(target: Target, names: Mapping[str, str], seed: Mapping[str, Any]) -> dict[str, Any] | None:
    trigger = target.route.trigger
    kind = trigger.type
    if kind in ("Api", "HttpApi"):
        path, params = _fill(trigger.path or "/", seed)
        method = _method(target)
        body, query = _request_input(target, seed)
        single = {name: values[-1] for name, values in query.items()} or None
        headers = {"content-type": "application/json", "accept": "application/json"}
        if kind == "Api":
            resource = "/{proxy+}" if target.catch_all else trigger.path
            return {
                "resource": resource,
                "path": path,
                "httpMethod": method,
                "headers": headers,
                "multiValueHeaders": {k: [v] for k, v in headers.items()},
                "queryStringParameters": single,
                "multiValueQueryStringParameters": query or None,
                "pathParameters": ({"proxy": path.lstrip("/")} if target.catch_all else params) or None,
                "stageVariables": None,
                "requestContext": {
                    "resourcePath": resource,
                    "httpMethod": method,
                    "path": f"/Prod{path}",
                    "stage": "Prod",
                    "requestId": "verify-request-1",
                    "accountId": ACCOUNT,
                    "identity": {"sourceIp": "127.0.0.1"},
                },
                "body": body,
                "isBase64Encoded": False,
            }
        route_key = "$default" if target.catch_all else f"{method} {trigger.path}"
        return {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": urllib.parse.urlencode([(k, v) for k, vs in query.items() for v in vs]),
            "headers": headers,
            "queryStringParameters": {name: ",".join(values) for name, values in query.items()} or None,
            "pathParameters": None if target.catch_all else (params or None),
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": "verifyapi",
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
                "requestId": "verify-request-1",
                "routeKey": route_key,
                "stage": "$default",
            },
            "body": body,
            "isBase64Encoded": False,
        }
    source = trigger.source or ""
    name = names.get(source, source)
    if kind == "S3":
        key = next((o["key"] for o in seed.get("objects", []) if o["bucket"] == name), "verify/object.txt")
        record = {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": REGION,
            "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": name, "arn": f"arn:aws:s3:::{name}"}, "object": {"key": key, "size": 1}},
        }
        return {"Records": [record]}
    if kind == "SQS":
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        return {
            "Records": [
                {
                    "eventSource": "aws:sqs",
                    "messageId": "verify-message-1",
                    "body": "{}",
                    "eventSourceARN": arn,
                    "attributes": {},
                    "messageAttributes": {},
                }
            ]
        }
    if kind == "SNS":
        arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
        sns = {
            "TopicArn": arn,
            "Subject": "verify",
            "Message": "{}",
            "MessageId": "verify-message-1",
            "MessageAttributes": {},
        }
        return {"Records": [{"EventSource": "aws:sns", "EventSubscriptionArn": f"{arn}:verify", "Sns": sns}]}
    if kind == "DynamoDB":
        arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}/stream/2024-01-01T00:00:00.000"
        record = {
            "eventSource": "aws:dynamodb",
            "eventName": "INSERT",
            "eventSourceARN": arn,
            "dynamodb": {"Keys": {}, "NewImage": {}},
        }
        return {"Records": [record]}
    if kind == "Kinesis":
        arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"
        data = base64.b64encode(b"{}").decode()
        return {
            "Records": [
                {
                    "eventSource": "aws:kinesis",
                    "eventSourceARN": arn,
                    "kinesis": {"data": data, "partitionKey": "verify"},
                }
            ]
        }
    if kind in ("EventBridgeRule", "CloudWatchEvent"):
        pattern = dict(target.event.pattern) if target.event else {}
        return {
            "version": "0",
            "id": "verify-event-1",
            "source": (pattern.get("source") or ("verify",))[0],
            "detail-type": (pattern.get("detail-type") or ("Event",))[0],
            "account": ACCOUNT,
            "region": REGION,
            "time": "2024-01-01T00:00:00Z",
            "resources": [],
            "detail": {},
        }
    if kind in ("Schedule", "ScheduleV2"):
        return {
            "version": "0",
            "id": "verify-event-1",
            "source": "aws.events",
            "detail-type": "Scheduled Event",
            "account": ACCOUNT,
            "region": REGION,
            "time": "2024-01-01T00:00:00Z",
            "resources": [],
            "detail": {},
        }
    if kind == "WebSocket":
        return {
            "requestContext": {
                "routeKey": source,
                "eventType": {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(source, "MESSAGE"),
                "connectionId": "verify-connection-1",
                "connectedAt": 1704067200000,
                "stage": "production",
                "apiId": "verifyapi",
                "domainName": f"verifyapi.execute-api.{REGION}.amazonaws.com",
                "requestId": "verify-request-1",
            },
            "body": "{}" if source not in ("$connect", "$disconnect") else None,
            "isBase64Encoded": False,
        }
    return None
