"""Tables that read at 80 columns: every table of the command line is built here.

A column is one of three sorts. A **whole** column (ids, money, dates, counts, codes) is never cut: it is as
wide as its longest value. A **text** column (names, reasons, descriptions) folds onto more lines when the
terminal is narrow. An **extra** column is shown only with ``--wide``, which also prints every column at its
full width, however wide the terminal (for a pager or a file).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from arrears.cli.app import console

WideOption = Annotated[bool, typer.Option("--wide", help="Every column, however wide the terminal.")]

Sort = Literal["whole", "text", "extra"]


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a table: its header, its sort (whole, text or extra) and its alignment."""

    header: str
    sort: Sort = "whole"
    right: bool = False


def whole(header: str, *, right: bool = False) -> Column:
    """A column that is never cut: ids, money, dates, counts, codes."""
    return Column(header, "whole", right)


def text(header: str) -> Column:
    """A column that folds onto more lines when the terminal is narrow: names, reasons, descriptions."""
    return Column(header, "text")


def extra(header: str, *, right: bool = False) -> Column:
    """A column shown only with ``--wide``."""
    return Column(header, "extra", right)


def money(header: str) -> Column:
    """An amount: whole and right-aligned."""
    return Column(header, "whole", True)


def table(
    columns: Sequence[Column], rows: Iterable[Sequence[str]], *, title: str | None = None, wide: bool = False
) -> Table:
    """A table of ``rows`` (one cell per column, extra ones included) that fits 80 columns unless ``wide``."""
    rows = list(rows)
    shown = [index for index, column in enumerate(columns) if wide or column.sort != "extra"]
    built = Table(title=title)
    for index in shown:
        column = columns[index]
        justify: Literal["left", "right"] = "right" if column.right else "left"
        if column.sort == "text" and not wide:
            built.add_column(column.header, justify=justify, overflow="fold")
        else:
            longest = max((_width(row[index]) for row in rows), default=0)
            built.add_column(column.header, justify=justify, no_wrap=True, min_width=max(longest, len(column.header)))
    for row in rows:
        built.add_row(*(row[index] for index in shown))
    return built


def _width(cell: str) -> int:
    """The width of a cell as printed: its longest line (markup escapes count, a few characters at most)."""
    return max((len(line) for line in str(cell).splitlines()), default=0)


def print_table(built: Table, *, wide: bool = False) -> None:
    """Print a table on the terminal; with ``wide``, at the width its columns need."""
    (Console(width=10_000, highlight=False) if wide else console).print(built)


def show_table(
    columns: Sequence[Column], rows: Iterable[Sequence[str]], *, title: str | None = None, wide: bool = False
) -> None:
    """Build and print a table (see :func:`table`)."""
    print_table(table(columns, rows, title=title, wide=wide), wide=wide)
