"""/imagine end to end: the real bot, fake Discord, fake image API, real SQLite."""

from __future__ import annotations

from bot.ideogram import DEFAULT_IMAGE_HOSTS
from tests.e2e.conftest import API_KEY, BOT_TOKEN, World


async def test_imagine_posts_the_images_and_charges_the_member(running: World) -> None:
    running.ideogram.pause_replies()
    interaction = await running.slash("imagine", prompt="a cat astronaut", num_images=2, rendering_speed="TURBO")
    ack = await interaction.wait_for_ack()
    assert ack.type == 5  # deferred: "thinking"
    # While it runs, the member sees that it is under way and the most it can cost.
    working = await interaction.wait_for_original(lambda m: "Working on it" in m.content)
    assert working.content == "🎨 Working on it (up to $0.06)…"
    running.ideogram.resume_replies()

    result = await running.result(interaction)
    assert len(result.attachments) == 2
    assert all(a.data.startswith(b"\x89PNG") for a in result.attachments)
    embed = result.embeds[0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "a cat astronaut" in embed["description"]
    assert fields["Cost"] == "$0.06"
    assert fields["Remaining"].startswith("$0.94")
    assert fields["Model"] == "V_3 · TURBO"

    sent = running.ideogram.api_requests
    assert [r.path for r in sent] == ["/ideogram/v1/ideogram-v3/generate"]
    assert sent[0].fields["num_images"] == ["2"]

    assert running.bot is not None
    balance = await running.bot.ledger.balance(running.guild.id, running.member.id)
    assert (balance.spent, balance.held, balance.remaining) == (60_000, 0, 940_000)
    job = await running.bot.ledger.find_result(result.id)
    assert job is not None
    assert [image.attachment_id for image in job.images] == [a.id for a in result.attachments]


async def test_images_the_gateway_serves_from_its_own_host_are_delivered_with_the_default_image_hosts(
    world: World,
) -> None:
    # The fake gateway serves its images from its own host (127.0.0.1), which `image_hosts` does not list.
    await world.start_bot(ideogram={"image_hosts": list(DEFAULT_IMAGE_HOSTS)})
    assert world.bot is not None
    assert "127.0.0.1" not in world.bot.settings.ideogram.image_hosts

    interaction = await world.slash("imagine", prompt="a lighthouse", num_images=2, rendering_speed="TURBO")
    result = await world.result(interaction)
    assert len(result.attachments) == 2
    assert all(a.data.startswith(b"\x89PNG") for a in result.attachments)
    assert len([r for r in world.ideogram.requests if r.path.startswith("/images/")]) == 2
    balance = await world.bot.ledger.balance(world.guild.id, world.member.id)
    assert (balance.spent, balance.held) == (60_000, 0)


async def test_secrets_never_reach_discord(running: World) -> None:
    interaction = await running.slash("imagine", prompt="secret test")
    await running.result(interaction)
    assert running.discord.find_secret(API_KEY) == []
    assert running.discord.find_secret(BOT_TOKEN) == []
