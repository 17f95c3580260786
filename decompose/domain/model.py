"""Value objects shared by every stage of the pipeline.

They are frozen dataclasses with no behaviour beyond small derived properties, so a stage can hand its
results to the next one (or to a test) without dragging a parser, a YAML tree or a terminal along.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


def plain(value: Any) -> Any:
    """A JSON-ready, picklable copy of a template value (decoders hand out dict/list/str subclasses)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Location:
    """A place in the user's project: a path relative to the project root and a 1-based line."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Finding:
    """Something the user should know: a problem in their input or a limit of the analysis."""

    rule: str
    severity: Severity
    message: str
    location: Location | None = None
    route: str | None = None  # the route it concerns (the first, when it concerns several)
    evidence: tuple[str, ...] = ()  # what an anti-pattern rule saw, one line each (call sites, resources)
    fix: str | None = None  # what to do about it, when the rule knows
    routes: tuple[str, ...] = ()  # every route it concerns, when one call site concerns several (grouped)

    @property
    def all_routes(self) -> tuple[str, ...]:
        """Every route this finding concerns (none for a finding about the template or a file)."""
        return self.routes or ((self.route,) if self.route else ())

    @property
    def sort_key(self) -> tuple[str, int, str, str]:
        loc = self.location
        return (loc.path if loc else "", (loc.line or 0) if loc else 0, self.rule, self.message)


HTTP_TRIGGERS = frozenset({"Api", "HttpApi"})


@dataclass(frozen=True)
class TriggerEvent:
    """One entry of a function's `Events` in the template, normalised.

    HTTP events carry method and path (`ANY` / `None` path for an HttpApi `$default`); other events carry
    `source` (the logical id, schedule expression or route key they name) and, for EventBridge rules,
    the `pattern` values they filter on.
    """

    name: str
    type: str
    method: str | None = None
    path: str | None = None
    source: str | None = None
    pattern: tuple[tuple[str, tuple[str, ...]], ...] = ()
    line: int | None = None

    @property
    def is_http(self) -> bool:
        return self.type in HTTP_TRIGGERS

    @property
    def is_catch_all(self) -> bool:
        """Routes every path of its API not routed more specifically: `/{proxy+}` or HttpApi `$default`."""
        return self.is_http and (self.path is None or self.path == "/{proxy+}")

    def covers(self, path: str) -> bool:
        """Whether this greedy event (`/{proxy+}`, `/admin/{proxy+}`, `$default`) serves `path` too."""
        if self.path is None:
            return self.is_http
        prefix = self.path.removesuffix("{proxy+}")
        return self.path.endswith("{proxy+}") and (path + "/").startswith(prefix)


@dataclass(frozen=True)
class FunctionSpec:
    """A Python Lambda function as the template (after Globals) or the command line declares it."""

    logical_id: str | None
    handler: str
    code_uri: str
    runtime: str | None
    events: tuple[TriggerEvent, ...] = ()
    environment: tuple[tuple[str, Any], ...] = ()
    policies: tuple[Any, ...] = ()
    role: Any = None  # an explicit `Role` (ARN or intrinsic); None when SAM builds the role from Policies
    line: int | None = None
    memory_size: Any = None  # after Globals, as the template spells them (an int, or an intrinsic)
    timeout: Any = None
    architectures: tuple[str, ...] = ()  # after Globals; empty when the template leaves Lambda's default (x86_64)
    layers: tuple[str, ...] = ()  # folders of the function's Lambda layers (relative, like code_uri): /opt/python

    @property
    def handler_module(self) -> str:
        return self.handler.rpartition(".")[0]

    @property
    def handler_function(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class Trigger:
    """What invokes a route: an HTTP method + path, or a non-HTTP source, and the template event if any."""

    type: str
    method: str | None = None
    path: str | None = None
    source: str | None = None
    event: str | None = None

    @property
    def is_http(self) -> bool:
        return self.type in HTTP_TRIGGERS

    @property
    def route_id(self) -> str:
        if self.is_http:
            return f"{self.method or 'ANY'} {self.path}"
        return f"{self.type} {self.source}"


@dataclass(frozen=True)
class RouteReach:
    """Exactly the project code and third-party distributions a route's entry can reach."""

    definitions: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    distributions: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class Gap:
    """Something in a route's reach decompose could not follow (a call on a receiver it could not resolve,
    a computed `getattr`, a router it does not read): the route's policy may lack what that code needs.
    `rule` names the finding that explains it, at `location`."""

    rule: str
    location: Location | None = None


@dataclass(frozen=True)
class Route:
    """One route of a function: its trigger, the strategy that found it, its entry point and reach."""

    trigger: Trigger
    dispatch: str
    entry: str
    location: Location
    reach: RouteReach = field(default_factory=RouteReach)
    permissions: tuple[Any, ...] = ()  # decompose.domain.iam.Permission values
    policies: tuple[Any, ...] = ()  # the SAM `Policies:` list for the route's own function
    gaps: tuple[Gap, ...] = ()  # what its reach does that decompose could not follow; empty: policy complete
    calls: tuple[Any, ...] = ()  # decompose.domain.iam.SdkCall values: the AWS calls its reach can make
    library_calls: tuple[Any, ...] = ()  # decompose.domain.iam.LibraryCall values (time.sleep, requests.post...)

    @property
    def id(self) -> str:
        return self.trigger.route_id

    @property
    def policy_complete(self) -> bool:
        """Whether the policy covers everything the route's code can do (no gap in its reach)."""
        return not self.gaps


@dataclass(frozen=True)
class FunctionAnalysis:
    """The routes found in one function, in a stable order."""

    spec: FunctionSpec
    routes: tuple[Route, ...]

    @property
    def dispatch_styles(self) -> tuple[str, ...]:
        return tuple(sorted({r.dispatch for r in self.routes}))


@dataclass(frozen=True)
class AnalysisReport:
    """Everything `decompose analyze` learned about one project."""

    template: str | None
    functions: tuple[FunctionAnalysis, ...]
    findings: tuple[Finding, ...]
    iam: bool = True  # whether the least-privilege stage ran (permissions/policies are empty otherwise)
    # (function logical id, route id) pairs in a recursive loop AWS's loop detection can stop: the split
    # function that takes such a route should say `RecursiveLoop: Terminate` (decompose.rules.recursive_trigger)
    loop_guards: tuple[tuple[str | None, str], ...] = ()

    def needs_loop_guard(self, function: str | None, routes: Iterable[str]) -> bool:
        """Whether a new function taking `routes` of `function` should carry `RecursiveLoop: Terminate`."""
        wanted = set(routes)
        return any(owner == function and route in wanted for owner, route in self.loop_guards)

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def incomplete_routes(self) -> tuple[Route, ...]:
        """The routes whose policy may lack permissions (each has a gap, explained by a finding)."""
        return tuple(r for f in self.functions for r in f.routes if not r.policy_complete)
