"""What the benchmarks share: both fakes in this process, the real bot (`python -m bot`) in a child process.

The bot runs as operators run it, from a TOML file and two environment variables, in its own process: its
event loop is not shared with the fakes (as Discord and Ideogram are other machines in production), and its
memory can be read from /proc without the fakes' copies of the images in it. Everything is on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import API_KEY, BOT_TOKEN  # noqa: E402
from tests.fakes.discord import FakeChannel, FakeDiscord, FakeGuild, FakeInteraction, FakeMember  # noqa: E402
from tests.fakes.ideogram import FakeIdeogram  # noqa: E402

MIB = 1024 * 1024
BIG_ALLOWANCE = 100_000  # US$ per member and month: no budget check ever refuses a benchmark job
START_TIMEOUT_S = 30.0


def machine() -> str:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cpu(s), "
        f"load average {load} before the run"
    )


def percentile(values: Sequence[float], p: int) -> float:
    """The p-th percentile (inclusive method, as bench/ledger.py reports it)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def _toml(settings: dict[str, dict[str, Any]]) -> str:
    """Settings as TOML; every value here is a str, number, bool or list of those, which JSON spells alike."""
    lines: list[str] = []
    for section, values in settings.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in values.items())
        lines.append("")
    return "\n".join(lines)


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        merged[key] = _merge(merged.get(key, {}), value) if isinstance(value, dict) else value
    return merged


def finished(interaction: FakeInteraction) -> bool:
    """The job posted its result (an embed on the original response) or told the member it failed."""
    original = interaction.original
    if original is not None and not original.loading and not original.deleted and original.embeds:
        return True
    return any(m.ephemeral and not m.loading for m in [*([original] if original else []), *interaction.followups])


def succeeded(interaction: FakeInteraction) -> bool:
    original = interaction.original
    return original is not None and not original.deleted and bool(original.embeds)


@dataclass
class Bench:
    """One server with `members`, the two fakes, and (after `start_bot`) the bot's process."""

    discord: FakeDiscord
    ideogram: FakeIdeogram
    guild: FakeGuild
    channel: FakeChannel
    members: list[FakeMember]
    directory: Path
    process: asyncio.subprocess.Process | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.directory / "bot.log"

    def settings(self, overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
        base: dict[str, dict[str, Any]] = {
            "discord": {
                "api_base_url": self.discord.api_base_url,
                "gateway_url": self.discord.gateway_url,
                "sync_guild_ids": [self.guild.id],
            },
            "ideogram": {"base_url": self.ideogram.base_url, "image_hosts": ["127.0.0.1"], "timeout_s": 120},
            "database": {"path": str(self.directory / "bot.sqlite3")},
            "budget": {"default_allowance": BIG_ALLOWANCE},
            "logging": {"level": "INFO"},
        }
        return _merge(base, overrides)

    async def start_bot(self, **overrides: Any) -> None:
        """Run `python -m bot` with these settings (sections as keyword arguments), warm it up, and return."""
        config = self.directory / "config.toml"
        config.write_text(_toml(self.settings(overrides)), encoding="utf-8")
        env = {**os.environ, "DISCORD_TOKEN": BOT_TOKEN, "AIHUBMIX_API_KEY": API_KEY, "PYTHONPATH": str(ROOT)}
        # BENCH_PROFILE=file.prof runs the bot under cProfile (written when it exits): where did the time go?
        profile = os.environ.get("BENCH_PROFILE")
        profiler = ["-m", "cProfile", "-o", profile] if profile else []
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                *profiler,
                "-m",
                "bot",
                "--config",
                str(config),
                cwd=ROOT,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        try:
            await self.discord.wait_for(
                lambda: self.discord.connected_sessions and self.discord.commands.get(self.guild.id),
                timeout=START_TIMEOUT_S,
                what="the bot to connect and sync its commands",
            )
            # A first job through every step: imports, Pillow, SQLite statements and connections are warm after it.
            await self.run_jobs([await self.imagine(self.members[0], prompt="warm-up")], timeout=START_TIMEOUT_S)
        except BaseException:
            await self.stop_bot()
            print(self.log_tail(), file=sys.stderr)
            raise

    async def stop_bot(self) -> None:
        """SIGTERM, as an operator stops it: jobs in flight finish first."""
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(30):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()

    async def recorded(self, job_id: int, *, timeout: float = START_TIMEOUT_S) -> None:  # noqa: ASYNC109
        """Wait until the bot has charged and recorded job `job_id` (it logs "job N /command ... cost=..." then).

        A member sees a result a moment before the bookkeeping behind it is done (the tests wait on the bot's
        `jobs.recorded`; this process can only read its log), and a click in that moment is refused as unknown.
        """
        needle = f"bot.jobs.runner: job {job_id} /"
        async with asyncio.timeout(timeout):
            # another process's file: nothing to wait on but the file itself
            while needle not in self.log_path.read_text(encoding="utf-8", errors="replace"):  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def memory(self) -> dict[str, int]:
        """The bot process's VmRSS (now) and VmHWM (peak since start), in bytes, from /proc."""
        assert self.process is not None
        found: dict[str, int] = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) * 1024
        return found

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the bot process has used so far, from /proc/<pid>/stat."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def imagine(self, member: FakeMember, **options: Any) -> FakeInteraction:
        """Dispatch `/imagine` as `member`; returns once the gateway has sent it."""
        return await self.discord.slash(self.guild, self.channel, member, "imagine", **options)

    async def run_jobs(self, interactions: Iterable[FakeInteraction], *, timeout: float) -> float:  # noqa: ASYNC109
        """Wait until every interaction's job finished; loop time when the last one did. Raises if any failed."""
        pending = list(interactions)
        await self.discord.wait_for(
            lambda: all(finished(i) for i in pending), timeout=timeout, what=f"{len(pending)} jobs to finish"
        )
        done_at = self.discord.loop_time()
        failed = [i for i in pending if not succeeded(i)]
        if failed:
            texts = {m.content for i in failed for m in i.followups}
            raise RuntimeError(f"{len(failed)} of {len(pending)} jobs failed: {sorted(texts)[:3]}")
        return done_at

    def forget_traffic(self) -> None:
        """Drop the fake Discord's copies of what it was sent so far (request bodies, uploaded files).

        The fake keeps every byte for tests to inspect; over many rounds of 16 MiB uploads that growth makes
        each new upload land in fresh memory, and page faults then cost the fake more than the transfer itself.
        Benchmarks that upload big files call this between rounds, after checking what they need.
        """
        self.discord.raw_requests.clear()
        for attachment in self.discord.attachments.values():
            attachment.data = b""

    def check_clean(self) -> list[str]:
        """What the fakes saw go wrong: Discord-rule violations (a late ack, an oversized file...)."""
        return [str(v) for v in self.discord.violations]


@contextlib.asynccontextmanager
async def bench(
    *,
    members: int,
    discord_options: dict[str, Any] | None = None,
    ideogram_options: dict[str, Any] | None = None,
) -> AsyncIterator[Bench]:
    """Both fakes, one server with `members` members; the bot is stopped on the way out."""
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        async with (
            FakeDiscord(BOT_TOKEN, wait_timeout_s=60.0, **(discord_options or {})) as discord,
            FakeIdeogram(api_key=API_KEY, **(ideogram_options or {})) as ideogram,
        ):
            guild = discord.add_guild("Bench Club")
            channel = discord.add_channel(guild, "bench")
            people = [discord.add_member(guild, f"member-{n}") for n in range(members)]
            world = Bench(discord, ideogram, guild, channel, people, Path(directory))
            try:
                yield world
            finally:
                await world.stop_bot()
