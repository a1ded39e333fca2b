"""Reacting to a result to remix it, end to end: raw reaction events from the fake Discord, results found in the
real SQLite ledger by message id, the V3 remix sent to the fake image API, the reply posted in the channel.

The bot dispatches a `remix_reaction` event once it has dealt with a reaction (whatever became of it); the tests
wait for that instead of sleeping, then check what did (or did not) happen.
"""

from __future__ import annotations

import io
from typing import Any, cast

from PIL import Image

from bot.ledger import Ledger
from cogs.output import REFUSAL_LIFETIME_S
from cogs.reactions import Reactions
from tests.e2e.conftest import World, png
from tests.fakes.discord import FakeMember, FakeMessage, FakeUser
from tests.fakes.discord.state import new_snowflake
from tests.fakes.ideogram.faults import SafetyRejected
from tests.fakes.ideogram.recording import RecordedRequest

REMIX_ROUTE = "/ideogram/v1/ideogram-v3/remix"
KEYCAP = "\N{VARIATION SELECTOR-16}\N{COMBINING ENCLOSING KEYCAP}"
SHORT_LIFETIME_S = 0.05  # the refusals' 30 s, shortened so a test sees one delete itself


def keycap(number: int) -> str:
    return f"{number}{KEYCAP}"


def ledger(world: World) -> Ledger:
    assert world.bot is not None
    return world.bot.ledger


def reactions_cog(world: World) -> Reactions:
    assert world.bot is not None
    cog = world.bot.get_cog("Reactions")
    # discord.py loads an extension into a fresh module object, so the loaded class is not the one imported here.
    assert cog is not None
    assert type(cog).__qualname__ == Reactions.__qualname__
    return cast(Reactions, cog)


async def react(world: World, message: FakeMessage, member: FakeMember, emoji: str) -> str:
    """`member` reacts; returns what the bot made of it, once it is done with it (remix posted, refused, ignored)."""
    assert world.bot is not None
    handled = world.bot.wait_for(
        "remix_reaction",
        check=lambda payload, _: (payload.message_id, payload.user_id) == (message.id, member.id),
        timeout=world.discord.wait_timeout_s,
    )
    await world.discord.react(message, member, emoji)
    _, outcome = await handled
    return str(outcome)


async def imagine(world: World, member: FakeMember, **options: Any) -> FakeMessage:
    options = {"prompt": "a lighthouse at dusk", "rendering_speed": "TURBO", **options}
    return await world.result(await world.slash("imagine", member=member, **options))


def replies_to(world: World, message: FakeMessage) -> list[FakeMessage]:
    """The bot's replies to `message`, deleted ones included, oldest first."""
    return [
        m
        for m in world.discord.messages_in(world.channel, include_deleted=True)
        if m.message_reference is not None and m.message_reference.get("message_id") == str(message.id)
    ]


def remixes(world: World) -> list[RecordedRequest]:
    return [r for r in world.ideogram.api_requests if r.path == REMIX_ROUTE]


def sent_image(request: RecordedRequest) -> bytes:
    (image,) = request.files["image"]
    return image.data


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


async def spent(world: World, member: FakeMember) -> int:
    return (await ledger(world).balance(world.guild.id, member.id)).spent


# ------------------------------------------------------------------------------------------- remixing


async def test_repeat_arrow_remixes_image_one_for_the_reactor(world: World) -> None:
    await world.start_bot(budget={"remix_image_weight": 35})
    sculptor = world.discord.add_member(world.guild, "sculptor")
    result = await imagine(
        world,
        world.member,
        num_images=2,
        negative_prompt="fog",
        aspect_ratio="16x9",
        style_type="DESIGN",
        magic_prompt="OFF",
        seed=1234,
    )
    assert await spent(world, world.member) == 60_000

    assert await react(world, result, sculptor, "🔁") == "remixed"

    (request,) = remixes(world)
    assert pixels(sent_image(request)) == pixels(result.attachments[0].data)
    assert pixels(sent_image(request)) != pixels(result.attachments[1].data)
    sent = {name: values[0] for name, values in request.fields.items()}
    assert sent == {
        "prompt": "a lighthouse at dusk",
        "image_weight": "35",
        "num_images": "2",
        "negative_prompt": "fog",
        "aspect_ratio": "16x9",
        "style_type": "DESIGN",
        "magic_prompt": "OFF",
        "rendering_speed": "TURBO",
    }  # the seed is not carried over: a remix is a new image

    (reply,) = replies_to(world, result)
    assert reply.author.id == world.discord.bot_user.id
    assert reply.content == f"🔁 Remixed by {sculptor.mention}"
    assert len(reply.attachments) == 2
    assert {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}["Cost"] == "$0.06"

    # The reactor paid; the author of the original did not pay again.
    assert await spent(world, sculptor) == 60_000
    assert await spent(world, world.member) == 60_000
    job = await ledger(world).find_result(reply.id)
    assert job is not None
    assert (job.user_id, job.command, job.operation, job.cost) == (sculptor.id, "remix", "remix", 60_000)
    assert [image.attachment_id for image in job.images] == [a.id for a in reply.attachments]

    # The remix is a result too: it can be remixed in turn.
    assert await react(world, reply, world.member, "🔁") == "remixed"
    assert len(remixes(world)) == 2
    assert pixels(sent_image(remixes(world)[1])) == pixels(reply.attachments[0].data)


async def test_keycaps_pick_the_image_and_a_missing_one_is_refused(running: World) -> None:
    sculptor = running.discord.add_member(running.guild, "sculptor")
    reactions_cog(running).refusal_lifetime_s = SHORT_LIFETIME_S
    result = await imagine(running, running.member, num_images=3)
    images = [pixels(a.data) for a in result.attachments]
    assert len(set(images)) == 3, "the fake's three images must differ for this test to mean anything"

    assert await react(running, result, sculptor, keycap(3)) == "remixed"
    (request,) = remixes(running)
    assert pixels(sent_image(request)) == images[2]
    assert request.fields["image_weight"] == ["50"]  # the default

    assert await react(running, result, running.member, keycap(5)) == "refused"
    assert len(remixes(running)) == 1
    refusal = replies_to(running, result)[-1]
    assert refusal.content == (
        f"{running.member.mention} This result has 3 images, so there is no image 5 to remix. Nothing was charged."
    )
    await running.discord.wait_for(lambda: refusal.deleted, what="the refusal to delete itself")
    assert await spent(running, running.member) == 90_000  # the original only


async def test_each_keycap_sends_its_own_image(running: World) -> None:
    cog = reactions_cog(running)
    cog.repeats.window_s = 0  # the same member, three reactions in a row
    result = await imagine(running, running.member, num_images=3)
    for number in (1, 2, 3):
        assert await react(running, result, running.member, keycap(number)) == "remixed"
        assert pixels(sent_image(remixes(running)[-1])) == pixels(result.attachments[number - 1].data)


async def test_a_result_from_before_a_restart_can_still_be_remixed(world: World) -> None:
    await world.start_bot()
    result = await imagine(world, world.member, num_images=2)
    await world.stop_bot()

    # A week later: the attachment URLs the bot saw (and stored) have expired; a new process starts.
    world.discord.clock.advance(7 * 24 * 3600)
    await world.start_bot()
    assert await react(world, result, world.moderator, keycap(2)) == "remixed"

    (request,) = remixes(world)
    assert pixels(sent_image(request)) == pixels(result.attachments[1].data)
    assert request.fields["prompt"] == ["a lighthouse at dusk"]
    (reply,) = replies_to(world, result)
    assert reply.content == f"🔁 Remixed by {world.moderator.mention}"
    assert await spent(world, world.moderator) == 60_000


# -------------------------------------------------------------------------------------------- refusals


async def test_a_member_without_budget_gets_a_short_refusal_that_deletes_itself(running: World) -> None:
    sculptor = running.discord.add_member(running.guild, "sculptor")
    cog = reactions_cog(running)
    assert cog.refusal_lifetime_s == REFUSAL_LIFETIME_S == 30
    cog.refusal_lifetime_s = SHORT_LIFETIME_S
    result = await imagine(running, running.member, num_images=2)
    await ledger(running).set_allowance(
        guild_id=running.guild.id, user_id=sculptor.id, amount=50_000, actor_id=running.moderator.id
    )
    entries = await ledger(running).entries(running.guild.id)

    assert await react(running, result, sculptor, "🔁") == "refused"

    (refusal,) = replies_to(running, result)
    assert refusal.content.startswith(f"{sculptor.mention} That needs $0.06 but you have $0.05 left this month")
    assert refusal.content.endswith("Nothing was charged.")
    assert refusal.attachments == []
    await running.discord.wait_for(lambda: refusal.deleted, what="the refusal to delete itself")
    assert remixes(running) == []
    assert await ledger(running).entries(running.guild.id) == entries  # not even a hold


async def test_a_failed_remix_becomes_a_refusal_and_costs_nothing(running: World) -> None:
    reactions_cog(running).refusal_lifetime_s = SHORT_LIFETIME_S
    result = await imagine(running, running.member, num_images=1)
    running.ideogram.inject(SafetyRejected(), route=REMIX_ROUTE)

    assert await react(running, result, running.moderator, "🔁") == "remixed"

    (reply,) = replies_to(running, result)  # the "remixing…" reply, turned into the refusal
    assert reply.content.startswith(running.moderator.mention)
    assert "Nothing was charged." in reply.content
    assert reply.attachments == []
    await running.discord.wait_for(lambda: reply.deleted, what="the refusal to delete itself")
    entries = [e for e in await ledger(running).entries(running.guild.id) if e.user_id == running.moderator.id]
    assert [e.kind for e in entries] == ["hold", "release"]
    balance = await ledger(running).balance(running.guild.id, running.moderator.id)
    assert (balance.spent, balance.held) == (0, 0)


async def test_a_member_at_the_job_limit_is_refused(world: World) -> None:
    await world.start_bot(budget={"max_jobs_per_member": 1})
    reactions_cog(world).refusal_lifetime_s = SHORT_LIFETIME_S
    result = await imagine(world, world.member, num_images=1)
    world.ideogram.pause_replies()
    busy = await world.slash("imagine", member=world.moderator, prompt="slow", num_images=1, rendering_speed="TURBO")
    await world.ideogram.wait_for_in_flight(1)

    assert await react(world, result, world.moderator, "🔁") == "refused"
    (refusal,) = replies_to(world, result)
    assert refusal.content.startswith(f"{world.moderator.mention} You already have 1 job")
    assert "(the limit is 1)" in refusal.content
    world.ideogram.resume_replies()
    await world.result(busy)
    await world.discord.wait_for(lambda: refusal.deleted, what="the refusal to delete itself")
    assert remixes(world) == []


# ------------------------------------------------------------------------------------------ ignored


async def test_reactions_that_must_do_nothing(running: World) -> None:
    fake = running.discord
    result = await imagine(running, running.member, num_images=1)
    other_bot = FakeUser(id=new_snowflake(), username="otherbot", bot=True)
    robot = fake.add_member(running.guild, other_bot)
    photo = fake.upload_attachment("photo.png", png())
    members_post = await fake.post_message(running.channel, running.member, "my photo", attachments=[photo])
    bots_post = await fake.post_message(running.channel, running.guild.members[fake.bot_user.id], "hello")

    messages = fake.messages_in(running.channel, include_deleted=True)
    entries = await ledger(running).entries(running.guild.id)
    requests = len(running.ideogram.api_requests)

    assert await react(running, result, robot, "🔁") == "by a bot"
    assert await react(running, result, running.member, "👍") == "not a remix emoji"
    assert await react(running, result, running.member, keycap(9)) == "not a remix emoji"
    assert await react(running, result, running.member, "🔁:123456") == "not a remix emoji"  # a custom emoji
    assert await react(running, members_post, running.moderator, "🔁") == "not a result"
    assert await react(running, bots_post, running.moderator, "🔁") == "not a result"

    assert fake.messages_in(running.channel, include_deleted=True) == messages
    assert await ledger(running).entries(running.guild.id) == entries
    assert len(running.ideogram.api_requests) == requests


async def test_the_same_member_repeating_on_the_same_message_is_ignored_within_the_window(running: World) -> None:
    cog = reactions_cog(running)
    now = [1000.0]
    cog.repeats.clock = lambda: now[0]
    result = await imagine(running, running.member, num_images=2)

    assert await react(running, result, running.moderator, "🔁") == "remixed"
    await running.discord.unreact(result, running.moderator, "🔁")
    assert await react(running, result, running.moderator, "🔁") == "repeated"
    now[0] += cog.repeats.window_s - 1
    assert await react(running, result, running.moderator, keycap(2)) == "repeated"
    assert len(remixes(running)) == 1
    assert len(replies_to(running, result)) == 1

    # Someone else is not held back, and the same member may go again once the window has passed.
    assert await react(running, result, running.member, keycap(2)) == "remixed"
    now[0] += 1
    await running.discord.unreact(result, running.moderator, keycap(2))
    assert await react(running, result, running.moderator, keycap(2)) == "remixed"
    assert len(remixes(running)) == 3


async def test_a_result_without_a_prompt_is_refused_with_a_hint(running: World) -> None:
    reactions_cog(running).refusal_lifetime_s = SHORT_LIFETIME_S
    upscaled = await running.result(await running.slash("upscale", image=running.upload(png())))
    assert len(upscaled.attachments) == 1

    assert await react(running, upscaled, running.member, "🔁") == "refused"
    (refusal,) = replies_to(running, upscaled)
    assert refusal.content == (
        f"{running.member.mention} This result has no prompt to remix with. Use `/remix` and write one. "
        "Nothing was charged."
    )
    assert remixes(running) == []
    await running.discord.wait_for(lambda: refusal.deleted, what="the refusal to delete itself")
