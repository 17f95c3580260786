"""What the rules see: the analysis report, each route's SDK and library calls with their parameters and
permission bindings (from the IAM stage), the template's resources and events, and the parsed code."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore import xform_name

from decompose.analysis.graph import DefinitionGraph
from decompose.analysis.symbols import SymbolTable
from decompose.analysis.walk import descendants
from decompose.domain.iam import Permission, SdkCall
from decompose.domain.model import AnalysisReport, FunctionAnalysis, FunctionSpec, Location, Route
from decompose.rules.code import CodeIndex, RouteCode


@dataclass(frozen=True)
class CodeView:
    """One parsed CodeUri: its symbol table and definition graph, and what the rules read of its definitions
    once for every route (`index`)."""

    symbols: SymbolTable
    graph: DefinitionGraph
    index: CodeIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", CodeIndex(self.symbols, self.graph))


@dataclass(frozen=True)
class RouteView:
    """A route with the function that serves it."""

    function: FunctionAnalysis
    route: Route

    @property
    def spec(self) -> FunctionSpec:
        return self.function.spec

    @property
    def key(self) -> tuple[str | None, str]:
        return self.spec.logical_id, self.route.id


@dataclass
class RuleContext:
    """Everything a rule may read; nothing in it writes or prints."""

    report: AnalysisReport
    resources: Mapping[str, Any] = field(default_factory=dict)
    root: Path | None = None
    code: Mapping[str, CodeView] = field(default_factory=dict)  # by the function's code_uri
    _code: dict[tuple[str | None, str], RouteCode | None] = field(default_factory=dict)

    @property
    def template(self) -> str | None:
        return self.report.template

    def routes(self) -> Iterator[RouteView]:
        for function in self.report.functions:
            for route in function.routes:
                yield RouteView(function, route)

    def function_location(self, spec: FunctionSpec) -> Location | None:
        if self.template is None:
            return None
        return Location(self.template, spec.line)

    # ------------------------------------------------------------------------------------------- template
    def resource(self, logical_id: str | None) -> Mapping[str, Any]:
        found = self.resources.get(logical_id) if logical_id else None
        return found if isinstance(found, Mapping) else {}

    def resource_type(self, logical_id: str | None) -> str | None:
        kind = self.resource(logical_id).get("Type")
        return str(kind) if kind else None

    def properties(self, logical_id: str | None) -> Mapping[str, Any]:
        props = self.resource(logical_id).get("Properties")
        return props if isinstance(props, Mapping) else {}

    def event(self, view: RouteView) -> Mapping[str, Any]:
        """The template event behind a route (`Type` and `Properties`), or {} without one."""
        events = self.properties(view.spec.logical_id).get("Events")
        name = view.route.trigger.event
        event = events.get(name) if isinstance(events, Mapping) and name else None
        if not isinstance(event, Mapping) and name and view.spec.logical_id not in self.resources:
            event = self._moving_event(name, view.route.trigger.type)
        return event if isinstance(event, Mapping) else {}

    def _moving_event(self, name: str, kind: str) -> Mapping[str, Any] | None:
        """A function `apply` is about to add takes over events the template still lists under the monolith:
        the one function event of that name and type."""
        found = []
        for resource in self.resources.values():
            props = resource.get("Properties") if isinstance(resource, Mapping) else None
            events = props.get("Events") if isinstance(props, Mapping) else None
            event = events.get(name) if isinstance(events, Mapping) else None
            if isinstance(event, Mapping) and event.get("Type") == kind:
                found.append(event)
        return found[0] if len(found) == 1 else None

    def event_properties(self, view: RouteView) -> Mapping[str, Any]:
        props = self.event(view).get("Properties")
        return props if isinstance(props, Mapping) else {}

    # ----------------------------------------------------------------------------------------------- code
    def route_code(self, view: RouteView) -> RouteCode | None:
        """The route's code with its calls placed in the AST (None when its code tree is not loaded)."""
        if view.key not in self._code:
            tree = self.code.get(view.spec.code_uri)
            self._code[view.key] = RouteCode(tree.index, view.route) if tree else None
        return self._code[view.key]

    def call_node(self, view: RouteView, call: SdkCall, method: str | None = None) -> ast.Call | None:
        """The `ast.Call` of an SDK call site (the call on that line whose method name is the operation's)."""
        code = self.route_code(view)
        owner = code.owner(call.location) if code else None
        if code is None or owner is None:
            return None
        wanted = method or xform_name(call.operation)
        for node in owner.nodes:
            for inner in descendants(node):  # ast.walk's order, walked once
                if (
                    isinstance(inner, ast.Call)
                    and inner.lineno == call.location.line
                    and isinstance(inner.func, ast.Attribute)
                    and inner.func.attr == wanted
                ):
                    return inner
        return None

    def string_value(self, view: RouteView, call: SdkCall, node: ast.AST) -> str | None:
        """A string literal, or a module-level string constant it names, as the call site's module sees it."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        code = self.route_code(view)
        owner = code.owner(call.location) if code else None
        if code is None or owner is None or not isinstance(node, ast.Name | ast.Attribute):
            return None
        binding = code.graph.scope(owner).resolve(node)
        target = code.symbols.definitions.get(binding) if isinstance(binding, str) else None
        value = getattr(target.nodes[0], "value", None) if target and target.kind == "assignment" else None
        return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None


def permissions_at(route: Route, call: SdkCall, actions: frozenset[str] | None = None) -> list[Permission]:
    """The route's permissions granted for one call site (optionally only some actions)."""
    return [p for p in route.permissions if p.location == call.location and (actions is None or p.action in actions)]


def resource_id(permission: Permission) -> str:
    """The template logical id (or literal ARN, or `*`) a permission's resource names."""
    resource = permission.resource
    return resource if resource.startswith("arn:") or resource == "*" else resource.split("/")[0]
