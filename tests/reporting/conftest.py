"""Two real dry-run reports, built once per session: the sample monolith's and the hostile shop's."""

from __future__ import annotations

from pathlib import Path

import pytest

from decompose import dry_run
from decompose.domain.report import DryRunReport
from tests.reporting.apps import hostile_shop, sample


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="session")
def sample_report(sample_project: Path) -> DryRunReport:
    return dry_run.build_report(sample_project, import_runs=1)


@pytest.fixture(scope="session")
def hostile_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_shop(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="session")
def hostile_report(hostile_project: Path) -> DryRunReport:
    return dry_run.build_report(hostile_project, import_runs=1)
