"""The one exception family decompose raises on bad input.

Each error says what was wrong and where (file:line). The CLI maps them to exit codes; nothing else in the
package prints or exits.
"""

from __future__ import annotations

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
