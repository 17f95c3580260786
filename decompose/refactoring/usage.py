"""Who uses each top-level definition: the extracted functions, and the monolith (`REST`).

A definition is used by a function when one of its routes reaches it (`Route.reach.definitions`, methods
counted for their class) or when its generated handler will import it (the dispatcher's own code that the
slice keeps: the `except ValidationError` around every branch, the fallback `not_found`). Everything the
monolith keeps (routes not extracted) counts as `REST`. Two facts the reach graph leaves out are added here:
- a function that rebinds a module global (`global counter`) uses that global;
- a view registered by a decorator (`@app.get`, `@router.post`) needs the object it registers on.
- a class moves whole, so whoever uses it uses what any of its methods names (method reach is finer).
Every use spreads along the definition graph (what a used definition needs is used too). Definitions no
route uses (the dispatcher, dead code) have no users and stay where they are.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

from decompose.analysis.codebase import Codebase
from decompose.analysis.graph import NodeFacts
from decompose.analysis.symbols import Definition
from decompose.domain.model import FunctionAnalysis
from decompose.domain.plan import Plan

REST = "<monolith>"
_NO_FACTS = NodeFacts()
MOVABLE_KINDS = frozenset({"function", "class", "assignment"})

Users = dict[str, frozenset[str]]


def top_level(codebase: Codebase, definition_id: str) -> Definition | None:
    """The movable top-level definition `definition_id` belongs to (a method's class); None for lambdas and
    module-level statements, which never move."""
    definition = codebase.symbols.definitions.get(definition_id)
    while definition is not None and definition.kind == "method" and definition.owner:
        definition = codebase.symbols.definitions.get(definition.owner)
    if definition is None or definition.kind not in MOVABLE_KINDS or _nested(codebase, definition):
        return None
    return definition


def _nested(codebase: Codebase, definition: Definition) -> bool:
    """A view or hook nested in an app factory (`factory.create_app.index`): it stays in the factory, which
    the monolith keeps and each generated handler copies, sliced; what it names is used, it never moves."""
    enclosing = codebase.symbols.definitions.get(definition.id.rpartition(".")[0])
    return enclosing is not None and enclosing.module == definition.module and enclosing.kind in ("function", "method")


def compute_users(
    codebase: Codebase,
    monolith: FunctionAnalysis,
    plan: Plan,
    handler_needs: Mapping[str, Iterable[str]] | None = None,
    pinned: Iterable[str] = (),
) -> Users:
    """Top-level definition id -> the functions (logical ids, or REST) that use it."""
    users: dict[str, set[str]] = {}
    for route in monolith.routes:
        owner = plan.function_of(route.id)
        user = owner.logical_id if owner is not None and owner.extract else REST
        if route.dispatch == "direct":
            user = REST  # no dispatch: the whole handler is the route, and a generated handler copies it
        _spread(codebase, users, route.reach.definitions, user)
    for logical_id, needs in (handler_needs or {}).items():
        _spread(codebase, users, needs, logical_id)
    entries = {route.entry for route in monolith.routes} - {monolith.spec.handler}
    handler = codebase.symbols.definitions.get(monolith.spec.handler)
    if handler is not None:  # the monolith's handler never moves, even where it serves a route directly
        users.setdefault(handler.id, set()).add(REST)
    kept = _dispatcher_references(codebase, monolith) | (set(pinned) - {monolith.spec.handler})
    for node in _reach_short_of(codebase, kept, entries):
        definition = top_level(codebase, node)
        if definition is not None:
            users.setdefault(definition.id, set()).add(REST)
    changed = True
    while changed:
        changed = False
        for definition_id, extra in _implied(codebase):
            for user in sorted(users.get(definition_id, set())):
                before = sum(len(v) for v in users.values())
                _spread(codebase, users, extra, user)
                changed = changed or sum(len(v) for v in users.values()) != before
    return {key: frozenset(value) for key, value in users.items() if value}


def _dispatcher_references(codebase: Codebase, monolith: FunctionAnalysis) -> set[str]:
    """What the monolith's dispatcher itself names (its handler, decorators, module-level statements, the
    fallback `not_found`...), the route entries aside: that code stays in the monolith."""
    symbols = codebase.symbols
    module = monolith.spec.handler_module
    entries = {route.entry for route in monolith.routes} - {monolith.spec.handler}
    roots = (
        [monolith.spec.handler, *(s for s in symbols.modules[module].statements)] if module in symbols.modules else []
    )
    found: set[str] = set()
    for root in roots:
        facts = codebase.graph.facts.get(root)
        if facts is not None:
            found |= facts.targets
    return {t for t in found if t not in entries and t in symbols.definitions}


def _reach_short_of(codebase: Codebase, roots: Iterable[str], stop: set[str]) -> set[str]:
    """Nodes reachable from `roots` without entering `stop` (the dispatcher's tables name every entry)."""
    seen: set[str] = set()
    work = [r for r in roots if r not in stop]
    while work:
        node = work.pop()
        if node in seen:
            continue
        seen.add(node)
        graph = codebase.graph.graph
        work.extend(n for n in (graph.successors(node) if node in graph else ()) if n not in stop)
    return seen


def _spread(codebase: Codebase, users: dict[str, set[str]], roots: Iterable[str], user: str) -> None:
    reached = codebase.graph.reach(*roots).nodes if roots else frozenset()
    for node in reached:
        definition = top_level(codebase, node)
        if definition is not None:
            users.setdefault(definition.id, set()).add(user)


def _implied(codebase: Codebase) -> list[tuple[str, list[str]]]:
    """(definition, what it also needs): globals it rebinds, objects its registration decorators name."""
    symbols = codebase.symbols
    registrations = {id(node) for node in codebase.registrations}
    found: list[tuple[str, list[str]]] = []
    for definition in symbols.definitions.values():
        if definition.kind == "class":
            # a class moves whole: what any of its methods names is imported wherever the class lives
            targets = [t for m in definition.methods.values() for t in codebase.graph.facts.get(m, _NO_FACTS).targets]
            if targets:
                found.append((definition.id, targets))
        top = top_level(codebase, definition.id)
        if top is None or definition.kind not in ("function", "method"):
            continue
        node = definition.nodes[0]
        names = [n for g in ast.walk(node) if isinstance(g, ast.Global) for n in g.names]
        needs = [
            f"{definition.module}.{name}" for name in names if f"{definition.module}.{name}" in symbols.definitions
        ]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                if id(decorator) not in registrations:
                    continue
                for inner in ast.walk(decorator):
                    if isinstance(inner, ast.Name):
                        target = symbols.resolve_global(definition.module, inner.id)
                        if isinstance(target, str) and target in symbols.definitions:
                            needs.append(target)
        if needs:
            found.append((top.id, needs))
    return found
