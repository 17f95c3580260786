"""Build a plan from an analysis: which routes go to which new function, and what each is called.

`build_plan` proposes one function per route (`group="route"`), or one per module holding the routes'
entries (`"module"`), or one per set of template resources the routes touch (`"resources"`, from their IAM
permissions). `extend_plan` is the re-run: the functions of an existing plan stay as they are and the
routes no function names yet get functions of their own. Ids come from `planning.ids` and never collide
with the template's resources and parameters, with each other, or with ids SAM derives from them.
Nothing here reads or writes files.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from decompose.domain.model import AnalysisReport, FunctionAnalysis, Route
from decompose.domain.plan import Deployment, FunctionPlan, Plan
from decompose.errors import UsageError
from decompose.planning.ids import camel, default_modules, fit, is_taken, route_name, unique_id

FRAMEWORKS = {"flask": "Flask", "fastapi": "FastAPI", "chalice": "Chalice"}  # a split keeps the app, sliced

GROUPS = ("route", "module", "resources")


def choose_monolith(report: AnalysisReport, function: str | None) -> FunctionAnalysis:
    """The function to split: `function` if given, else the template's only function with more than one
    route (the monolith); several candidates need `--function`."""
    functions = [f for f in report.functions if f.spec.logical_id is not None]
    if function is not None:
        match = next((f for f in functions if f.spec.logical_id == function), None)
        if match is None:
            raise UsageError(f"no Python function {function!r} in {report.template}")
        return match
    if not functions:
        raise UsageError(f"{report.template or 'the project'} has no Python function to split")
    if len(functions) == 1:
        return functions[0]
    most = max(len(f.routes) for f in functions)
    candidates = [f for f in functions if len(f.routes) == most]
    if len(candidates) > 1 or most < 2:
        names = ", ".join(sorted(str(f.spec.logical_id) for f in candidates))
        raise UsageError(f"several functions could be the monolith ({names}): choose one with --function")
    return candidates[0]


def build_plan(
    analysis: FunctionAnalysis,
    *,
    group: str = "route",
    extract: Sequence[str] = (),
    used: Collection[str] = (),
    modules: Collection[str] = (),
    template: str | None = None,
    deployment: Deployment | None = None,
) -> Plan:
    """A fresh plan for `analysis`'s function: every route in exactly one new function.

    `used` are ids already taken (the template's resources and parameters), `modules` the dotted modules that
    exist in the code (default module names avoid them). `extract` names functions or routes to mark
    `extract: true`; an unknown name is a `UsageError`.
    """
    deployment = deployment or Deployment()
    functions = new_functions(
        analysis, analysis.routes, group=group, used=used, modules=modules, alias=deployment.alias
    )
    plan = Plan(
        monolith=str(analysis.spec.logical_id),
        functions=tuple(replace(f, deployment=deployment) for f in functions),
        template=template,
        deployment=deployment,
    )
    return mark_extracted(plan, extract)


def new_functions(
    analysis: FunctionAnalysis,
    routes: Iterable[Route],
    *,
    group: str,
    used: Collection[str],
    modules: Collection[str],
    alias: str = "live",
    own_modules: Collection[str] = (),
) -> list[FunctionPlan]:
    """Functions for `routes`, grouped by `group`, with ids free in `used` and modules free in `modules`
    (`own_modules` are the plan's modules already: their packages are decompose's, not the user's)."""
    if group not in GROUPS:
        raise UsageError(f"unknown grouping {group!r}: expected one of {', '.join(GROUPS)}")
    groups: dict[str, list[Route]] = {}
    names: dict[str, str] = {}
    for route in sorted(routes, key=lambda r: r.id):
        key, name = _group_key(analysis, route, group)
        groups.setdefault(key, []).append(route)
        names.setdefault(key, name)
    taken = set(used)
    taken_modules = set(modules)
    ours = _parents(own_modules)
    out = []
    for key in sorted(groups, key=lambda k: groups[k][0].id):
        logical_id = unique_id(fit(names[key], key), lambda c: is_taken(c, taken, alias))
        taken.add(logical_id)
        module, handler = _free_modules(logical_id, taken_modules, ours)
        taken_modules |= {module, handler}
        routes_of_group = tuple(r.id for r in groups[key])
        out.append(FunctionPlan(logical_id, routes_of_group, module=module, handler=handler))
    return out


def extend_plan(
    plan: Plan,
    analysis: FunctionAnalysis,
    *,
    group: str = "route",
    extract: Sequence[str] = (),
    used: Collection[str] = (),
    modules: Collection[str] = (),
) -> tuple[Plan, tuple[FunctionPlan, ...]]:
    """`plan` plus functions for the routes it does not name yet; and those new functions.

    The plan's own functions are kept exactly (routes that vanished from the code stay, for `check_plan`
    to report: dropping them silently would lose the user's decisions).
    """
    named = {route for f in plan.functions for route in f.routes}
    fresh = [r for r in analysis.routes if r.id not in named]
    taken = {*used, *(f.logical_id for f in plan.functions)}
    own = [m for f in plan.functions for m in (f.module, f.handler) if m]
    added = new_functions(
        analysis,
        fresh,
        group=group,
        used=taken,
        modules={*modules, *own},
        alias=plan.deployment.alias,
        own_modules=own,
    )
    added = [replace(f, deployment=plan.deployment) for f in added]
    extended = replace(plan, functions=(*plan.functions, *added))
    return mark_extracted(extended, extract), tuple(added)


def mark_extracted(plan: Plan, names: Sequence[str]) -> Plan:
    """`plan` with `extract: true` on every function named (by logical id or by one of its routes)."""
    if not names:
        return plan
    wanted = set(names)
    known = {f.logical_id for f in plan.functions} | {r for f in plan.functions for r in f.routes}
    unknown = sorted(wanted - known)
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(known), n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UsageError(f"--extract {unknown[0]!r}: no function or route of that name in the plan{hint}")
    functions = tuple(
        replace(f, extract=True) if f.logical_id in wanted or wanted.intersection(f.routes) else f
        for f in plan.functions
    )
    return replace(plan, functions=functions)


def _group_key(analysis: FunctionAnalysis, route: Route, group: str) -> tuple[str, str]:
    """The group a route belongs to, and the CamelCase stem that group's function id starts from."""
    if group == "module":
        module = entry_module(analysis.spec.code_uri, route)
        return f"module:{module}", camel(module.replace(".", " ")) or "Module"
    if group == "resources":
        touched = sorted({p.resource.split("/")[0] for p in route.permissions if p.resource != "*"})
        return "resources:" + ",".join(touched), "".join(camel(t) for t in touched) or "NoResources"
    if route.dispatch in FRAMEWORKS and any(
        r.entry == route.entry and r.dispatch == route.dispatch and r.id != route.id for r in analysis.routes
    ):  # one framework view for several routes (`methods=["GET", "DELETE"]`): a function cannot take one
        return f"view:{route.dispatch}:{route.entry}", route_name(route.id)
    return f"route:{route.id}", route_name(route.id)


def entry_module(code_uri: str, route: Route) -> str:
    """The dotted module (relative to CodeUri) of the file holding the route's entry."""
    path = PurePosixPath(route.location.path)
    root = PurePosixPath(code_uri)
    if str(root) not in ("", ".") and path.is_relative_to(root):
        path = path.relative_to(root)
    parts = list(path.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) or route.entry.rpartition(".")[0]


def _free_modules(logical_id: str, taken: set[str], ours: set[str]) -> tuple[str, str]:
    """Default module names that exist nowhere in the code, and whose packages are not the user's own
    modules (`routes.py` of the app rules out `routes.get_order`; a package decompose made does not)."""
    module, handler = default_modules(logical_id)
    number = 2
    base_module, base_handler = module, handler
    while _clashes(module, taken, ours) or _clashes(handler, taken, ours):
        module, handler = f"{base_module}_{number}", f"{base_handler}_{number}"
        number += 1
    return module, handler


def _clashes(name: str, taken: set[str], ours: set[str]) -> bool:
    parts = name.split(".")
    parents = {".".join(parts[:i]) for i in range(1, len(parts))}
    return name in taken or any(p in taken and p not in ours for p in parents)


def _parents(names: Iterable[str]) -> set[str]:
    return {".".join(n.split(".")[:i]) for n in names for i in range(1, n.count(".") + 1)}
