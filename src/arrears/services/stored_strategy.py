"""The stored configuration as a :class:`~arrears.domain.strategy.Strategy`, parsed once per configuration.

The configuration is stored as one ``config_entity`` row per entity, its body in the configuration document's
form, and it is read through the document's Pydantic models
(:func:`arrears.services.config_document.strategy_from_bodies`): importing and building them costs a command
more than its database library does, and parsing the bodies again on each request of a server is most of a
small request. The strategy is a function of the stored rows and of the code that reads them, so it is kept:

* in the process, per database, for as long as the rows are the same (the server's requests, a run's chunks);
* in a file per database in the cache directory (``ARREARS_CACHE_DIR``, by default ``$XDG_CACHE_HOME/arrears``
  or ``~/.cache/arrears``; empty: no file), so that a command finding the configuration unchanged since the
  last one loads it without importing the document models, with its conditions compiled (so that none is
  parsed again).

Both are keyed by a digest of every stored row (kind, name, position, body) and of the code's fingerprint (the
version, and the size and modification time of the modules that define and parse a strategy): a change of the
configuration, by any path, or of the code is a new digest, and the rows are read on every call. A cache file
that cannot be read or written is ignored (the strategy is parsed as without one).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import arrears
from arrears.domain.conditions import account_condition, compiled_conditions, remember_conditions
from arrears.domain.strategy import Strategy, condition_texts
from arrears.store import config_repo
from arrears.store.db import Connection, Database

if TYPE_CHECKING:
    from arrears.store.db import Session

_DIGEST_SIZE = 32
_kept: dict[str, tuple[bytes, Strategy]] = {}
"""The strategy last loaded from each database in this process, with its digest."""
_fingerprint: bytes | None = None


def version_note(db: Database, as_of: date) -> str:
    """Which configuration version is in force (the stored strategy's), and which one the latest run on or before
    ``as_of`` used."""
    with db.engine.connect() as connection:
        current = config_repo.current_version(connection)
        run = config_repo.latest_run_version(connection, as_of)
    note = f"configuration version {current}" if current is not None else "configuration not versioned yet"
    if run is not None and run[1] != current:
        note += f"; the run of {run[0]} used version {run[1]}" if run[1] is not None else (
            f"; the run of {run[0]} recorded no version"
        )
    return note


def load_strategy(source: Session | Database) -> Strategy:
    """The stored configuration (ordered by kind and position); empty when nothing is configured."""
    if isinstance(source, Database):
        with source.engine.connect() as connection:
            return _load(connection)
    return _load(source.connection())


def _load(connection: Connection) -> Strategy:
    rows = config_repo.config_entity_bodies(connection)
    digest = _digest(rows)
    database = connection.engine.url.render_as_string(hide_password=True)
    kept = _kept.get(database)
    if kept is not None and kept[0] == digest:
        return kept[1]
    path = _cache_file(database)
    strategy = _read(path, digest) if path is not None else None
    if strategy is None:
        from arrears.services.config_document import strategy_from_bodies  # only when the rows are new here

        strategy = strategy_from_bodies(rows)
        if path is not None:
            _write(path, digest, strategy)
    _kept[database] = (digest, strategy)
    return strategy


def _digest(rows: Iterable[tuple[str, str, int, str]]) -> bytes:
    digest = hashlib.blake2b(_code_fingerprint(), digest_size=_DIGEST_SIZE)
    for kind, name, position, body in rows:
        digest.update(f"{kind}\0{name}\0{position}\0{len(body)}\0".encode())
        digest.update(body.encode())
    return digest.digest()


def _code_fingerprint() -> bytes:
    """The version and the size and modification time of every module a stored strategy's reading depends on."""
    global _fingerprint
    if _fingerprint is None:
        package = Path(arrears.__file__).parent
        modules = sorted([*package.joinpath("domain").rglob("*.py"), package / "services" / "config_document.py"])
        stats = (f"{path.relative_to(package)}:{path.stat().st_size}:{path.stat().st_mtime_ns}" for path in modules)
        _fingerprint = "\n".join([arrears.__version__, *stats]).encode()
    return _fingerprint


def _cache_file(database: str) -> Path | None:
    """Where the strategy of ``database`` is kept between commands (None: not kept)."""
    directory = os.environ.get("ARREARS_CACHE_DIR")
    if directory is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        directory = os.path.join(base, "arrears")
    if not directory:
        return None
    name = hashlib.blake2b(database.encode(), digest_size=16).hexdigest()
    return Path(directory) / f"strategy-{name}.pickle"


def _read(path: Path, digest: bytes) -> Strategy | None:
    """The strategy kept in ``path`` when it was kept for ``digest`` (the file is only unpickled then)."""
    try:
        with path.open("rb") as file:
            if file.read(_DIGEST_SIZE) != digest:
                return None
            strategy, conditions = pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(strategy, Strategy) or not isinstance(conditions, dict):
        return None
    remember_conditions(conditions)
    return strategy


def _write(path: Path, digest: bytes, strategy: Strategy) -> None:
    """Keep ``strategy`` in ``path``, replacing the file at once (a concurrent reader sees the old or the new)."""
    # its conditions (and their parts) go with it compiled: the next command evaluating them (explain, a run) then
    # builds no condition grammar; compiled before the file is opened, so that nothing is left half-written
    for text in condition_texts(strategy):
        account_condition(text)
    conditions = compiled_conditions()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=path.stem)  # readable by its user only
    except OSError:
        return
    written = Path(name)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(digest)
            pickle.dump((strategy, conditions), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(written, path)
    except OSError:
        with contextlib.suppress(OSError):
            written.unlink(missing_ok=True)
