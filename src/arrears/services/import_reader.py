"""Reading a CSV file in frames of text columns with pyarrow's streaming CSV reader.

The file is parsed by pyarrow (in C++, a block of the file at a time, quoted fields with commas and line breaks
included) into Arrow batches of string columns that Polars takes without copying. A row whose field count differs
from the header's is not a frame row: pyarrow hands it to :meth:`ArrowFrames._ragged`, which keeps its record number
and field count, so it is reported as the csv module would count it.

Rows are numbered as lines of the file (the header is row 1), as every import reports them. pyarrow numbers
records; while every line of the file is one record (no quote, no blank line: what exports usually are) the two
are the same. Otherwise the line where each record starts is found by one pass of the csv module over the file
(:func:`line_starts`), and record numbers are mapped through it.
"""

from __future__ import annotations

import csv
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

SCAN_BYTES = 1 << 20
"""Bytes read at a time when looking for quotes and blank lines."""
MIN_BLOCK = 16 << 10
"""The smallest block pyarrow is given; a block must hold at least one whole row (:class:`BlockTooSmall`)."""
MAX_BLOCK = 1 << 20
"""The largest block pyarrow is given: its reader holds about ten times its block in memory, so larger frames
are made of several batches."""


class BlockTooSmall(Exception):
    """A row of the file is longer than the reader's block: read it again with a larger one."""


def every_line_a_record(path: Path) -> bool:
    """True when each line of ``path`` is one record: no quote (so no line break inside a field) and no blank
    line (``\\n\\n``, ``\\n\\r``, ``\\r\\r``; a lone ``\\r`` ends a line as the csv module reads it)."""
    last = b""
    with path.open("rb") as handle:
        while block := handle.read(SCAN_BYTES):
            if b'"' in block or b"\n\n" in block or b"\n\r" in block or b"\r\r" in block:
                return False
            if last + block[:1] in (b"\n\n", b"\n\r", b"\r\r"):
                return False
            last = block[-1:]
    return True


def line_starts(path: Path) -> array[int]:
    """The line on which each non-blank record of ``path`` starts, header included (index 0 = record 1), as the
    csv module reads the file; raises :class:`UnicodeDecodeError` on a file that is not UTF-8."""
    starts: array[int] = array("q")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        line = 0
        for cells in reader:
            start, line = line + 1, reader.line_num
            if cells:
                starts.append(start)
    return starts


class ArrowFrames:
    """The rows after the header of a CSV file, as frames: ``row`` (the row's line, header = 1) and one text column
    per column of the header, plus the ``(row, fields)`` of the rows whose field count is not the header's.

    Texts are taken as they are (no trimming, the empty text is not null); a file that is not UTF-8 raises
    :class:`UnicodeDecodeError`, as the csv module would.
    """

    def __init__(self, path: Path, block_bytes: int) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.block_bytes = max(block_bytes, MIN_BLOCK)
        self.batches_per_frame = max(1, self.block_bytes // MAX_BLOCK)
        self.handle: IO[bytes] | None = None
        self.header: list[str] | None = None
        self.records = 0
        """Records pyarrow has read so far, header included."""
        self._ragged_rows: list[tuple[int, int]] = []
        self._header_read = False
        with path.open(newline="", encoding="utf-8-sig") as text:
            self.header = next(csv.reader(text), None)

    def position(self) -> int:
        """Bytes of the file read so far (ahead by at most one block)."""
        return min(self.handle.tell(), self.size) if self.handle is not None else 0

    def _ragged(self, row: Any) -> str:
        # pyarrow's record number (header = 1, blank lines not counted); the header itself is not a data row
        if row.number == 1:
            self._header_read = True
        elif row.number is not None:
            self._ragged_rows.append((int(row.number), int(row.actual_columns)))
        return "skip"

    def frames(self, names: list[str]) -> Iterator[tuple[pl.DataFrame, list[tuple[int, int]]]]:
        """Frames of the rows after the header, with columns ``row`` and ``names`` (the header's, normalized and
        unique)."""
        lines = None if every_line_a_record(self.path) else pl.Series("line", line_starts(self.path), dtype=pl.Int64)
        self.handle = self.path.open("rb")
        reader = pacsv.open_csv(
            self.handle,
            read_options=pacsv.ReadOptions(
                use_threads=False, block_size=min(self.block_bytes, MAX_BLOCK), column_names=names
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=True, invalid_row_handler=self._ragged
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
            # malloc's: memory the reader frees goes back to the one heap SQLite and Python use too (pyarrow's own
            # pool keeps it, some 50 MiB more at the peak of an import)
            memory_pool=pa.system_memory_pool(),
        )
        good = 0  # data rows with the header's width read so far
        emitted = 0  # ragged rows handed out so far
        done = False
        while not done:
            batches = []
            while len(batches) < self.batches_per_frame:
                try:
                    batches.append(reader.read_next_batch())
                except StopIteration:
                    done = True
                    break
                except pa.ArrowInvalid as error:
                    raise _reading_error(error) from error
            if not batches:
                break
            frame = pl.from_arrow(pa.Table.from_batches(batches))
            assert isinstance(frame, pl.DataFrame)
            if not self._header_read and frame.height:
                self._header_read = True
                frame = frame.slice(1)  # the header, read again as a record of its width
            if not frame.height:
                continue
            numbers = self._record_numbers(good, frame.height)
            good += frame.height
            last = numbers[-1]
            ragged = [item for item in self._ragged_rows[emitted:] if item[0] < last]
            emitted += len(ragged)
            yield self._numbered(frame, numbers, lines), self._lines_of(ragged, lines)
        ragged = self._ragged_rows[emitted:]
        if ragged:
            empty = pl.DataFrame(schema=dict.fromkeys(names, pl.String))
            yield self._numbered(empty, pl.Series([], dtype=pl.Int64), lines), self._lines_of(ragged, lines)

    def _record_numbers(self, first: int, count: int) -> pl.Series:
        """The record numbers of the good rows ``first`` … ``first + count - 1`` (0-based among the good rows):
        the ragged rows before them push them on. A ragged row numbered ``r``, the ``i``-th (0-based), has
        ``r - 2 - i`` good rows before it."""
        good = pl.int_range(first, first + count, dtype=pl.Int64, eager=True)
        if not self._ragged_rows:
            return good + 2
        ragged = pl.Series([number for number, _ in self._ragged_rows], dtype=pl.Int64)
        before = ragged - 2 - pl.int_range(0, len(ragged), dtype=pl.Int64, eager=True)
        return good + 2 + before.search_sorted(good, side="right").cast(pl.Int64)

    @staticmethod
    def _numbered(frame: pl.DataFrame, records: pl.Series, lines: pl.Series | None) -> pl.DataFrame:
        row = records if lines is None else _through(records, lines)
        return frame.with_columns(row.alias("row")).select("row", *frame.columns)

    @staticmethod
    def _lines_of(ragged: list[tuple[int, int]], lines: pl.Series | None) -> list[tuple[int, int]]:
        if lines is None or not ragged:
            return ragged
        mapped = _through(pl.Series([number for number, _ in ragged], dtype=pl.Int64), lines).to_list()
        return [(line, fields) for line, (_, fields) in zip(mapped, ragged, strict=True)]

    def __enter__(self) -> ArrowFrames:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.handle is not None:
            self.handle.close()


def _through(records: pl.Series, lines: pl.Series) -> pl.Series:
    """Record numbers as lines; a record the csv module did not count (the two readers disagree on a malformed
    file) keeps its record number."""
    if lines.is_empty():
        return records
    index = records - 1
    mapped = lines.gather(index.clip(0, len(lines) - 1))
    return pl.select(pl.when(index < len(lines)).then(mapped).otherwise(records)).to_series()


def _reading_error(error: pa.ArrowInvalid) -> Exception:
    """The exception an import handles for a pyarrow reading error: not UTF-8, or a row longer than a block."""
    message = str(error)
    if "UTF8" in message or "UTF-8" in message:
        return UnicodeDecodeError("utf-8", b"", 0, 1, message)
    if "straddl" in message or "block size" in message:
        return BlockTooSmall(message)
    return error
