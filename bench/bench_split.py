"""The split measured: every extracted function against its monolith, from real `sam build` artifacts.

For `sample_monolith/` and each fixture app, on a scratch copy committed to a fresh git repository (verify's
baseline): `decompose plan --extract <every route apply can move>` (routes one view serves through one
registration merged into one function, as a user edits the plan: `TOGETHER`), `decompose apply --force
--phase extract` (straight to the extracted code: a shim runs the monolith's own package, the monolith's
row), then `sam build` (aws-sam-cli from `.venv/sam`, python3.12 on PATH for SAM's own
builder of the monolith). Per function, and for the monolith:

- package: bytes and files of its built artifact (`.aws-sam/build/<LogicalId>`);
- own files: the artifact's files no installed distribution put there (its first-party modules);
- distributions: the `*.dist-info` folders of the artifact (what pip installed, dependencies included);
- cold import: CPU time of importing the handler module in a fresh `python3.12 -I` (the Lambda runtime's
  version) inside the artifact folder, median of 7 rounds with the functions interleaved (CPU, not wall
  time: the machine is shared), every variable of the monolith set (its literal value, or a placeholder),
  with boto3 after the artifact on `sys.path` as the Lambda runtime provides it;
- the floor: the same measure for importing only the modules of its routes' reach (`analyze` of the result:
  each route's `modules`), in the same artifact: what the function cannot avoid importing. The handler's
  import over the floor is what the split still costs (the goal: within 10%);
- IAM: distinct actions its `Policies` grant (SAM policy templates expanded by decompose, wildcards by
  parliament's action catalogue) and statements granting on `*`;
- verified: routes `decompose verify` reports equivalent with every call allowed, of the function's routes,
  when this decompose has the `verify` command (`-` otherwise); the app's last row adds verify's summary
  (routes, events recorded + synthesized, equivalent, seconds).

Routes the template edit cannot move yet (WebSocket routes), routes without a template event and routes
whose reach is dynamic (`unresolved-dynamic`: the refactor refuses to move them) stay in the monolith and
are listed.
Run: `.venv/bin/python bench/bench_split.py [APP ...]` (a few minutes; prints Markdown tables).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from iam.harness import expand_action  # noqa: E402 - the harness lives with the tests
from verification.projects import merge_functions  # noqa: E402 - the plan edit a user makes, as verify's tests

from decompose.iam.monolith import granted_statements  # noqa: E402
from decompose.loading.template import load_template  # noqa: E402

RUNS = 7
RUNTIME = "lambda-runtime"  # boto3 as the Lambda python3.12 runtime provides it (/var/runtime, after the code)
UNMOVABLE = ("WebSocket ", "Invoke ")
# routes one registration serves (a Flask MethodView): one function, or `plan` reports a problem for each
TOGETHER = {"flask_app": (("GET /v1/files/{key+}", "PUT /v1/files/{key+}"),)}
APPS = [REPO / "sample_monolith", *sorted(p.parent for p in (REPO / "tests" / "fixtures").glob("*/template.yaml"))]


def _sam() -> str:
    for candidate in (
        os.environ.get("DECOMPOSE_SAM"),
        str(REPO / ".venv" / "sam" / "bin" / "sam"),
        shutil.which("sam"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    sys.exit("aws-sam-cli not found: run `make test` once (it installs .venv/sam)")


def _python312() -> Path:
    found = shutil.which("python3.12")
    if found and subprocess.run([found, "-V"], capture_output=True, check=False).returncode == 0:
        return Path(found)
    candidates = sorted((Path.home() / ".pyenv" / "versions").glob("3.12*/bin/python3.12"))
    if not candidates:
        sys.exit("python3.12 not found: the artifacts are built for the python3.12 runtime")
    return candidates[-1]


def _lambda_runtime(folder: Path) -> None:
    """boto3 for python3.12 in `folder`: what Lambda's runtime puts on sys.path after /var/task."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(folder), "--only-binary=:all:"]
    command += ["--implementation=cp", "--python-version=3.12", "--platform=manylinux2014_x86_64", "boto3"]
    subprocess.run(command, check=True, capture_output=True)


class NotSplitError(Exception):
    """decompose refused the app (a row says why; the other apps go on)."""


def _decompose(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "decompose", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise NotSplitError(f"decompose {args[0]}: {(result.stderr or result.stdout).strip().splitlines()[-1]}")
    return result.stdout


def _size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def _import_cpu_ms(
    python: Path, artifacts: dict[str, tuple[Path, str]], environment: dict[str, str], runtime: Path
) -> dict[str, float]:
    """CPU milliseconds each artifact's modules (a comma-separated `import` list) take to import in a fresh
    interpreter: median of RUNS rounds, the entries interleaved within a round (CPU time, not wall time: the
    machine is shared)."""
    env = environment | {"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    times: dict[str, list[float]] = {name: [] for name in artifacts}
    for _ in range(RUNS):
        for name, (artifact, module) in artifacts.items():
            code = (
                f"import sys, time; sys.path[:0] = ['.']; sys.path.append({str(runtime)!r}); t = time.process_time(); "
                f"import {module}; print(time.process_time() - t)"
            )
            result = subprocess.run(
                [str(python), "-I", "-c", code], cwd=artifact, env=env, capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                raise RuntimeError(f"{name}: import {module} failed: {result.stderr[-500:]}")
            times[name].append(float(result.stdout.strip()) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def _own_files(artifact: Path) -> int:
    """Files of the artifact that no installed distribution put there (its first-party modules)."""
    owned: set[str] = set()
    for info in artifact.glob("*.dist-info"):
        for line in (info / "RECORD").read_text(encoding="utf-8").splitlines():
            owned.add("/".join(p for p in Path(line.split(",")[0]).parts if p != ".."))
    return sum(
        1
        for path in artifact.rglob("*")
        if path.is_file()
        and path.relative_to(artifact).as_posix() not in owned
        and ".dist-info/" not in path.relative_to(artifact).as_posix()
    )


def _iam(policies: tuple[object, ...]) -> tuple[int, int]:
    statements, _ = granted_statements(list(policies))
    actions: set[str] = set()
    wildcard = 0
    for statement in statements:
        for pattern in statement.actions:
            actions |= expand_action(pattern)
        wildcard += any(r == "*" for r in statement.resources)
    return len(actions), wildcard


def bench(app: Path, scratch: Path, sam: str, python: Path) -> list[str]:
    work = scratch / app.name
    shutil.copytree(app, work, ignore=shutil.ignore_patterns(".aws-sam", "__pycache__", "expected.json"))
    monolith, kept = _split(app, work)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env |= {"SAM_CLI_TELEMETRY": "0", "PATH": os.pathsep.join([str(python.parent), env.get("PATH", "")])}
    started = time.perf_counter()
    build = subprocess.run([sam, "build"], cwd=work, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if build.returncode != 0:
        raise RuntimeError(f"{app.name}: sam build failed:\n{build.stdout[-2000:]}{build.stderr[-2000:]}")
    loaded = load_template(work, work / "template.yaml")
    specs = {s.logical_id: s for s in loaded.functions}
    monolith_id = monolith["logical_id"]
    # literal values as the template sets them, a placeholder for intrinsics (no AWS call happens at import)
    environment = {str(k): v if isinstance(v, str) else "1" for k, v in specs[monolith_id].environment}
    rows = []
    names = [monolith_id, *sorted(n for n in specs if _split_from(loaded.resources.get(n)) == monolith_id)]
    build_dir = work / ".aws-sam" / "build"
    after = json.loads(_decompose("analyze", str(work), "--format", "json", "--no-iam"))
    reach = {f["logical_id"]: sorted({m for r in f["routes"] for m in r["modules"]}) for f in after["functions"]}
    artifacts = {n: (build_dir / n, specs[n].handler_module) for n in names}
    artifacts |= {f"{n} floor": (build_dir / n, ", ".join(reach.get(n) or ["sys"])) for n in names[1:]}
    sizes = {n: (*_size(build_dir / n), _own_files(build_dir / n)) for n in names}  # before imports write .pyc
    cpu = _import_cpu_ms(python, artifacts, environment, scratch / RUNTIME)
    verified = _verified(work)
    base: tuple[int, float] | None = None
    for name in names:
        spec = specs[name]
        artifact = build_dir / name
        size, files, own = sizes[name]
        actions, wildcard = _iam(spec.policies)
        distributions = len(list(artifact.glob("*.dist-info")))
        floor = cpu.get(f"{name} floor")
        over = f"{floor:.0f} ms ({cpu[name] / floor - 1:+.0%})" if floor else "-"
        if base is None:
            base = (size, cpu[name])
            label, ratio = f"**{name}** (monolith)", ""
            checked = "-"
        else:
            label, ratio = name, f"{size / base[0]:.0%} / {cpu[name] / base[1]:.0%}"
            routes = [r for f in after["functions"] if f["logical_id"] == name for r in f["routes"]]
            checked = _verified_cell(verified, [r["id"] for r in routes])
        rows.append(
            f"| {app.name} | {label} | {size / 1e6:.1f} MB | {files} | {own} | {distributions} | "
            f"{cpu[name]:.0f} ms | {over} | {ratio} | {actions} | "
            f"{wildcard} | {checked} |"
        )
    summary = f"; verify: {verified.summary}" if verified is not None else ""
    rows.append(
        f"| {app.name} | sam build {seconds:.0f} s; kept in the monolith: {', '.join(kept) or 'none'}{summary} |"
    )
    return rows


def _split(app: Path, work: Path) -> tuple[dict, list[str]]:
    """Commit `work`, plan every route apply can move, apply: (the monolith's analysis, the routes kept)."""
    _git(work, "init", "-q")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "the monolith")  # verify compares with this commit: the monolith before the split
    report = json.loads(_decompose("analyze", str(work), "--format", "json", "--no-iam"))
    monolith = max(report["functions"], key=lambda f: len(f["routes"]))
    dynamic = {f.get("route") for f in report["findings"] if f["rule"] == "unresolved-dynamic"}
    movable = [
        r["id"]
        for r in monolith["routes"]
        if not r["id"].startswith(UNMOVABLE) and r["trigger"].get("event") and r["id"] not in dynamic
    ]
    kept = [r["id"] for r in monolith["routes"] if r["id"] not in movable]  # WebSocket, no event, dynamic reach
    extract = [arg for route in movable for arg in ("--extract", route)]
    if app.name in TOGETHER:  # `plan` writes the plan and reports the routes it separated; merged, none remain
        command = [sys.executable, "-m", "decompose", "plan", str(work), *extract]
        subprocess.run(command, capture_output=True, check=False)
        merge_functions(work / "decompose.yaml", TOGETHER[app.name])
        _decompose("plan", str(work), "--check")
    else:
        _decompose("plan", str(work), "--function", monolith["logical_id"], *extract)
    _decompose("apply", str(work), "--force", "--phase", "extract")
    return monolith, kept


def _git(root: Path, *args: str) -> None:
    command = ["git", "-C", str(root), "-c", "user.name=bench", "-c", "user.email=bench@localhost", *args]
    subprocess.run(command, check=True, capture_output=True)


class Verified(dict[str, bool]):
    """Route id -> equivalent with every call allowed, and verify's summary line for the app."""

    summary = ""


def _verified(work: Path) -> Verified | None:
    """Route id -> equivalent with every call allowed, from `decompose verify --format json`; None when this
    decompose has no `verify` command or it could not run (the table then says `-`)."""
    result = subprocess.run(
        [sys.executable, "-m", "decompose", "verify", str(work), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        document = json.loads(result.stdout)
    except ValueError:
        return None
    verdicts = Verified()
    routes = document.get("routes", []) if isinstance(document, dict) else []
    for route in routes:  # README: verify's JSON
        verdicts[route.get("route")] = route.get("status") == "equivalent" and route.get("policy") == "allowed"
    events = [e for r in routes for e in r.get("events", [])]
    recorded = sum(e.get("origin") == "project" for e in events)
    verdicts.summary = (
        f"{len(routes)} routes, {recorded} + {len(events) - recorded} events, "
        f"{sum(verdicts.values())} equivalent and allowed, {document.get('seconds', 0):.0f} s"
        if isinstance(document, dict)
        else ""
    )
    return verdicts or None


def _verified_cell(verified: dict[str, bool] | None, routes: list[str]) -> str:
    if verified is None:
        return "-"
    return f"{sum(bool(verified.get(r)) for r in routes)}/{len(routes)}"


def _split_from(resource: object) -> str | None:
    if not isinstance(resource, dict):
        return None
    marker = (resource.get("Metadata") or {}).get("Decompose") or {}
    return marker.get("SplitFrom") if isinstance(marker, dict) else None


def main() -> None:
    wanted = set(sys.argv[1:])
    sam, python = _sam(), _python312()
    print(
        "| app | function | package | files | own files | distributions | cold import, CPU (median of 7) "
        "| floor: its reach alone (handler over it) | vs monolith (bytes / import) | IAM actions "
        "| statements on `*` | routes verified |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="decompose-bench-split-") as scratch:
        _lambda_runtime(Path(scratch) / RUNTIME)
        for app in APPS:
            if wanted and app.name not in wanted:
                continue
            try:
                rows = bench(app, Path(scratch), sam, python)
            except NotSplitError as exc:
                rows = [f"| {app.name} | not split: {exc} |"]
            except RuntimeError as exc:  # an artifact that does not import here (a layer the bench does not mount)
                rows = [f"| {app.name} | not measured: {str(exc).splitlines()[0]} {str(exc).splitlines()[-1]} |"]
            for row in rows:
                print(row, flush=True)


if __name__ == "__main__":
    main()
