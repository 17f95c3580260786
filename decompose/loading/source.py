"""Read and parse the Python files under a function's CodeUri.

A file that cannot be read, decoded or parsed becomes a finding with its file and line, and the rest of the
code is still analyzed: one bad file must not hide every route, and none may take the process down.

- **Decoding is CPython's.** The bytes are decoded the way the interpreter decodes a module
  (`tokenize.detect_encoding`: a UTF-8 byte-order mark, a PEP 263 `# -*- coding: latin-1 -*-` line, else
  UTF-8); a byte the encoding cannot decode and a null byte are findings at their line.
- **A guarded parse.** A file over `MAX_SOURCE_BYTES`, or nesting deeper than CPython itself parses with its
  default recursion limit (a 12,000-branch `elif` chain, a 20,000-term expression: `RecursionError` or
  `MemoryError` in the parser), is a `too-complex` finding and is skipped. The parse runs under that default
  limit even while the rest of a run raises it, so what is read is what `import` would accept, and the
  later recursive walks stay well inside the run's own limit (`MAX_NESTING` levels at most; measured on
  Pythons whose parser bounds depth by the C stack rather than by the recursion limit).
- **Symbolic links are followed once.** Every directory is read once, by its resolved path: a link back to
  a folder being read (a loop) is a `symlink-loop` finding, never a hang, and a second link to a folder
  already read is skipped with a note. Files and folders whose real path is outside the project are not
  read (a finding) unless the run allows it (`allow_outside`).
- Paths in findings and modules are relative to the project root as the user sees them (through links,
  not resolved), `../`-relative when outside it.
"""

from __future__ import annotations

import ast
import io
import os
import sys
import tokenize
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from decompose.domain.model import Finding, Location, Severity

SKIPPED_DIRS = frozenset(
    {
        "__pycache__",
        ".venv",
        "venv",
        ".aws-sam",
        "node_modules",
        ".git",
        "tests",
        "test",
        ".pytest_cache",
        "build",
        "dist",
    }
)
MAX_SOURCE_BYTES = 8 * 1024 * 1024  # a hand-written module is far smaller; beyond this it is generated data
PARSE_RECURSION_LIMIT = 1000  # CPython's default: what `import` parses without a raised limit
MAX_NESTING = 3000  # what parsing under that limit can produce (CPython 3.11 scales it by 3)
# CPython 3.11 builds the tree under the recursion limit, so the parse alone bounds the depth; later versions
# bound it by the C stack instead, and the tree is measured (a walk over every node) before it is kept.
CHECK_NESTING = sys.version_info >= (3, 12)


@dataclass(frozen=True)
class SourceModule:
    """One parsed Python module: its dotted name relative to the code root, its file and its tree."""

    name: str
    path: str  # relative to the project root, POSIX
    tree: ast.Module
    is_package: bool


@dataclass(frozen=True)
class SourceTree:
    """Every parseable module under one code root, keyed by dotted name."""

    root: str  # the code root relative to the project root
    modules: dict[str, SourceModule]
    findings: tuple[Finding, ...]


def read_sources(project_root: Path, code_root: Path, *, allow_outside: bool = False) -> SourceTree:
    """Parse every `.py` file below `code_root` (tests, virtualenvs and build output excluded)."""
    modules: dict[str, SourceModule] = {}
    walk = _Walk(project_root, allow_outside)
    for file in sorted(walk.python_files(code_root)):
        rel = relative_path(file, project_root)
        parts = file.relative_to(code_root).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        if not name or not all(part.isidentifier() for part in name.split(".")):
            continue
        tree = parse_file(file, rel, walk.findings)
        if tree is not None:
            modules[name] = SourceModule(name, rel, tree, is_package)
    return SourceTree(relative_path(code_root, project_root), modules, tuple(walk.findings))


def parse_file(file: Path, rel: str, findings: list[Finding]) -> ast.Module | None:
    """The module's tree, or None with a finding (unreadable, too large, not decodable, not parseable)."""
    try:
        size = file.stat().st_size
        if size > MAX_SOURCE_BYTES:
            findings.append(_skipped("too-complex", f"{size:,} bytes, over the {MAX_SOURCE_BYTES:,} parsed", rel))
            return None
        data = file.read_bytes()
    except OSError as exc:
        findings.append(_skipped("read-error", f"cannot read it ({exc.strerror or exc})", rel))
        return None
    text = _decode(data, rel, findings)
    if text is None:
        return None
    null = text.find("\0")
    if null >= 0:
        findings.append(_skipped("syntax-error", "a null byte in the source", rel, text.count("\n", 0, null) + 1))
        return None
    try:
        with _default_recursion_limit():
            tree = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        findings.append(_skipped("syntax-error", str(exc.msg), rel, exc.lineno))
        return None
    except (RecursionError, MemoryError) as exc:
        why = "nests deeper than Python parses" + (" (out of parser memory)" if isinstance(exc, MemoryError) else "")
        findings.append(_skipped("too-complex", why, rel))
        return None
    depth = nesting(tree) if CHECK_NESTING else 0
    if depth > MAX_NESTING:
        why = f"nests {depth:,} levels deep (decompose follows {MAX_NESTING:,})"
        findings.append(_skipped("too-complex", why, rel))
        return None
    return tree


def _decode(data: bytes, rel: str, findings: list[Finding]) -> str | None:
    """The text of a module, decoded as CPython decodes it (BOM, PEP 263 coding line, else UTF-8)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # an unknown codec, or a BOM that contradicts the coding line
        line = exc.lineno or (1 if b"coding" in data.split(b"\n", 1)[0] else 2)
        findings.append(_skipped("decode-error", str(exc.msg), rel, line))
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        findings.append(_skipped("decode-error", f"not {encoding} ({exc.reason} at byte {exc.start})", rel, line))
        return None


def nesting(tree: ast.AST) -> int:
    """The depth of the deepest node (iteratively: the tree may be deeper than the recursion limit)."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    push, pop, node_type = stack.append, stack.pop, ast.AST
    while stack:
        node, depth = pop()
        deepest = max(deepest, depth)
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, node_type):
                        push((item, depth + 1))
            elif isinstance(value, node_type):
                push((value, depth + 1))
    return deepest


@contextmanager
def _default_recursion_limit() -> Iterator[None]:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(PARSE_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _skipped(rule: str, why: str, rel: str, line: int | None = None) -> Finding:
    return Finding(rule, Severity.ERROR, f"{why}; file skipped", Location(rel, line))


class _Walk:
    """A walk over folders that reads each real directory once and reports links it does not follow."""

    def __init__(self, project_root: Path, allow_outside: bool) -> None:
        self.project_root = project_root
        self.real_root = os.path.realpath(project_root)
        self.allow_outside = allow_outside
        self.findings: list[Finding] = []
        self._seen: dict[str, str] = {}  # real path -> the path it was read as

    def python_files(self, code_root: Path) -> list[Path]:
        found: list[Path] = []
        stack: list[tuple[Path, tuple[str, ...]]] = [(code_root, ())]
        while stack:
            folder, ancestors = stack.pop()
            real = os.path.realpath(folder)
            rel = relative_path(folder, self.project_root)
            if real in ancestors:
                message = f"links back to {self._seen.get(real, 'a folder it is in')}, a folder it is in; not followed"
                self._note("symlink-loop", Severity.WARNING, message, rel)
                continue
            if real in self._seen:
                message = f"links to {self._seen[real]}, already read; not read twice"
                self._note("symlink-duplicate", Severity.INFO, message, rel)
                continue
            if folder != code_root and not self._inside(real, rel):
                continue
            self._seen[real] = rel
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                self._note("read-error", Severity.ERROR, f"cannot read the folder ({exc.strerror or exc})", rel)
                continue
            for entry in entries:
                path = folder / entry.name
                try:
                    is_dir = entry.is_dir()
                    is_file = not is_dir and entry.is_file()
                except OSError as exc:  # a link loop on the entry itself (ELOOP)
                    message = f"not followed ({exc.strerror or exc})"
                    self._note("symlink-loop", Severity.WARNING, message, _rel(path, self))
                    continue
                if is_dir:
                    if entry.name not in SKIPPED_DIRS and not entry.name.startswith("."):
                        stack.append((path, (*ancestors, real)))
                elif entry.name.endswith(".py"):
                    if is_file and self._inside(os.path.realpath(path), _rel(path, self)):
                        found.append(path)
                    elif not is_file and entry.is_symlink():
                        rel_file = _rel(path, self)
                        self._note("read-error", Severity.ERROR, "a symbolic link to a missing file; skipped", rel_file)
        return found

    def _inside(self, real: str, rel: str) -> bool:
        if self.allow_outside or is_within(real, self.real_root):
            return True
        message = "a symbolic link out of the project folder; not read (pass --allow-outside to read it)"
        self._note("code-outside-project", Severity.WARNING, message, rel)
        return False

    def _note(self, rule: str, severity: Severity, message: str, rel: str) -> None:
        self.findings.append(Finding(rule, severity, message, Location(rel)))


def _rel(path: Path, walk: _Walk) -> str:
    return relative_path(path, walk.project_root)


def is_within(real: str, real_root: str) -> bool:
    """Whether the resolved path `real` is `real_root` or below it."""
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def relative_path(path: Path, root: Path) -> str:
    """`path` relative to `root`, POSIX, as written (links not resolved); `../`-relative when outside."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    return Path(rel).as_posix() if rel != "." else "."
