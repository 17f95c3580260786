"""What extracting each function of a plan gains, measured before anything is extracted.

The wizard offers the functions of a plan with what each one would leave behind in the monolith. Every
figure is measured, from the analysis the wizard has already made:

- **Package.** First-party: the bytes and files of the modules the function's routes reach (and their
  parent packages' `__init__.py`), read on disk, against every file of the monolith's CodeUri (what
  `sam build` copies). Third-party: the distributions its routes import plus what they require
  (`importlib.metadata`, transitively), against the monolith's requirements file and theirs; their size is
  the installed files of each distribution (its RECORD). A distribution that is not installed where
  decompose runs has no size: the figure is None and `Gain.unmeasured` says which.
- **IAM.** Distinct actions the routes' least-privilege permissions grant, and how many of them on `*`,
  against the monolith's role (its `Policies` or `AWS::IAM::Role`, SAM policy templates expanded by
  `iam.monolith`, wildcards by AWS's action catalogue in `iam.actions`). A route with a gap is marked
  (`Gain.complete`): its count may be short.
- **Cold import.** `ImportTimer` runs a fresh interpreter with `-X importtime` per distribution (does it
  import at all?) and per distinct set of them (the monolith's, each function's), and sums each loaded
  module's own time; a module two of them import is loaded, and counted, once. Only third-party code is
  imported: the user's own modules are never run. The monolith imports what all of its routes import. One
  run each (wall time of a loaded machine is noisy: the figures are a guide to which routes carry the heavy
  libraries, not a benchmark).

Nothing here writes files; the timer starts subprocesses of the running interpreter.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import metadata
from pathlib import Path

from decompose.analysis.distributions import normalise, read_requirements
from decompose.changes.workspace import skipped
from decompose.domain.gains import Footprint, Gain
from decompose.domain.model import FunctionAnalysis, Route
from decompose.domain.plan import FunctionPlan
from decompose.iam.actions import expand_action
from decompose.iam.monolith import granted_statements, role_policies

IMPORT_TIMEOUT = 60.0  # seconds for one distribution's import in a fresh interpreter
_IMPORTTIME = re.compile(r"^import time:\s+(\d+)\s+\|\s+\d+\s+\|\s*(\S+)\s*$")


class ImportTimer:
    """Cold imports, each module with its own time (µs), from `python -X importtime`.

    `measure(names)` runs one interpreter per distribution not measured yet (two at a time) and says which
    import at all (a distribution that is not installed or fails to import maps to None). `cost_ms(names)`
    imports all of a set together in one more interpreter (once per distinct set), so a module two of them
    import is loaded, and counted, once, as it would be in the function.
    """

    def __init__(self, python: str | None = None, workers: int = 2) -> None:
        self.python = python or sys.executable
        self.workers = workers
        self._known: dict[str, dict[str, int] | None] = {}
        self._sets: dict[frozenset[str], dict[str, int] | None] = {}

    def measure(self, distributions: Iterable[str]) -> dict[str, dict[str, int] | None]:
        names = [normalise(d) for d in distributions]
        wanted = sorted(set(names) - set(self._known))
        if wanted:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                for name, closure in zip(wanted, pool.map(self._closure, wanted), strict=True):
                    self._known[name] = closure
        return {name: self._known[name] for name in names}

    def closure(self, distributions: Iterable[str]) -> dict[str, int] | None:
        """The modules importing all of `distributions` together loads, with their own times; None if one
        of them cannot be imported here."""
        key = frozenset(normalise(d) for d in distributions)
        if key not in self._sets:
            alone = self.measure(sorted(key))
            if any(c is None for c in alone.values()):
                self._sets[key] = None
            elif len(key) <= 1:
                self._sets[key] = next(iter(alone.values()), None) or {}
            else:
                self._sets[key] = self._run(sorted({n for d in key for n in import_names(d)}))
        return self._sets[key]

    def cost_ms(self, distributions: Iterable[str]) -> float | None:
        """The import time of all of `distributions` together, None if one of them cannot be imported."""
        closure = self.closure(distributions)
        return None if closure is None else sum(closure.values()) / 1000

    def _closure(self, distribution: str) -> dict[str, int] | None:
        names = import_names(distribution)
        return self._run(list(names)) if names else None

    def _run(self, modules: Sequence[str]) -> dict[str, int] | None:
        code = "; ".join(f"import {n}" for n in modules)
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        try:
            done = subprocess.run(
                [self.python, "-X", "importtime", "-c", code],
                capture_output=True,
                text=True,
                timeout=IMPORT_TIMEOUT,
                env=env,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode != 0:
            return None
        closure: dict[str, int] = {}
        for line in done.stderr.splitlines():
            match = _IMPORTTIME.match(line)
            if match:
                closure[match.group(2)] = int(match.group(1))
        return closure


@cache
def _by_distribution() -> dict[str, tuple[str, ...]]:
    """normalised distribution name -> its importable top-level names (`fpdf2` -> `fpdf`)."""
    table: dict[str, list[str]] = {}
    for module, owners in metadata.packages_distributions().items():
        if module.startswith("_") or not module.isidentifier():
            continue
        for owner in owners:
            table.setdefault(normalise(owner), []).append(module)
    return {k: tuple(sorted(set(v))) for k, v in table.items()}


def import_names(distribution: str) -> tuple[str, ...]:
    """The top-level modules an installed distribution provides (none when it is not installed here)."""
    return _by_distribution().get(normalise(distribution), ())


@cache
def installed_bytes(distribution: str) -> int | None:
    """The size of an installed distribution's files (its RECORD), None when it is not installed here."""
    try:
        found = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return None
    total = 0
    for entry in found.files or ():
        if entry.size is not None:
            total += entry.size
            continue
        path = Path(str(found.locate_file(entry)))
        if path.is_file():
            total += path.stat().st_size
    return total


@cache
def requires(distribution: str) -> frozenset[str]:
    """The normalised names an installed distribution requires, transitively (extras left out)."""
    seen: set[str] = set()
    work = [normalise(distribution)]
    while work:
        current = work.pop()
        try:
            lines = metadata.requires(current) or []
        except metadata.PackageNotFoundError:
            continue
        for line in lines:
            requirement, _, marker = line.partition(";")
            if "extra" in marker:
                continue
            match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
            if match and normalise(match.group(1)) not in seen:
                seen.add(normalise(match.group(1)))
                work.append(normalise(match.group(1)))
    seen.discard(normalise(distribution))
    return frozenset(seen)


def measure_gains(
    monolith: FunctionAnalysis,
    functions: Sequence[FunctionPlan],
    *,
    root: Path,
    resources: Mapping[str, object],
    iam: bool = True,
    timer: ImportTimer | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Gain, ...]:
    """One `Gain` per function of `functions` (each by its routes of `monolith`), in the same order."""
    code_root = root / monolith.spec.code_uri
    routes = {r.id: r for r in monolith.routes}
    direct_all = sorted({d for r in monolith.routes for d in r.reach.distributions})
    requirements = read_requirements(code_root / "requirements.txt", root / "requirements.txt")
    whole_dists = _with_requirements([*requirements.values(), *direct_all])
    if progress:
        progress("timing the third-party imports")
    timer = timer or ImportTimer()
    timer.measure(direct_all)
    whole_files = list(_code_files(code_root))
    whole_actions, whole_star = _role_actions(monolith, resources) if iam else (None, None)
    whole = Footprint(
        code_files=len(whole_files),
        code_bytes=sum(p.stat().st_size for p in whole_files),
        distributions=tuple(sorted(whole_dists)),
        distribution_bytes=_bytes(whole_dists),
        actions=whole_actions,
        star_actions=whole_star,
        import_ms=timer.cost_ms(direct_all),
    )
    out = []
    for function in functions:
        own_routes = [routes[r] for r in function.routes if r in routes]
        out.append(_gain(function, own_routes, code_root, whole, timer, iam=iam))
    return tuple(out)


def _gain(
    function: FunctionPlan, routes: Sequence[Route], code_root: Path, whole: Footprint, timer: ImportTimer, *, iam: bool
) -> Gain:
    modules = sorted({m for r in routes for m in r.reach.modules})
    files = sorted({f for m in modules for f in _module_files(code_root, m)})
    direct = sorted({d for r in routes for d in r.reach.distributions})
    dists = _with_requirements(direct)
    actions = {p.action for r in routes for p in r.permissions}
    star = {p.action for r in routes for p in r.permissions if p.resource == "*"}
    own = Footprint(
        code_files=len(files),
        code_bytes=sum(f.stat().st_size for f in files),
        distributions=tuple(sorted(dists)),
        distribution_bytes=_bytes(dists),
        actions=len(actions) if iam else None,
        star_actions=len(star) if iam else None,
        import_ms=timer.cost_ms(direct),
    )
    unmeasured = [
        f"{d} is not installed where decompose runs: its size is unknown"
        for d in sorted({*dists, *whole.distributions})
        if installed_bytes(d) is None
    ]
    unmeasured += [
        f"{d} could not be imported here: import time not measured"
        for d in sorted(direct)
        if timer.measure([d])[normalise(d)] is None
    ]
    dropped = tuple(d for d in whole.distributions if d not in dists)
    complete = all(r.policy_complete for r in routes)
    return Gain(function.logical_id, function.routes, own, whole, dropped, tuple(unmeasured), complete)


def _with_requirements(names: Iterable[str]) -> set[str]:
    """`names` (normalised) and everything they require, transitively."""
    out: set[str] = set()
    for name in names:
        out.add(normalise(name))
        out |= requires(name)
    return out


def _bytes(distributions: Iterable[str]) -> int | None:
    sizes = [installed_bytes(d) for d in distributions]
    return None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)


def _code_files(code_root: Path) -> Iterable[Path]:
    for current, dirs, names in os.walk(code_root):
        dirs[:] = [d for d in dirs if not skipped(d)]
        for name in names:
            if not name.endswith((".pyc", ".pyo")):
                yield Path(current) / name


def _module_files(code_root: Path, module: str) -> list[Path]:
    """The file of a dotted module and the `__init__.py` of each package above it."""
    parts = module.split(".")
    found = []
    for depth in range(1, len(parts)):
        init = code_root.joinpath(*parts[:depth], "__init__.py")
        if init.is_file():
            found.append(init)
    for candidate in (code_root.joinpath(*parts).with_suffix(".py"), code_root.joinpath(*parts, "__init__.py")):
        if candidate.is_file():
            found.append(candidate)
            break
    return found


def _role_actions(monolith: FunctionAnalysis, resources: Mapping[str, object]) -> tuple[int | None, int | None]:
    """Distinct actions the monolith's role grants, and those on `*` (None without AWS's catalogue)."""
    policies = role_policies(monolith.spec, resources)  # type: ignore[arg-type]
    if policies is None:
        return None, None
    statements, _ = granted_statements(policies)
    actions: set[str] = set()
    star: set[str] = set()
    for statement in statements:
        for pattern in statement.actions:
            expanded = expand_action(pattern)
            if expanded is None:
                return None, None
            actions |= expanded
            if "*" in statement.resources:
                star |= expanded
    return len(actions), len(star)
