"""Ledger throughput and hold latency: members holding and capturing concurrently on a file database.

Run: `python bench/ledger.py` (options: --members, --pairs, --no-cap). Each member loops hold -> capture as
fast as the ledger lets it; a server cap and an operator cap are set (so every hold checks them too) unless
--no-cap. Prints
hold+capture pairs per second and p50/p99 hold latency. Targets (issue 3): >= 1,000 pairs/s, p99 < 20 ms
with 50 members on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.ledger import Ledger

GUILD = 1
PRICE = 60_000  # one V3 DEFAULT image, in micro-dollars
WARM_UP = 20  # pairs per member before measuring


async def member(ledger: Ledger, user_id: int, pairs: int, latencies: list[float]) -> None:
    for _ in range(pairs):
        started = time.perf_counter()
        hold = await ledger.hold(guild_id=GUILD, user_id=user_id, amount=4 * PRICE, job_id=None)
        latencies.append(time.perf_counter() - started)
        await ledger.capture(hold, PRICE)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--pairs", type=int, default=400, help="hold+capture pairs per member")
    parser.add_argument("--no-cap", action="store_true", help="set neither a server cap nor an operator cap")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.members, arguments.pairs, not arguments.no_cap))


if __name__ == "__main__":
    main()
