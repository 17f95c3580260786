"""Package sizes: requirement lines read as pip reads them, distributions sized from their RECORDs with their
dependencies, and a distribution not installed here named, never silently counted as zero."""

from __future__ import annotations

import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from decompose.measuring.sizes import distribution_sizes, package_size, requirement_lines


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("boto3>=1.34\nfpdf2==2.7.8  # invoices\n", ("boto3>=1.34", "fpdf2==2.7.8")),
        ("# comment\n\n-r other.txt\n--index-url https://x\nrequests\n", ("requests",)),
        ("pillow \\\n  >=10\n", ("pillow   >=10",)),
        ('tomli; python_version < "3.11"\n', ('tomli; python_version < "3.11"',)),
    ],
)
def test_requirement_lines(tmp_path: Path, text: str, lines: tuple[str, ...]) -> None:
    """Comments, blank lines and pip options are left out; continued lines are joined."""
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    assert requirement_lines(path) == lines


def test_a_distribution_brings_its_dependencies_with_their_sizes() -> None:
    """jinja2 brings MarkupSafe; each has its installed version and a size from its RECORD."""
    sizes = {d.name: d for d in distribution_sizes(["Jinja2>=3"])}
    assert set(sizes) == {"jinja2", "markupsafe"}
    assert sizes["markupsafe"].version == metadata.version("MarkupSafe")
    assert all(d.bytes is not None and d.bytes > 10_000 for d in sizes.values())


def test_a_distribution_not_installed_has_no_size() -> None:
    """A requirement not installed here is listed with no version and no size, so the total is a lower bound."""
    (missing,) = distribution_sizes(["surely-not-installed-decompose-test>=1"])
    assert (missing.version, missing.bytes) == (None, None)
    package = package_size(Path("."), [], ["surely-not-installed-decompose-test"])
    assert package.missing == ("surely-not-installed-decompose-test",)


def test_a_package_counts_only_its_files(tmp_path: Path) -> None:
    """The listed files' bytes, not the folder's; with no list every file but compiled ones and caches."""
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "b.py").write_text(textwrap.dedent("y = 2\nz = 3\n"), encoding="utf-8")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0" * 500)
    assert (package_size(tmp_path, ["a.py"], []).files, package_size(tmp_path, ["a.py"], []).code_bytes) == (1, 6)
    everything = package_size(tmp_path, None, [])
    assert (everything.files, everything.code_bytes) == (2, 18)
