"""The import's CSV reader (pyarrow's streaming reader) reads what the csv module reads: the same cells, the rows
numbered by the line they start on, and the rows of another width reported with their field count — across
blocks, with quotes, line breaks in fields, CRLF, blank lines and a byte-order mark."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears.services import import_reader
from arrears.services.import_reader import ArrowFrames, BlockTooSmall

CELLS = st.one_of(
    st.sampled_from(["", "a", "T-1", "12.50", '"', '""', ",", "a,b", "two\nlines", "cr\rhere", "crlf\r\nin", " x "]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=6),
)


def csv_module_rows(path: Path, width: int) -> tuple[list[tuple[int, list[str]]], list[tuple[int, int]]]:
    """(line, cells) of the rows of ``width`` fields after the header, and (line, fields) of the others."""
    good, ragged = [], []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        line = 0
        for number, cells in enumerate(reader):
            start, line = line + 1, reader.line_num
            if number == 0 or not cells:
                continue
            if len(cells) == width:
                good.append((start, cells))
            else:
                ragged.append((start, len(cells)))
    return good, ragged


def arrow_rows(path: Path, names: list[str], block: int) -> tuple[list[tuple[int, list[str]]], list[tuple[int, int]]]:
    good: list[tuple[int, list[str]]] = []
    ragged: list[tuple[int, int]] = []
    with ArrowFrames(path, block) as reader:
        for frame, odd in reader.frames(names):
            good += [(row[0], list(row[1:])) for row in frame.iter_rows()]
            ragged += odd
    return good, ragged


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          derandomize=True)  # fmt: skip
@given(
    width=st.integers(min_value=1, max_value=4),
    rows=st.lists(st.lists(CELLS, max_size=5), max_size=25),
    ending=st.sampled_from(["\n", "\r\n"]),
    blanks=st.lists(st.integers(min_value=0, max_value=30), max_size=3),
    bom=st.booleans(),
    quote_all=st.booleans(),
)
def test_any_file_reads_as_the_csv_module_reads_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    width: int,
    rows: list[list[str]],
    ending: str,
    blanks: list[int],
    bom: bool,
    quote_all: bool,
) -> None:
    monkeypatch.setattr(import_reader, "MIN_BLOCK", 64)
    monkeypatch.setattr(import_reader, "MAX_BLOCK", 128)  # many blocks, several per frame
    names = [f"c{n}" for n in range(width)]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator=ending, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(names)
    lines = [line for row in rows if (line := _row_text(row, ending, quote_all))]
    for position in sorted(blanks, reverse=True):
        lines.insert(min(position, len(lines)), "")  # a blank line between rows
    path = tmp_path / "any.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + (text.getvalue() + "".join(f"{ln}{ending}" for ln in lines))
                     .encode())  # fmt: skip
    expected = csv_module_rows(path, width)
    block = 256
    while True:
        try:
            assert arrow_rows(path, names, block) == expected
            return
        except BlockTooSmall:
            block *= 16  # as the import does: a row longer than the block is read again with a larger one


def _row_text(row: list[str], ending: str, quote_all: bool) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerow(row)
    return text.getvalue()


def test_a_plain_file_is_one_record_a_line_and_a_quote_or_blank_line_is_not(tmp_path: Path) -> None:
    for content, plain in ((b"a,b\n1,2\r\n3,4\r5,6", True), (b'a,b\n"1",2\n', False), (b"a,b\n1,2\n\n3,4\n", False),
                           (b"a,b\r\n\r\n1,2\r\n", False), (b"a,b\r\r1,2", False)):  # fmt: skip
        path = tmp_path / "f.csv"
        path.write_bytes(content)
        assert import_reader.every_line_a_record(path) is plain, content
