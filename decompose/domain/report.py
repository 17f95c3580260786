"""The dry-run report: one value holding everything `decompose dry-run` shows, in every format.

`dry_run.build_report` assembles it from values the other stages computed (the analysis of the project as it
is and as `apply` would leave it, the plan, the change set, each new function's package and draft, the
verification result) and from what it measured on this machine (package bytes, cold import time, the IAM
breadth of each role). The Markdown, HTML and JSON views are renderings of this one value: none of them
computes anything of its own, and the JSON document is this value field by field (`reporting.dry_run_json`),
described by the schema shipped with the package.

Measured figures say how they were measured (`MeasuredOn`) and what they could not include: a distribution not
installed here has no size (`DistributionSize.bytes` is None, the package total is a lower bound), an import that
failed carries its error, and a role with entries decompose could not read says so (`RoleBreadth.unread`).

Like the rest of the domain it is inert: no I/O, no third-party imports.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from decompose.domain.plan import Deployment

REPORT_VERSION = 1
VERIFICATION_NOT_RUN = "not run"


@dataclass(frozen=True)
class SeverityCounts:
    """How many findings of each severity."""

    error: int = 0
    warning: int = 0
    info: int = 0

    @property
    def total(self) -> int:
        return self.error + self.warning + self.info


@dataclass(frozen=True)
class DistributionSize:
    """One installed distribution a package carries: its files' sizes from its RECORD (compiled `.pyc` left out:
    the generated Makefile installs with `--no-compile`). `bytes` and `version` are None when it is not installed
    in the environment decompose runs in, so its size is unknown."""

    name: str
    version: str | None
    bytes: int | None


@dataclass(frozen=True)
class PackageSize:
    """A deployment package's size: its first-party files and the distributions it installs (with theirs)."""

    files: int
    code_bytes: int
    distributions: tuple[DistributionSize, ...] = ()

    @property
    def total_bytes(self) -> int:
        """Code plus every distribution whose size is known (a lower bound when `missing` is not empty)."""
        return self.code_bytes + sum(d.bytes or 0 for d in self.distributions)

    @property
    def missing(self) -> tuple[str, ...]:
        """Distributions not installed here: their bytes are not in `total_bytes`."""
        return tuple(d.name for d in self.distributions if d.bytes is None)


@dataclass(frozen=True)
class ImportTiming:
    """CPU milliseconds of `import <module>` in a fresh interpreter, one value per run; `error` when it failed
    (the module raised, timed out, or measuring was turned off), then `runs_ms` is empty."""

    module: str
    runs_ms: tuple[float, ...] = ()
    error: str | None = None

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.runs_ms) if self.runs_ms else None


@dataclass(frozen=True)
class RoleBreadth:
    """What a function's role allows, read from its policies.

    `actions`: every IAM action allowed (wildcards expanded through AWS's action catalogue), sorted;
    `wildcard_statements`: the origin of each statement that grants on `*`; `resources`: the template resources
    the statements name; `unread`: policy entries decompose could not read (an unknown managed policy, a
    `Condition`...), which makes the counts a lower bound.
    """

    actions: tuple[str, ...] = ()
    wildcard_statements: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """The headline figures of one deployable function: the monolith today (`before`), a new function (`new`)
    or the monolith as this apply leaves it (`after`)."""

    logical_id: str
    stage: str
    routes: int
    package: PackageSize
    cold_import: ImportTiming
    iam: RoleBreadth


@dataclass(frozen=True)
class ReportRoute:
    """A route as the report lists it: where its code starts and which function serves it after this apply."""

    id: str
    entry: str
    location: str
    event: str | None
    function: str
    extracted: bool
    policy_complete: bool = True


@dataclass(frozen=True)
class Grant:
    """One permission of a new function's policy, with the call site that needs it and how the resource was found."""

    action: str
    resource: str
    location: str
    via: str


@dataclass(frozen=True)
class EnvironmentVariable:
    """A variable the new function's code reads, with its value as the template spells it (None: not set there)."""

    name: str
    value: str | None


@dataclass(frozen=True)
class RoleDelta:
    """What a new function's role no longer has compared with the monolith's (and anything it has that the
    monolith's does not, which a `beyond-monolith-role` finding explains)."""

    actions: tuple[str, ...] = ()
    wildcard_statements: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    added: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteVerification:
    """What `decompose verify` said about one route: `status` is `equivalent`, `different`, `not-verifiable` or
    `not run`; `policy` whether every AWS call it made is allowed by its function's policy (`allowed`, `denied`,
    `not-checked`); `detail` the first difference, denied call or reason, in one line."""

    route: str
    function: str | None
    status: str
    policy: str | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "equivalent" and self.policy != "denied"


@dataclass(frozen=True)
class Verification:
    """The verification result the report shows: `status` is `not run`, `passed`, `failed` (a route differs or a
    call was denied) or `incomplete` (a route could not be verified); `source` the result file it was read from."""

    status: str = VERIFICATION_NOT_RUN
    source: str | None = None
    routes: tuple[RouteVerification, ...] = ()

    def of_route(self, route: str) -> RouteVerification | None:
        return next((r for r in self.routes if r.route == route), None)


@dataclass(frozen=True)
class SplitFunction:
    """One function this apply extracts, as the report details it."""

    logical_id: str
    handler: str
    module: str | None
    routes: tuple[ReportRoute, ...]
    grants: tuple[Grant, ...]
    policies: tuple[Any, ...]  # the SAM `Policies` list the template edit writes (JSON-able CloudFormation)
    policy_diff: str  # a unified diff: the monolith's Policies (as the template spells them) -> this function's
    policy_complete: bool
    gaps: tuple[str, ...]  # what its code does that decompose could not follow ("rule at file:line")
    no_longer: RoleDelta
    modules: tuple[str, ...]
    files: tuple[str, ...]  # relative to the project root
    requirements: tuple[str, ...]
    environment: tuple[EnvironmentVariable, ...]
    deployment: Deployment
    recursive_loop: str | None
    profile: Profile
    verification: tuple[RouteVerification, ...]


@dataclass(frozen=True)
class DiagramNode:
    """A box of the architecture picture. `id` is generated (`r1`, `f1`, `s1`), never user text, so every
    renderer can use it as is; `kind` is `route`, `function`, `resource` or `more` (routes left out)."""

    id: str
    kind: str
    label: str
    detail: str | None = None
    highlight: bool = False


@dataclass(frozen=True)
class DiagramEdge:
    source: str
    target: str
    label: str | None = None


@dataclass(frozen=True)
class Diagram:
    """Routes -> functions -> AWS resources, before or after the apply."""

    title: str
    nodes: tuple[DiagramNode, ...]
    edges: tuple[DiagramEdge, ...]

    def of_kind(self, kind: str) -> tuple[DiagramNode, ...]:
        return tuple(n for n in self.nodes if n.kind == kind)


@dataclass(frozen=True)
class ReportChange:
    """One file of the change set, with its unified diff."""

    path: str
    kind: str
    part: str
    generated: bool
    diff: str
    added: int
    removed: int


@dataclass(frozen=True)
class ReportFinding:
    """A finding with its place (`file:line`); `source` says which run found it: `analysis` (the project as it is)
    or `apply` (the refactor, the packages, the validation of the edited template)."""

    rule: str
    severity: str
    message: str
    location: str | None
    routes: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Summary:
    """The first lines of the report."""

    routes: int  # routes of the monolith
    functions: int  # new functions the plan lists
    extracted: tuple[str, ...]  # the logical ids this apply extracts
    extracted_routes: int
    kept_routes: int  # routes the monolith still serves after this apply
    changed_files: int
    findings_before: SeverityCounts
    findings_after: SeverityCounts
    incomplete_policies: int  # new functions whose policy may lack something (each has gaps)


@dataclass(frozen=True)
class MeasuredOn:
    """Where and how the figures were measured (they are this machine's, not Lambda's)."""

    python: str
    platform: str
    import_runs: int
    method: str


@dataclass(frozen=True)
class DryRunReport:
    """Everything `decompose dry-run` reports about one plan of one monolith."""

    generator: str
    project: str
    template: str
    monolith: str
    plan_file: str
    summary: Summary
    monolith_before: Profile
    monolith_after: Profile
    functions: tuple[SplitFunction, ...]
    before: Diagram
    after: Diagram
    changes: tuple[ReportChange, ...]
    findings: tuple[ReportFinding, ...]
    verification: Verification
    measured: MeasuredOn
    version: int = REPORT_VERSION

    @property
    def profiles(self) -> tuple[Profile, ...]:
        """The monolith today, each new function, then the monolith after: the summary table's rows."""
        return (self.monolith_before, *(f.profile for f in self.functions), self.monolith_after)
