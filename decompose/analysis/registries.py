"""Routers decompose does not read: functions registered on an object the handler dispatches through.

When no strategy finds routes, the handler serves its events directly and a route's reach is what the
handler's code reaches. A hand-written router (`router = Router()`, `@router.route("GET", "/x")`,
`return router.dispatch(event)`) or a framework app no strategy reads yet keeps its views in a table filled
by decorators, so they are in no reach at all, and their AWS calls in no policy. This module finds them:
functions decorated through a module-level object that the route reaches, and that the route does not
reach itself, where the object is

- one the handler hands the event to (`router.dispatch(event)`, `router(event, context)`), or
- decorated with a route verb (`@app.route`, `@api.get`, `@bp.post`...), as web frameworks do.

Each such object is one `unresolved-dispatch` finding on the route, and a gap: its policy is incomplete.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from decompose.analysis.symbols import Definition, SymbolTable

ROUTE_VERBS = frozenset(
    {"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route", "websocket", "add_route"}
)
EXAMPLES = 3


@dataclass(frozen=True)
class UnreadRouter:
    """An object whose registered functions a route does not reach."""

    owner: str  # the object's definition id (`app.router`)
    module: str
    line: int
    functions: tuple[str, ...]  # the registered functions the route does not reach

    @property
    def message(self) -> str:
        names = ", ".join(self.functions[:EXAMPLES]) + (
            f" and {len(self.functions) - EXAMPLES} more" if len(self.functions) > EXAMPLES else ""
        )
        return (
            f"the handler dispatches through {self.owner}, a router decompose does not read: the functions"
            f" registered on it ({names}) are in no route's reach, so neither are their AWS calls"
        )


def unread_routers(symbols: SymbolTable, handler: Definition, reached: frozenset[str]) -> list[UnreadRouter]:
    """Routers the handler uses whose registered functions are not in `reached`."""
    registered: dict[str, list[str]] = {}
    verbs: set[str] = set()
    for definition in symbols.definitions.values():
        for owner, verb in _registrations(symbols, definition):
            registered.setdefault(owner, []).append(definition.id)
            if verb in ROUTE_VERBS:
                verbs.add(owner)
    if not registered:
        return []
    delegates = set(_event_receivers(symbols, handler))
    out = []
    for owner, functions in sorted(registered.items()):
        if owner not in reached or not (owner in delegates or owner in verbs):
            continue
        missing = tuple(sorted(f for f in functions if f not in reached))
        if missing:
            definition = symbols.definitions[owner]
            out.append(UnreadRouter(owner, definition.module, definition.line, missing))
    return out


def _registrations(symbols: SymbolTable, definition: Definition) -> Iterator[tuple[str, str]]:
    """(object id, decorator attribute) for each decorator of a function made through a module-level object."""
    node = definition.nodes[0]
    if definition.kind not in ("function", "method") or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return
    for decorator in node.decorator_list:
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        base, verb = (func.value, func.attr) if isinstance(func, ast.Attribute) else (func, "")
        owner = symbols.resolve_expression(definition.module, base)
        target = symbols.definitions.get(owner) if isinstance(owner, str) else None
        if target is not None and target.kind == "assignment":
            yield target.id, verb


def _event_receivers(symbols: SymbolTable, handler: Definition) -> Iterator[str]:
    """Module-level objects the handler calls, or calls a method of, with its event as an argument."""
    node = handler.nodes[0]
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return
    params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
    event = params[1] if handler.kind == "method" and len(params) > 1 else (params[0] if params else None)
    if event is None:
        return
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        if not any(isinstance(a, ast.Name) and a.id == event for a in [*call.args, *(k.value for k in call.keywords)]):
            continue
        func = call.func.value if isinstance(call.func, ast.Attribute) else call.func
        owner = symbols.resolve_expression(handler.module, func)
        if isinstance(owner, str) and owner in symbols.definitions:
            yield owner
