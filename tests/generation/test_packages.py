"""Per-function packages: the import closure of the handler, its requirement lines, its environment, the Makefile."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from decompose.domain.model import Severity
from decompose.domain.plan import GENERATED_MARKER
from decompose.generation.packages import (
    MAKEFILE,
    Packaging,
    PackagingError,
    _shell_word,
    build_packages,
)
from decompose.pipeline import analyze
from tests.conftest import sam_template, write_app

EVENT = """
GetThing:
  Type: Api
  Properties:
    Path: /things/{id}
    Method: get
"""
MONOLITH_ENV = """
      Environment:
        Variables:
          THINGS_TABLE: things
          UNUSED_TABLE: unused
          POWERTOOLS_SERVICE_NAME: shop
"""


def package_app(
    tmp_path: Path,
    sources: dict[str, str],
    requirements: str = "boto3>=1.34\n",
    environment: str = MONOLITH_ENV,
    requirements_at: str = "src/requirements.txt",
) -> Packaging:
    """Write a one-function app (handler `handlers.get_thing`), analyze it and package it."""
    template = sam_template(EVENT, handler="handlers.get_thing.lambda_handler")
    template = template.replace("      Events:\n", environment.lstrip("\n") + "      Events:\n")
    files: dict[str, str] = {f"src/{k}": v for k, v in sources.items()}
    write_app(tmp_path, {**files, "template.yaml": template, requirements_at: requirements})
    function = analyze(tmp_path).functions[0]
    return build_packages(tmp_path / "src", [function], root=tmp_path, monolith=function.spec)


HANDLER = """
    from things import service

    def lambda_handler(event, context):
        return service.get_thing(event["pathParameters"]["id"])
"""


def test_closure_counts_import_time_imports_parents_and_relative_imports(tmp_path: Path) -> None:
    """Parents' __init__, conditional/try imports at module level and relative imports are packaged; nothing else."""
    pkg = package_app(
        tmp_path,
        {
            "handlers/__init__.py": "",
            "handlers/get_thing.py": HANDLER,
            "things/__init__.py": "from . import registry\n",
            "things/registry.py": "NAMES = {}\n",
            "things/service.py": """
                import os
                from typing import TYPE_CHECKING
                from .store import load
                if os.environ.get("FAST"):
                    import things.fast as impl
                else:
                    import things.slow as impl
                try:
                    from things import optional
                except ImportError:
                    optional = None
                if TYPE_CHECKING:
                    from things import typing_only

                def get_thing(thing_id):
                    return load(thing_id)
            """,
            "things/store.py": "def load(thing_id):\n    return {'id': thing_id}\n",
            "things/fast.py": "",
            "things/slow.py": "",
            "things/optional.py": "",
            "things/typing_only.py": "import fpdf\n",
            "other.py": "import fpdf\n",
        },
    )
    package = pkg.packages[0]
    assert package.files == (
        "handlers/__init__.py",
        "handlers/get_thing.py",
        "things/__init__.py",
        "things/fast.py",
        "things/optional.py",
        "things/registry.py",
        "things/service.py",
        "things/slow.py",
        "things/store.py",
    )
    assert package.distributions == ()


def test_function_local_imports_count_only_in_reached_definitions(tmp_path: Path) -> None:
    """An import inside a function the route calls is packaged; one inside an unreached function is not."""
    pkg = package_app(
        tmp_path,
        {
            "handlers/get_thing.py": HANDLER,
            "things/__init__.py": "",
            "things/service.py": """
                def get_thing(thing_id):
                    from things import lazy
                    return lazy.load(thing_id)

                def render_pdf(thing):
                    import fpdf
                    from things import pdf
                    return pdf.render(fpdf, thing)
            """,
            "things/lazy.py": "def load(thing_id):\n    return thing_id\n",
            "things/pdf.py": "def render(lib, thing):\n    return lib\n",
        },
        requirements="boto3>=1.34\nfpdf2>=2.7.8\n",
    )
    package = pkg.packages[0]
    assert "things/lazy.py" in package.files
    assert "things/pdf.py" not in package.files
    assert package.distributions == ()


def test_distributions_keep_the_requirements_spelling_and_listed_pins_of_dependencies(tmp_path: Path) -> None:
    """boto3 is written as requirements.txt spells it, and the project's botocore pin comes along; fpdf2 does not."""
    pkg = package_app(
        tmp_path,
        {
            "handlers/get_thing.py": HANDLER,
            "things/__init__.py": "",
            "things/service.py": """
                import boto3

                TABLE = boto3.resource("dynamodb").Table("things")

                def get_thing(thing_id):
                    return TABLE.get_item(Key={"id": thing_id})
            """,
        },
        requirements="# the app's pins\nBoto3[crt] >= 1.34  # client\nbotocore==1.44.8\nfpdf2>=2.7.8\n",
    )
    package = pkg.packages[0]
    assert package.distributions == ("Boto3[crt] >= 1.34", "botocore==1.44.8")
    requirements = dict(pkg.files)[".decompose/requirements/ApiFunction.txt"]
    assert requirements.startswith(f"# {GENERATED_MARKER}")
    assert requirements.splitlines()[2:] == ["Boto3[crt] >= 1.34", "botocore==1.44.8"]


BOTO_SERVICE = """
    import boto3
    import yaml
    from botocore.config import Config

    def get_thing(thing_id):
        return boto3.client("s3", config=Config()), yaml
"""


def test_only_what_the_monoliths_build_installs_is_installed(tmp_path: Path) -> None:
    """Listed: its line; brought by a listed requirement: pip brings it; neither: not installed, an info."""
    sources = {"handlers/get_thing.py": HANDLER, "things/__init__.py": "", "things/service.py": BOTO_SERVICE}
    pkg = package_app(tmp_path, sources, requirements="boto3>=1.34\n")
    assert pkg.packages[0].distributions == ("boto3>=1.34",)  # botocore comes with boto3
    finding = next(f for f in pkg.findings if f.rule == "distribution-not-installed")
    assert "imports PyYAML" in finding.message
    assert (finding.severity, str(finding.location)) == (Severity.INFO, "src/requirements.txt")


def test_a_dependency_of_a_requirement_the_function_does_not_install_is_installed_unpinned(tmp_path: Path) -> None:
    """botocore alone (boto3 listed, not imported): installed by name, with the requirement that brings it."""
    service = "from botocore.config import Config\n\ndef get_thing(thing_id):\n    return Config()\n"
    sources = {"handlers/get_thing.py": HANDLER, "things/__init__.py": "", "things/service.py": service}
    pkg = package_app(tmp_path, sources, requirements="boto3>=1.34\n")
    assert pkg.packages[0].distributions == ("botocore",)
    finding = next(f for f in pkg.findings if f.rule == "unlisted-distribution")
    assert "the monolith gets through 'boto3>=1.34'" in finding.message


def test_no_requirements_at_the_code_uri_installs_nothing(tmp_path: Path) -> None:
    """SAM installs only the CodeUri's requirements.txt for the monolith; a root one is not installed."""
    sources = {"handlers/get_thing.py": HANDLER, "things/__init__.py": "", "things/service.py": BOTO_SERVICE}
    pkg = package_app(tmp_path, sources, requirements="boto3>=1.34\n", requirements_at="requirements.txt")
    assert pkg.packages[0].distributions == ()
    assert {f.rule for f in pkg.findings} >= {"distribution-not-installed"}
    assert "requirement" not in dict(pkg.files)[MAKEFILE].split("build-ApiFunction:")[1]


def test_unknown_import_is_a_finding_and_not_installed(tmp_path: Path) -> None:
    """An import that matches no requirement or installed distribution is reported with file:line."""
    pkg = package_app(
        tmp_path,
        {
            "handlers/get_thing.py": HANDLER,
            "things/__init__.py": "",
            "things/service.py": "import surely_not_installed_xyz\n\ndef get_thing(thing_id):\n    return thing_id\n",
        },
    )
    assert pkg.packages[0].distributions == ()
    finding = next(f for f in pkg.findings if f.rule == "unknown-distribution")
    assert str(finding.location) == "src/things/service.py:1"


def test_environment_is_what_packaged_code_reads(tmp_path: Path) -> None:
    """Import-time reads and reads in the reach count; an unreached function's read does not."""
    pkg = package_app(
        tmp_path,
        {
            "handlers/get_thing.py": HANDLER,
            "things/__init__.py": "",
            "things/service.py": """
                import os
                from os import environ as env, getenv

                TABLE = os.environ["THINGS_TABLE"]
                DEBUG = "DEBUG" in env

                def get_thing(thing_id):
                    return getenv("REGION_NAME", "eu") + TABLE

                def unused():
                    return os.environ.get("UNUSED_TABLE")
            """,
        },
    )
    assert pkg.packages[0].environment == ("DEBUG", "REGION_NAME", "THINGS_TABLE")
    assert not [f for f in pkg.findings if f.rule == "computed-environment"]


def test_computed_environment_keeps_every_monolith_variable(tmp_path: Path) -> None:
    """A read whose name is computed keeps all of the monolith's variables, with a finding at its line."""
    pkg = package_app(
        tmp_path,
        {
            "handlers/get_thing.py": HANDLER,
            "things/__init__.py": "",
            "things/service.py": """
                import os

                def get_thing(thing_id):
                    return os.environ[f"{thing_id}_TABLE"]
            """,
        },
    )
    assert set(pkg.packages[0].environment) >= {"THINGS_TABLE", "UNUSED_TABLE", "POWERTOOLS_SERVICE_NAME"}
    finding = next(f for f in pkg.findings if f.rule == "computed-environment")
    assert (str(finding.location), finding.severity) == ("src/things/service.py:4", Severity.WARNING)


def test_library_environment_goes_with_the_distribution(tmp_path: Path) -> None:
    """A function that installs Powertools keeps the monolith's own POWERTOOLS_* variables."""
    pkg = package_app(
        tmp_path,
        {
            "handlers/get_thing.py": HANDLER,
            "things/__init__.py": "",
            "things/service.py": """
                from aws_lambda_powertools import Logger

                logger = Logger()

                def get_thing(thing_id):
                    return thing_id
            """,
        },
        requirements="aws-lambda-powertools>=3.0\n",
    )
    package = pkg.packages[0]
    assert package.distributions == ("aws-lambda-powertools>=3.0",)
    assert package.environment == ("POWERTOOLS_SERVICE_NAME",)


def test_a_user_makefile_at_the_code_uri_is_an_error(tmp_path: Path) -> None:
    """decompose never overwrites a Makefile it did not generate: the error names it."""
    with pytest.raises(PackagingError) as error:
        package_app(tmp_path, {"handlers/get_thing.py": HANDLER, "things/__init__.py": "", "Makefile": "all:\n"})
    assert str(error.value).startswith("src/Makefile:1: a Makefile decompose did not generate")


def test_regenerating_keeps_targets_of_functions_split_earlier(tmp_path: Path) -> None:
    """A generated Makefile's other targets survive; the same input gives the same text."""
    sources = {
        "handlers/get_thing.py": HANDLER,
        "things/__init__.py": "",
        "things/service.py": "def get_thing(thing_id):\n    return thing_id\n",
    }
    first = package_app(tmp_path, sources)
    makefile = dict(first.files)[MAKEFILE]
    earlier = makefile.replace("ApiFunction", "OlderFunction")
    (tmp_path / "src" / MAKEFILE).write_text(earlier, encoding="utf-8")
    function = analyze(tmp_path).functions[0]
    second = build_packages(tmp_path / "src", [function], root=tmp_path, monolith=function.spec)
    text = dict(second.files)[MAKEFILE]
    assert "build-OlderFunction:" in text
    assert "build-ApiFunction:" in text
    (tmp_path / "src" / MAKEFILE).write_text(text, encoding="utf-8")
    third = build_packages(tmp_path / "src", [function], root=tmp_path, monolith=function.spec)
    assert dict(third.files)[MAKEFILE] == text


def test_makefile_target_copies_exactly_the_package(tmp_path: Path) -> None:
    """`make build-<Id>` (as SAM runs it) copies exactly the package's files, paths kept."""
    pkg = package_app(
        tmp_path,
        {
            "handlers/get_thing.py": HANDLER,
            "things/__init__.py": "",
            "things/service.py": "def get_thing(thing_id):\n    return thing_id\n",
            "unrelated.py": "",
        },
        requirements="",
    )
    (tmp_path / "src" / MAKEFILE).write_text(dict(pkg.files)[MAKEFILE], encoding="utf-8")
    artifacts = tmp_path / "artifacts dir"
    artifacts.mkdir()
    subprocess.run(
        ["make", "--makefile", "Makefile", "build-ApiFunction"],
        cwd=tmp_path / "src",
        env={"ARTIFACTS_DIR": str(artifacts), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    copied = sorted(p.relative_to(artifacts).as_posix() for p in artifacts.rglob("*") if p.is_file())
    assert copied == list(pkg.packages[0].files)


@pytest.mark.parametrize("path", ["../secrets.py", "/etc/passwd", "a\nb.py"])
def test_paths_cannot_leave_the_code_root(path: str) -> None:
    """A path that escapes the code root or breaks a recipe line is refused."""
    with pytest.raises(PackagingError):
        _shell_word(path)


def test_shell_words_are_quoted_for_make() -> None:
    """Spaces and dollars cannot split a recipe word or expand as make variables."""
    assert _shell_word("a b/$x.py") == "'a b/$$x.py'"
