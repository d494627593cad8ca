"""Printing letters: a rendered letter's HTML to PDF with WeasyPrint, reproducibly, and the print shop's batch.

Every letter is a US Letter page set with :data:`BASE_CSS` first (the positions below), then the template's own
stylesheet. Positions a template relies on:

``.window-address``
    The guarantor's address block, placed for the window of a #10 window envelope with the letter folded in
    three: :data:`WINDOW` (inches from the paper's top-left corner).
``.remittance``
    The remittance stub: kept on one page, after a dashed tear-off line.

Printing is reproducible: the same letter on the same date gives the same bytes (WeasyPrint writes no dates of
its own; the fonts it embeds are stamped with the letter's date through ``SOURCE_DATE_EPOCH``, which fontTools
reads). Nothing is fetched to print a letter: only ``data:`` URIs (the letterhead's logo) are loaded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from html import escape
from typing import Final

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from arrears.letters.render import RenderedLetter

__all__ = ["BASE_CSS", "WINDOW", "PrintedPdf", "letter_html", "render_many", "render_pdf"]


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


def letter_html(rendered: RenderedLetter, stylesheet: str, *, html_body: bool, title: str) -> str:
    """The whole HTML document of one letter: the base positions, the template's stylesheet, the body (a text
    body is escaped and keeps its line breaks)."""
    body = rendered.body if html_body else f'<div class="text-letter">{escape(rendered.body)}</div>'
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{BASE_CSS}</style><style>{stylesheet}</style></head><body>{body}</body></html>"
    )


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


def render_pdf(html: str, on: date) -> PrintedPdf:
    """The PDF of one HTML document, dated ``on``."""
    with _dated(on):
        document = HTML(string=html, url_fetcher=_data_only).render(font_config=_fonts())
        return PrintedPdf(document.write_pdf(), len(document.pages))


def _render_one(document: tuple[str, date]) -> PrintedPdf:
    return render_pdf(*document)


def render_many(documents: Sequence[tuple[str, date]], workers: int = 1) -> list[PrintedPdf]:
    """The PDFs of ``documents`` ((HTML, date) pairs), in order, laid out by ``workers`` processes (WeasyPrint
    is pure Python and holds the interpreter: one process per core is what makes a batch fast)."""
    if workers <= 1 or len(documents) < 2:
        return [_render_one(document) for document in documents]
    chunk = max(1, min(25, len(documents) // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_render_one, documents, chunksize=chunk))
