"""Ledger throughput and hold latency: members holding and capturing concurrently.

Run: `python bench/ledger.py` (options: --members, --pairs, --no-cap). Each member loops hold -> capture as
fast as the ledger lets it; a server cap and an operator cap are set (so every hold checks them too) unless
--no-cap. Prints
hold+capture pairs per second and p50/p99 hold latency. Targets (issue 3): >= 1,000 pairs/s, p99 < 20 ms
with 50 members on 2 cores, on a SQLite file.

`--backend postgres --processes 4` (issue 15): four processes (like four shard processes, each with its own
server) share one PostgreSQL 15 database, started by the benchmark with fsync and synchronous commits on
(or `--url` for your own), `--members` each; a server it starts first gets the WAL files a running server
reuses (`recycle_wal`). Targets: >= 2,000 pairs/s in total, p99 < 25 ms on 2 cores.
Two phases, both with every member of every process at once:
- saturated: each member loops hold -> capture as fast as the ledger answers (the throughput). With 200 members
  always waiting, a pair takes 200 / (pairs per second) on average (Little's law), so hold latency here follows
  from the throughput rather than measuring the ledger's responsiveness;
- paced: the same members offer `--rate` pairs per second in total (default 2,000, the throughput target), each
  on its own schedule; a hold's latency is counted from when it was due, so a ledger that falls behind is charged
  for the queue it builds. This is the p99 the target is about.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.ledger import Ledger

GUILD = 1
PRICE = 60_000  # one V3 DEFAULT image, in micro-dollars
WARM_UP = 20  # pairs per member before measuring


async def pair(ledger: Ledger, guild: int, user_id: int, since: float, latencies: list[float]) -> None:
    """One hold (its latency counted from `since`) and its capture."""
    hold = await ledger.hold(guild_id=guild, user_id=user_id, amount=4 * PRICE, job_id=None)
    latencies.append(time.perf_counter() - since)
    await ledger.capture(hold, PRICE)


async def member(ledger: Ledger, user_id: int, pairs: int, latencies: list[float], guild: int = GUILD) -> None:
    for _ in range(pairs):
        await pair(ledger, guild, user_id, time.perf_counter(), latencies)


async def paced_member(
    ledger: Ledger, user_id: int, guild: int, due: float, interval: float, pairs: int, latencies: list[float]
) -> None:
    """`pairs` pairs, one every `interval` seconds from `due` on (a late one starts at once); a hold's latency
    runs from when it was due."""
    for _ in range(pairs):
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)  # the member's own schedule (load generation), not synchronisation
        await pair(ledger, guild, user_id, due, latencies)
        due += interval


async def run(members: int, pairs: int, cap: bool) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.sqlite3"
        ledger = await Ledger.open(
            path, default_allowance=10**12, default_period="month", operator_cap=10**12 if cap else None
        )
        try:
            if cap:
                await ledger.set_cap(guild_id=GUILD, amount=10**12, period="month", actor_id=0)
            await asyncio.gather(*(member(ledger, 1000 + n, WARM_UP, []) for n in range(members)))
            latencies: list[float] = []
            started = time.perf_counter()
            await asyncio.gather(*(member(ledger, 1000 + n, pairs, latencies) for n in range(members)))
            elapsed = time.perf_counter() - started
            report = await ledger.report(GUILD)
        finally:
            await ledger.close()
        size = path.stat().st_size if path.exists() else 0

    total = members * pairs
    rate = total / elapsed
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    p50, p99 = cuts[49] * 1000, cuts[98] * 1000
    captures = members * (pairs + WARM_UP)
    consistent = (report.jobs, report.spent, report.held) == (captures, captures * PRICE, 0)
    print(f"machine: {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cpu(s)")
    caps = "server and operator caps on" if cap else "no caps"
    print(f"{members} members x {pairs} hold+capture pairs, {caps}, file database")
    print(f"throughput: {rate:,.0f} pairs/s ({total:,} pairs in {elapsed:.2f} s); target >= 1,000")
    print(f"hold latency: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(latencies) * 1000:.2f} ms; target p99 < 20")
    print(f"ledger totals agree with the work done: {'yes' if consistent else 'NO'}; file {size / 1e6:.1f} MB")
    print("verdict:", "targets met" if rate >= 1_000 and p99 < 20 and consistent else "TARGETS MISSED")


# -- PostgreSQL, several processes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What each PostgreSQL process does (sent to the processes, so plain values)."""

    url: str
    members: int
    pairs: int  # saturated phase, per member
    rate: float  # paced phase: pairs per second this process offers
    paced_pairs: int  # per member
    operator_cap: bool


def worker(plan: Plan, index: int, start: Any, results: Any) -> None:
    """One process: its own server (guild), its own connections, `plan.members` members; each phase starts with
    the other processes'."""

    async def work() -> tuple[float, list[float], list[float]]:
        guild, members = GUILD + index, plan.members
        cap = 10**12 if plan.operator_cap else None  # never reached, but every hold checks it
        ledger = await Ledger.open(plan.url, default_allowance=10**12, default_period="month", operator_cap=cap)
        try:
            await asyncio.gather(*(member(ledger, 1000 + n, WARM_UP, [], guild) for n in range(members)))
            start.wait()
            latencies: list[float] = []
            started = time.perf_counter()
            await asyncio.gather(*(member(ledger, 1000 + n, plan.pairs, latencies, guild) for n in range(members)))
            elapsed = time.perf_counter() - started
            start.wait()
            interval = members / plan.rate  # each member's share of the process's rate
            paced: list[float] = []
            began = time.perf_counter()
            await asyncio.gather(
                *(
                    paced_member(
                        ledger, 1000 + n, guild, began + interval * n / members, interval, plan.paced_pairs, paced
                    )
                    for n in range(members)
                )
            )
            return elapsed, latencies, paced
        finally:
            await ledger.close()

    results.put(asyncio.run(work()))


# A running server keeps this much WAL for reuse (the default, 80 MB, is less than one run writes).
KEEP_WAL: Final = {"min_wal_size": "1GB"}


async def recycle_wal(url: str, rounds: int = 4) -> None:
    """Give a new server the WAL files a running one reuses. A freshly created server writes each new 16 MB WAL
    file full of zeros before using it, which at this benchmark's write rate stalls commits every few seconds;
    a server that has been running renames old files instead (at checkpoints). So: write ~500 MB of WAL and
    checkpoint, as a running server would have, then measure."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        for _ in range(rounds):
            await conn.execute("CREATE TABLE filler AS SELECT repeat('x', 100) AS pad FROM generate_series(1, 1e6)")
            await conn.execute("DROP TABLE filler")
            await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def prepare(url: str, processes: int, cap: bool) -> None:
    ledger = await Ledger.open(url, default_allowance=10**12, default_period="month")  # migrates once
    try:
        for index in range(processes):
            if cap:
                await ledger.set_cap(guild_id=GUILD + index, amount=10**12, period="month", actor_id=0)  # never reached
    finally:
        await ledger.close()


async def totals(url: str, processes: int) -> tuple[int, int, int]:
    ledger = await Ledger.open(url, default_allowance=10**12, default_period="month")
    try:
        reports = [await ledger.report(GUILD + index) for index in range(processes)]
    finally:
        await ledger.close()
    return sum(r.jobs for r in reports), sum(r.spent for r in reports), sum(r.held for r in reports)


def run_postgres(url: str, arguments: argparse.Namespace, cap: bool) -> None:
    processes, members, pairs, rate, seconds = (
        arguments.processes,
        arguments.members,
        arguments.pairs,
        arguments.rate,
        arguments.seconds,
    )
    asyncio.run(prepare(url, processes, cap))
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(processes + 1), context.Queue()
    paced_pairs = max(1, round(rate / processes / members * seconds))
    plan = Plan(url, members, pairs, rate / processes, paced_pairs, arguments.operator_cap)
    workers = [context.Process(target=worker, args=(plan, index, start, results)) for index in range(processes)]
    for process in workers:
        process.start()
    start.wait()
    began = time.perf_counter()
    start.wait()  # every process has finished the saturated phase
    elapsed = time.perf_counter() - began
    outcomes = [results.get() for _ in workers]
    for process in workers:
        process.join()
    latencies = [latency for _, each, _ in outcomes for latency in each]
    paced_latencies = [latency for _, _, each in outcomes for latency in each]
    total = processes * members * pairs
    rate_done = total / elapsed
    p50, p99 = _cuts(latencies)
    paced_p50, paced_p99 = _cuts(paced_latencies)
    captures = processes * members * (pairs + WARM_UP + paced_pairs)
    consistent = asyncio.run(totals(url, processes)) == (captures, captures * PRICE, 0)
    print(f"machine: {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cpu(s)")
    print(
        f"{processes} processes x {members} members, server cap {'on' if cap else 'off'},"
        f" operator cap {'on (one lock for all servers)' if plan.operator_cap else 'off'},"
        " PostgreSQL 15 (fsync and synchronous commits on)"
    )
    print(f"saturated, {pairs} pairs each as fast as they go:")
    print(f"  throughput: {rate_done:,.0f} pairs/s in total ({total:,} pairs in {elapsed:.2f} s); target >= 2,000")
    print(
        f"  hold latency: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(latencies) * 1000:.2f} ms"
        f" ({processes * members} members always waiting: {processes * members / rate_done * 1000:.0f} ms a pair)"
    )
    print(f"paced, {rate:,.0f} pairs/s offered in total for {seconds:.0f} s ({paced_pairs} pairs each):")
    print(
        f"  hold latency from when it was due: p50 {paced_p50:.2f} ms, p99 {paced_p99:.2f} ms,"
        f" max {max(paced_latencies) * 1000:.2f} ms; target p99 < 25"
    )
    print(f"ledger totals agree with the work done: {'yes' if consistent else 'NO'}")
    met = rate_done >= 2_000 and paced_p99 < 25 and consistent
    print("verdict:", "targets met" if met else "TARGETS MISSED")


def _cuts(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50, help="concurrent members (per process)")
    parser.add_argument("--pairs", type=int, default=400, help="hold+capture pairs per member")
    parser.add_argument("--no-cap", action="store_true", help="do not set a server cap")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--processes", type=int, default=1, help="processes sharing the database (postgres)")
    parser.add_argument("--url", default=None, help="an empty PostgreSQL database (default: start one)")
    parser.add_argument("--rate", type=float, default=2_000, help="pairs/s offered in total in the paced phase")
    parser.add_argument("--seconds", type=float, default=10, help="length of the paced phase")
    parser.add_argument("--operator-cap", action="store_true", help="postgres: an operator cap too (one lock)")
    arguments = parser.parse_args()
    cap = not arguments.no_cap
    if arguments.backend == "sqlite":
        if arguments.processes != 1:
            parser.error("SQLite is one process's database: --processes needs --backend postgres")
        asyncio.run(run(arguments.members, arguments.pairs, cap))
    elif arguments.url:
        run_postgres(arguments.url, arguments, cap)
    else:
        from tests.postgres import postgres_server

        with postgres_server(durable=True, settings=KEEP_WAL) as server:
            asyncio.run(recycle_wal(server.url()))
            run_postgres(server.url(), arguments, cap)


if __name__ == "__main__":
    main()
