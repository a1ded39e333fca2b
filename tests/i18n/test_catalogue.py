"""The catalogue is complete and consistent: every message the code or the command tree shows has a zh-CN and a
zh-TW translation with the same placeholders and every plural form, and the translator uses them."""

from __future__ import annotations

import gettext
import re

import discord
import pytest
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot import i18n
from bot.i18n import SIMPLIFIED, TRADITIONAL, TRANSLATED, Message, _, _n, placeholders
from bot.money import Amount
from cogs.translator import CatalogTranslator
from tests.i18n.support import code_messages, tree_strings

# Choice names that are the API's own codes (model ids, aspect ratios): the same in every language.
CODE_NAME = re.compile(r"^(V_\w+|\d+x\d+)$")
NAMES = {Where.command_name, Where.group_name, Where.parameter_name}


HOW_TO_ADD = "Add each to bot/i18n/locales/{lang}/LC_MESSAGES/messages.po (terms: docs/glossary.md), e.g.:\n\n{entries}"


def po_entries(missing: list[tuple[str, str | None]]) -> str:
    """Ready-to-fill .po entries for what is missing (the msgstr left for a person to write)."""
    blocks = []
    for msgid, plural in dict.fromkeys(missing):
        quoted = msgid.replace("\\", "\\\\").replace('"', '\\"')
        if plural is None:
            blocks.append(f'msgid "{quoted}"\nmsgstr ""')
        else:
            blocks.append(f'msgid "{quoted}"\nmsgid_plural "{plural}"\nmsgstr[0] ""')
    return "\n\n".join(blocks)


def entries(lang: str) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """msgid -> (msgid_plural, translated forms) for one language."""
    found: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    for message in i18n.read_catalogue(lang):
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            found[message.id[0]] = (message.id[1], tuple(message.string))
        else:
            found[message.id] = (None, (message.string,))
    return found


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_in_the_code_is_translated(lang: str) -> None:
    catalogue = entries(lang)
    missing = [m for m in code_messages() if not any(catalogue.get(m.msgid, (None, ()))[1])]
    assert missing == [], (
        f"{lang} lacks translations for:\n"
        + "\n".join(f"{m.where}: {m.msgid!r}" for m in missing)
        + "\n"
        + HOW_TO_ADD.format(lang=lang, entries=po_entries([(m.msgid, m.plural) for m in missing]))
    )
    wrong_plural = [m.where for m in code_messages() if m.msgid in catalogue and catalogue[m.msgid][0] != m.plural]
    assert wrong_plural == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders_and_every_plural_form(lang: str) -> None:
    catalog = i18n.read_catalogue(lang)
    problems = []
    for msgid, (plural, forms) in entries(lang).items():
        if any(message.fuzzy for message in catalog if message.id and message.id in (msgid, (msgid, plural))):
            problems.append(f"fuzzy (a guess nobody checked): {msgid!r}")
        if len(forms) != catalog.num_plurals if plural else len(forms) != 1:
            problems.append(f"{len(forms)} forms for {catalog.num_plurals}: {msgid!r}")
        expected = placeholders(msgid) | (placeholders(plural) if plural else set())
        for form in forms:
            if not form:
                problems.append(f"empty: {msgid!r}")
            elif placeholders(form) != expected:
                problems.append(f"{msgid!r}: {sorted(placeholders(form))} != {sorted(expected)}")
    assert problems == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_each_message_is_in_the_file_once(lang: str) -> None:
    """Babel keeps the last of two entries with one msgid; a merge that leaves both hides a translation."""
    ids = re.findall(r'^msgid "(.+)"$', i18n.po_path(lang).read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert [msgid for msgid in set(ids) if ids.count(msgid) > 1] == []


async def test_every_translation_is_still_used() -> None:
    """A message changed or removed in the code leaves a stale entry: remove it too."""
    used = {m.msgid for m in code_messages()} | {s.text for s in await tree_strings()}
    for lang in TRANSLATED:
        assert [msgid for msgid in entries(lang) if msgid not in used] == [], f"stale entries in {lang}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_both_languages_translate_the_same_messages(lang: str) -> None:
    other = TRADITIONAL if lang == SIMPLIFIED else SIMPLIFIED
    assert set(entries(lang)) == set(entries(other))


async def test_every_description_and_choice_of_the_command_tree_is_translated() -> None:
    strings = await tree_strings()
    assert {s.location for s in strings} >= {Where.command_description, Where.parameter_description, Where.choice_name}
    for lang in TRANSLATED:
        missing = [
            s
            for s in strings
            if s.location not in NAMES and not CODE_NAME.match(s.text) and not i18n.translate(s.text, lang)
        ]
        assert missing == [], (
            f"{lang} lacks translations of the command tree's:\n"
            + "\n".join(f"{s.where} {s.location.name}: {s.text!r}" for s in missing)
            + "\n"
            + HOW_TO_ADD.format(lang=lang, entries=po_entries([(s.text, None) for s in missing]))
        )


async def test_the_translator_keeps_names_and_translates_descriptions() -> None:
    translator = CatalogTranslator()
    command = app_commands.Command(name="imagine", description="Create images from a prompt.", callback=_callback)
    name = app_commands.TranslationContext(Where.command_name, command)
    description = app_commands.TranslationContext(Where.command_description, command)
    choice = app_commands.TranslationContext(Where.choice_name, app_commands.Choice(name="QUALITY", value="QUALITY"))
    text = app_commands.locale_str
    assert await translator.translate(text("imagine"), discord.Locale.chinese, name) is None
    assert await translator.translate(text("Create images from a prompt."), discord.Locale.chinese, description) == (
        "根据提示词生成图片。"
    )
    assert await translator.translate(text("QUALITY"), discord.Locale.taiwan_chinese, choice) == "高品質"
    assert await translator.translate(text("QUALITY"), discord.Locale.british_english, choice) is None
    # A locale_str whose displayed English differs from its catalogue id says which id in its extras.
    labelled = text("Quality", msgid="QUALITY")
    assert await translator.translate(labelled, discord.Locale.chinese, choice) == "高质量"


async def _callback(interaction: discord.Interaction) -> None:  # pragma: no cover - never invoked
    pass


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("zh-CN", SIMPLIFIED),
        ("zh-TW", TRADITIONAL),
        (discord.Locale.taiwan_chinese, TRADITIONAL),
        ("zh_CN", SIMPLIFIED),
        ("en-US", "en"),
        ("ja", "en"),
        (None, "en"),
    ],
)
def test_language_follows_the_discord_locale(locale: object, expected: str) -> None:
    assert i18n.language(locale) == expected


def test_a_message_renders_in_the_readers_language_with_its_parameters_in_it() -> None:
    message = _("The `{option}` is {size}; the limit is {limit}.", option="image", size="12 MB", limit="10 MB")
    assert str(message) == "The `image` is 12 MB; the limit is 10 MB."
    assert message.render("zh-CN") == "`image` 大小为 12 MB，上限是 10 MB。"
    assert message.render("zh-TW") == "`image` 大小為 12 MB，上限是 10 MB。"
    assert message.render("fr") == str(message)


def test_nested_messages_and_amounts_render_in_the_same_language() -> None:
    pixels = _n("{count:,} pixel", "{count:,} pixels", count=250_000)
    message = _(
        "The `{option}` is {width}×{height} ({pixels}); the limit is {limit}.",
        option="image",
        width=500,
        height=500,
        pixels=pixels,
        limit=_("{megapixels} megapixels", megapixels="2.5"),
    )
    assert message.render("zh-TW") == "`image` 為 500×500（250,000 像素），上限是 2.5 百萬像素。"
    assert str(message) == "The `image` is 500×500 (250,000 pixels); the limit is 2.5 megapixels."
    amount = _("{amount} has more than six decimals; the smallest amount is $0.000001.", amount=Amount(1_500_000))
    assert amount.render("en-US").startswith("$1.50 ")
    assert amount.render("zh-TW").startswith("US$1.50 ")


def test_english_plurals_pick_the_form_chinese_has_one() -> None:
    def pixels(count: int) -> Message:
        return _n("{count:,} pixel", "{count:,} pixels", count=count)

    assert [str(pixels(1)), str(pixels(2))] == ["1 pixel", "2 pixels"]
    assert [pixels(1).render("zh-CN"), pixels(2).render("zh-CN")] == ["1 像素", "2 像素"]


def test_a_message_without_a_translation_falls_back_to_english() -> None:
    assert _("Not in the catalogue, {name}.", name="Ada").render("zh-CN") == "Not in the catalogue, Ada."


def test_an_invalid_request_names_its_command_inside_the_catalogue_sentence() -> None:
    from bot.ideogram import InvalidRequest

    error = InvalidRequest(_("{command} needs a `{name}`.", name="prompt"), operations={"command": "generate"})
    assert str(error) == "`generate` needs a `prompt`."
    worded = error.worded(lambda operation: "/imagine")
    assert isinstance(worded.message, Message)
    assert str(worded) == "/imagine needs a `prompt`."


def test_a_message_never_fails_the_reply_it_is_in(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert _("Hello {name}, you have {count} left.", name="Ada").render("en") == "Hello Ada, you have {count} left."

    class Broken(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return "{name 你好"  # an unclosed brace: it does not format

    monkeypatch.setattr(
        i18n, "translations", lambda lang: Broken() if lang == SIMPLIFIED else gettext.NullTranslations()
    )
    assert _("Hello {name}.", name="Ada").render("zh-CN") == "Hello Ada."
    assert "does not format" in caplog.text


def test_the_shared_terms_cover_every_value_the_ledger_has() -> None:
    """A new period, allowance source or entry kind needs its words in every sentence that shows it."""
    from typing import get_args

    from bot.i18n import terms
    from bot.ledger import AllowanceSource, EntryKind, Period

    assert set(get_args(Period)) <= set(terms.THIS_PERIOD) & set(terms.PER_PERIOD)
    assert set(get_args(AllowanceSource)) <= set(terms.ALLOWANCE_SOURCE)
    assert set(get_args(EntryKind)) <= set(terms.ENTRY_KIND)
