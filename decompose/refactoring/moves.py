"""Plan the moves: which top-level definition goes to which module, and in which order.

Every module is split by *signature*: the set of users (`usage.compute_users`) of each of its top-level
definitions. Then, per module:
- the definitions only one extracted function uses (its exclusive code) go to that function's module
  (`FunctionPlan.module`, default `routes/<snake of the logical id>.py`);
- one group stays: the definitions only the monolith still uses, else the largest group;
- another group may stay beside it when that costs its importers nothing: it runs nothing at import time that
  they do not need (no environment read, no call but to the standard library) and names nothing they would not
  load anyway. So `common/responses.py` stays whole, while `common/db.py`, whose tables each read an
  environment variable on import, is split per table and no function's package reads the others' variables;
- every other group moves to a shared module next to its source (`common/db_get_order.py`, named after the
  group's leading definition).
In the monolith's handler module nothing a new function uses may stay: a generated handler never imports it.

Since a definition's users always include its dependents' users, shared groups only ever import groups with
more users: moving the widest groups first (dependencies before dependents) leaves no back-import, hence no
import cycle. Within one destination the dependents move first: rope inserts each moved definition above
the previous ones, so the destination reads dependencies first.
"""

from __future__ import annotations

import ast
import builtins
from collections import defaultdict
from dataclasses import dataclass

from decompose.analysis.codebase import Codebase
from decompose.analysis.symbols import Definition, is_stdlib
from decompose.domain.model import Location
from decompose.domain.plan import Plan
from decompose.errors import RefactorError
from decompose.generation.handlers import snake_name
from decompose.refactoring.usage import REST, Users, top_level

ROUTES_PACKAGE = "routes"
_ENV_READS = frozenset({"environ", "getenv", "putenv"})


@dataclass(frozen=True)
class Move:
    """One top-level definition moving from `source` to `destination` (dotted modules under the code root)."""

    name: str
    source: str
    destination: str
    line: int
    kind: str

    @property
    def definition(self) -> str:
        return f"{self.source}.{self.name}"


@dataclass(frozen=True)
class MovePlan:
    """Moves in the order to run them, and the module of each extracted function's exclusive code."""

    moves: tuple[Move, ...]
    modules: dict[str, str]  # logical id -> module


def default_module(logical_id: str) -> str:
    """Where a function's exclusive code goes unless the plan says otherwise: `routes.<snake>`."""
    return f"{ROUTES_PACKAGE}.{snake_name(logical_id)}"


def plan_moves(codebase: Codebase, users: Users, plan: Plan, handler_module: str) -> MovePlan:
    """Every move the refactor makes; empty when the code already has the plan's shape."""
    modules = {f.logical_id: f.module or default_module(f.logical_id) for f in plan.extracted}
    owned = {module: logical_id for logical_id, module in modules.items()}
    taken = set(codebase.symbols.modules)
    destinations: dict[str, str] = {}  # definition id -> destination module
    for name in sorted(codebase.symbols.modules):
        _split_module(codebase, users, name, handler_module, modules, owned, taken, destinations)
    _part_namesakes(codebase, destinations, taken)
    moves = _ordered(codebase, users, destinations)
    _check(codebase, moves, destinations)
    entry_modules = dict(modules)
    return MovePlan(tuple(moves), entry_modules)


def _split_module(  # noqa: PLR0917 - one module's split needs the whole planning state
    codebase: Codebase,
    users: Users,
    module: str,
    handler_module: str,
    modules: dict[str, str],
    owned: dict[str, str],
    taken: set[str],
    destinations: dict[str, str],
) -> None:
    definitions = _top_definitions(codebase, module)
    groups: dict[frozenset[str], list[Definition]] = defaultdict(list)
    for definition in definitions:
        signature = users.get(definition.id)
        if signature:
            groups[signature].append(definition)
    if not groups:
        return
    # a view registered by a decorator that moves out is imported back by this module (its registration must
    # run where it ran): then nothing the new modules use may stay here, or they would import it back
    emptied = module == handler_module or _registers_out(codebase, users, definitions, modules, module)
    leaving: list[tuple[frozenset[str], list[Definition]]] = []
    staying: list[Definition] = []
    remaining: dict[frozenset[str], list[Definition]] = {}
    for signature, group in groups.items():
        functions = signature - {REST}
        if len(signature) == 1 and functions:
            (logical_id,) = functions
            if modules[logical_id] == module:
                staying.extend(group)
            else:
                for definition in group:
                    destinations[definition.id] = modules[logical_id]
            continue
        if emptied and functions:
            leaving.append((signature, group))
            continue
        remaining[signature] = group
    owner = owned.get(module)
    if remaining and not staying and owner is None:
        stayer = max(remaining, key=lambda s: (s == frozenset({REST}), len(remaining[s]), sorted(s)))
        staying.extend(remaining.pop(stayer))
    for signature in sorted(remaining, key=lambda s: (-len(s), -len(remaining[s]), sorted(s))):
        group = remaining[signature]
        if module != handler_module and _free_beside(codebase, users, module, [*staying, *group]):
            staying.extend(group)
        else:
            leaving.append((signature, group))
    for _signature, group in leaving:
        destination = _shared_name(codebase, module, group, taken)
        taken.add(destination)
        for definition in group:
            destinations[definition.id] = destination


def _registers_out(
    codebase: Codebase, users: Users, definitions: list[Definition], modules: dict[str, str], module: str
) -> bool:
    """Whether a view of `module` registered by a decorator (`@router.post`) moves to another module."""
    registrations = {id(node) for node in codebase.registrations}
    for definition in definitions:
        node = definition.nodes[0] if definition.nodes else None
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not any(id(d) in registrations for d in node.decorator_list):
            continue
        functions = users.get(definition.id, frozenset()) - {REST}
        if len(functions) == 1 and modules[next(iter(functions))] != module:
            return True
    return False


def _part_namesakes(codebase: Codebase, destinations: dict[str, str], taken: set[str]) -> None:
    """Two definitions of one name bound for one module would shadow each other there: `common.db.get_payment`
    and `payments.get_payment`, which the original tells apart as `db.get_payment`, would become one
    `get_payment` calling itself. The one the others use goes instead to a module of its own beside its source
    (`common.db_get_payment`), with what it uses of the same move; the others move on. Its new module, used
    by fewer functions than anything it imports, keeps the widest-first order, so no cycle can appear."""
    by_place: dict[tuple[str, str], list[Definition]] = defaultdict(list)
    for definition_id, destination in destinations.items():
        definition = codebase.symbols.definitions[definition_id]
        by_place[(destination, definition.name)].append(definition)
    for (destination, _name), group in sorted(by_place.items(), key=lambda item: item[0]):
        if len(group) < 2:
            continue
        used = {t for d in group for t in _targets(codebase, d)}
        movers = [d for d in group if d.id not in used] or group
        mover = min(movers, key=lambda d: (d.module, d.line))
        for definition in group:
            if definition is mover:
                continue
            followers = _dependencies_bound_for(codebase, definition, destination, destinations)
            aside = _shared_name(codebase, definition.module, [definition], taken)
            taken.add(aside)
            for follower in followers:
                destinations[follower] = aside


def _dependencies_bound_for(
    codebase: Codebase, definition: Definition, destination: str, destinations: dict[str, str]
) -> list[str]:
    """`definition` and what it uses, transitively, that moves to `destination` too."""
    found: list[str] = []
    work = [definition.id]
    while work:
        current = work.pop()
        if current in found or destinations.get(current) != destination:
            continue
        found.append(current)
        work += [t for t in _targets(codebase, codebase.symbols.definitions[current]) if t in destinations]
    return found


def _top_definitions(codebase: Codebase, module: str) -> list[Definition]:
    found = []
    for definition in codebase.symbols.definitions.values():
        if definition.module == module and top_level(codebase, definition.id) is definition:
            found.append(definition)
    return sorted(found, key=lambda d: d.line)


def _free_beside(codebase: Codebase, users: Users, module: str, staying: list[Definition]) -> bool:
    """Whether every function importing `module` for some of `staying` pays nothing for the rest."""
    importers = {u for d in staying for u in users.get(d.id, frozenset())} - {REST}
    members = {d.id for d in staying}
    for function in importers:
        mine = [d for d in staying if function in users.get(d.id, frozenset())]
        paid = {t for d in mine for t in _targets(codebase, d)}
        for definition in staying:
            if function in users.get(definition.id, frozenset()):
                continue
            if _costly(codebase, definition):
                return False
            for target in _targets(codebase, definition):
                if target.startswith("ext:"):
                    if not is_stdlib(target.removeprefix("ext:")) and target not in paid:
                        return False
                elif target.startswith("mod:"):
                    if target != f"mod:{module}" and target not in paid:
                        return False
                else:
                    top = top_level(codebase, target)
                    if top is None:
                        continue
                    if top.module == module:
                        if top.id not in members:
                            return False
                    elif function not in users.get(top.id, frozenset()):
                        return False
    return True


def _targets(codebase: Codebase, definition: Definition) -> set[str]:
    facts = codebase.graph.facts
    found = set(facts[definition.id].targets) if definition.id in facts else set()
    for method in definition.methods.values():
        if method in facts:
            found |= facts[method].targets
    return found - {definition.id, *definition.methods.values()}


def _costly(codebase: Codebase, definition: Definition) -> bool:
    """Whether defining it runs more than cheap standard-library code (an environment read, a client...)."""
    roots: list[ast.AST] = []
    for node in definition.nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            roots += [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)]
        elif isinstance(node, ast.ClassDef):
            roots += [*node.decorator_list, *node.bases]
            roots += [s for s in node.body if not isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]
        else:
            roots.append(getattr(node, "value", None) or node)
    for root in roots:
        for inner in ast.walk(root):
            if isinstance(inner, ast.Attribute) and inner.attr in _ENV_READS:
                return True
            if isinstance(inner, ast.Name) and inner.id in _ENV_READS:
                return True
            if isinstance(inner, ast.Call):
                target = codebase.symbols.resolve_expression(definition.module, inner.func)
                name = getattr(target, "name", target)
                stdlib = isinstance(name, str) and name.startswith("ext:") and is_stdlib(name.removeprefix("ext:"))
                builtin = isinstance(inner.func, ast.Name) and hasattr(builtins, inner.func.id)
                if not stdlib and not builtin:
                    return True
    return False


def _shared_name(codebase: Codebase, module: str, group: list[Definition], taken: set[str]) -> str:
    """`common.db` + {_orders, get_order} -> `common.db_get_order` (a package's groups go inside it)."""
    ids = {d.id for d in group}
    used_inside = {t for d in group for t in _targets(codebase, d) if t in ids}
    roots = [d for d in group if d.id not in used_inside] or group
    lead = min(
        roots,
        key=lambda d: (
            d.kind == "assignment",
            d.kind == "assignment" and not _costly(codebase, d),
            d.name.startswith("_"),
            d.line,
        ),
    )
    stem = lead.name.strip("_").lower() or "shared"
    is_package = codebase.symbols.modules[module].module.is_package
    last = module.rsplit(".", 1)[-1]
    base = f"{module}.{stem}" if is_package else f"{module}_{'shared' if stem == last else stem}"
    candidate, number = base, 2
    while candidate in taken or codebase.symbols.is_project_module(candidate):
        candidate, number = f"{base}_{number}", number + 1
    return candidate


def _ordered(codebase: Codebase, users: Users, destinations: dict[str, str]) -> list[Move]:
    by_destination: dict[str, list[Definition]] = defaultdict(list)
    for definition_id, destination in destinations.items():
        by_destination[destination].append(codebase.symbols.definitions[definition_id])

    def width(destination: str) -> int:
        return max(len(users.get(d.id, frozenset())) for d in by_destination[destination])

    moves: list[Move] = []
    for destination in sorted(by_destination, key=lambda m: (-width(m), m)):
        group = by_destination[destination]
        ids = {d.id for d in group}
        depends = {d.id: {t for t in _targets(codebase, d) | _evaluated(codebase, d) if t in ids} for d in group}
        order: list[Definition] = []
        placed: set[str] = set()
        pending = sorted(group, key=lambda d: (d.module, -d.line))
        while pending:
            # dependents first: a definition nothing pending still depends on
            ready = [d for d in pending if not any(d.id in depends[o.id] for o in pending if o is not d)]
            chosen = ready[0] if ready else pending[0]
            order.append(chosen)
            placed.add(chosen.id)
            pending.remove(chosen)
        moves += [Move(d.name, d.module, destination, d.line, d.kind) for d in order]
    return moves


def _evaluated(codebase: Codebase, definition: Definition) -> set[str]:
    """What defining it evaluates: decorators (route registrations included, which the reach graph leaves
    out: `@router.put(..., dependencies=[Depends(check)])` needs `check` defined first), defaults, bases."""
    roots: list[ast.AST] = []
    for node in definition.nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            roots += [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)]
        elif isinstance(node, ast.ClassDef):
            roots += [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]
    found: set[str] = set()
    for root in roots:
        for inner in ast.walk(root):
            if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load):
                target = codebase.symbols.resolve_global(definition.module, inner.id)
                if isinstance(target, str):
                    found.add(target)
    return found


def _check(codebase: Codebase, moves: list[Move], destinations: dict[str, str]) -> None:
    """Refuse what rope cannot move safely (file:line): dynamic code, several bindings, split globals."""
    symbols = codebase.symbols
    for move in moves:
        definition = symbols.definitions[move.definition]
        path = symbols.modules[move.source].module.path
        facts = codebase.graph.facts.get(definition.id)
        dynamic = list(facts.dynamic) if facts else []
        for method in definition.methods.values():
            dynamic += codebase.graph.facts[method].dynamic if method in codebase.graph.facts else []
        if dynamic:
            use = dynamic[0]
            raise RefactorError(f"cannot move {move.name}: {use.message}", Location(path, use.line))
        if definition.kind == "assignment":
            statements = definition.nodes
            if len(statements) > 1:
                message = f"cannot move {move.name}: it is assigned {len(statements)} times at module level"
                raise RefactorError(message, Location(path, statements[1].lineno))  # type: ignore[attr-defined]
            target = statements[0]
            targets = target.targets if isinstance(target, ast.Assign) else [getattr(target, "target", None)]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                message = f"cannot move {move.name}: it is bound together with other names"
                raise RefactorError(message, Location(path, definition.line))
        node = definition.nodes[0]
        for inner in ast.walk(node):
            if isinstance(inner, ast.Global):
                for name in inner.names:
                    target = f"{move.source}.{name}"
                    if destinations.get(target, move.source) != move.destination:
                        message = f"cannot move {move.name}: it rebinds the global {name}, which stays behind"
                        raise RefactorError(message, Location(path, inner.lineno))
        destination = symbols.modules.get(move.destination)
        binds = destination is not None and (move.name in destination.bindings or move.name in destination.imports)
        if binds and symbols.resolve_global(move.destination, move.name) != move.definition:
            message = f"cannot move {move.name} to {move.destination}: that module already binds the name"
            raise RefactorError(message, Location(path, definition.line))
