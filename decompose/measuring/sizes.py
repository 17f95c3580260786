"""How many bytes a deployment package holds, from the files on disk and the installed distributions' RECORDs.

A package is its first-party files plus the distributions its requirement lines install, with everything those
require (their `Requires-Dist`, extras and environment markers read by `packaging`, as pip reads them). Each
distribution's size is the sum of the sizes its RECORD lists for the files it installs, leaving out compiled
`.pyc` files (the generated Makefile installs with `--no-compile`) and files outside the install folder (console
scripts). The distributions are the ones installed in the environment decompose runs in: a requirement that is
not installed here has no size (`DistributionSize.bytes` is None), and the package's total is then a lower bound
that every view marks. Versions may differ from what `sam build` would download for the Lambda platform.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from decompose.changes.workspace import skipped
from decompose.domain.report import DistributionSize, PackageSize


def package_size(folder: Path, files: Iterable[str] | None, requirements: Iterable[str]) -> PackageSize:
    """The size of a package: `files` (relative to `folder`; every file under it when None) and the
    distributions `requirements` (requirement lines) install."""
    paths = list(_all_files(folder)) if files is None else [folder / f for f in files]
    code = sum(p.stat().st_size for p in paths if p.is_file())
    return PackageSize(len(paths), code, distribution_sizes(requirements))


def distribution_sizes(requirements: Iterable[str]) -> tuple[DistributionSize, ...]:
    """Every distribution the requirement lines install, transitively, sorted by name."""
    wanted: dict[str, set[str]] = {}
    work: list[tuple[str, frozenset[str]]] = []
    for line in requirements:
        parsed = _requirement(line)
        if parsed is not None and _applies(parsed.marker, frozenset()):
            work.append((canonicalize_name(parsed.name), frozenset(e.lower() for e in parsed.extras)))
    while work:
        name, extras = work.pop()
        known = wanted.get(name)
        if known is not None and extras <= known:
            continue
        wanted[name] = (known or set()) | extras
        work.extend(_requires(name, frozenset(wanted[name])))
    return tuple(_size(name) for name in sorted(wanted))


def requirement_lines(path: Path | None) -> tuple[str, ...]:
    """The requirement lines of a requirements file (comments, blank lines and pip options left out)."""
    if path is None or not path.is_file():
        return ()
    lines = []
    pending = ""
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        text = pending + raw
        if text.endswith("\\"):
            pending = text[:-1]
            continue
        pending = ""
        text = text.split(" #", 1)[0].strip()
        if text and not text.startswith(("#", "-")):
            lines.append(text)
    return tuple(lines)


def _requirement(line: str) -> Requirement | None:
    try:
        return Requirement(line)
    except InvalidRequirement:
        return None  # a URL or path requirement: pip resolves it, no installed metadata names it here


def _applies(marker: Marker | None, extras: frozenset[str]) -> bool:
    if marker is None:
        return True
    return any(marker.evaluate({"extra": extra}) for extra in (extras or {""}))


@cache
def _requires(name: str, extras: frozenset[str]) -> tuple[tuple[str, frozenset[str]], ...]:
    try:
        texts = metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return ()
    found = []
    for text in texts:
        parsed = _requirement(text)
        if parsed is not None and _applies(parsed.marker, extras):
            found.append((canonicalize_name(parsed.name), frozenset(e.lower() for e in parsed.extras)))
    return tuple(found)


@cache
def _size(name: str) -> DistributionSize:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return DistributionSize(name, None, None)
    files = dist.files
    if files is None:  # no RECORD (an old egg install): its files are unknown
        return DistributionSize(name, dist.version, None)
    total = 0
    for entry in files:
        if ".." in entry.parts or "__pycache__" in entry.parts or entry.suffix in (".pyc", ".pyo"):
            continue
        size = entry.size
        if size is None:  # RECORD lists itself without a size
            located = Path(str(dist.locate_file(entry)))
            size = located.stat().st_size if located.is_file() else 0
        total += size
    return DistributionSize(name, dist.version, total)


def _all_files(folder: Path) -> Iterable[Path]:
    for current, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not skipped(d))
        for name in sorted(names):
            if not name.endswith((".pyc", ".pyo")):
                yield Path(current) / name
