"""The Docker image and compose.yaml, read (there is no Docker engine here): the ledger stays on the volume, jobs
get their grace period on SIGTERM, and the healthcheck asks the bot itself."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from bot.app import SHUTDOWN_GRACE_S
from bot.config import DatabaseSettings

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = (ROOT / "compose.yaml").read_text()
HEALTH = '"python", "-m", "bot", "health"'


def test_the_default_database_path_resolves_on_the_data_volume() -> None:
    workdir = re.findall(r"^WORKDIR (\S+)$", DOCKERFILE, re.MULTILINE)[-1]  # where the bot runs
    volume = re.search(r'^VOLUME \["(\S+)"\]$', DOCKERFILE, re.MULTILINE)
    assert volume is not None
    database = PurePosixPath(workdir) / DatabaseSettings().path
    assert database.is_relative_to(volume.group(1))
    assert "- ledger:/data" in COMPOSE


def test_the_stop_timeout_covers_the_jobs_grace_period() -> None:
    grace = re.search(r"^\s+stop_grace_period: (\d+)s$", COMPOSE, re.MULTILINE)
    assert grace is not None
    assert int(grace.group(1)) > SHUTDOWN_GRACE_S
    assert "stop_signal: SIGTERM" in COMPOSE
    assert "STOPSIGNAL SIGTERM" in DOCKERFILE


def test_the_healthcheck_is_the_bots_own_and_the_image_keeps_a_heartbeat() -> None:
    assert re.search(rf"^HEALTHCHECK .* CMD \[{HEALTH}\]$", DOCKERFILE, re.MULTILINE)
    assert f'test: ["CMD", {HEALTH}]' in COMPOSE
    assert "BOT_HEARTBEAT_FILE=" in DOCKERFILE
