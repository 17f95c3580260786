"""`function-orchestrator`: workflow logic inside a function.

Read from the structure around the route's AWS calls (placed in the AST by `code.RouteCode`), per function:

- retries: a loop (`while`, `for _ in range(n)`) around a `try` whose body makes AWS calls and that leaves
  the loop on success (`break`/`return`) or waits/continues on failure; or a retry decorator of tenacity,
  backoff, retrying or retry (data `orchestration.retry_decorators`) on a function that makes AWS calls;
- compensation: a `try` whose body writes to AWS and whose handler writes too (refund after a failed
  invoice, delete after a failed put);
- a status field driving a multi-state flow: branches on `x["status"]` (or `state`, `stage`, `step`,
  `phase`) against two or more values, two or more of them making AWS calls;
- several services called in sequence under one error handler: a `try` whose body calls at least two
  services with at least three AWS calls.

A `for` over records with a `try` per record (error isolation) is not a retry; a handler that only logs,
returns an error response or re-raises is not compensation. The finding carries the evidence and a sketch
of the Step Functions states the function would become (as text; generating ASL is a later step).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar

from decompose.analysis.symbols import Definition
from decompose.domain.iam import SdkCall
from decompose.domain.model import Finding, Location, Severity
from decompose.iam.actions import access_level
from decompose.rules.base import Rule
from decompose.rules.code import CodeIndex, FunctionNode, RouteCode
from decompose.rules.context import RouteView, RuleContext, permissions_at, resource_id
from decompose.rules.data import guidance, rules_data

SHAPES = frozenset({ast.While, ast.Try, ast.TryStar, ast.Match})  # each can make a finding of its own
LOOPS = frozenset({ast.For, ast.AsyncFor})  # a retry loop only when it counts attempts


class FunctionOrchestratorRule(Rule):
    id: ClassVar[str] = "function-orchestrator"
    severity: ClassVar[Severity] = Severity.WARNING
    title: ClassVar[str] = "Workflow logic (retries, compensation, state) lives inside a function"
    rationale: ClassVar[str] = (
        "Retries with backoff, compensation on failure and status-driven flows written inside a function are "
        "custom orchestration: the function is billed while it retries and waits, a timeout or crash midway "
        "leaves the workflow half done with no record of where it stopped, and every function re-implements "
        "error handling that Step Functions provides (Retry, Catch, Choice, an execution history)."
    )
    fix: ClassVar[str] = (
        "Move the workflow into a Step Functions state machine (one Task state per step, Retry and Catch for "
        "errors, a Choice on the status) and keep only the business logic of each step in the functions."
    )
    source: ClassVar[str] = guidance("function-orchestrator")

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for view in context.routes():
            code = context.route_code(view)
            if code is None:
                continue
            for definition, function in code.functions():
                if not _may_orchestrate(code, definition, function):
                    continue
                evidence, retried, caught, choice = _patterns(view, code, definition, function)
                if not evidence:
                    continue
                calls = code.calls_under(definition, function.body)
                sketch = _sketch(view, calls, retried, caught, choice)
                first = min(line for line, _ in evidence)
                message = f"{definition.id} orchestrates a workflow: {', '.join(dict.fromkeys(k for _, k in evidence))}"
                lines = [f"{code.path(definition)}:{line} {what}" for line, what in sorted(evidence)]
                yield self.finding(
                    message,
                    Location(code.path(definition), first),
                    route=view.route.id,
                    evidence=[*lines, f"Step Functions sketch: {sketch}"],
                )


def _patterns(
    view: RouteView, code: RouteCode, definition: Definition, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> tuple[list[tuple[int, str]], set[int], dict[int, list[SdkCall]], tuple[str, list[str]] | None]:
    """(evidence lines as (line, kind), ids of retried calls, call id -> compensating calls, status choice)."""
    found: list[tuple[int, str]] = []
    retried: set[int] = set()
    caught: dict[int, list[SdkCall]] = {}
    data = rules_data()["orchestration"]
    for decorator in function.decorator_list:
        name = _qualified(code, definition, decorator.func if isinstance(decorator, ast.Call) else decorator)
        if name in data["retry_decorators"]:
            inner = code.calls_under(definition, function.body)
            if inner:
                found.append((decorator.lineno, f"retry decorator {name} around {_names(inner)}"))
                retried |= {id(c) for c in inner}
    for node in code.index.statements_of(function, (ast.While, ast.For, ast.AsyncFor, ast.Try, ast.TryStar)):
        if isinstance(node, ast.While | ast.For | ast.AsyncFor) and _retry_loop(code, definition, node):
            inner = code.calls_under(definition, [node])
            found.append((node.lineno, f"retry loop around {_names(inner)}"))
            retried |= {id(c) for c in inner}
        if isinstance(node, ast.Try | ast.TryStar):
            body = code.calls_under(definition, node.body)
            handlers = [c for h in node.handlers for c in code.calls_under(definition, h.body)]
            body_writes = [c for c in body if _writes(view, c)]
            handler_writes = [c for c in handlers if _writes(view, c)]
            if _compensates(view, body_writes, handler_writes):
                found.append(
                    (node.lineno, f"compensation: on failure of {_names(body)} it calls {_names(handler_writes)}")
                )
                for call in body:
                    caught[id(call)] = handler_writes
            services = {c.service for c in body}
            if len(services) >= data["min_sequence_services"] and len(body) >= data["min_sequence_calls"]:
                found.append(
                    (
                        node.lineno,
                        f"{len(body)} calls to {', '.join(sorted(services))} in sequence under one error handler",
                    )
                )
    choice = _status_flow(code, definition, function)
    if choice is not None:
        found.append((choice[2], f"status {choice[0]!r} drives {len(choice[1])} branches ({', '.join(choice[1])})"))
    return found, retried, caught, (choice[0], choice[1]) if choice else None


def _may_orchestrate(code: RouteCode, definition: Definition, function: FunctionNode) -> bool:
    """Whether the function has a shape `_patterns` reads: a retry decorator, or a workflow shape in its
    body (most functions have neither, and are not read further)."""
    if code.index.fact(_workflow_shape, function):
        return True
    retries = rules_data()["orchestration"]["retry_decorators"]
    return any(
        _qualified(code, definition, d.func if isinstance(d, ast.Call) else d) in retries
        for d in function.decorator_list
    )


def _workflow_shape(index: CodeIndex, function: ast.AST) -> bool:
    """A `while` loop, a `try`, a `match`, a `for` that counts attempts or a status test somewhere under the
    function: read from the kinds of node it holds, so a function without one is not walked."""
    kinds = index.kinds(function)
    if kinds & SHAPES:
        return True
    loops = (*index.nodes_of(function, ast.For), *index.nodes_of(function, ast.AsyncFor)) if kinds & LOOPS else ()
    if any(_counted(loop.iter) for loop in loops):
        return True
    return ast.If in kinds and bool(index.fact(_status_tests, function))


def _compensates(view: RouteView, body: list[SdkCall], handler: list[SdkCall]) -> bool:
    """A handler that undoes work: the body wrote in several steps (one may have succeeded before another
    failed), or the handler writes to a resource the body wrote to. Cleaning up something else on a known
    error (a stale WebSocket connection on GoneException) is not compensation."""
    if not body or not handler:
        return False
    steps = {(c.service, c.operation, c.location) for c in body}
    written = {resource_id(p) for c in body for p in permissions_at(view.route, c)} - {"*"}
    undone = {resource_id(p) for c in handler for p in permissions_at(view.route, c)} - {"*"}
    return len(steps) >= 2 or bool(written & undone)


def _retry_loop(code: RouteCode, definition: Definition, loop: ast.While | ast.For | ast.AsyncFor) -> bool:
    if isinstance(loop, ast.For | ast.AsyncFor) and not _counted(loop.iter):
        return False  # a loop over records or items: error isolation, not a retry
    for node in code.index.shallow_statements(loop):
        if not isinstance(node, ast.Try | ast.TryStar) or not code.calls_under(definition, node.body):
            continue
        leaves = any(
            isinstance(n, ast.Break | ast.Return) for s in [*node.body, *node.orelse] for n in _shallow(code.index, s)
        )
        waits = any(_waits_or_continues(code, definition, h) for h in node.handlers)
        if leaves or waits:
            return True
    return False


def _counted(iterator: ast.expr) -> bool:
    """`range(n)`, `itertools.count()`: a loop that counts attempts."""
    if isinstance(iterator, ast.Call):
        func = iterator.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name in ("range", "count", "repeat")
    return False


def _waits_or_continues(code: RouteCode, definition: Definition, handler: ast.ExceptHandler) -> bool:
    if any(isinstance(n, ast.Continue) for s in handler.body for n in _shallow(code.index, s)):
        return True
    sleeps = rules_data()["waits"]["sleeps"]
    return any(c.function in sleeps for c in code.library_under(definition, handler.body))


def _shallow(index: CodeIndex, node: ast.AST) -> Iterator[ast.AST]:
    yield node
    yield from index.shallow_statements(node)


def _writes(view: RouteView, call: SdkCall) -> bool:
    return any(access_level(p.action) == "Write" for p in permissions_at(view.route, call))


def _status_flow(
    code: RouteCode, definition: Definition, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> tuple[str, list[str], int] | None:
    names = set(rules_data()["orchestration"]["status_names"])
    branches: dict[str, dict[str, tuple[int, ...]]] = {}
    for node in code.index.statements_of(function, (ast.If, ast.Match)):
        if isinstance(node, ast.If):
            for field, value in code.index.fact(_status_tests, node.test):
                calls = code.calls_under(definition, node.body)
                if calls:
                    branches.setdefault(field, {})[value] = tuple(id(c) for c in calls)
                    branches[field].setdefault("@line", (node.lineno,))
        if isinstance(node, ast.Match) and (field := _status_field(node.subject, names)):
            for case in node.cases:
                if isinstance(case.pattern, ast.MatchValue) and isinstance(case.pattern.value, ast.Constant):
                    calls = code.calls_under(definition, case.body)
                    if calls:
                        branches.setdefault(field, {})[str(case.pattern.value.value)] = tuple(id(c) for c in calls)
                        branches[field].setdefault("@line", (node.lineno,))
    for field, values in branches.items():
        line = values.pop("@line")[0]
        distinct = set(values.values())
        if len(values) >= 2 and len(distinct) >= 2:
            return field, sorted(values), line
    return None


def _status_tests(index: CodeIndex, test: ast.AST) -> tuple[tuple[str, str], ...]:
    """(field, value) of each `status == "VALUE"` comparison in a condition, in `ast.walk`'s order."""
    names = set(rules_data()["orchestration"]["status_names"])
    found = []
    for node in index.nodes_of(test, ast.Compare):
        if len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
            field = _status_field(node.left, names)
            right = node.comparators[0]
            if field and isinstance(right, ast.Constant) and isinstance(right.value, str):
                found.append((field, right.value))
    return tuple(found)


def _status_field(node: ast.expr, names: set[str]) -> str | None:
    key = None
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        key = node.slice.value
    elif isinstance(node, ast.Attribute):
        key = node.attr
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        first = node.args[0]
        key = first.value if isinstance(first, ast.Constant) else None
    elif isinstance(node, ast.Name):
        key = node.id
    return key if isinstance(key, str) and key.lower() in names else None


def _qualified(code: RouteCode, definition: Definition, node: ast.expr) -> str | None:
    """The dotted name of a decorator as the module imports it (`from tenacity import retry` -> tenacity.retry)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    imported = code.symbols.modules[definition.module].imports.get(node.id)
    if imported is None:
        return None
    target, attr, _ = imported
    return ".".join([target, *([attr] if attr else []), *parts])


def _names(calls: list[SdkCall]) -> str:
    return ", ".join(dict.fromkeys(f"{c.service}.{c.operation}" for c in calls)) or "-"


def _sketch(
    view: RouteView,
    calls: list[SdkCall],
    retried: set[int],
    caught: dict[int, list[SdkCall]],
    choice: tuple[str, list[str]] | None,
) -> str:
    states = []
    if choice is not None:
        states.append(f"Route on {choice[0]} (Choice: {' | '.join(choice[1])})")
    for call in calls:
        if call.via.startswith("presign"):
            continue
        state = f"{_state_name(view, call)} (Task {call.service}:{call.operation[0].lower()}{call.operation[1:]})"
        if id(call) in retried:
            state += " [Retry: BackoffRate 2]"
        if id(call) in caught:
            state += f" [Catch -> {', '.join(dict.fromkeys(_state_name(view, c) for c in caught[id(call)]))}]"
        states.append(state)
    return " -> ".join(dict.fromkeys(states)) or "-"


def _state_name(view: RouteView, call: SdkCall) -> str:
    targets = sorted({resource_id(p) for p in permissions_at(view.route, call) if resource_id(p) != "*"})
    return call.operation + (targets[0] if targets else "")
