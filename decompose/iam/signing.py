"""SigV4-signed HTTP requests made without boto3: the IAM action the signed-for service checks.

`requests.post(url, auth=BotoAWSRequestsAuth(aws_host=..., aws_region=..., aws_service="execute-api"))`, or
requests-aws4auth's `AWS4Auth(key, secret, region, "es")`, or botocore's `SigV4Auth(credentials, "es",
region).add_auth(request)`, is an AWS call the botocore models do not describe: the service authorizes it with
the caller's IAM identity, so the route needs that service's action (`execute-api:Invoke`, `es:ESHttpPost`...).
The signer classes, the argument naming the service and each service's action are data
(`data/signed_requests.json`, with sources). The call finder marks what a signer constructor returns
(`Signer`); this module reads the requests it signs. A signed request's resource (the API, the domain) is named
by its URL, which is rarely a template resource: it is granted on `*` for that action only, with a finding; a
signer whose service cannot be read is a `possible-aws-call-unresolved` finding, never a silent gap.
"""

from __future__ import annotations

import ast
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources as package_files
from typing import TYPE_CHECKING, Any

from decompose.analysis.walk import descendants
from decompose.domain.iam import Permission
from decompose.domain.model import Location

if TYPE_CHECKING:
    from decompose.iam.sdk_calls import SdkCallFinder

ADD_AUTH = "add_auth"  # botocore's signers sign an AWSRequest in place


@dataclass(frozen=True)
class Signer:
    """What a signer constructor returns: its dotted class name, the call and the definition it is in."""

    name: str
    call: ast.Call
    definition: str


@dataclass(frozen=True)
class SignedRequest:
    """One signed request: where it is, the service it is signed for (None: not read) and its HTTP method."""

    location: Location
    service: str | None
    method: str | None  # "Post"...; None when the code does not say
    url: str  # how the URL is known, for the messages


@functools.cache
def signing_data() -> dict[str, Any]:
    text = package_files.files("decompose.iam").joinpath("data/signed_requests.json").read_text(encoding="utf-8")
    return json.loads(text)


@functools.cache
def signer_names() -> frozenset[str]:
    return frozenset(signing_data()["signers"])


def signed_requests(finder: SdkCallFinder) -> list[SignedRequest]:
    """The signed requests in the definitions the finder read (after `finder.calls()`)."""
    found: dict[tuple[Location, str | None, str | None], SignedRequest] = {}
    for definition in finder.definitions:
        path = finder.symbols.modules[definition.module].module.path
        for node in definition.nodes:
            for call in _signing_calls(node):
                for request in _signed(finder, call, definition, Location(path, call.lineno)):
                    found.setdefault((request.location, request.service, request.method), request)
    return sorted(found.values(), key=lambda r: (r.location, r.service or "", r.method or ""))


@functools.lru_cache(maxsize=1 << 14)
def _signing_calls(node: ast.AST) -> tuple[ast.Call, ...]:
    """The calls under `node` that can sign a request (`auth=` given, or `.add_auth(...)`), found once per
    definition: every route reaching it reads the same few, not every call again."""
    return tuple(
        call
        for call in descendants(node)
        if isinstance(call, ast.Call)
        and (
            any(k.arg == "auth" for k in call.keywords)
            or (isinstance(call.func, ast.Attribute) and call.func.attr == ADD_AUTH)
        )
    )


def _signed(finder: SdkCallFinder, call: ast.Call, definition: Any, where: Location) -> Iterator[SignedRequest]:
    from decompose.iam.sdk_calls import Module  # noqa: PLC0415 - sdk_calls imports this module

    signers: list[Signer] = []
    method: str | None = None
    url = ""
    auth = next((k.value for k in call.keywords if k.arg == "auth"), None)
    if auth is not None:  # requests.post(url, auth=signer)
        signers = [v for v in finder.eval(auth, definition) if isinstance(v, Signer)]
        names = [v.path for v in finder.eval(call.func, definition) if isinstance(v, Module)]
        last = names[0][-1].lower() if names else ""
        if last in signing_data()["methods"]:
            method = last.capitalize()
        elif last == "request" and call.args:
            method = _literal(finder, call.args[0], definition)
            method = method.capitalize() if method else None
        target = call.args[1] if last == "request" and len(call.args) > 1 else call.args[0] if call.args else None
        url = _describe(finder, target, definition)
    elif isinstance(call.func, ast.Attribute) and call.func.attr == ADD_AUTH:  # SigV4Auth(...).add_auth(request)
        signers = [v for v in finder.eval(call.func.value, definition) if isinstance(v, Signer)]
    for signer in signers:
        yield SignedRequest(where, _service(finder, signer), method, url)


def _service(finder: SdkCallFinder, signer: Signer) -> str | None:
    index, keyword = signing_data()["signers"][signer.name]["service"]
    call = signer.call
    node = next((k.value for k in call.keywords if k.arg == keyword), None)
    if node is None and len(call.args) > index:
        node = call.args[index]
    owner = finder.symbols.definitions.get(signer.definition)
    return _literal(finder, node, owner) if node is not None and owner is not None else None


def _literal(finder: SdkCallFinder, node: ast.expr, definition: Any) -> str | None:
    from decompose.iam.sdk_calls import Text  # noqa: PLC0415 - sdk_calls imports this module

    values = {v.source for v in finder.eval(node, definition) if isinstance(v, Text)}
    if len(values) == 1:
        (source,) = values
        return source.value if source.kind == "literal" else None
    return None


def _describe(finder: SdkCallFinder, node: ast.expr | None, definition: Any) -> str:
    from decompose.iam.sdk_calls import Text  # noqa: PLC0415 - sdk_calls imports this module

    if node is None:
        return "a URL decompose did not read"
    if isinstance(node, ast.BinOp | ast.JoinedStr):  # `API_URL + "/backend/pricing"`: the base names the host
        first = node.left if isinstance(node, ast.BinOp) else node.values[0]
        node = first.value if isinstance(first, ast.FormattedValue) else first
    sources = sorted({v.source for v in finder.eval(node, definition) if isinstance(v, Text)})
    if len(sources) == 1 and sources[0].kind == "env":
        return f"a URL from environment variable {sources[0].value}"
    if len(sources) == 1 and sources[0].kind == "literal":
        return f"the URL {sources[0].value!r}"
    return "a computed URL"


def signed_permissions(
    requests: list[SignedRequest],
) -> Iterator[tuple[SignedRequest, Permission | None, str]]:
    """(the request, its permission, the finding's message) per signed request: the service's action on `*`
    and why; or no permission and why when the service is not read or not in the data."""
    services = signing_data()["services"]
    for request in requests:
        if request.service is None:
            yield (
                request,
                None,
                (
                    f"a SigV4-signed request to {request.url} whose service decompose could not read: the IAM action"
                    " it needs is not in the policy"
                ),
            )
            continue
        entry = services.get(request.service)
        if entry is None:
            yield (
                request,
                None,
                (
                    f"a SigV4-signed request for service {request.service!r} to {request.url}: decompose does not know "
                    "the IAM action that service checks; it is not in the policy"
                ),
            )
            continue
        action = str(entry["action"])
        if "{method}" in action:
            action = action.replace("{method}", request.method or "*")
        why = (
            f"{action}: a SigV4-signed request to {request.url}, whose {request.service} resource decompose cannot "
            "name from it; granted on '*' for this action only"
        )
        yield request, Permission(action, "*", "*", request.location, f"signed {request.service} request"), why
