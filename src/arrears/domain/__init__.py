"""Pure domain: dataclasses and functions, no I/O."""
