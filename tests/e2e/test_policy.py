"""/policy end to end: each subcommand as a moderator and as a member (denied, nothing changed), the rules
enforced before anything is held (channels, blocked words, cooldown), moderator roles, and the log channel.

Discord shows /policy to Manage Server only; commands from anyone else are sent as from a server whose admins
allowed more (`validate=False`), so the bot's own check is what is tested.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.ledger import ServerPolicy
from cogs.policy import NO_ROLES
from tests.e2e.conftest import MANAGE_GUILD, World
from tests.e2e.results_support import button, click_refused_privately
from tests.e2e.support import NOTHING_CHARGED, balance, refused_privately
from tests.e2e.test_budget import MovableClock
from tests.e2e.test_reactions import SHORT_LIFETIME_S, react, reactions_cog, replies_to
from tests.fakes.discord import FakeChannel, FakeInteraction, FakeMember, FakeMessage

DENIED = "Only moderators (Manage Server, or a moderator role) can use `/policy`."


async def command(world: World, member: FakeMember, name: str, **options: Any) -> FakeInteraction:
    visible = bool(world.guild.permissions_for(member) & MANAGE_GUILD) or not name.startswith(("policy", "budget"))
    return await world.discord.slash(world.guild, world.channel, member, name, validate=visible, **options)


async def reply(world: World, member: FakeMember, name: str, **options: Any) -> str:
    interaction = await command(world, member, name, **options)
    message: FakeMessage = await interaction.wait_for(
        lambda i: next((m for m in [i.original, *i.followups] if m is not None and not m.loading), None)
    )
    assert message.ephemeral
    parts = [str(message.content or "")]
    for embed in message.embeds:
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


async def policy(world: World) -> ServerPolicy:
    assert world.bot is not None
    return await world.bot.ledger.policy.get(world.guild.id)


def log_messages(world: World, channel: FakeChannel) -> list[str]:
    return [str(m.content) for m in world.discord.messages_in(channel)]


async def logged(world: World, channel: FakeChannel, text: str) -> str:
    message = await world.discord.wait_for_message(lambda m: text in str(m.content), channel=channel)
    return str(message.content)


SUBCOMMANDS = [
    ("policy channels", {"action": "clear"}),
    ("policy words", {"action": "add", "word": "dragon"}),
    ("policy cooldown", {"seconds": 30}),
    ("policy moderator_roles", {"action": "list"}),
    ("policy log_channel", {}),
    ("policy show", {}),
]


@pytest.mark.parametrize(("name", "options"), SUBCOMMANDS, ids=[name for name, _ in SUBCOMMANDS])
async def test_members_are_denied_every_subcommand_and_nothing_changes(
    running: World, name: str, options: dict[str, Any]
) -> None:
    before = await policy(running)
    text = await reply(running, running.member, name, **options)
    assert DENIED in text
    assert await policy(running) == before


async def test_channels(world: World) -> None:
    art, general = world.channel, world.discord.add_channel(world.guild, "general")
    await world.start_bot()
    mod = world.moderator
    assert "Image jobs now work in" in await reply(world, mod, "policy channels", action="add", channel=art)
    assert (await policy(world)).channel_ids == {art.id}

    # Elsewhere a command is refused privately, before anything is held, naming the channels it may use.
    refused = await world.discord.slash(world.guild, general, world.member, "imagine", prompt="a cat")
    text = await refused_privately(world, refused)
    assert text == f"This server's moderators allow image jobs only in <#{art.id}>. Try again there. {NOTHING_CHARGED}"
    assert world.ideogram.api_requests == []
    assert (await balance(world)).held == 0

    # A button click in another channel is refused the same way (a result posted there earlier).
    await reply(world, mod, "policy channels", action="add", channel=general)
    result = await world.result(await world.discord.slash(world.guild, general, world.member, "imagine", prompt="x"))
    await reply(world, mod, "policy channels", action="remove", channel=general)
    assert (await policy(world)).channel_ids == {art.id}
    click = await world.discord.click(result, world.member, button(result, "again"))
    assert "only in" in await click_refused_privately(world, click)
    # So is a context menu there (on the same result).
    menu = await world.discord.message_command(world.guild, general, world.member, "Upscale image", result)
    assert f"only in <#{art.id}>" in await world.private_reply(menu)
    assert len(world.ideogram.api_requests) == 1

    # In the allowed channel it works; `clear` lets it work everywhere again.
    await world.result(await world.slash("imagine", prompt="in art"))
    assert "every channel" in await reply(world, mod, "policy channels", action="clear")
    await world.result(await world.discord.slash(world.guild, general, world.member, "imagine", prompt="anywhere"))
    assert len(world.ideogram.api_requests) == 3
    assert "Name a channel to add" in await reply(world, mod, "policy channels", action="add")


async def test_a_channel_restriction_refuses_a_reaction_with_the_short_reply(running: World) -> None:
    reactions_cog(running).refusal_lifetime_s = SHORT_LIFETIME_S
    result = await running.result(await running.slash("imagine", prompt="a lighthouse"))
    other = running.discord.add_channel(running.guild, "elsewhere")
    await reply(running, running.moderator, "policy channels", action="add", channel=other)
    assert await react(running, result, running.member, "🔁") == "refused"
    (refusal,) = replies_to(running, result)
    assert f"allow image jobs only in <#{other.id}>" in refusal.content
    await running.discord.wait_for(lambda: refusal.deleted, what="the refusal to delete itself")
    assert len(running.ideogram.api_requests) == 1


@pytest.mark.parametrize(
    ("field", "options"),
    [
        ("prompt", {"prompt": "a Dragon over the hills"}),
        ("prompt", {"prompt": "a ＤＲＡＧＯＮ over the hills"}),  # full-width letters
        ("prompt", {"prompt": "two SEA SERPENTS"}),  # a phrase, any case
        ("negative prompt", {"prompt": "hills", "negative_prompt": "dragon"}),
    ],
)
async def test_blocked_words_in_a_command(running: World, field: str, options: dict[str, Any]) -> None:
    await reply(running, running.moderator, "policy words", action="add", word="dragon")
    await reply(running, running.moderator, "policy words", action="add", word="Sea Serpents")
    text = await refused_privately(running, await running.slash("imagine", **options))
    assert text == (
        f"Your {field} contains a word this server's moderators have blocked. Change it and try again. "
        f"{NOTHING_CHARGED}"
    )
    assert running.ideogram.api_requests == []


async def test_a_blocked_word_in_a_remix_modal_is_refused(running: World) -> None:
    result = await running.result(await running.slash("imagine", prompt="a harbour"))
    await reply(running, running.moderator, "policy words", action="add", word="dragon")
    opened = await running.discord.message_command(
        running.guild, running.channel, running.member, "Remix image", result
    )
    await opened.wait_for(lambda i: i.modal)
    submitted = await running.discord.submit_modal(
        opened, {"prompt": "a harbour with a Ｄｒａｇｏｎ", "image_weight": "50"}
    )
    text = await running.private_reply(submitted)
    assert "Your prompt contains a word this server's moderators have blocked." in text
    assert "ｒａｇｏｎ" not in text
    assert len(running.ideogram.api_requests) == 1


async def test_blocked_words_list_remove_and_whole_words(running: World) -> None:
    mod = running.moderator
    await reply(running, mod, "policy words", action="add", word="ｃａｔ")
    assert (await policy(running)).blocked_words == ("cat",)
    assert "||cat||" in await reply(running, mod, "policy words", action="list")
    # A word is matched whole: "concatenate" does not contain the word "cat".
    await running.result(await running.slash("imagine", prompt="concatenate"))
    assert "wasn't blocked" in await reply(running, mod, "policy words", action="remove", word="dog")
    assert "none" in await reply(running, mod, "policy words", action="remove", word="CAT")
    await running.result(await running.slash("imagine", prompt="a cat"))
    assert len(running.ideogram.api_requests) == 2


async def test_a_blocked_word_in_a_reaction_remix_is_refused_without_repeating_it(running: World) -> None:
    reactions_cog(running).refusal_lifetime_s = SHORT_LIFETIME_S
    result = await running.result(await running.slash("imagine", prompt="a castle at night"))
    await reply(running, running.moderator, "policy words", action="add", word="castle")
    assert await react(running, result, running.member, "🔁") == "refused"
    (refusal,) = replies_to(running, result)
    assert "contains a word this server's moderators have blocked" in refusal.content
    assert "castle" not in refusal.content.lower()
    assert len(running.ideogram.api_requests) == 1


async def test_cooldown(world: World) -> None:
    clock = MovableClock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    await world.start_bot(clock=clock)
    assert "Cooldown between a member's jobs: 2 minutes." in await reply(
        world, world.moderator, "policy cooldown", seconds=120
    )
    # A refused job starts no cooldown.
    invalid = await world.slash("imagine", prompt="both", aspect_ratio="16x9", resolution="1024x1024")
    assert "cooldown" not in await refused_privately(world, invalid)
    await world.result(await world.slash("imagine", prompt="first"))
    clock.move_to(clock.now + timedelta(seconds=30))
    text = await refused_privately(world, await world.slash("imagine", prompt="second"))
    assert text == (
        f"This server has a cooldown of 2 minutes between jobs. You can start your next one in 90 seconds. "
        f"{NOTHING_CHARGED}"
    )
    # Others are not held back by this member's cooldown.
    await world.result(await world.slash("imagine", prompt="theirs", member=world.moderator))
    clock.move_to(clock.now + timedelta(seconds=91))
    await world.result(await world.slash("imagine", prompt="second, later"))
    assert "off" in await reply(world, world.moderator, "policy cooldown", seconds=0)
    await world.result(await world.slash("imagine", prompt="third, at once"))
    assert len(world.ideogram.api_requests) == 4


async def test_a_policy_moderator_role_makes_a_moderator(running: World) -> None:
    helpers = running.discord.add_role(running.guild, "Helpers")
    helper = running.discord.add_member(running.guild, "helper", roles=[helpers])
    assert DENIED in await reply(running, helper, "policy show")
    assert "can use `/budget`" in await reply(running, helper, "budget show", user=running.member)

    text = await reply(running, running.moderator, "policy moderator_roles", action="add", role=helpers)
    assert f"<@&{helpers.id}>" in text
    assert "Cooldown: off" in await reply(running, helper, "policy show")
    assert "Remaining: $1.00" in await reply(running, helper, "budget show", user=running.member)
    assert f"<@&{helpers.id}>" in await reply(running, helper, "policy moderator_roles", action="list")

    await reply(running, running.moderator, "policy moderator_roles", action="remove", role=helpers)
    assert DENIED in await reply(running, helper, "policy show")


async def test_every_policy_change_is_posted_to_the_log_channel(running: World) -> None:
    mod, log = running.moderator, running.discord.add_channel(running.guild, "mod-log")
    assert f"Log channel: <#{log.id}>." in await reply(running, mod, "policy log_channel", channel=log)
    first = await logged(running, log, "the log channel")
    assert re.fullmatch(rf"<@{mod.id}> changed the log channel: off → <#{log.id}> \(<t:\d+:f>\)", first)

    await reply(running, mod, "policy channels", action="add", channel=running.channel)
    await logged(running, log, f"the channels where the bot works: every channel → <#{running.channel.id}>")
    await reply(running, mod, "policy words", action="add", word="dragon")
    await logged(running, log, "the blocked words: none → ||dragon||")
    await reply(running, mod, "policy cooldown", seconds=45)
    await logged(running, log, "the cooldown: off → 45 seconds")
    role = running.discord.add_role(running.guild, "Helpers")
    await reply(running, mod, "policy moderator_roles", action="add", role=role)
    await logged(running, log, f"the moderator roles: {NO_ROLES} → <@&{role.id}>")
    # Nothing changed, nothing logged: listing and showing are not changes.
    await reply(running, mod, "policy words", action="list")
    await reply(running, mod, "policy show")
    await reply(running, mod, "policy log_channel")
    await logged(running, log, f"the log channel: <#{log.id}> → off")
    assert len(log_messages(running, log)) == 6

    # Mentions are disabled: a post names people and roles without pinging them.
    posts = [
        json.loads(raw.body)
        for raw in running.discord.raw_requests
        if raw.method == "POST" and raw.path == f"/api/v10/channels/{log.id}/messages"
    ]
    assert len(posts) == 6
    assert all(post["allowed_mentions"] == {"parse": []} for post in posts)


# ------------------------------------------------------------------------------------------ role allowances


async def test_role_allowances_the_highest_role_unless_a_member_has_their_own(running: World) -> None:
    mod = running.moderator
    artists = running.discord.add_role(running.guild, "Artists")
    painters = running.discord.add_role(running.guild, "Painters")
    both = running.discord.add_member(running.guild, "both", roles=[artists, painters])
    painter = running.discord.add_member(running.guild, "painter2", roles=[painters])
    own = running.discord.add_member(running.guild, "own", roles=[artists])

    text = await reply(running, mod, "budget set", user=artists, amount="3")
    assert f"Members of <@&{artists.id}> without their own allowance now get $3.00 per month" in text
    await reply(running, mod, "budget set", user=painters, amount="0.05", period="week")
    await reply(running, mod, "budget set", user=own, amount="1.50")

    shown = await reply(running, both, "balance")
    assert f"$3.00 per month (from role <@&{artists.id}>)" in shown
    assert "Remaining: $3.00" in shown
    assert f"$0.05 per week (from role <@&{painters.id}>)" in await reply(running, painter, "balance")
    assert "$1.50 per month (own allowance)" in await reply(running, own, "balance")
    assert "$1.00 per month (bot default)" in await reply(running, running.member, "balance")

    # The hold itself uses the role's allowance: $0.09 is more than the Painters' $0.05.
    refused = await world_slash(running, painter, "imagine", prompt="a fox", rendering_speed="QUALITY")
    assert "$0.05 left" in await refused_privately(running, refused)
    await running.result(await world_slash(running, both, "imagine", prompt="a fox", rendering_speed="QUALITY"))
    assert (await balance(running, both)).spent == 90_000
    assert len(running.ideogram.api_requests) == 1

    # `default` takes a role's allowance away again.
    await reply(running, mod, "budget set", user=artists, amount="default")
    assert f"$0.05 per week (from role <@&{painters.id}>)" in await reply(running, both, "balance")


async def world_slash(world: World, member: FakeMember, name: str, **options: Any) -> FakeInteraction:
    return await world.discord.slash(world.guild, world.channel, member, name, **options)


async def test_every_budget_change_is_posted_to_the_log_channel(running: World) -> None:
    mod, log = running.moderator, running.discord.add_channel(running.guild, "mod-log")
    await reply(running, mod, "policy log_channel", channel=log)
    await logged(running, log, "the log channel")
    member = running.member.mention
    await reply(running, mod, "budget set", user=running.member, amount="2")
    await logged(running, log, f"changed the allowance of {member}: $1.00 per month → $2.00 per month")
    await reply(running, mod, "budget grant", user=running.member, amount="0.5", reason="contest prize")
    await logged(running, log, f"<@{mod.id}> granted $0.50 to {member} (contest prize)")
    await reply(running, mod, "budget grant", user=running.member, amount="-0.25")
    await logged(running, log, f"deducted $0.25 from {member} (—)")
    await reply(running, mod, "budget default", amount="0.75", period="week")
    await logged(running, log, "the server default allowance: $1.00 per month → $0.75 per week")
    await reply(running, mod, "budget cap", amount="10")
    await logged(running, log, "the server cap: off → $10.00 per week")
    role = running.discord.add_role(running.guild, "Artists")
    await reply(running, mod, "budget set", user=role, amount="3")
    await logged(running, log, f"the allowance of role <@&{role.id}>: none → $3.00 per week")
    result = await running.result(await running.slash("imagine", prompt="a fox", rendering_speed="TURBO"))
    job_id = int(next(c for c in result.custom_ids if c.startswith("info:")).split(":")[1])
    await reply(running, mod, "budget refund", job=job_id)
    await logged(running, log, f"<@{mod.id}> refunded $0.03 of job {job_id} to {member}")
    assert len(log_messages(running, log)) == 8


async def test_blocked_words_that_look_like_mentions_show_as_typed_and_ping_nobody(running: World) -> None:
    mod, log = running.moderator, running.discord.add_channel(running.guild, "mod-log")
    await reply(running, mod, "policy log_channel", channel=log)
    role = running.discord.add_role(running.guild, "Artists")
    mentions = ("@everyone", "@here", f"<@{running.member.id}>", f"<@!{running.member.id}>", f"<@&{role.id}>")
    for word in mentions:
        interaction = await command(running, mod, "policy words", action="add", word=word)
        answer: FakeMessage = await interaction.wait_for(lambda i: i.original)
        posted = await running.discord.wait_for_message(lambda m, w=word: w[2:] in str(m.content), channel=log)
        for message in (answer, posted):
            assert not message.pings.anyone
            assert not [raw for raw in mentions if raw in str(message.content)], message.content
    shown = await reply(running, mod, "policy show")
    assert not [raw for raw in mentions if raw in shown], shown
    assert len((await policy(running)).blocked_words) == len(mentions)  # stored as typed
