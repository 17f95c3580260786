"""Replay sample_monolith's events under moto and compare what each route really calls with its generated policy.

The proof has three sides, each a small function here, used by `test_policy_proof.py` and `bench/bench_iam.py`:

- **What a route does.** `run_event` builds the stack in a fresh `moto.mock_aws()` with the sample's own test
  set-up (`sample_monolith/tests/conftest.py`: tables, buckets, queue, topic, state machine, payment function,
  seed data, environment variables), then imports the monolith fresh under a new boto3 default session. The
  app's module-level clients are created at import, so a `before-parameter-build` hook installed on that session
  first sees every operation the handler calls, with its real parameters (`RecordedCall`). Each call is mapped
  by decompose's own `mapping.actions_for` (an `SdkCall` built from literal values) and given the concrete ARN
  its parameters name (`RecordedCall.needs`): bucket/key, table (+ index), queue URL -> ARN, topic and state
  machine ARNs, function name -> ARN.
- **What a route is granted.** `rendered_statements` expands the route's SAM policy templates with
  aws-sam-translator (`monolith.expand_policy_template`) and evaluates every `Resource` with `arns.render`,
  naming each template resource as the moto stack does (`physical_name`).
- **What moto enforces.** With `policy=` `run_event` creates an IAM user whose only policy is that document,
  builds the app's clients with the user's keys, and runs the handler under moto's IAM-like access control.
  moto authorizes S3 against the bucket/object ARN and SQS against the queue ARN, but every other service with
  resource `*` (a statement scoped to a table never matches `*`), and it names Lambda's action after the API
  operation (`lambda:Invoke`, not `lambda:InvokeFunction`). `moto_view` therefore widens `Resource` to `*`
  for the other services and adds moto's spelling of the action: enforcement proves the actions of every
  statement and the resources of S3 and SQS statements; resources of the other services are proven by the
  recall check against the real call parameters instead.

moto runs Lambda functions only in docker, so the payment provider is answered in-process, like the sample's
own tests do: moto's docker-free Lambda backend (`"use_docker": False`) authorizes and echoes the payload, and an
`after-call` hook replaces the echo with what `payment_provider/app.py` returns for it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import io
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import boto3.session
import botocore.session
import pytest
from botocore.response import StreamingBody
from moto import mock_aws
from moto.core import enable_iam_authentication
from moto.iam.access_control import IAMPolicy, PermissionResult

from decompose.domain.model import Route
from decompose.iam.arns import render
from decompose.iam.models import iam_prefix, is_service, mapping_data, operation_names
from decompose.iam.monolith import iam_match
from decompose.loading.template import load_template
from decompose.pipeline import analyze
from decompose.verification.policy import (
    MOTO_ACTION_NAMES,
    MOTO_RESOURCE_SERVICES,
    Policy,
    Statement,
    is_access_denied,
    rendered_policy,
)
from decompose.verification.policy import RecordedCall as VerifiedCall

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_monolith"
EVENTS = SAMPLE / "events"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
STACK_NAME = "shop-monolith"  # the stack the sample's physical names (and the S3 test event's bucket) come from
MONOLITH_FUNCTION = "MonolithFunction"

EVENT_NAMES = tuple(sorted(path.stem for path in EVENTS.glob("*.json")))


# --- the sample: its analysis, template and moto set-up ----------------------------------------------------


@functools.cache
def _sample_conftest() -> ModuleType:
    """sample_monolith/tests/conftest.py, loaded under a private name (kept out of sys.modules afterwards)."""
    name = "_decompose_sample_shop_conftest"
    spec = importlib.util.spec_from_file_location(name, SAMPLE / "tests" / "conftest.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file executes
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


@functools.cache
def _payment_provider() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "_decompose_sample_payment_provider", SAMPLE / "payment_provider/app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def template_resources() -> Mapping[str, Any]:
    return load_template(SAMPLE, SAMPLE / "template.yaml").resources


@functools.cache
def _analysis() -> Any:
    return analyze(SAMPLE)


def monolith_policies() -> tuple[Any, ...]:
    """The `Policies` of the sample's MonolithFunction, after Globals."""
    function = next(f for f in _analysis().functions if f.spec.logical_id == MONOLITH_FUNCTION)
    return function.spec.policies


@functools.cache
def routes_by_event() -> dict[str, Route]:
    """The MonolithFunction's routes, keyed by the template event (= the events/ file) that triggers each."""
    function = next(f for f in _analysis().functions if f.spec.logical_id == MONOLITH_FUNCTION)
    return {route.trigger.event: route for route in function.routes if route.trigger.event}


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


@functools.cache
def physical_names() -> dict[str, str]:
    """Template logical id -> the physical name the moto stack gives it (sample conftest's constants)."""
    c = _sample_conftest()
    return {
        "OrdersTable": c.ORDERS_TABLE,
        "PaymentsTable": c.PAYMENTS_TABLE,
        "ProductsTable": c.PRODUCTS_TABLE,
        "InvoicesBucket": c.INVOICES_BUCKET,
        "UploadsBucket": c.UPLOADS_BUCKET,
        "FulfilmentQueue": c.FULFILMENT_QUEUE,
        "OrderEventsTopic": c.ORDER_EVENTS_TOPIC,
        "CheckoutStateMachine": c.CHECKOUT_STATE_MACHINE,
        "PaymentProviderFunction": c.PAYMENT_FUNCTION_NAME,
    }


def physical_name(logical_id: str) -> str:
    names = physical_names()
    if logical_id not in names:
        raise KeyError(f"no physical name for {logical_id}: add it to physical_names()")
    return names[logical_id]


def render_arn(expr: Any) -> str:
    return render(expr, template_resources(), physical_name, region=REGION, account=ACCOUNT, stack_name=STACK_NAME)


# --- what a route is granted ------------------------------------------------------------------------------------


def rendered_statements(
    policies: tuple[Any, ...] | list[Any], render: Callable[[Any], str] | None = None
) -> list[Statement]:
    """A SAM `Policies:` list as concrete Allow statements (templates expanded, resources rendered with
    `render`, the sample's physical names by default): verify's own reading, with nothing left unread."""
    policy = rendered_policy(policies, render or render_arn)
    assert not policy.problems, policy.problems
    return list(policy.statements)


def policy_document(statements: list[Statement]) -> dict[str, Any]:
    return Policy(tuple(statements)).document()


def allowed(statements: list[Statement], action: str, resource: str) -> bool:
    """Whether `statements` allow `action` on `resource`, by moto's own IAM policy evaluator."""
    return Policy(tuple(statements)).allows(action, resource)


def allowed_by_iam_match(statements: list[Statement], action: str, resource: str) -> bool:
    """The same question answered with decompose's own wildcard matcher."""
    return any(
        any(iam_match(p, action, case_sensitive=False) for p in s.actions)
        and any(iam_match(r, resource) for r in s.resources)
        for s in statements
    )


def moto_view(statements: list[Statement] | tuple[Statement, ...]) -> dict[str, Any]:
    """The policy document moto can enforce (`Policy.moto_view`): `Resource: *` where moto checks no resource,
    moto's action names added. Only statements whose actions all belong to S3 or SQS keep their resources
    (moto authorizes those services against the bucket/object or queue ARN); see the module docstring."""
    return Policy(tuple(statements)).moto_view()


def moto_request(need: tuple[str, str]) -> tuple[str, str]:
    """The (action, resource) moto authorizes for an IAM need."""
    action, arn = need
    service = action.split(":", 1)[0]
    return MOTO_ACTION_NAMES.get(action, action), arn if service in MOTO_RESOURCE_SERVICES else "*"


def moto_permits(document: dict[str, Any], need: tuple[str, str]) -> bool:
    if not document["Statement"]:
        return False
    action, resource = moto_request(need)
    return IAMPolicy(json.dumps(document)).is_action_permitted(action, resource) is PermissionResult.PERMITTED


@functools.cache
def _services_with_prefix(prefix: str) -> tuple[str, ...]:
    overrides = mapping_data().get("prefixes", {}).get("overrides", {})
    candidates = [prefix, *(client for client, p in overrides.items() if p == prefix)]
    return tuple(c for c in dict.fromkeys(candidates) if is_service(c) and iam_prefix(c) == prefix)


def _mapped_actions(service: str) -> set[str]:
    """Every action name decompose's mapping data can produce for `service` (ListBucket, InvokeFunction...)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if isinstance(node.get("action"), str):
                found.add(node["action"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(mapping_data()["operations"].get(service, {}))
    return found


@functools.cache
def known_actions(prefix: str) -> frozenset[str]:
    """The IAM actions of a prefix counted here: `prefix:Operation` for each botocore operation of its services,
    plus the action names decompose's mapping data uses for them (IAM-only actions outside both are not counted)."""
    actions: set[str] = set()
    for service in _services_with_prefix(prefix):
        actions |= {f"{prefix}:{op}" for op in operation_names(service)}
        actions |= {a for a in _mapped_actions(service) if a.startswith(prefix + ":")}
    return frozenset(actions)


def expand_action(pattern: str) -> frozenset[str]:
    """A granted action pattern as the IAM actions it allows, from parliament's catalogue of IAM actions (AWS's
    Service Authorization Reference): `sqs:SendMessage*` -> {sqs:SendMessage} (SendMessageBatch is authorized by
    sqs:SendMessage; it is no IAM action of its own)."""
    if "*" not in pattern and "?" not in pattern:
        return frozenset({pattern})
    from parliament import expand_action as parliament_expand  # noqa: PLC0415 (dev-only dependency)

    return frozenset(f"{item['service']}:{item['action']}" for item in parliament_expand(pattern))


def expand_action_by_operations(pattern: str) -> frozenset[str]:
    """The same over botocore's operations (`known_actions`): an API-shaped count, not IAM's (SendMessageBatch...)."""
    if "*" not in pattern and "?" not in pattern:
        return frozenset({pattern})
    prefix = pattern.split(":", 1)[0]
    if prefix == "*":
        raise ValueError("a bare '*' action is not counted")
    return frozenset(a for a in known_actions(prefix) if iam_match(pattern, a, case_sensitive=False))


def granted_pairs(statements: list[Statement]) -> set[tuple[str, str]]:
    """(action, resource pattern) pairs a policy grants, wildcard actions expanded."""
    return {
        (action, resource)
        for statement in statements
        for pattern in statement.actions
        for action in expand_action(pattern)
        for resource in statement.resources
    }


def exercised(pair: tuple[str, str], needs: set[tuple[str, str]]) -> bool:
    action, resource = pair
    return any(action.lower() == a.lower() and iam_match(resource, arn) for a, arn in needs)


# --- what a route does -------------------------------------------------------------------------------------------


ARN_RULES = frozenset({"s3", "dynamodb", "sqs", "lambda", "sns", "stepfunctions", "ssm"})  # what the sample calls


@dataclass(frozen=True)
class RecordedCall(VerifiedCall):
    """One AWS operation the handler really called (verify's `RecordedCall`), strict: a call of a service the
    proof has no concrete ARN rule for fails the test instead of falling back to a guessed ARN."""

    def _arns(self, need: Any) -> list[str]:
        if need.resource_type != "*" and self.service not in ARN_RULES:
            raise AssertionError(f"no concrete ARN rule for {self.service}.{self.operation} ({need.resource_type})")
        return super()._arns(need)


@dataclass
class RunResult:
    """What one event did: the handler's response or exception, the calls it made, the calls moto denied."""

    event: str
    response: Any = None
    error: BaseException | None = None
    calls: list[RecordedCall] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)

    def needs(self) -> set[tuple[str, str]]:
        return {need for call in self.calls for need in call.needs()}

    @property
    def succeeded(self) -> bool:
        if self.error is not None or self.denied:
            return False
        if isinstance(self.response, Mapping) and "statusCode" in self.response:
            return int(self.response["statusCode"]) < 400
        return isinstance(self.response, Mapping) and not self.response.get("errors")


def _is_access_denied(error: Mapping[str, Any]) -> bool:
    return is_access_denied(str(error.get("Code", "")), str(error.get("Message", "")))


class _Recorder:
    def __init__(self, result: RunResult, payment_function: str) -> None:
        self.result = result
        self.payment_function = payment_function

    def install(self, session: boto3.session.Session) -> None:
        events = session.events
        events.register("before-parameter-build", self.record)
        events.register("after-call", self.check_denied)
        events.register("after-call.lambda.Invoke", self.answer_invoke)

    def record(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        self.result.calls.append(RecordedCall(model.service_model.service_name, model.name, dict(params)))

    def check_denied(self, parsed: Mapping[str, Any], model: Any, **_: Any) -> None:
        error = parsed.get("Error") if isinstance(parsed, Mapping) else None
        if error and _is_access_denied(error):
            self.result.denied.append(f"{model.service_model.service_name}.{model.name}: {error.get('Code')}")

    def answer_invoke(self, parsed: dict[str, Any], **_: Any) -> None:
        """Run the payment provider on the payload moto's docker-free backend echoed back."""
        if parsed.get("Error") or "Payload" not in parsed:
            return
        call = self.result.calls[-1]
        assert call.operation == "Invoke", call
        if call.params.get("FunctionName") != self.payment_function:
            return
        request = json.loads(parsed["Payload"].read() or b"{}")
        try:
            answer: Any = _payment_provider().lambda_handler(request, None)
        except Exception as exc:  # the Lambda runtime reports any exception
            answer = {"errorMessage": str(exc), "errorType": type(exc).__name__}
            parsed["FunctionError"] = "Unhandled"
        data = json.dumps(answer).encode()
        parsed["Payload"] = StreamingBody(io.BytesIO(data), len(data))


def _is_app_module(name: str) -> bool:
    return name.split(".", 1)[0] in _sample_conftest().MONOLITH_MODULES


@contextlib.contextmanager
def _fresh_app() -> Iterator[ModuleType]:
    """The monolith's `app` imported fresh (its module-level clients built now); sys.modules/sys.path restored."""
    src = str(SAMPLE / "src")
    set_aside = {n: m for n, m in sys.modules.items() if _is_app_module(n)}
    for name in set_aside:
        del sys.modules[name]
    sys.path.insert(0, src)
    importlib.invalidate_caches()
    try:
        module = importlib.import_module("app")
        assert Path(module.__file__ or "").resolve().parent == SAMPLE / "src"
        for factory in ("s3_client", "lambda_client", "sfn_client"):
            getattr(sys.modules["common.clients"], factory).cache_clear()
        yield module
    finally:
        for name in [n for n in sys.modules if _is_app_module(n)]:
            del sys.modules[name]
        sys.modules.update(set_aside)
        sys.path.remove(src)


@functools.cache
def _shared_components() -> tuple[Any, Any]:
    base = botocore.session.get_session()
    return base.get_component("data_loader"), base._get_internal_component("endpoint_resolver")


def _session(key_id: str, secret: str) -> boto3.session.Session:
    """A new boto3 session sharing one data loader and endpoint resolver (JSON models are read once per process)."""
    loader, resolver = _shared_components()
    core = botocore.session.get_session()
    core.register_component("data_loader", loader)
    core._internal_components.register_component("endpoint_resolver", resolver)  # botocore has no public hook for it
    return boto3.session.Session(
        aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=REGION, botocore_session=core
    )


def _create_user(document: dict[str, Any]) -> tuple[str, str]:
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="route-under-test")
    if document["Statement"]:
        iam.put_user_policy(UserName="route-under-test", PolicyName="route", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName="route-under-test")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def run_event(event_name: str, *, policy: dict[str, Any] | None = None) -> RunResult:
    """Run events/<event_name>.json through app.lambda_handler in a fresh moto stack, recording every call.

    With `policy` (a document moto can enforce, see `moto_view`), the app runs as an IAM user holding only that
    policy, under moto's IAM access control; without it, as moto's unrestricted default credentials.
    """
    conftest = _sample_conftest()
    result = RunResult(event_name)
    event = load_event(event_name)
    with pytest.MonkeyPatch.context() as mp:
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            mp.delenv(key, raising=False)
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "LOG_LEVEL": "INFO",
            "INVOICE_URL_TTL_SECONDS": "900",
        }.items():
            mp.setenv(key, value)
        with mock_aws(config={"lambda": {"use_docker": False}}):
            mp.setattr(boto3, "DEFAULT_SESSION", _session("testing", "testing"))  # mock_aws resets it on start
            shop = conftest._create_stack(mp)
            conftest._seed(shop)
            key_id, secret = _create_user(policy) if policy is not None else ("testing", "testing")
            session = _session(key_id, secret)
            _Recorder(result, conftest.PAYMENT_FUNCTION_NAME).install(session)
            mp.setattr(boto3, "DEFAULT_SESSION", session)
            with _fresh_app() as app:
                guard = enable_iam_authentication() if policy is not None else contextlib.nullcontext()
                with guard:
                    try:
                        result.response = app.lambda_handler(event, None)
                    except Exception as exc:  # the outcome is what the tests inspect
                        result.error = exc
    return result


@functools.cache
def recorded_run(event_name: str) -> RunResult:
    """`run_event` without access control, once per process (the runs are deterministic)."""
    return run_event(event_name)


def route_statements(event_name: str) -> list[Statement]:
    return rendered_statements(routes_by_event()[event_name].policies)
