"""The dry run measured: where the time of `decompose dry-run` goes on a copy of `sample_monolith/`.

`dry_run.build_report` reports its phases through its `progress` callback (computing the change set, analyzing
the project, analyzing the result, timing cold imports); this records, per phase, the wall-clock seconds, the
CPU seconds of this process and of the child interpreters (`resource.getrusage`), then the three renderings and
the peak memory. The plan extracts the three routes `make demo` extracts; `IMPORT_RUNS` runs per handler.

Run: `.venv/bin/python bench/bench_dry_run.py [IMPORT_RUNS]` (about a minute on an idle machine; prints Markdown).
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from decompose import dry_run  # noqa: E402
from decompose.reporting.dry_run import render_report  # noqa: E402
from tests.reporting.apps import SAMPLE_ROUTES, planned  # noqa: E402


def _clock() -> tuple[float, float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter(), own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else dry_run.IMPORT_RUNS
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "sample_monolith"
        shutil.copytree(REPO / "sample_monolith", root, ignore=shutil.ignore_patterns(".pytest_cache", "__pycache__"))
        planned(root, *SAMPLE_ROUTES)
        marks: list[tuple[str, tuple[float, float, float]]] = [("start", _clock())]
        report = dry_run.build_report(root, import_runs=runs, progress=lambda phase: marks.append((phase, _clock())))
        marks.append(("assembling the report", _clock()))
        for fmt in ("md", "html", "json"):
            text = render_report(report, fmt)
            marks.append((f"rendering {fmt} ({len(text.encode()) / 1000:.0f} kB)", _clock()))
    print(f"sample_monolith, 3 routes extracted, {runs} import runs per handler, load {os.getloadavg()[0]:.1f}\n")
    print("| phase | wall s | CPU s (decompose) | CPU s (child interpreters) |")
    print("|---|---:|---:|---:|")
    names = ["reading the project", *(m[0] for m in marks[1:])]
    for index in range(1, len(marks)):
        # a progress phase names what starts (its time runs to the next mark); a rendering mark names what ended
        name = names[index] if names[index].startswith("rendering") else names[index - 1]
        if names[index] == "assembling the report":
            name += ", then assembling the report"
        start, end = marks[index - 1][1], marks[index][1]
        print(f"| {name} | {end[0] - start[0]:.1f} | {end[1] - start[1]:.1f} | {end[2] - start[2]:.1f} |")
    total_start, total_end = marks[0][1], marks[-1][1]
    print(
        f"| **total** | {total_end[0] - total_start[0]:.1f} | {total_end[1] - total_start[1]:.1f} | "
        f"{total_end[2] - total_start[2]:.1f} |"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of decompose: {peak:.0f} MB")


if __name__ == "__main__":
    main()
