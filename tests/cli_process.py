"""Run the real CLI entry point in a process of its own, with a deadline: a hang is a failure, not a stuck suite.

The child is forked from the test process (decompose is imported once, so a case costs a fraction of a
second instead of the second it takes to start Python and import botocore and cfn-lint); it writes to real
file descriptors 1 and 2 and exits with the code `decompose.cli.main` gives, as the console script would.
A child still running at the deadline is killed and reported as a hang.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from decompose.cli import main

DEADLINE = 60.0  # seconds; every case takes well under one


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class CliHangError(AssertionError):
    """The CLI did not finish before the deadline."""


def run_cli(
    *args: str, deadline: float = DEADLINE, stdout: Path | None = None, env: dict[str, str] | None = None
) -> CliResult:
    """`decompose ARGS` in a forked child: exit code, stdout, stderr, wall time. With `stdout`, the child
    writes there instead (a device such as /dev/full) and the result's stdout is empty."""
    with tempfile.TemporaryDirectory() as scratch:
        out_path = stdout or Path(scratch) / "stdout"
        err_path = Path(scratch) / "stderr"
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            _child(args, out_path, err_path, env or {})
        try:
            status = _wait(pid, start + deadline)
        except CliHangError:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise
        code = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        text = out_path.read_text(encoding="utf-8", errors="replace") if stdout is None else ""
        return CliResult(code, text, err_path.read_text(encoding="utf-8", errors="replace"), seconds)


def _child(args: tuple[str, ...], out_path: Path, err_path: Path, env: dict[str, str]) -> None:
    code = 70
    try:
        out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.dup2(err, 2)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 - lives until os._exit
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115
        os.environ.update(env)
        main.main(args=list(args), prog_name="decompose")
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # a traceback is what the tests look for
        traceback.print_exc()
        code = 70
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError):
                stream.flush()
        os._exit(code)


def _wait(pid: int, until: float) -> int:
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > until:
            raise CliHangError(f"decompose did not finish within {DEADLINE:.0f} s")
        time.sleep(0.01)
