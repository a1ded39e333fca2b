"""The command tree in Chinese: discord.py asks this translator for every string it syncs, for every locale.

Descriptions, choice display names and context-menu names are looked up in the message catalogue by their
English text (`bot.i18n`). Command, group and option names stay as DESIGN.md has them: they are typed, and
other tools and the README refer to them. Choice values are never translated (they are the API's spellings).
"""

from __future__ import annotations

from typing import Final

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n import translate

# Names members type: the same in every language.
_FIXED_NAMES: Final = frozenset({Where.command_name, Where.group_name, Where.parameter_name})


class CatalogTranslator(app_commands.Translator):
    """Translates the synced command tree from the gettext catalogue (zh-CN and zh-TW; other locales: none).

    A `locale_str` may carry `msgid=` in its extras when the English shown differs from the catalogue id
    (the same word meaning different things in two places); otherwise its message is the id.
    """

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        if context.location in _FIXED_NAMES and not isinstance(context.data, app_commands.ContextMenu):
            return None
        msgid = string.extras.get("msgid", string.message)
        return translate(str(msgid), locale.value)
