"""Small translations between Discord and the bot shared by the cogs: the API's neutral operation names to the
slash commands that run them. (Attachments become job inputs in `cogs.sources`.)"""

from __future__ import annotations

from bot.ideogram import InvalidRequest
from bot.ideogram.catalog import command_name


def in_command_words(error: InvalidRequest) -> InvalidRequest:
    """The refusal with each operation it names called by its slash command (`generate` -> `/imagine`)."""
    return error.worded(lambda operation: f"/{command_name(operation)}")
