"""Words many sentences share (the glossary's terms), declared once: periods, allowance sources, ledger kinds.

Each is a whole phrase that completes a catalogue sentence as a parameter, so a translation can put it where
its grammar wants it ("{amount} {per_period}" is "每月 {amount}" in Chinese).
"""

from __future__ import annotations

from typing import Final

from bot.i18n import Message, _

# "You have $1.00 left {this_period}": the current day, week or month.
THIS_PERIOD: Final[dict[str, Message]] = {
    "day": _("today"),
    "week": _("this week"),
    "month": _("this month"),
    "total": _("in total"),
}

# "$1.00 {per_period}": how often an allowance comes.
PER_PERIOD: Final[dict[str, Message]] = {
    "day": _("per day"),
    "week": _("per week"),
    "month": _("per month"),
    "total": _("in total"),
}

# Where a member's allowance comes from.
ALLOWANCE_SOURCE: Final[dict[str, Message]] = {
    "own": _("own allowance"),
    "role": _("from role {role}"),
    "server": _("server default"),
    "config": _("bot default"),
}

# Ledger entry kinds as members and moderators read them: DESIGN.md's spellings in English (as in the CSV).
ENTRY_KIND: Final[dict[str, Message]] = {
    "hold": _("hold"),
    "capture": _("capture"),
    "release": _("release"),
    "grant": _("grant"),
    "adjustment": _("adjustment"),
    "refund": _("refund"),
    "write-off": _("write-off"),
    "uncertain": _("uncertain"),
}


def entry_kind(kind: str) -> Message | str:
    """A ledger kind in words (a kind this table does not know yet shows as it is stored)."""
    return ENTRY_KIND.get(kind, kind)


def allowance_source(source: str) -> Message | str:
    """Where an allowance comes from, in words (an unknown source shows as it is stored)."""
    return ALLOWANCE_SOURCE.get(source, source)
