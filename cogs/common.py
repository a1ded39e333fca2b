"""Small translations between Discord and the bot shared by the cogs: attachments to job inputs, the API's neutral
operation names to the slash commands that run them."""

from __future__ import annotations

import discord

from bot.ideogram import InvalidRequest
from bot.ideogram.catalog import command_name
from bot.jobs import InputFile


def input_file(attachment: discord.Attachment, option: str) -> InputFile:
    """A job input for `option` (`image`, `mask`, `style_reference`) as Discord announced it; read later."""
    return InputFile(option, attachment.filename, attachment.size, attachment.content_type, attachment.read)


def in_command_words(error: InvalidRequest) -> InvalidRequest:
    """The refusal with each operation it names called by its slash command (`generate` -> `/imagine`)."""
    return error.worded(lambda operation: f"/{command_name(operation)}")
