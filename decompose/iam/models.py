"""botocore's and boto3's JSON models, read as the source of truth for what an SDK call does.

Everything here is a lookup into the models that ship with the installed botocore and boto3: no network,
no credentials (a bare `botocore.session.get_session()` only reads files). Results are cached per process.

- Clients: `operation_for_method` maps a client method to its operation through botocore's own `xform_name`
  (`put_object` -> `PutObject`); paginators (paginators-1) are keyed by operation, waiters (waiters-2) name
  the operation they poll.
- boto3 resources (resources-1): resource types, their identifiers, actions (`Table.put_item` ->
  PutItem with TableName taken from the identifier Name), `load`, waiters, sub-resources (`has`: how
  `s3.Bucket(name).Object(key)` passes identifiers on) and collections (`hasMany`: `Bucket.objects` ->
  ListObjects). boto3 has no public loader for these files; we use `Session()._loader`, the same loader
  `Session.resource()` uses, rather than building resource classes.
- `iam_prefix`: the IAM action prefix is the model's `metadata.signingName` when present; otherwise an
  override from `data/iam_mapping.json` (stepfunctions -> states), otherwise the client name. The
  endpoint prefix is not used: CloudWatch's is `monitoring` but its actions are `cloudwatch:*`.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import boto3.session
import botocore.session
from botocore import xform_name
from botocore.exceptions import DataNotFoundError, UnknownServiceError
from botocore.model import ServiceModel

SERVICE_RESOURCE = "ServiceResource"
_Params = tuple[tuple[str, str], ...]  # {request parameter: identifier name}, hashable for the caches


@dataclass(frozen=True)
class SubResource:
    """A boto3 resource reached from another one, and where each of its identifiers comes from.

    `from_parent` maps a target identifier to the parent's identifier that fills it; `from_args` lists the
    target identifiers filled by the call's positional arguments, in order (`Bucket.Object(key)` ->
    ("Key",)); `from_request` maps a target identifier to the request parameter that fills it
    (`create_bucket(Bucket=...)`); `from_response` and `from_data` map it to a path in the response or in
    the parent's loaded data (not known statically).
    """

    type: str
    from_parent: dict[str, str] = field(default_factory=dict)
    from_args: tuple[str, ...] = ()
    from_request: dict[str, str] = field(default_factory=dict)
    from_response: dict[str, str] = field(default_factory=dict)
    from_data: dict[str, str] = field(default_factory=dict)


@functools.cache
def _botocore_session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def _service_model(service: str) -> ServiceModel | None:
    try:
        return _botocore_session().get_service_model(service)
    except (UnknownServiceError, DataNotFoundError):
        return None


@functools.cache
def mapping_data() -> dict[str, Any]:
    """The parsed `data/iam_mapping.json` (shared with `mapping`); callers must not mutate it."""
    text = resources.files("decompose.iam").joinpath("data/iam_mapping.json").read_text(encoding="utf-8")
    return json.loads(text)


@functools.cache
def is_service(name: str) -> bool:
    """Whether botocore knows `name` as a client name (`boto3.client(name)`)."""
    return name in _botocore_session().get_available_services()


@functools.cache
def operation_names(service: str) -> frozenset[str]:
    """The service's operation names (`PutObject`); empty for an unknown service."""
    model = _service_model(service)
    return frozenset(model.operation_names) if model else frozenset()


@functools.cache
def _methods(service: str) -> dict[str, str]:
    return {xform_name(name): name for name in operation_names(service)}


@functools.cache
def operation_for_method(service: str, method: str) -> str | None:
    """The operation a client method calls (`put_object` -> `PutObject`), None for other methods."""
    return _methods(service).get(method)


def _operation(service: str, name: str) -> str | None:
    """An operation given either its own name or its client method name."""
    if name in operation_names(service):
        return name
    return operation_for_method(service, name)


def client_methods(services: frozenset[str] | None = None) -> Iterator[tuple[str, frozenset[str]]]:
    """(service, its client method names) for `services`, or for every service botocore ships (None).

    For every service the models are read as plain JSON, without building service models: the names are
    all that is needed, and building 400 models takes several seconds more.
    """
    if services is not None:
        for service in sorted(services):
            yield service, frozenset(_methods(service))
        return
    yield from _all_client_methods()


@functools.cache
def _all_client_methods() -> tuple[tuple[str, frozenset[str]], ...]:
    session = _botocore_session()
    loader = session.get_component("data_loader")
    out = []
    for service in session.get_available_services():
        version = loader.determine_latest_version(service, "service-2")
        operations = _operation_keys(loader.search_paths, f"{service}/{version}/service-2")
        out.append((service, frozenset(xform_name(name) for name in operations)))
    return tuple(out)


def _operation_keys(search_paths: list[str], name: str) -> list[str]:
    """The operation names of one service model file (`.json` or `.json.gz`, as botocore's loader finds it)."""
    for base in search_paths:
        for suffix, opener in ((".json", open), (".json.gz", gzip.open)):
            path = os.path.join(base, name + suffix)
            if os.path.isfile(path):
                with opener(path, "rb") as handle:
                    return list(json.loads(handle.read()).get("operations", {}))
    return []


@functools.cache
def is_unsigned(service: str, operation: str) -> bool:
    """Whether botocore sends the operation unsigned (`authtype: none`): no IAM policy is evaluated for it."""
    model = _service_model(service)
    if model is None or operation not in model.operation_names:
        return False
    found = model.operation_model(operation)
    return found.auth_type == "none" or "smithy.api#noAuth" in (found.auth or [])


@functools.cache
def input_members(service: str, operation: str) -> frozenset[str]:
    """The top-level input parameter names of an operation; empty when it has none or is unknown."""
    model = _service_model(service)
    if model is None or operation not in operation_names(service):
        return frozenset()
    shape = model.operation_model(operation).input_shape
    return frozenset(shape.members) if shape is not None else frozenset()


@functools.cache
def iam_prefix(service: str) -> str:
    """The prefix of the service's IAM actions (`stepfunctions` -> `states`, `cloudwatch` -> `cloudwatch`)."""
    model = _service_model(service)
    signing_name = model.metadata.get("signingName") if model else None
    if signing_name:
        return signing_name
    return mapping_data()["prefixes"]["overrides"].get(service, service)


@functools.cache
def paginator_operation(service: str, paginator_name: str) -> str | None:
    """The operation a paginator pages (`get_paginator("list_objects_v2")` or `"ListObjectsV2"`)."""
    operation = _operation(service, paginator_name)
    if operation is None:
        return None
    try:
        config = _botocore_session().get_paginator_model(service)._paginator_config
    except (UnknownServiceError, DataNotFoundError):
        return None
    return operation if operation in config else None


@functools.cache
def _waiters(service: str) -> dict[str, str]:
    """Waiter name (Camel and snake) -> the operation it polls."""
    try:
        model = _botocore_session().get_waiter_model(service)
    except (UnknownServiceError, DataNotFoundError):
        return {}
    table = {}
    for name in model.waiter_names:
        operation = model.get_waiter(name).operation
        table[name] = operation
        table[xform_name(name)] = operation
    return table


@functools.cache
def waiter_operation(service: str, waiter_name: str) -> str | None:
    """The operation a waiter polls (`get_waiter("object_exists")` -> `HeadObject`)."""
    return _waiters(service).get(waiter_name)


# boto3 resources (resources-1.json) ------------------------------------------------------------------------


@functools.cache
def _resource_model(service: str) -> dict[str, Any] | None:
    loader = boto3.session.Session(region_name="us-east-1")._loader
    try:
        return loader.load_service_model(service, "resources-1")
    except (UnknownServiceError, DataNotFoundError):
        return None


def _resource_definition(service: str, resource_type: str) -> dict[str, Any] | None:
    model = _resource_model(service)
    if model is None:
        return None
    if resource_type == SERVICE_RESOURCE:
        return model.get("service", {})
    return model.get("resources", {}).get(resource_type)


def _find(table: dict[str, Any], name: str) -> Any:
    """A Camel-keyed model entry looked up by its Camel or snake name (`PutItem` or `put_item`)."""
    if name in table:
        return table[name]
    return next((value for key, value in table.items() if xform_name(key) == name), None)


def _identifier_params(request: dict[str, Any]) -> dict[str, str]:
    return {param["target"]: param["name"] for param in request.get("params", []) if param["source"] == "identifier"}


@functools.cache
def resource_types(service: str) -> frozenset[str]:
    """The boto3 resource types of a service, `ServiceResource` included; empty without a resource model."""
    model = _resource_model(service)
    if model is None:
        return frozenset()
    return frozenset(model.get("resources", {})) | {SERVICE_RESOURCE}


@functools.cache
def resource_identifiers(service: str, resource_type: str) -> tuple[str, ...]:
    """The identifier names of a resource type, in constructor order (`Table` -> ("Name",))."""
    definition = _resource_definition(service, resource_type) or {}
    return tuple(identifier["name"] for identifier in definition.get("identifiers", []))


@functools.cache
def resource_attributes(service: str, resource_type: str) -> frozenset[str]:
    """The data attributes of a resource (`Table.item_count`): reading one loads the resource first.

    They are the snake-cased members of the resource's `shape` in the service model; identifiers are not
    among them (they need no call).
    """
    definition = _resource_definition(service, resource_type) or {}
    model = _service_model(service)
    shape = definition.get("shape")
    if model is None or not shape or "load" not in definition:
        return frozenset()
    members = model.shape_for(shape).members  # type: ignore[attr-defined]
    identifiers = {xform_name(name) for name in resource_identifiers(service, resource_type)}
    return frozenset(xform_name(name) for name in members) - identifiers


@functools.cache
def _resource_action(service: str, resource_type: str, action_name: str) -> tuple[str, _Params] | None:
    definition = _resource_definition(service, resource_type)
    if definition is None:
        return None
    if action_name in ("load", "reload") and "load" in definition:
        request = definition["load"]["request"]
        return request["operation"], tuple(_identifier_params(request).items())
    if action_name.startswith("wait_until_"):
        waiter = _find(definition.get("waiters", {}), action_name.removeprefix("wait_until_"))
        operation = waiter and waiter_operation(service, waiter["waiterName"])
        if operation is None:
            return None
        return operation, tuple(_identifier_params(waiter).items())
    action = _find(definition.get("actions", {}), action_name)
    if action is None:
        return None
    return action["request"]["operation"], tuple(_identifier_params(action["request"]).items())


def resource_action(service: str, resource_type: str, action_name: str) -> tuple[str, dict[str, str]] | None:
    """The operation a resource action calls and {request parameter: identifier name} it fills.

    `Table.put_item` -> ("PutItem", {"TableName": "Name"}); `load`/`reload` -> the load request
    (DescribeTable, HeadObject); `wait_until_exists` -> the waiter's operation.
    """
    found = _resource_action(service, resource_type, action_name)
    return (found[0], dict(found[1])) if found else None


@functools.cache
def _resource_batch_action(service: str, resource_type: str, action_name: str) -> tuple[str, _Params] | None:
    definition = _resource_definition(service, resource_type) or {}
    action = _find(definition.get("batchActions", {}), action_name)
    if action is None:
        return None
    return action["request"]["operation"], tuple(_identifier_params(action["request"]).items())


def resource_batch_action(service: str, resource_type: str, action_name: str) -> tuple[str, dict[str, str]] | None:
    """A batch action on a collection of `resource_type` (`bucket.objects.delete()` -> DeleteObjects)."""
    found = _resource_batch_action(service, resource_type, action_name)
    return (found[0], dict(found[1])) if found else None


def _sub_resource(spec: dict[str, Any]) -> SubResource:
    by_source: dict[str, dict[str, str]] = {"identifier": {}, "requestParameter": {}, "response": {}, "data": {}}
    args = []
    for identifier in spec.get("identifiers", []):
        source = identifier["source"]
        if source == "input":
            args.append(identifier["target"])
        elif source in by_source:
            by_source[source][identifier["target"]] = identifier.get("name") or identifier.get("path", "")
    return SubResource(
        type=spec["type"],
        from_parent=by_source["identifier"],
        from_args=tuple(args),
        from_request=by_source["requestParameter"],
        from_response=by_source["response"],
        from_data=by_source["data"],
    )


def resource_subresource(service: str, resource_type: str, attr: str) -> SubResource | None:
    """The resource a `has` attribute builds (`ServiceResource.Table`, `Bucket.Object`, `Object.Bucket`)."""
    definition = _resource_definition(service, resource_type) or {}
    spec = _find(definition.get("has", {}), attr)
    return _sub_resource(spec["resource"]) if spec else None


def resource_action_result(service: str, resource_type: str, action_name: str) -> SubResource | None:
    """The resource an action returns (`sqs.get_queue_by_name` -> Queue with Url from the response)."""
    definition = _resource_definition(service, resource_type) or {}
    action = _find(definition.get("actions", {}), action_name)
    return _sub_resource(action["resource"]) if action and "resource" in action else None


@functools.cache
def _collection(service: str, resource_type: str, attr: str) -> tuple[str, str, _Params] | None:
    definition = _resource_definition(service, resource_type) or {}
    spec = _find(definition.get("hasMany", {}), attr)
    if spec is None:
        return None
    request = spec["request"]
    return request["operation"], spec["resource"]["type"], tuple(_identifier_params(request).items())


def resource_collection(service: str, resource_type: str, attr: str) -> tuple[str, dict[str, str]] | None:
    """The list operation behind a collection and the request parameters its identifiers fill.

    `Bucket.objects` -> ("ListObjects", {"Bucket": "Name"}) (whose IAM action is s3:ListBucket: see mapping).
    """
    found = _collection(service, resource_type, attr)
    return (found[0], dict(found[2])) if found else None


def resource_collection_type(service: str, resource_type: str, attr: str) -> str | None:
    """The resource type a collection yields (`Bucket.objects` -> "ObjectSummary")."""
    found = _collection(service, resource_type, attr)
    return found[1] if found else None


# timing and tokens (read by the anti-pattern rules) -----------------------------------------------------------


@functools.cache
def waiter_timing(service: str, waiter_name: str) -> tuple[int, int] | None:
    """(Delay seconds, MaxAttempts) of a waiter from waiters-2 (`object_exists` or `ObjectExists`), or None."""
    try:
        model = _botocore_session().get_waiter_model(service)
    except (UnknownServiceError, DataNotFoundError):
        return None
    for name in model.waiter_names:
        if waiter_name in (name, xform_name(name)):
            config = model.get_waiter(name)
            return int(config.delay), int(config.max_attempts)
    return None


@functools.cache
def operation_method_names(services: frozenset[str]) -> frozenset[str]:
    """Every method name that performs an operation on a client or a boto3 resource of `services`: the
    clients' operation methods, the resources' actions (as the model spells them and snake-cased), `load` and
    `reload`. A resource's `wait_until_*` waiters are not listed (they are known by their prefix)."""
    names: set[str] = {"load", "reload"}
    for _, methods in client_methods(services):
        names |= methods
    for service in services:
        for resource_type in resource_types(service):
            actions = (_resource_definition(service, resource_type) or {}).get("actions", {})
            names.update(actions, (xform_name(action) for action in actions))
    return frozenset(names)


@functools.cache
def resource_waiter(service: str, resource_type: str, method: str) -> str | None:
    """The botocore waiter behind a resource's `wait_until_*` method (`Table.wait_until_exists` -> TableExists)."""
    definition = _resource_definition(service, resource_type) or {}
    for name, spec in (definition.get("waiters") or {}).items():
        if method == "wait_until_" + xform_name(name):
            return str(spec.get("waiterName"))
    return None


@functools.cache
def paginator_input_tokens(service: str, operation: str) -> frozenset[str]:
    """The request parameters a paginator of `operation` feeds back (`ContinuationToken`, `ExclusiveStartKey`)."""
    try:
        config = _botocore_session().get_paginator_model(service)._paginator_config
    except (UnknownServiceError, DataNotFoundError):
        return frozenset()
    spec = config.get(operation) or {}
    tokens = spec.get("input_token") or []
    return frozenset([tokens] if isinstance(tokens, str) else tokens)
