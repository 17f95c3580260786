"""Which environment variables a piece of code reads, by name, from its AST.

The forms read: `os.environ["X"]`, `os.environ.get("X")` (and `setdefault`, `pop`, `__getitem__`),
`"X" in os.environ`, `os.getenv("X")`, through any import spelling the module's symbol table records
(`import os as o`, `from os import environ as env, getenv`). A write (`os.environ["X"] = v`, `del`) reads
nothing. Any other use of `os.environ` (passed along, copied, iterated, `**os.environ`) or a key that is not a
string literal is *computed*: the caller cannot know which variables the code needs, and says so.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

from decompose.analysis.symbols import ModuleSymbols

READ_METHODS = frozenset({"get", "setdefault", "pop", "__getitem__", "__contains__"})


@dataclass
class EnvironmentReads:
    """Variable names read literally, and the lines where a read is computed."""

    names: set[str] = field(default_factory=set)
    computed: list[tuple[int, str]] = field(default_factory=list)  # (line, what was seen)


def environment_reads(symbols: ModuleSymbols, nodes: Iterable[ast.AST], into: EnvironmentReads) -> None:
    """Add the environment reads among `nodes` (every node that runs, flattened, parents first) to `into`."""
    names = _environ_names(symbols)
    if not names.environ and not names.getenv and not names.os:
        return
    reader = _Reader(names, into)
    for node in nodes:
        reader.read(node)
    for node in reader.wholes:
        if id(node) not in reader.handled:
            what = "os.getenv passed along" if reader.is_getenv(node) else "os.environ used as a whole"
            into.computed.append((getattr(node, "lineno", 0), what))


@dataclass(frozen=True)
class _Names:
    os: frozenset[str]  # local names bound to the os module
    environ: frozenset[str]  # local names bound to os.environ
    getenv: frozenset[str]  # local names bound to os.getenv


def _environ_names(symbols: ModuleSymbols) -> _Names:
    os_names, environ, getenv = set(), set(), set()
    for local, (target, attr, _) in symbols.imports.items():
        if target == "os" and attr is None:
            os_names.add(local)
        elif target == "os" and attr == "environ":
            environ.add(local)
        elif target == "os" and attr == "getenv":
            getenv.add(local)
    return _Names(frozenset(os_names), frozenset(environ), frozenset(getenv))


class _Reader:
    """Reads one node at a time; a use of `os.environ`/`os.getenv` that no read pattern handled is computed."""

    def __init__(self, names: _Names, into: EnvironmentReads) -> None:
        self.names = names
        self.into = into
        self.handled: set[int] = set()  # ids of os.environ / os.getenv nodes a read pattern accounted for
        self.wholes: list[ast.AST] = []

    def is_environ(self, node: ast.AST) -> bool:
        return self._is(node, "environ", self.names.environ)

    def is_getenv(self, node: ast.AST) -> bool:
        return self._is(node, "getenv", self.names.getenv)

    def _is(self, node: ast.AST, attr: str, locals_: frozenset[str]) -> bool:
        if isinstance(node, ast.Name):
            return node.id in locals_ and isinstance(node.ctx, ast.Load)
        return (
            isinstance(node, ast.Attribute)
            and node.attr == attr
            and isinstance(node.value, ast.Name)
            and node.value.id in self.names.os
        )

    def _key(self, key: ast.AST | None, node: ast.AST, what: str) -> None:
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            self.into.names.add(key.value)
        else:
            self.into.computed.append((getattr(node, "lineno", 0), f"{what} with a computed name"))

    def read(self, node: ast.AST) -> None:
        if self.is_environ(node) or self.is_getenv(node):
            self.wholes.append(node)
        elif isinstance(node, ast.Subscript) and self.is_environ(node.value):
            self.handled.add(id(node.value))
            if isinstance(node.ctx, ast.Load):
                self._key(node.slice, node, "os.environ[...]")
        elif isinstance(node, ast.Call):
            func = node.func
            first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "key"), None)
            if self.is_getenv(func):
                self.handled.add(id(func))
                self._key(first, node, "os.getenv()")
            elif isinstance(func, ast.Attribute) and self.is_environ(func.value) and func.attr in READ_METHODS:
                self.handled.add(id(func.value))
                self._key(first, node, f"os.environ.{func.attr}()")
        elif (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.In | ast.NotIn)
            and self.is_environ(node.comparators[0])
        ):
            self.handled.add(id(node.comparators[0]))
            self._key(node.left, node, "a test on os.environ")
