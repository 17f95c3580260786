"""What a dispatch strategy finds, and the contract every strategy implements.

A strategy reads one style of routing (an if/elif chain, a dispatch table, a `match`, Powertools
decorators, event-source checks) and reports `CodeRoute`s: the method/path or event source the code tests,
the entry function the route runs, and the statements of the branch that serves it. Strategies never look at
the template; matching code routes to template events is `analysis.triggers`' job.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator

    from decompose.analysis.dispatch.events import Evaluator
    from decompose.analysis.graph import DefinitionGraph
    from decompose.analysis.symbols import Definition, SymbolTable

HTTP = "http"
RECORDS = "Records"  # an event with Records whose source the code did not test
EVENT_SOURCE_TYPES = {
    "aws:s3": "S3",
    "aws:sqs": "SQS",
    "aws:sns": "SNS",
    "aws:dynamodb": "DynamoDB",
    "aws:kinesis": "Kinesis",
}
RECORD_KINDS = frozenset({RECORDS, *EVENT_SOURCE_TYPES.values()})
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})


@dataclass(frozen=True)
class Constraint:
    """What the branches taken so far say about the event.

    HTTP: `method`/`path` (API Gateway syntax) and `payload` ("v1"/"v2"). Others: `kind` is a SAM event
    type (`S3`, `EventBridgeRule`, `WebSocket`...) and `source` what the code compared (`aws:s3`,
    `shop.orders/OrderPlaced`, `$connect`). `strategy` names the strategy that made the last decisive test.
    """

    kind: str | None = None
    method: str | None = None
    path: str | None = None
    payload: str = ""
    source: str | None = None
    strategy: str | None = None

    @property
    def complete(self) -> bool:
        if self.kind == HTTP:
            return self.method is not None or self.path is not None
        return self.kind is not None and self.kind != RECORDS

    def merge(self, other: Constraint) -> Constraint | None:
        """Both constraints at once, or None when they contradict (an impossible branch)."""
        kind = other.kind or self.kind
        if self.kind and other.kind and self.kind != other.kind and RECORDS not in (self.kind, other.kind):
            return None
        if RECORDS in (self.kind, other.kind) and (self.kind or RECORDS) not in RECORD_KINDS:
            return None  # only record sources (S3, SQS...) carry `Records`: an HTTP event has none
        if RECORDS in (self.kind, other.kind) and (other.kind or RECORDS) not in RECORD_KINDS:
            return None
        if self.kind == RECORDS and other.kind:
            kind = other.kind
        method = _merge_value(self.method, other.method)
        path = _merge_path(self.path, other.path)
        source = _merge_source(self.source, other.source)
        if method is False or path is False or source is False:
            return None  # two different values of one key: no event has both
        return replace(
            self,
            kind=kind,
            method=method,  # type: ignore[arg-type]
            path=path,  # type: ignore[arg-type]
            payload=other.payload or self.payload,
            source=source,  # type: ignore[arg-type]
            strategy=other.strategy or self.strategy,
        )


def _merge_value(a: str | None, b: str | None) -> str | bool | None:
    if a is None or b is None or a == b:
        return a if b is None else b
    return False


def _merge_source(a: str | None, b: str | None) -> str | bool | None:
    """EventBridge tests combine: `shop.orders` and `*/OrderPlaced` make `shop.orders/OrderPlaced`."""
    if b in (None, "*", a):
        return a
    if a is None:
        return b
    if a == "*":
        return b
    if a in EVENT_SOURCE_TYPES and b not in EVENT_SOURCE_TYPES:
        return b  # `eventSource == "aws:s3"` then the bucket's name: the bucket says more
    if b in EVENT_SOURCE_TYPES and a not in EVENT_SOURCE_TYPES:
        return a
    if b.startswith("*/") and "/" not in a:
        return a + b[1:]
    if a.startswith("*/") and "/" not in b:
        return b + a[1:]
    return False


def _merge_path(a: str | None, b: str | None) -> str | bool | None:
    if a is None or b is None or a == b:
        return a if b is None else b
    if a.endswith("{proxy+}") and b.startswith(a.removesuffix("{proxy+}")):
        return b
    if b.endswith("{proxy+}") and a.startswith(b.removesuffix("{proxy+}")):
        return a
    return False


@dataclass(frozen=True)
class CodeRoute:
    """A route as the code dispatches it, before the template is consulted."""

    constraint: Constraint
    entry: str  # a definition id of the symbol table (a lambda gets one too)
    line: int  # where the entry is defined
    module: str  # the entry's module
    extra: tuple[str, ...] = ()  # graph targets the dispatch branch itself uses (response helpers...)
    inline: bool = False  # the branch itself is the route's code: reach comes from `extra` only
    # how the dispatcher calls the entry (`operations[op](dynamo, payload)`): (the dispatcher's definition id,
    # the call), so that the values it hands over (a client, a table) are the entry's parameters' values
    passed: tuple[str, ast.Call] | None = None
    dispatcher: str | None = None  # the walked definition whose branch serves the route (its leaf's function)


@dataclass(frozen=True)
class DispatchIssue:
    """Something a strategy saw but could not resolve (reported as `unresolved-dispatch`)."""

    module: str
    line: int
    message: str


@dataclass
class DispatchContext:
    """What strategies may use: the symbol table, the definition graph (for lambdas) and the handler."""

    symbols: SymbolTable
    graph: DefinitionGraph
    handler: Definition
    module: str = ""  # the module Lambda imports (the Handler's); the handler may be a name it imports

    @property
    def imported(self) -> str:
        """The module whose import runs the handler's code: what registers routes is what it imports."""
        return self.module or self.handler.module


class ConditionStrategy(Protocol):
    """A strategy that reads the tests of `if` statements (and boolean operands of them)."""

    name: ClassVar[str]

    def constraints(self, test: ast.expr, evaluator: Evaluator) -> list[Constraint] | None:
        """The alternatives a true `test` implies, or None if this strategy does not read `test`."""


class StatementStrategy(Protocol):
    """A strategy that reads whole statements of a function (a `match`, a table lookup)."""

    name: ClassVar[str]

    def routes(
        self, stmt: ast.stmt, evaluator: Evaluator, walker: Walker, constraint: Constraint
    ) -> Iterator[CodeRoute] | None:
        """Routes `stmt` dispatches to, or None if this strategy does not read `stmt`."""


class ModuleStrategy(Protocol):
    """A strategy that finds routes by reading modules rather than the handler's body (decorators)."""

    name: ClassVar[str]

    def prepare(self, symbols: SymbolTable) -> list[ast.AST]:
        """Scan the code once; return the decorators and statements that only register routes (they are
        part of no route's reach)."""

    def routes(self, context: DispatchContext) -> Iterator[CodeRoute | DispatchIssue]:
        """Routes registered on the framework object the handler delegates to."""


@dataclass
class Decisions:
    """What the walker read in each dispatch test, for slicing the dispatcher per route (`dispatch.slicing`).

    `kind` is "test" (an `if`: the alternatives its test implies), "guard" (an early-exit `if`: what the rest of
    its block may assume), "case" (a `match` case) or "key" (a dispatch-table key: the route part it names).
    A node walked several times (a helper called twice) keeps every reading; None means "not a dispatch test".
    `walked` are the functions the walker followed, the handler first; `owners` the tests read in each of them
    (definition id -> node ids), so that one function can be sliced alone (`slicing.entry_slice`).
    """

    readings: dict[int, tuple[str, ast.AST, list[list[Constraint] | None]]] = field(default_factory=dict)
    walked: dict[str, Definition] = field(default_factory=dict)
    owners: dict[str, dict[int, None]] = field(default_factory=dict)

    def record(self, kind: str, node: ast.AST, alternatives: list[Constraint] | None, owner: str | None = None) -> None:
        entry = self.readings.setdefault(id(node), (kind, node, []))
        entry[2].append(alternatives)
        if owner is not None:
            self.owners.setdefault(owner, {})[id(node)] = None

    def of(self, node: ast.AST, kind: str) -> list[list[Constraint] | None] | None:
        entry = self.readings.get(id(node))
        return entry[2] if entry is not None and entry[0] == kind and entry[1] is node else None


class Walker(Protocol):
    """The part of the walker a statement strategy calls back into."""

    def branch(self, body: list[ast.stmt], constraint: Constraint, evaluator: Evaluator) -> int: ...

    def entry_for(self, value: ast.expr, evaluator: Evaluator) -> tuple[str, int] | None: ...

    def bound_class(self, value: ast.expr, evaluator: Evaluator) -> Any: ...

    def references(self, nodes: list[ast.expr], evaluator: Evaluator) -> tuple[str, ...]: ...

    def descend(
        self, entry: str, call: ast.Call | None, constraint: Constraint, evaluator: Evaluator, instance: Any
    ) -> int: ...

    def emit(self, route: CodeRoute) -> None: ...

    def issue(self, line: int, message: str) -> None: ...

    def test(self, test: ast.expr, evaluator: Evaluator) -> list[Constraint] | None: ...

    def decide(self, kind: str, node: ast.AST, alternatives: list[Constraint] | None) -> None: ...
