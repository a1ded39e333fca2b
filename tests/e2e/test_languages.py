"""The synced command tree speaks zh-CN and zh-TW: every command, subcommand and option carries both descriptions,
and every choice that is a word (not an API code) both display names; names and values stay as they are."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tests.e2e.conftest import World

CHINESE = ("zh-CN", "zh-TW")
CODE_NAME = re.compile(r"^(V_\w+|\d+x\d+)$")
SUBCOMMAND, GROUP = 1, 2


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
    synced = running.discord.synced_commands(running.guild)
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
