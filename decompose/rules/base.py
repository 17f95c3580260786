"""What every anti-pattern rule is: metadata (id, severity, rationale citing the cost, fix, source) and a
generator of findings, like a cfn-lint rule.

A rule never raises for what it finds and never prints: it yields `Finding`s with a location, the evidence it
saw (one line each) and the fix. `apply_rules` (in `decompose.rules`) runs the registered rules over a
`RuleContext` and merges their findings into the report.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, ClassVar

from decompose.domain.model import Finding, Location, Severity

if TYPE_CHECKING:
    from decompose.rules.context import RuleContext


class Rule(ABC):
    """One anti-pattern: what it is, what it costs, how to fix it, and how to find it."""

    id: ClassVar[str]
    severity: ClassVar[Severity]
    title: ClassVar[str]
    rationale: ClassVar[str]  # one paragraph: the cost, citing the guidance
    fix: ClassVar[str]
    source: ClassVar[str]  # the guidance it cites
    needs_calls: ClassVar[bool] = True  # reads the SDK calls of the IAM stage (skipped with --no-iam)

    @abstractmethod
    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Every finding of this rule in the analyzed project."""

    def finding(
        self,
        message: str,
        location: Location | None,
        *,
        route: str | None = None,
        evidence: Iterable[str] = (),
        fix: str | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding of this rule (its own severity and fix unless told otherwise)."""
        return Finding(
            self.id,
            severity or self.severity,
            message,
            location,
            route,
            tuple(evidence),
            fix if fix is not None else self.fix,
        )

    def metadata(self) -> dict[str, str]:
        """The rule as the JSON report lists it."""
        return {
            "id": self.id,
            "severity": str(self.severity),
            "title": self.title,
            "rationale": self.rationale,
            "fix": self.fix,
            "source": self.source,
        }
