"""The synced command tree speaks zh-CN and zh-TW: every command, subcommand and option carries both descriptions,
and every choice that is a word (not an API code) both display names; names and values stay as they are."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import MANAGE_GUILD, World
from tests.fakes.discord import FakeInteraction, FakeMessage
from tests.fakes.ideogram import ServerError

CHINESE = ("zh-CN", "zh-TW")
CODE_NAME = re.compile(r"^(V_\w+|\d+x\d+)$")
SUBCOMMAND, GROUP = 1, 2
CHAT_INPUT, MESSAGE_MENU = 1, 3


def described(command: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every described thing in a synced command: itself, its subcommands and their options, by path."""
    yield command["name"], command
    for option in command.get("options", []):
        path = f"{command['name']} {option['name']}"
        if option["type"] in (SUBCOMMAND, GROUP):
            yield from described({**option, "name": path})
        else:
            yield path, option


async def test_every_command_and_option_has_chinese_descriptions(running: World) -> None:
    synced = [c for c in running.discord.synced_commands(running.guild) if c.get("type", CHAT_INPUT) == CHAT_INPUT]
    assert {"imagine", "balance", "budget"} <= {command["name"] for command in synced}
    missing = [
        f"{path} ({locale})"
        for command in synced
        for path, item in described(command)
        for locale in CHINESE
        if not item.get("description_localizations", {}).get(locale)
    ]
    assert missing == []
    imagine = running.discord.find_command(running.guild, "imagine")
    assert imagine["description_localizations"] == {"zh-CN": "根据提示词生成图片。", "zh-TW": "依提示詞生成圖片。"}
    # Names are what members type: never localized.
    assert not any(item.get("name_localizations") for command in synced for _path, item in described(command))
    # Context menus are picked from a list, not typed: their names are shown in the member's language.
    menus = [c for c in running.discord.synced_commands(running.guild) if c.get("type") == MESSAGE_MENU]
    assert menus
    assert [menu["name"] for menu in menus if set(menu.get("name_localizations") or {}) != set(CHINESE)] == []
    assert {menu["name_localizations"]["zh-TW"] for menu in menus} >= {"描述圖片", "放大圖片"}


async def test_choices_show_chinese_names_and_keep_the_apis_values(running: World) -> None:
    choices = [
        choice
        for command in running.discord.synced_commands(running.guild)
        for _path, item in described(command)
        for choice in item.get("choices", [])
    ]
    words = [choice for choice in choices if not CODE_NAME.match(choice["name"])]
    assert len(words) > 10
    assert [c["name"] for c in words if set(c.get("name_localizations", {})) != set(CHINESE)] == []
    speed = next(c for c in choices if c["value"] == "QUALITY")
    assert speed["name_localizations"] == {"zh-CN": "高质量", "zh-TW": "高品質"}
    assert all(c["name"] == c["value"] for c in choices)


# ------------------------------------------------------------------------------ replies in the reader's language

BALANCE_WORDS = {
    "en-US": ("Your image budget", "Remaining", "$1.00"),
    "zh-CN": ("你的生图预算", "剩余", "$1.00"),
    "zh-TW": ("你的生圖預算", "剩餘", "US$1.00"),
}
BUDGET_REFUSAL = {
    "en-US": "That needs $0.12 but you have $0.05 left this month (resets <t:",
    "zh-CN": "这次需要 $0.12，但你本月只剩 $0.05（<t:",
    "zh-TW": "這次需要 US$0.12，但你本月只剩 US$0.05（<t:",
}
NOTHING_CHARGED = {"en-US": "Nothing was charged.", "zh-CN": "未扣费。", "zh-TW": "未扣款。"}


async def private_message(interaction: FakeInteraction) -> FakeMessage:
    return await interaction.wait_for(lambda i: i.original if i.original is not None and i.ephemeral else None)


@pytest.mark.parametrize("locale", BALANCE_WORDS)
async def test_balance_is_in_the_members_language(running: World, locale: str) -> None:
    reader = running.discord.add_member(running.guild, "reader", locale=locale)
    message = await private_message(await running.slash("balance", member=reader))
    title, remaining, amount = BALANCE_WORDS[locale]
    embed = message.embeds[0]
    assert embed["title"] == title
    assert {field["name"]: field["value"] for field in embed["fields"]}[remaining] == amount


@pytest.mark.parametrize("locale", BUDGET_REFUSAL)
async def test_a_refusal_is_in_the_members_language(running: World, locale: str) -> None:
    assert running.bot is not None
    reader = running.discord.add_member(running.guild, "reader", locale=locale)
    await running.bot.ledger.set_allowance(
        guild_id=running.guild.id, user_id=reader.id, amount=50_000, actor_id=running.moderator.id
    )
    text = await running.private_reply(await running.slash("imagine", member=reader, prompt="two cats", num_images=2))
    assert text.startswith(BUDGET_REFUSAL[locale])
    assert text.endswith(NOTHING_CHARGED[locale])
    assert running.ideogram.api_requests == []


async def test_a_chinese_server_hears_chinese_in_public_while_an_english_member_reads_english(world: World) -> None:
    world.guild.locale = "zh-CN"
    await world.start_bot()
    assert world.bot is not None
    balance = await private_message(await world.slash("balance"))  # the member's client is in English
    assert balance.embeds[0]["title"] == "Your image budget"

    result = await world.result(await world.slash("imagine", prompt="a lighthouse", rendering_speed="TURBO"))
    assert {field["name"] for field in result.embeds[0]["fields"]} >= {"花费", "剩余", "模型"}  # public: the server's
    broke = world.discord.add_member(world.guild, "broke")  # English too, but a reaction's reply is public
    await world.bot.ledger.set_allowance(
        guild_id=world.guild.id, user_id=broke.id, amount=10_000, actor_id=world.moderator.id
    )
    await world.discord.react(result, broke, "🔁")
    refusal = await world.discord.wait_for_message(
        lambda m: m.message_reference is not None and m.message_reference.get("message_id") == str(result.id)
    )
    assert refusal.content.startswith(f"{broke.mention} 这次需要 $0.03，但你本月只剩 $0.01（<t:")
    assert refusal.content.endswith("未扣费。")


RESULT_WORDS = {
    "en-US": ("Cost", "$0.03", "Remaining", "$0.97 this month", "React 🔁 to remix", "Upscale 1"),
    "zh-CN": ("花费", "$0.03", "剩余", "本月 $0.97", "用 🔁 回应可重混", "放大 1"),
    "zh-TW": ("花費", "US$0.03", "剩餘", "本月 US$0.97", "用 🔁 回應可重混", "放大 1"),
}


def labels(message: FakeMessage) -> list[str]:
    return [
        component.get("label", "")
        for row in message.components
        for component in row.get("components", [])
        if component.get("type") == 2
    ]


@pytest.mark.parametrize("locale", RESULT_WORDS)
async def test_a_result_is_in_the_servers_language(world: World, locale: str) -> None:
    world.guild.locale = locale
    await world.start_bot()
    result = await world.result(await world.slash("imagine", prompt="a lighthouse", rendering_speed="TURBO"))
    cost, price, remaining, left, hint, upscale = RESULT_WORDS[locale]
    embed = result.embeds[0]
    values = {field["name"]: field["value"] for field in embed["fields"]}
    assert values[cost] == price
    assert values[remaining] == left
    assert embed["footer"]["text"].startswith(hint)
    assert upscale in labels(result)  # the buttons under it too


async def test_context_menus_show_chinese_names(running: World) -> None:
    # Context menus have no description; their names are picked from a menu, not typed, so they are translated.
    menus = [c for c in running.discord.synced_commands(running.guild) if c.get("type") == MESSAGE_MENU]
    assert {menu["name"] for menu in menus} == {"Describe image", "Remix image", "Upscale image"}
    assert [m["name"] for m in menus if set(m.get("name_localizations") or {}) != set(CHINESE)] == []
    upscale = next(menu for menu in menus if menu["name"] == "Upscale image")
    assert upscale["name_localizations"] == {"zh-CN": "放大图片", "zh-TW": "放大圖片"}


# ------------------------------------------------------------------------- the members' tools and the log channel


HELP_WORDS = {
    "en-US": ("How to use the image bot", "`/imagine` Create images from a prompt."),
    "zh-CN": ("生图机器人使用指南", "`/imagine` 根据提示词生成图片。"),
    "zh-TW": ("生圖機器人使用說明", "`/imagine` 依提示詞生成圖片。"),
}


@pytest.mark.parametrize("locale", HELP_WORDS)
async def test_help_is_in_the_members_language_with_the_same_descriptions_discord_shows(
    running: World, locale: str
) -> None:
    reader = running.discord.add_member(running.guild, "reader", locale=locale)
    embed = (await private_message(await running.slash("help", member=reader))).embeds[0]
    title, imagine = HELP_WORDS[locale]
    assert embed["title"] == title
    assert imagine in "\n".join(field["value"] for field in embed["fields"])


async def test_a_policy_change_answers_the_moderator_in_english_and_logs_in_the_servers_chinese(world: World) -> None:
    world.guild.locale = "zh-TW"
    await world.start_bot()
    log = world.discord.add_channel(world.guild, "mod-log")
    mod = world.moderator  # an English client
    reply = await private_message(
        await world.discord.slash(world.guild, world.channel, mod, "policy log_channel", channel=log)
    )
    assert reply.content == f"Log channel: <#{log.id}>."
    posted = await world.discord.wait_for_message(lambda m: "→" in str(m.content), channel=log)
    assert posted.content.startswith(f"<@{mod.id}> 修改了紀錄頻道：關閉 → <#{log.id}>（<t:")


# ------------------------------------------------------------------------------------ nothing left in English

# Words that are names, not English: the product and the API's own spellings.
NAMES_KEPT = {"Ideogram", "Discord", "AiHubMix", "Apps"}


def english_words(text: str) -> list[str]:  # e.g. "⟦Ŕéɱàîñîñĝ⟧ $1.00 Remaining" -> ["Remaining"]
    """Plain English words left in a pseudo-locale reply: outside code spans, mentions, timestamps, links and
    command names, and not an API code (FLASH, V_3) or a name."""
    text = re.sub(r"`[^`]*`|<[^>]*>|\(https?://[^)]*\)|https?://\S+|(?<!\w)/[\w-]+", " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z']+", text)
    return [word for word in words if not word.isupper() and word not in NAMES_KEPT]


def everything_shown(message: FakeMessage, *, description: bool = True) -> str:
    """The message's text, its embeds' and its buttons' labels (`description=False`: not the embeds' description)."""
    parts = [str(message.content or "")]
    for embed in message.embeds:
        parts += [embed.get("title", ""), embed.get("footer", {}).get("text", "")]
        parts += [embed.get("description", "")] if description else []
        parts += [f"{field['name']} {field['value']}" for field in embed.get("fields", [])]
    parts += [c.get("label", "") for row in message.components for c in row.get("components", [])]
    return "\n".join(parts)


@pytest.fixture
def pseudo_japanese(monkeypatch: pytest.MonkeyPatch) -> None:
    """Readers (and servers) whose Discord language is Japanese get the pseudo-locale."""
    from bot import i18n
    from tests.i18n.test_pseudo import PseudoTranslations

    real = i18n.translations
    monkeypatch.setitem(i18n._DISCORD_LOCALES, "ja", "pseudo")
    monkeypatch.setattr(i18n, "translations", lambda lang: PseudoTranslations() if lang == "pseudo" else real(lang))


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("balance", {}),
        ("help", {}),
        ("settings", {}),
        ("history", {}),
        ("imagine", {"prompt": "two cats", "num_images": 2}),  # over budget
        ("imagine", {"prompt": "a cat", "aspect_ratio": "16x9", "resolution": "1024x1024"}),  # bad options
        ("budget show", {"user": None}),  # not a moderator (the check's refusal)
    ],
)
async def test_a_pseudo_locale_reader_sees_no_english(
    world: World, pseudo_japanese: None, command: str, options: dict[str, Any]
) -> None:
    """Every catalogue message is rendered through a pseudo-locale (letters accented, placeholders kept) for a
    member whose client is in Japanese: any plain English word in the reply bypassed the catalogue."""
    await world.start_bot()
    reader = world.discord.add_member(world.guild, "reader", locale="ja")
    assert world.bot is not None
    await world.bot.ledger.set_allowance(  # a cent: any image job is over budget
        guild_id=world.guild.id, user_id=reader.id, amount=10_000, actor_id=world.moderator.id
    )
    values = {name: (world.member if value is None else value) for name, value in options.items()}
    interaction = await world.discord.slash(
        world.guild, world.channel, reader, command, validate=not command.startswith("budget"), **values
    )
    message = await private_message(interaction)
    shown = everything_shown(message)
    assert "⟦" in shown, "the reply went through the pseudo-locale"
    assert english_words(shown) == [], shown


@pytest.mark.parametrize(
    ("command", "options"),
    [("budget show", {"user": None}), ("budget report", {}), ("policy show", {}), ("budget grant", {"amount": "0"})],
)
async def test_a_pseudo_locale_moderator_sees_no_english(
    world: World, pseudo_japanese: None, command: str, options: dict[str, Any]
) -> None:
    await world.start_bot()
    mod = world.discord.add_member(world.guild, "pseudo-mod", permissions=MANAGE_GUILD, locale="ja")
    values = {name: (world.member if value is None else value) for name, value in options.items()}
    if command == "budget grant":
        values["user"] = world.member
    message = await private_message(await world.discord.slash(world.guild, world.channel, mod, command, **values))
    shown = everything_shown(message).replace(world.member.user.username, "")  # a member's name is theirs
    assert "⟦" in shown
    assert english_words(shown) == [], shown


async def test_a_pseudo_locale_server_sees_no_english_in_a_result(world: World, pseudo_japanese: None) -> None:
    world.guild.locale = "ja"
    await world.start_bot()
    result = await world.result(await world.slash("imagine", prompt="a lighthouse", rendering_speed="TURBO"))
    shown = everything_shown(result, description=False)  # the prompt (as the image service rewrote it) is not ours
    assert "⟦" in shown
    assert english_words(shown) == [], shown


# An exception's name, stored with a failed job's error and in a ledger reason: code, like an option name.
EXCEPTION_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b")


async def test_a_failed_jobs_reason_and_its_ledger_lines_are_in_the_readers_language(
    world: World, pseudo_japanese: None
) -> None:
    """The ledger and the runner store their reasons in English (the audit trail); /job and /budget show read
    them back in the reader's language."""
    await world.start_bot()
    assert world.bot is not None
    reader = world.discord.add_member(world.guild, "reader", locale="ja")
    world.ideogram.inject(ServerError(500), route="/images")  # made and billed, never downloaded: written off
    failed = await world.slash("imagine", member=reader, prompt="a cat", rendering_speed="TURBO")
    await world.private_reply(failed)
    [(job, _images)] = await world.bot.ledger.member_jobs(world.guild.id, reader.id, limit=1)
    assert job.status == "failed"

    answer = await private_message(await world.slash("job", member=reader, id=job.job_id))
    shown = everything_shown(answer, description=False)  # the description is the member's prompt
    assert "⟦Ţĥé îɱàĝéš ŵéŕé ɱàđé" in shown
    assert english_words(EXCEPTION_NAME.sub(" ", shown)) == [], shown

    mod = world.discord.add_member(world.guild, "pseudo-mod", permissions=MANAGE_GUILD, locale="ja")
    show = await private_message(await world.discord.slash(world.guild, world.channel, mod, "budget show", user=reader))
    shown = everything_shown(show).replace(reader.user.username, "")
    assert "⟦ŵŕîţţéñ öƒƒ: " in shown
    assert "⟦ŕéĺéàšéđ: " in shown
    assert english_words(EXCEPTION_NAME.sub(" ", shown)) == [], shown
