"""Text the bot did not write is inert: prompts, Ideogram's rewrites, descriptions and the reasons moderators type
show as typed (no masked links, formatting or mentions), and the image service's own words never appear where
others read along."""

from __future__ import annotations

from tests.e2e.conftest import World
from tests.e2e.support import failed_privately
from tests.e2e.test_policy import logged, reply
from tests.fakes.ideogram import GatewayError

REMIX_ROUTE = "/ideogram/v1/ideogram-v3/remix"
TRICK = "[free nitro](https://evil.example) **now** @everyone"
REASON = "**bold** @everyone [x](http://e.x)"
ESCAPED_REASON = r"\*\*bold\*\* @" + "\u200beveryone" + r" \[x](http://e.x)"
PROVIDER_SAYS = "Visit [our status page](https://evil.example/status) for details"


async def test_a_prompt_shows_as_typed_in_the_result(running: World) -> None:
    interaction = await running.slash("imagine", prompt=TRICK, rendering_speed="TURBO")
    result = await running.result(interaction)
    description = result.embeds[0]["description"]
    assert description.startswith(r"\[free nitro](https://evil.example) \*\*now\*\* @" + "\u200beveryone")


async def test_the_image_services_words_stay_private(running: World) -> None:
    running.ideogram.inject(GatewayError(400, PROVIDER_SAYS))
    interaction = await running.slash("imagine", prompt="a cat", rendering_speed="TURBO")
    assert "our status page" in await failed_privately(running, interaction)  # the member alone may read them

    result = await running.result(await running.slash("imagine", prompt="a cat", rendering_speed="TURBO"))
    running.ideogram.inject(GatewayError(400, PROVIDER_SAYS), route=REMIX_ROUTE)
    assert running.bot is not None
    handled = running.bot.wait_for("remix_reaction", timeout=running.discord.wait_timeout_s)
    await running.discord.react(result, running.moderator, "🔁")
    await handled
    [reply] = [m for m in running.discord.messages_in(running.channel, include_deleted=True) if m.message_reference]
    assert "evil.example" not in reply.content
    assert "The image service couldn't accept this request. Check the options and try again." in reply.content


async def test_a_late_notice_in_the_channel_uses_the_bots_own_words(running: World) -> None:
    running.ideogram.inject(GatewayError(400, PROVIDER_SAYS))
    # Discord refuses the interaction's token when the bot comes to tell the failure (as after 15 minutes).
    running.discord.inject_error("DELETE", "/webhooks/*/messages/@original", status=401, code=50027)
    await running.slash("imagine", prompt="refused late", rendering_speed="TURBO")

    told = await running.discord.wait_for_message(lambda m: "couldn't accept" in m.content, channel=running.channel)
    assert f"<@{running.member.id}>" in told.content
    assert "evil.example" not in told.content


async def test_a_moderators_reason_shows_as_typed_in_budget_show_and_the_log_channel(running: World) -> None:
    mod, log = running.moderator, running.discord.add_channel(running.guild, "mod-log")
    await reply(running, mod, "policy log_channel", channel=log)
    await reply(running, mod, "budget grant", user=running.member, amount="0.5", reason=REASON)

    posted = await logged(running, log, "granted $0.50")
    assert f"({ESCAPED_REASON})" in posted
    shown = await reply(running, mod, "budget show", user=running.member)
    assert f"grant $0.50 — {ESCAPED_REASON}" in shown
