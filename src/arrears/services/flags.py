"""Setting the compliance flags and representatives of a party and its debt — one by one from the command
line, or many from a CSV file — validated before anything is written, audited, and kept in the account's
history (the run then holds or releases the work they concern)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from pathlib import Path

from arrears.domain.errors import Problem, ValidationFailed
from arrears.domain.flags import (
    FLAGS,
    ROLES,
    FlagChange,
    RoleChange,
    describe,
    flag_problems,
    flag_values,
    role_problems,
)
from arrears.store.audit import append_audit
from arrears.store.compliance import ROLE_FIELDS, add_history, guarantor_rows, put_role, remove_role, set_columns
from arrears.store.db import Database
from arrears.store.uow import UnitOfWork

CSV_COLUMNS = ("account", "flag", "date", "clear", "name", "address1", "address2", "city", "state", "postal_code",
               "phone", "email")  # fmt: skip
"""The columns of a flags file: ``flag`` is a flag or a role; ``name`` and the address are a role's."""
TRUE, FALSE = ("true", "yes", "1", "y"), ("false", "no", "0", "n", "")


@dataclass(frozen=True, slots=True)
class FlagsApplied:
    """What a change of flags did: the flags set, cleared, and representatives put on file or removed."""

    flags_set: int = 0
    flags_cleared: int = 0
    roles_set: int = 0
    roles_removed: int = 0


def set_flags(
    db: Database,
    changes: Sequence[FlagChange | RoleChange],
    *,
    on: date,
    actor: str,
    where: Sequence[str] = (),
) -> FlagsApplied:
    """Apply every change in one transaction, or none: each is checked first (a problem names ``where[i]``,
    the row of a file, else the field). Each change is audited (before and after) and written to the
    account's history on its date (else ``on``)."""
    problems: list[Problem] = []
    with UnitOfWork(db) as uow:
        session = uow.session
        rows = guarantor_rows(session, sorted({change.account for change in changes}))
        for index, change in enumerate(changes):
            label = where[index] if index < len(where) else ""
            found = flag_problems(change) if isinstance(change, FlagChange) else role_problems(change)
            if change.account not in rows:
                found.insert(0, ("account", f"no account {change.account!r}"))
            problems += [Problem(f"{label}: {name}" if label else name, rule, "") for name, rule in found]
        if problems:
            raise ValidationFailed(problems)
        counts = {f.name: 0 for f in fields(FlagsApplied)}
        stamp = datetime.now().isoformat(timespec="microseconds")
        for index, change in enumerate(changes):
            account, party = rows[change.account]
            if isinstance(change, FlagChange):
                flag = FLAGS[change.flag]
                target = party if flag.table == "party" else account
                after = flag_values(change)
                before = set_columns(target, after)
                owner = change.account if flag.table == "account" else str(party.id)
                append_audit(session, actor=actor, entity=flag.table, key=f"{owner}/{change.flag}",
                             action="flag cleared" if change.clear else "flag set", before=_plain(before),
                             after=_plain(after))  # fmt: skip
                detail, event = describe(change), "flag-cleared" if change.clear else "flag-set"
                counts["flags_cleared" if change.clear else "flags_set"] += 1
            else:
                values = {name: getattr(change, name) for name in ROLE_FIELDS}
                replaced = remove_role(session, party.id, change.role) if change.remove else put_role(
                    session, party.id, change.role, values)  # fmt: skip
                append_audit(session, actor=actor, entity="party_role", key=f"{party.id}/{change.role}",
                             action="removed" if change.remove else "set", before=_plain(replaced),
                             after=None if change.remove else _plain(values))  # fmt: skip
                who = change.role.replace("_", " ")
                detail = f"{who} removed" if change.remove else f"{who} on file: {change.name}"
                event = "role-removed" if change.remove else "role-set"
                counts["roles_removed" if change.remove else "roles_set"] += 1
            day = (change.on if isinstance(change, FlagChange) else change.since) or on
            add_history(session, account.id, f"{event}/{account.id}/{stamp}/{index}", day, event,
                        f"{detail} (by {actor})")  # fmt: skip
        uow.commit()
    return FlagsApplied(**counts)


def _plain(values: dict[str, object] | None) -> dict[str, object] | None:
    """Values as JSON can hold them (dates as ISO text)."""
    if values is None:
        return None
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in values.items()}


def read_flags_file(path: Path) -> tuple[list[FlagChange | RoleChange], list[str]]:
    """The changes of a flags CSV file (see :data:`CSV_COLUMNS`) and the row label of each; every problem of
    the file at once (:class:`ValidationFailed`, naming the row and the column) before anything is written."""
    problems: list[Problem] = []
    changes: list[FlagChange | RoleChange] = []
    labels: list[str] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or ()]
            unknown = [name for name in header if name not in CSV_COLUMNS]
            missing = [name for name in ("account", "flag") if name not in header]
            if unknown or missing:
                parts = [f"unknown columns {', '.join(unknown)}"] if unknown else []
                parts += [f"missing columns {', '.join(missing)}"] if missing else []
                rule = "; ".join(parts)
                raise ValidationFailed([Problem(f"{path.name}: header", f"{rule} (known: {', '.join(CSV_COLUMNS)})")])
            for number, raw in enumerate(reader, start=2):
                row = {name.strip(): (value or "").strip() for name, value in raw.items() if name is not None}
                label = f"row {number}"
                found = _row_change(row, label, problems)
                if found is not None:
                    changes.append(found)
                    labels.append(label)
    except UnicodeDecodeError as error:
        raise ValidationFailed([Problem(path.name, f"is not UTF-8 text (byte {error.start})")]) from error
    if problems:
        raise ValidationFailed(problems)
    return changes, labels


def _row_change(row: dict[str, str], label: str, problems: list[Problem]) -> FlagChange | RoleChange | None:
    day = None
    if row.get("date"):
        try:
            day = date.fromisoformat(row["date"])
        except ValueError:
            problems.append(Problem(f"{label}: date", "must be a date (YYYY-MM-DD)", row["date"]))
            return None
    clear_text = row.get("clear", "").lower()
    if clear_text not in TRUE + FALSE:
        problems.append(Problem(f"{label}: clear", "must be true or false", row["clear"]))
        return None
    clear = clear_text in TRUE
    if not row.get("account"):
        problems.append(Problem(f"{label}: account", "is required", ""))
        return None
    if row.get("flag") in ROLES:
        details = {name: row.get(name, "") for name in ("name", "address1", "address2", "city", "state",
                   "postal_code", "phone", "email")}  # fmt: skip
        return RoleChange(row["account"], row["flag"], **details, since=day, remove=clear)
    return FlagChange(row["account"], row.get("flag", ""), day, clear)
