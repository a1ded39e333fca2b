"""One 8-image /imagine job with 2 MiB images: what the bot takes against a bare transfer of the same bytes.

Run: `python bench/transfer.py` (options: --rounds, --images, --mib). A round is one bot job, then the same
transfer done by a bare aiohttp client (also in its own process, with a warm session): download the job's
8 images from the fake image host concurrently, then upload them in one multipart PATCH of the job's original
response, the request the bot itself makes. The bot is timed from the moment the fake API answered to the
result being stored by the fake Discord: everything it does with the bytes (the ledger capture, downloads,
hashing, the embed, the upload) against the bare transfer; that is the target. Its whole job, from
INTERACTION_CREATE, is shown too: it adds the gateway trip, the cheap checks, the defer, the ledger hold and
the API call (answered at once by the fake). The upload limit (10 MiB) is above the images' size, so nothing is
re-encoded. Each bot round is compared with the raw round right after it; the ratio is the median of those.
Target (issue 4): bot / raw <= 1.2x.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bench.harness import MIB, ROOT, Bench, bench, machine, verdict
from tests.fakes.discord import FakeInteraction

SCRIPT = Path(__file__).resolve()
RATIO_TARGET = 1.2
UPLOAD_LIMIT = 10 * MIB


# ------------------------------------------------------------------------------------------------ raw client


async def raw_transfer(session: aiohttp.ClientSession, urls: list[str], webhook: str) -> float:
    """Download `urls` concurrently, upload them as one message edit; seconds taken."""
    started = time.perf_counter()

    async def fetch(url: str) -> bytes:
        async with session.get(url) as reply:
            reply.raise_for_status()
            return await reply.read()

    images = await asyncio.gather(*(fetch(url) for url in urls))
    form = aiohttp.FormData()
    names = [f"raw-{n + 1}.png" for n in range(len(images))]
    payload = {"content": None, "embeds": [{"title": "raw"}], "attachments": [{"id": n} for n in range(len(names))]}
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    for n, (name, data) in enumerate(zip(names, images, strict=True)):
        form.add_field(f"files[{n}]", data, filename=name, content_type="application/octet-stream")
    async with session.patch(webhook, data=form) as reply:
        reply.raise_for_status()
        await reply.read()
    return time.perf_counter() - started


async def raw_client() -> None:
    """Child-process mode: one JSON line per round on stdin ({"urls": [...], "webhook": "..."}), seconds out."""
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            order = json.loads(line)
            print(await raw_transfer(session, order["urls"], order["webhook"]), flush=True)


# ------------------------------------------------------------------------------------------------ the benchmark


async def issue_urls(world: Bench, images: int) -> list[str]:
    """Have the fake image API make `images` images, as the bot's job did (the raw client only moves bytes)."""
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("prompt", "raw transfer")
    form.add_field("num_images", str(images))
    url = f"{world.ideogram.base_url}/ideogram/v1/ideogram-v3/generate"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=form, headers={"Api-Key": world.ideogram.api_key}) as reply,
    ):
        body = await reply.json()
        if reply.status != 200:
            raise RuntimeError(f"fake API refused: {body}")
    return [item["url"] for item in body["data"]]


async def bot_job(world: Bench, images: int, expected_bytes: int) -> tuple[float, float, FakeInteraction]:
    """One job; seconds from INTERACTION_CREATE to the result stored, and from the API's answer to the same."""
    interaction = await world.imagine(world.members[0], prompt="transfer", num_images=images)
    finished = await world.run_jobs([interaction], timeout=60)
    original = interaction.original
    assert original is not None
    sizes = [a.size for a in original.attachments]
    if sizes != [expected_bytes] * images:
        raise RuntimeError(f"the bot posted {sizes}, not {images} x {expected_bytes} bytes: re-encoded?")
    answered = world.ideogram.api_requests[-1].answered_at
    return finished - interaction.dispatched_loop_time, finished - answered, interaction


async def run(rounds: int, images: int, image_bytes: int) -> bool:
    async with bench(
        members=1,
        discord_options={"attachment_size_limit": UPLOAD_LIMIT},
        ideogram_options={"image_bytes": image_bytes},
    ) as world:
        await world.start_bot()
        client = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPT),
            "--raw-client",
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert client.stdin is not None
        assert client.stdout is not None
        whole: list[float] = []
        phase: list[float] = []
        raw: list[float] = []
        try:
            for round_number in range(rounds + 1):  # round 0 warms both up and is not counted
                job_s, phase_s, interaction = await bot_job(world, images, image_bytes)
                webhook = (
                    f"{world.discord.api_base_url}/webhooks/{world.discord.application_id}/"
                    f"{interaction.token}/messages/@original"
                )
                order = {"urls": await issue_urls(world, images), "webhook": webhook}
                client.stdin.write(json.dumps(order).encode() + b"\n")
                await client.stdin.drain()
                raw_s = float(await client.stdout.readline())
                world.forget_traffic()
                if round_number:
                    whole.append(job_s)
                    phase.append(phase_s)
                    raw.append(raw_s)
        finally:
            client.stdin.close()
            await client.wait()
        await world.stop_bot()
        problems = world.check_clean()

    total = images * image_bytes / MIB
    raw_ms, phase_ms, whole_ms = (statistics.median(values) * 1000 for values in (raw, phase, whole))
    # Each bot round is paired with the raw round right after it, so the two share the machine's state
    # (other processes, the allocator); the median of the paired ratios is steadier than a ratio of medians.
    ratio = statistics.median(b / r for b, r in zip(phase, raw, strict=True))
    whole_ratio = statistics.median(b / r for b, r in zip(whole, raw, strict=True))
    ok = ratio <= RATIO_TARGET and not problems
    print(f"machine: {machine()}; bot and raw client each in their own process")
    print(f"{images} images x {image_bytes / MIB:g} MiB: {total:g} MiB down + {total:g} MiB up; {rounds} rounds")
    print("  (the fake Discord's copies of earlier uploads are dropped between rounds: see Bench.forget_traffic)")
    print(f"raw aiohttp, download + upload:                  median {raw_ms:4.0f} ms")
    print(f"bot, from the API's answer to the posted result: median {phase_ms:4.0f} ms")
    print(f"bot, whole job from INTERACTION_CREATE:          median {whole_ms:4.0f} ms")
    print(f"bot / raw, round by round (median): {ratio:.2f}x  (target <= {RATIO_TARGET}x: {verdict(ok)})")
    print(f"whole job / raw, round by round (median): {whole_ratio:.2f}x  (adds the gateway, cheap checks, defer,")
    print("  ledger hold and the API call to the transfer)")
    if problems:
        print(f"Discord rule violations: {problems[:5]}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--mib", type=float, default=2.0, help="size of each image, MiB")
    parser.add_argument("--raw-client", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.raw_client:
        asyncio.run(raw_client())
        return
    ok = asyncio.run(run(arguments.rounds, arguments.images, int(arguments.mib * MIB)))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
