"""AWS calls a third-party SDK makes inside its own methods (the SageMaker Python SDK's `ModelCard.create`).

The SDK's method calls boto3 itself, out of the project's sight, so the call site shows no botocore operation.
`data/sdk_libraries.json` says, per SDK and with its source, which classes the call finder follows as library
objects (`LibraryTable.constructors`), which of their attributes are boto3 clients (`Session().sagemaker_client`:
its calls are ordinary SDK calls then), which functions return an instance (`ModelCard.load`), and the botocore
operations each method makes. The finder records those methods as library calls; `library_operations` turns
each into the SDK calls it stands for, so binding, findings and policies treat them like any other call.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources as package_files
from typing import Any

from decompose.domain.iam import LibraryCall, SdkCall


@functools.cache
def _data() -> dict[str, Any]:
    text = package_files.files("decompose.iam").joinpath("data/sdk_libraries.json").read_text(encoding="utf-8")
    return json.loads(text)


def _spellings(name: str, aliases: dict[str, str]) -> list[str]:
    """`sagemaker.model_card.ModelCard().create` and the same through every alias of its class."""
    out = [name]
    for alias, canonical in aliases.items():
        if name.startswith(canonical + "(") or name.startswith(canonical + "."):
            out.append(alias + name.removeprefix(canonical))
    return out


@functools.cache
def sdk_library() -> tuple[frozenset[str], dict[str, str], dict[str, str], dict[str, tuple[tuple[str, str], ...]]]:
    """(classes followed, client attributes -> service, functions -> the class they return an instance of,
    methods -> their (service, operation) calls), every alias spelling included."""
    classes: set[str] = set()
    clients: dict[str, str] = {}
    returns: dict[str, str] = {}
    calls: dict[str, tuple[tuple[str, str], ...]] = {}
    for sdk in _data()["sdks"].values():
        aliases = sdk.get("aliases", {})
        for cls in sdk["classes"]:
            classes.update(_spellings(cls, aliases))
        for name, service in sdk["clients"].items():
            clients.update(dict.fromkeys(_spellings(name, aliases), service))
        for name, cls in sdk["returns"].items():
            returns.update(dict.fromkeys(_spellings(name, aliases), cls))
        for name, entry in sdk["calls"].items():
            operations = tuple(tuple(op.split(".", 1)) for op in entry["operations"])
            calls.update(dict.fromkeys(_spellings(name, aliases), operations))  # type: ignore[arg-type]
    return frozenset(classes), clients, returns, calls


def library_operations(used: Iterable[LibraryCall]) -> list[SdkCall]:
    """The SDK calls the recorded library calls make inside the library, each at its call site."""
    calls = sdk_library()[3]
    out: list[SdkCall] = []
    for call in used:
        for service, operation in calls.get(call.function, ()):
            out.append(SdkCall(service, operation, call.location, via=f"inside {call.function}"))
    return out


def is_sdk_library_call(call: LibraryCall) -> bool:
    return call.function in sdk_library()[3]
