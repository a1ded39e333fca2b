"""The README's setup steps agree with the code: the invite link's permissions integer is what the bot needs."""

from __future__ import annotations

import re
from pathlib import Path

from bot.startup import INVITE_PERMISSIONS, invite_url

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_the_readme_invite_link_carries_the_permissions_the_bot_needs() -> None:
    links = re.findall(r"https://discord\.com/oauth2/authorize\?\S+?(?=`)", README)
    assert links == [invite_url(0).replace("client_id=0", "client_id=APPLICATION_ID")]
    assert f"permissions={INVITE_PERMISSIONS.value}" in links[0]
    needed = {name for name, granted in INVITE_PERMISSIONS if granted}
    assert needed == {
        "read_messages",  # discord.py's name for View Channel
        "send_messages",
        "send_messages_in_threads",
        "embed_links",
        "attach_files",
        "read_message_history",
    }
    assert not INVITE_PERMISSIONS.administrator


def test_the_setup_steps_come_in_the_order_an_operator_needs_them() -> None:
    setup = README[README.index("## Setting it up") : README.index("### Docker")]
    steps = ["Create the bot", "Developer Mode", "Write `config.toml`", "Check it", "Invite the bot", "Start it"]
    positions = [setup.index(step) for step in steps]
    assert positions == sorted(positions)
    for key in ("sync_guild_ids", "allowed_guild_ids", "operator_cap", "max_allowance", "[discord] proxy"):
        assert setup.index(key) < setup.index("Start it"), key
