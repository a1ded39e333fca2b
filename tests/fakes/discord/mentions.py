"""Who a message pings, as Discord decides it from its content and the sender's ``allowed_mentions``.

https://discord.com/developers/docs/resources/message#allowed-mentions-object: without ``allowed_mentions`` every
mention in the content pings (users, roles, ``@everyone``/``@here``, and the author of a replied-to message);
with it, only the types in ``parse`` and the ids in ``users``/``roles`` do, and a reply pings its author only if
``replied_user`` is true. The message object's ``mentions``, ``mention_roles`` and ``mention_everyone`` say who
was pinged (``rest_messages`` refuses ``parse: ["users"]`` together with a ``users`` list). Not modelled:
the MENTION_EVERYONE permission and roles' ``mentionable`` flag (the fake pings as if both allowed it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
EVERYONE_MENTION = re.compile(r"@(?:everyone|here)\b")


@dataclass(frozen=True)
class Pings:
    users: tuple[int, ...] = ()
    roles: tuple[int, ...] = ()
    everyone: bool = False
    replied_user: bool = False  # a reply pings the author of the message it replies to

    @property
    def anyone(self) -> bool:
        return bool(self.users or self.roles or self.everyone or self.replied_user)


def pings(content: str, allowed: dict[str, Any] | None) -> Pings:
    """Who ``content`` pings when sent with ``allowed`` (None: the field was left out, so everyone mentioned)."""
    users = [int(u) for u in dict.fromkeys(USER_MENTION.findall(content))]
    roles = [int(r) for r in dict.fromkeys(ROLE_MENTION.findall(content))]
    everyone = bool(EVERYONE_MENTION.search(content))
    if allowed is None:
        return Pings(tuple(users), tuple(roles), everyone, replied_user=True)
    parse = set(allowed.get("parse") or [])
    allowed_users = {int(u) for u in allowed.get("users") or []}
    allowed_roles = {int(r) for r in allowed.get("roles") or []}
    return Pings(
        users=tuple(u for u in users if "users" in parse or u in allowed_users),
        roles=tuple(r for r in roles if "roles" in parse or r in allowed_roles),
        everyone=everyone and "everyone" in parse,
        replied_user=bool(allowed.get("replied_user")),
    )
