"""The packages verify runs a variant from, as `sam build` makes them (no make target: the whole CodeUri)."""

from __future__ import annotations

from pathlib import Path

from decompose.verification.packaging import materialise


def _app(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_only_the_code_uris_requirements_are_installed(tmp_path: Path) -> None:
    """SAM's python builder reads requirements.txt at the CodeUri: one beside the template installs nothing."""
    root = _app(tmp_path, {"requirements.txt": "jinja2\n", "src/app.py": "import jinja2\n"})
    package = materialise(root / "src", "Fn", None, tmp_path / "out")
    assert "jinja2" not in package.distributions
    assert "boto3" in package.distributions  # the Lambda runtime's
    assert package.source == "CodeUri src/ as a whole, no requirements.txt"
    (root / "src" / "requirements.txt").write_text("jinja2\n", encoding="utf-8")
    package = materialise(root / "src", "Fn", None, tmp_path / "out")
    assert {"jinja2", "markupsafe"} <= set(package.distributions)  # with what it requires
    assert "jinja2" in package.allowed
    assert package.files == ("app.py",)


def test_a_layers_requirements_are_importable(tmp_path: Path) -> None:
    """A local layer's requirements.txt (SAM builds it into the layer's python/) adds its distributions."""
    root = _app(tmp_path, {"src/app.py": "import jinja2\n", "deps/requirements.txt": "jinja2\n"})
    package = materialise(root / "src", "Fn", None, tmp_path / "out", [root / "deps"])
    assert {"jinja2", "markupsafe"} <= set(package.distributions)
