"""Printing a batch of letters: every letter queued on a day rendered to PDF for the print shop.

``print_batch`` renders the batch's letters with the merge data recorded when they were queued, in postal order
(ZIP code, then name), and writes into the output folder:

- ``letters-DAY[-PORTFOLIO].pdf``: a cover sheet with the totals, then every letter (the print shop's file);
- ``letters-DAY[-PORTFOLIO].csv``: the index, one row per letter (sequence, account, template, addressee, ZIP,
  pages, first page in the combined file, the letter's own file and its SHA-256);
- ``letters-DAY[-PORTFOLIO]/NNNN-ACCOUNT-TEMPLATE.pdf``: each letter's own PDF.

Then, in one transaction, each letter printed for the first time is marked printed: its PDF is kept with the
letter (the account's history), one collection note is written and the activity that queued it gets the
``printed`` outcome. Reprinting the batch gives byte-identical files (a letter printed before is reprinted from
the PDF kept with it, never re-rendered from a template edited since) and writes no row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter

from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.money import format_cents
from arrears.letters.pdf import LetterJob, PrintedPdf, PrintSetting, print_letters, render_pdf
from arrears.letters.records import merge_data_from_record
from arrears.letters.render import LetterError, addressee_of
from arrears.services.jobs import JobLine, queue_job, run_job, show_job
from arrears.services.stored_strategy import load_strategy
from arrears.store.audit import append_audit
from arrears.store.db import Database
from arrears.store.letter_batches import (
    PRINTED,
    BatchLetter,
    PrintedLetter,
    batch_days,
    batch_letters,
    batch_size,
    latest_batch_day,
    mark_printed,
    portfolio_exists,
)
from arrears.store.merge_facts import read_letterheads
from arrears.store.uow import UnitOfWork

INDEX_COLUMNS = ("sequence", "letter_id", "account", "portfolio", "template", "addressee", "representative",
                 "address", "postal_code", "pages", "first_page", "balance", "file", "sha256")  # fmt: skip
"""``addressee`` and ``address``: whom the letter is mailed to (the guarantor, or the representative it is
redirected to); ``representative``: attorney or estate_representative when redirected, else empty."""


PARALLEL_FROM = 50
"""From this many letters to render, a batch is laid out by one process per core."""


@dataclass(frozen=True, slots=True)
class PrintedBatch:
    """What printing a batch wrote."""

    day: date
    portfolio: str | None
    combined: Path
    index: Path
    folder: Path
    letters: int
    pages: int
    """Pages of the combined file, the cover sheet included."""
    newly_printed: int
    """Letters marked printed by this call (0 on a reprint)."""


@dataclass(frozen=True, slots=True)
class _Prepared:
    letter: BatchLetter
    name: str
    address: str
    postal_code: str
    balance_cents: int


def _prepare(letter: BatchLetter) -> _Prepared:
    """What the batch needs of a letter's merge data besides printing it: whom it is mailed to (name,
    address, ZIP code: the postal order), and the balance (the cover sheet). A letter to print that is
    redirected to a representative its merge data does not hold is a :class:`LetterError`."""
    data = merge_data_from_record(json.loads(letter.merge_data))
    try:
        to = addressee_of(data, letter.addressee)
    except LetterError:
        if letter.pdf is None:
            raise
        to = addressee_of(data)  # printed before representatives were recorded: as it was indexed then
    address = ", ".join([*to["address_lines"], f"{to['city']}, {to['state']} {to['postal_code']}".strip(", ")])
    return _Prepared(letter, to["name"], address, to["postal_code"], data.position.balance_cents)


def _postal_order(item: _Prepared) -> tuple[str, str, int]:
    """The addressee's ZIP code first (the print shop's presort), then their name, then the letter."""
    return (item.postal_code, item.name.casefold(), item.letter.id)


def _cover(day: date, portfolio: str | None, items: Sequence[_Prepared], pages: Sequence[int]) -> str:
    by_template = Counter(item.letter.template for item in items)
    pages_by_template: Counter[str] = Counter()
    for item, count in zip(items, pages, strict=True):
        pages_by_template[item.letter.template] += count
    rows = "".join(
        f"<tr><td>{escape(code)}</td><td>{by_template[code]}</td><td>{pages_by_template[code]}</td></tr>"
        for code in sorted(by_template)
    )
    total = format_cents(sum(item.balance_cents for item in items))
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Print batch</title><style>'
        "@page { size: letter; margin: 1in } body { font-family: 'DejaVu Sans', sans-serif; font-size: 11pt }"
        "table { border-collapse: collapse } td, th { border: 0.5pt solid #333; padding: 3pt 10pt; text-align: left }"
        "</style></head><body>"
        f"<h1>Letter batch of {day.isoformat()}</h1><p>Portfolio: {escape(portfolio or 'all portfolios')}</p>"
        f"<table><tr><th>Letters</th><td>{len(items)}</td></tr><tr><th>Pages (letters)</th><td>{sum(pages)}</td></tr>"
        f"<tr><th>Balance of the letters</th><td>{total}</td></tr></table>"
        f"<h2>By template</h2><table><tr><th>Template</th><th>Letters</th><th>Pages</th></tr>{rows}</table>"
        "<p>Letters follow in postal order (ZIP code, then name), each starting on a new page.</p>"
        "</body></html>"
    )


def _page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _file_name(sequence: int, letter: BatchLetter) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in f"{letter.external_id}-{letter.template}")
    return f"{sequence:04d}-{safe}.pdf"


@dataclass(frozen=True, slots=True)
class BatchDay:
    """Letters queued on one day for one portfolio: how many, and how many of them are printed."""

    day: date
    portfolio: str
    letters: int
    printed: int


def batch_days_of(db: Database, portfolios: frozenset[str] | None = None, limit: int = 60) -> list[BatchDay]:
    """The latest days with letters to print, per portfolio (of ``portfolios`` only, when given), newest first."""
    with db.engine.connect() as connection:
        chosen = sorted(portfolios) if portfolios is not None else None
        return [BatchDay(*row) for row in batch_days(connection, chosen, limit)]


@dataclass(frozen=True, slots=True)
class BatchChoice:
    """The batch a print would print: its day, portfolio (None: every one) and how many letters it has."""

    day: date
    portfolio: str | None
    letters: int


def choose_batch(db: Database, day: date | None, portfolio: str | None) -> BatchChoice:
    """The batch of ``day`` (the latest day with letters when None) of ``portfolio`` or all; :class:`NotFound`
    for an unknown portfolio or a day without letters."""
    with db.engine.connect() as connection:
        if portfolio is not None and not portfolio_exists(connection, portfolio):
            raise NotFound(f"no portfolio {portfolio!r}")
        day = day or latest_batch_day(connection, portfolio)
        if day is None:
            raise NotFound("no letters have been queued" + (f" for {portfolio}" if portfolio else ""))
        count = batch_size(connection, day, portfolio)
    if not count:
        raise NotFound(f"no letters were queued on {day.isoformat()}" + (f" for {portfolio}" if portfolio else ""))
    return BatchChoice(day, portfolio, count)


def print_batch(
    db: Database,
    output: Path,
    *,
    day: date | None = None,
    portfolio: str | None = None,
    printed_on: date,
    actor: str = "cli",
    workers: int | None = None,
) -> PrintedBatch:
    """Print the letters queued on ``day`` (the latest day with letters when None), of ``portfolio`` or all,
    into ``output``, and mark them printed on ``printed_on``.

    Every letter is rendered before anything is written: a letter that cannot be rendered (its template
    removed, or past a limit) is a :class:`ValidationFailed` naming the letter, and nothing is printed. The PDFs
    are laid out by ``workers`` processes (default: one per core from :data:`PARALLEL_FROM` letters).
    """
    strategy = load_strategy(db)
    day = choose_batch(db, day, portfolio).day
    with db.engine.connect() as connection:
        letters = batch_letters(connection, day, portfolio)
        logos = {code: head["logo"] for code, head in read_letterheads(connection, with_logo=True).items()}
    if not letters:
        raise NotFound(f"no letters were queued on {day.isoformat()}" + (f" for {portfolio}" if portfolio else ""))
    templates = {template.code: template for template in reversed(strategy.letters)}
    problems = [Problem(f"letter {letter.id} ({letter.external_id})", f"no letter template '{letter.template}'")
                for letter in letters if letter.pdf is None and letter.template not in templates]  # fmt: skip
    if problems:
        raise ValidationFailed(problems)
    prepared = []
    for letter in letters:
        try:
            prepared.append(_prepare(letter))
        except LetterError as error:
            problems.append(Problem(f"letter {letter.id} ({letter.external_id})", str(error)))
    if problems:
        raise ValidationFailed(problems)
    prepared.sort(key=_postal_order)

    # Each letter is added to the print shop's file as soon as it is laid out, while the next ones are.
    to_render = [item.letter for item in prepared if item.letter.pdf is None]
    if workers is None:
        workers = (os.cpu_count() or 1) if len(to_render) >= PARALLEL_FROM else 1
    jobs = [LetterJob(letter.template, letter.portfolio_code, letter.merge_data,
                      f"{templates[letter.template].name}: {letter.external_id}", letter.queued_on, letter.addressee)
            for letter in to_render]  # fmt: skip
    results = print_letters(jobs, PrintSetting(templates, logos), workers)
    combined_pdf = PdfWriter()
    pdfs: list[bytes] = []
    pages: list[int] = []
    for item in prepared:
        letter = item.letter
        if letter.pdf is not None:  # printed before: reprinted from the PDF kept with it
            pdf = PrintedPdf(letter.pdf, letter.pages if letter.pages is not None else _page_count(letter.pdf))
        else:
            result = next(results)
            if isinstance(result, str):
                problems.append(Problem(f"letter {letter.id} ({letter.external_id})", result))
                continue
            pdf = result
        if not problems:
            combined_pdf.append(PdfReader(io.BytesIO(pdf.data)))
        pdfs.append(pdf.data)
        pages.append(pdf.pages)
    if problems:
        raise ValidationFailed(problems)
    cover = render_pdf(_cover(day, portfolio, prepared, pages), day)
    combined_pdf.merge(0, PdfReader(io.BytesIO(cover.data)))

    stem = f"letters-{day.isoformat()}" + (f"-{portfolio}" if portfolio else "")
    folder = output / stem
    folder.mkdir(parents=True, exist_ok=True)
    combined, index = output / f"{stem}.pdf", output / f"{stem}.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(INDEX_COLUMNS)
    first_page = cover.pages + 1
    printed: list[PrintedLetter] = []
    for sequence, (item, data, count) in enumerate(zip(prepared, pdfs, pages, strict=True), start=1):
        name = _file_name(sequence, item.letter)
        (folder / name).write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        writer.writerow([sequence, item.letter.id, item.letter.external_id, item.letter.portfolio_code,
                         item.letter.template, item.name, item.letter.addressee, item.address, item.postal_code,
                         count, first_page, format_cents(item.balance_cents), f"{stem}/{name}", digest])  # fmt: skip
        first_page += count
        note = (f"Letter {item.letter.template} printed ({count} page{'s' if count != 1 else ''}) in the batch of "
                f"{day.isoformat()}: {stem}/{name}")  # fmt: skip
        printed.append(PrintedLetter(item.letter, data, digest, count, note))
    with combined.open("wb") as out:
        combined_pdf.write(out)
    index.write_text(buffer.getvalue(), encoding="utf-8")

    with UnitOfWork(db) as uow:
        newly = mark_printed(uow.session.connection(), printed, printed_on, actor)
        if newly:
            append_audit(
                uow.session,
                actor=actor,
                entity="letter_batch",
                key=stem,
                action=PRINTED,
                before=None,
                after={"letters": newly, "day": day.isoformat(), "printed_on": printed_on.isoformat()},
            )
        uow.commit()
    return PrintedBatch(day, portfolio, combined, index, folder, len(prepared), first_page - 1, newly)


_BATCH_NAME = re.compile(r"^letters-(\d{4}-\d{2}-\d{2})(?:-(.+))?$")


def printed_batches(output: Path) -> list[dict[str, Any]]:
    """The batches printed into ``output`` (by :func:`print_batch`), newest day first: name, day, portfolio
    (None: every portfolio), letters (the index's rows), the combined PDF's path and size."""
    found = []
    for pdf in output.glob("letters-*.pdf") if output.is_dir() else ():
        match = _BATCH_NAME.match(pdf.stem)
        if match is None:
            continue
        index = pdf.with_suffix(".csv")
        letters = max(len(index.read_text(encoding="utf-8").splitlines()) - 1, 0) if index.is_file() else 0
        found.append({"name": pdf.stem, "day": date.fromisoformat(match[1]), "portfolio": match[2],
                      "letters": letters, "path": pdf, "size_bytes": pdf.stat().st_size})  # fmt: skip
    return sorted(found, key=lambda batch: (batch["day"], batch["name"]), reverse=True)


PRINT_JOB = "letter_batch"
"""The kind of the background job that prints a batch."""


def print_or_queue(
    db: Database, output: Path, *, day: date | None, portfolio: str | None, printed_on: date, actor: str,
    at_once_up_to: int, start: Callable[[int], object],
) -> PrintedBatch | JobLine:  # fmt: skip
    """Print the batch now when it has at most ``at_once_up_to`` letters; a larger one is queued as a job, whose
    id is handed to ``start`` (which runs :func:`run_print_job` in the background), and the job is returned.
    An unknown portfolio or a day without letters is refused at once (:class:`NotFound`)."""
    chosen = choose_batch(db, day, portfolio)
    if chosen.letters <= at_once_up_to:
        return print_batch(db, output, day=chosen.day, portfolio=portfolio, printed_on=printed_on, actor=actor)
    params = {"day": chosen.day.isoformat(), "printed_on": printed_on.isoformat(), "letters": chosen.letters}
    job = queue_job(db, PRINT_JOB, params, portfolio=portfolio, actor=actor)
    start(job.id)
    return job


def run_print_job(db: Database, output: Path, job_id: int) -> JobLine:
    """Do the print job ``job_id`` (queued by :func:`print_or_queue`): done with the batch's name, letters and
    pages, or failed with what refused it (nothing printed)."""

    def work(params: Mapping[str, Any]) -> dict[str, Any]:
        job = show_job(db, job_id)
        printed = print_batch(db, output, day=date.fromisoformat(params["day"]), portfolio=job.portfolio,
                              printed_on=date.fromisoformat(params["printed_on"]), actor=job.actor)  # fmt: skip
        return {"batch": printed.combined.stem, "letters": printed.letters, "pages": printed.pages}

    return run_job(db, job_id, work)
