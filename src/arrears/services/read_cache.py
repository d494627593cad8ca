"""Answers of reads kept for as long as the database is unchanged: the same question on the same data is
answered again without asking the database.

Every answer is kept with the database's change version (:meth:`arrears.store.db.Database.change_version`)
read *before* it was computed, and is only given back while the version is still that one: a commit in
between, by any connection or process (a payment, a run, a revoked token), makes it be computed again, and an
answer computed while a commit landed is at worst computed once more. An answer may also say until when it
holds (a worklist's calls, whose contact rules open and close with the clock). A database without a version
keeps nothing.

The cache is per :class:`~arrears.store.db.Database` and per process, bounded in bytes (the least recently
used answers go first), and safe to use from several threads.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cachetools import LRUCache

from arrears.store.db import Database

CAPACITY = 64 * 1024 * 1024
"""How many bytes of answers a database's cache keeps (about: an answer's size is what its keeper says)."""
SMALL = 512
"""The size of an answer whose keeper does not say (a principal, a few values)."""


@dataclass(frozen=True, slots=True)
class Kept:
    """An answer, the change version it was computed at, the moment it stops holding (None: never), and about
    how many bytes it holds."""

    value: Any
    version: str
    until: datetime | None
    size: int


class ReadCache:
    """The kept answers of one database."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._answers: LRUCache[Hashable, Kept] = LRUCache(maxsize=capacity, getsizeof=lambda kept: kept.size)
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: str | None, now: datetime) -> Any | None:
        """The answer kept for ``key`` when it was computed at ``version`` and still holds at ``now``; else None."""
        if version is None:
            return None
        with self._lock:
            kept = self._answers.get(key)
        if kept is None or kept.version != version or (kept.until is not None and now >= kept.until):
            return None
        return kept.value

    def keep(
        self, key: Hashable, version: str | None, value: Any, until: datetime | None = None, size: int = SMALL
    ) -> None:
        """Keep ``value`` (about ``size`` bytes) as the answer to ``key`` computed at ``version`` (read before
        computing it), holding until ``until`` (None: for as long as the database is unchanged). An answer
        larger than the whole cache is not kept."""
        if version is None or size > self._answers.maxsize:
            return
        with self._lock:
            self._answers[key] = Kept(value, version, until, size)


_caches: weakref.WeakKeyDictionary[Database, ReadCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def read_cache(db: Database) -> ReadCache:
    """The cache of ``db`` in this process (it goes with ``db``); answers are kept with ``db.change_version()``
    read before computing them."""
    with _caches_lock:
        cache = _caches.get(db)
        if cache is None:
            cache = _caches[db] = ReadCache()
        return cache
