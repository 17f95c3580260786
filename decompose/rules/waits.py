"""`synchronous-wait`: time a function pays for waiting.

- sleeps (`time.sleep`, `asyncio.sleep`...: data `waits.sleeps`), as the IAM stage's call finder resolved
  them (`from time import sleep as pause` included, a project function called `sleep` not); inside a loop
  whose body makes an AWS call the sleep is a polling loop, and the finding names the call it polls;
- botocore waiters (`get_waiter(...).wait()`, `Table.wait_until_exists()`), with the Delay and MaxAttempts of
  the installed botocore's waiters-2 model: the longest they can wait;
- calls that block by design (data `waits.operations`): SQS long polling (`WaitTimeSeconds`), Step Functions
  `StartSyncExecution`;
- independent AWS calls made one after another in one function body (info): consecutive statements whose
  calls touch different resources, where no later statement uses a name an earlier one bound and no
  statement between them branches on it. Their waits add up; run them concurrently, batch them, or let the
  later step run from the first one's event.

A sleep of 0 (yielding to the event loop) is not a wait. Pagination loops (a call that passes its
paginator's input token, `ExclusiveStartKey`, `ContinuationToken`...) are not polling.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from decompose.analysis.symbols import Definition
from decompose.analysis.walk import descendants
from decompose.domain.iam import LibraryCall, SdkCall
from decompose.domain.model import Finding, Location, Severity
from decompose.iam import models
from decompose.rules.base import Rule
from decompose.rules.code import CodeIndex, RouteCode, literal_number
from decompose.rules.context import RouteView, RuleContext, permissions_at, resource_id
from decompose.rules.data import guidance, rules_data

EVENT_SOURCES = frozenset({"AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SNS::Topic"})
SIMPLE = (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign)


class SynchronousWaitRule(Rule):
    id: ClassVar[str] = "synchronous-wait"
    severity: ClassVar[Severity] = Severity.WARNING
    title: ClassVar[str] = "A function pays for time spent waiting"
    rationale: ClassVar[str] = (
        "Lambda bills the duration of an invocation whether the function computes or waits: a sleep, a "
        "waiter polling until a resource is ready, or AWS calls made one after another that could overlap "
        "all add billed time and latency, and bring the function closer to its timeout."
    )
    fix: ClassVar[str] = (
        "Let Step Functions do the waiting (a Wait state, a polling loop of Task + Wait + Choice, or "
        ".waitForTaskToken), or react to the event the awaited resource emits instead of polling it; run "
        "independent calls concurrently or split the function so the second step runs from the first's event."
    )
    source: ClassVar[str] = guidance("synchronous-wait")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        sleeps = rules_data()["waits"]["sleeps"]
        for view in context.routes():
            code = context.route_code(view)
            for used in view.route.library_calls:
                if used.function in sleeps:
                    finding = self._sleep(context, view, code, used)
                    if finding is not None:
                        yield finding
            for call in view.route.calls:
                finding = self._waiting_call(context, view, call)
                if finding is not None:
                    yield finding
            if code is not None:
                yield from self._sequences(view, code)
                yield from self._busy_polls(view, code)

    # ------------------------------------------------------------------------------------------- sleeps
    def _sleep(
        self, context: RuleContext, view: RouteView, code: RouteCode | None, used: LibraryCall
    ) -> Finding | None:
        owner = code.owner(used.location) if code else None
        node = _call_at(owner, used.location) if owner else None
        seconds = literal_number(node.args[0]) if node is not None and node.args else None
        if seconds == 0:
            return None
        amount = f"{seconds:g} s" if seconds is not None else "a computed time"
        evidence = [f"{used.function}({amount}) at {used.location}"]
        message = f"{used.function} sleeps {amount} inside the function: billed time spent waiting"
        if code is not None and owner is not None and node is not None:
            loop = _enclosing_loop(code.index, owner, node)
            polled = [c for c in code.calls_under(owner, [loop]) if not _paginates(c)] if loop is not None else []
            if polled:
                names = ", ".join(dict.fromkeys(f"{c.service}.{c.operation}" for c in polled))
                message = f"a polling loop: {names} every {amount}, paid while it waits"
                evidence.append(
                    f"loop at {Location(used.location.path, loop.lineno)} calls {_calls_text(view, polled)}"
                )
                evidence.append(_sketch_polling(polled[0], seconds))
        return self.finding(message, used.location, route=view.route.id, evidence=evidence)

    # -------------------------------------------------------------------------------------- SDK waits
    def _waiting_call(self, context: RuleContext, view: RouteView, call: SdkCall) -> Finding | None:
        waiter = _waiter_name(call)
        if waiter is not None:
            timing = models.waiter_timing(call.service, waiter)
            longest = (
                f"up to {timing[0] * timing[1]} s ({timing[1]} polls, {timing[0]} s apart)" if timing else "until done"
            )
            message = f"waiter {waiter} polls {call.service}.{call.operation} {longest} inside the function"
            evidence = [f"{call.via} at {call.location}: botocore waiters-2 Delay/MaxAttempts {timing or 'unknown'}"]
            evidence.append(_sketch_polling(call, timing[0] if timing else None))
            return self.finding(message, call.location, route=view.route.id, evidence=evidence)
        entry = rules_data()["waits"]["operations"].get(call.service, {}).get(call.operation)
        if entry is None:
            return None
        param = entry.get("param")
        if param:
            node = context.call_node(view, call)
            value = next((k.value for k in node.keywords if k.arg == param), None) if node is not None else None
            if node is None or value is None or literal_number(value) == 0:
                return None
        message = f"{call.service}.{call.operation} {entry['what']}, billed while it waits"
        return self.finding(
            message, call.location, route=view.route.id, evidence=[f"{call.operation} at {call.location}"]
        )

    # ---------------------------------------------------------------------------------- busy polling
    def _busy_polls(self, view: RouteView, code: RouteCode) -> Iterator[Finding]:
        """`while status == "RUNNING": status = describe(...)`: polling with no pause at all (a sleep in the
        loop is reported as the sleep's own polling finding)."""
        sleeps = rules_data()["waits"]["sleeps"]
        for definition, function in code.functions():
            for loop in code.index.fact(_status_loops, function):
                polled = [c for c in code.calls_under(definition, loop.body) if not _paginates(c)]
                if not polled or any(u.function in sleeps for u in code.library_under(definition, loop.body)):
                    continue
                where = Location(code.path(definition), loop.lineno)
                calls = ", ".join(dict.fromkeys(f"{c.service}.{c.operation}" for c in polled))
                message = f"a polling loop with no pause: {calls} as fast as it can until the status changes"
                evidence = [f"loop at {where} calls {_calls_text(view, polled)}", _sketch_polling(polled[0], None)]
                yield self.finding(message, where, route=view.route.id, evidence=evidence)

    # ----------------------------------------------------------------------------- sequential calls
    def _sequences(self, view: RouteView, code: RouteCode) -> Iterator[Finding]:
        if sum(not c.via.startswith("presign") for c in view.route.calls) < 2:
            return  # a run needs two steps with different calls
        for definition, function in code.functions():
            if len(_timed_calls(code, definition, [function])) < 2:
                continue  # a run needs two steps with different calls: one call (or none) under it has none
            for block in code.index.blocks(function):
                for run in _independent_runs(view, code, definition, block):
                    yield self._sequence_finding(view, code, definition, run)

    def _sequence_finding(self, view: RouteView, code: RouteCode, definition: Definition, run: list[_Step]) -> Finding:
        path = code.path(definition)
        steps = [f"{path}:{step.node.lineno} {_calls_text(view, step.calls)}" for step in run]
        first = run[0]
        writes_event_source = any(_is_write(view, c) and _event_source_type(view, c) for c in first.calls)
        if writes_event_source:
            fix = (
                "Let the later steps run from the first step's event (an S3 notification, a DynamoDB stream, an "
                "SQS or SNS subscription) in a function of their own, or run the independent calls concurrently."
            )
        else:
            fix = (
                "Run the independent calls concurrently (a ThreadPoolExecutor: boto3 clients are thread-safe) or "
                "batch them (BatchGetItem, SendMessageBatch)."
            )
        message = f"{len(run)} independent AWS calls run one after another in {definition.id}: their waits add up"
        return self.finding(
            message,
            Location(path, first.node.lineno),
            route=view.route.id,
            evidence=steps,
            fix=fix,
            severity=Severity.INFO,
        )


# --------------------------------------------------------------------------------------------- helpers
@dataclass
class _Step:
    node: ast.stmt
    calls: list[SdkCall]
    resources: frozenset[str]
    bound: set[str] = field(default_factory=set)


def _call_at(definition: Definition | None, location: Location) -> ast.Call | None:
    for node in definition.nodes if definition else []:
        for inner in descendants(node):
            if isinstance(inner, ast.Call) and inner.lineno == location.line:
                return inner
    return None


def _enclosing_loop(
    index: CodeIndex, definition: Definition, target: ast.AST
) -> ast.While | ast.For | ast.AsyncFor | None:
    """The innermost loop of the definition whose body holds `target` (not crossing nested functions)."""
    found = None
    for node in definition.nodes:
        for loop in [n for n in descendants(node) if isinstance(n, ast.While | ast.For | ast.AsyncFor)]:
            if any(inner is target for inner in index.shallow(loop)) and (found is None or loop.lineno >= found.lineno):
                found = loop
    return found


def _status_loops(index: CodeIndex, function: ast.AST) -> tuple[ast.While, ...]:
    """The `while` loops of a function (not in nested ones) whose condition tests a status."""
    if ast.While not in index.kinds(function):
        return ()
    loops = index.statements_of(function, (ast.While,))
    return tuple(loop for loop in loops if isinstance(loop, ast.While) and _tests_status(index, loop.test))


def _tests_status(index: CodeIndex, test: ast.expr) -> bool:
    """A loop condition on a status-like value (`status == "RUNNING"`, `job["state"] in (...)`)."""
    names = rules_data()["orchestration"]["status_names"]
    for node in index.nodes_of(test, ast.Compare):
        for side in (node.left, *node.comparators):
            key = side.id if isinstance(side, ast.Name) else side.attr if isinstance(side, ast.Attribute) else None
            if isinstance(side, ast.Subscript) and isinstance(side.slice, ast.Constant):
                key = side.slice.value
            if isinstance(key, str) and any(name in key.lower() for name in names):
                return True
    return False


def _paginates(call: SdkCall) -> bool:
    tokens = models.paginator_input_tokens(call.service, call.operation)
    return any(call.param(token) is not None for token in tokens)


def _waiter_name(call: SdkCall) -> str | None:
    kind, _, name = call.via.partition(" ")
    if kind == "waiter" and name:
        return name
    if kind == "resource" and ".wait_until_" in name:
        resource_type, _, method = name.partition(".")
        return models.resource_waiter(call.service, resource_type, method)
    return None


def _calls_text(view: RouteView, calls: list[SdkCall]) -> str:
    parts = []
    for call in calls:
        permissions = permissions_at(view.route, call)
        targets = sorted({p.resource for p in permissions}) if permissions else []
        on = f" on {', '.join(targets)}" if targets else ""
        parts.append(f"{call.service}.{call.operation}{on}")
    return ", ".join(dict.fromkeys(parts))


def _sketch_polling(call: SdkCall, seconds: float | None) -> str:
    wait = f"{seconds:g}" if seconds else "N"
    return (
        f"Step Functions: Check ({call.service}:{call.operation[0].lower()}{call.operation[1:]} Task) -> "
        f"Done? (Choice) -> Wait {wait} s (Wait) -> Check"
    )


def _is_write(view: RouteView, call: SdkCall) -> bool:
    from decompose.iam.actions import access_level  # noqa: PLC0415 - tiny, only when a sequence is found

    return any(access_level(p.action) == "Write" for p in permissions_at(view.route, call))


def _event_source_type(view: RouteView, call: SdkCall) -> bool:
    return any(resource_id(p) not in ("*",) for p in permissions_at(view.route, call)) and call.service in (
        "s3",
        "dynamodb",
        "sqs",
        "sns",
        "kinesis",
    )


def _independent_runs(
    view: RouteView, code: RouteCode, definition: Definition, block: list[ast.stmt]
) -> Iterator[list[_Step]]:
    run: list[_Step] = []
    tainted: set[str] = set()
    if sum(isinstance(statement, SIMPLE) for statement in block) < 2:
        return  # a run is two simple statements or more
    for statement in block:
        if not isinstance(statement, SIMPLE):
            if len(run) >= 2:
                yield run
            run, tainted = [], set()
            continue
        calls = _timed_calls(code, definition, [statement])
        used = code.index.fact(_loaded_names, statement)
        if not calls:
            if used & tainted:
                tainted |= code.index.fact(_bound_names, statement)
            continue
        resources = frozenset(p.resource for c in calls for p in permissions_at(view.route, c)) or frozenset(
            f"{c.service}:{c.operation}" for c in calls
        )
        touched = frozenset().union(*(step.resources for step in run)) if run else frozenset()
        if used & tainted or resources & touched or "*" in resources:
            if len(run) >= 2:
                yield run
            run, tainted = [], set()
        step = _Step(statement, calls, resources, code.index.fact(_bound_names, statement))
        run.append(step)
        tainted |= step.bound
    if len(run) >= 2:
        yield run


def _timed_calls(code: RouteCode, definition: Definition, nodes: list[ast.AST]) -> list[SdkCall]:
    """The calls running `nodes` makes that wait for AWS (a presigned URL is computed locally)."""
    return [c for c in code.calls_under(definition, nodes) if not c.via.startswith("presign")]


def _loaded_names(index: CodeIndex, node: ast.AST) -> frozenset[str]:
    """The names a statement reads."""
    return frozenset(n.id for n in index.nodes_of(node, ast.Name) if isinstance(n.ctx, ast.Load))


def _bound_names(index: CodeIndex, node: ast.AST) -> frozenset[str]:
    """The names a statement binds."""
    return frozenset(n.id for n in index.nodes_of(node, ast.Name) if isinstance(n.ctx, ast.Store))
