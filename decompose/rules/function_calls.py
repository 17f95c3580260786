"""`function-calls-function`: a function calls another function of the stack and waits for its answer.

Two shapes, both from the IAM stage's calls: a `lambda.invoke` (or `invoke_with_response_stream`) whose
`InvocationType` is `RequestResponse` or absent (the default), bound by the policy binding to the callee
function; and an HTTP request (requests, httpx, urllib3, urllib, aiohttp: data `http.functions`) whose URL
is built from an environment variable that names an endpoint of the same template (an API, an HTTP API,
SAM's implicit `ServerlessRestApi`/`ServerlessHttpApi`, a function URL). `InvocationType="Event"` (and
`DryRun`) is asynchronous and not a finding; an `InvocationType` decompose cannot read is reported at info
level. The callee is named with its handler and, for HTTP, the routes the URL's literal path can reach.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from botocore import xform_name

from decompose.analysis.walk import descendants
from decompose.domain.iam import LibraryCall, SdkCall
from decompose.domain.model import Finding, FunctionAnalysis, Severity
from decompose.loading.template import mentions
from decompose.rules.base import Rule
from decompose.rules.context import RouteView, RuleContext, permissions_at, resource_id
from decompose.rules.data import canonical_function, guidance, rules_data

SYNC_INVOKES = frozenset({"Invoke", "InvokeWithResponseStream"})
ASYNC_TYPES = frozenset({"Event", "DryRun"})


class FunctionCallsFunctionRule(Rule):
    id: ClassVar[str] = "function-calls-function"
    severity: ClassVar[Severity] = Severity.WARNING
    title: ClassVar[str] = "A function calls another function synchronously and waits for it"
    rationale: ClassVar[str] = (
        "With Lambda you pay for the duration of an invocation: while the callee runs, the caller runs too, "
        "doing nothing but waiting, and is billed for it. Errors of the callee become the caller's to handle "
        "(retry? compensate?), the chain is only as available as its slowest function, and both functions "
        "need the same concurrency, so a busy system uses more than it would otherwise."
    )
    fix: ClassVar[str] = (
        "Put an SQS queue between the two functions (the callee consumes it), or orchestrate the chain with a "
        "Step Functions state machine (a Task state per function, Retry/Catch for errors) when it has error "
        "handling or retries; invoke with InvocationType 'Event' when the caller does not need the answer."
    )
    source: ClassVar[str] = guidance("function-calls-function")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for view in context.routes():
            for call in view.route.calls:
                if call.service == "lambda" and call.operation in SYNC_INVOKES:
                    finding = self._invoke(context, view, call)
                    if finding is not None:
                        yield finding
            for used in view.route.library_calls:
                if canonical_function(used.function) in rules_data()["http"]["functions"]:
                    finding = self._http(context, view, used)
                    if finding is not None:
                        yield finding

    # ------------------------------------------------------------------------------------------ lambda
    def _invoke(self, context: RuleContext, view: RouteView, call: SdkCall) -> Finding | None:
        kind = call.param("InvocationType")
        if kind is not None and kind.kind == "literal" and kind.value in ASYNC_TYPES:
            return None
        targets = sorted(
            {resource_id(p) for p in permissions_at(view.route, call, frozenset({"lambda:InvokeFunction"}))}
        )
        callees = [_describe_function(context, t) for t in targets] or ["a function decompose cannot name statically"]
        caller = _caller(view)
        how = "InvocationType absent (RequestResponse)" if kind is None else f"InvocationType {_shown(kind)}"
        evidence = [caller, f"call: lambda.{xform_name(call.operation)} at {call.location}, {how}"]
        evidence += [f"callee: {c}" for c in callees]
        name = ", ".join(targets) or "another function"
        if kind is not None and kind.kind != "literal":
            message = (
                f"{view.route.id} invokes {name} with an InvocationType decompose cannot read:"
                " if it is RequestResponse, the route waits for it"
            )
            return self.finding(message, call.location, route=view.route.id, evidence=evidence, severity=Severity.INFO)
        message = (
            f"{view.route.id} invokes {name} synchronously and waits for its answer: both are billed while it runs"
        )
        return self.finding(message, call.location, route=view.route.id, evidence=evidence)

    # -------------------------------------------------------------------------------------------- http
    def _http(self, context: RuleContext, view: RouteView, used: LibraryCall) -> Finding | None:
        source = used.base or used.argument
        if source is None or source.kind != "env":
            return None
        value = dict(view.spec.environment).get(source.value)
        if value is None:
            return None
        endpoints = _endpoints(context, value)
        if not endpoints:
            return None
        path = _literal_path(context, view, used)
        callees: list[str] = []
        names: list[str] = []
        for endpoint in endpoints:
            for function, routes in _served_by(context, endpoint, path):
                names.append(function.spec.logical_id or function.spec.handler)
                shown = f" ({', '.join(routes)})" if routes else ""
                callees.append(
                    f"{_describe_function(context, function.spec.logical_id or '')}{shown} behind {endpoint}"
                )
        evidence = [
            _caller(view),
            f"call: {canonical_function(used.function)} at {used.location}, URL from env {source.value}"
            + (f" + {path!r}" if path else ""),
            f"env {source.value}: {_short(value)} (an endpoint of this stack)",
            *(f"callee: {c}" for c in callees or [f"the functions behind {', '.join(endpoints)}"]),
        ]
        target = ", ".join(dict.fromkeys(names)) or ", ".join(endpoints)
        message = (
            f"{view.route.id} calls {target} over HTTP through the stack's own endpoint and waits for the answer:"
            " both functions are billed while it runs (plus API Gateway)"
        )
        return self.finding(message, used.location, route=view.route.id, evidence=evidence)


def _caller(view: RouteView) -> str:
    owner = view.spec.logical_id or view.spec.handler
    return f"caller: {view.route.id} of {owner} ({view.route.entry}, {view.route.location})"


def _describe_function(context: RuleContext, logical_id: str) -> str:
    for function in context.report.functions:
        if function.spec.logical_id == logical_id:
            spec = function.spec
            where = f", {context.function_location(spec)}" if context.function_location(spec) else ""
            return f"{logical_id} (handler {spec.handler} in {spec.code_uri}/{where})"
    kind = context.resource_type(logical_id)
    return f"{logical_id} ({kind})" if kind else logical_id


def _shown(source: Any) -> str:
    return repr(source.value) if source.kind == "literal" else f"from {source.kind} {source.value}".strip()


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 100 else text[:97] + "..."


def _endpoints(context: RuleContext, value: Any) -> list[str]:
    """The same-stack HTTP endpoints a template value names (APIs, implicit APIs, function URLs)."""
    data = rules_data()["http"]["endpoint_types"]
    found = []
    functions = {f.spec.logical_id for f in context.report.functions}
    for name in sorted(mentions(value)):
        if name in data["implicit"] or context.resource_type(name) in data["types"]:
            found.append(name)
        elif (
            name.endswith("Url")
            and name.removesuffix("Url") in functions
            and context.properties(name.removesuffix("Url")).get("FunctionUrlConfig") is not None
        ):
            found.append(name)  # SAM's generated AWS::Lambda::Url of a FunctionUrlConfig
    return found


def _served_by(context: RuleContext, endpoint: str, path: str | None) -> Iterator[tuple[FunctionAnalysis, list[str]]]:
    """The functions behind an endpoint, with the routes the literal path can reach (all when unknown)."""
    implicit = rules_data()["http"]["endpoint_types"]["implicit"]
    for function in context.report.functions:
        spec = function.spec
        if endpoint == f"{spec.logical_id}Url":
            yield function, []
            continue
        if context.resource_type(endpoint) == "AWS::Lambda::Url":
            target = context.properties(endpoint).get("TargetFunctionArn")
            if spec.logical_id in mentions(target):
                yield function, []
            continue
        events = context.properties(spec.logical_id).get("Events") or {}
        served = []
        for event in spec.events:
            raw = events.get(event.name) if isinstance(events, Mapping) else None
            if not event.is_http or not isinstance(raw, Mapping):
                continue
            props = raw.get("Properties") or {}
            api = props.get("RestApiId") if event.type == "Api" else props.get("ApiId")
            names = mentions(api) if api is not None else {k for k, v in implicit.items() if v == event.type}
            if endpoint in names and (path is None or event.path is None or _path_reaches(path, event.path)):
                served.append(f"{event.method} {event.path or '$default'}")
        if served:
            yield function, served


def _literal_path(context: RuleContext, view: RouteView, used: LibraryCall) -> str | None:
    """The constant text right after the URL's base in an f-string (`f"{BASE}/orders/{id}"` -> "/orders/")."""
    code = context.route_code(view)
    owner = code.owner(used.location) if code else None
    if owner is None:
        return None
    for node in owner.nodes:
        for inner in descendants(node):  # ast.walk's order, walked once
            if isinstance(inner, ast.Call) and inner.lineno == used.location.line:
                for arg in [*inner.args, *(k.value for k in inner.keywords)]:
                    if isinstance(arg, ast.JoinedStr) and len(arg.values) > 1:
                        second = arg.values[1]
                        if isinstance(second, ast.Constant) and isinstance(second.value, str):
                            return second.value
    return None


def _path_reaches(literal: str, template: str) -> bool:
    """Whether a URL path starting with `literal` can be a request to the route path `template`."""
    wanted = literal.lstrip("/").split("/")
    parts = template.strip("/").split("/")
    for index, want in enumerate(wanted):
        if index >= len(parts):
            return False
        have = parts[index]
        if have.endswith("+}"):
            return True
        if have.startswith("{"):
            continue
        if index == len(wanted) - 1:
            return have.startswith(want)  # the last piece may be cut short by the next formatted value
        if have != want:
            return False
    return True
