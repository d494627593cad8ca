"""Letters: Jinja2 templates rendered with documented merge fields (see :mod:`arrears.letters.render`)."""

from arrears.letters.render import (
    MERGE_FIELDS,
    LetterError,
    MergeData,
    RenderedLetter,
    is_html,
    letter_context,
    merge_fields,
    render_letter,
    sample_context,
    sample_data,
    template_problems,
)

__all__ = [
    "MERGE_FIELDS",
    "LetterError",
    "MergeData",
    "RenderedLetter",
    "is_html",
    "letter_context",
    "merge_fields",
    "render_letter",
    "sample_context",
    "sample_data",
    "template_problems",
]
