"""Composition root: settings -> logging -> database -> API client -> bot. Nothing happens at import time."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, Secrets, Settings, load_settings

log = logging.getLogger("bot")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Ideogram image generation for Discord.")
    parser.add_argument("--config", type=Path, default=None, help="TOML settings file (default: config.toml)")
    parser.add_argument(
        "--check-config", action="store_true", help="validate the settings and the environment, then exit"
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        settings, secrets = load_settings(args.config)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.check_config:
        print("configuration OK")
        return 0
    configure_logging(settings.logging.level)
    try:
        asyncio.run(run(settings, secrets))
    except KeyboardInterrupt:
        log.info("interrupted")
    except ConfigError as exc:  # raised late by checks that need the event loop (e.g. the database path)
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
