"""Value objects of `decompose verify`: what each extracted route was run with and what the runs showed.

A `VerifyResult` is the whole answer: per extracted route a `RouteVerdict` (equivalent, different, or not
verifiable, and whether every AWS call it made is allowed by its function's policy), the events it was run
with, the differences and denied calls found, and what the run could not do (`notes`). Like the rest of the
domain they are inert; `decompose.verification.results` turns them into the documented JSON and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    EQUIVALENT = "equivalent"
    DIFFERENT = "different"
    NOT_VERIFIABLE = "not-verifiable"


class PolicyVerdict(StrEnum):
    ALLOWED = "allowed"  # every recorded call is allowed by the function's policy (evaluator and moto agree)
    DENIED = "denied"
    NOT_CHECKED = "not-checked"  # the function did not run far enough to make its calls


@dataclass(frozen=True)
class SynthesizedInput:
    """What a synthesized HTTP event's request holds: the body keys (nested dotted, `items[].qty`), query
    parameters, headers and `requestContext` leaves (an authorizer's claims) read from the route's code, and
    what of its input could not be followed (None: nothing)."""

    body_keys: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    unknown: str | None = None
    headers: tuple[str, ...] = ()
    context: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventUse:
    """One event a route was run with: `origin` "project" (a file of the events folder) or "synthesized"."""

    name: str
    origin: str
    file: str | None = None
    input: SynthesizedInput | None = None  # a synthesized HTTP event's body and query


@dataclass(frozen=True)
class Difference:
    """Something the new function did otherwise than the monolith on one event.

    `aspect` is one of "error", "response.status", "response.headers", "response.body", "response", "calls",
    "state"; `message` says it in one line; `diff` is a unified diff of the normalised values (monolith
    first), empty when the message says it all.
    """

    event: str
    aspect: str
    message: str
    diff: str = ""


@dataclass(frozen=True)
class DeniedCall:
    """An AWS call the new function made that its policy does not allow.

    `by` is "evaluator" (moto's IAM policy evaluator on the concrete ARN the call's parameters name) or "moto"
    (moto's access control refused the request when the function ran with only its policy).
    """

    event: str
    call: str  # "dynamodb.GetItem"
    action: str
    resource: str
    by: str
    message: str


@dataclass(frozen=True)
class RouteVerdict:
    """The verdict on one extracted route (`reason` says why it is not verifiable, when it is not)."""

    function: str
    route: str
    status: Status
    policy: PolicyVerdict
    events: tuple[EventUse, ...] = ()
    differences: tuple[Difference, ...] = ()
    denied: tuple[DeniedCall, ...] = ()
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is Status.EQUIVALENT and self.policy is not PolicyVerdict.DENIED


@dataclass(frozen=True)
class PackageView:
    """What the new function ran with: its package's files and the distributions it may import."""

    function: str
    files: tuple[str, ...]
    distributions: tuple[str, ...]
    source: str  # how the package was made ("make build-X", ...)


@dataclass(frozen=True)
class VerifyResult:
    """Everything one `decompose verify` run found."""

    template: str
    monolith: str
    baseline: str  # "git <revision>" or "working tree"
    routes: tuple[RouteVerdict, ...]
    packages: tuple[PackageView, ...] = ()
    created: tuple[str, ...] = ()  # template resources created in the moto world (logical ids)
    not_created: tuple[str, ...] = ()  # "LogicalId (Type)" of resources the world leaves out
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every route equivalent and no call denied (what exit code 0 means)."""
        return bool(self.routes) and all(r.ok for r in self.routes)

    def count(self, status: Status) -> int:
        return sum(1 for r in self.routes if r.status is status)

    @property
    def denied_calls(self) -> int:
        return sum(len(r.denied) for r in self.routes)
