"""Import statements as values, rendered the way isort (ruff's `I` rules, default settings) orders them.

Sections: `__future__`, standard library, third party, first party (the modules of the code tree), each
separated by a blank line; in a section the `import x` lines come first, then the `from x import ...` lines,
each sorted by module name (case-insensitively); members are ordered by type (CONSTANTS, Classes, names) and
a `from` import that would not fit on one line is wrapped one member per line with a trailing comma.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from decompose.analysis.symbols import is_stdlib

LINE_LENGTH = 88  # ruff's default; a wrapped import with a trailing comma is accepted at any line length


@dataclass(frozen=True, order=True)
class ImportSpec:
    """`import module [as alias]` (name None) or `from module import name [as alias]`."""

    module: str
    name: str | None = None
    alias: str | None = None
    comment: str | None = None  # a trailing comment (`noqa: F401 - ...` for side-effect imports)

    @property
    def bound(self) -> str:
        """The local name the import binds."""
        if self.alias:
            return self.alias
        return self.name if self.name is not None else self.module.split(".")[0]


def render_imports(specs: Iterable[ImportSpec], first_party: frozenset[str]) -> str:
    """The import block for `specs` (no trailing newline; empty when there is nothing to import)."""
    sections: dict[int, list[ImportSpec]] = {}
    unique: dict[tuple[str, str | None, str | None], ImportSpec] = {}
    for spec in specs:
        key = (spec.module, spec.name, spec.alias)
        if key not in unique or (spec.comment and not unique[key].comment):
            unique[key] = spec
    for spec in unique.values():
        sections.setdefault(_section(spec.module, first_party), []).append(spec)
    blocks = [_render_section(sections[key]) for key in sorted(sections)]
    return "\n\n".join(blocks)


def _section(module: str, first_party: frozenset[str]) -> int:
    top = module.split(".", maxsplit=1)[0]
    if top == "__future__":
        return 0
    if top in first_party:
        return 3
    return 1 if is_stdlib(top) else 2


def _module_key(module: str) -> tuple[str, str]:
    return (module.lower(), module)


def _member_key(name: str) -> tuple[int, str, str]:
    if name.isupper() and len(name) > 1:
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return (kind, name.lower(), name)


def _render_section(specs: list[ImportSpec]) -> str:
    lines: list[str] = []
    straight = sorted((s for s in specs if s.name is None), key=lambda s: (_module_key(s.module), s.alias or ""))
    for spec in straight:
        line = f"import {spec.module}" + (f" as {spec.alias}" if spec.alias else "")
        lines.append(line + (f"  # {spec.comment}" if spec.comment else ""))
    froms: dict[str, list[ImportSpec]] = {}
    for spec in specs:
        if spec.name is not None:
            froms.setdefault(spec.module, []).append(spec)
    for module in sorted(froms, key=_module_key):
        members = sorted(froms[module], key=lambda s: (_member_key(s.name or ""), s.alias or ""))
        plain = [m for m in members if not m.alias]
        aliased = [m for m in members if m.alias]
        statements: list[tuple[tuple[int, str, str], str]] = []
        if plain:
            comment = next((m.comment for m in plain if m.comment), None)
            line = _from_line(module, [m.name or "" for m in plain]) + (f"  # {comment}" if comment else "")
            statements.append((_member_key(plain[0].name or ""), line))
        for member in aliased:
            line = _from_line(module, [f"{member.name} as {member.alias}"])
            statements.append(
                (_member_key(member.name or ""), line + (f"  # {member.comment}" if member.comment else ""))
            )
        lines.extend(line for _, line in sorted(statements))
    return "\n".join(lines)


def _from_line(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    body = "".join(f"    {name},\n" for name in names)
    return f"from {module} import (\n{body})"
