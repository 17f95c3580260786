"""Configuration statements follow the object they configure when rope moves it.

rope moves definitions, never the module-level statements around them. A statement right after an object's
definition that only configures that object is part of building it:

    app = Chalice(app_name="bookshop")
    app.api.cors = True          # read by every `@app.route` that registers afterwards
    logger = logging.getLogger()
    logger.setLevel("INFO")

Left behind when `app` moves to a shared module, the configuration would run later than before in the
monolith (after the views the shared module's importers register: those routes lose CORS) and never in a new
function that imports `app` alone. So a statement moves with the object when it directly follows the object's
definition (or another statement that moves with it), names nothing but the object, and changes it: a call
of one of its methods, or an assignment to one of its attributes or items. A route registration never
moves this way (it names a view), and a statement separated from the definition by other code stays, because
running it earlier could change what that code sees.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable
from dataclasses import dataclass

_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class Configuration:
    """Statements of `source` that configure `name` and move with it to `destination`."""

    name: str
    source: str
    destination: str
    statements: tuple[str, ...]  # `ast.dump` of each statement, in order
    text: tuple[str, ...]  # the source lines of each statement


def configurations(
    trees: dict[str, tuple[ast.Module, str]], moved: Iterable[tuple[str, str, str]], registrations: set[int]
) -> list[Configuration]:
    """For each moved assignment (name, source module, destination module), the statements that move with it.
    `trees` maps a module to its parsed tree and text *before* the moves."""
    found: list[Configuration] = []
    for name, source, destination in moved:
        if source not in trees:
            continue
        tree, text = trees[source]
        lines = text.splitlines()
        body = tree.body
        index = next((i for i, stmt in enumerate(body) if _binds(stmt, name)), None)
        if index is None:
            continue
        dumps: list[str] = []
        texts: list[str] = []
        for stmt in body[index + 1 :]:
            if id(stmt) in registrations or not _configures(stmt, name):
                break
            dumps.append(ast.dump(stmt))
            texts.append("\n".join(lines[stmt.lineno - 1 : stmt.end_lineno]))
        if dumps:
            found.append(Configuration(name, source, destination, tuple(dumps), tuple(texts)))
    return found


def without(text: str, configuration: Configuration) -> str:
    """`text` (the source module after the moves) without the configuration's statements."""
    tree = _parse(text)
    if tree is None:
        return text
    wanted = list(configuration.statements)
    spans: list[tuple[int, int]] = []
    for stmt in tree.body:
        if wanted and ast.dump(stmt) == wanted[0]:
            spans.append((stmt.lineno, stmt.end_lineno or stmt.lineno))
            wanted.pop(0)
    if wanted:
        return text  # not all of them are there: leave the module as it is
    lines = text.split("\n")
    for start, end in reversed(spans):
        del lines[start - 1 : end]
    return "\n".join(lines)


def placed(text: str, configuration: Configuration) -> str:
    """`text` (the destination module after the moves) with the statements right after the definition."""
    tree = _parse(text)
    if tree is None:
        return text
    definition = next((stmt for stmt in tree.body if _binds(stmt, configuration.name)), None)
    if definition is None:
        return text
    following = tree.body[tree.body.index(definition) + 1 : tree.body.index(definition) + 1 + len(configuration.text)]
    if [ast.dump(s) for s in following] == list(configuration.statements):
        return text  # already there
    lines = text.split("\n")
    end = definition.end_lineno or definition.lineno
    lines[end:end] = [line for block in configuration.text for line in block.split("\n")]
    return "\n".join(lines)


def _binds(stmt: ast.stmt, name: str) -> bool:
    if isinstance(stmt, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
    return isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name


def _configures(stmt: ast.stmt, name: str) -> bool:
    """`name.method(...)`, `name.attr... = value`, `name[key] = value` (or augmented), naming nothing else."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        changed = [stmt.value.func] if isinstance(stmt.value.func, ast.Attribute) else []
    elif isinstance(stmt, ast.Assign):
        changed = list(stmt.targets)
    elif isinstance(stmt, ast.AugAssign | ast.AnnAssign):
        changed = [stmt.target]
    else:
        return False
    if not changed or not all(_rooted_at(target, name) for target in changed):
        return False
    names = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    return names - _BUILTINS == {name}


def _rooted_at(node: ast.expr, name: str) -> bool:
    if not isinstance(node, ast.Attribute | ast.Subscript):
        return False
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return isinstance(node, ast.Name) and node.id == name


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except SyntaxError:
        return None
