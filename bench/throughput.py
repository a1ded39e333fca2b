"""100 concurrent /imagine jobs against a fake API that takes 1 s per call, at two in-flight limits.

Run: `python bench/throughput.py` (options: --jobs, --latency). Each job is one member's (so the per-member
limit never serialises them) and asks for one image; the time is from dispatching the first interaction to
the last result posted in Discord. With `[ideogram] max_concurrency` = jobs, every call can be in flight at
once: the ideal is one API latency. At the default limit (10 images) the calls go in waves: the ideal is
jobs x latency / limit. Waiting jobs show their queue position, so those edits are part of the work.
Targets (issue 4): limit 100: all done in < 1.5 s; default limit: within 1.2x of the ideal.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Bench, bench, machine, verdict

DEFAULT_LIMIT = 10
WIDE_TARGET_S = 1.5
RATIO_TARGET = 1.2


async def one_round(world: Bench, jobs: int, timeout: float) -> float:  # noqa: ASYNC109
    started = world.discord.loop_time()
    interactions = await asyncio.gather(*(world.imagine(world.members[n], prompt=f"job {n}") for n in range(jobs)))
    finished = await world.run_jobs(interactions, timeout=timeout)
    return finished - started


async def measure(jobs: int, latency: float, limit: int) -> tuple[float, int, int]:
    async with bench(members=jobs) as world:
        await world.start_bot(ideogram={"max_concurrency": limit})
        world.ideogram.latency_s = latency  # after the warm-up job
        bot_cpu, fakes_cpu = world.cpu_seconds(), time.process_time()
        elapsed = await one_round(world, jobs, timeout=jobs * latency + 30)
        bot_cpu, fakes_cpu = world.cpu_seconds() - bot_cpu, time.process_time() - fakes_cpu
        print(f"  (CPU used meanwhile: bot {bot_cpu:.2f} s, both fakes {fakes_cpu:.2f} s, on {os.cpu_count()} cores)")
        peak = world.ideogram.peak_in_flight_images
        edits = sum(1 for i in world.discord.interactions.values() for r in i.responses if r.kind == "edit")
        await world.stop_bot()
        problems = world.check_clean()
        if problems:
            print(f"  Discord rule violations: {problems[:5]}")
    return elapsed, peak, edits


async def run(jobs: int, latency: float) -> bool:
    print(f"machine: {machine()}; bot in its own process; {jobs} members, 1 image each, API latency {latency:g} s")
    elapsed, peak, edits = await measure(jobs, latency, jobs)
    wide_target = WIDE_TARGET_S * latency
    wide_ok = elapsed < wide_target
    print(
        f"limit {jobs}: all {jobs} done in {elapsed:.2f} s (peak {peak} images in flight at the API)"
        f"  (target < {wide_target:.1f} s: {verdict(wide_ok)})"
    )
    elapsed, peak, edits = await measure(jobs, latency, DEFAULT_LIMIT)
    ideal = jobs * latency / DEFAULT_LIMIT
    ratio = elapsed / ideal
    narrow_ok = ratio <= RATIO_TARGET
    print(
        f"limit {DEFAULT_LIMIT}: all {jobs} done in {elapsed:.2f} s = {ratio:.2f}x the ideal {ideal:.1f} s"
        f" (peak {peak} in flight; {edits} message edits incl. queue positions)"
        f"  (target <= {RATIO_TARGET}x: {verdict(narrow_ok)})"
    )
    return wide_ok and narrow_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--latency", type=float, default=1.0, help="fake API latency per call, seconds")
    arguments = parser.parse_args()
    ok = asyncio.run(run(arguments.jobs, arguments.latency))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
