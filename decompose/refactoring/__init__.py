"""The refactor stage of `apply`: move each extracted function's code into modules of its own, with rope.

`refactor(code_root, monolith, plan)` works in place on a workspace copy of one CodeUri:

1. `usage`: who uses every top-level definition (each extracted function through its routes' reach and
   its generated handler's slice; the monolith through everything else);
2. `moves`: which definitions move where and in which order (exclusive code to the function's module,
   shared code that sits beside unrelated code to shared modules, widest first);
3. `rope_moves`: rope's `MoveGlobal` runs them, rewriting every importer;
4. `fixups`: what rope gets wrong is put right in every touched file;
5. `checks`: every file parses, no import cycle runs through a new module, no new module imports the
   monolith's handler module.

Nothing moves when the code already has the plan's shape, so a second run changes nothing. Code rope cannot
move safely raises a `RefactorError` naming the file and line, and the tree is restored as it was.
Each function's module is `FunctionPlan.module`, else `routes.<snake of its logical id>` (`GetOrderFunction`
-> `routes/get_order.py`); shared modules sit next to the module they came from.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from decompose.analysis.codebase import Codebase, load_codebase
from decompose.domain.model import Finding, FunctionAnalysis
from decompose.domain.plan import Plan
from decompose.errors import RefactorError
from decompose.generation.handlers import handler_needs
from decompose.refactoring.checks import check_tree
from decompose.refactoring.configuration import Configuration, configurations, placed, without
from decompose.refactoring.fixups import (
    add_import_line,
    fix_file,
    imported_modules,
    retarget_from_imports,
    unbound_definition_names,
)
from decompose.refactoring.moves import Move, default_module, plan_moves
from decompose.refactoring.pins import pinned_definitions
from decompose.refactoring.rope_moves import module_file, run_moves
from decompose.refactoring.usage import REST, compute_users

__all__ = ["Move", "RefactorResult", "default_module", "refactor"]


@dataclass(frozen=True)
class RefactorResult:
    """What the refactor did: each extracted function's module, the moves in order, and findings."""

    modules: dict[str, str]  # logical id -> dotted module holding its routes' exclusive code
    moved: tuple[Move, ...]
    findings: tuple[Finding, ...] = ()
    created: tuple[str, ...] = ()  # files created, relative to the code root


def refactor(code_root: Path, monolith: FunctionAnalysis, plan: Plan) -> RefactorResult:
    """Move the extracted functions' code under `code_root` (in place); see the module docstring."""
    code_root = code_root.resolve()
    project_root = _project_root(code_root, monolith.spec.code_uri)
    codebase = load_codebase(code_root, project_root)
    handler_module = monolith.spec.handler_module
    needs = {
        logical_id: {
            d
            for d in ids
            if d in codebase.symbols.definitions and codebase.symbols.definitions[d].module != handler_module
        }
        for logical_id, ids in handler_needs(codebase, monolith.spec, plan).items()
    }
    pinned = pinned_definitions(codebase, project_root, code_root)
    users = compute_users(codebase, monolith, plan, needs, pinned)
    planned = plan_moves(codebase, users, plan, handler_module)
    if not planned.moves:
        return RefactorResult(planned.modules, ())
    snapshot = {p: p.read_text(encoding="utf-8") for p in code_root.rglob("*.py") if _in_tree(p, code_root)}
    side_effects = _side_effect_modules(codebase)
    imported_before = {
        _module_name(p, code_root): imported_modules(t, _module_name(p, code_root), p.name == "__init__.py")
        for p, t in snapshot.items()
    }
    registered = _registered_moves(codebase, planned.moves)
    configured = _configurations(codebase, code_root, snapshot, planned.moves)
    try:
        created = run_moves(code_root, planned.moves)
        _move_configurations(code_root, configured)
        moved = {(m.source, m.name): m.destination for m in planned.moves}
        futures = {m.destination for m in planned.moves if _has_future(codebase, m.source)}
        first_party = frozenset(name.split(".")[0] for name in codebase.symbols.modules) | {
            m.destination.split(".")[0] for m in planned.moves
        }
        for path in code_root.rglob("*.py"):  # rope leaves `from m import f as g` importers alone
            if _in_tree(path, code_root):
                text = path.read_text(encoding="utf-8")
                fixed = retarget_from_imports(text, _module_name(path, code_root), moved, path.name == "__init__.py")
                if fixed != text:
                    path.write_text(fixed, encoding="utf-8")
        touched = [p for p in code_root.rglob("*.py") if _in_tree(p, code_root) and _changed(p, snapshot)]
        docstrings = _docstrings(planned.moves, users, plan)
        for path in touched:
            module = _module_name(path, code_root)
            text = _bind_definition_names(path.read_text(encoding="utf-8"), module, planned.moves, moved, codebase)
            now = imported_modules(text, module, path.name == "__init__.py")
            lost = sorted(s for s in imported_before.get(module, set()) & side_effects if s not in now and s != module)
            keep = tuple(sorted({*lost, *registered.get(module, set())}))
            text = fix_file(
                text,
                module,
                moved,
                first_party,
                future=module in futures,
                is_package=path.name == "__init__.py",
                created=path.relative_to(code_root).as_posix() in created,
                docstring=docstrings.get(module),
                side_effect_imports=keep,
            )
            path.write_text(text, encoding="utf-8")
        check_tree(code_root, handler_module, {_module_name(code_root / c, code_root) for c in created}, snapshot)
    except BaseException:
        _restore(code_root, snapshot)
        raise
    return RefactorResult(planned.modules, planned.moves, (), tuple(sorted(created)))


def _configurations(
    codebase: Codebase, code_root: Path, snapshot: dict[Path, str], moves: tuple[Move, ...]
) -> list[Configuration]:
    """The statements configuring each moved object (see `configuration`), read before rope runs."""
    trees: dict[str, tuple[ast.Module, str]] = {}
    for move in moves:
        module = codebase.symbols.modules.get(move.source)
        if move.kind == "assignment" and module is not None and move.source not in trees:
            path = code_root / _relative_to_root(module.module.path, codebase)
            trees[move.source] = (module.module.tree, snapshot.get(path, ""))
    assignments = [(m.name, m.source, m.destination) for m in moves if m.kind == "assignment"]
    return configurations(trees, assignments, {id(node) for node in codebase.registrations})


def _move_configurations(code_root: Path, configured: list[Configuration]) -> None:
    for configuration in configured:
        source = module_path(code_root, configuration.source)
        destination = module_path(code_root, configuration.destination)
        if not source.is_file() or not destination.is_file():
            continue
        source.write_text(without(source.read_text(encoding="utf-8"), configuration), encoding="utf-8")
        destination.write_text(placed(destination.read_text(encoding="utf-8"), configuration), encoding="utf-8")


def module_path(code_root: Path, module: str) -> Path:
    """The file of a dotted module under the code root (a package's `__init__.py`)."""
    path = code_root / module_file(module)
    return path if path.is_file() else code_root.joinpath(*module.split("."), "__init__.py")


def _relative_to_root(path: str, codebase: Codebase) -> str:
    """A module's path (relative to the project root) relative to the code root."""
    prefix = codebase.sources.root.rstrip("/")
    return path if prefix in ("", ".") else path.removeprefix(prefix + "/")


def _docstrings(moves: tuple[Move, ...], users: dict[str, frozenset[str]], plan: Plan) -> dict[str, str]:
    """A docstring for each created module: whose code it is and where it came from."""
    out: dict[str, str] = {}
    for move in moves:
        if move.destination in out:
            continue
        sources = ", ".join(sorted({module_file(m.source) for m in moves if m.destination == move.destination}))
        signature = users.get(move.definition, frozenset())
        functions = sorted(u for u in signature if u != REST)
        if len(signature) == 1 and functions:
            routes = ", ".join(next(f.routes for f in plan.functions if f.logical_id == functions[0]))
            text = f"The code only {functions[0]} uses ({routes}), moved out of {sources} by decompose."
        else:
            who = ", ".join(functions) + (" and the monolith" if REST in signature else "")
            text = f"Code shared by {who}, moved out of {sources} by decompose."
        out[move.destination] = text
    return out


def _bind_definition_names(
    text: str, module: str, moves: tuple[Move, ...], moved: dict[tuple[str, str], str], codebase: Codebase
) -> str:
    """Import what moved definitions evaluate at definition time but rope did not import (see fixups)."""
    missing = unbound_definition_names(text)
    sources = sorted({m.source for m in moves if m.destination == module})
    for name in sorted(missing):
        for source in sources:
            symbols = codebase.symbols.modules[source]
            if (source, name) in moved:
                line = f"from {moved[(source, name)]} import {name}"
            elif name in symbols.bindings:
                line = f"from {source} import {name}"
            elif name in symbols.imports:
                target, attr, _ = symbols.imports[name]
                alias = f" as {name}" if attr != name else ""
                line = f"from {target} import {attr}{alias}" if attr else f"import {target}"
            else:
                continue
            text = add_import_line(text, line)
            break
    return text


def _project_root(code_root: Path, code_uri: str) -> Path:
    """The project folder above `code_root` (CodeUri `src` -> its parent; `.` -> itself)."""
    depth = len([p for p in Path(code_uri).parts if p not in (".", "")])
    root = code_root
    for _ in range(depth):
        root = root.parent
    return root


def _side_effect_modules(codebase: Codebase) -> set[str]:
    """Modules whose import does something: registers routes (decorators, `include_router`) or runs bare
    statements. Where one was imported before, it stays imported."""
    registrations = {id(node) for node in codebase.registrations}
    found = {name for name, module in codebase.symbols.modules.items() if module.statements}
    for definition in codebase.symbols.definitions.values():
        node = definition.nodes[0] if definition.nodes else None
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            id(d) in registrations for d in node.decorator_list
        ):
            found.add(definition.module)
    return found


def _registered_moves(codebase: Codebase, moves: tuple[Move, ...]) -> dict[str, set[str]]:
    """source module -> destinations holding views it registered: the source imports them back."""
    registrations = {id(node) for node in codebase.registrations}
    out: dict[str, set[str]] = {}
    for move in moves:
        node = codebase.symbols.definitions[move.definition].nodes[0]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            id(d) in registrations for d in node.decorator_list
        ):
            out.setdefault(move.source, set()).add(move.destination)
    return out


def _has_future(codebase: object, module: str) -> bool:
    tree = codebase.symbols.modules[module].module.tree  # type: ignore[attr-defined]
    return any(
        getattr(s, "module", None) == "__future__" and any(a.name == "annotations" for a in s.names)  # type: ignore[attr-defined]
        for s in tree.body
    )


def _in_tree(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return not any(p.startswith(".") or p in ("__pycache__", "venv", "node_modules", ".aws-sam") for p in parts)


def _changed(path: Path, snapshot: dict[Path, str]) -> bool:
    return path not in snapshot or snapshot[path] != path.read_text(encoding="utf-8")


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _restore(root: Path, snapshot: dict[Path, str]) -> None:
    """Put the tree back as it was (the refactor never leaves a half-moved tree)."""
    for path in root.rglob("*.py"):
        if _in_tree(path, root) and path not in snapshot:
            path.unlink()
    for path, text in snapshot.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for folder in sorted((p for p in root.rglob("*") if p.is_dir() and _in_tree(p, root)), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


__all__ += ["RefactorError"]
