"""`match` statements on a route key, the method, the path, a `(method, path)` tuple, the path's segments,
or an event source.

`case "GET /notes":`, `case ("GET", "/notes"):`, `case ["notes", note_id]:` over
`path.strip("/").split("/")` (captures become `{note_id}`), `case "aws:s3":`. `case _:` is the default and
serves no route of its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import replace
from typing import ClassVar

from decompose.analysis.dispatch.base import HTTP, CodeRoute, Constraint, Walker
from decompose.analysis.dispatch.event_source import EventSourceAnalyzer
from decompose.analysis.dispatch.events import Evaluator, RoleValue, RouteKeyValue, SegmentsValue, TupleValue
from decompose.analysis.dispatch.if_chain import IfChainAnalyzer


class MatchAnalyzer:
    """Routes from the cases of a `match` statement."""

    name: ClassVar[str] = "match"

    def routes(
        self, stmt: ast.stmt, evaluator: Evaluator, walker: Walker, constraint: Constraint
    ) -> Iterator[CodeRoute] | None:
        if not isinstance(stmt, ast.Match):
            return None
        subject = evaluator.eval(stmt.subject)
        if subject is None:
            return None
        for case in stmt.cases:
            alternatives = self._pattern(case.pattern, subject, evaluator)
            if case.guard is not None:
                alternatives = self._guarded(case, subject, alternatives, evaluator, walker)
            walker.decide("case", case, alternatives)
            if alternatives is None:
                walker.branch(case.body, constraint, evaluator)
                continue
            for alternative in alternatives:
                merged = constraint.merge(alternative)
                if merged is not None:
                    walker.branch(case.body, merged, evaluator)
        return iter(())

    def _guarded(
        self,
        case: ast.match_case,
        subject: object,
        alternatives: list[Constraint] | None,
        evaluator: Evaluator,
        walker: Walker,
    ) -> list[Constraint] | None:
        """`case ("GET", p) if p.startswith("/users/"):` -- the guard is a test on the captures: read it with the
        condition strategies; a guard they cannot read is reported, and the arm is read without it."""
        assert case.guard is not None
        for name, value in _captures(case.pattern, subject):
            evaluator.env[name] = value  # type: ignore[assignment]
        tested = walker.test(case.guard, evaluator)
        if tested is None:
            guard = ast.unparse(case.guard)
            walker.issue(case.guard.lineno, f"case guard `if {guard}` is not a route test; the arm is read without it")
            return alternatives
        combined = alternatives if alternatives is not None else [Constraint()]
        return [m for a in combined for b in tested if (m := a.merge(replace(b, strategy=self.name))) is not None]

    def _pattern(self, pattern: ast.pattern, subject: object, evaluator: Evaluator) -> list[Constraint] | None:
        if isinstance(pattern, ast.MatchOr):
            found = [self._pattern(p, subject, evaluator) for p in pattern.patterns]
            return None if any(f is None for f in found) else [c for f in found for c in f]  # type: ignore[union-attr]
        if isinstance(pattern, ast.MatchAs) and pattern.pattern is not None:
            return self._pattern(pattern.pattern, subject, evaluator)
        if isinstance(pattern, ast.MatchValue):  # `case "GET /x":`, or a dotted constant `case Routes.LIST:`
            value = evaluator.constant_string(pattern.value)
            return self._scalar(subject, value) if value is not None else None
        if isinstance(pattern, ast.MatchSequence):
            if isinstance(subject, SegmentsValue):
                path = _segments_path(pattern.patterns)
                return None if path is None else [self._http(path=path, payload=subject.payload)]
            if isinstance(subject, TupleValue) and len(subject.items) == len(pattern.patterns):
                combined = [Constraint(kind=HTTP, strategy=self.name)]
                for item, inner in zip(subject.items, pattern.patterns, strict=True):
                    if isinstance(inner, ast.MatchAs) and inner.pattern is None:
                        continue  # a capture or `_`: this element is not tested
                    part = self._pattern(inner, item, evaluator)
                    if part is None:
                        return None
                    combined = [m for a in combined for b in part if (m := a.merge(b)) is not None]
                return combined
        return None

    def _scalar(self, subject: object, value: str) -> list[Constraint] | None:
        if isinstance(subject, RoleValue | RouteKeyValue):
            found = _IF.constraints(_compare(subject, value), _Fixed(subject))
            if found is None and isinstance(subject, RoleValue):
                found = _EVENTS.constraints(_compare(subject, value), _Fixed(subject))
            if found is not None:
                return [replace(c, strategy=self.name) for c in found]
        return None

    def _http(self, path: str, payload: str) -> Constraint:
        return Constraint(kind=HTTP, path=path, payload=payload, strategy=self.name)


_IF = IfChainAnalyzer()
_EVENTS = EventSourceAnalyzer()
_SUBJECT = "__match_subject__"


def _compare(subject: object, value: str) -> ast.Compare:
    """Phrase `case value` as the test `subject == value`, so the condition strategies read it."""
    del subject
    return ast.Compare(left=ast.Name(_SUBJECT, ast.Load()), ops=[ast.Eq()], comparators=[ast.Constant(value)])


class _Fixed(Evaluator):
    """An evaluator that knows only the match subject."""

    def __init__(self, subject: object) -> None:
        self._subject = subject  # the parent's state is not needed: nothing else is evaluated

    def eval(self, node: ast.AST | None) -> object:  # type: ignore[override]
        if isinstance(node, ast.Name) and node.id == _SUBJECT:
            return self._subject
        return None


def _captures(pattern: ast.pattern, subject: object) -> list[tuple[str, object]]:
    """Names a pattern binds to the parts of the subject decompose knows (`case x`, `case ("GET", p)`)."""
    if isinstance(pattern, ast.MatchAs):
        found = [(pattern.name, subject)] if pattern.name else []
        return found + (_captures(pattern.pattern, subject) if pattern.pattern is not None else [])
    if isinstance(pattern, ast.MatchSequence) and isinstance(subject, TupleValue):
        return [
            capture
            for item, inner in zip(subject.items, pattern.patterns, strict=False)
            for capture in _captures(inner, item)
        ]
    return []


def _segments_path(patterns: list[ast.pattern]) -> str | None:
    segments: list[str] = []
    for number, pattern in enumerate(patterns, start=1):
        if (
            isinstance(pattern, ast.MatchValue)
            and isinstance(pattern.value, ast.Constant)
            and isinstance(pattern.value.value, str)
        ):
            segments.append(pattern.value.value)
        elif isinstance(pattern, ast.MatchAs) and pattern.pattern is None:
            segments.append("{" + (pattern.name or f"param{number}") + "}")
        elif isinstance(pattern, ast.MatchStar):
            segments.append("{proxy+}")
        else:
            return None
    return "/" + "/".join(s for s in segments if s)
