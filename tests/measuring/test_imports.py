"""Cold import timing: each run a fresh isolated interpreter in the package's folder, with the function's
variables; an import that raises or hangs is its error line, never a number."""

from __future__ import annotations

from pathlib import Path

import pytest

from decompose.measuring.imports import PLACEHOLDER, ImportTarget, function_environment, time_imports


def _target(tmp_path: Path, source: str, environment: dict[str, str] | None = None) -> ImportTarget:
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "handler.py").write_text(source, encoding="utf-8")
    return ImportTarget("F", folder, "handler", environment or {})


def test_each_run_is_timed(tmp_path: Path) -> None:
    """Three runs of an import that does real work give three CPU times and a positive median."""
    target = _target(tmp_path, "import json\nDATA = [json.dumps(list(range(200))) for _ in range(300)]\n")
    (timing,) = time_imports([target], 3).values()
    assert timing.error is None
    assert len(timing.runs_ms) == 3
    assert timing.median_ms is not None
    assert timing.median_ms > 0


def test_the_import_sees_the_functions_variables_and_no_real_credentials(tmp_path: Path) -> None:
    """A module reading its table name at import succeeds; AWS credentials are the dry run's fakes."""
    source = (
        "import os\n"
        "TABLE = os.environ['ORDERS_TABLE']\n"
        "assert os.environ['AWS_ACCESS_KEY_ID'] == 'decompose-dry-run'\n"
        "assert os.environ['AWS_LAMBDA_FUNCTION_NAME'] == 'GetOrderFunction'\n"
    )
    env = function_environment([("ORDERS_TABLE", {"Ref": "OrdersTable"})], "GetOrderFunction")
    assert env["ORDERS_TABLE"] == PLACEHOLDER
    (timing,) = time_imports([_target(tmp_path, source, env)], 1).values()
    assert timing.error is None


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("raise RuntimeError('no config')\n", "RuntimeError: no config"),
        ("import os\nos.environ['MISSING']\n", "KeyError: 'MISSING'"),
        ("while True:\n    pass\n", "the import did not finish within 1 s"),
    ],
)
def test_a_failing_import_is_its_error(tmp_path: Path, source: str, error: str) -> None:
    """An import that raises shows its last error line; one that hangs is stopped at the timeout."""
    (timing,) = time_imports([_target(tmp_path, source)], 2, timeout=1).values()
    assert timing.runs_ms == ()
    assert timing.error == error


def test_zero_runs_measure_nothing(tmp_path: Path) -> None:
    """`--import-runs 0` starts no interpreter and says the import was not measured."""
    (timing,) = time_imports([_target(tmp_path, "raise SystemExit\n")], 0).values()
    assert timing.error == "not measured (--import-runs 0)"
