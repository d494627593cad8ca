"""Who holds a lease (a run, a background job): the process, the machine it runs on, and the clock every host
shares.

A holder is named ``host:pid`` for people to read, with the machine (boot id and process namespace) where its
process id means something. On that machine a holder whose process no longer exists is known to be gone at once;
from another machine only the expiry of its lease says so. Expiries are measured on the database's clock on
PostgreSQL, so hosts whose clocks disagree still agree on when a lease ends.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, func, select


def _machine() -> str | None:
    """This machine and process namespace (boot id / pid namespace), where process ids mean something;
    None where that cannot be known, and then no process is ever probed."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    return f"{boot}/{namespace}"


def _process_exists(pid: int) -> bool:
    """True when process ``pid`` of this namespace exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@dataclass(frozen=True, slots=True)
class Holder:
    """Who runs: ``host:pid`` for people to read, and the machine for the same-machine fast path."""

    name: str
    machine: str | None

    @classmethod
    def this_process(cls) -> Holder:
        """The current process."""
        return cls(f"{socket.gethostname()[:80]}:{os.getpid()}", _machine())


def known_gone(owner: str | None, owner_machine: str | None, machine: str | None) -> bool:
    """True when the holder ``owner`` (``host:pid``) of ``owner_machine`` ran on ``machine`` (this one) and its
    process no longer exists; False when it lives or cannot be probed from here (another machine)."""
    if machine is None or owner_machine != machine or not owner:
        return False
    pid = owner.rpartition(":")[2]
    return pid.isdigit() and not _process_exists(int(pid))


def database_now(connection: Connection) -> datetime:
    """Now, on the clock every host shares: the server's on PostgreSQL, this machine's for a SQLite file."""
    if connection.dialect.name == "postgresql":
        moment = connection.scalar(select(func.clock_timestamp(type_=DateTime(timezone=True))))
        assert moment is not None
        return moment
    return datetime.now(UTC)


def lease_expiry(connection: Connection, seconds: float) -> Any:
    """The moment ``seconds`` from now on the shared clock, as a value to store (an SQL expression on
    PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        return func.clock_timestamp(type_=DateTime(timezone=True)) + timedelta(seconds=seconds)
    return datetime.now(UTC) + timedelta(seconds=seconds)
