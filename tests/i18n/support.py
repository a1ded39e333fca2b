"""What the catalogue must cover: the messages in the code and every string the command tree syncs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
from babel.messages.extract import extract_from_dir
from discord import app_commands
from discord.ext import commands

from bot.app import EXTENSIONS

ROOT = Path(__file__).resolve().parents[2]
# The helpers of `bot.i18n`: `_(msgid)`, `_n(singular, plural)`, `N_(msgid)` (marked, translated elsewhere).
KEYWORDS = {"_": None, "_n": (1, 2), "N_": None}


@dataclass(frozen=True)
class CodeMessage:
    msgid: str
    plural: str | None
    where: str


def code_messages() -> list[CodeMessage]:
    """Every message the code marks, found the way `pybabel extract -k _n:1,2 -k N_` finds them."""
    found: list[CodeMessage] = []
    for package in ("bot", "cogs"):
        for filename, line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            msgid, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
            found.append(CodeMessage(msgid, plural, f"{package}/{filename}:{line}"))
    return found


@dataclass(frozen=True)
class TreeString:
    text: str
    location: app_commands.TranslationContextLocation
    where: str


class _Recorder(app_commands.Translator):
    def __init__(self) -> None:
        self.seen: list[TreeString] = []

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        if locale is discord.Locale.american_english:
            data: Any = context.data
            name = getattr(data, "qualified_name", None) or getattr(data, "name", "?")
            self.seen.append(TreeString(string.message, context.location, str(name)))
        return None


async def tree_strings() -> list[TreeString]:
    """Every string discord.py asks a translator about when it syncs the bot's command tree."""
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none())
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    recorder = _Recorder()
    for command in bot.tree.get_commands():
        await command.get_translated_payload(bot.tree, recorder)
    return recorder.seen
