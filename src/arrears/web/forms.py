"""Reading a posted form: each field as text, parsed into the value a use case takes, every problem collected
(named by the field and the rule) before anything is done. The rules themselves are the use cases'; this only
turns text into dates, amounts and numbers."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time

from arrears.domain.errors import Problem, ValidationFailed
from arrears.domain.money import Money, MoneyError


@dataclass
class FormInput:
    """The posted fields of one form (text as typed) and the problems found reading them."""

    values: Mapping[str, str]
    problems: list[Problem] = field(default_factory=list)
    lists: Mapping[str, list[str]] = field(default_factory=dict)
    """Every value of each field sent more than once (a group of checkboxes)."""

    def many(self, name: str) -> list[str]:
        """Every value sent for the field (ticked checkboxes), without surrounding spaces, empty ones dropped."""
        return [value.strip() for value in self.lists.get(name, []) if value.strip()]

    def text(self, name: str) -> str:
        """The field as typed, without surrounding spaces ('' when absent)."""
        return str(self.values.get(name, "")).strip()

    def optional_date(self, name: str) -> date | None:
        """An ISO date, or None when the field is empty."""
        raw = self.text(name)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.problems.append(Problem(name, "is not a date (YYYY-MM-DD)", raw))
            return None

    def required_date(self, name: str) -> date | None:
        """An ISO date; a problem when it is empty."""
        if not self.text(name):
            self.problems.append(Problem(name, "is required"))
            return None
        return self.optional_date(name)

    def amount_cents(self, name: str) -> int | None:
        """A dollar amount ("125.00", "$1,250") as cents; a problem when empty or not an amount."""
        raw = self.text(name)
        if not raw:
            self.problems.append(Problem(name, "is required"))
            return None
        try:
            return Money.parse(raw).cents
        except MoneyError as error:
            self.problems.append(Problem(name, str(error), raw))
            return None

    def optional_amount_cents(self, name: str) -> int | None:
        """A dollar amount as cents, or None when the field is empty."""
        return self.amount_cents(name) if self.text(name) else None

    def optional_int(self, name: str) -> int | None:
        """A whole number, or None when empty."""
        raw = self.text(name)
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            self.problems.append(Problem(name, "is not a whole number", raw))
            return None

    def optional_time(self, name: str) -> time | None:
        """A time of day (HH:MM), or None when empty."""
        raw = self.text(name)
        if not raw:
            return None
        try:
            return time.fromisoformat(raw)
        except ValueError:
            self.problems.append(Problem(name, "is not a time of day (HH:MM)", raw))
            return None

    def checked(self, name: str) -> bool:
        """A checkbox: ticked or not."""
        return bool(self.text(name))

    def raise_problems(self) -> None:
        """Refuse the form with every problem found reading it (nothing has been done yet)."""
        if self.problems:
            raise ValidationFailed(self.problems)


def field_errors(
    problems: Sequence[Problem], fields: Collection[str], aliases: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """The rules each field of a form broke: a problem's location names one of ``fields`` (or, through
    ``aliases``, the use case's name of it); a problem of no field of the form is shown at the top of the form,
    with its location (key '')."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        name = (aliases or {}).get(problem.location, problem.location)
        if name in fields:
            errors.setdefault(name, []).append(problem.rule)
        else:
            shown = f"{problem.location}: {problem.rule}" + (f" (got {problem.value!r})" if problem.value else "")
            errors.setdefault("", []).append(shown)
    return errors
