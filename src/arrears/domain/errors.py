"""Validation problems as data: every rule broken, with the field that broke it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule: which field, which rule, and the value that broke it."""

    field: str
    rule: str
    value: str = ""

    def __str__(self) -> str:
        shown = f" (got {self.value!r})" if self.value else ""
        return f"{self.field}: {self.rule}{shown}"


class ValidationFailed(ValueError):
    """Input broke one or more rules; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class NotFound(LookupError):
    """Something named by the caller does not exist."""
