"""Slicing a dispatcher for some of its routes: the code a per-route handler keeps.

The walker records what every dispatch test says (`Decisions`). For the routes of one new function (their
code constraints), a part of the dispatcher can be dropped when *every* reading of its test contradicts
*every* one of those routes (`Constraint.merge` returns None): an `if` branch whose test is then never true,
a `match` case, a dispatch-table entry, or the rest of a block after an early-exit guard that those routes
always take. A test of the HTTP method alone that every route passes (`if request.method == "DELETE":` for
DELETE) drops its `else`, and the rest of its block when its body exits. Everything undecidable is kept, so
the slice serves those routes exactly as the monolith did: the same pre-processing, the same `try`/`except`
around the branch, the same fallback.

A test is only dropped when evaluating it cannot have an effect the kept code sees: it calls nothing but the
string and regex methods dispatch code uses, and a name it binds with `:=` is read nowhere else except under
a test that binds it again.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from decompose.analysis.dispatch.base import HTTP, Constraint, Decisions
from decompose.analysis.symbols import Definition

PURE_METHODS = frozenset(
    {
        "fullmatch",
        "match",
        "search",
        "startswith",
        "endswith",
        "get",
        "upper",
        "lower",
        "strip",
        "rstrip",
        "lstrip",
        "casefold",
        "split",
    }
)


@dataclass(frozen=True)
class Slice:
    """The dispatch parts the routes of one function never take (ids of AST nodes of the walked code)."""

    dropped: frozenset[int]  # `if` statements whose body is never taken, match cases, table keys
    # early-exit guards the routes always take, and exiting `if`s on the method they always enter: the rest of
    # their block is dead
    cut: frozenset[int]
    walked: tuple[Definition, ...]  # the handler first, then the helpers the walker followed
    taken: frozenset[int] = frozenset()  # `if`s on the method every route has: their `else` is dead

    def keeps(self, node: ast.AST) -> bool:
        return id(node) not in self.dropped


def slice_for(decisions: Decisions, routes: Sequence[Constraint]) -> Slice:
    """The slice of the recorded dispatcher for `routes` (the code constraints of one function's routes)."""
    dropped: set[int] = set()
    cut: set[int] = set()
    taken: set[int] = set()
    for key, (kind, node, readings) in decisions.readings.items():
        if kind == "test" and isinstance(node, ast.If) and _method_taken(node, readings, routes):
            taken.add(key)  # `if request.method == "DELETE":` for DELETE: its `else` never runs
            if _exits(node.body):
                cut.add(key)  # nor does the rest of the block after `... return`
            continue
        if not _contradicts(readings, routes):
            continue
        if kind == "guard":
            cut.add(key)
        elif kind == "test" and isinstance(node, ast.If) and not _safe_to_drop_test(node, decisions):
            continue
        else:
            dropped.add(key)
    return Slice(frozenset(dropped), frozenset(cut), tuple(decisions.walked.values()), frozenset(taken))


def _contradicts(readings: list[list[Constraint] | None], routes: Sequence[Constraint]) -> bool:
    if not routes or not readings:
        return False
    for alternatives in readings:
        if alternatives is None:
            return False
        for alternative in alternatives:
            if any(route.merge(alternative) is not None for route in routes):
                return False
    return True


def _exits(body: list[ast.stmt]) -> bool:
    """Every path through `body` leaves the block it is in (it ends in a return, raise, break or continue)."""
    return bool(body) and isinstance(body[-1], ast.Return | ast.Raise | ast.Break | ast.Continue)


def _method_taken(node: ast.If, readings: list[list[Constraint] | None], routes: Sequence[Constraint]) -> bool:
    """Whether the test is true for every event of `routes`: a single comparison of the HTTP method alone
    (`method == "DELETE"`, `method in ("PUT", "POST")`), the method every route has. Paths are not decided
    this way: a literal or a pattern need not match every path API Gateway sends for a route's template."""
    if not routes or not readings or not isinstance(node.test, ast.Compare) or len(node.test.ops) != 1:
        return False
    for alternatives in readings:
        if not alternatives:
            return False
        methods = {a.method for a in alternatives if a.path is None and a.source is None and a.method}
        if len(methods) != len(alternatives):
            return False
        if any(route.kind != HTTP or route.method not in methods for route in routes):
            return False
    return True


def _safe_to_drop_test(node: ast.If, decisions: Decisions) -> bool:
    if not _pure(node.test):
        return False
    bound = {n.target.id for n in ast.walk(node.test) if isinstance(n, ast.NamedExpr)}
    if not bound:
        return True
    owner = _owner(node, decisions)
    return owner is None or not _read_unbound(owner, node, bound)


def _pure(test: ast.expr) -> bool:
    """Evaluating `test` has no effect but `:=` bindings (calls only to string/regex methods)."""
    for node in ast.walk(test):
        if isinstance(node, ast.Call):
            func = node.func
            if not (isinstance(func, ast.Attribute) and func.attr in PURE_METHODS):
                return False
        elif isinstance(node, ast.Await | ast.Yield | ast.YieldFrom | ast.Lambda):
            return False
    return True


def _owner(node: ast.AST, decisions: Decisions) -> ast.AST | None:
    for definition in decisions.walked.values():
        top = definition.nodes[0]
        if any(inner is node for inner in ast.walk(top)):
            return top
    return None


def _read_unbound(function: ast.AST, dropped: ast.If, names: set[str]) -> bool:
    """Whether a name the dropped test binds is read somewhere no other test binds it first."""

    def visit(node: ast.AST, covered: frozenset[str]) -> bool:
        if node is dropped:
            return False
        if isinstance(node, ast.If):
            binds = covered | {n.target.id for n in ast.walk(node.test) if isinstance(n, ast.NamedExpr)}
            return (
                visit(node.test, covered)
                or any(visit(s, binds) for s in node.body)
                or any(visit(s, covered) for s in node.orelse)
            )
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in names:
            return node.id not in covered
        return any(visit(child, covered) for child in ast.iter_child_nodes(node))

    return visit(function, frozenset())


def entry_slice(
    decisions: Decisions, entry: Definition, routes: Sequence[Constraint]
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The entry function as `routes` run it: a pruned copy without the branches of its own tests that
    contradict every one of them (a dispatcher's other routes, a view's other methods), or None when none do.

    Only the tests read inside `entry` count; what it calls is not sliced (its reach follows the kept code)."""
    owned = decisions.owners.get(entry.id)
    if any(route.method == "ANY" for route in routes):
        return None  # a view registered for any method runs every branch of its method tests
    if not owned or not entry.nodes or not isinstance(entry.nodes[0], ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    mine = Decisions({key: decisions.readings[key] for key in owned}, {entry.id: entry})
    cut = slice_for(mine, routes)
    if not cut.dropped and not cut.cut:
        return None
    pruned = prune(entry.nodes[0], cut)
    assert isinstance(pruned, ast.FunctionDef | ast.AsyncFunctionDef)
    return pruned


# --------------------------------------------------------------------------------------------- pruning
def prune(node: ast.AST, cut: Slice) -> ast.AST:
    """A copy of `node` without the parts `cut` drops (blocks left empty get `pass`)."""
    return _Pruner(cut).visit(_copy_with_ids(node))


def _copy_with_ids(node: ast.AST) -> ast.AST:
    """A deep copy whose nodes remember the id of the original (`_origin`), so slices still apply."""
    originals = list(ast.walk(node))
    duplicate = copy.deepcopy(node)
    for original, twin in zip(originals, ast.walk(duplicate), strict=True):
        twin._origin = id(original)  # type: ignore[attr-defined]
    return duplicate


def _origin(node: ast.AST) -> int:
    return getattr(node, "_origin", id(node))


class _Pruner(ast.NodeTransformer):
    def __init__(self, cut: Slice) -> None:
        self.cut = cut

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field, value in ast.iter_fields(node):
            if isinstance(value, list) and value and all(isinstance(v, ast.stmt) for v in value):
                setattr(node, field, self._block(value) or ([ast.Pass()] if field in ("body", "finalbody") else []))
        result = super().generic_visit(node)
        if isinstance(result, ast.If) and _origin(result) in self.cut.taken:
            result.orelse = []
        if isinstance(result, ast.Match):
            cases = [c for c in result.cases if _origin(c) not in self.cut.dropped]
            result.cases = cases or [ast.match_case(pattern=ast.MatchAs(), guard=None, body=[ast.Pass()])]
        if isinstance(result, ast.Dict):
            pairs = [
                (k, v)
                for k, v in zip(result.keys, result.values, strict=True)
                if k is None or _origin(k) not in self.cut.dropped
            ]
            result.keys = [k for k, _ in pairs]
            result.values = [v for _, v in pairs]
        return result

    def _block(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in body:
            if isinstance(stmt, ast.If) and _origin(stmt) in self.cut.dropped:
                out.extend(self._block(stmt.orelse))
                continue
            if _origin(stmt) in self.cut.dropped:  # another route's registration in a framework app's code
                continue
            out.append(stmt)
            if isinstance(stmt, ast.If) and _origin(stmt) in self.cut.cut:
                break
        return out


def references_of(nodes: Iterable[ast.AST]) -> set[str]:
    """Every plain name a piece of code loads (for choosing the module-level statements a slice needs)."""
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
