"""A function's package as `sam build` makes it, for the runner: exactly its files and distributions.

For a function with `Metadata: BuildMethod: makefile` (what `apply` generates), `materialise` copies the
CodeUri to a scratch folder and runs the function's own `build-<LogicalId>` target of the Makefile there,
as SAM's makefile builder does, with `ARTIFACTS_DIR` set to the package folder. Only the pip step is left
out (`PIP_INSTALL` is replaced by an echo that says which requirements file it would install): the
distributions come from the current environment instead, limited to what that file names, the
distributions those require (installed metadata, transitively) and what the Lambda Python runtime
provides (`data/lambda_runtime.json`: boto3 and its dependencies). The runner puts the package folder first
on `sys.path` and refuses, from the package's own code, any import of a top-level name that is neither in
the package, nor one of those distributions', nor the standard library: a module or distribution the
Makefile or the requirements file leaves out fails the run like it would fail in Lambda.

A function built otherwise (no `BuildMethod`: SAM's python builder packages the whole CodeUri and installs
the requirements.txt it finds there, none elsewhere) runs from its CodeUri with that file's distributions,
what they require and what the runtime provides, under the same guard: the monolith (from the baseline)
and a shim (`apply --phase shim`, the monolith's own code and build) are packaged this way, so a
distribution their own build leaves out is missing in verify as it is in Lambda.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from pathlib import Path

from decompose.analysis.distributions import normalise, read_requirements
from decompose.changes.workspace import skipped

PIP_MARK = "__decompose_verify_pip__"
MAKE_TIMEOUT = 120


class PackageUnavailableError(Exception):
    """The package cannot be made (no make, no target, the target fails): the routes are not verifiable."""


@dataclass(frozen=True)
class MaterialisedPackage:
    """A function's package on disk: the folder the runner imports from, and what it may import."""

    folder: Path
    files: tuple[str, ...]
    distributions: tuple[str, ...]  # normalised names, the requirement file's and their dependencies
    allowed: tuple[str, ...]  # top-level import names of those distributions
    source: str


def materialise(
    code_root: Path, logical_id: str, build_method: str | None, destination: Path, layers: Sequence[Path] = ()
) -> MaterialisedPackage:
    """The package of function `logical_id` (CodeUri `code_root`) made into `destination` (an empty folder;
    unused when the whole CodeUri is the package). The distributions the requirements.txt of its local
    `layers` (folders) install are importable too, as Lambda puts a layer's on the path."""
    layered = {n for layer in layers for n in read_requirements(layer / "requirements.txt")}
    if build_method != "makefile":
        requirements = read_requirements(code_root / "requirements.txt")  # what SAM's python builder installs
        names = _closure(set(requirements) | layered)
        files = tuple(sorted(p.relative_to(code_root).as_posix() for p in code_root.rglob("*.py")))
        installs = "requirements.txt" if (code_root / "requirements.txt").is_file() else "no requirements.txt"
        source = f"CodeUri {code_root.name}/ as a whole, {installs}"
        return MaterialisedPackage(code_root, files, names, _tops(names), source)
    make = shutil.which("make")
    if make is None:
        raise PackageUnavailableError("`make` is not installed (SAM's makefile builder needs it too)")
    scratch = destination.parent / f"{destination.name}-scratch"
    shutil.copytree(code_root, scratch, ignore=_ignore, symlinks=False)
    destination.mkdir(parents=True, exist_ok=True)
    command = [make, "-s", f"build-{logical_id}", f"ARTIFACTS_DIR={destination}", f"PIP_INSTALL=echo {PIP_MARK}"]
    try:
        done = subprocess.run(
            command, cwd=scratch, capture_output=True, text=True, timeout=MAKE_TIMEOUT, check=False, env=_env()
        )
    except subprocess.TimeoutExpired as error:
        raise PackageUnavailableError(f"`make build-{logical_id}` did not finish in {MAKE_TIMEOUT} s") from error
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PackageUnavailableError(f"`make build-{logical_id}` failed: {tail[0]}")
    requirement_files = _requirement_files(done.stdout)
    wanted: set[str] = set(layered)
    for rel in requirement_files:
        wanted |= set(read_requirements(scratch / rel))
    shutil.rmtree(scratch, ignore_errors=True)
    names = _closure(wanted)
    files = tuple(sorted(p.relative_to(destination).as_posix() for p in destination.rglob("*") if p.is_file()))
    return MaterialisedPackage(destination, files, names, _tops(names), f"make build-{logical_id}")


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if skipped(n) and (Path(folder) / n).is_dir()}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    env.setdefault("PYTHON", sys.executable)
    return env


def _requirement_files(output: str) -> list[str]:
    """The requirements files the target's pip step names (`--requirement X`, `-r X`)."""
    found = []
    for line in output.splitlines():
        if not line.startswith(PIP_MARK):
            continue
        words = shlex.split(line)
        for index, word in enumerate(words[:-1]):
            if word in ("--requirement", "-r"):
                found.append(words[index + 1])
        found += [w.split("=", 1)[1] for w in words if w.startswith("--requirement=")]
    return found


@cache
def runtime_provided() -> frozenset[str]:
    text = resources.files("decompose.verification").joinpath("data/lambda_runtime.json").read_text(encoding="utf-8")
    return frozenset(normalise(n) for n in json.loads(text)["provided"])


def _closure(names: set[str]) -> tuple[str, ...]:
    """`names` (normalised), what they require (installed metadata, transitively), and the runtime's own."""
    seen: set[str] = set()
    work = [normalise(n) for n in names] + sorted(runtime_provided())
    while work:
        name = work.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement, _, marker = text.partition(";")
            if "extra" in marker:
                continue
            bare = requirement.strip().split("[")[0]
            for stop in "<>=!~ (":
                bare = bare.split(stop)[0]
            if bare:
                work.append(normalise(bare))
    return tuple(sorted(seen))


@cache
def _import_names() -> dict[str, frozenset[str]]:
    """normalised distribution -> its top-level import names (installed metadata)."""
    out: dict[str, set[str]] = {}
    for top, distributions in metadata.packages_distributions().items():
        for distribution in distributions:
            out.setdefault(normalise(distribution), set()).add(top)
    return {k: frozenset(v) for k, v in out.items()}


def _tops(names: tuple[str, ...]) -> tuple[str, ...]:
    table = _import_names()
    return tuple(sorted({top for name in names for top in table.get(name, ())}))
