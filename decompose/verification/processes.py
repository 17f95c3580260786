"""Start the runner (`runner.py`) in fresh interpreters, at most two at a time, and read back what they wrote.

Each variant runs as `python -B -I -m decompose.verification.runner JOB` in an empty working folder (`-B`: no
`__pycache__` written into the project when an in-stack function is imported from it); `-I` keeps
the user's site-packages folder, `PYTHONPATH` and the current folder off `sys.path`, so the code under test
sees only what the job puts there. (When decompose itself is importable only through `PYTHONPATH`, that
one entry is kept, and `-I` is replaced by `-s`.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import decompose

PARALLEL = 2
SECONDS_PER_EVENT = 60
SECONDS_TO_START = 60


def run_jobs(jobs: Sequence[Mapping[str, Any]], folder: Path) -> list[dict[str, Any]]:
    """Run every job (each in its own interpreter); the results in the jobs' order."""
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        out = list(pool.map(lambda pair: _run(pair[1], folder / f"job-{pair[0]}"), enumerate(jobs)))
    return out


def _command() -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("AWS_")}
    parent = str(Path(decompose.__file__).resolve().parents[1])
    from_pythonpath = parent in [
        str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p
    ]
    if from_pythonpath:
        env["PYTHONPATH"] = parent
        return [sys.executable, "-B", "-s", "-m", "decompose.verification.runner"], env
    return [sys.executable, "-B", "-I", "-m", "decompose.verification.runner"], env


def _run(job: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    output = folder / "result.json"
    job_file = folder / "job.json"
    job_file.write_text(json.dumps({**job, "output": str(output)}), encoding="utf-8")
    command, env = _command()
    timeout = SECONDS_TO_START + SECONDS_PER_EVENT * max(1, len(job["events"]))
    try:
        done = subprocess.run(
            [*command, str(job_file)], cwd=folder, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"failure": f"the runner did not finish in {timeout} s (a handler that never returns?)", "events": []}
    if not output.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return {"failure": f"the runner stopped: {tail[0]}", "events": []}
    return json.loads(output.read_text(encoding="utf-8"))
