"""A short text notation for ledgers, so tests read like a collections manager's worksheet.

Each line: ``DATE KIND AMOUNT [due DATE] [service DATE] [guarantor|insurance] [reverses N]``;
lines are numbered from 1 in order, and that number is the line's sequence.
"""

from __future__ import annotations

from datetime import date

from arrears.domain.ledger import Entry, Kind, Source
from arrears.domain.money import Money


def d(text: str) -> date:
    """A date from ISO text."""
    return date.fromisoformat(text)


def ledger(text: str) -> list[Entry]:
    """Parse the ledger notation into entries."""
    entries = []
    lines = [line.split("#")[0].split() for line in text.strip().splitlines()]
    for seq, words in enumerate((w for w in lines if w), start=1):
        posted, kind, amount, *rest = words
        options = dict(zip(rest[::2], rest[1::2], strict=False))
        source = next((Source(w) for w in rest if w in {"guarantor", "insurance"}), None)
        entries.append(
            Entry(
                seq=seq,
                kind=Kind(kind),
                amount_cents=Money.parse(amount).cents,
                posted=d(posted),
                due=d(options["due"]) if "due" in options else None,
                service=d(options["service"]) if "service" in options else None,
                source=source,
                reverses=int(options["reverses"]) if "reverses" in options else None,
            )
        )
    return entries
