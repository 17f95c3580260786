"""Route discovery: one strategy per dispatch style, registered in one explicit list.

Condition strategies read `if` tests, statement strategies read `match` statements and table lookups,
module strategies read decorators across modules (Powertools, and the web frameworks: Flask, FastAPI /
Starlette, Chalice). `find_routes` runs them all over one handler. A handler that is a value rather than a
function (`handler = Mangum(app)`, a Chalice app) is read by the module strategies only.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass

from decompose.analysis.dispatch.base import (
    CodeRoute,
    ConditionStrategy,
    Decisions,
    DispatchContext,
    DispatchIssue,
    ModuleStrategy,
    StatementStrategy,
)
from decompose.analysis.dispatch.chalice_app import ChaliceAnalyzer
from decompose.analysis.dispatch.event_source import EventSourceAnalyzer
from decompose.analysis.dispatch.fastapi_app import FastAPIAnalyzer
from decompose.analysis.dispatch.flask_app import FlaskAnalyzer
from decompose.analysis.dispatch.framework import FrameworkAnalyzer
from decompose.analysis.dispatch.if_chain import IfChainAnalyzer
from decompose.analysis.dispatch.match import MatchAnalyzer
from decompose.analysis.dispatch.powertools import PowertoolsAnalyzer
from decompose.analysis.dispatch.table import TableAnalyzer
from decompose.analysis.dispatch.walker import DispatchWalker
from decompose.analysis.symbols import SymbolTable

__all__ = [
    "CodeRoute",
    "Decisions",
    "DispatchContext",
    "DispatchIssue",
    "Strategies",
    "built_in_strategies",
    "find_routes",
]


@dataclass
class Strategies:
    """The strategies of one analysis run (module strategies keep state between prepare and routes)."""

    conditions: list[ConditionStrategy]
    statements: list[StatementStrategy]
    modules: list[ModuleStrategy]

    def prepare(self, symbols: SymbolTable) -> list[ast.AST]:
        """Let module strategies scan the code first; returns registrations to keep out of every reach."""
        return [node for strategy in self.modules for node in strategy.prepare(symbols)]


def built_in_strategies() -> Strategies:
    """Every built-in strategy, in the order they are asked."""
    return Strategies(
        conditions=[IfChainAnalyzer(), EventSourceAnalyzer()],
        statements=[MatchAnalyzer(), TableAnalyzer()],
        modules=[PowertoolsAnalyzer(), FlaskAnalyzer(), FastAPIAnalyzer(), ChaliceAnalyzer()],
    )


def _read_views(
    context: DispatchContext, strategies: Strategies, routes: list[CodeRoute], decisions: Decisions
) -> None:
    """Record the request tests of each framework view registered for several routes (`methods=["GET",
    "PUT"]` and `if request.method == "PUT":` inside), so that every route runs only its own branches."""
    frameworks = {s.name: s for s in strategies.modules if isinstance(s, FrameworkAnalyzer)}
    served = Counter((r.constraint.strategy, r.entry) for r in routes)
    for (name, entry), count in served.items():
        view = context.symbols.definitions.get(entry)
        strategy = frameworks.get(name or "")
        if count < 2 or view is None or strategy is None or view.kind not in ("function", "method"):
            continue
        env = strategy.view_environment(view)
        if env:
            own = DispatchContext(context.symbols, context.graph, view, context.module)
            DispatchWalker(own, strategies.conditions, (), (), decisions).walk_view(view, env)


def find_routes(
    context: DispatchContext, strategies: Strategies, decisions: Decisions | None = None
) -> tuple[list[CodeRoute], list[DispatchIssue]]:
    """Every route the handler dispatches to, by every strategy; `decisions` records what each test said."""
    routes: list[CodeRoute] = []
    issues: list[DispatchIssue] = []
    for strategy in strategies.modules:
        for found in strategy.routes(context):
            (routes if isinstance(found, CodeRoute) else issues).append(found)
    if decisions is not None:
        _read_views(context, strategies, routes, decisions)
    if context.handler.kind != "function":
        if not routes:
            issues.append(
                DispatchIssue(
                    context.handler.module,
                    context.handler.line,
                    f"the handler {context.handler.id} is a value no strategy reads: served as one route",
                )
            )
        return routes, issues
    walker = DispatchWalker(context, strategies.conditions, strategies.statements, strategies.modules, decisions)
    walked, walk_issues = walker.run()
    return routes + walked, issues + walk_issues
