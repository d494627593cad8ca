"""The cyclic garbage collector paused around bulk work.

The import and the daily run build millions of short-lived tuples, rows and frames that hold no reference
cycles; the collector's passes over them free nothing yet cost about a third of the time. Reference counting
still frees every object when the work ends, so pausing the collector around one bounded unit of work (a
file, a chunk) is safe.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block; restore its previous state afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
