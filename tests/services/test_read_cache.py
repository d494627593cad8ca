"""Answers kept while the database is unchanged: given again at the version they were computed at, until the
moment they stop holding, within the cache's bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from arrears.services.read_cache import ReadCache, read_cache
from arrears.store.db import Database

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_an_answer_is_given_again_at_its_version_only() -> None:
    cache = ReadCache()
    cache.keep("worklist BO", "v1", ["evans"])
    assert cache.get("worklist BO", "v1", NINE) == ["evans"]
    assert cache.get("worklist BO", "v2", NINE) is None  # something was committed since
    assert cache.get("worklist LO", "v1", NINE) is None
    cache.keep("unversioned", None, ["sloan"])  # a database that cannot say whether it changed keeps nothing
    assert cache.get("unversioned", None, NINE) is None


def test_an_answer_holds_until_its_moment() -> None:
    cache = ReadCache()
    cache.keep("today", "v1", ["evans"], until=NINE + timedelta(minutes=1))
    assert cache.get("today", "v1", NINE + timedelta(seconds=59)) == ["evans"]
    assert cache.get("today", "v1", NINE + timedelta(minutes=1)) is None


def test_the_cache_keeps_its_bytes_and_drops_the_least_recently_used() -> None:
    cache = ReadCache(capacity=1000)
    cache.keep("a", "v1", "first", size=400)
    cache.keep("b", "v1", "second", size=400)
    assert cache.get("a", "v1", NINE) == "first"  # a is now the most recently used
    cache.keep("c", "v1", "third", size=400)
    assert [cache.get(key, "v1", NINE) for key in "abc"] == ["first", None, "third"]
    cache.keep("huge", "v1", "too big", size=1001)
    assert cache.get("huge", "v1", NINE) is None and cache.get("c", "v1", NINE) == "third"


def test_each_database_has_its_own_cache(sqlite_db: Database) -> None:
    other = Database.connect("sqlite://", migrate=False)
    assert read_cache(sqlite_db) is read_cache(sqlite_db)
    assert read_cache(other) is not read_cache(sqlite_db)
    other.dispose()
