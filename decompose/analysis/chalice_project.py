"""The functions of a Chalice project, as `chalice deploy` would create them, for a project with no template.

`chalice/deploy/appgraph.py` builds one Lambda function for the REST API (`api_handler`, handler `app.app`)
when the app has routes, and one per event handler, pure `lambda_function`, authorizer and WebSocket
handler. Each becomes a `FunctionSpec` named as `chalice package` names its SAM resource (`APIHandler`,
else the CamelCase of the Chalice name: `handle_upload` -> `HandleUpload`), with the environment and role
policy `.chalice/config.json` gives it (`loading.chalice_config`). Its events are what the code declares,
because in Chalice the code *is* the declaration: one exact `Api` event per route of the REST API (Chalice
creates one API Gateway resource per route, so no route hides behind a catch-all), and for an event
handler the trigger of its decorator.
"""

from __future__ import annotations

import re

from decompose.analysis.dispatch import Strategies
from decompose.analysis.dispatch.base import HTTP
from decompose.analysis.dispatch.chalice_app import API_HANDLER, ChaliceAnalyzer, ChaliceFunction
from decompose.domain.model import FunctionSpec, TriggerEvent
from decompose.loading.chalice_config import ChaliceConfig, function_settings

API_HANDLER_RESOURCE = "APIHandler"


def chalice_functions(strategies: Strategies, config: ChaliceConfig) -> tuple[FunctionSpec, ...]:
    """Every function of the Chalice app `app.app`, in Chalice's order (API handler first)."""
    analyzer = next((s for s in strategies.modules if isinstance(s, ChaliceAnalyzer)), None)
    if analyzer is None:
        return ()
    specs = []
    for function in analyzer.deployed_functions():
        settings = function_settings(config, function.name)
        specs.append(
            FunctionSpec(
                logical_id=resource_name(function.name),
                handler=function.handler,
                code_uri=".",
                runtime=None,
                events=_events(analyzer, function),
                environment=settings.environment,
                policies=settings.policies,
                role=settings.problem if settings.role is not None else None,
            )
        )
    return tuple(specs)


def resource_name(name: str) -> str:
    """`chalice package`'s SAM resource name (`chalice.utils.to_cfn_resource_name`)."""
    if name == API_HANDLER:
        return API_HANDLER_RESOURCE
    for separator in ("-", "_"):
        name = "".join(part[0].upper() + part[1:] for part in name.split(separator) if part)
    return re.sub(r"[^A-Za-z0-9]+", "", name)


def _events(analyzer: ChaliceAnalyzer, function: ChaliceFunction) -> tuple[TriggerEvent, ...]:
    if function.kind == HTTP:
        return tuple(
            TriggerEvent(
                name=route.entry.rpartition(".")[2],
                type="Api",
                method=route.constraint.method,
                path=route.constraint.path,
            )
            for route in analyzer.app_routes(function.handler)
        )
    return (TriggerEvent(function.name, function.kind, source=function.source, pattern=function.pattern),)
