"""The package's shape: dependencies point inward, and the shipped wheel carries its templates and data."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import networkx as nx
import pytest

from tests.conftest import FIXTURES, REPO

PACKAGE = REPO / "decompose"

# Outermost first. A module may import from its own layer's package and from any layer below it.
LAYERS = [
    ["decompose.cli", "decompose.__main__", "decompose.wizard"],
    [  # the use cases: analyze; plan, apply; dry run; verify; the wizard's offer; the pull request
        "decompose.pipeline",
        "decompose.splitting",
        "decompose.dry_run",
        "decompose.verifying",
        "decompose.proposing",
        "decompose.publishing",
    ],
    [
        "decompose.planning",
        "decompose.refactoring",
        "decompose.generation",
        "decompose.changes",
        "decompose.reporting",
        "decompose.measuring",
        "decompose.verification",
        "decompose.rules",
        "decompose.iam",
        "decompose.analysis",
    ],
    ["decompose.loading"],
    ["decompose.errors"],
    ["decompose.domain"],
]


def _layer(module: str) -> int | None:
    for index, names in enumerate(LAYERS):
        if any(module == n or module.startswith(n + ".") for n in names):
            return index
    return None


def _import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph.add_node(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("decompose"):
                graph.add_edge(module, node.module)
            elif isinstance(node, ast.Import):
                graph.add_edges_from((module, a.name) for a in node.names if a.name.startswith("decompose"))
    return graph


def test_dependencies_point_inward() -> None:
    """No module imports from an outer layer (cli > use cases > stages > loading > errors > domain)."""
    outward = [
        (a, b)
        for a, b in _import_graph().edges
        if _layer(a) is not None and _layer(b) is not None and _layer(b) < _layer(a)  # type: ignore[operator]
    ]
    assert outward == []


def test_every_module_has_a_layer() -> None:
    """A new package cannot escape the layering check: every module of decompose/ sits in a layer."""
    unplaced = sorted(m for m in _import_graph().nodes if m.startswith("decompose.") and _layer(m) is None)
    assert unplaced == []


def test_domain_model_imports_only_the_standard_library() -> None:
    """The domain model is inert: no third-party or I/O library is imported by it."""
    for path in (PACKAGE / "domain").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or name.startswith("decompose.domain"), f"{path.name}: {name}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("decompose-*.whl"))


def test_wheel_ships_templates_and_data(wheel: Path) -> None:
    """templates/ and the analysis data files are inside the built wheel."""
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "decompose/templates/analyze.md.j2" in names
    assert "decompose/templates/handler.py.j2" in names
    assert "decompose/refactoring/moves.py" in names
    assert "decompose/analysis/data/import_names.json" in names
    assert "decompose/analysis/data/input_readers.json" in names
    assert "decompose/templates/dry_run.html.j2" in names
    assert "decompose/reporting/data/dry_run.schema.json" in names
    assert "decompose/measuring/imports.py" in names


def test_installed_wheel_renders_markdown_from_its_own_templates(wheel: Path, tmp_path: Path) -> None:
    """A non-editable install (the unpacked wheel first on the path) renders the Markdown report."""
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    code = (
        "import decompose, sys; from decompose.cli import main; "
        "assert decompose.__file__.startswith(sys.argv[1]), decompose.__file__; "
        "main(['analyze', sys.argv[2], '--format', 'markdown'])"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "site"), str(FIXTURES / "match_statement")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "| `GET /notes` |" in result.stdout
