"""Composition root: settings -> logging -> database -> API client -> bot. Nothing happens at import time.

`python -m bot` runs the bot; `python -m bot usage` and `python -m bot health` are the operator's tools.
Exit codes: 0 stopped (also by Ctrl-C or SIGTERM at any point), 1 Discord or the database unreachable,
2 bad configuration (one line naming the key).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from bot.config import Secrets, Settings

log = logging.getLogger("bot")

STOPPED_DURING_START: Final = "stopped before the bot was connected"


def _date(value: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-01-31") from None


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument(
        "--config", type=Path, default=argparse.SUPPRESS, help="TOML settings file (default: config.toml)"
    )
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Ideogram image generation for Discord.", parents=[config]
    )
    parser.set_defaults(config=None, command=None)
    parser.add_argument(
        "--check-config",
        action="store_true",
        help="check the settings, the environment and the database, report every problem, then exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="{usage,health,migrate-ledger}")
    usage = commands.add_parser(
        "usage",
        parents=[config],
        help="what the ledger says AiHubMix should have billed, per server and in total",
        description="Per server and in total: captured from members, write-offs, uncertain, and their sum "
        "(what AiHubMix should have billed). Reads the ledger only.",
    )
    usage.add_argument("--since", type=_date, default=None, help="count from this day (UTC, YYYY-MM-DD) on")
    usage.add_argument("--guild", type=int, default=None, help="only this server (its id)")
    usage.add_argument("--csv", action="store_true", help="CSV for a spreadsheet instead of a table")
    health = commands.add_parser(
        "health", help="exit 0 if the running bot is connected to Discord (reads $BOT_HEARTBEAT_FILE)"
    )
    health.add_argument("--max-age", type=float, default=90.0, help="seconds a heartbeat stays fresh (default 90)")
    commands.add_parser(
        "migrate-ledger",
        parents=[config],
        help="copy the SQLite ledger ([database] path) into the empty PostgreSQL database at $DATABASE_URL",
        description="Copies every entry, setting and job into an empty PostgreSQL database and checks that "
        "balances and totals come out the same; writes nothing otherwise. Stop the bot first.",
    )
    return parser.parse_args(argv)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # discord.py's gateway chatter at INFO is noise for operators; warnings still show.
    logging.getLogger("discord").setLevel(max(logging.getLevelName(level), logging.WARNING))


async def run(settings: Settings, secrets: Secrets) -> None:
    from bot.app import run_bot  # imported here so --check-config stays fast and side-effect free

    await run_bot(settings, secrets)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    # Until the event loop takes over, SIGTERM stops the process as Ctrl-C does: cleanly, without a traceback.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print(STOPPED_DURING_START, file=sys.stderr)
        return 0


def _main(argv: Sequence[str] | None) -> int:
    from bot.config import ConfigError, load_settings
    from bot.startup import Unreachable

    args = _parse_args(argv)
    if args.command == "health":
        from bot.health import check_health

        return check_health(args.max_age)
    if args.command == "usage":
        from bot.usage import print_usage

        return print_usage(args.config, since=args.since, guild_id=args.guild, as_csv=args.csv)
    if args.command == "migrate-ledger":
        from bot.migrate import migrate_ledger_command

        return migrate_ledger_command(args.config)
    if args.check_config:
        from bot.check import check_config

        return check_config(args.config)
    try:
        settings, secrets = load_settings(args.config)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.logging.level)
    try:
        asyncio.run(run(settings, secrets))
    except (KeyboardInterrupt, asyncio.CancelledError):
        log.info("%s", STOPPED_DURING_START)
    except ConfigError as exc:  # raised late by checks that need the event loop (e.g. the database path)
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except Unreachable as exc:
        print(f"start-up failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
