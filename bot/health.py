"""`python -m bot health`: is the running bot connected to Discord? Read from the heartbeat file it keeps fresh.

Docker's healthcheck runs this in the bot's container: no network, no settings, no secrets needed. The bot
writes the file (named by `$BOT_HEARTBEAT_FILE`) every 30 s while all its gateway connections are open.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Final

HEARTBEAT_VARIABLE: Final = "BOT_HEARTBEAT_FILE"

NOT_CONFIGURED: Final = "{variable} is not set, so the bot keeps no heartbeat to check; set it to a file path"
NO_HEARTBEAT: Final = "no heartbeat at {path} yet: the bot has not connected to Discord"
STALE: Final = "the last heartbeat at {path} is {age:.0f} s old (over {max_age:g} s): the bot is not connected"
HEALTHY: Final = "healthy: connected to Discord {age:.0f} s ago"


def heartbeat_path() -> Path | None:
    value = os.environ.get(HEARTBEAT_VARIABLE, "").strip()
    return Path(value) if value else None


def check_health(max_age: float) -> int:
    """0 when the heartbeat is younger than `max_age` seconds, else 1 with one line saying why."""
    path = heartbeat_path()
    if path is None:
        print(NOT_CONFIGURED.format(variable=HEARTBEAT_VARIABLE), file=sys.stderr)
        return 1
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        print(NO_HEARTBEAT.format(path=path), file=sys.stderr)
        return 1
    if age > max_age:
        print(STALE.format(path=path, age=age, max_age=max_age), file=sys.stderr)
        return 1
    print(HEALTHY.format(age=max(age, 0)))
    return 0
