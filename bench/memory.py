"""Peak memory of the bot process while 20 members' 8-image jobs with 2 MiB images run at once.

Run: `python bench/memory.py` (options: --jobs, --images, --mib). The bot runs as `python -m bot` in its own
process, so the fakes' copies of the images are not counted; its peak resident set is the kernel's VmHWM
(/proc/<pid>/status). The in-flight limit is raised to jobs x images so that no job waits for another, and the
fake API answers all calls together after 0.5 s, so every job downloads and uploads at the same time: the image
bytes in flight are then jobs x images x size. Baseline is the bot's resident set after a warm-up job.
Target (issue 4): peak <= 100 MB + 3 x the image bytes in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import MIB, bench, machine, verdict

MB = 1_000_000
FIXED_ALLOWANCE = 100 * MB
PER_BYTE_ALLOWANCE = 3
API_LATENCY_S = 0.5


async def run(jobs: int, images: int, image_bytes: int) -> bool:
    async with bench(
        members=jobs,
        discord_options={"attachment_size_limit": max(10 * MIB, image_bytes)},
        ideogram_options={"image_bytes": image_bytes},
    ) as world:
        await world.start_bot(ideogram={"max_concurrency": jobs * images})
        world.ideogram.latency_s = API_LATENCY_S
        baseline = world.memory()["VmRSS"]
        started = world.discord.loop_time()
        interactions = await asyncio.gather(
            *(world.imagine(world.members[n], prompt=f"memory {n}", num_images=images) for n in range(jobs))
        )
        finished = await world.run_jobs(interactions, timeout=120)
        after = world.memory()
        posted = sum(len(i.original.attachments) for i in interactions if i.original is not None)
        await world.stop_bot()
        problems = world.check_clean()

    in_flight = jobs * images * image_bytes
    peak = after["VmHWM"]
    budget = FIXED_ALLOWANCE + PER_BYTE_ALLOWANCE * in_flight
    ok = peak <= budget and not problems and posted == jobs * images
    print(f"machine: {machine()}; bot in its own process (python -m bot)")
    print(
        f"{jobs} jobs x {images} images x {image_bytes / MIB:g} MiB, all in flight together; "
        f"{posted} images posted in {finished - started:.1f} s"
    )
    print(f"baseline RSS after warm-up: {baseline / MB:7.1f} MB")
    print(f"image bytes in flight:      {in_flight / MB:7.1f} MB")
    growth = (peak - baseline) / in_flight
    print(f"peak RSS (VmHWM):           {peak / MB:7.1f} MB = baseline + {growth:.2f} x in flight")
    print(f"RSS when all were done:     {after['VmRSS'] / MB:7.1f} MB")
    print(f"budget 100 MB + 3 x in flight = {budget / MB:.1f} MB: peak {peak / MB:.1f} MB  ({verdict(peak <= budget)})")
    if problems:
        print(f"Discord rule violations: {problems[:5]}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--mib", type=float, default=2.0, help="size of each image, MiB")
    arguments = parser.parse_args()
    ok = asyncio.run(run(arguments.jobs, arguments.images, int(arguments.mib * MIB)))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
