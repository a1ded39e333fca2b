"""/job on a job that failed in a way nobody foresaw: the member reads the incident they were told about, in
their own language, never the exception's own words (internal detail, English)."""

from __future__ import annotations

import re

from tests.e2e.conftest import World
from tests.e2e.support import failed_privately
from tests.e2e.test_languages import english_words, everything_shown, private_message, pseudo_japanese
from tests.fakes.discord import FakeMember

__all__ = ["pseudo_japanese"]  # the fixture, used by name below

INCIDENT = re.compile(r"`([0-9a-f]{6})`")  # in any language


async def failed_unexpectedly(world: World, member: FakeMember) -> tuple[int, str]:
    """A job whose result Discord refuses (413, on both tries): not the member's doing, so an incident."""
    assert world.bot is not None
    world.discord.inject_error("PATCH", "/webhooks/*/messages/@original", status=413, code=40005, times=2)
    told = await failed_privately(world, await world.slash("imagine", member=member, prompt="a cat"))
    [(job, _images)] = await world.bot.ledger.member_jobs(world.guild.id, member.id, limit=1)
    assert job.status == "failed"
    assert job.error is not None
    assert "413" not in job.error
    return job.job_id, told


async def test_job_shows_the_incident_the_member_was_told_not_the_exception(world: World) -> None:
    await world.start_bot()
    job_id, told = await failed_unexpectedly(world, world.member)
    [incident] = INCIDENT.findall(told)

    answer = await private_message(await world.slash("job", id=job_id))
    error = {f["name"]: f["value"] for f in answer.embeds[0]["fields"]}["Why it failed"]
    assert error == f"Something went wrong on our side (incident `{incident}`)."


async def test_job_shows_the_incident_in_the_readers_language(world: World, pseudo_japanese: None) -> None:
    await world.start_bot()
    reader = world.discord.add_member(world.guild, "reader", locale="ja")
    job_id, told = await failed_unexpectedly(world, reader)
    [incident] = INCIDENT.findall(told)

    answer = await private_message(await world.slash("job", member=reader, id=job_id))
    shown = everything_shown(answer, description=False)  # the description is the member's prompt
    assert f"`{incident}`" in shown
    assert english_words(shown) == [], shown
