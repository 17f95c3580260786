"""The workspace: a temp copy of the project whose differences are the change set."""

from __future__ import annotations

from pathlib import Path

import pytest

from decompose.changes.workspace import Workspace
from decompose.domain.model import FunctionSpec
from decompose.domain.plan import GENERATED_MARKER
from decompose.errors import DecomposeError
from tests.conftest import write_app


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_app(
        tmp_path / "p",
        {
            "template.yaml": "Resources: {}\n",
            "src/app.py": "x = 1\r\ny = 2\r\n",
            "src/gone.py": "z = 3\n",
            ".git/HEAD": "ref: refs/heads/main\n",
            ".venv/lib/site.py": "junk\n",
            "src/__pycache__/app.cpython-311.pyc": b"\x00\x01",
            ".aws-sam/build/x.py": "built\n",
        },
    )


def test_the_copy_leaves_out_what_is_not_the_project(project: Path) -> None:
    """.git, virtualenvs, caches and build output are not copied."""
    with Workspace(project) as ws:
        assert (ws.root / "src/app.py").is_file()
        for skipped in (".git", ".venv", ".aws-sam", "src/__pycache__"):
            assert not (ws.root / skipped).exists(), skipped


def test_change_set_sees_every_kind_of_change_with_its_part(project: Path) -> None:
    """Writes through the workspace keep their part; a file changed behind its back is a refactor change."""
    spec = FunctionSpec("F", "app.h", "src", "python3.12")
    with Workspace(project) as ws:
        ws.write("src/handlers/f.py", f"# {GENERATED_MARKER}\n", part="handler", generated=True)
        (ws.code_root(spec) / "app.py").write_text("x = 1\r\ny = 3\r\n", newline="")
        (ws.code_root(spec) / "gone.py").unlink()
        ws.write("template.yaml", "Resources: {}\n", part="template")  # same text: no change
        changes = ws.change_set().changes
    assert [(c.path, c.kind, c.part, c.generated) for c in changes] == [
        ("src/app.py", "modify", "refactor", False),
        ("src/gone.py", "delete", "refactor", False),
        ("src/handlers/f.py", "create", "handler", True),
    ]
    assert changes[0].before == "x = 1\r\ny = 2\r\n"  # line endings kept exactly
    assert "-y = 2\r\n+y = 3\r\n" in changes[0].diff().replace("\r\n", "\r\n")


def test_the_copy_is_removed_on_exit(project: Path) -> None:
    """Leaving the context deletes the temp copy."""
    with Workspace(project) as ws:
        root = ws.root
    assert not root.exists()


@pytest.mark.parametrize("rel", ["../outside.py", "/etc/passwd", "src/../../x", ""])
def test_paths_outside_the_project_are_refused(project: Path, rel: str) -> None:
    """A stage cannot write outside the workspace."""
    with Workspace(project) as ws, pytest.raises(DecomposeError):
        ws.write(rel, "x", part="handler")


def test_a_generated_file_must_carry_the_marker(project: Path) -> None:
    """Writing a generated file without GENERATED_MARKER is refused."""
    with Workspace(project) as ws, pytest.raises(DecomposeError, match="must carry"):
        ws.write("src/h.py", "print(1)\n", part="handler", generated=True)


def test_apply_changes_brings_a_fresh_copy_to_a_change_sets_result(project: Path) -> None:
    """The dry run's second copy: a change set computed in one workspace, applied to another, gives the same tree
    (created, modified with its line endings, deleted), and the original is untouched."""
    with Workspace(project) as first:
        first.write("src/app.py", "x = 10\r\n", part="refactor")
        first.write("src/new/mod.py", "n = 1\n", part="refactor")
        first.path("src/gone.py").unlink()
        change_set = first.change_set()
    with Workspace(project) as second:
        second.apply_changes(change_set)
        assert second.path("src/app.py").read_bytes() == b"x = 10\r\n"
        assert second.path("src/new/mod.py").read_text() == "n = 1\n"
        assert not second.path("src/gone.py").exists()
        assert second.change_set().changes == change_set.changes
    assert (project / "src/gone.py").is_file()


def test_export_copies_a_folder_or_listed_files_beside_the_copy(project: Path) -> None:
    """A scratch folder holds the whole code folder, or exactly a package's files; a path out of it is refused."""
    with Workspace(project) as ws:
        whole = ws.export("before", "src")
        assert sorted(p.name for p in whole.iterdir()) == ["app.py", "gone.py"]
        package = ws.export("package0", "src", ["app.py"])
        assert [p.name for p in package.rglob("*") if p.is_file()] == ["app.py"]
        assert not package.is_relative_to(ws.root)
        with pytest.raises(DecomposeError, match="not a path inside src"):
            ws.export("package1", "src", ["../template.yaml"])
        with pytest.raises(DecomposeError, match="not a scratch folder name"):
            ws.export("../out", "src")
