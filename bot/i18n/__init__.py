"""Every sentence the bot shows a person, in English, Simplified Chinese (zh-CN) and Traditional Chinese (zh-TW).

The catalogue is gettext: the English text is the message id, so code reads as what the member will see, and
`locales/<language>/LC_MESSAGES/messages.po` holds the translations (edited by hand or with any PO editor).
The repository keeps only the `.po` sources; Babel compiles each one in memory the first time it is needed.

Code builds a lazy `Message` (`_("You have {count} jobs running.", count=n)`, or `_n(...)` when a number picks
the grammatical form) and the edge that knows who reads it renders it: `message.render(interaction.locale)`.
Anything without a translation falls back to English. Log lines stay English and never go through here.
"""

from __future__ import annotations

import functools
import gettext
import io
import logging
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Protocol, runtime_checkable

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

ENGLISH: Final = "en"
SIMPLIFIED: Final = "zh_CN"
TRADITIONAL: Final = "zh_TW"
TRANSLATED: Final = (SIMPLIFIED, TRADITIONAL)
LOCALE_DIR: Final = Path(__file__).parent / "locales"

# Discord's locale values (discord.Locale.value) for the two Chinese languages; everything else reads English.
_DISCORD_LOCALES: Final = {"zh-cn": SIMPLIFIED, "zh-tw": TRADITIONAL}


def language(locale: object | None) -> str:
    """The catalogue language for a Discord locale: `zh-CN` → zh_CN, `zh-TW` → zh_TW, anything else → en.

    Accepts `discord.Locale` (its `value`), its string value, or a catalogue language (`zh_CN`).
    """
    value = getattr(locale, "value", locale)
    if not isinstance(value, str):
        return ENGLISH
    if value in _DISCORD_LOCALES.values():
        return value
    return _DISCORD_LOCALES.get(value.replace("_", "-").lower(), ENGLISH)


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue for `lang` (English is the message ids themselves)."""
    if lang not in TRANSLATED:
        return gettext.NullTranslations()
    catalog = read_catalogue(lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out: a guess is worse than English
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def placeholders(template: str) -> set[str]:
    """The `{name}` fields of a template (`{{` and `}}` are literal braces)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@dataclass(frozen=True, slots=True)
class Message:
    """A message id and its named parameters, rendered in a language only when someone is about to read it.

    Parameters may themselves be `Message`s (a period word inside a sentence) or anything else `Localized`
    (`bot.money.Amount`): they render in the same language.
    `str(message)` is the English text, so a message can go wherever text is expected (logs, tests).
    """

    msgid: str
    plural: str | None = None
    params: Mapping[str, object] = field(default_factory=dict, hash=False)

    def render(self, locale: object | None = None) -> str:
        """The text in a Discord locale's language. Never raises for a bad template: text is shown on the error
        path too, so a field without a value shows as `{name}` and a translation that does not format falls back
        to English (both logged; tests/i18n keeps either from reaching a release)."""
        lang = language(locale)
        values = _Params({name: _render_param(value, lang) for name, value in self.params.items()}, self.msgid)
        try:
            return self._template(lang).format_map(values)
        except (ValueError, IndexError, KeyError, AttributeError):
            log.warning("the %s translation of %r does not format; showing English", lang, self.msgid)
            return self._template(ENGLISH).format_map(values)

    def _template(self, lang: str) -> str:
        catalogue = translations(lang)
        if self.plural is None:
            return catalogue.gettext(self.msgid)
        count = self.params.get("count")
        return catalogue.ngettext(self.msgid, self.plural, count if isinstance(count, int) else 2)

    def __str__(self) -> str:
        return self.render(ENGLISH)

    def with_params(self, **params: object) -> Message:
        """The same message with more (or replaced) parameters."""
        return Message(self.msgid, self.plural, {**self.params, **params})


@runtime_checkable
class Localized(Protocol):
    """A parameter that renders itself per language (a `Message`, an amount of money)."""

    def render(self, locale: object | None = None) -> str: ...


class _Params(dict[str, object]):
    """A message's values; a missing one shows as its `{name}` rather than failing the reply."""

    def __init__(self, values: Mapping[str, object], msgid: str) -> None:
        super().__init__(values)
        self._msgid = msgid

    def __missing__(self, name: str) -> str:
        log.warning("message %r has no value for {%s}", self._msgid, name)
        return "{" + name + "}"


def _render_param(value: object, lang: str) -> object:
    if isinstance(value, str | int):  # most values; checked first, as a runtime Protocol check is slow
        return value
    return value.render(lang) if isinstance(value, Localized) else value


def _(msgid: str, /, **params: object) -> Message:
    """A sentence to translate: `_("Granted {amount} to {member}.", amount=..., member=...)`."""
    return Message(msgid, params=params)


def _n(singular: str, plural: str, /, *, count: int, **params: object) -> Message:
    """A sentence whose form depends on `count` (English: one/other; Chinese: one form). `{count}` is a field."""
    return Message(singular, plural, {"count": count, **params})


def N_(msgid: str, /) -> str:
    """Mark text for the catalogue without translating it here (text discord.py translates, like descriptions)."""
    return msgid


Text = str | Message


def render(text: Text, locale: object | None = None) -> str:
    """Text ready to send: a `Message` in the reader's language, plain text (a member's prompt) as it is."""
    return text.render(locale) if isinstance(text, Message) else text


def translate(msgid: str, locale: object | None) -> str | None:
    """The catalogue's translation of `msgid` for a Discord locale, or None when there is none (English)."""
    lang = language(locale)
    if lang == ENGLISH:
        return None
    translated = translations(lang).gettext(msgid)
    return None if translated == msgid else translated


def read_catalogue(lang: str) -> Catalog:
    """A language's `.po` file as Babel reads it, for the catalogue tests and tooling."""
    with po_path(lang).open("rb") as source:
        return read_po(source, locale=lang, abort_invalid=True)  # a broken line (a merge marker) fails loudly
