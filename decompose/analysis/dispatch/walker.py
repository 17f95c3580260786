"""The walk shared by every strategy that reads a handler's body.

It follows the handler statement by statement with a symbolic environment (`events.Evaluator`), asks the
condition strategies what each `if` test says about the event, lets statement strategies read `match`
statements and table lookups, and walks into helper functions that receive the event. A branch whose tests
pin a route down and that dispatches no further is a *leaf*: its route's entry is the project function the
branch calls that the fewest other branches call (so `respond(200, list_orders())` runs `list_orders`), and
everything else the branch uses joins the route's reach.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from decompose.analysis.dispatch.base import (
    RECORDS,
    CodeRoute,
    Constraint,
    Decisions,
    DispatchContext,
    DispatchIssue,
)
from decompose.analysis.dispatch.events import Evaluator, EventPath, InstanceValue, RoleValue, Symbolic

if TYPE_CHECKING:
    from collections.abc import Sequence

    from decompose.analysis.dispatch.base import ConditionStrategy, ModuleStrategy, StatementStrategy
    from decompose.analysis.graph import NodeFacts, Scope
    from decompose.analysis.symbols import Definition

MAX_DEPTH = 8
CALLABLE_KINDS = frozenset({"function", "method", "class"})


@dataclass(frozen=True)
class _Bound:
    """A method bound to an object: the method, the object's class, where the object is built."""

    method: str
    cls: str
    origin: str | None = None


@dataclass
class _Leaf:
    constraint: Constraint
    definition: Definition
    calls: list[str]
    facts: NodeFacts
    line: int
    body: list[ast.stmt]
    nodes: dict[str, ast.Call] | None = None  # the first call of each callee in the branch


class DispatchWalker:
    """Walks one handler and returns the routes and unresolved dispatches it finds."""

    def __init__(
        self,
        context: DispatchContext,
        conditions: Sequence[ConditionStrategy],
        statements: Sequence[StatementStrategy],
        modules: Sequence[ModuleStrategy] = (),
        decisions: Decisions | None = None,
    ) -> None:
        self.context = context
        self.decisions = decisions if decisions is not None else Decisions()
        self.symbols = context.symbols
        self.conditions = conditions
        self.statements = statements
        self.modules = modules  # a helper the handler hands the event to may delegate to a framework object
        self.routes: list[CodeRoute] = []
        self.issues: list[DispatchIssue] = []
        self._leaves: list[_Leaf] = []
        self._current: Definition = context.handler
        self._passes: dict[tuple[str, str], Definition] = {}  # (wrapper, its decorator's parameter) -> handler
        self._descended = 0  # routes found inside dispatch-table values while a statement strategy ran

    def run(self) -> tuple[list[CodeRoute], list[DispatchIssue]]:
        handler = self.context.handler
        wrapped = self._wrapper(handler)
        start = wrapped[1] if wrapped is not None else handler
        node = start.nodes[0]
        params = (
            [*node.args.posonlyargs, *node.args.args]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            else []
        )
        if start.kind == "method":  # `__call__` of the object the handler names: the event follows `self`
            params = params[1:]
        env: dict[str, Symbolic] = {params[0].arg: EventPath()} if params else {}
        self._walk_function(start, env, Constraint(), ())
        self._resolve_leaves()
        if wrapped is not None:  # the decorator's wrapper runs before every route: it is in every route's reach
            decorator = wrapped[0].id
            self.routes = [replace(r, extra=(*r.extra, decorator)) for r in self.routes]
        return self.routes, self.issues

    def walk_view(self, view: Definition, env: dict[str, Symbolic]) -> None:
        """Read a framework view's own tests of the request (`if request.method == "PUT":`, `env` naming the
        request) into the decisions, so that each route it is registered for can be sliced from it. The view's
        routes are the framework's: whatever the walk would emit here is dropped."""
        self._walk_function(view, dict(env), Constraint(), ())

    def _wrapper(self, handler: Definition) -> tuple[Definition, Definition] | None:
        """`@route_key def handler(key, event, context)` whose decorator's wrapper computes the route key and
        calls the handler with it: (the decorator, its wrapper as a definition); the walk starts there."""
        node = handler.nodes[0]
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or len(node.decorator_list) != 1:
            return None
        target = self.context.graph.scope(handler).resolve(node.decorator_list[0])
        decorator = self.symbols.definitions.get(target) if isinstance(target, str) else None
        outer = decorator.nodes[0] if decorator is not None else None
        if decorator is None or not isinstance(outer, ast.FunctionDef) or len(outer.args.args) != 1:
            return None
        returned = {s.value.id for s in outer.body if isinstance(s, ast.Return) and isinstance(s.value, ast.Name)}
        inner = next(
            (s for s in outer.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name in returned),
            None,
        )
        if inner is None or not inner.args.args:
            return None
        wrapper_id = f"{decorator.id}.{inner.name}"
        wrapper = self.symbols.definitions.setdefault(
            wrapper_id, type(decorator)(wrapper_id, decorator.module, inner.name, "function", [inner], inner.lineno)
        )
        self._passes[(wrapper.id, outer.args.args[0].arg)] = handler
        return decorator, wrapper

    # ----------------------------------------------------------------------------- walker protocol
    def emit(self, route: CodeRoute) -> None:
        self.routes.append(route)

    def issue(self, line: int, message: str) -> None:
        self.issues.append(DispatchIssue(self._current.module, line, message))

    def decide(self, kind: str, node: ast.AST, alternatives: list[Constraint] | None) -> None:
        """Record what a dispatch test says (`Decisions`): the handler generator slices by it."""
        self.decisions.record(kind, node, alternatives, self._current.id)

    def entry_for(self, value: ast.expr, evaluator: Evaluator) -> tuple[str, int] | None:
        """The definition a dispatch-table value names: a function, a method, a lambda, or a method bound to
        an object (`self.get_all` in a method walked for its object, a module-level `Endpoint(...).run`)."""
        if isinstance(value, ast.Lambda):
            return self.context.graph.add_lambda(evaluator.module, value), value.lineno
        bound = self._bound(value, evaluator)
        if bound is not None:
            definition = self.symbols.definitions[bound.method]
            return definition.id, definition.line
        target = self._scope(evaluator).resolve(value)
        definition = self.symbols.definitions.get(target) if isinstance(target, str) else None
        if definition is None or definition.kind not in CALLABLE_KINDS:
            return None
        return definition.id, definition.line

    def test(self, test: ast.expr, evaluator: Evaluator) -> list[Constraint] | None:
        """What a true `test` says about the event (a `case` guard, say), or None if no strategy reads it."""
        _bind_walrus(test, evaluator)
        return self._constraints(test, evaluator)

    def references(self, nodes: list[ast.expr], evaluator: Evaluator) -> tuple[str, ...]:
        """The graph targets (module-level clients, tables...) expressions of the current function name."""
        return tuple(sorted(self._scope(evaluator).references(nodes).targets))

    def bound_class(self, value: ast.expr, evaluator: Evaluator) -> InstanceValue | None:
        """The object a dispatch-table value is a bound method of (its class, where it is built), if one."""
        bound = self._bound(value, evaluator)
        return InstanceValue(bound.cls, bound.origin) if bound is not None else None

    def _bound(self, value: ast.expr, evaluator: Evaluator, depth: int = 0, origin: str | None = None) -> _Bound | None:
        """`obj.method` where obj is `self` of a known class, a module-level instance (`x = Cls(...)`), or a
        constructor call; or a module-level name bound to such a method (`root = Root(db).run`)."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(value, ast.Attribute):
            found = self._instance(value.value, evaluator, depth, origin)
            method = self.symbols.method_of(found.cls, value.attr) if found is not None else None
            return _Bound(method, found.cls, found.origin) if method is not None and found is not None else None
        if isinstance(value, ast.Name) and value.id not in evaluator.env:
            target = self._scope(evaluator).resolve(value)
            definition = self.symbols.definitions.get(target) if isinstance(target, str) else None
            if definition is not None and definition.kind == "assignment" and len(definition.nodes) == 1:
                inner = getattr(definition.nodes[0], "value", None)
                if isinstance(inner, ast.Attribute):
                    module = Evaluator(self.symbols, definition.module, {})
                    return self._bound(inner, module, depth + 1, origin or definition.id)
        return None

    def _instance(self, node: ast.expr, evaluator: Evaluator, depth: int, origin: str | None) -> InstanceValue | None:
        if isinstance(node, ast.Name) and isinstance(found := evaluator.env.get(node.id), InstanceValue):
            return found
        if isinstance(node, ast.Call):
            target = self.symbols.resolve_expression(evaluator.module, node.func)
            definition = self.symbols.definitions.get(target) if isinstance(target, str) else None
            return (
                InstanceValue(definition.id, origin) if definition is not None and definition.kind == "class" else None
            )
        if isinstance(node, ast.Name) and node.id not in evaluator.env and depth <= MAX_DEPTH:
            target = self.symbols.resolve_expression(evaluator.module, node)
            definition = self.symbols.definitions.get(target) if isinstance(target, str) else None
            if definition is not None and definition.kind == "assignment" and len(definition.nodes) == 1:
                inner = getattr(definition.nodes[0], "value", None)
                if isinstance(inner, ast.Call):
                    module = Evaluator(self.symbols, definition.module, {})
                    return self._instance(inner, module, depth + 1, origin or definition.id)
        return None

    def descend(
        self,
        entry: str,
        call: ast.Call | None,
        constraint: Constraint,
        evaluator: Evaluator,
        instance: InstanceValue | None,
    ) -> int:
        """Walk a dispatch-table value called with the event (`table[key](event)`): it may dispatch again
        (an object's `run` looking up `self.http_methods`). Returns the routes found inside it."""
        definition = self.symbols.definitions.get(entry)
        if definition is None or definition.id in evaluator.stack or len(evaluator.stack) >= MAX_DEPTH:
            return 0
        env = _bind_arguments(definition, call, evaluator) if call is not None else {}
        node = definition.nodes[0]
        if (
            instance is not None
            and definition.kind == "method"
            and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ):
            params = [*node.args.posonlyargs, *node.args.args]
            if params:
                env[params[0].arg] = instance
        if not any(isinstance(v, EventPath | RoleValue) for v in env.values()):
            return 0
        found = self._walk_function(definition, env, constraint, evaluator.stack)
        self._descended += found
        return found

    def branch(self, body: list[ast.stmt], constraint: Constraint, evaluator: Evaluator) -> int:
        """Walk a branch taken under `constraint`; a branch that dispatches no further is a leaf."""
        found = self.walk_block(body, constraint, evaluator)
        if found:
            return found
        found = self._descend(body, constraint, evaluator)
        if found:
            return found
        if constraint.complete or constraint.kind == RECORDS:  # `if "Records" in event: return on_records(...)`
            self._leaf(body, constraint, evaluator)
            return 1
        return 0

    def walk_block(self, body: list[ast.stmt], constraint: Constraint, evaluator: Evaluator) -> int:
        found = 0
        for index, stmt in enumerate(body):
            guard = self._guard(stmt, evaluator)
            if guard is not None:
                self.decide("guard", stmt, guard)
                # `if source != "aws:s3": continue` -- the rest of the block runs only when the test is false.
                rest = body[index + 1 :]
                return found + sum(
                    self.branch(rest, merged, evaluator) for c in guard if (merged := constraint.merge(c)) is not None
                )
            handled = False
            for strategy in self.statements:
                self._descended = 0
                routes = strategy.routes(stmt, evaluator, self, constraint)
                if routes is not None:
                    found += sum(1 for _ in map(self.emit, routes)) + self._descended
                    handled = True
                    break
            if handled:
                continue
            if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
                self._bind(stmt, evaluator)
            elif isinstance(stmt, ast.If):
                found += self._walk_if(stmt, constraint, evaluator)
            elif isinstance(stmt, ast.For | ast.AsyncFor):
                self._bind_loop(stmt, evaluator)
                found += self.walk_block(stmt.body, constraint, evaluator)
            elif isinstance(stmt, ast.While | ast.With | ast.AsyncWith):
                found += self.walk_block(stmt.body, constraint, evaluator)
            elif isinstance(stmt, ast.Try | ast.TryStar):
                for block in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                    found += self.walk_block(block, constraint, evaluator)
        return found

    # ----------------------------------------------------------------------------------- internals
    def _walk_function(
        self, definition: Definition, env: dict[str, Symbolic], constraint: Constraint, stack: tuple[str, ...]
    ) -> int:
        node = definition.nodes[0]
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return 0
        evaluator = Evaluator(self.symbols, definition.module, env, definition.id, (*stack, definition.id))
        previous, self._current = self._current, definition
        self.decisions.walked.setdefault(definition.id, definition)
        try:
            return self.walk_block(node.body, constraint, evaluator) or self._descend(node.body, constraint, evaluator)
        finally:
            self._current = previous

    def _walk_if(self, stmt: ast.If, constraint: Constraint, evaluator: Evaluator) -> int:
        _bind_walrus(stmt.test, evaluator)
        alternatives = self._constraints(stmt.test, evaluator)
        self.decide("test", stmt, alternatives)
        if alternatives is None:
            return self.walk_block(stmt.body, constraint, evaluator) + self.walk_block(
                stmt.orelse, constraint, evaluator
            )
        found = 0
        for alternative in alternatives:
            merged = constraint.merge(alternative)
            if merged is not None:
                found += self.branch(stmt.body, merged, evaluator)
        return found + self.walk_block(stmt.orelse, constraint, evaluator)

    def _guard(self, stmt: ast.stmt, evaluator: Evaluator) -> list[Constraint] | None:
        """What the rest of a block may assume after an early-exit `if` whose negated test is a dispatch test."""
        if not (isinstance(stmt, ast.If) and not stmt.orelse and stmt.body):
            return None
        if not isinstance(stmt.body[-1], ast.Return | ast.Continue | ast.Break | ast.Raise):
            return None
        negated = _negate(stmt.test)
        return self._constraints(negated, evaluator) if negated is not None else None

    def _constraints(self, test: ast.expr, evaluator: Evaluator) -> list[Constraint] | None:
        if isinstance(test, ast.BoolOp):
            parts = [self._constraints(value, evaluator) for value in test.values]
            known = [p for p in parts if p is not None]
            if not known:
                return None
            if isinstance(test.op, ast.Or):
                return [c for part in known for c in part]
            combined = [Constraint()]
            for part in known:
                combined = [m for a in combined for b in part if (m := a.merge(b)) is not None]
            return combined
        for strategy in self.conditions:
            found = strategy.constraints(test, evaluator)
            if found is not None:
                return found
        return None

    def _bind(self, stmt: ast.Assign | ast.AnnAssign, evaluator: Evaluator) -> None:
        value = evaluator.eval(stmt.value)
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            if isinstance(target, ast.Name):
                if value is None:
                    evaluator.env.pop(target.id, None)
                else:
                    evaluator.env[target.id] = value
            elif isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple):
                for name, item in zip(target.elts, stmt.value.elts, strict=False):
                    if isinstance(name, ast.Name) and (symbolic := evaluator.eval(item)) is not None:
                        evaluator.env[name.id] = symbolic

    def _bind_loop(self, stmt: ast.For | ast.AsyncFor, evaluator: Evaluator) -> None:
        iterable = evaluator.eval(stmt.iter)
        if isinstance(iterable, EventPath) and isinstance(stmt.target, ast.Name):
            evaluator.env[stmt.target.id] = iterable.child("*")

    def _descend(self, body: list[ast.stmt], constraint: Constraint, evaluator: Evaluator) -> int:
        """Walk into project functions the branch calls with (a part of) the event."""
        found = 0
        scope = self._scope(evaluator)
        for call in _calls(body):
            target = scope.resolve(call.func)
            definition = self.symbols.definitions.get(target) if isinstance(target, str) else None
            if isinstance(call.func, ast.Name) and (evaluator.definition or "", call.func.id) in self._passes:
                definition = self._passes[(evaluator.definition or "", call.func.id)]  # `fn(key, event, context)`
            if definition is None or definition.kind not in ("function", "method") or definition.id in evaluator.stack:
                continue
            if len(evaluator.stack) >= MAX_DEPTH:
                continue
            env = _bind_arguments(definition, call, evaluator)
            if env:
                found += self._delegated(definition, constraint)
                found += self._walk_function(definition, env, constraint, evaluator.stack)
        return found

    def _delegated(self, helper: Definition, constraint: Constraint) -> int:
        """`if "routeKey" in event: return http(event, context)` where `http` returns `app.resolve(event,
        context)`: the routes of the framework object the helper serves, under the branch's constraint."""
        found = 0
        context = DispatchContext(self.symbols, self.context.graph, helper)
        for strategy in self.modules:
            for item in strategy.routes(context):
                if not isinstance(item, CodeRoute):
                    self.issues.append(item)
                    continue
                merged = constraint.merge(item.constraint)
                if merged is not None:
                    self.emit(replace(item, constraint=replace(merged, strategy=item.constraint.strategy)))
                    found += 1
        return found

    def _leaf(self, body: list[ast.stmt], constraint: Constraint, evaluator: Evaluator) -> None:
        definition = self.symbols.definitions[evaluator.definition or self.context.handler.id]
        scope = self.context.graph.scope(definition)
        calls: list[str] = []
        nodes: dict[str, ast.Call] = {}
        for call in _calls(body):
            target = scope.resolve(call.func)
            bound = self._bound(call.func, evaluator) if isinstance(call.func, ast.Attribute) else None
            target = bound.method if bound is not None else target  # `self.http_response()` of a known object
            found = self.symbols.definitions.get(target) if isinstance(target, str) else None
            if found is not None and found.kind in CALLABLE_KINDS and found.id not in calls:
                calls.append(found.id)
                nodes[found.id] = call
        facts = scope.references(body)
        line = body[0].lineno if body else definition.line
        self._leaves.append(_Leaf(constraint, definition, calls, facts, line, body, nodes))

    def _resolve_leaves(self) -> None:
        counts = Counter(call for leaf in self._leaves for call in leaf.calls)
        for number, leaf in enumerate(self._leaves):
            pseudo = f"branch:{leaf.definition.id}:{leaf.line}:{number}"
            if leaf.calls:
                self.context.graph.add_branch(pseudo, leaf.definition, leaf.body, leaf.facts)
            else:
                self.context.graph.add_pseudo(pseudo, leaf.facts)
            if leaf.calls:
                entry = min(leaf.calls, key=lambda c: (counts[c], leaf.calls.index(c)))
                definition = self.symbols.definitions[entry]
                node = (leaf.nodes or {}).get(entry)
                passed = (leaf.definition.id, node) if node is not None else None  # `create(table, mgmt, event)`
                route = CodeRoute(leaf.constraint, entry, definition.line, definition.module, (pseudo,), passed=passed)
                self.emit(replace(route, dispatcher=leaf.definition.id))
            else:
                self.issues.append(
                    DispatchIssue(
                        leaf.definition.module,
                        leaf.line,
                        "route is served inline by the dispatcher; move its code into a function to extract it",
                    )
                )
                self.emit(
                    CodeRoute(
                        leaf.constraint,
                        leaf.definition.id,
                        leaf.line,
                        leaf.definition.module,
                        (pseudo,),
                        inline=True,
                        dispatcher=leaf.definition.id,
                    )
                )

    def _scope(self, evaluator: Evaluator) -> Scope:
        definition = self.symbols.definitions.get(evaluator.definition or "") or self.context.handler
        return self.context.graph.scope(definition)


def _calls(body: list[ast.stmt]) -> list[ast.Call]:
    """Calls in evaluation order (arguments before the call), not entering nested definitions."""
    out: list[ast.Call] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            return
        for child in ast.iter_child_nodes(node):
            visit(child)
        if isinstance(node, ast.Call):
            out.append(node)

    for stmt in body:
        visit(stmt)
    return out


def _bind_arguments(definition: Definition, call: ast.Call, evaluator: Evaluator) -> dict[str, Symbolic]:
    node = definition.nodes[0]
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return {}
    params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
    if definition.kind == "method" and params:
        params = params[1:]
    env: dict[str, Symbolic] = {}
    for name, arg in zip(params, call.args, strict=False):
        value = evaluator.eval(arg)
        if value is not None:
            env[name] = value
    for keyword in call.keywords:
        value = evaluator.eval(keyword.value)
        if keyword.arg and value is not None:
            env[keyword.arg] = value
    return env


_NEGATIONS: dict[type[ast.cmpop], type[ast.cmpop]] = {ast.NotEq: ast.Eq, ast.NotIn: ast.In, ast.IsNot: ast.Is}


def _negate(test: ast.expr) -> ast.expr | None:
    """`a != b` -> `a == b`, `x not in y` -> `x in y`, `not t` -> `t`; None when not simply negatable."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return test.operand
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _NEGATIONS:
        return ast.Compare(left=test.left, ops=[_NEGATIONS[type(test.ops[0])]()], comparators=test.comparators)
    return None


def _bind_walrus(test: ast.expr, evaluator: Evaluator) -> None:
    for node in ast.walk(test):
        if isinstance(node, ast.NamedExpr) and (value := evaluator.eval(node.value)) is not None:
            evaluator.env[node.target.id] = value
