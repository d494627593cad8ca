"""The stored strategy is parsed once per configuration: kept in the process and in a cache file per database,
and read anew whenever a stored row changes, whatever wrote it (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from arrears.services import config, config_entities
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database, sqlite_url
from tests.examples import example_text
from tests.services.test_config_versions import portfolios


def test_an_unchanged_configuration_is_parsed_once_and_any_change_is_read(db: Database) -> None:
    portfolios(db)
    config.apply_document(db, example_text(), "strategy.yaml")
    first = load_strategy(db)
    assert load_strategy(db) is first  # nothing changed: the same strategy, not parsed again
    call_1 = first.action("Call 1")
    assert call_1 is not None and call_1.follow_up_days == 7

    config_entities.update_action(db, "Call 1", replace(call_1, follow_up_days=10))
    changed = load_strategy(db).action("Call 1")
    assert changed is not None and changed.follow_up_days == 10

    with db.transaction() as session:  # another program, or an old one, writes the row itself
        row = session.execute(text("SELECT body FROM config_entity WHERE kind = 'action' AND name = 'Call 1'")).one()
        body = json.loads(row.body) | {"follow_up_days": 12}
        session.execute(text("UPDATE config_entity SET body = :body WHERE kind = 'action' AND name = 'Call 1'"),
                        {"body": json.dumps(body)})  # fmt: skip
    written = load_strategy(db).action("Call 1")
    assert written is not None and written.follow_up_days == 12


_CHILD = """
import json, sys
from arrears.store.db import Database
from arrears.services.stored_strategy import load_strategy
strategy = load_strategy(Database.connect(sys.argv[1], migrate=False))
print(json.dumps({"document_models": "arrears.services.config_document" in sys.modules,
                  "pydantic": "pydantic" in sys.modules, "strategy": repr(strategy)}))
"""


def _command(url: str, cache: Path | str) -> dict[str, object]:
    """What a fresh interpreter loading the stored strategy of ``url`` saw, with ``cache`` as its cache."""
    environment = os.environ | {"ARREARS_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", _CHILD, url], capture_output=True, text=True, timeout=120,
                          check=True, env=environment)  # fmt: skip
    return json.loads(done.stdout)


@pytest.fixture
def configured(sqlite_db: Database) -> str:
    portfolios(sqlite_db)
    config.apply_document(sqlite_db, example_text(), "strategy.yaml")
    return sqlite_url(sqlite_db.engine.url.database or "")


def test_a_command_finds_an_unchanged_configuration_in_its_cache_file_without_the_document_models(
    configured: str, tmp_path: Path
) -> None:
    first = _command(configured, tmp_path / "cache")
    assert first["document_models"] and first["pydantic"]  # the first command parses the stored rows
    second = _command(configured, tmp_path / "cache")
    assert not second["document_models"] and not second["pydantic"]
    assert second["strategy"] == first["strategy"] == repr(load_strategy(Database.connect(configured)))


def test_a_damaged_or_missing_cache_is_parsed_again_and_an_empty_cache_directory_keeps_nothing(
    configured: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    expected = _command(configured, cache)["strategy"]
    [kept] = cache.iterdir()
    kept.write_bytes(kept.read_bytes()[:40])  # the digest, and a cut pickle
    again = _command(configured, cache)
    assert again["document_models"] and again["strategy"] == expected
    assert not _command(configured, cache)["document_models"]  # the file was written again, whole

    # without a cache directory every command parses the rows
    assert _command(configured, "")["document_models"] and _command(configured, "")["document_models"]
