"""The anti-pattern rules' data file (`data/antipatterns.json`), read once."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from decompose.iam.libraries import sdk_library
from decompose.iam.sdk_calls import LibraryTable


@functools.cache
def rules_data() -> dict[str, Any]:
    text = resources.files("decompose.rules").joinpath("data/antipatterns.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


@functools.cache
def library_table() -> LibraryTable:
    """The library calls the IAM stage's call finder records: sleeps and HTTP requests for the rules, and the
    methods of third-party SDKs that call AWS themselves (`iam.libraries`)."""
    data = rules_data()
    functions: dict[str, tuple[int, str] | None] = {}
    for name, (index, keyword) in {**data["waits"]["sleeps"], **data["http"]["functions"]}.items():
        functions[name] = (int(index), str(keyword))
    constructors = set(data["http"]["constructors"])
    for alias, canonical in data["http"]["aliases"].items():
        constructors.add(alias)
        for name, where in list(functions.items()):
            if name.startswith(canonical + "()."):
                functions[alias + name.removeprefix(canonical)] = where
    classes, clients, returns, calls = sdk_library()  # the IAM stage's: AWS calls made inside an SDK
    functions.update(dict.fromkeys(calls))
    return LibraryTable(functions, frozenset(constructors | classes), clients, returns)


def canonical_function(name: str) -> str:
    """`requests.sessions.Session().get` -> `requests.Session().get` (the data's spelling)."""
    for alias, canonical in rules_data()["http"]["aliases"].items():
        if name.startswith(alias + "()"):
            return canonical + name.removeprefix(alias)
    return name


def guidance(rule_id: str) -> str:
    return str(rules_data()["guidance"][rule_id])
