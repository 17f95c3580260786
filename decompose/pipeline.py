"""The decompose pipeline, in named stages.

    load      read the SAM template (cfn-lint's decoder, SAM's Globals, every value read checked against
              cfn-lint's schemas) and parse the code under each function's CodeUri (decoded as CPython does,
              under a nesting and size guard, each linked folder once, nothing outside the project unless
              allowed)
    analyze   per function: find the routes its handler dispatches to (one strategy per dispatch style),
              match them to the template's events, and compute each route's reach over the definition
              graph (networkx): the project definitions, modules and third-party distributions it needs
    iam       per route (`decompose.iam`): the AWS SDK calls its reach can make, the IAM actions they
              need (data-driven), bound to the template's resources, as a SAM `Policies:` list checked
              against the monolith's own role; what the reach does that decompose cannot follow is a gap
              (`iam.completeness`, unread routers, computed `getattr`): the route's policy is incomplete
    rules     (`decompose.rules`) the anti-patterns of AWS's event-driven guidance, read from the analysis, the
              routes' SDK calls and their bindings: the monolith, recursive triggers, functions calling
              functions, synchronous waits, orchestration in code; findings with evidence and a fix
    plan      (`decompose.splitting.plan`, `decompose.planning`) which routes go to which new function,
              their logical ids and settings, as an editable plan file; checked against this analysis
    change    (`decompose.splitting.apply`) the refactor, generated handlers, packages and template edit,
              computed on a workspace copy as one change set; `analyze_specs` below re-analyzes the new
              functions there; `decompose.changes.writer` is the one module that writes it
    present   report it: text, JSON or Markdown for `analyze`; the change set's diff for `apply --dry-run`

Every stage returns values (`decompose.domain`); nothing here prints, and nothing writes to the user's
project. Problems with the input are findings (file:line) so one bad file does not hide the rest; only a
project that cannot be read at all raises a `DecomposeError`. Findings are grouped at the end: one per rule,
place and message, naming every route it concerns.
"""

from __future__ import annotations

import errno
import gc
import multiprocessing
import os
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from decompose.analysis.chalice_project import chalice_functions
from decompose.analysis.dispatch import (
    CodeRoute,
    Decisions,
    DispatchContext,
    DispatchIssue,
    Strategies,
    built_in_strategies,
    find_routes,
)
from decompose.analysis.dispatch.base import Constraint
from decompose.analysis.dispatch.slicing import entry_slice
from decompose.analysis.distributions import DistributionMap, read_requirements
from decompose.analysis.graph import MODULE, DefinitionGraph, Reached
from decompose.analysis.handlers import FRAMEWORK, MISSING, UNSUPPORTED, Handler, resolve_handler
from decompose.analysis.registries import unread_routers
from decompose.analysis.symbols import EXTERNAL, Definition, SymbolTable, is_stdlib
from decompose.analysis.triggers import MatchedRoute, direct_routes, match_triggers
from decompose.domain.model import (
    AnalysisReport,
    Finding,
    FunctionAnalysis,
    FunctionSpec,
    Gap,
    Location,
    Route,
    RouteReach,
    Severity,
    plain,
)
from decompose.errors import InputError, UsageError
from decompose.iam.completeness import operation_methods, project_services
from decompose.iam.derive import derive_route_policy
from decompose.iam.monolith import GrantedStatement, granted_statements, role_policies
from decompose.iam.sdk_calls import InferenceMemo
from decompose.loading.chalice_config import find_chalice_config, load_chalice_config
from decompose.loading.source import SourceTree, is_within, read_sources
from decompose.loading.template import find_template, load_template, referenced_id
from decompose.rules import CodeView, RuleContext, apply_rules, library_table

DEFINITION_KINDS = frozenset({"function", "class", "method", "assignment", "lambda"})
FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})


@dataclass
class _Context:
    """What every function of one run shares: the template's resources, and whether to derive IAM."""

    template: str | None
    resources: Mapping[str, Any]
    iam: bool = True
    allow_outside: bool = False  # read code whose real path is outside the project folder
    invalid: frozenset[str] = frozenset()  # template resources with a property of the wrong shape
    progress: Progress = field(default=lambda _: None, repr=False)
    functions: tuple[FunctionSpec, ...] = ()  # every function of the template (routes extracted to them)


@dataclass
class _CodeTree:
    """One parsed CodeUri; functions that share a CodeUri share it."""

    sources: SourceTree
    symbols: SymbolTable
    graph: DefinitionGraph
    strategies: Strategies
    distributions: DistributionMap
    iam_memo: InferenceMemo = field(default_factory=dict)  # shared by the routes of this tree
    services: frozenset[str] | None = frozenset()  # what it creates clients for (None: any; `completeness`)


Progress = Callable[[str], None]
RECURSION_LIMIT = 20_000
PROGRESS_EVERY = 25  # routes between two progress reports of the IAM stage


def _quiet(_: str) -> None:
    """The progress callback of a run nobody watches."""


@contextmanager
def _analysis_runtime() -> Iterator[None]:
    """The interpreter settings of a run, restored after it.

    - Parsing keeps every tree alive, and CPython's cyclic GC then rescans the growing heap again and again
      (4x the parse time at 100k lines). Reference counting still frees what dies. mypy does the same.
    - An if/elif chain is a tree nested once per `elif`: a 600-route dispatcher is 600 levels deep, past
      Python's default recursion limit of 1,000 frames for the AST walks.
    """
    enabled = gc.isenabled()
    limit = sys.getrecursionlimit()
    gc.disable()
    sys.setrecursionlimit(max(limit, RECURSION_LIMIT))
    try:
        yield
    except RecursionError as exc:
        raise InputError("the code nests deeper than decompose can follow (RecursionError)") from exc
    finally:
        sys.setrecursionlimit(limit)
        if enabled:
            gc.enable()


def analyze(
    path: Path,
    *,
    function: str | None = None,
    handler: str | None = None,
    iam: bool = True,
    layers: Sequence[str] = (),
    allow_outside: bool = False,
    progress: Progress | None = None,
) -> AnalysisReport:
    """Load and analyze the project at `path` (a directory or a template file).

    `iam=False` skips the least-privilege stage (routes and reach only, about 4x faster on large apps).
    `allow_outside` reads CodeUris and linked folders whose real path is outside the project folder.
    `progress` is told what the run is doing, a short phrase at a time (the CLI shows it on a terminal).
    `layers` are folders of Lambda layers the code imports from (code-only mode; a template names its own).
    """
    with _analysis_runtime():
        return _analyze(
            path,
            function,
            handler,
            iam=iam,
            allow_outside=allow_outside,
            progress=progress,
            layers=tuple(layers),
        )


def _analyze(
    path: Path,
    function: str | None,
    handler: str | None,
    *,
    iam: bool,
    allow_outside: bool,
    progress: Progress | None,
    layers: tuple[str, ...] = (),
) -> AnalysisReport:
    tell = progress or _quiet
    root, template_path = _locate(path, handler)
    tell(f"reading {template_path.name if template_path else root}")
    findings: list[Finding] = []
    trees: dict[str, _CodeTree | None] = {}
    if template_path is None and handler is None:
        specs, run = _chalice_project(root, trees, findings, iam=iam, allow_outside=allow_outside)
    elif template_path is None:
        specs = (FunctionSpec(None, handler or "", ".", None, layers=_layer_paths(root, layers)),)
        run = _Context(None, {}, iam, allow_outside)
    else:
        loaded = load_template(root, template_path)
        findings.extend(loaded.findings)
        specs = loaded.functions
        run = _Context(loaded.path, loaded.resources, iam, allow_outside, loaded.invalid, functions=loaded.functions)
    template = run.template
    if function is not None:
        kept = tuple(s for s in specs if s.logical_id == function)
        if not kept and not _skipped_function(function, run.resources):
            names = ", ".join(sorted(s.logical_id or "" for s in specs)) or "none"
            raise UsageError(f"no Python function {function!r} in {template}; its Python functions: {names}")
        specs = kept
    run.progress = tell
    return _analyze_specs(root, specs, run, findings, trees)


def analyze_specs(
    root: Path, template: str | None, specs: Sequence[FunctionSpec], *, iam: bool = True
) -> AnalysisReport:
    """Analyze `specs` (functions the template does not declare yet) on the code under `root`.

    `apply` uses it on its workspace: each new function's spec is the monolith's with the generated handler
    and the events it takes over, so its routes, reach and least-privilege policy are computed on the
    refactored code. `template` (relative to `root`) supplies the resources policies bind to and the
    monolith's own role to compare against. The template's own findings are not repeated.
    """
    with _analysis_runtime():
        if template is None:
            run = _Context(None, {}, iam)
        else:
            loaded = load_template(root, root / template)
            run = _Context(loaded.path, loaded.resources, iam, invalid=loaded.invalid, functions=loaded.functions)
        return _analyze_specs(root, tuple(specs), run, [], {})


def _analyze_specs(
    root: Path,
    specs: tuple[FunctionSpec, ...],
    run: _Context,
    findings: list[Finding],
    trees: dict[str, _CodeTree | None],
) -> AnalysisReport:
    """Each spec analyzed on its (shared, parsed once) code tree; then the anti-pattern rules."""
    template = run.template
    tell = run.progress
    analyses: list[FunctionAnalysis] = []
    for spec in specs:
        key = "\n".join((spec.code_uri, *spec.layers))  # functions sharing code and layers share one tree
        if key not in trees:
            tell(f"parsing {spec.code_uri}")
            trees[key] = _load_code(root, spec, run, findings)
        tree = trees[key]
        if tree is None:
            continue
        tell(f"finding the routes of {spec.logical_id or spec.handler}")
        analysis = _analyze_function(spec, tree, run, findings)
        if analysis is not None:
            analyses.append(analysis)
    analyses.sort(key=lambda a: a.spec.logical_id or "")
    report = AnalysisReport(template, tuple(analyses), tuple(findings), iam=run.iam)
    code = {uri: CodeView(tree.symbols, tree.graph) for uri, tree in trees.items() if tree is not None}
    done = apply_rules(RuleContext(report, run.resources, root, code))
    return replace(done, findings=grouped(done.findings))


def grouped(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """One finding per rule, place and message: the same warning at one call site, reached by 5,000 routes,
    is one finding that names them all (`routes`), not 5,000 copies."""
    groups: dict[tuple[str, str, str, str], list[Finding]] = {}
    for finding in findings:
        key = (finding.rule, str(finding.severity), str(finding.location), finding.message)
        groups.setdefault(key, []).append(finding)
    out = []
    for same in groups.values():
        routes = tuple(sorted({r for f in same for r in f.all_routes}))
        first = same[0]
        out.append(replace(first, route=routes[0], routes=routes if len(routes) > 1 else ()) if routes else first)
    return tuple(sorted(out, key=lambda f: f.sort_key))


def _layer_paths(root: Path, layers: tuple[str, ...]) -> tuple[str, ...]:
    """`--layer` folders, relative to the code root like a template's ContentUri."""
    out = []
    for layer in layers:
        folder = Path(layer)
        folder = folder if folder.is_absolute() else Path.cwd() / folder
        out.append(os.path.relpath(folder.resolve(), root.resolve()))
    return tuple(out)


def _skipped_function(logical_id: str, resources: Mapping[str, Any]) -> bool:
    """A function of the template that loading skipped with a finding (code in S3 or inline, not Python,
    an image): `--function` on it reports that finding, as the whole template's analysis does."""
    resource = resources.get(logical_id)
    return isinstance(resource, Mapping) and resource.get("Type") in FUNCTION_TYPES


def _locate(path: Path, handler: str | None) -> tuple[Path, Path | None]:
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    if path.is_file():
        return path.parent, (None if handler else path)
    if handler:
        return path, None
    template = find_template(path)
    if template is None and find_chalice_config(path) is not None:
        return path, None  # a Chalice project: .chalice/config.json stands in for the template
    if template is None:
        raise UsageError(
            f"{path}: no template.yaml/template.json here; pass --handler module.function to analyze the code alone"
        )
    return path, template


def _chalice_project(
    root: Path, trees: dict[str, _CodeTree | None], findings: list[Finding], *, iam: bool, allow_outside: bool
) -> tuple[tuple[FunctionSpec, ...], _Context]:
    """The functions `chalice deploy` would make of the app in `app.py`, set up by `.chalice/config.json`."""
    config = load_chalice_config(root)
    run = _Context(config.path, {}, iam, allow_outside)
    tree = _load_code(root, FunctionSpec(None, "app.app", ".", None), run, findings)
    trees["."] = tree
    specs = chalice_functions(tree.strategies, config) if tree is not None else ()
    if not specs:
        message = "a Chalice project whose app.py defines no `app = Chalice(...)` with routes or event handlers"
        findings.append(Finding("no-python-function", Severity.WARNING, message, Location(config.path, 1)))
    return specs, run


def _load_code(root: Path, spec: FunctionSpec, run: _Context, findings: list[Finding]) -> _CodeTree | None:
    where = Location(run.template, spec.line) if run.template else None
    code_root = root / spec.code_uri
    problem = _code_root_problem(root, code_root, run.allow_outside)
    if problem is not None:
        rule, message = problem
        findings.append(Finding(rule, Severity.ERROR, f"CodeUri {spec.code_uri!r} {message}", where))
        return None
    sources = read_sources(root, code_root, allow_outside=run.allow_outside)
    for layer in spec.layers:  # a layer's modules are importable too; the function's own win a name clash
        layer_root = (root / layer).resolve()
        folder = layer_root / "python" if (layer_root / "python").is_dir() else layer_root
        if not folder.is_dir():
            findings.append(Finding("bad-code-uri", Severity.ERROR, f"layer {layer!r} is not a folder", where))
            continue
        # a layer named on the command line is the user's own choice; a template's follows --allow-outside
        extra = read_sources(root, folder, allow_outside=run.allow_outside or run.template is None)
        findings.extend(extra.findings)
        sources = SourceTree(sources.root, {**extra.modules, **sources.modules}, sources.findings)
    findings.extend(sources.findings)
    symbols = SymbolTable(sources)
    strategies = built_in_strategies()
    registrations = strategies.prepare(symbols)
    graph = DefinitionGraph(symbols, registrations)
    requirements = read_requirements(code_root / "requirements.txt", root / "requirements.txt")
    for layer in spec.layers:  # what a layer's requirements install is importable too
        requirements = {**read_requirements(root / layer / "requirements.txt"), **requirements}
    services = project_services(symbols, graph) if run.iam else frozenset()
    return _CodeTree(sources, symbols, graph, strategies, DistributionMap(requirements), services=services)


def _code_root_problem(root: Path, code_root: Path, allow_outside: bool) -> tuple[str, str] | None:
    """Why a CodeUri cannot be read (rule, message), or None."""
    try:
        is_dir = stat.S_ISDIR(code_root.stat().st_mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "bad-code-uri", "is a symbolic link loop"
        return "bad-code-uri", "does not exist" if exc.errno == errno.ENOENT else f"cannot be read ({exc.strerror})"
    if not is_dir:
        return "bad-code-uri", "is not a directory"
    if not allow_outside and not is_within(os.path.realpath(code_root), os.path.realpath(root)):
        return "code-outside-project", "is outside the project folder; not read (pass --allow-outside to read it)"
    return None


def _analyze_function(
    spec: FunctionSpec, tree: _CodeTree, run: _Context, findings: list[Finding]
) -> FunctionAnalysis | None:
    template = run.template
    symbols = tree.symbols
    resolved = resolve_handler(symbols, spec.handler)
    handler = resolved.definition
    if resolved.kind in (MISSING, UNSUPPORTED) or handler is None:
        findings.append(_handler_finding(spec, resolved, tree, template))
        return None
    context = DispatchContext(symbols, tree.graph, handler, spec.handler_module)
    decisions = Decisions()
    code_routes, issues = find_routes(context, tree.strategies, decisions)
    for issue in issues:
        findings.append(
            Finding(
                "unresolved-dispatch",
                Severity.WARNING,
                issue.message,
                Location(symbols.modules[issue.module].module.path, issue.line),
            )
        )
    if not code_routes and resolved.kind == FRAMEWORK:
        findings.append(_handler_finding(spec, resolved, tree, template))
        return None
    if code_routes:
        matched, trigger_findings = match_triggers(
            spec, code_routes, template, lambda r: _location(symbols, r), run.functions
        )
        if spec.serves:  # a shim: the monolith's code, deployed for these routes only
            matched = [m for m in matched if m.trigger.route_id in spec.serves]
            trigger_findings = [f for f in trigger_findings if f.route is None or f.route in spec.serves]
        findings.extend(trigger_findings)
    else:
        matched = direct_routes(spec, CodeRoute(Constraint(), handler.id, handler.line, handler.module))
    where = Location(template, spec.line) if template else None
    granted: list[GrantedStatement] | None = None
    role = referenced_id(spec.role) if spec.role is not None else None
    policies = role_policies(spec, run.resources) if role not in run.invalid else None
    if role is not None and role in run.invalid:
        message = f"{spec.logical_id} uses role {role}, of an invalid shape (see its error): the comparison is skipped"
        findings.append(Finding("monolith-policy-unread", Severity.INFO, message, where))
    elif policies is None:
        message = (
            f"{spec.logical_id} uses a role that is not defined in {template or 'the template'}"
            f" ({plain(spec.role)}): the comparison is skipped"
        )
        findings.append(Finding("monolith-policy-unread", Severity.INFO, message, where))
    else:
        granted, problems = granted_statements(policies)
        findings.extend(Finding("monolith-policy-unread", Severity.INFO, problem, where) for problem in problems)
    routes: dict[str, tuple[Route, MatchedRoute, frozenset[str]]] = {}
    for item, constraints in _merge_branches(matched, handler, symbols, findings):
        reached, nodes = _route_reach(tree, item, constraints, decisions)
        route = _route(item, tree, reached, findings)
        if not code_routes:  # the handler serves its events directly: what dispatch it has, decompose did not read
            route = _direct_gaps(route, handler, issues, tree, reached, findings)
        routes.setdefault(route.id, (route, item, nodes))
    done = [route for route, _, _ in routes.values()]
    if run.iam:
        work = _IamWork(tree, spec, run, granted if template else None, list(routes.values()))
        for index, (permissions, policies, route_findings, extra) in enumerate(_derive_all(work)):
            gaps = tuple(sorted({*done[index].gaps, *extra.pop("gaps", ())}, key=_gap_key))
            done[index] = replace(done[index], permissions=permissions, policies=policies, gaps=gaps, **extra)
            findings.extend(route_findings)
    return FunctionAnalysis(spec, tuple(sorted(done, key=lambda r: r.id)))


def _merge_branches(
    matched: list[MatchedRoute], handler: Definition, symbols: SymbolTable, findings: list[Finding]
) -> list[tuple[MatchedRoute, tuple[Constraint, ...]]]:
    """One route per trigger, with the code constraints of every branch serving it. Code branches that serve
    the same template event (one EventBridge rule for two detail types, one path whose branches test a body
    field) are one route whose reach and policy hold every branch, with a note naming the functions they call.
    When those differ, neither alone is the route's code: its entry is the dispatcher whose branches they are
    (the handler when they are in different functions), sliced to the route as the split's handler is."""
    by_id: dict[str, MatchedRoute] = {}
    entries: dict[str, list[str]] = {}
    constraints: dict[str, list[Constraint]] = {}
    dispatchers: dict[str, set[str | None]] = {}
    for item in matched:
        route_id = item.trigger.route_id
        known = by_id.get(route_id)
        constraints.setdefault(route_id, []).append(item.code.constraint)
        dispatchers.setdefault(route_id, set()).add(item.code.dispatcher)
        if known is None:
            by_id[route_id] = item
            entries[route_id] = [item.code.entry]
            continue
        other = item.code
        if other.entry in entries[route_id] and other.extra == known.code.extra:
            continue
        extra = (*known.code.extra, *(() if other.inline else (other.entry,)), *other.extra)
        by_id[route_id] = replace(known, code=replace(known.code, extra=tuple(dict.fromkeys(extra))))
        entries[route_id].append(other.entry)
    for route_id, names in entries.items():
        unique = list(dict.fromkeys(names))
        if len(unique) > 1:
            code = by_id[route_id].code
            owners = dispatchers[route_id]
            entry = unique[0]
            if None not in owners:  # branches the walker found: the dispatcher, sliced, serves them all
                entry = owners.pop() if len(owners) == 1 else handler.id  # type: ignore[assignment]
                dispatcher = symbols.definitions[entry]
                extra = (*(() if code.inline else (code.entry,)), *code.extra)
                code = replace(
                    code,
                    entry=entry,
                    line=dispatcher.line,
                    module=dispatcher.module,
                    extra=tuple(dict.fromkeys(extra)),
                    inline=True,
                    passed=None,
                    dispatcher=entry,
                )
                by_id[route_id] = replace(by_id[route_id], code=code)
            message = (
                f"served by {len(unique)} branches of the dispatcher ({', '.join(unique)}): the route's reach and"
                f" policy hold all of them, its entry is {entry}"
                + (", sliced to this route" if entry not in unique else "")
            )
            findings.append(
                Finding("route-several-branches", Severity.INFO, message, _location(symbols, code), route_id)
            )
    return [(item, tuple(constraints[route_id])) for route_id, item in by_id.items()]


def _route_reach(
    tree: _CodeTree, item: MatchedRoute, constraints: Sequence[Constraint], decisions: Decisions
) -> tuple[Reached, frozenset[str]]:
    """What a route reaches (reported, and what the split moves), and the definitions its IAM reads.

    An entry whose own tests dispatch (a dispatcher serving the route inline or through several branches, a
    framework view testing the request's method) runs as its slice for the route (`slicing.entry_slice`): a
    definition of kind "branch" holding the entry's code without the branches the route never takes, in
    place of the whole entry. A view stays in the reach (it is the route's code); a dispatcher does not."""
    code = item.code
    graph, symbols = tree.graph, tree.symbols
    entry = symbols.definitions.get(code.entry)
    pruned = entry_slice(decisions, entry, constraints) if entry is not None else None
    if entry is None or pruned is None:
        reached = graph.reach(*(list(code.extra) if code.inline else [code.entry, *code.extra]))
        # An inline route whose dispatcher could not be sliced: its calls are the whole entry's (sound).
        return reached, reached.nodes | {code.entry} if code.inline else reached.nodes
    node_id = f"branch:{entry.id}:slice:{item.trigger.route_id}"
    if node_id not in symbols.definitions:  # functions sharing one code tree and entry share the slice
        args = pruned.args
        defaults = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
        decorators = getattr(entry.nodes[0], "decorator_list", [])  # the originals: registrations stay out
        facts = graph.scope(entry).references([*decorators, *defaults, *pruned.body])
        graph.add_branch(node_id, entry, pruned.body, facts)
    reached = graph.reach(node_id, *code.extra)
    own = {n for n in reached.nodes if (d := symbols.definitions.get(n)) and d.kind == "branch" and d.owner == entry.id}
    nodes = reached.nodes - (own - {node_id})  # the entry's branches are in its slice
    shown = reached if code.inline else Reached(reached.nodes | {entry.id}, reached.dynamic)
    return shown, frozenset(nodes)


def _direct_gaps(  # noqa: PLR0917 - one private call site
    route: Route,
    handler: Definition,
    issues: Sequence[DispatchIssue],
    tree: _CodeTree,
    reached: Reached,
    findings: list[Finding],
) -> Route:
    """A route served by the handler directly misses whatever dispatch decompose saw but did not read: the
    unresolved table entries (already findings) and the routers it does not read (findings here)."""
    symbols = tree.symbols
    gaps = []
    for issue in issues:  # already function findings; they concern this route too (the grouping merges them)
        where = Location(symbols.modules[issue.module].module.path, issue.line)
        findings.append(Finding("unresolved-dispatch", Severity.WARNING, issue.message, where, route.id))
        gaps.append(Gap("unresolved-dispatch", where))
    for router in unread_routers(symbols, handler, reached.nodes):
        where = Location(symbols.modules[router.module].module.path, router.line)
        findings.append(Finding("unresolved-dispatch", Severity.WARNING, router.message, where, route.id))
        gaps.append(Gap("unresolved-dispatch", where))
    return replace(route, gaps=tuple(sorted({*route.gaps, *gaps}, key=_gap_key))) if gaps else route


def _gap_key(gap: Gap) -> tuple[str, int, str]:
    where = gap.location
    return (where.path if where else "", (where.line or 0) if where else 0, gap.rule)


def _handler_finding(spec: FunctionSpec, resolved: Handler, tree: _CodeTree, template: str | None) -> Finding:
    """A handler decompose cannot walk: missing (an error), or something other than a function (said so)."""
    module = tree.symbols.modules.get(spec.handler_module)
    if resolved.definition is not None:
        where = Location(tree.symbols.modules[resolved.definition.module].module.path, resolved.definition.line)
    elif module is not None:
        where = Location(module.module.path, 1)
    else:
        where = Location(template, spec.line) if template else Location(spec.handler_module.replace(".", "/") + ".py")
    if resolved.kind == MISSING:
        message = f"handler {spec.handler} not found under {tree.sources.root} ({resolved.message})"
        return Finding("handler-not-found", Severity.ERROR, message, where)
    return Finding("unsupported-handler", Severity.ERROR, resolved.message, where)


def _route(item: MatchedRoute, tree: _CodeTree, reached: Reached, findings: list[Finding]) -> Route:
    code = item.code
    definitions = sorted(
        n
        for n in reached.nodes
        if tree.symbols.definitions.get(n) and tree.symbols.definitions[n].kind in DEFINITION_KINDS
    )
    modules = sorted(n.removeprefix(MODULE) for n in reached.nodes if n.startswith(MODULE))
    distributions: set[str] = set()
    route_id = item.trigger.route_id
    for node in sorted(n for n in reached.nodes if n.startswith(EXTERNAL)):
        top = node.removeprefix(EXTERNAL)
        if is_stdlib(top):
            continue
        name, known = tree.distributions.distribution(top)
        distributions.add(name)
        if not known:
            findings.append(
                Finding(
                    "unknown-distribution",
                    Severity.WARNING,
                    f"import {top!r} matches no requirement or installed distribution",
                    None,
                    route_id,
                )
            )
    gaps: set[Gap] = set()
    for definition_id, use in reached.dynamic:
        module = (
            tree.symbols.modules[tree.symbols.definitions[definition_id].module].module
            if definition_id in tree.symbols.definitions
            else None
        )
        where = Location(module.path, use.line) if module else None
        findings.append(
            Finding(
                "unresolved-dynamic",
                Severity.WARNING,
                f"{use.message}: what it reaches is not in this route's reach",
                where,
                route_id,
            )
        )
        gaps.add(Gap("unresolved-dynamic", where))
    return Route(
        trigger=item.trigger,
        dispatch=code.constraint.strategy or "direct",
        entry=code.entry,
        location=_location(tree.symbols, code),
        reach=RouteReach(tuple(definitions), tuple(modules), tuple(sorted(distributions))),
        gaps=tuple(sorted(gaps, key=_gap_key)),
    )


@dataclass
class _IamWork:
    """Everything the IAM stage of one function needs, so that forked workers inherit it."""

    tree: _CodeTree
    spec: FunctionSpec
    run: _Context
    granted: Sequence[GrantedStatement] | None
    routes: list[tuple[Route, MatchedRoute, frozenset[str]]]  # each with the definitions its IAM reads
    shared: frozenset[str] = frozenset()  # the definitions two or more of the routes reach (`_derive_all`)


PARALLEL_MIN_ROUTES = 200
_WORK: _IamWork | None = None  # set only while a fork pool runs


_Derived = tuple[tuple[Any, ...], tuple[Any, ...], list[Finding], dict[str, tuple[Any, ...]]]


def _derive_all(work: _IamWork) -> list[_Derived]:
    """Each route's permissions, policies and findings; on Linux, large apps use every core (fork: the
    workers inherit the parsed code instead of re-reading it)."""
    global _WORK  # noqa: PLW0603 - handed to forked workers, reset right after
    cores = os.cpu_count() or 1
    total = len(work.routes)
    name = work.spec.logical_id or work.spec.handler
    reached = Counter(node for _, _, nodes in work.routes for node in nodes)
    work.shared = frozenset(node for node, routes in reached.items() if routes > 1)
    if total < PARALLEL_MIN_ROUTES or cores < 2 or sys.platform != "linux":
        results = (_derive_one(work, index) for index in range(total))
        return _reported(results, total, name, work.run.progress)
    _WORK = work
    operation_methods(work.tree.services)  # built once here, inherited by every worker
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(cores, 4), mp_context=context) as pool:
            chunk = max(1, total // (4 * cores))
            results = pool.map(_derive_forked, range(total), chunksize=chunk)
            return _reported(results, total, name, work.run.progress)
    finally:
        _WORK = None


def _reported(results: Iterable[_Derived], total: int, name: str, progress: Progress) -> list[_Derived]:
    out = []
    for done, result in enumerate(results, start=1):
        out.append(result)
        if done % PROGRESS_EVERY == 0 or done == total:
            progress(f"least-privilege policies of {name}: {done:,}/{total:,} routes")
    return out


def _derive_forked(index: int) -> _Derived:
    assert _WORK is not None
    return _derive_one(_WORK, index)


def _derive_one(work: _IamWork, index: int) -> _Derived:
    """One route's least-privilege permissions and SAM policy list, checked against the monolith's role; and the
    SDK and library calls it makes, for the anti-pattern rules."""
    _, item, nodes = work.routes[index]
    code = item.code
    derived = derive_route_policy(
        symbols=work.tree.symbols,
        graph=work.tree.graph,
        reached=nodes,
        entry=code.entry,
        spec=work.spec,
        resources=work.run.resources,
        trigger=item.trigger,
        monolith=work.granted,
        memo=work.tree.iam_memo,
        services=work.tree.services,
        library=library_table(),
        passed=code.passed,
        shared=work.shared,
    )
    permissions = tuple(replace(p, arn=plain(p.arn)) for p in derived.permissions)
    extra = {"calls": derived.calls, "library_calls": derived.library_calls, "gaps": derived.gaps}
    return permissions, tuple(plain(list(derived.policies))), list(derived.findings), extra


def _location(symbols: SymbolTable, route: CodeRoute) -> Location:
    source = symbols.modules.get(route.module)
    return Location(source.module.path if source else route.module, route.line)
