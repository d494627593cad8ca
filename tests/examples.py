"""The example strategy (``examples/strategy.yaml``) for tests that apply or edit it as text.

The example keeps its letters in files beside it (``body_file: letters/…``), which a document read from text
cannot name; :func:`example_text` writes those files inline, leaving every other line as it is.
"""

from __future__ import annotations

import re
from pathlib import Path
from textwrap import indent

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "strategy.yaml"
_LETTER_FILE = re.compile(r"^( +)(body|stylesheet)_file: (\S+)$", re.MULTILINE)


def example_text() -> str:
    """``examples/strategy.yaml`` with each letter's body_file and stylesheet_file written inline."""

    def inline(match: re.Match[str]) -> str:
        margin, key, name = match[1], match[2], match[3]
        content = (EXAMPLE.parent / name).read_text(encoding="utf-8")
        return f"{margin}{key}: |\n{indent(content, margin + '  ', lambda line: True).rstrip()}"

    return _LETTER_FILE.sub(inline, EXAMPLE.read_text(encoding="utf-8"))
