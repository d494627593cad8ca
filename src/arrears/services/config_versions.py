"""The configuration's history as Collections Admin reads it: the YAML document of the configuration (or of
one of its versions), the numbered versions, what changed between two of them, and the audit log.

Changes are made through :mod:`arrears.services.config` (:func:`~arrears.services.config.apply_document` for
a whole document); this module only reads.
"""

from __future__ import annotations

import json
from typing import Any

from arrears.domain.errors import NotFound
from arrears.domain.strategy import Strategy
from arrears.services.config import EntityChange, compare_bodies
from arrears.services.config_document import dump_strategy, entity_bodies, parse_document
from arrears.services.stored_strategy import load_strategy
from arrears.store import config_repo
from arrears.store.audit import recent_audit
from arrears.store.config_repo import VersionInfo
from arrears.store.db import Database

# ------------------------------------------------------------------------------------------ YAML


def export_document(db: Database, version: int | None = None) -> str:
    """The whole configuration as a YAML document (deterministic: the same configuration, the same text);
    with ``version``, the document of that configuration version."""
    if version is not None:
        return version_document(db, version)
    return dump_strategy(load_strategy(db))


# ------------------------------------------------------------------------------------------ versions


def versions(db: Database) -> list[VersionInfo]:
    """Every configuration version, newest first (number, time, actor, summary)."""
    with db.engine.connect() as connection:
        return config_repo.versions(connection)


def version_document(db: Database, number: int) -> str:
    """The YAML document of configuration version ``number``."""
    with db.engine.connect() as connection:
        document = config_repo.version_document(connection, number)
    if document is None:
        raise NotFound(f"no configuration version {number}")
    return document


def version_strategy(db: Database, number: int) -> Strategy:
    """The configuration of version ``number``."""
    parsed = parse_document(version_document(db, number), f"version {number}")
    if parsed.strategy is None:  # a stored version is always a document; this guards a damaged row
        raise NotFound(f"configuration version {number} cannot be read: {parsed.errors[0]}")
    return parsed.strategy


def version_diff(db: Database, first: int, second: int | None = None) -> tuple[EntityChange, ...]:
    """What changed from version ``first`` to version ``second`` (default: the stored configuration)."""
    old = entity_bodies(version_strategy(db, first))
    new = entity_bodies(version_strategy(db, second) if second is not None else load_strategy(db))
    return tuple(compare_bodies(old, new))


# ------------------------------------------------------------------------------------------ audit


def audit_log(db: Database, entity: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The most recent configuration audit rows, newest first (before/after as document data)."""
    with db.session() as session:
        return [
            {
                "id": row.id,
                "at": row.at.isoformat(),
                "actor": row.actor,
                "entity": row.entity,
                "key": row.entity_key,
                "action": row.action,
                "before": json.loads(row.before) if row.before else None,
                "after": json.loads(row.after) if row.after else None,
            }
            for row in recent_audit(session, entity, limit)
        ]
