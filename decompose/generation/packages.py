"""A deployment package per new function: exactly the modules and distributions its handler can import.

`build_packages` works on the refactored code tree (the workspace copy) and the re-analysis of the new
functions. For each function:

- **Modules** are the import closure of its generated handler over that tree. Import-time imports count:
  every import statement a packaged module runs when it is imported (top level, under `if`/`try`/`with`/
  class bodies; not under `if TYPE_CHECKING:`), relative imports, and the parent packages (`__init__.py`)
  Python runs first. Imports inside a function count only when that function is in a route's reach
  (`Route.reach.definitions`), and the reach's own modules seed the walk. Imports are resolved by the
  project's symbol table (`decompose.analysis.symbols`), the same one `analyze` uses.
- **Distributions** are what those modules import at import time plus what the routes' reach imports,
  mapped to distributions by `decompose.analysis.distributions` and spelled as the requirements file at the
  CodeUri spells them (pins, extras and markers kept): the file SAM installs for the monolith, so a function
  installs nothing the monolith's build does not (an import it leaves to the Lambda runtime or a layer is
  an info finding). A listed distribution that one of them requires
  (`importlib.metadata.requires`, transitively) is kept too, so the project's pins of transitive
  dependencies hold; pip resolves the rest when `sam build` runs.
- **Environment** is the variable names the packaged code reads (`decompose.generation.environment`): at
  import time in any packaged module, and in the routes' reach. A read whose name is computed keeps every
  variable of the monolith, with a finding. Variables that an installed distribution reads by itself
  (Powertools' `POWERTOOLS_*`, `AWS_*` for boto3) come from `data/lambda_platforms.json`.

The mechanism is SAM's `Metadata: BuildMethod: makefile`: one generated `Makefile` at the CodeUri (marked
with `GENERATED_MARKER`) with a `build-<LogicalId>` target per function, which `sam build` runs in a scratch
copy of the CodeUri with `ARTIFACTS_DIR` set. A target creates the package's folders, copies exactly its
files (paths kept, so imports work unchanged) and pip-installs the function's generated requirements file
(`.decompose/requirements/<LogicalId>.txt`) into `$(ARTIFACTS_DIR)`, for the function's Lambda runtime and
architecture (`--platform manylinux_…`, `--python-version`, `--only-binary=:all:`; the platforms per
runtime are aws-lambda-builders' own). The Makefile keeps the targets of functions split earlier that this
run does not rebuild, so extracting in several steps keeps every function buildable. Every path and id
written into it is checked (identifiers only, inside the code root) and shell-quoted.

`build_packages(code_root, functions, requirements, ...)` returns a `Packaging` value: the files to write
(relative to the code root), one `FunctionPackage` per function and the findings. A `Makefile` at the CodeUri
that decompose did not generate raises `PackagingError` naming it; nothing is written here.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata, resources
from pathlib import Path, PurePosixPath

from decompose.analysis.distributions import DistributionMap, normalise, read_requirements
from decompose.analysis.symbols import SymbolTable, absolute_module, is_stdlib
from decompose.domain.model import Finding, FunctionAnalysis, FunctionSpec, Location, Severity
from decompose.domain.plan import GENERATED_MARKER, FunctionPackage, Plan
from decompose.errors import DecomposeError
from decompose.generation.environment import EnvironmentReads, environment_reads
from decompose.generation.rendering import environment, render
from decompose.loading.source import SourceModule, read_sources

MAKEFILE = "Makefile"
REQUIREMENTS_DIR = ".decompose/requirements"
DEFAULT_ARCHITECTURE = "x86_64"
_LOGICAL_ID = re.compile(r"^[A-Za-z0-9]{1,255}$")
_OPTION_KEPT = ("--index-url", "-i", "--extra-index-url", "--find-links", "-f", "--trusted-host", "--pre")


class PackagingError(DecomposeError):
    """The packages cannot be generated safely (a Makefile in the way, a handler that is not there)."""


@dataclass(frozen=True)
class Packaging:
    """What `build_packages` computed: files to write (relative to the code root), packages, findings."""

    files: tuple[tuple[str, str], ...]
    packages: tuple[FunctionPackage, ...]
    findings: tuple[Finding, ...] = ()

    def package(self, logical_id: str) -> FunctionPackage:
        return next(p for p in self.packages if p.logical_id == logical_id)


@dataclass(frozen=True)
class _Requirement:
    name: str  # normalised
    line: str  # the logical line, as written (continuations joined)
    extras: frozenset[str]


@dataclass
class _Requirements:
    """The project's requirements file, read for its spelling: one logical line per distribution."""

    path: str | None
    by_name: dict[str, _Requirement] = field(default_factory=dict)
    options: list[str] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def build_packages(
    code_root: Path,
    functions: Sequence[FunctionAnalysis],
    requirements: Path | None = None,
    *,
    root: Path | None = None,
    plan: Plan | None = None,
    monolith: FunctionSpec | None = None,
) -> Packaging:
    """The packages of `functions` (re-analysed new functions on the refactored tree at `code_root`).

    `requirements` is the requirements file whose lines are installed (default: `code_root/requirements.txt`,
    the file SAM's own builder installs for the monolith; none there means the monolith installs nothing).
    `root` is the project root (locations in findings are relative to it; default: the code root's parent).
    `plan` supplies runtime and architecture overrides; `monolith` the variables kept when a read's name is
    computed.
    """
    code_root = code_root.resolve()
    root = (root or code_root.parent).resolve()
    makefile = code_root / MAKEFILE
    existing = makefile.read_text(encoding="utf-8") if makefile.is_file() else None
    if existing is not None and GENERATED_MARKER not in existing:
        where = Location(_relative(makefile, root), 1)
        raise PackagingError(
            "a Makefile decompose did not generate sits at the CodeUri; SAM's makefile builder needs that name "
            "for the generated build targets (move it, or give the split functions another CodeUri)",
            where,
        )
    installed_by_sam = requirements if requirements is not None else code_root / "requirements.txt"
    spelled = _read_requirement_lines(installed_by_sam if installed_by_sam.is_file() else None, root)
    distributions = DistributionMap(read_requirements(installed_by_sam, root / "requirements.txt"))
    sources = read_sources(root, code_root)
    symbols = SymbolTable(sources)
    findings: list[Finding] = list(sources.findings)
    findings.extend(
        Finding(
            "requirement-not-copied",
            Severity.WARNING,
            f"{text!r} is not copied into the split functions' requirements files",
            Location(spelled.path or "requirements.txt", line),
        )
        for line, text in spelled.skipped
    )
    packages: list[FunctionPackage] = []
    targets: list[_Target] = []
    files: dict[str, str] = {}
    for function in functions:
        package, target, requirement_text, function_findings = _package(
            function, symbols, sources.root, distributions, spelled, plan, monolith
        )
        packages.append(package)
        targets.append(target)
        findings.extend(function_findings)
        files[f"{REQUIREMENTS_DIR}/{package.logical_id}.txt"] = requirement_text
    files[MAKEFILE] = _makefile(targets, existing, monolith.logical_id if monolith else None)
    unique = {(f.rule, str(f.location), f.route, f.message): f for f in findings}
    return Packaging(
        tuple(sorted(files.items())),
        tuple(packages),
        tuple(sorted(unique.values(), key=lambda f: f.sort_key)),
    )


# ------------------------------------------------------------------------------------------- one function
@dataclass(frozen=True)
class _Target:
    logical_id: str
    files: tuple[str, ...]
    requirements: str | None  # the requirements file, when there is anything to install
    python_version: str
    machine: str
    platforms: tuple[str, ...]


def _package(  # noqa: PLR0917 - one private call site
    function: FunctionAnalysis,
    symbols: SymbolTable,
    tree_root: str,
    distributions: DistributionMap,
    spelled: _Requirements,
    plan: Plan | None,
    monolith: FunctionSpec | None,
) -> tuple[FunctionPackage, _Target, str, list[Finding]]:
    spec = function.spec
    logical_id = spec.logical_id or ""
    if not _LOGICAL_ID.match(logical_id):
        raise PackagingError(f"{logical_id!r} is not a CloudFormation logical id (letters and digits only)")
    findings: list[Finding] = []
    handler_module = spec.handler_module
    if handler_module not in symbols.modules:
        raise PackagingError(f"{logical_id}: handler module {handler_module!r} is not under {tree_root}")
    reached = {spec.handler}
    seeds = {handler_module}
    externals: dict[str, Location] = {}
    reach_distributions: set[str] = set()
    for route in function.routes:
        reached.update(route.reach.definitions)
        seeds.update(m for m in route.reach.modules if m in symbols.modules)
        reach_distributions.update(route.reach.distributions)
    modules = _closure(symbols, seeds, reached, externals, findings, logical_id)
    files = tuple(sorted(_code_path(symbols.modules[m].module, tree_root) for m in modules))
    names: set[str] = set(reach_distributions)
    for top, where in sorted(externals.items()):
        name, known = distributions.distribution(top)
        if known:
            names.add(name)
        else:
            findings.append(
                Finding(
                    "unknown-distribution",
                    Severity.WARNING,
                    f"import {top!r} matches no requirement or installed distribution: {logical_id} does not "
                    "install it",
                    where,
                )
            )
    lines, requirement_findings = _requirement_lines(names, spelled, logical_id)
    findings.extend(requirement_findings)
    environment = _environment(symbols, modules, reached, names, monolith, findings, logical_id)
    runtime, architecture = _platform_of(spec, plan)
    requirement_text = _requirements_file(logical_id, spelled, lines)
    target = _Target(
        logical_id,
        files,
        f"{REQUIREMENTS_DIR}/{logical_id}.txt" if lines else None,
        runtime.removeprefix("python"),
        architecture,
        _platforms(runtime, architecture),
    )
    package = FunctionPackage(logical_id, tuple(sorted(modules)), files, tuple(lines), tuple(sorted(environment)))
    return package, target, requirement_text, findings


def _closure(  # noqa: PLR0917 - one private call site
    symbols: SymbolTable,
    seeds: set[str],
    reached: set[str],
    externals: dict[str, Location],
    findings: list[Finding],
    logical_id: str,
) -> set[str]:
    """Every project module importing `seeds` runs, with the externals they import (top name -> first use)."""
    modules: set[str] = set()
    work = sorted(seeds)
    while work:
        name = work.pop()
        if name in modules or name not in symbols.modules:
            continue
        modules.add(name)
        work.extend(symbols.parents(name))
        source = symbols.modules[name].module
        for imported, line in _imports(symbols, source, reached, findings, logical_id):
            if symbols.is_project_module(imported):
                work.append(imported)
                work.extend(symbols.parents(imported))
            else:
                top = imported.split(".")[0]
                if top and not is_stdlib(top):
                    externals.setdefault(top, Location(source.path, line))
    return modules


def _imports(
    symbols: SymbolTable, source: SourceModule, reached: set[str], findings: list[Finding], logical_id: str
) -> Iterator[tuple[str, int]]:
    """(absolute module name, line) of every module `source` imports when it runs, or when reached code runs."""
    for node in _executed(source, reached):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                for end in range(1, len(parts) + 1):
                    yield ".".join(parts[:end]), node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = absolute_module(node.module, node.level, source)
            yield base, node.lineno
            for alias in node.names:
                if alias.name != "*" and symbols.is_project_module(f"{base}.{alias.name}"):
                    yield f"{base}.{alias.name}", node.lineno
        elif isinstance(node, ast.Call) and _is_import_call(node):
            argument = node.args[0] if node.args else None
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str) and not _relative_call(node):
                parts = argument.value.split(".")
                for end in range(1, len(parts) + 1):
                    yield ".".join(parts[:end]), node.lineno
            else:
                findings.append(
                    Finding(
                        "package-dynamic-import",
                        Severity.WARNING,
                        f"a module imported by a computed name is not in {logical_id}'s package",
                        Location(source.path, node.lineno),
                    )
                )


def _is_import_call(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def _relative_call(node: ast.Call) -> bool:
    """`import_module(".x", package)`: relative to a package known only at run time."""
    first = node.args[0] if node.args else None
    return isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith(".")


def _executed(source: SourceModule, reached: set[str]) -> Iterator[ast.AST]:
    """Every AST node that runs when `source` is imported, plus the bodies of its reached definitions."""
    yield from _walk_block(source.tree.body, source.name, source.name, reached)


def _walk_block(body: Iterable[ast.stmt], module: str, scope: str, reached: set[str]) -> Iterator[ast.AST]:
    """The nodes of `body` that run when it runs (`scope` is the module, or `module.Class` in a class body)."""
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            for part in [*stmt.decorator_list, stmt.args]:
                yield from _walk_expression(part, module, reached)
            if f"{scope}.{stmt.name}" in reached:
                for inner in stmt.body:
                    yield from ast.walk(inner)
        elif isinstance(stmt, ast.ClassDef):
            for part in [*stmt.decorator_list, *stmt.bases, *stmt.keywords]:
                yield from _walk_expression(part, module, reached)
            yield from _walk_block(stmt.body, module, f"{scope}.{stmt.name}", reached)
        elif isinstance(stmt, ast.If) and _is_type_checking(stmt.test):
            yield from _walk_block(stmt.orelse, module, scope, reached)
        elif isinstance(stmt, ast.If | ast.While | ast.For | ast.AsyncFor | ast.With | ast.AsyncWith):
            for head in _heads(stmt):
                yield from _walk_expression(head, module, reached)
            yield from _walk_block(stmt.body, module, scope, reached)
            yield from _walk_block(getattr(stmt, "orelse", []), module, scope, reached)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            yield from _walk_block(stmt.body, module, scope, reached)
            for handler in stmt.handlers:
                if handler.type is not None:
                    yield from _walk_expression(handler.type, module, reached)
                yield from _walk_block(handler.body, module, scope, reached)
            yield from _walk_block(stmt.orelse, module, scope, reached)
            yield from _walk_block(stmt.finalbody, module, scope, reached)
        elif isinstance(stmt, ast.Match):
            yield from _walk_expression(stmt.subject, module, reached)
            for case in stmt.cases:
                yield from _walk_block(case.body, module, scope, reached)
        else:
            yield from _walk_expression(stmt, module, reached)


def _heads(stmt: ast.stmt) -> list[ast.AST]:
    if isinstance(stmt, ast.If | ast.While):
        return [stmt.test]
    if isinstance(stmt, ast.For | ast.AsyncFor):
        return [stmt.target, stmt.iter]
    assert isinstance(stmt, ast.With | ast.AsyncWith)
    return list(stmt.items)


def _walk_expression(node: ast.AST, module: str, reached: set[str]) -> Iterator[ast.AST]:
    """ast.walk, except that a lambda's body runs only when the lambda is reached (`module.<lambda:LINE>`)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, ast.Lambda):
            stack.append(current.args)
            if f"{module}.<lambda:{current.lineno}>" in reached:
                stack.append(current.body)
            continue
        stack.extend(ast.iter_child_nodes(current))


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _code_path(source: SourceModule, tree_root: str) -> str:
    """The module's file relative to the code root; only identifier parts (`read_sources` guarantees it)."""
    path = PurePosixPath(source.path)
    rel = path if tree_root in ("", ".") else path.relative_to(tree_root)
    parts = rel.with_suffix("").parts
    if rel.suffix != ".py" or not parts or not all(p.isidentifier() for p in parts):
        raise PackagingError(f"{source.path}: not a module path decompose can package")
    return rel.as_posix()


# ------------------------------------------------------------------------------------------- environment
def _environment(  # noqa: PLR0917 - one private call site
    symbols: SymbolTable,
    modules: set[str],
    reached: set[str],
    distributions: set[str],
    monolith: FunctionSpec | None,
    findings: list[Finding],
    logical_id: str,
) -> set[str]:
    reads = EnvironmentReads()
    for name in sorted(modules):
        module_symbols = symbols.modules[name]
        before = len(reads.computed)
        environment_reads(module_symbols, _executed(module_symbols.module, reached), reads)
        for line, what in reads.computed[before:]:
            findings.append(
                Finding(
                    "computed-environment",
                    Severity.WARNING,
                    f"{what}: {logical_id} keeps every environment variable of the monolith",
                    Location(module_symbols.module.path, line),
                )
            )
    names = set(reads.names)
    own = [str(k) for k, _ in monolith.environment] if monolith is not None else []
    if reads.computed:
        names.update(own)
    prefixes = [p for d in distributions for p in _library_environment().get(normalise(_bare(d)), [])]
    names.update(n for n in own if any(n.startswith(p) for p in prefixes))
    return names


# ------------------------------------------------------------------------------------------- requirements
def _read_requirement_lines(path: Path | None, root: Path) -> _Requirements:
    if path is None:
        return _Requirements(None)
    out = _Requirements(_relative(path, root))
    logical: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not pending:
            start = number
        text = raw.rstrip()
        if text.endswith("\\"):
            pending.append(text[:-1].rstrip())
            continue
        pending.append(text)
        logical.append((start, " ".join(p.strip() for p in pending if p.strip())))
        pending = []
    for number, line in logical:
        content = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not content:
            continue
        if content.startswith("-"):
            option = content.split()[0].split("=")[0]
            if option in _OPTION_KEPT:
                out.options.append(content)
            else:
                out.skipped.append((number, content))
            continue
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?", content)
        if match is None:
            out.skipped.append((number, content))
            continue
        extras = frozenset(e.strip().lower() for e in (match.group(2) or "[]")[1:-1].split(",") if e.strip())
        name = normalise(match.group(1))
        out.by_name.setdefault(name, _Requirement(name, content, extras))
    return out


def _requirement_lines(names: set[str], spelled: _Requirements, logical_id: str) -> tuple[list[str], list[Finding]]:
    """The requirement lines for `names`: as the project spells them, plus its pins of their dependencies.

    Only what the monolith's own build installs is installed: a distribution the requirements file neither
    lists nor brings through a listed requirement comes from elsewhere for the monolith too (the Lambda
    runtime's boto3, a layer), so it is not installed here either, with an info finding.
    """
    findings: list[Finding] = []
    chosen: dict[str, str] = {}
    listed = {normalise(n) for n in names} & spelled.by_name.keys()
    source = spelled.path or "the CodeUri (no requirements.txt there)"
    where = Location(spelled.path) if spelled.path else None
    for name in sorted(names):
        key = normalise(name)
        if key in spelled.by_name:
            chosen[key] = spelled.by_name[key].line
            continue
        if any(key in _dependencies(k, spelled.by_name[k].extras) for k in listed):
            continue  # pip installs it as a dependency of a listed requirement this function installs
        bringer = next((r.line for r in spelled.by_name.values() if key in _dependencies(r.name, r.extras)), None)
        if bringer is not None:
            chosen[key] = name
            message = f"{logical_id} imports {name}, which the monolith gets through {bringer!r}: installed unpinned"
            findings.append(Finding("unlisted-distribution", Severity.INFO, message, where))
        else:
            message = (
                f"{logical_id} imports {name}, which {source} does not install, so the monolith's build does not "
                "either: not installed (the Lambda runtime provides boto3 and botocore; anything else needs a layer)"
            )
            findings.append(Finding("distribution-not-installed", Severity.INFO, message, where))
    for key in list(chosen):
        requirement = spelled.by_name.get(key)
        for dependency in _dependencies(key, requirement.extras if requirement else frozenset()):
            if dependency in spelled.by_name and dependency not in chosen:
                chosen[dependency] = spelled.by_name[dependency].line
    return [chosen[k] for k in sorted(chosen)], findings


def _dependencies(name: str, extras: frozenset[str]) -> frozenset[str]:
    """The normalised names `name` requires, transitively, from installed metadata (empty when not installed)."""
    return _transitive(normalise(name), extras)


@cache
def _transitive(name: str, extras: frozenset[str]) -> frozenset[str]:
    seen: set[str] = set()
    work = [(name, extras)]
    while work:
        current, wanted = work.pop()
        try:
            requires = metadata.requires(current) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement, _, marker = text.partition(";")
            if "extra" in marker and not any(f'"{e}"' in marker or f"'{e}'" in marker for e in wanted):
                continue
            match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?", requirement)
            if match is None:
                continue
            dependency = normalise(match.group(1))
            if dependency not in seen:
                seen.add(dependency)
                sub = frozenset(e.strip().lower() for e in (match.group(2) or "[]")[1:-1].split(",") if e.strip())
                work.append((dependency, sub))
    seen.discard(name)
    return frozenset(seen)


def _requirements_file(logical_id: str, spelled: _Requirements, lines: list[str]) -> str:
    source = spelled.path or "no requirements file"
    header = [
        f"# {GENERATED_MARKER}: the distributions {logical_id}'s modules import, as {source} spells them.",
        "# pip resolves their own dependencies when `sam build` runs the function's Makefile target.",
    ]
    return "\n".join([*header, *spelled.options, *lines]) + "\n"


def _bare(requirement: str) -> str:
    match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return match.group(1) if match else requirement


# ------------------------------------------------------------------------------------------- platforms
@cache
def _data() -> dict[str, object]:
    text = resources.files("decompose.generation").joinpath("data/lambda_platforms.json").read_text(encoding="utf-8")
    return json.loads(text)


def _library_environment() -> dict[str, list[str]]:
    table = _data()["library_environment"]
    assert isinstance(table, dict)
    return {normalise(k): v for k, v in table.items() if not k.startswith("_")}


def _platform_of(spec: FunctionSpec, plan: Plan | None) -> tuple[str, str]:
    function = next((f for f in plan.functions if f.logical_id == spec.logical_id), None) if plan else None
    runtime = (function.runtime if function and function.runtime else None) or spec.runtime
    if not isinstance(runtime, str) or not re.fullmatch(r"python3\.\d+", runtime):
        raise PackagingError(f"{spec.logical_id}: runtime {runtime!r} is not a Python runtime decompose can package")
    architectures = (function.architectures if function and function.architectures else None) or spec.architectures
    architecture = architectures[0] if architectures else DEFAULT_ARCHITECTURE
    if architecture not in _data()["architectures"]:  # type: ignore[operator]
        raise PackagingError(f"{spec.logical_id}: architecture {architecture!r} is not one Lambda runs")
    return runtime, architecture


def _platforms(runtime: str, architecture: str) -> tuple[str, ...]:
    """The wheel platform tags Lambda's `runtime` accepts on `architecture`, newest first."""
    data = _data()
    machine = data["architectures"][architecture]  # type: ignore[index]
    glibc = data["glibc"].get(runtime, data["default_glibc"])  # type: ignore[attr-defined]
    oldest = data["oldest_minor"][machine]  # type: ignore[index]
    tags = [f"manylinux_{glibc[0]}_{minor}_{machine}" for minor in range(glibc[1], oldest - 1, -1)]
    legacy = data["legacy"][machine]  # type: ignore[index]
    tags += [tag for tag, minor in legacy.items() if minor <= glibc[1]]
    return tuple(tags)


# ------------------------------------------------------------------------------------------- the Makefile
def _makefile(targets: list[_Target], existing: str | None, monolith: str | None) -> str:
    previous = list(_existing_targets(existing or ""))
    built = {t.logical_id for t in targets}
    rendered = [
        {
            "id": t.logical_id,
            "folders": [_artifact(folder) for folder, _ in _by_folder(t.files) if folder != "."],
            "copies": [
                (" ".join(_shell_word(f) for f in files), _artifact(folder)) for folder, files in _by_folder(t.files)
            ],
            "requirements": _shell_word(t.requirements) if t.requirements else None,
            "platform": _platform_variable(t),
        }
        for t in targets
    ]
    macro = environment().get_template("Makefile.j2").module.target  # type: ignore[attr-defined]
    blocks = {logical_id: block for logical_id, block in previous if logical_id not in built}
    blocks.update((t["id"], str(macro(t)).rstrip("\n") + "\n") for t in rendered)
    ordered = sorted(blocks.items())
    used = set(re.findall(r"\$\((PLATFORM_[A-Za-z0-9_]+)\)", "".join(blocks.values())))
    platforms = {_platform_variable(t): _platform_flags(t) for t in targets}
    platforms.update((name, flags) for name, flags in _existing_platforms(existing or "") if name not in platforms)
    chosen = sorted((name, flags) for name, flags in platforms.items() if name in used)
    return render("Makefile.j2", marker=GENERATED_MARKER, monolith=monolith, blocks=ordered, platforms=chosen)


def _platform_variable(target: _Target) -> str:
    return f"PLATFORM_python{target.python_version.replace('.', '_')}_{target.machine}"


def _platform_flags(target: _Target) -> str:
    return " ".join([f"--python-version {target.python_version}", *(f"--platform {p}" for p in target.platforms)])


def _existing_platforms(text: str) -> Iterator[tuple[str, str]]:
    for line in text.splitlines():
        match = re.match(r"^(PLATFORM_[A-Za-z0-9_]+) = (.*)$", line)
        if match:
            yield match.group(1), match.group(2)


def _by_folder(files: Sequence[str]) -> list[tuple[str, list[str]]]:
    folders: dict[str, list[str]] = {}
    for file in files:
        folders.setdefault(str(PurePosixPath(file).parent), []).append(file)
    return sorted(folders.items())


def _shell_word(path: str) -> str:
    """A path relative to the code root as one shell word of a recipe (`$` doubled for make)."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or any(c in path for c in "\n\r\t"):
        raise PackagingError(f"{path!r} would leave the code root")
    return shlex.quote(path).replace("$", "$$")


def _artifact(folder: str) -> str:
    """The folder under `$(ARTIFACTS_DIR)` (quoted for the shell, which sees the expanded directory)."""
    if folder == ".":
        return '"$(ARTIFACTS_DIR)/"'
    return '"$(ARTIFACTS_DIR)/"' + _shell_word(folder + "/")


_TARGET_START = re.compile(r"^# --- build-([A-Za-z0-9]+) ---$")


def _existing_targets(text: str) -> Iterator[tuple[str, str]]:
    """(logical id, block) of each target block of a Makefile decompose generated."""
    current: str | None = None
    block: list[str] = []
    for line in text.splitlines(keepends=True):
        match = _TARGET_START.match(line.rstrip("\n"))
        if match or line.startswith("# --- end ---"):
            if current is not None:
                yield current, "".join(block).rstrip("\n") + "\n"
            current, block = (match.group(1), [line]) if match else (None, [])
        elif current is not None:
            block.append(line)
    if current is not None:
        yield current, "".join(block).rstrip("\n") + "\n"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
