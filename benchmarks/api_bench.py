"""Benchmark the REST API: latency (p50, p99) and requests per second of the worklist's first page, the account
page and posting a payment, at 50 concurrent clients over loopback.

    python benchmarks/api_bench.py                               # 1,000,000 accounts, SQLite
    python benchmarks/api_bench.py --accounts 100000 --seconds 20 --workers 1 2
    python benchmarks/api_bench.py --url postgresql+psycopg://postgres@127.0.0.1:5432/bench

The database is the daily-run benchmark's (``benchmarks/daily_run.py``: generated with a fixed seed, primed by
three runs, cached in ``benchmarks/data/``); each measurement serves a fresh copy of it. The server is
``arrears serve``'s application on uvicorn in a process of its own (``--workers``: uvicorn worker processes);
the clients are one asyncio process of aiohttp clients, each sending its next request as soon as the last is
answered, for ``--seconds`` after a warm-up. Requests are the administrator's, with a bearer token:

* ``worklist``  ``GET /api/v1/worklist?on=AS_OF&limit=50`` — every collector's work due on the benchmark day;
* ``account``   ``GET /api/v1/accounts/{id}?as_of=AS_OF`` — the account page of a random account;
* ``payment``   ``POST /api/v1/accounts/{id}/transactions`` — a $1.00 guarantor payment on a random account.

After the worklist, its **floor** is measured the same way: the same uvicorn answering every request with the
worklist's bytes from a bare ASGI application (``api_floor.py``), the fastest known way for a Python server here
to send that answer; ``worklist / floor`` is the worklist's time per request over the floor's.

The machine's load average is printed before and after each measurement: the figures are only as quiet as the
machine was. The clients run on the same machine as the server and take CPU from it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daily_run import AS_OF, DATA, Store  # the daily-run benchmark's database

from arrears.services.security import add_user, create_token
from arrears.store.db import Database

PASSWORD = "benchmark password"
Request = Callable[[aiohttp.ClientSession, random.Random], Awaitable[int]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _token(url: str) -> str:
    db = Database.connect(url)
    try:
        now = datetime.now(UTC)
        add_user(db, "admin", "admin", PASSWORD, [], actor="benchmark", now=now)
        return create_token(db, "admin", "benchmark", None, 1, now=now).secret
    finally:
        db.dispose()


def _serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"ARREARS_DATABASE_URL": url, "ARREARS_MODE": "development",
                        "ARREARS_ALLOWED_HOSTS": "127.0.0.1"}  # fmt: skip
    return _uvicorn(["arrears.api.app:app_from_environment", "--factory"], env, port, workers)


def _serve_floor(body: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """The floor's server (``api_floor.py``): the same uvicorn, answering every request with ``body``'s bytes."""
    env = os.environ | {"ARREARS_FLOOR_BODY": str(body)}
    return _uvicorn(["api_floor:app", "--app-dir", str(Path(__file__).resolve().parent), "--lifespan", "off"],
                    env, port, workers)  # fmt: skip


def _uvicorn(application: list[str], env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", *application, "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--log-level", "warning", "--no-access-log", "--timeout-keep-alive",
               "60"]  # fmt: skip
    server = subprocess.Popen(command, env=env)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.terminate()
    raise SystemExit("the server did not answer /readyz")


def requests_of(accounts: int) -> dict[str, Request]:
    """The three kinds of request, each drawing its account at random."""

    def account_id(rng: random.Random) -> str:
        return f"DR{rng.randint(1, accounts):08d}"

    async def worklist(client: aiohttp.ClientSession, _: random.Random) -> int:
        return await _status(client.get("/api/v1/worklist", params={"on": AS_OF.isoformat(), "limit": 50}))

    async def account(client: aiohttp.ClientSession, rng: random.Random) -> int:
        return await _status(client.get(f"/api/v1/accounts/{account_id(rng)}", params={"as_of": AS_OF.isoformat()}))

    async def payment(client: aiohttp.ClientSession, rng: random.Random) -> int:
        body = {"kind": "payment", "amount_cents": 100, "posted": AS_OF.isoformat(), "source": "guarantor"}
        return await _status(client.post(f"/api/v1/accounts/{account_id(rng)}/transactions", json=body))

    return {"worklist": worklist, "account": account, "payment": payment}


async def _status(sent: Any) -> int:
    """The status of a request's answer, its body read (as a client would) and the connection kept."""
    async with sent as response:
        await response.read()
        return int(response.status)


def cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` and its live children (uvicorn's worker processes)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue  # a process that ended meanwhile
    return total


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _load(base: str, token: str, request: Request, clients: int, seconds: float, warmup: float,
                seed: int, server: int) -> dict[str, Any]:  # fmt: skip
    """``clients`` clients, each sending its next request when the last is answered, for ``warmup`` then
    ``seconds``: the latencies and statuses of the measured window, and the CPU seconds the server (process
    ``server`` and its workers) and this client used in it."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cpu: dict[str, float] = {}
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=60)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(base, connector=connector, headers=headers, timeout=timeout) as client:
        started = time.perf_counter()
        measuring_from, until = started + warmup, started + warmup + seconds

        async def one(number: int) -> None:
            rng = random.Random(seed * 1000 + number)
            while (now := time.perf_counter()) < until:
                try:
                    status = await request(client, rng)
                except (aiohttp.ClientError, TimeoutError):  # a dropped connection counts, as status 0
                    status = 0
                done = time.perf_counter()
                if now >= measuring_from:
                    latencies.append(done - now)
                    statuses[status] = statuses.get(status, 0) + 1

        async def meter() -> None:
            await asyncio.sleep(warmup)
            cpu["server"], cpu["client"] = -cpu_seconds(server), -_own_cpu()
            await asyncio.sleep(seconds)
            cpu["server"] += cpu_seconds(server)
            cpu["client"] += _own_cpu()

        await asyncio.gather(meter(), *(one(number) for number in range(clients)))
    return {"latencies": latencies, "statuses": statuses, "seconds": seconds, "cpu": cpu}


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[round(q * 1000) - 1] if len(values) > 1 else 0.0


def report(name: str, measured: dict[str, Any]) -> str:
    """One line: requests, requests per second, p50 and p99 in milliseconds, answers by status (0: the connection
    dropped)."""
    latencies = measured["latencies"]
    if not latencies:
        return f"{name:<9} no request answered in the measured window"
    p50, p99 = _quantile(latencies, 0.5) * 1000, _quantile(latencies, 0.99) * 1000
    statuses = ", ".join(f"{status}: {count:,}" for status, count in sorted(measured["statuses"].items()))
    server, client = (measured["cpu"][side] / len(latencies) * 1000 for side in ("server", "client"))
    return (f"{name:<9} {len(latencies):>7,} requests  {len(latencies) / measured['seconds']:>8,.1f} req/s  "
            f"p50 {p50:>7.1f} ms  p99 {p99:>7.1f} ms  ({statuses})  cpu per request: server {server:.2f} ms, "
            f"client {client:.2f} ms")  # fmt: skip


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000, help="size (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--url", help="PostgreSQL URL of a maintenance database (default: SQLite files)")
    parser.add_argument("--data", type=Path, default=DATA, help="where the databases go (default benchmarks/data)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per request kind")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds sent before measuring")
    parser.add_argument("--workers", type=int, nargs="+", default=[1], help="uvicorn worker processes (default 1)")
    parser.add_argument("--only", nargs="+", choices=["worklist", "account", "payment"], help="some kinds only")
    args = parser.parse_args(argv)

    args.data.mkdir(parents=True, exist_ok=True)
    store = Store(args.url, args.data, args.accounts, args.seed)
    if not store.exists():
        print(f"generating {args.accounts:,} accounts (seed {args.seed}) ...", flush=True)
        built = store.build()
        print(f"database      {store.size()}, built in {built['timings']['total']:.1f} s")
    else:
        store.bring_to_schema()  # the server refuses a database at an older schema
        print(f"database      {store.size()} (cached, schema current)")
    print(f"machine       {os.cpu_count()} cores; clients {args.clients} over loopback, {args.seconds:.0f} s each "
          f"after {args.warmup:.0f} s of warm-up")  # fmt: skip
    kinds = requests_of(args.accounts)
    for workers in args.workers:
        store.restore()
        token = _token(store.work_url)
        port = _free_port()
        server = _serve(store.work_url, port, workers)
        rates: dict[str, float] = {}
        try:
            print(f"server        uvicorn, {workers} worker process{'es' if workers > 1 else ''}")
            for name, request in kinds.items():
                if args.only and name not in args.only:
                    continue
                before = _load_average()
                measured = asyncio.run(_load(f"http://127.0.0.1:{port}", token, request, args.clients, args.seconds,
                                             args.warmup, args.seed, server.pid))  # fmt: skip
                rates[name] = len(measured["latencies"]) / measured["seconds"]
                print(f"{report(name, measured)}  load {before} -> {_load_average()}", flush=True)
            body = args.data / "api-floor-body.json"
            body.write_bytes(httpx.get(f"http://127.0.0.1:{port}/api/v1/worklist", timeout=60,
                                       params={"on": AS_OF.isoformat(), "limit": 50},
                                       headers={"Authorization": f"Bearer {token}"}).content)  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=60)
        if "worklist" in rates:
            _floor(body, workers, kinds["worklist"], rates["worklist"], args)
    return 0


def _floor(body: Path, workers: int, request: Request, worklist_rate: float, args: argparse.Namespace) -> None:
    """Measure the floor (``api_floor.py``) as the worklist was measured, and print the worklist's time per request
    over the floor's."""
    port = _free_port()
    floor = _serve_floor(body, port, workers)
    try:
        before = _load_average()
        measured = asyncio.run(_load(f"http://127.0.0.1:{port}", "", request, args.clients, args.seconds,
                                     args.warmup, args.seed, floor.pid))  # fmt: skip
        print(f"{report('floor', measured)}  load {before} -> {_load_average()}", flush=True)
        floor_rate = len(measured["latencies"]) / measured["seconds"]
        print(f"worklist / floor: {floor_rate / worklist_rate:.2f} (time per request; the floor answers the "
              f"worklist's {len(body.read_bytes()):,} bytes from a bare ASGI application)", flush=True)
    finally:
        floor.terminate()
        floor.wait(timeout=60)


if __name__ == "__main__":
    raise SystemExit(main())
