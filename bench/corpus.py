"""Score `decompose analyze` on real public Lambda apps against a truth recorded by hand (`bench/corpus.yaml`).

    .venv/bin/python bench/corpus.py                  # every app, a Markdown table per app and a total
    .venv/bin/python bench/corpus.py --app todo-app   # one app
    .venv/bin/python bench/corpus.py --misses         # also list every miss (route, entry, action, silent)
    .venv/bin/python bench/corpus.py --json           # the same figures for machines
    .venv/bin/python bench/corpus.py --mirror DIR     # mirrors elsewhere (default /work/.mirror)
    .venv/bin/python bench/corpus.py --check-truth    # lint the truth: every entry names a def in its app

No third-party code is committed: each app is materialized from a bare git mirror (`DIR/owner+name/repo`, what
the `fetch` tool brings) with `git archive` of the recorded commit into a temporary folder, and
`python -m decompose analyze <invoke...> --format json` runs on it as a subprocess (a crash or a hang of the
tool on an app is a result to record, not the end of the benchmark). A missing mirror is reported as "not
fetched" with the repository to fetch.

How a report is scored against the truth (`score`, a pure function of the two documents):

- routes are paired per function (template logical id, or none in code-only mode) by id, with HTTP path
  parameter names ignored (`{id}` = `{order_id}`). A non-HTTP truth route (`S3 ...`, `Invoke ...`) left
  unpaired is then paired with an unpaired report route of the same kind and the same entry: the route was
  found, its source is spelt differently (listed as a note). Route recall = paired / truth routes;
  precision = paired / report routes (routes marked `optional` in the truth count for neither side);
- entries: paired routes whose report entry is the truth entry (or one of the accepted entries);
- IAM actions, by (route, action): recall = truth pairs the report grants on the paired route / every truth pair
  (a missed route grants none of its actions); precision, on paired routes = report pairs the truth lists /
  report pairs (optional truth actions count for neither side; extra routes are route precision's business).
  "resource ok" counts the granted truth pairs whose resource is the one the truth names (the logical id, or
  the full `Table/index/name` when the truth spells it); truth actions with no template resource are left out;
- silent empty policy: a paired route whose truth needs actions, granted none, with no finding naming that route;
  or an extra route granting nothing, with no finding naming it, in a function whose missed routes need actions
  (a catch-all `Invoke handler` standing for the routes decompose did not see);
- findings: every finding of the report; time: wall time of the subprocess.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

BENCH_DIR = Path(__file__).resolve().parent
CORPUS = BENCH_DIR / "corpus.yaml"
DEFAULT_MIRROR = Path("/work/.mirror")
TIMEOUT_S = 600
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})
_PARAM = re.compile(r"\{[^}+]+\}")


COUNTERS = (
    "routes_truth",
    "routes_report",
    "routes_paired",
    "entries_ok",
    "actions_truth",
    "actions_report",
    "actions_hit",
    "resources_named",
    "resources_ok",
    "silent_empty",
    "findings",
)


@dataclass(frozen=True)
class TruthAction:
    """One IAM action a truth route needs, on a template resource when the template names it."""

    action: str
    resource: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class TruthRoute:
    """A route as read in the code by hand: id, accepted entries, the actions it needs."""

    function: str | None
    id: str
    entries: tuple[str, ...]
    actions: tuple[TruthAction, ...] = ()
    optional: bool = False


@dataclass
class Score:
    """The figures of one app (or of the total), and every miss behind them."""

    app: str
    style: str = ""
    routes_truth: int = 0
    routes_report: int = 0
    routes_paired: int = 0
    entries_ok: int = 0
    actions_truth: int = 0
    actions_report: int = 0
    actions_hit: int = 0
    resources_named: int = 0
    resources_ok: int = 0
    silent_empty: int = 0
    findings: int = 0
    seconds: float = 0.0
    status: str = "ok"
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        """Accumulate another app's counters into this total."""
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.seconds += other.seconds


def parse_action(raw: str | Mapping[str, Any]) -> TruthAction:
    """`"dynamodb:GetItem OrdersTable"`, `"s3:GetObject"` or `{action, resource, optional}` as a TruthAction."""
    if isinstance(raw, str):
        action, _, resource = raw.partition(" ")
        return TruthAction(action, resource.strip() or None)
    return TruthAction(raw["action"], raw.get("resource"), bool(raw.get("optional", False)))


def truth_routes(app: Mapping[str, Any]) -> list[TruthRoute]:
    """The truth routes of one corpus app, flattened over its functions."""
    routes = []
    for function in app["truth"]:
        for route in function["routes"]:
            entry = route["entry"]
            routes.append(
                TruthRoute(
                    function=function.get("function"),
                    id=route["id"],
                    entries=tuple(entry) if isinstance(entry, list) else (entry,),
                    actions=tuple(parse_action(a) for a in route.get("actions", ())),
                    optional=bool(route.get("optional", False)),
                )
            )
    return routes


def _route_key(route_id: str) -> str:
    """The id with HTTP parameter names and a trailing slash dropped: `/orders/{id}/` pairs with `/orders/{oid}`."""
    method, _, rest = route_id.partition(" ")
    if method not in HTTP_METHODS:
        return route_id
    path = _PARAM.sub("{}", rest)
    return f"{method} {path.rstrip('/') or '/'}"


def _kind(route_id: str) -> str:
    method = route_id.partition(" ")[0]
    return "HTTP" if method in HTTP_METHODS else method


def _report_routes(report: Mapping[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    return [(fn.get("logical_id"), route) for fn in report.get("functions", ()) for route in fn.get("routes", ())]


def _pair(
    truth: Sequence[TruthRoute], found: Sequence[tuple[str | None, dict[str, Any]]]
) -> tuple[list[tuple[TruthRoute, dict[str, Any]]], list[str]]:
    """Pair truth routes with report routes: by id first, then non-HTTP routes by kind and entry."""
    unpaired = list(range(len(found)))
    pairs: list[tuple[TruthRoute, dict[str, Any]]] = []
    notes: list[str] = []
    rest: list[TruthRoute] = []
    for route in truth:
        key = (route.function, _route_key(route.id))
        match = next((i for i in unpaired if (found[i][0], _route_key(found[i][1]["id"])) == key), None)
        if match is None:
            rest.append(route)
            continue
        unpaired.remove(match)
        pairs.append((route, found[match][1]))
    for route in rest:
        if _kind(route.id) == "HTTP":
            continue
        match = next(
            (
                i
                for i in unpaired
                if found[i][0] == route.function
                and _kind(found[i][1]["id"]) == _kind(route.id)
                and found[i][1].get("entry") in route.entries
            ),
            None,
        )
        if match is not None:
            unpaired.remove(match)
            pairs.append((route, found[match][1]))
            notes.append(f"note: route {route.id} found as {found[match][1]['id']}")
    return pairs, notes


def _granted(route: Mapping[str, Any]) -> dict[str, set[str]]:
    """Action -> resources the report grants on one route."""
    granted: dict[str, set[str]] = {}
    for permission in route.get("permissions", ()):
        granted.setdefault(permission["action"], set()).add(permission.get("resource") or "*")
    return granted


def _resource_ok(wanted: str, granted: Iterable[str]) -> bool:
    return any(g == wanted or ("/" not in wanted and g.split("/", 1)[0] == wanted) for g in granted)


def score(name: str, app: Mapping[str, Any], report: Mapping[str, Any], seconds: float = 0.0) -> Score:
    """Score one report against the app's truth (see the module docstring for every rule)."""
    result = Score(app=name, seconds=seconds, findings=len(report.get("findings", ())))
    truth = truth_routes(app)
    found = _report_routes(report)
    pairs, notes = _pair(truth, found)
    result.misses.extend(notes)
    named = {r for f in report.get("findings", ()) for r in (f.get("routes") or [f.get("route")]) if r}
    paired_truth = {id(t) for t, _ in pairs}
    paired_found = {id(r): t for t, r in pairs}
    result.routes_truth = sum(not t.optional for t in truth)
    result.routes_report = sum(not getattr(paired_found.get(id(r)), "optional", False) for _, r in found)
    result.routes_paired = sum(not t.optional for t, _ in pairs)
    missed = [t for t in truth if id(t) not in paired_truth and not t.optional]
    for route in missed:
        needed = _needed(route)
        result.actions_truth += len(needed)
        result.misses.append(f"route missed: {_where(route)}" + (f" (needs {len(needed)} actions)" if needed else ""))
    starved = {t.function for t in missed if _needed(t)}
    for function, route in found:
        if id(route) in paired_found:
            continue
        result.misses.append(f"route extra: {function or '-'} {route['id']} (entry {route.get('entry')})")
        if function in starved and not route.get("permissions") and route["id"] not in named:
            result.silent_empty += 1
            result.misses.append(f"silent empty policy: {function or '-'} {route['id']} (stands for missed routes)")
    for truth_route, route in pairs:
        if not truth_route.optional:
            _score_pair(result, truth_route, route, named)
    return result


def _needed(route: TruthRoute) -> dict[str, set[str]]:
    """Action -> the resources the truth names for it, over the route's non-optional actions."""
    needed: dict[str, set[str]] = {}
    for action in route.actions:
        if not action.optional:
            needed.setdefault(action.action, set()).update({action.resource} if action.resource else set())
    return needed


def _score_pair(result: Score, truth: TruthRoute, route: Mapping[str, Any], named: set[str]) -> None:
    """Entry, actions, resources and silence of one paired route."""
    where = _where(truth)
    if route.get("entry") in truth.entries:
        result.entries_ok += 1
    else:
        result.misses.append(f"entry wrong: {where}: {route.get('entry')} instead of {' or '.join(truth.entries)}")
    granted = _granted(route)
    needed = _needed(truth)
    result.actions_truth += len(needed)
    for action, resources in needed.items():
        if action not in granted:
            result.misses.append(f"action missed: {where}: {action}")
            continue
        result.actions_hit += 1
        if resources:
            result.resources_named += 1
            if all(_resource_ok(r, granted[action]) for r in resources):
                result.resources_ok += 1
            else:
                got = ", ".join(sorted(granted[action]))
                result.misses.append(f"resource wrong: {where}: {action} on {got}, truth {sorted(resources)}")
    listed = {a.action for a in truth.actions}
    optional = listed - set(needed)
    result.actions_report += sum(a not in optional for a in granted)
    for action in sorted(set(granted) - listed):
        result.misses.append(f"action extra: {where}: {action} on {', '.join(sorted(granted[action]))}")
    if needed and not granted and route["id"] not in named:
        result.silent_empty += 1
        result.misses.append(f"silent empty policy: {where}")


def _where(route: TruthRoute) -> str:
    return f"{route.function + ' ' if route.function else ''}{route.id}"


def materialize(app: Mapping[str, Any], mirror: Path, into: Path) -> Path | str:
    """The app folder extracted from its mirror at the recorded commit, or why it cannot be."""
    owner, _, repo = app["repo"].partition("/")
    git_dir = mirror / f"{owner}+{repo}" / "repo"
    if not git_dir.is_dir():
        return f"not fetched: no mirror at {git_dir} (fetch github:{app['repo']} into {mirror})"
    commit = app["commit"]
    probe = subprocess.run(
        ["git", f"--git-dir={git_dir}", "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True, check=False
    )
    if probe.returncode:
        return f"not fetched: commit {commit} is not in {git_dir} (fetch github:{app['repo']} again)"
    archive = subprocess.run(
        ["git", f"--git-dir={git_dir}", "archive", "--format=tar", commit, app["path"]],
        capture_output=True,
        check=False,
    )
    if archive.returncode:
        return f"not fetched: git archive failed: {archive.stderr.decode(errors='replace').strip()}"
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / app["path"]


def run_decompose(folder: Path, invoke: Sequence[str]) -> tuple[dict[str, Any] | None, float, str]:
    """Run `decompose analyze` on the folder as a subprocess: (JSON report or None, seconds, status)."""
    command = [sys.executable, "-m", "decompose", "analyze", *invoke, "--format", "json"]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - start, f"timeout after {TIMEOUT_S} s"
    seconds = time.perf_counter() - start
    try:
        return json.loads(done.stdout), seconds, "ok" if done.returncode in (0, 1) else f"exit {done.returncode}"
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, seconds, f"crash (exit {done.returncode}): {last}"


def run_app(name: str, app: Mapping[str, Any], mirror: Path, reports: Path | None = None) -> Score:
    """Materialize, analyze and score one app (and keep decompose's report in `reports` when given)."""
    style = ", ".join(app.get("style", ())[:2])
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        folder = materialize(app, mirror, Path(tmp))
        if isinstance(folder, str):
            return Score(app=name, style=style, status=folder)
        report, seconds, status = run_decompose(folder, app["invoke"])
    if reports is not None and report is not None:
        reports.mkdir(parents=True, exist_ok=True)
        (reports / f"{name}.json").write_text(json.dumps(report, indent=1))
    result = score(name, app, report or {}, seconds)
    result.style = style
    result.status = status
    return result


def unknown_entries(folder: Path, routes: Iterable[TruthRoute]) -> list[str]:
    """Truth entries that name no `def` in the app (a lint of the truth itself, not of decompose).

    `a.b.f` must be a function `f` in some `.../a/b.py` (or `.../a/b/__init__.py`); `a.C.m` may also be the
    method `m` of a class `C` in `.../a.py`. Module paths are relative to a CodeUri, so any folder may hold them.
    """
    missing = []
    sources = {path: path.read_text(errors="replace") for path in folder.rglob("*.py")}
    for route in routes:
        for entry in route.entries:
            if not any(_defines(path, text, entry) for path, text in sources.items()):
                missing.append(f"{_where(route)}: {entry}")
    return missing


def _defines(path: Path, text: str, entry: str) -> bool:
    parts = entry.split(".")
    candidates = [(parts[:-1], None, parts[-1])]
    if len(parts) >= 3:
        candidates.append((parts[:-2], parts[-2], parts[-1]))
    for module, klass, name in candidates:
        stem = "/".join(module)
        if not (path.as_posix().endswith(f"/{stem}.py") or path.as_posix().endswith(f"/{stem}/__init__.py")):
            continue
        if klass is not None and not re.search(rf"^class {re.escape(klass)}\b", text, re.MULTILINE):
            continue
        indent = r"\s+" if klass is not None else ""
        if re.search(rf"^{indent}(async\s+)?def {re.escape(name)}\(", text, re.MULTILINE):
            return True
    return False


def check_truth(name: str, app: Mapping[str, Any], mirror: Path) -> list[str]:
    """Materialize the app and list the truth entries that do not exist in its code."""
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        folder = materialize(app, mirror, Path(tmp))
        if isinstance(folder, str):
            return [f"{name}: {folder}"]
        return [f"{name}: {miss}" for miss in unknown_entries(folder, truth_routes(app))]


def _pct(num: int, den: int) -> str:
    return f"{num}/{den} ({100 * num / den:.0f}%)" if den else "-"


HEADER = (
    "| app | style | routes recall | routes precision | entries | IAM recall | IAM precision | resource ok "
    "| silent empty | findings | time s |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def row(result: Score, *, bold: bool = False) -> str:
    """One Markdown table row."""
    name = f"**{result.app}**" if bold else result.app
    if result.status.startswith("not fetched"):
        return f"| {name} | {result.style} | {result.status} | | | | | | | | |"
    status = "" if result.status == "ok" else f" ({result.status})"
    cells = [
        f"{name}{status}",
        result.style,
        _pct(result.routes_paired, result.routes_truth),
        _pct(result.routes_paired, result.routes_report),
        _pct(result.entries_ok, result.routes_paired),
        _pct(result.actions_hit, result.actions_truth),
        _pct(result.actions_hit, result.actions_report) if result.actions_report else "-",
        _pct(result.resources_ok, result.resources_named),
        str(result.silent_empty),
        str(result.findings),
        f"{result.seconds:.1f}",
    ]
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    """Run the corpus (or one app) and print the table, the misses or the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR, help="folder of bare git mirrors")
    parser.add_argument("--app", action="append", help="only this app (repeatable)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--misses", action="store_true", help="list every miss under the table")
    parser.add_argument("--reports", type=Path, help="also write decompose's JSON report per app into this folder")
    parser.add_argument("--check-truth", action="store_true", help="only check that every truth entry exists")
    args = parser.parse_args(argv)
    apps = yaml.safe_load(CORPUS.read_text())["apps"]
    names = args.app or [a["name"] for a in apps]
    unknown = set(names) - {a["name"] for a in apps}
    if unknown:
        parser.error(f"no such app in {CORPUS.name}: {', '.join(sorted(unknown))}")
    if args.check_truth:
        problems = [p for app in apps if app["name"] in names for p in check_truth(app["name"], app, args.mirror)]
        print("\n".join(problems) or "every truth entry names a def in its app")
        return 1 if problems else 0
    results = []
    for app in apps:
        if app["name"] in names:
            print(f"corpus: {app['name']} ...", file=sys.stderr)
            results.append(run_app(app["name"], app, args.mirror, args.reports))
    total = Score(app="total")
    for result in results:
        if not result.status.startswith("not fetched"):
            total.add(result)
    if args.json:
        print(json.dumps({"apps": [asdict(r) for r in results], "total": asdict(total)}, indent=2))
        return 0
    print(HEADER)
    for result in results:
        print(row(result))
    print(row(total, bold=True))
    if args.misses:
        for result in results:
            if result.misses:
                print(f"\n### {result.app}\n")
                print("\n".join(f"- {miss}" for miss in result.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
