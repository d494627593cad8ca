"""What a failure of the database or of the machine under it means, in one line that says what to do.

The drivers report a read-only file, a lock held too long, a full disk or an unreachable server as
exceptions of their own; :func:`fault_message` names each for an operator. Every such failure happens
inside a transaction that rolls back, so the message can promise that nothing was written and that the
same command, run again once the cause is fixed, starts from where the database was.
"""

from __future__ import annotations

import errno

from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

AGAIN = "nothing was written; run the command again once that is fixed"

_SQLSTATES = {
    "53100": "the database server's disk is full: free space on it",
    "53200": "the database server ran out of memory",
    "53300": "the database server has too many connections: close some, or raise max_connections",
    "25006": "the database is read-only (a standby or a read-only transaction): use the primary server",
    "55P03": "the database is locked by another process for too long: wait for it (a running `arrears run`?)",
    "57P01": "the database server shut down during the command: start it",
    "42501": "the database user may not do this: grant it the rights on the Arrears schema",
}
"""PostgreSQL SQLSTATE → what it means."""

_SQLITE_TEXTS = (
    ("readonly database", "the database file is read-only: make the file and its folder writable, or use a copy"),
    (
        "database is locked",
        "the database is locked by another process for longer than the busy timeout: wait for it to finish"
        " (a running `arrears run` or import?)",
    ),
    ("database or disk is full", "the disk holding the database is full: free space on it"),
    ("disk i/o error", "the disk holding the database failed to read or write: check it and its free space"),
    ("unable to open database file", "the database file cannot be opened: check its folder exists and is writable"),
    ("file is not a database", "the file is not an SQLite database: check --db or ARREARS_DATABASE_URL"),
    ("database disk image is malformed", "the database file is damaged: restore it from a backup"),
)
"""A phrase of an SQLite error → what it means."""

_OS_ERRORS = {
    errno.ENOSPC: "the disk is full: free space on it (the database's, or the temporary folder's)",
    errno.EROFS: "the file system is read-only: use a writable one",
    errno.EACCES: "permission denied: make the database file and its folder writable",
    errno.EDQUOT: "the disk quota is exceeded: free space or raise the quota",
}


def fault_message(error: BaseException) -> str | None:
    """One line for an operator naming the failure ``error`` and what to do, or None when it is not a failure
    of the database, its driver or the machine (a bug, which should show as one)."""
    if isinstance(error, NoSuchModuleError | ArgumentError):
        return f"{_url_problem(str(error))}"
    if isinstance(error, ModuleNotFoundError):
        return f"the database driver {error.name!r} is not installed: Arrears works with SQLite and PostgreSQL"
    if isinstance(error, DBAPIError):
        return _driver_message(error)
    if isinstance(error, OSError) and error.errno in _OS_ERRORS:
        return f"{_OS_ERRORS[error.errno]}; {AGAIN}"
    return None


def _url_problem(text: str) -> str:
    return (
        "Arrears works with SQLite and PostgreSQL: use --db sqlite:///FILE or postgresql://USER@HOST:PORT/NAME"
        f" ({text.splitlines()[0]})"
    )


def _driver_message(error: DBAPIError) -> str | None:
    original = error.orig
    detail = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in _SQLSTATES:
        return f"{_SQLSTATES[sqlstate]} ({detail}); {AGAIN}"
    lowered = str(original).lower()
    for phrase, meaning in _SQLITE_TEXTS:
        if phrase in lowered:
            return f"{meaning} ({detail}); {AGAIN}"
    reason = _reason(original)
    if "database" in lowered and "does not exist" in lowered:
        return f"the database does not exist ({reason}): create it (createdb NAME), then run `arrears init`"
    if ("role" in lowered and "does not exist" in lowered) or "authentication failed" in lowered:
        return f"the database refused the login ({reason}): check the user and password in the URL"
    if "connection refused" in lowered or "could not connect" in lowered or "connection failed" in lowered:
        return f"cannot reach the database server ({reason}): start it, or check --db or ARREARS_DATABASE_URL"
    if error.connection_invalidated or "server closed the connection" in lowered or "terminat" in lowered:
        return f"the connection to the database was lost ({detail}); {AGAIN}"
    return None


def _reason(original: BaseException) -> str:
    """The first line of a driver's connection error, without its ``connection failed:`` preamble."""
    first = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    return " ".join(first.removeprefix("connection failed: ").replace("FATAL:", "").split())
