"""Cold import time: how long a handler module takes to import in a fresh interpreter, as a Lambda init would.

Each target is a folder holding exactly one package (the monolith's code, or a new function's files) and the
module its handler names. Each run is a new `python -I -B` (the interpreter decompose runs on: isolated from
`PYTHON*` variables and the user's site, writing no bytecode, so first-party modules compile from source on every
run as they do on Lambda's read-only `/var/task`), started in the target folder with that folder first on
`sys.path` and the installed distributions after it. What is timed is the CPU time of the `import` alone
(`time.process_time`, interpreter start-up excluded; CPU rather than wall time because this machine may be
busy), and the report shows the median of the runs. The targets are interleaved within each round, so a burst of
load hits them alike.

The import runs the user's module-level code. It runs with the function's environment variables (a template
value that is an intrinsic gets a placeholder), fake AWS credentials, a region, the instance metadata service
turned off and `AWS_CONFIG_FILE`/`AWS_SHARED_CREDENTIALS_FILE` pointing nowhere, in a scratch copy, with a
timeout; an import that fails or hangs is reported with its last error line, never retried.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from decompose.domain.report import ImportTiming

TIMEOUT = 60.0  # seconds one import may take
MARK = "__decompose_import_cpu_seconds__="
_CHILD = (
    "import importlib, sys, time\n"
    "folder, module = sys.argv[1], sys.argv[2]\n"
    "sys.path.insert(0, folder)\n"
    "start = time.process_time()\n"
    "importlib.import_module(module)\n"
    "spent = time.process_time() - start\n"
    f"sys.stdout.write('\\n{MARK}' + repr(spent) + '\\n')\n"
)
PLACEHOLDER = "decompose-dry-run-placeholder"
AWS_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "decompose-dry-run",
    "AWS_SECRET_ACCESS_KEY": "decompose-dry-run",
    "AWS_SESSION_TOKEN": "decompose-dry-run",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@dataclass(frozen=True)
class ImportTarget:
    """One package to time: a key naming it in the result, its folder, the handler's module and its variables."""

    key: str
    folder: Path
    module: str
    environment: Mapping[str, str]


def time_imports(
    targets: Sequence[ImportTarget], runs: int, *, timeout: float = TIMEOUT, python: str | None = None
) -> dict[str, ImportTiming]:
    """Each target's import timed `runs` times (interleaved); `runs` 0 measures nothing."""
    if runs <= 0:
        return {t.key: ImportTiming(t.module, error="not measured (--import-runs 0)") for t in targets}
    interpreter = python or sys.executable
    times: dict[str, list[float]] = {t.key: [] for t in targets}
    errors: dict[str, str] = {}
    for _ in range(runs):
        for target in targets:
            if target.key in errors:
                continue
            spent, error = _run_once(interpreter, target, timeout)
            if error is not None:
                errors[target.key] = error
            else:
                times[target.key].append(round(spent * 1000, 1))
    return {
        t.key: ImportTiming(t.module, error=errors[t.key])
        if t.key in errors
        else ImportTiming(t.module, tuple(times[t.key]))
        for t in targets
    }


def function_environment(variables: Sequence[tuple[str, object]], logical_id: str) -> dict[str, str]:
    """The variables a function's code sees at import: literal template values, a placeholder for intrinsics."""
    env = {str(name): value if isinstance(value, str) else PLACEHOLDER for name, value in variables}
    return env | {"AWS_LAMBDA_FUNCTION_NAME": logical_id}


def _run_once(python: str, target: ImportTarget, timeout: float) -> tuple[float, str | None]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(target.folder),
        **AWS_ENVIRONMENT,
        **target.environment,
    }
    command = [python, "-I", "-B", "-c", _CHILD, str(target.folder), target.module]
    try:
        done = subprocess.run(
            command, cwd=target.folder, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return 0.0, f"the import did not finish within {timeout:.0f} s"
    except OSError as error:
        return 0.0, f"cannot start {python}: {error}"
    found = _mark(done.stdout)
    if done.returncode != 0 or found is None:
        return 0.0, _last_line(done.stderr) or f"the interpreter exited with {done.returncode}"
    return found, None


def _mark(stdout: str) -> float | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARK):
            try:
                return float(line.removeprefix(MARK))
            except ValueError:
                return None
    return None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return last if len(last) <= 300 else last[:297] + "..."
