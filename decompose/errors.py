"""The one exception family decompose raises on bad input.

Each error says what was wrong and where (file:line). The CLI maps them to exit codes; nothing else in the
package prints or exits.
"""

from __future__ import annotations

from collections.abc import Sequence

from decompose.domain.model import Location


class DecomposeError(Exception):
    """Base of every error the tool reports to its user instead of a traceback."""

    exit_code = 1

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class UsageError(DecomposeError):
    """The command line asked for something that does not exist (a path, a function, a handler)."""

    exit_code = 2


class InputError(DecomposeError):
    """The input cannot be analyzed at all (as opposed to problems in parts of it, which are findings)."""

    exit_code = 2


class TemplateError(InputError):
    """The template is not YAML/JSON, or not a shape a SAM template can have."""


class PlanError(DecomposeError):
    """A plan file that cannot be applied: every problem at once, each with its file:line."""

    exit_code = 2

    def __init__(self, problems: Sequence[object], location: Location | None = None) -> None:
        self.problems = tuple(problems)
        first = str(self.problems[0]) if self.problems else "invalid plan"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more, None)
        self.location = location


class WriteRefusedError(DecomposeError):
    """The writer will not touch the tree: a dirty git tree, a file decompose did not generate, a path
    outside the project. Nothing was written."""

    exit_code = 2


class WriteFailedError(DecomposeError):
    """Writing failed part-way (a full disk, a permission); every file written so far was restored."""


class RefactorError(DecomposeError):
    """Code the refactor cannot move safely (dynamic code, a name collision, a global it would split)."""
