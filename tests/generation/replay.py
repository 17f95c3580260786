"""Run a monolith's handler and a generated handler on the same event under moto, in-process, and compare.

Fixture apps reuse `tests/iam/fixture_harness.py` (the stack from the template, one synthesized event per
route); the sample reuses its own conftest's stack and its `events/`. Each run imports the code fresh from the
given source folder, so the refactored copy is what runs.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import itertools
import json
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.iam import fixture_harness as fh

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_monolith"


@contextlib.contextmanager
def fresh_import(src: Path, module: str) -> Iterator[Any]:
    """`module` imported from `src` with every module of `src` imported anew; sys.path/sys.modules restored."""
    tops = {p.stem for p in src.iterdir() if p.suffix == ".py" or (p / "__init__.py").is_file()}

    def mine(name: str) -> bool:
        return name.split(".", 1)[0] in tops

    set_aside = {n: m for n, m in sys.modules.items() if mine(n)}
    for name in set_aside:
        del sys.modules[name]
    sys.path.insert(0, str(src))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module(module)
    finally:
        for name in [n for n in sys.modules if mine(n)]:
            del sys.modules[name]
        sys.modules.update(set_aside)
        sys.path.remove(str(src))


def normalised(response: Any) -> Any:
    """A response with run-specific values (generated ids, timestamps, signatures) masked."""
    text = json.dumps(response, sort_keys=True, default=str)
    if re.search(r"Signature(=|%3D)", text):  # a signature's URL-escaped length varies: so does the body's
        text = re.sub(r'("[Cc]ontent-[Ll]ength": \[?)"\d+"', r'\1"<length>"', text)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)
    text = re.sub(r"(Signature|Expires|X-Amz-[A-Za-z]+)=[^&\"\\\\]+", r"\1=<masked>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?", "<time>", text)
    text = re.sub(r"\d{8}T\d{6}Z", "<time>", text)
    text = re.sub(r"[0-9a-f]{8,}", "<hex>", text)
    text = re.sub(r"[A-Za-z0-9+/]{16,}={0,2}", "<b64>", text)  # presigned-POST policies and signatures
    return json.loads(text)


def _deterministic_ids(mp: pytest.MonkeyPatch) -> None:
    """uuid4() yields the same sequence in every run, so generated ids (and what embeds them) compare."""
    counter = itertools.count(1)
    mp.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))


def run_fixture(fixture: str, src: Path, handler: str, case: fh.Case) -> Any:
    """The response of `handler` (module.function under `src`) to the case's event, on a fresh moto stack."""
    event = fh.build_event(case)
    module_name, _, function = handler.rpartition(".")
    with pytest.MonkeyPatch.context() as mp:
        _deterministic_ids(mp)
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            mp.delenv(key, raising=False)
        base = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": fh.REGION}
        for key, value in {**base, "AWS_REGION": fh.REGION, **fh.environment(fixture)}.items():
            mp.setenv(key, value)
        with mock_aws():
            mp.setattr(boto3, "DEFAULT_SESSION", None)
            fh.create_resources(fixture)
            fh.seed(fixture)
            with fresh_import(src, module_name) as module:
                try:
                    return getattr(module, function)(event, fh._lambda_context(fixture))
                except Exception as exc:  # the same failure on both sides is the same behaviour
                    return {"raised": type(exc).__name__, "message": str(exc)}


@functools.cache
def _sample_conftest() -> Any:
    name = "sample_conftest_for_replay"
    spec = importlib.util.spec_from_file_location(name, SAMPLE / "tests" / "conftest.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def run_sample(src: Path, handler: str, event_name: str) -> Any:
    """The response of `handler` under `src` to `sample_monolith/events/<event_name>.json` on the sample's
    own seeded moto stack (its conftest's `_create_stack` and `_seed`)."""
    conftest = _sample_conftest()
    event = json.loads((SAMPLE / "events" / f"{event_name}.json").read_text())
    module_name, _, function = handler.rpartition(".")
    with pytest.MonkeyPatch.context() as mp:
        _deterministic_ids(mp)
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            mp.delenv(key, raising=False)
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": conftest.REGION,
            "AWS_REGION": conftest.REGION,
            "LOG_LEVEL": "INFO",
            "INVOICE_URL_TTL_SECONDS": "900",
        }.items():
            mp.setenv(key, value)
        with mock_aws():
            shop = conftest._create_stack(mp)
            conftest._seed(shop)
            with fresh_import(src, module_name) as module:
                try:
                    return getattr(module, function)(event, None)
                except Exception as exc:  # the same failure on both sides is the same behaviour
                    return {"raised": type(exc).__name__, "message": str(exc)}
