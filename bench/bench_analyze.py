"""Benchmark `decompose.pipeline.analyze` on synthetic monoliths of growing size.

    python bench/bench_analyze.py            # 50, 100, 250, 500 and 1000 routes (~100 lines per route)
    python bench/bench_analyze.py --quick    # the two smallest sizes only (smoke test)

For each size the app is generated into a temporary directory (`bench/synth.py`), then:

* analyze --no-iam s: best wall time of `analyze(path, iam=False)` (routes and reach) in this process (best
  of 3; best of 2 for the largest size), after one import of decompose; the route count must equal the
  generated count
* analyze with IAM s: one run of the full `analyze(path)`, least-privilege policies included
* peak MB: peak RSS (Linux `VmHWM`, see `_peak_rss_mb`) of a fresh Python subprocess that imports decompose
  and runs `analyze` once; the subprocess's peak RSS just after the imports is printed as the baseline
* grimp import graph s: best wall time of `grimp.build_graph(<every top-level package>, cache_dir=None)` on
  the same tree (the top-level `app.py` module is not a package, so grimp leaves it out)

Progress goes to stderr; the Markdown table and the linearity check go to stdout.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import synth  # noqa: E402  (a sibling script, importable once bench/ is on sys.path)

SIZES = (50, 100, 250, 500, 1000)
LINES_PER_ROUTE = 100
LARGE = 1000  # from this many routes on, best of 2 instead of best of 3


@dataclass(frozen=True)
class Result:
    """One size's measurements."""

    routes: int
    modules: int
    lines: int
    analyze_s: float
    full_s: float
    peak_mb: float
    baseline_mb: float
    grimp_s: float
    parse_s: float = 0.0  # reading and `ast.parse` of every .py file of the app, nothing else

    @property
    def full_per_parse(self) -> float:
        """How many times the parse alone the full analyze takes (issue 6's goal: at most 3)."""
        return self.full_s / self.parse_s if self.parse_s else 0.0

    @property
    def s_per_kloc(self) -> float:
        """Seconds of analyze per 1,000 lines of code."""
        return self.analyze_s / (self.lines / 1000)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="only the two smallest sizes")
    parser.add_argument("--memory-of", type=Path, help=argparse.SUPPRESS)  # child mode: peak RSS of one analyze
    args = parser.parse_args(argv)
    if args.memory_of is not None:
        print(json.dumps(_child_memory(args.memory_of)))
        return 0
    sizes = SIZES[:2] if args.quick else SIZES
    results = [_measure(routes) for routes in sizes]
    print(_table(results))
    print()
    print(_linearity(results[0], results[-1]))
    print(_linearity(results[0], results[-1], full=True))
    print(f"\npython {sys.version.split()[0]} on {sys.platform}, {_cores()} cores")
    return 0


def _measure(routes: int) -> Result:
    """Generate one app and take all its measurements, one process at a time."""
    modules = max(5, routes // 10)
    helpers = max(20, routes // 5)
    repeats = 2 if routes >= LARGE else 3
    with tempfile.TemporaryDirectory(prefix=f"decompose-bench-{routes}-") as tmp:
        root = Path(tmp)
        size = synth.generate(root, routes, modules, helpers, LINES_PER_ROUTE)
        _log(f"{routes} routes: {size['lines']} lines in {size['files']} files")
        parse_s = _best(lambda: _parse_all(root), repeats)
        _log(f"  ast.parse of every file best of {repeats}: {parse_s:.2f} s")
        analyze_s = _best(lambda: _analyze_checked(root, routes, iam=False), repeats)
        _log(f"  analyze --no-iam best of {repeats}: {analyze_s:.2f} s")
        full_s = _best(lambda: _analyze_checked(root, routes, iam=True), 1)
        _log(f"  analyze with IAM: {full_s:.2f} s")
        grimp_s = _best(lambda: _grimp_graph(root), repeats)
        _log(f"  grimp best of {repeats}: {grimp_s:.2f} s")
        memory = _memory_subprocess(root)
        _log(f"  peak RSS {memory['peak_mb']:.0f} MB (baseline {memory['baseline_mb']:.0f} MB)")
    return Result(
        routes, modules, size["lines"], analyze_s, full_s, memory["peak_mb"], memory["baseline_mb"], grimp_s, parse_s
    )


def _parse_all(root: Path) -> None:
    """Read and parse every Python file of the app: the floor any static analysis of it pays."""
    import ast  # noqa: PLC0415  (only this measurement needs it)

    for path in sorted(root.rglob("*.py")):
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _best(run: Callable[[], object], repeats: int) -> float:
    """The best wall time of `repeats` runs of `run`."""
    times: list[float] = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def _analyze_checked(root: Path, expected: int, *, iam: bool) -> None:
    """Analyze the app and check that every generated route was found."""
    from decompose.pipeline import analyze  # noqa: PLC0415  (imported before timing by `main`)

    report = analyze(root, iam=iam)
    found = sum(len(function.routes) for function in report.functions)
    assert found == expected, f"analyze found {found} routes, generated {expected}"


def _grimp_graph(root: Path) -> None:
    """Build grimp's import graph of every top-level package under `root/src`, without its cache."""
    import grimp  # noqa: PLC0415

    src = str(root / "src")
    packages = synth.packages_of(root)
    sys.path.insert(0, src)
    importlib.invalidate_caches()
    try:
        graph = grimp.build_graph(*packages, cache_dir=None)
        assert graph.modules, "grimp found no modules"
    finally:
        sys.path.remove(src)
        for name in [n for n in sys.modules if n.split(".")[0] in packages]:
            del sys.modules[name]
        importlib.invalidate_caches()


def _memory_subprocess(root: Path) -> dict[str, float]:
    """Peak RSS of a fresh interpreter that runs one analyze of `root`."""
    command = [sys.executable, str(Path(__file__).resolve()), "--memory-of", str(root)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _child_memory(root: Path) -> dict[str, float]:
    """Child mode: import decompose, note peak RSS, analyze once, note peak RSS again."""
    from decompose.pipeline import analyze  # noqa: PLC0415

    baseline = _peak_rss_mb()
    analyze(root)
    return {"baseline_mb": baseline, "peak_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    """This process's peak RSS in MiB.

    Linux's `VmHWM` (/proc/self/status) belongs to the process image and starts afresh at exec; `ru_maxrss`
    is carried over from the parent through fork and exec, so a child of a big benchmark process would report
    the parent's peak. `ru_maxrss` (KiB on Linux) is the fallback elsewhere.
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _table(results: list[Result]) -> str:
    """The Markdown table of all sizes."""
    rows = [
        "| routes | modules | lines | ast.parse s | analyze --no-iam s | s per 1k lines | analyze with IAM s "
        "| with IAM / parse | peak MB | grimp s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows.append(
            f"| {r.routes} | {r.modules} | {r.lines:,} | {r.parse_s:.2f} | {r.analyze_s:.2f} | {r.s_per_kloc:.3f} "
            f"| {r.full_s:.2f} | {r.full_per_parse:.1f}x | {r.peak_mb:.0f} | {r.grimp_s:.2f} |"
        )
    baselines = ", ".join(f"{r.baseline_mb:.0f}" for r in results)
    rows.append(f"\npeak MB is max RSS of a fresh process; RSS after importing decompose: {baselines} MB")
    return "\n".join(rows)


def _linearity(small: Result, large: Result, *, full: bool = False) -> str:
    """How analyze time (`full`: with IAM) grew against code size between the smallest and the largest app."""
    size_ratio = large.lines / small.lines
    time_ratio = large.full_s / small.full_s if full else large.analyze_s / small.analyze_s
    if size_ratio <= 1:
        return "linearity: only one size measured"
    exponent = math.log(time_ratio) / math.log(size_ratio)
    what = "analyze with IAM" if full else "analyze"
    return (
        f"linearity: lines x{size_ratio:.1f}, {what} time x{time_ratio:.1f} "
        f"(time/size ratio {time_ratio / size_ratio:.2f}; fitted exponent {exponent:.2f}, 1.00 = linear)"
    )


def _cores() -> int:
    return os.cpu_count() or 1


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    from decompose.pipeline import analyze as _warm  # noqa: F401  (import cost stays out of the timings)

    sys.exit(main())
