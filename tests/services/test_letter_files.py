"""A configuration document's letters may keep their HTML and CSS in files beside it (body_file,
stylesheet_file); the files are read when the document is, and a path leaving its folder is refused."""

from __future__ import annotations

from pathlib import Path

from arrears.services.config_document import dump_strategy, parse_document

DOCUMENT = """version: 1
letters:
  - code: G30
    name: First notice
    body_file: letters/first.html
    stylesheet_file: letters/letter.css
    response_days: 15
    validation_notice: true
"""


def _write(folder: Path, text: str = DOCUMENT) -> Path:
    (folder / "letters").mkdir()
    (folder / "letters" / "first.html").write_text("<p>Dear {{ party.first_name }}</p>\n")
    (folder / "letters" / "letter.css").write_text("@page { size: letter }\n")
    path = folder / "strategy.yaml"
    path.write_text(text)
    return path


def test_letter_files_are_read_beside_the_document_and_exported_inline(tmp_path: Path) -> None:
    path = _write(tmp_path)
    parsed = parse_document(path.read_text(), str(path))
    assert parsed.errors == ()
    assert parsed.strategy is not None
    (letter,) = parsed.strategy.letters
    assert (letter.body, letter.stylesheet, letter.response_days, letter.validation_notice) == (
        "<p>Dear {{ party.first_name }}</p>\n", "@page { size: letter }\n", 15, True,
    )  # fmt: skip
    exported = dump_strategy(parsed.strategy)
    assert "body: |\n" in exported and "body_file" not in exported and "response_days: 15" in exported
    assert "validation_notice: true" in exported and "demands_payment" not in exported
    assert parse_document(exported, "export.yaml").strategy == parsed.strategy


def test_letter_files_that_cannot_be_read_are_refused_with_their_path(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("no")
    folder = tmp_path / "config"
    folder.mkdir()
    text = DOCUMENT.replace("letters/letter.css", "../secret.txt") + "    body: twice\n"
    path = _write(folder, text)
    errors = [(e.path, e.rule) for e in parse_document(path.read_text(), str(path)).errors]
    assert errors == [
        ("letters[G30].body_file", "give either body or body_file, not both"),
        ("letters[G30].stylesheet_file", "'../secret.txt' is outside the document's folder"),
    ]
    missing = [(e.path, e.rule) for e in parse_document(DOCUMENT, "<document>").errors]
    assert missing[0] == ("letters[G30].body_file", "names a file, but the document was not read from a file")
