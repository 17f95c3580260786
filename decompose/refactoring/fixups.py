"""What rope 1.15 gets wrong after a move (measured, see the reference notes), put right file by file.

- `from m import f as g` importers are not rewritten: every `from` import of a moved name is pointed at the
  name's new module (aliases kept).
- A destination may import a name from the source although the name now lives in the destination itself
  (a variable moved after a function that uses it): imports of a module's own names are dropped.
- `__all__` of the source is back-imported into the destination (an import cycle) and still lists the
  moved names: the import goes and the source's `__all__` loses them.
- A moved module loses `from __future__ import annotations` semantics if the import is missing or not first.
- Imports are appended unsorted and the blank lines between top-level definitions collapse: touched files get
  their leading import block sorted (isort order, when it holds no comments) and two blank lines around
  top-level `def`/`class`, and end with one newline.
- A module whose import has side effects (route registrations, bare statements) must stay imported where it
  was: a plain `import m` is put back where rope removed the last import of it.
"""

from __future__ import annotations

import ast
import builtins
import textwrap
from collections.abc import Mapping

from decompose.generation.handlers import SIDE_EFFECT
from decompose.generation.imports import ImportSpec, render_imports

_FUTURE = "from __future__ import annotations"


def fix_file(
    text: str,
    module: str,
    moved: Mapping[tuple[str, str], str],
    first_party: frozenset[str],
    *,
    future: bool = False,
    is_package: bool = False,
    created: bool = False,
    docstring: str | None = None,
    side_effect_imports: tuple[str, ...] = (),
) -> str:
    """Every fix for one touched file (`moved`: (source module, name) -> destination module); a `created`
    module gets `docstring` and no blank lines between consecutive simple statements."""
    text = retarget_from_imports(text, module, moved, is_package)
    text = _drop_own_names(text, module)
    text = _drop_moved_from_all(text, module, moved)
    for imported in side_effect_imports:
        if not _imports(text, imported):
            text = _add_import(text, f"import {imported}  # {SIDE_EFFECT}")
    if future and _FUTURE not in text:
        text = _add_import(text, _FUTURE)
    if created and docstring and not _has_docstring(text):
        wrapped = "\n".join(textwrap.wrap(_docstring_safe(docstring), 100))
        text = (
            f'"""{wrapped}\n"""\n\n' + text.lstrip("\n")
            if "\n" in wrapped
            else f'"""{wrapped}"""\n\n' + text.lstrip("\n")
        )
    text = _sort_import_block(text, module, first_party)
    text = _blank_lines(text, compact=created)
    return text.rstrip("\n") + "\n" if text.strip() else text


def retarget_from_imports(text: str, module: str, moved: Mapping[tuple[str, str], str], is_package: bool) -> str:
    tree = _parse(text)
    if tree is None:
        return text
    edits: list[tuple[int, int, str]] = []
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.module == "__future__":
            continue
        base = _absolute(node, package)
        targets = [moved.get((base, alias.name)) for alias in node.names]
        if not any(targets):
            continue
        groups: dict[str, list[str]] = {}
        for alias, target in zip(node.names, targets, strict=True):
            name = alias.name + (f" as {alias.asname}" if alias.asname else "")
            destination = target or (("." * node.level) + (node.module or "") if node.level else base)
            groups.setdefault(destination, []).append(name)
        indent = " " * node.col_offset
        lines = [
            f"from {destination} import {', '.join(names)}"
            for destination, names in groups.items()
            if destination != module
        ]
        edits.append((node.lineno, node.end_lineno or node.lineno, "\n".join(indent + line for line in lines)))
    return _apply_line_edits(text, edits)


def _absolute(node: ast.ImportFrom, package: list[str]) -> str:
    if not node.level:
        return node.module or ""
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    return ".".join([*base, node.module] if node.module else base)


def _drop_own_names(text: str, module: str) -> str:
    """`from <this module> import x` and imports of names this module itself defines at top level."""
    tree = _parse(text)
    if tree is None:
        return text
    own = {
        stmt.name for stmt in tree.body if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    } | {t.id for stmt in tree.body if isinstance(stmt, ast.Assign) for t in stmt.targets if isinstance(t, ast.Name)}
    edits: list[tuple[int, int, str]] = []
    for stmt in tree.body:
        if not isinstance(stmt, ast.ImportFrom) or stmt.level or stmt.module == "__future__":
            continue
        keep = [
            alias
            for alias in stmt.names
            if stmt.module != module and not (alias.asname is None and alias.name in own and alias.name != "__all__")
        ]
        keep = [a for a in keep if a.name != "__all__"]
        if len(keep) == len(stmt.names):
            continue
        names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in keep)
        replacement = f"from {stmt.module} import {names}" if keep else ""
        edits.append((stmt.lineno, stmt.end_lineno or stmt.lineno, replacement))
    return _apply_line_edits(text, edits)


def _drop_moved_from_all(text: str, module: str, moved: Mapping[tuple[str, str], str]) -> str:
    gone = {name for (source, name) in moved if source == module}
    tree = _parse(text)
    if tree is None or not gone:
        return text
    edits: list[tuple[int, int, str]] = []
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id == "__all__"
            and isinstance(stmt.value, ast.List | ast.Tuple)
        ):
            names = [e.value for e in stmt.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if not gone & set(names):
                continue
            kept = [n for n in names if n not in gone]
            edits.append((stmt.lineno, stmt.end_lineno or stmt.lineno, f"__all__ = {kept!r}".replace("'", '"')))
    return _apply_line_edits(text, edits)


def imported_modules(text: str, module: str, is_package: bool = False) -> set[str]:
    """Every module a file imports at its top level (absolute names; `from a import b` counts `a` and `a.b`)."""
    tree = _parse(text)
    if tree is None:
        return set()
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            found.update(a.name for a in stmt.names)
        elif isinstance(stmt, ast.ImportFrom):
            base = _absolute(stmt, package)
            found.add(base)
            found.update(f"{base}.{a.name}" for a in stmt.names)
    return found


def _imports(text: str, module: str) -> bool:
    return module in imported_modules(text, "")


def _add_import(text: str, line: str) -> str:
    tree = _parse(text)
    if tree is None:
        return text
    lines = text.split("\n")
    imports = [s for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)]
    if line.startswith("from __future__"):
        at = _after_docstring(tree)
    elif imports:
        at = imports[-1].end_lineno or imports[-1].lineno
    else:
        at = _after_docstring(tree)
    lines.insert(at, line)
    return "\n".join(lines)


def _after_docstring(tree: ast.Module) -> int:
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first.end_lineno or first.lineno
    return 0


def _sort_import_block(text: str, module: str, first_party: frozenset[str]) -> str:
    """Re-render the leading block of plain imports in isort order (left alone when it has comments,
    relative imports or anything but imports between them)."""
    tree = _parse(text)
    if tree is None:
        return text
    body = tree.body
    start = (
        1 if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) else 0
    )
    block: list[ast.Import | ast.ImportFrom] = []
    for stmt in body[start:]:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            block.append(stmt)
        else:
            break
    if not block or any(isinstance(s, ast.ImportFrom) and s.level for s in block):
        return text
    lines = text.split("\n")
    first, last = block[0].lineno, block[-1].end_lineno or block[-1].lineno
    specs: list[ImportSpec] = []
    for stmt in block:
        comment = None
        region = lines[stmt.lineno - 1 : (stmt.end_lineno or stmt.lineno)]
        if any("#" in line for line in region):
            if len(region) > 1:
                return text  # a comment inside a wrapped import: leave the block as it is
            comment = region[0].split("#", 1)[1].strip()
        if isinstance(stmt, ast.Import):
            specs += [ImportSpec(a.name, None, a.asname, comment) for a in stmt.names]
        else:
            specs += [ImportSpec(stmt.module or "", a.name, a.asname, comment) for a in stmt.names]
    between = [line for line in lines[first - 1 : last] if line.strip().startswith("#")]
    if between:
        return text
    rendered = render_imports(specs, first_party | {module.split(".", maxsplit=1)[0]}).split("\n")
    return "\n".join([*lines[: first - 1], *rendered, *lines[last:]])


def unbound_definition_names(text: str) -> set[str]:
    """Names a module's top-level `def`/`class` statements evaluate when they run (defaults, decorators,
    bases) that the module does not bind: rope misses `s3_client` in `def f(s3_client=s3_client)`, where the
    parameter shadows the global it defaults to."""
    tree = _parse(text)
    if tree is None:
        return set()
    bound = set(dir(builtins))
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and stmt in tree.body:
            bound.add(stmt.name)
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name.split(".")[0]) for a in stmt.names)
        elif isinstance(stmt, ast.Name) and isinstance(stmt.ctx, ast.Store):
            bound.add(stmt.id)
    wanted: set[str] = set()
    for stmt in tree.body:
        roots: list[ast.AST] = []
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            roots = [*stmt.decorator_list, *stmt.args.defaults, *(d for d in stmt.args.kw_defaults if d)]
        elif isinstance(stmt, ast.ClassDef):
            roots = [*stmt.decorator_list, *stmt.bases]
        for root in roots:
            wanted.update(n.id for n in ast.walk(root) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))
    return wanted - bound


def add_import_line(text: str, line: str) -> str:
    return _add_import(text, line)


def _has_docstring(text: str) -> bool:
    tree = _parse(text)
    return bool(tree and tree.body and _after_docstring(tree))


def _docstring_safe(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _blank_lines(text: str, *, compact: bool = False) -> str:
    """Two blank lines around top-level `def`/`class` (with their decorators and leading comments), at least
    one after the import block; other spacing is left as it was."""
    tree = _parse(text)
    if tree is None or not tree.body:
        return text
    lines = text.split("\n")
    out_edits: list[tuple[int, int, int]] = []  # (first blank line, last blank line, wanted count)
    for previous, stmt in zip(tree.body, tree.body[1:], strict=False):
        start = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
        while start > 1 and lines[start - 2].lstrip().startswith("#"):
            start -= 1
        end = previous.end_lineno or previous.lineno
        gap = lines[end : start - 1]
        blank = 0
        while blank < len(gap) and not gap[blank].strip():
            blank += 1
        is_def = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        if isinstance(stmt, is_def) or isinstance(previous, is_def):
            wanted = 2
        elif isinstance(previous, ast.Import | ast.ImportFrom) and not isinstance(stmt, ast.Import | ast.ImportFrom):
            wanted = 1  # isort: one blank line after the imports unless a def follows
        elif _is_import_or_doc(previous) and not isinstance(previous, ast.Import | ast.ImportFrom):
            wanted = max(1, min(blank, 2))  # after the module docstring
        elif compact and blank == len(gap) and not _is_import_or_doc(previous) and not _is_import_or_doc(stmt):
            wanted = 0
        else:
            continue
        if blank != wanted:
            out_edits.append((end, end + blank, wanted))
    for begin, stop, wanted in sorted(out_edits, reverse=True):
        lines[begin:stop] = [""] * wanted
    return "\n".join(lines)


def _is_import_or_doc(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return True
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _apply_line_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    if not edits:
        return text
    lines = text.split("\n")
    for first, last, replacement in sorted(edits, reverse=True):
        lines[first - 1 : last] = replacement.split("\n") if replacement else []
    return "\n".join(lines)


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except SyntaxError:
        return None
