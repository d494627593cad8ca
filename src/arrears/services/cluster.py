"""The daily run's partitions on a Dask distributed cluster, against one PostgreSQL database.

Each task is one partition of account ids: the worker opens its own connection, reads and decides its accounts
and writes them chunk by chunk (:func:`arrears.services.run.run_partition`), each chunk in one transaction that
renews the run's lease, exactly as a local worker process does. Nothing but partition bounds and the run's
options travel in the task graph: the database URL without its password; a worker takes the password from its
own environment (``ARREARS_DATABASE_PASSWORD``), from a secrets file it names (``ARREARS_DATABASE_PASSWORD_FILE``),
or from libpq's own ``PGPASSWORD`` and ``~/.pgpass``.

A worker that dies mid-partition is replaced by Dask and its partition runs again on another worker (up to the
scheduler's ``distributed.scheduler.allowed-failures``, 3 by default, after which the run fails): the chunks it
had committed are decided again and write nothing (every effect is keyed), so the run ends where an
uninterrupted run ends. A partition that fails (a chunk that cannot be written, a lost lease) fails the run.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from distributed import Client, LocalCluster, as_completed

from arrears.domain.strategy import Strategy
from arrears.store.db import url_with_password, url_without_password
from arrears.store.runs import Lease

PASSWORD = "ARREARS_DATABASE_PASSWORD"
"""The worker's environment variable holding the database password."""
PASSWORD_FILE = "ARREARS_DATABASE_PASSWORD_FILE"
"""The worker's environment variable naming a file that holds the database password (a mounted secret)."""


def address_problem(address: str) -> str | None:
    """Why ``address`` is not a cluster Arrears can use (None when it is)."""
    if address.startswith("local:"):
        count = address.removeprefix("local:")
        return None if count.isdigit() and int(count) >= 1 else f"local:N needs N of at least 1 (got {address!r})"
    if "://" not in address:
        return f"a cluster is tcp://HOST:PORT (the Dask scheduler) or local:N (got {address!r})"
    return None


def worker_url(url: str) -> str:
    """On a worker: ``url`` (from the task graph, without a password) with the password this worker holds, from
    :data:`PASSWORD` or the file named by :data:`PASSWORD_FILE`; unchanged without either (libpq then reads
    ``PGPASSWORD`` or ``~/.pgpass``)."""
    password = os.environ.get(PASSWORD)
    if password is None and (secret := os.environ.get(PASSWORD_FILE)):
        password = Path(secret).read_text(encoding="utf-8").strip()
    return url if password is None else url_with_password(url, password)


def run_partition_task(
    url: str,
    lease: Lease,
    as_of: date,
    strategy: Strategy,
    first: int,
    last: int,
    chunk_size: int,
    portfolio_id: int | None,
) -> tuple[Counter[str], list[Any], int]:
    """The task a worker runs: one partition, against the database of ``url`` with this worker's password."""
    from arrears.services.run import run_partition  # on the worker; the run module imports this one

    return run_partition(worker_url(url), lease, as_of, strategy, first, last, chunk_size, portfolio_id)


@contextmanager
def connected(address: str) -> Iterator[Client]:
    """A client of the cluster at ``address`` (``tcp://HOST:8786``), or of a cluster of ``N`` worker processes of
    one thread each started on this machine for the block (``local:N``)."""
    problem = address_problem(address)
    if problem:
        raise ValueError(problem)
    if address.startswith("local:"):
        count = int(address.removeprefix("local:"))
        with (
            LocalCluster(n_workers=count, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    with Client(address, timeout="30s") as client:
        yield client


def threads(client: Client) -> int:
    """How many tasks the cluster runs at once (its workers' threads)."""
    return max(1, sum(client.nthreads().values()))


def run_on_cluster(
    client: Client,
    url: str,
    partitions: Sequence[tuple[Any, ...]],
    progress: Callable[[int], None] | None = None,
) -> tuple[Counter[str], int]:
    """Run each partition (``(lease, as_of, strategy, first, last, chunk_size, portfolio_id)``) as a task on the
    cluster: (counts, accounts). The first failure is raised at once and the other tasks are cancelled."""
    public = url_without_password(url)
    futures = [
        client.submit(run_partition_task, public, *arguments, pure=False, key=_key(arguments))
        for arguments in partitions
    ]
    from arrears.services.run import tally_partitions  # the run module imports this one

    try:
        return tally_partitions((future.result() for future in as_completed(futures)), progress)
    finally:
        client.cancel(futures)


def _key(arguments: Sequence[Any]) -> str:
    lease, as_of, _strategy, first, last = arguments[:5]
    return f"arrears-run-{lease.run_id}-{as_of}-{first}-{last}-{lease.token[:8]}"
