"""The members' parts of the ledger: member settings, the policy (cached, invalidated on write) and job history."""

from __future__ import annotations

import pytest

from bot.blocklist import blocked_word_in, normalise
from bot.ledger import BudgetExceeded, Ledger, ResultImage

from .conftest import ALICE, BOB, DOLLAR, GUILD, MOD, new_job


async def test_member_settings_are_kept_per_member_and_server(ledger: Ledger) -> None:
    settings = ledger.member_settings
    assert await settings.get(GUILD, ALICE) == {}
    await settings.update(GUILD, ALICE, {"num_images": 2, "model": "V_2"})
    assert await settings.update(GUILD, ALICE, {"rendering_speed": "TURBO"}) == {
        "model": "V_2",
        "rendering_speed": "TURBO",
        "num_images": 2,
    }
    assert await settings.get(GUILD, BOB) == {}
    assert await settings.get(GUILD + 1, ALICE) == {}
    await settings.reset(GUILD, ALICE)
    assert await settings.get(GUILD, ALICE) == {}
    with pytest.raises(ValueError, match="not a member setting: seed"):
        await settings.update(GUILD, ALICE, {"seed": 1})


async def test_the_policy_is_cached_and_every_write_is_seen_at_once(ledger: Ledger) -> None:
    policy = ledger.policy
    empty = await policy.get(GUILD)
    assert (empty.channel_ids, empty.blocked_words, empty.cooldown_s, empty.log_channel_id) == (
        frozenset(),
        (),
        0,
        None,
    )
    assert await policy.get(GUILD) is empty  # served from the cache
    await policy.add_channel(GUILD, 5)
    await policy.add_word(GUILD, "  Sea   SERPENT ")
    await policy.set_cooldown(GUILD, 30)
    await policy.set_log_channel(GUILD, 77)
    await policy.add_moderator_role(GUILD, 9)
    now = await policy.get(GUILD)
    assert (now.channel_ids, now.blocked_words, now.cooldown_s, now.log_channel_id) == ({5}, ("sea serpent",), 30, 77)
    assert now.moderator_role_ids == {9}
    assert await policy.remove_word(GUILD, "sea serpent")
    assert not await policy.remove_word(GUILD, "sea serpent")
    await policy.remove_channel(GUILD, 5)
    await policy.remove_moderator_role(GUILD, 9)
    await policy.set_log_channel(GUILD, None)
    after = await policy.get(GUILD)
    assert (after.channel_ids, after.blocked_words, after.log_channel_id, after.moderator_role_ids) == (
        frozenset(),
        (),
        None,
        frozenset(),
    )
    assert (await policy.get(GUILD + 1)).cooldown_s == 0  # per server


async def test_moderator_roles_changed_through_either_path_are_seen_at_once(ledger: Ledger) -> None:
    assert (await ledger.policy.get(GUILD)).moderator_role_ids == frozenset()  # now cached
    await ledger.set_moderator_roles(guild_id=GUILD, role_ids=[4, 6], actor_id=MOD)
    assert (await ledger.policy.get(GUILD)).moderator_role_ids == {4, 6}
    await ledger.policy.add_moderator_role(GUILD, 8)
    await ledger.policy.remove_moderator_role(GUILD, 4)
    assert await ledger.moderator_roles(GUILD) == {6, 8}
    assert (await ledger.server_settings(GUILD)).moderator_role_ids == {6, 8}
    await ledger.set_moderator_roles(guild_id=GUILD, role_ids=[], actor_id=MOD)
    assert (await ledger.policy.get(GUILD)).moderator_role_ids == frozenset()


def test_blocked_words_match_across_case_width_and_only_whole_latin_words() -> None:
    words = [normalise("Dragon"), normalise("海龙")]
    assert blocked_word_in("A ＤＲＡＧＯＮ!", words) == "dragon"
    assert blocked_word_in("two dragons", words) == "dragon"
    assert blocked_word_in("dragonfly", words) is None
    assert blocked_word_in("snapdragon", words) is None
    assert blocked_word_in("一条海龙在游泳", words) == "海龙"
    assert blocked_word_in("a sea horse", words) is None


async def test_member_jobs_newest_first_in_pages(ledger: Ledger) -> None:
    ids = [await new_job(ledger) for _ in range(12)]
    await new_job(ledger, BOB)
    image = ResultImage(0, 123, "https://cdn/x.png", None, True, 1, None)
    await ledger.finish_job(ids[-1], cost=30_000, message_id=999, seed=1, images=[image])
    assert await ledger.count_member_jobs(GUILD, ALICE) == 12
    first = await ledger.member_jobs(GUILD, ALICE, limit=5)
    assert [job.job_id for job, _ in first] == ids[::-1][:5]
    assert [count for _, count in first] == [1, 0, 0, 0, 0]
    last = await ledger.member_jobs(GUILD, ALICE, limit=5, offset=10)
    assert [job.job_id for job, _ in last] == ids[1::-1]
    result = await ledger.job_result(ids[-1])
    assert result is not None
    assert [image.attachment_id for image in result.images] == [123]
    assert await ledger.job_result(10_000) is None
    started = await ledger.last_job_started(GUILD, ALICE)
    assert started == ledger.now()
    assert await ledger.last_job_started(GUILD + 1, ALICE) is None


async def test_role_allowances_the_highest_role_unless_the_member_has_their_own(ledger: Ledger) -> None:
    artists, painters, other = 31, 32, 33
    await ledger.set_role_allowance(guild_id=GUILD, role_id=artists, amount=3 * DOLLAR, actor_id=MOD)
    await ledger.set_role_allowance(guild_id=GUILD, role_id=painters, amount=50_000, period="week", actor_id=MOD)
    both = await ledger.balance(GUILD, ALICE, role_ids=[painters, artists, other])
    assert (both.allowance, both.allowance_source, both.allowance_role_id, both.period) == (
        3 * DOLLAR,
        "role",
        artists,
        "month",
    )
    painter = await ledger.balance(GUILD, ALICE, role_ids=[painters])
    assert (painter.allowance, painter.period, painter.allowance_role_id) == (50_000, "week", painters)
    with pytest.raises(BudgetExceeded):
        await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=60_000, job_id=None, role_ids=[painters])
    hold = await ledger.hold(guild_id=GUILD, user_id=ALICE, amount=60_000, job_id=None, role_ids=[artists])
    await ledger.release(hold, "test")
    assert (await ledger.balance(GUILD, ALICE)).allowance_source == "config"  # no roles given: no role allowance
    await ledger.set_allowance(guild_id=GUILD, user_id=ALICE, amount=DOLLAR // 2, actor_id=MOD)
    own = await ledger.balance(GUILD, ALICE, role_ids=[artists])
    assert (own.allowance, own.allowance_source, own.allowance_role_id) == (DOLLAR // 2, "own", None)
    await ledger.set_role_allowance(guild_id=GUILD, role_id=artists, amount=None, actor_id=MOD)
    assert await ledger.role_allowance(GUILD, artists) is None
    assert await ledger.role_allowance(GUILD, painters) == (50_000, "week")
