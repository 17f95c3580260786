"""Map top-level import names to the PyPI distributions that provide them.

In order: the app's own requirements.txt (by normalised name), the metadata of what is installed
(`importlib.metadata.packages_distributions`), a small data table of well-known mismatches
(`data/import_names.json`: `PIL` -> `Pillow`), and last the import name itself with a finding.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import metadata, resources
from pathlib import Path

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    """PEP 503 normalisation: case and runs of -_. do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_requirements(*candidates: Path) -> dict[str, str]:
    """normalised name -> name as the first existing requirements file spells it."""
    for path in candidates:
        if path.is_file():
            names: dict[str, str] = {}
            for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
                line = raw.split("#", 1)[0].strip()
                if not line or line.startswith("-"):
                    continue
                match = _REQUIREMENT.match(line)
                if match:
                    names[normalise(match.group(1))] = match.group(1)
            return names
    return {}


@cache
def _installed() -> dict[str, list[str]]:
    return metadata.packages_distributions()


@cache
def _known() -> dict[str, str]:
    text = resources.files("decompose.analysis").joinpath("data/import_names.json").read_text(encoding="utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


class DistributionMap:
    """Resolves import names for one app, honouring its requirements.txt."""

    def __init__(self, requirements: dict[str, str]) -> None:
        self.requirements = requirements

    def distribution(self, import_name: str) -> tuple[str, bool]:
        """(distribution name, whether it was identified) for a top-level import name."""
        wanted = normalise(import_name)
        if wanted in self.requirements:
            return self.requirements[wanted], True
        candidates = [*_installed().get(import_name, []), *([_known()[import_name]] if import_name in _known() else [])]
        for candidate in candidates:
            if normalise(candidate) in self.requirements:
                return self.requirements[normalise(candidate)], True
        if candidates:
            return candidates[0], True
        return import_name, False
