"""How a run cuts its account ids into partitions: whole chunks, since a chunk has a fixed cost.

Given an id span, a chunk size and a number of workers, expect these partitions: on a local pool, as many as
there are chunks (each one chunk) and at least one per worker; on a Dask cluster, about four per worker
thread, each of whole chunks, and one per thread when there are fewer chunks than threads.
"""

from __future__ import annotations

import itertools

import pytest

from arrears.services.run import _chunk_partitions, _cluster_partitions


def sizes(partitions: list[tuple[int, int]]) -> list[int]:
    return [last - first + 1 for first, last in partitions]


def covers(partitions: list[tuple[int, int]], first: int, last: int) -> bool:
    """The partitions follow each other without a gap or an overlap from ``first`` to ``last``."""
    return (
        partitions[0][0] == first
        and partitions[-1][1] == last
        and all(following[0] == previous[1] + 1 for previous, following in itertools.pairwise(partitions))
    )


@pytest.mark.parametrize(
    ("accounts", "workers", "expected"),
    [
        (100_000, 1, [50_000] * 2),
        (100_000, 2, [50_000] * 2),
        (100_000, 4, [25_000] * 4),  # fewer chunks than workers: one partition each
        (1_000_000, 4, [50_000] * 20),
        (120_000, 2, [40_000] * 3),  # three chunks' worth: three partitions, each one chunk
    ],
)
def test_a_local_pool_runs_a_partition_per_chunk_and_at_least_one_per_worker(
    accounts: int, workers: int, expected: list[int]
) -> None:
    partitions = _chunk_partitions((1, accounts), 50_000, workers)
    assert sizes(partitions) == expected and covers(partitions, 1, accounts)


@pytest.mark.parametrize(
    ("accounts", "threads", "expected"),
    [
        (100_000, 1, [50_000] * 2),
        (100_000, 4, [25_000] * 4),  # two chunks for four threads: a partition per thread
        (1_000_000, 1, [250_000] * 4),  # four per thread, five chunks each
        (1_000_000, 2, [100_000] * 10),  # 2.5 chunks a partition at four per thread: two
        (1_000_000, 4, [50_000] * 20),
        (3_000_000, 4, [200_000] * 15),
        (60, 2, [10] * 6),  # chunks of 5 (the cluster tests' data set): two chunks a partition
    ],
)
def test_a_cluster_runs_about_four_partitions_of_whole_chunks_per_thread(
    accounts: int, threads: int, expected: list[int]
) -> None:
    chunk = 5 if accounts == 60 else 50_000
    partitions = _cluster_partitions((1, accounts), chunk, threads)
    assert sizes(partitions) == expected and covers(partitions, 1, accounts)
    if len(partitions) > threads:
        assert all(size % chunk == 0 for size in sizes(partitions)[:-1])  # only the span's last chunk is short
