"""The fake Discord carries languages as Discord does: each interaction has the user's client language
(`locale`) and the server's preferred locale (`guild_locale`), and only Discord's own locale codes exist."""

from __future__ import annotations

import discord
import pytest
from discord.ext import commands

from tests.fakes.discord import FakeDiscord, run_bot

TOKEN = "fake-locale-token"


def locale_bot() -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none())

    @bot.tree.command(name="where")
    async def where(interaction: discord.Interaction) -> None:
        """Say which languages Discord reported."""
        await interaction.response.send_message(
            f"{interaction.locale.value} {interaction.guild_locale}", ephemeral=True
        )

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


async def test_interactions_carry_the_members_language_and_the_servers() -> None:
    async with FakeDiscord(TOKEN) as fake:
        guild = fake.add_guild("Taipei Art", locale="zh-TW")
        channel = fake.add_channel(guild, "art")
        reader = fake.add_member(guild, "reader", locale="zh-CN")
        visitor = fake.add_member(guild, "visitor")
        async with run_bot(fake, locale_bot(), token=TOKEN):
            for member, expected in ((reader, "zh-CN zh-TW"), (visitor, "en-US zh-TW")):
                interaction = await fake.slash(guild, channel, member, "where")
                reply = await interaction.wait_for(lambda i: i.original)
                assert reply.content == expected
            reader.user.locale = "ja"  # the member switched their client's language
            interaction = await fake.slash(guild, channel, reader, "where")
            assert (await interaction.wait_for(lambda i: i.original)).content == "ja zh-TW"
        assert fake.violations == []


def test_only_discords_locales_exist() -> None:
    fake = FakeDiscord(TOKEN)
    with pytest.raises(ValueError, match="not a Discord locale"):
        fake.add_guild("Somewhere", locale="zh-HK")
    guild = fake.add_guild("Somewhere")
    with pytest.raises(ValueError, match="not a Discord locale"):
        fake.add_member(guild, "typo", locale="zh_CN")
