"""CPU seconds of one `analyze` of a synthetic app, against `ast.parse` of its files in the same process.

    .venv/bin/python bench/cpu.py 250                      # full analyze (IAM), one process, no fork pool
    .venv/bin/python bench/cpu.py 1000 --no-iam            # routes and reach only
    .venv/bin/python bench/cpu.py 250 --profile out.prof   # the same under cProfile (read with pstats)

On a shared machine wall time is noise; the CPU time of a single process (`time.process_time`) is the work done,
and its ratio to the parse measured in the same process is the figure issue 6 sets a goal for (at most 3x). The
fork pool `analyze` uses for large apps is switched off, so the process's CPU time is the whole analysis. The app
is `bench/synth.py`'s at that size (the bench's modules and helpers), generated into a temporary folder first.
"""

from __future__ import annotations

import argparse
import ast
import gc
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import synth  # noqa: E402  (bench/ is not a package)


def parse_cpu(root: Path, repeats: int = 3) -> float:
    """Best CPU time of reading and parsing every Python file of the app."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.process_time()
        for path in sorted(root.rglob("*.py")):
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("routes", type=int)
    parser.add_argument("--no-iam", action="store_true")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics of the analyze here")
    args = parser.parse_args(argv)
    from decompose import pipeline  # noqa: PLC0415  (imported before timing)

    pipeline.PARALLEL_MIN_ROUTES = sys.maxsize  # one process: its CPU time is all the work
    with tempfile.TemporaryDirectory(prefix=f"decompose-cpu-{args.routes}-") as tmp:
        root = Path(tmp)
        synth.generate(root, args.routes, max(5, args.routes // 10), max(20, args.routes // 5), 100)
        parse_s = parse_cpu(root)
        gc.collect()
        if args.profile:
            import cProfile  # noqa: PLC0415

            profiler = cProfile.Profile()
            start = time.process_time()
            report = profiler.runcall(pipeline.analyze, root, iam=not args.no_iam)
            analyze_s = time.process_time() - start
            profiler.dump_stats(args.profile)
        else:
            start = time.process_time()
            report = pipeline.analyze(root, iam=not args.no_iam)
            analyze_s = time.process_time() - start
    found = sum(len(function.routes) for function in report.functions)
    assert found == args.routes, f"analyze found {found} routes, generated {args.routes}"
    kind = "--no-iam" if args.no_iam else "with IAM"
    print(
        f"{args.routes} routes: ast.parse {parse_s:.2f} CPU s, analyze {kind} {analyze_s:.2f} CPU s, "
        f"{analyze_s / parse_s:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
