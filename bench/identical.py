"""Write every `decompose analyze --format json` report of one checkout into a folder, and compare two folders.

    python bench/identical.py write OUT [--code DIR] [--sizes 50 250] [--only NAME]
    python bench/identical.py compare A B      # byte for byte; exit 1 on a difference

The decompose that runs is the one the interpreter imports (`python -m decompose`), or the package under
`--code DIR` (put first on `PYTHONPATH`): the same venv then runs both sides, which matters because a report
gives the installed size of each distribution, and two venvs differ there (their `__pycache__`). Before and
after a change, with the base exported by `git archive`:

    mkdir /tmp/base && git archive main | tar -x -C /tmp/base
    .venv/bin/python bench/identical.py write /tmp/before --code /tmp/base
    .venv/bin/python bench/identical.py write /tmp/after
    .venv/bin/python bench/identical.py compare /tmp/before /tmp/after

The inputs always come from the checkout holding this script (so both sides read the same apps): `sample_monolith`,
every `tests/fixtures` app, the synthetic apps of `bench/synth.py` at the given sizes (the bench's modules and
helpers per size) and the corpus apps of `bench/corpus.yaml`, extracted from their mirrors as `bench/corpus.py`
does. Each app is analyzed in a fresh copy named `app` in a new temporary folder, from that folder (`analyze .`
or the corpus's arguments); reports hold paths relative to it only. Per app, `NAME.json` is the report as
printed (stdout) and `NAME.exit` the exit status with stderr's last line; both are compared. The JSON report
has no timing field.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import yaml

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import corpus  # noqa: E402  (bench/ is not a package)
import synth  # noqa: E402

DEFAULT_SIZES = (50, 250)
TIMEOUT_S = 1800


def apps(sizes: Sequence[int], mirror: Path) -> Iterator[tuple[str, Path | str, list[str], Path | None]]:
    """(name, folder to copy or a reason it is missing, analyze arguments, folder to remove after)."""
    yield "sample_monolith", ROOT / "sample_monolith", ["."], None
    for fixture in sorted(p for p in (ROOT / "tests" / "fixtures").iterdir() if p.is_dir()):
        yield f"fixture-{fixture.name}", fixture, ["."], None
    for routes in sizes:
        tmp = Path(tempfile.mkdtemp(prefix="identical-synth-"))
        synth.generate(tmp, routes, max(5, routes // 10), max(20, routes // 5), 100)
        yield f"synth-{routes}", tmp, ["."], tmp
    for app in yaml.safe_load(corpus.CORPUS.read_text())["apps"]:
        tmp = Path(tempfile.mkdtemp(prefix="identical-corpus-"))
        folder = corpus.materialize(app, mirror, tmp)
        yield f"corpus-{app['name']}", folder, list(app["invoke"]), tmp


def analyze(folder: Path, invoke: Sequence[str], code: Path | None) -> tuple[str, str]:
    """The report (stdout) and `exit status: last stderr line` of one analyze run in a fresh copy of the app."""
    parent = Path(tempfile.mkdtemp(prefix="identical-run-"))
    work = parent / "app"  # the same folder name every time (reports hold no absolute path)
    shutil.copytree(folder, work, symlinks=True)
    env = dict(os.environ)
    if code is not None:  # before the venv's editable install of this checkout (the app folder holds no decompose)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(code.resolve()), env.get("PYTHONPATH")) if p)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "decompose", "analyze", *invoke, "--format", "json", "--no-color"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    last = (done.stderr.strip().splitlines() or [""])[-1]
    return done.stdout, f"{done.returncode}: {last}\n"


def write(out: Path, sizes: Sequence[int], mirror: Path, only: Sequence[str], code: Path | None) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for name, folder, invoke, cleanup in apps(sizes, mirror):
        try:
            if only and name not in only:
                continue
            print(f"identical: {name} ...", file=sys.stderr, flush=True)
            if isinstance(folder, str):
                report, status = "", f"missing: {folder}\n"
            else:
                report, status = analyze(folder, invoke, code)
            (out / f"{name}.json").write_text(report)
            (out / f"{name}.exit").write_text(status)
        finally:
            if cleanup is not None:
                shutil.rmtree(cleanup, ignore_errors=True)
    return 0


def compare(before: Path, after: Path) -> int:
    names = sorted({p.name for p in before.iterdir()} | {p.name for p in after.iterdir()})
    differ = [n for n in names if not (before / n).is_file() or not (after / n).is_file()]
    differ += [n for n in names if n not in differ and (before / n).read_bytes() != (after / n).read_bytes()]
    for name in sorted(differ):
        print(f"differs: {name}")
    reports = sum(1 for n in names if n.endswith(".json"))
    print(f"{reports} reports, {len(differ)} file(s) differ" if differ else f"{reports} reports, all identical")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write", help="write every report of this interpreter's decompose into OUT")
    w.add_argument("out", type=Path)
    w.add_argument("--sizes", type=int, nargs="*", default=list(DEFAULT_SIZES), help="synthetic app sizes (routes)")
    w.add_argument("--mirror", type=Path, default=corpus.DEFAULT_MIRROR)
    w.add_argument("--only", action="append", default=[], help="only this app name (repeatable)")
    w.add_argument("--code", type=Path, help="run the decompose package under this folder instead")
    c = sub.add_parser("compare", help="compare two folders written by `write`")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "write":
        return write(args.out, args.sizes, args.mirror, args.only, args.code)
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
