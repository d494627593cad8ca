"""Validation problems as data: every rule broken, with where it broke and the value that broke it.

:class:`Problem` is the one shape of every refusal: an import row, a configuration path, a position in a
condition, an account of a run. Each module's own error type converts to it with ``as_problem()``, so the
command line and the API report every kind of bad input the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SHOWN_CHARACTERS = 80
"""A value longer than this is cut in a problem: a 100 kB cell is not echoed whole."""


def clip(value: str, limit: int = SHOWN_CHARACTERS) -> str:
    """``value`` as a problem shows it: at most ``limit`` characters, then how long it was."""
    if len(value) <= limit:
        return value
    return f"{value[: limit - 20]}… ({len(value):,} characters)"


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule: where (a field, a path, a row and column, a position), which rule, and the value."""

    location: str
    rule: str
    value: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", clip(str(self.value)))

    @property
    def field(self) -> str:
        """The location, for callers that name a single field."""
        return self.location

    def __str__(self) -> str:
        shown = f" (got {self.value!r})" if self.value else ""
        return f"{self.location}: {self.rule}{shown}"

    def as_dict(self) -> dict[str, str]:
        """A JSON-ready view (the error schema of the API)."""
        return {"location": self.location, "rule": self.rule, "value": self.value}


class ValidationFailed(ValueError):
    """Input broke one or more rules; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class NotFound(LookupError):
    """Something named by the caller does not exist."""


class Conflict(ValidationFailed):
    """The input is well formed but the state of what it names refuses it (completing a cancelled activity,
    reversing a payment twice); nothing was written."""
