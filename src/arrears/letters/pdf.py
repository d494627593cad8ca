"""Printing letters: a rendered letter's HTML to PDF with WeasyPrint, reproducibly, and the print shop's batch.

Every letter is a US Letter page set with :data:`BASE_CSS` first (the positions below), then the template's own
stylesheet. Positions a template relies on:

``.window-address``
    The guarantor's address block, placed for the window of a #10 window envelope with the letter folded in
    three: :data:`WINDOW` (inches from the paper's top-left corner).
``.remittance``
    The remittance stub: kept on one page, after a dashed tear-off line.
``.letterhead``
    The ``letterhead`` merge field's block: its logo 36 pt high at the left of the portfolio's name and
    contact line (a template's stylesheet styles the rest).

Printing is reproducible: the same letter on the same date gives the same bytes (WeasyPrint writes no dates of
its own; the fonts it embeds are stamped with the letter's date through ``SOURCE_DATE_EPOCH``, which fontTools
reads). Nothing is fetched to print a letter: only ``data:`` URIs (the letterhead's logo) are loaded.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache, partial
from html import escape
from typing import Final, TypeVar

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from arrears.domain.strategy import LetterTemplate
from arrears.letters.records import merge_data_from_record
from arrears.letters.render import LetterError, RenderedLetter, is_html, letter_context, render_letter

__all__ = [
    "BASE_CSS",
    "WINDOW",
    "LetterJob",
    "PrintSetting",
    "PrintedPdf",
    "letter_html",
    "letter_stylesheets",
    "print_letter",
    "print_letters",
    "render_many",
    "render_pdf",
]


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle on the page, in inches from the paper's top-left corner."""

    left: float
    top: float
    width: float
    height: float


PAGE_MARGIN: Final = Box(left=0.75, top=0.5, width=7.0, height=10.0)
"""US Letter (8.5 × 11 in) with 0.5 in top and bottom, 0.75 in side margins."""
WINDOW: Final = Box(left=0.875, top=2.0, width=3.75, height=1.125)
"""Where the address block prints: inside the 4½ × 1⅛ in window of a standard #10 window envelope
(⅞ in from the left), the letter folded in three with the address in its top third."""

BASE_CSS: Final = f"""
@page {{ size: letter; margin: {PAGE_MARGIN.top}in {8.5 - PAGE_MARGIN.left - PAGE_MARGIN.width}in
        {11 - PAGE_MARGIN.top - PAGE_MARGIN.height}in {PAGE_MARGIN.left}in;
        @bottom-right {{ content: "Page " counter(page); font-family: "DejaVu Sans", sans-serif; font-size: 7pt;
                         color: #555; }} }}
html, body {{ margin: 0; padding: 0; }}
.window-address {{ position: absolute; top: {WINDOW.top - PAGE_MARGIN.top}in;
                   left: {WINDOW.left - PAGE_MARGIN.left}in; width: {WINDOW.width}in; height: {WINDOW.height}in;
                   overflow: hidden; line-height: 1.25; }}
.letterhead {{ overflow: hidden; }}
.letterhead img {{ float: left; height: 36pt; margin-right: 10pt; }}
.remittance {{ break-inside: avoid; border-top: 1pt dashed #111; margin-top: 14pt; padding-top: 8pt; }}
.text-letter {{ white-space: pre-wrap; font-family: "DejaVu Sans Mono", monospace; font-size: 10pt; }}
"""


def _epoch(on: date) -> int:
    return int(datetime.combine(on, time(), tzinfo=UTC).timestamp())


@contextmanager
def _dated(on: date) -> Iterator[None]:
    """Stamp embedded fonts with ``on`` rather than the clock: the same letter prints the same bytes."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(_epoch(on))
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


_data_only: Final = URLFetcher(allowed_protocols={"data"})
"""Loads ``data:`` URIs only: a letter never fetches anything from a file or the network."""


def letter_html(rendered: RenderedLetter, *, html_body: bool, title: str) -> str:
    """The HTML document of one letter's body (a text body is escaped and keeps its line breaks); its
    stylesheets are :func:`letter_stylesheets`, given to :func:`render_pdf` apart."""
    body = rendered.body if html_body else f'<div class="text-letter">{escape(rendered.body)}</div>'
    head = f'<meta charset="utf-8"><title>{escape(title)}</title>'
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def letter_stylesheets(stylesheet: str) -> tuple[str, ...]:
    """The stylesheets of a letter, in cascade order: the base positions, then the template's own."""
    return (BASE_CSS, stylesheet) if stylesheet else (BASE_CSS,)


@dataclass(frozen=True, slots=True)
class PrintedPdf:
    """One PDF and its number of pages."""

    data: bytes
    pages: int


_FONTS: FontConfiguration | None = None


def _fonts() -> FontConfiguration:
    """One font configuration per process: loading the system's fonts is the slow part of a first letter."""
    global _FONTS
    if _FONTS is None:
        _FONTS = FontConfiguration()
    return _FONTS


@lru_cache(maxsize=64)
def _stylesheet(text: str) -> CSS:
    """``text`` parsed once per process: a batch's letters share a few stylesheets, and parsing them for every
    letter was a sixth of its time. The cascade is the same as with ``<style>`` in the document."""
    return CSS(string=text, url_fetcher=_data_only, font_config=_fonts())


def render_pdf(html: str, on: date, stylesheets: Sequence[str] = ()) -> PrintedPdf:
    """The PDF of one HTML document, dated ``on``, styled by ``stylesheets`` in order (WeasyPrint's user
    stylesheets: for a document without a ``<style>`` of its own the cascade is the one of ``<style>``
    elements, except that a ``style`` attribute's ``!important`` does not beat theirs)."""
    with _dated(on):
        sheets = [_stylesheet(text) for text in stylesheets]
        document = HTML(string=html, url_fetcher=_data_only).render(font_config=_fonts(), stylesheets=sheets)
        return PrintedPdf(document.write_pdf(), len(document.pages))


def _render_one(document: tuple[str, date]) -> PrintedPdf:
    return render_pdf(*document)


_T = TypeVar("_T")
_R = TypeVar("_R")


def _in_parallel(workers: int, items: Sequence[object]) -> bool:
    return workers > 1 and len(items) > 1


def _start_process(setup: Callable[[], None] | None) -> None:
    """A printing process starts with a copy of the caller's objects: frozen, the collector never walks them
    again (walking them was half of its time in a process, and 6% of the process's)."""
    gc.freeze()
    if setup is not None:
        setup()


def _laid_out(
    job: Callable[[_T], _R], items: Sequence[_T], workers: int, setup: Callable[[], None] | None = None
) -> Iterator[_R]:
    """``job`` of every item, in order, yielded as soon as each is done, by ``workers`` processes (WeasyPrint is
    pure Python and holds the interpreter: one process per core is what makes a batch fast). ``setup`` runs
    once in each process first."""
    chunk = max(1, min(25, len(items) // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers, initializer=partial(_start_process, setup)) as pool:
        yield from pool.map(job, items, chunksize=chunk)


def render_many(documents: Sequence[tuple[str, date]], workers: int = 1) -> list[PrintedPdf]:
    """The PDFs of ``documents`` ((HTML, date) pairs), in order, laid out by ``workers`` processes."""
    if not _in_parallel(workers, documents):
        return [_render_one(document) for document in documents]
    return list(_laid_out(_render_one, documents, workers))


@dataclass(frozen=True, slots=True)
class LetterJob:
    """One queued letter to print: what :func:`print_letters` renders, with the merge data recorded when it was
    queued (:func:`~arrears.letters.records.merge_record` as JSON)."""

    template: str
    """The template's code."""
    portfolio: str
    """The portfolio's code, whose logo the letterhead shows."""
    merge_data: str
    title: str
    on: date
    """The letter's date: the PDF is stamped with it."""
    addressee: str = ""
    """The representative's role the letter is redirected to (``attorney``, ``estate_representative``), empty
    for the guarantor: the letter is addressed to that representative on file when it was queued."""


@dataclass(frozen=True, slots=True)
class PrintSetting:
    """What every letter of a batch shares: the templates by code and the portfolios' logos (data: URIs) by
    code. Handed to each process once, not with every letter (a logo may be half a megabyte)."""

    templates: Mapping[str, LetterTemplate]
    logos: Mapping[str, str]


_SETTING: PrintSetting | None = None


def _set(setting: PrintSetting) -> None:
    global _SETTING
    _SETTING = setting


def print_letter(job: LetterJob, setting: PrintSetting) -> PrintedPdf:
    """The PDF of one queued letter: its template rendered with its merge data, then laid out; a template that
    cannot be rendered (missing, unknown field, past a limit) is a :class:`LetterError`."""
    template = setting.templates.get(job.template)
    if template is None:
        raise LetterError(f"no letter template '{job.template}'")
    data = merge_data_from_record(json.loads(job.merge_data), setting.logos.get(job.portfolio, ""))
    rendered = render_letter(template, letter_context(data, template, job.addressee))
    html = letter_html(rendered, html_body=is_html(template), title=job.title)
    return render_pdf(html, job.on, letter_stylesheets(template.stylesheet))


def _print_one(job: LetterJob, setting: PrintSetting | None = None) -> PrintedPdf | str:
    setting = setting or _SETTING
    assert setting is not None, "a printing process starts with the batch's setting"
    try:
        return print_letter(job, setting)
    except LetterError as error:  # every letter of the batch is tried, so every problem is named at once
        return str(error)


def print_letters(jobs: Sequence[LetterJob], setting: PrintSetting, workers: int = 1) -> Iterator[PrintedPdf | str]:
    """The PDF of every job, in order, yielded as each is done (by ``workers`` processes: the caller combines
    the first while the others are laid out); a letter that cannot be rendered yields its problem instead."""
    if not _in_parallel(workers, jobs):
        return (_print_one(job, setting) for job in jobs)
    return _laid_out(_print_one, jobs, workers, partial(_set, setting))
