"""Time from INTERACTION_CREATE to the bot's defer callback, for /imagine and for button clicks, steady and burst.

Run: `python bench/defer_latency.py` (options: --rate, --seconds, --burst, --click-rate). The fake Discord stamps
when it sent the gateway frame and when the callback request reached it (`FakeInteraction.ack_latency_s`), so the
number includes both trips over 127.0.0.1, discord.py's parsing, the bot's cheap checks (a budget look-up in
SQLite) and the callback itself. The fake API answers at once, so the jobs behind the defers really run
(API call, download, upload) while later interactions arrive. Every member has a big allowance.
Targets (issue 4): steady 50/s p99 < 50 ms; a burst of 100 together p99 < 300 ms (Discord allows 3 s).
Button clicks (issue 10), same targets: Vary 1 on one result, clicked by every member in turn at a steady rate
and then all together; a click is acknowledged with a deferred update (type 6) as it arrives, ahead of its
look-ups, and its result is posted as a reply to the clicked message. The clicks start once the bot has recorded
the clicked result (`Bench.recorded`): a click before that is refused as unknown.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Bench, bench, machine, percentile, verdict
from tests.fakes.discord import FakeInteraction, FakeMessage

DEFER = 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
CLICK_ACK = 6  # DEFERRED_UPDATE_MESSAGE
STEADY_TARGET_MS = 50.0
BURST_TARGET_MS = 300.0


def latencies_ms(interactions: list[FakeInteraction], ack: int = DEFER) -> list[float]:
    wrong = [i for i in interactions if i.ack is None or i.ack.type != ack or i.ack_latency_s is None]
    if wrong:
        raise RuntimeError(f"{len(wrong)} interactions were not deferred (first: {wrong[0]!r}, ack {wrong[0].ack})")
    return [float(i.ack_latency_s or 0.0) * 1000 for i in interactions]


def report(name: str, values: list[float], target_ms: float) -> bool:
    p50, p99 = percentile(values, 50), percentile(values, 99)
    ok = p99 < target_ms
    print(
        f"{name}: n={len(values)}  p50 {p50:.1f} ms  p99 {p99:.1f} ms  max {max(values):.1f} ms"
        f"  (target p99 < {target_ms:.0f} ms: {verdict(ok)})"
    )
    return ok


async def steady(world: Bench, rate: float, seconds: float) -> list[FakeInteraction]:
    count = round(rate * seconds)
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks: list[asyncio.Task[FakeInteraction]] = []
    for n in range(count):
        delay = started + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        member = world.members[n % len(world.members)]
        tasks.append(asyncio.create_task(world.imagine(member, prompt=f"steady {n}")))
    interactions = list(await asyncio.gather(*tasks))
    achieved = count / (loop.time() - started)
    await world.run_jobs(interactions, timeout=60)
    print(f"  sent {count} interactions at {achieved:.1f}/s; all {count} jobs finished")
    return interactions


async def burst(world: Bench, size: int) -> list[FakeInteraction]:
    interactions = list(
        await asyncio.gather(*(world.imagine(world.members[n], prompt=f"burst {n}") for n in range(size)))
    )
    await world.run_jobs(interactions, timeout=60)
    print(f"  sent {size} interactions together; all {size} jobs finished")
    return interactions


def _replies(world: Bench, source: FakeMessage) -> list[FakeMessage]:
    return [
        m
        for m in world.discord.messages_in(world.channel, include_deleted=True)
        if m.message_reference is not None and m.message_reference.get("message_id") == str(source.id)
    ]


async def clicks(world: Bench, source: FakeMessage, custom_id: str, rate: float | None) -> list[FakeInteraction]:
    """Every member clicks `custom_id` on `source` once (paced at `rate`/s, or all at once); jobs run to the end."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    before = len(_replies(world, source))
    tasks: list[asyncio.Task[FakeInteraction]] = []
    for n, member in enumerate(world.members):
        delay = started + n / rate - loop.time() if rate else 0
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(world.discord.click(source, member, custom_id)))
    interactions = list(await asyncio.gather(*tasks))
    expected = before + len(interactions)

    def refusals() -> list[str]:  # a refused click gets a private follow-up and no reply
        return [f.content for i in interactions for f in i.followups if f.ephemeral]

    await world.discord.wait_for(
        lambda: sum(1 for m in _replies(world, source) if m.embeds or m.deleted) + len(refusals()) >= expected,
        timeout=120,
        what=f"{len(interactions)} click jobs to finish",
    )
    if refusals():
        raise RuntimeError(f"{len(refusals())} clicks were refused: {sorted(set(refusals()))[:3]}")
    failed = [m for m in _replies(world, source) if m.deleted]
    if failed:
        raise RuntimeError(f"{len(failed)} click jobs failed")
    print(f"  {len(interactions)} clicks on {custom_id}; all {len(interactions)} jobs posted their replies")
    return interactions


async def click_phases(world: Bench, rate: float) -> bool:
    made = await world.imagine(world.members[0], prompt="a result to click on", rendering_speed="TURBO")
    await world.run_jobs([made], timeout=60)
    source = made.original
    assert source is not None
    job = next(c for c in source.custom_ids if c.startswith("info:")).split(":")[1]
    await world.recorded(int(job))  # a click before that is refused as "no longer known"
    # Two different buttons: the same member clicking the same one again within seconds is a repeat (one job).
    print(f"clicks: {len(world.members)} members in turn at {rate:g}/s, then all {len(world.members)} together")
    steady_clicks = await clicks(world, source, f"vary:{job}:1:subtle", rate)
    steady_ok = report("click steady", latencies_ms(steady_clicks, CLICK_ACK), STEADY_TARGET_MS)
    burst_clicks = await clicks(world, source, f"vary:{job}:1:strong", None)
    burst_ok = report("click burst", latencies_ms(burst_clicks, CLICK_ACK), BURST_TARGET_MS)
    return steady_ok and burst_ok


async def run(rate: float, seconds: float, size: int, click_rate: float) -> bool:
    members = max(size, int(rate))  # one job per member at a time, so the per-member limit never refuses
    async with bench(members=members) as world:
        await world.start_bot()
        print(f"machine: {machine()}; bot in its own process; fake API latency 0 s, default limits")
        print(f"steady: {rate:g} interactions/s for {seconds:g} s, {members} members in turn")
        steady_ok = report("steady", latencies_ms(await steady(world, rate, seconds)), STEADY_TARGET_MS)
        print(f"burst: {size} interactions from {size} members at once")
        burst_ok = report("burst", latencies_ms(await burst(world, size)), BURST_TARGET_MS)
        clicks_ok = await click_phases(world, click_rate)
        await world.stop_bot()
        problems = world.check_clean()
        if problems:
            print(f"Discord rule violations: {problems[:5]}")
    return steady_ok and burst_ok and clicks_ok and not problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="interactions per second in the steady phase")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the steady phase")
    parser.add_argument("--burst", type=int, default=100, help="interactions sent together")
    parser.add_argument("--click-rate", type=float, default=50.0, help="button clicks per second (steady phase)")
    arguments = parser.parse_args()
    ok = asyncio.run(run(arguments.rate, arguments.seconds, arguments.burst, arguments.click_rate))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
