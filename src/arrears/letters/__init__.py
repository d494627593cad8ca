"""Letters: Jinja2 templates rendered with documented merge fields (:mod:`arrears.letters.render`), the merge data
they read (:mod:`arrears.letters.merge_data`, :mod:`arrears.letters.records`) and their printing.

The package itself imports nothing, so that a module needing only the merge data loads no template engine."""
