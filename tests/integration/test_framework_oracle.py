"""The strong oracle for the framework strategies: each fixture app is imported for real and the route
table its framework builds at run time is compared with the one decompose read statically.

- Flask: `app.url_map.iter_rules()` (HEAD/OPTIONS and the `static` rule left out; a MethodView endpoint
  is one route per verb method of its `view_class`).
- FastAPI: `fastapi.routing.iter_route_contexts(app.routes)`: since 0.137 `include_router` keeps a nested
  router node that a plain `app.routes` walk does not enter. The docs routes FastAPI adds are left out.
- Chalice: `app.routes` for the REST API handler, and `app.event_sources` / `pure_lambda_functions` for
  the functions Chalice deploys on their own.

Paths are turned into API Gateway syntax here by the test's own small converter, not decompose's.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from decompose.pipeline import analyze
from tests.conftest import FIXTURES

_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>|\{(\w+)(?::(\w+))?\}")


def _api_path(rule: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name, converter = (match.group(2), match.group(1)) if match.group(2) else (match.group(3), match.group(4))
        return "{" + name + ("+" if converter == "path" else "") + "}"

    path = _CONVERTER.sub(replace, rule)
    return path.rstrip("/") or "/"


def _qualified(function: Any) -> str:
    """The definition id decompose gives a function: module + qualname, a factory's nested view included."""
    return f"{function.__module__}.{function.__qualname__.replace('<locals>.', '')}"


@contextlib.contextmanager
def _imported(code_root: Path, module: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`module` imported from `code_root` with `env` set; the app's modules, and the loggers its import
    configured (Chalice and Flask attach handlers that a later Powertools `Logger` of the same name would
    reuse), are removed afterwards."""
    loggers = set(logging.Logger.manager.loggerDict)
    tops = {p.stem for p in code_root.iterdir() if p.suffix == ".py" or (p / "__init__.py").is_file()}
    saved = {n: m for n, m in sys.modules.items() if n.split(".")[0] in tops}
    for name in saved:
        del sys.modules[name]
    for key, value in {"AWS_DEFAULT_REGION": "us-east-1", **env}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.syspath_prepend(str(code_root))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module(module)
    finally:
        for name in [n for n in sys.modules if n.split(".")[0] in tops]:
            del sys.modules[name]
        sys.modules.update(saved)
        for name in set(logging.Logger.manager.loggerDict) - loggers:
            del logging.Logger.manager.loggerDict[name]


def _static(fixture: str) -> dict[str, dict[str, str]]:
    """Function handler -> {route id: entry}, as decompose reads it."""
    report = analyze(FIXTURES / fixture, iam=False)
    return {f.spec.handler: {r.id: r.entry for r in f.routes} for f in report.functions}


def _environment(fixture: str) -> dict[str, str]:
    report = analyze(FIXTURES / fixture, iam=False)
    return {name: "placeholder" for f in report.functions for name, _ in f.spec.environment}


def test_flask_url_map_matches_the_static_table(monkeypatch) -> None:
    """Every rule of the Flask fixture's url_map (methods, converters, blueprint prefixes, MethodView
    verbs, a view nested in the factory) is a route decompose found with that view as its entry, and no more."""
    with _imported(FIXTURES / "flask_app/src", "app", _environment("flask_app"), monkeypatch) as module:
        app = module.app
        runtime = {}
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            view = app.view_functions[rule.endpoint]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                cls = getattr(view, "view_class", None)
                entry = f"{_qualified(cls)}.{method.lower()}" if cls is not None else _qualified(view)
                runtime[f"{method} {_api_path(rule.rule)}"] = entry
    assert _static("flask_app") == {"app.lambda_handler": runtime}


def test_fastapi_route_contexts_match_the_static_table(monkeypatch) -> None:
    """Every route FastAPI serves (router prefixes concatenated, `{p:path}` greedy) is a route decompose
    found with that endpoint as its entry, and no more; FastAPI's own docs routes are not routes."""
    from fastapi.routing import iter_route_contexts  # noqa: PLC0415 - the app's framework, imported with it

    with _imported(FIXTURES / "fastapi_app/src", "main", _environment("fastapi_app"), monkeypatch) as module:
        runtime = {}
        for context in iter_route_contexts(module.app.routes):
            endpoint = context.endpoint
            if endpoint is None or endpoint.__module__.startswith(("fastapi", "starlette")):
                continue
            for method in sorted((context.methods or set()) - {"HEAD"}):
                runtime[f"{method} {_api_path(context.path)}"] = _qualified(endpoint)
    assert _static("fastapi_app") == {"main.handler": runtime}


def _chalice_source(config: Any) -> str:
    kind = type(config).__name__
    if kind == "S3EventConfig":
        return f"S3 {config.bucket}"
    if kind == "SQSEventConfig":
        return f"SQS {config.queue}"
    if kind == "SNSEventConfig":
        return f"SNS {config.topic}"
    if kind == "ScheduledEventConfig":
        expression = config.schedule_expression
        return f"Schedule {expression if isinstance(expression, str) else expression.to_string()}"
    raise AssertionError(f"no route id for {kind} in this test")


def test_chalice_routes_and_event_sources_match_the_static_table(monkeypatch) -> None:
    """`app.routes` is the REST API handler's table (blueprint prefix prepended); every event source and
    pure Lambda function is a function of its own with the handler Chalice deploys it with."""
    root = FIXTURES / "chalice_app"
    with _imported(root, "app", _environment("chalice_app"), monkeypatch) as module:
        app = module.app
        runtime: dict[str, dict[str, str]] = {"app.app": {}}
        for path, methods in app.routes.items():
            for method, entry in methods.items():
                runtime["app.app"][f"{method} {_api_path(path)}"] = _qualified(entry.view_function)
        for config in app.event_sources:
            runtime[config.handler_string] = {_chalice_source(config): config.handler_string}
        for function in app.pure_lambda_functions:
            runtime[function.handler_string] = {f"Invoke {function.name}": function.handler_string}
    assert _static("chalice_app") == runtime


@pytest.mark.parametrize(
    ("config", "function"),
    [
        ({"app_name": "a", "environment_variables": {"A": "1"}}, "api_handler"),
        (
            {
                "app_name": "a",
                "environment_variables": {"A": "top", "B": "top"},
                "lambda_memory_size": 128,
                "stages": {
                    "dev": {
                        "environment_variables": {"B": "stage"},
                        "lambda_timeout": 30,
                        "lambda_functions": {
                            "worker": {"environment_variables": {"C": "fn"}, "lambda_memory_size": 1024}
                        },
                    }
                },
                "lambda_functions": {"worker": {"lambda_timeout": 900, "lambda_memory_size": 512}},
            },
            "worker",
        ),
        ({"app_name": "a", "lambda_functions": {"worker": {"lambda_timeout": 60}}}, "worker"),
    ],
)
def test_chalice_config_lookup_matches_chalice(tmp_path, config, function) -> None:
    """Environment, memory and timeout of a function are what chalice.config.Config computes."""
    import json  # noqa: PLC0415

    from chalice.config import Config  # noqa: PLC0415

    from decompose.loading.chalice_config import function_settings, load_chalice_config  # noqa: PLC0415

    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    ours = function_settings(load_chalice_config(tmp_path), function)
    theirs = Config(chalice_stage="dev", function_name=function, config_from_disk=config)
    assert dict(ours.environment) == theirs.environment_variables
    assert ours.memory_size == theirs.lambda_memory_size
    assert ours.timeout == theirs.lambda_timeout
