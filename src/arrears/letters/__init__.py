"""Letters: Jinja2 templates rendered with documented merge fields (see :mod:`arrears.letters.render`)."""

from arrears.letters.render import (
    MERGE_FIELDS,
    LetterError,
    MergeData,
    RenderedLetter,
    letter_context,
    merge_fields,
    render_letter,
    sample_context,
    template_problems,
)

__all__ = [
    "MERGE_FIELDS",
    "LetterError",
    "MergeData",
    "RenderedLetter",
    "letter_context",
    "merge_fields",
    "render_letter",
    "sample_context",
    "template_problems",
]
