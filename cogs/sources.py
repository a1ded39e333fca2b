"""Where derived jobs get their images: a message's attachments and image embeds, always fetched again.

Attachment URLs expire and a result may predate a restart, so a job's input is named by message and attachment
(`bot.jobs.ImageSource`) and the message is fetched again for fresh URLs just before the job runs.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Final

import aiohttp
import discord
import yarl

from bot.app import IdeogramBot
from bot.errors import UserFacingError
from bot.i18n import _
from bot.images import check_announced
from bot.jobs import ImageSource, InputFile
from bot.jobs.derive import FetchedImage, Requester

NO_IMAGE: Final = _("There is no image in that message. Pick a message with an image attachment or image embed.")
MESSAGE_GONE: Final = _("That message is gone (or the bot can't read it any more), so its image can't be used.")
IMAGE_GONE: Final = _("That image is no longer on its message, so it can't be used.")
SERVERS_ONLY: Final = _("This only works in a server's channels.")
_IMAGE_SUFFIXES: Final = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".avif")
# Embed images are fetched only from Discord's own hosts (and the configured API host: a proxy, or the tests'
# fake): an embed may point anywhere, and the bot must not fetch arbitrary URLs for anyone who asks.
_DISCORD_IMAGE_HOSTS: Final = frozenset({"cdn.discordapp.com", "media.discordapp.net"})


@dataclass(frozen=True)
class MessageImage:
    """One image of a message: an attachment, or an embed's image (`attachment` None)."""

    number: int
    filename: str
    size: int  # as Discord announced it; 0 for an embed's image (its host declares it when it is read)
    content_type: str | None
    read: Callable[[str], Awaitable[bytes]]  # takes the option the image is for: a refusal names it
    attachment_id: int | None

    def input_file(self, option: str) -> InputFile:
        """The job input for `option` (`image`, `mask`, `style_reference`) as Discord announced it; read later."""
        return InputFile(option, self.filename, self.size, self.content_type, functools.partial(self.read, option))


def _attachment_image(attachment: discord.Attachment) -> MessageImage:
    async def read(_option: str) -> bytes:  # its announced size was checked before the job started
        return await attachment.read()

    a = attachment
    return MessageImage(0, a.filename, a.size, a.content_type, read, a.id)


def input_file(attachment: discord.Attachment, option: str) -> InputFile:
    """An attachment given as a command's or a form's option, as a job input (the one way attachments become them)."""
    return _attachment_image(attachment).input_file(option)


def role_ids(member: discord.abc.User | None) -> tuple[int, ...]:
    """The member's roles (a role allowance may apply to them); none outside a server."""
    return tuple(role.id for role in member.roles) if isinstance(member, discord.Member) else ()


def requester(interaction: discord.Interaction[Any]) -> Requester:
    if interaction.guild_id is None or interaction.channel_id is None:
        raise UserFacingError(SERVERS_ONLY)
    return Requester(interaction.guild_id, interaction.channel_id, interaction.user.id, role_ids(interaction.user))


def message_images(bot: IdeogramBot, message: discord.Message) -> list[MessageImage]:
    """The message's images in order: image attachments first, then embed images from Discord's hosts."""
    found = [_attachment_image(a) for a in message.attachments if _is_image_attachment(a)]
    allowed = _DISCORD_IMAGE_HOSTS | {yarl.URL(bot.settings.discord.api_base_url).host or ""}
    for embed in message.embeds:
        url = embed.image.proxy_url or embed.image.url
        if url is None and embed.type == "image":  # a linked image shows as the embed's thumbnail
            url = embed.thumbnail.proxy_url or embed.thumbnail.url
        if url is not None and yarl.URL(url).host in allowed:
            found.append(MessageImage(0, yarl.URL(url).name or "embed.png", 0, None, _embed_reader(bot, url), None))
    return [replace(image, number=n) for n, image in enumerate(found, start=1)]


def fetched(message: discord.Message, image: MessageImage, option: str = "image") -> FetchedImage:
    source = ImageSource(message.channel.id, message.id, image.attachment_id, image.number)
    return FetchedImage(source, image.input_file(option))


def first_image(bot: IdeogramBot, message: discord.Message) -> FetchedImage:
    """The first image of any message (context menus), or a refusal saying there is none."""
    images = message_images(bot, message)
    if not images:
        raise UserFacingError(NO_IMAGE)
    return fetched(message, images[0])


async def fetch_message(bot: IdeogramBot, channel_id: int, message_id: int) -> discord.Message:
    """The message fetched again (never from a cache: attachment URLs expire)."""
    try:
        channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise UserFacingError(MESSAGE_GONE)
        return await channel.fetch_message(message_id)
    except (discord.NotFound, discord.Forbidden):
        raise UserFacingError(MESSAGE_GONE) from None


async def fetch_image(bot: IdeogramBot, source: ImageSource, option: str = "image") -> FetchedImage:
    """An input image fetched again from its message: by attachment id, else by its number in the message."""
    message = await fetch_message(bot, source.channel_id, source.message_id)
    images = message_images(bot, message)
    if source.attachment_id is not None:
        chosen = next((i for i in images if i.attachment_id == source.attachment_id), None)
    else:
        chosen = images[source.number - 1] if 0 < source.number <= len(images) else None
    if chosen is None:
        raise UserFacingError(IMAGE_GONE)
    return fetched(message, chosen, option)


def _is_image_attachment(attachment: discord.Attachment) -> bool:
    if attachment.content_type:
        return attachment.content_type.startswith("image/")
    return attachment.filename.lower().endswith(_IMAGE_SUFFIXES)


def _embed_reader(bot: IdeogramBot, url: str) -> Callable[[str], Awaitable[bytes]]:
    """Reads an embed's image: refused before the download when its host declares it too big (the bytes are
    checked again after it, as every input's are)."""

    async def read(option: str) -> bytes:
        size = await _declared_size(bot, url)
        if size is not None:
            check_announced(
                option=option, content_type=None, size=size, max_bytes=bot.settings.ideogram.max_upload_bytes
            )
        return await bot.http.get_from_cdn(url)

    return read


async def _declared_size(bot: IdeogramBot, url: str) -> int | None:
    """The size Discord's CDN declares for `url` (a HEAD request's Content-Length), or None when it doesn't say.

    discord.py reads a CDN file whole without showing its headers first, so this asks on discord.py's own
    connector and through its proxy (`[discord] proxy`), as its CDN reads do."""
    http = bot.http
    try:
        async with (
            aiohttp.ClientSession(connector=http.connector, connector_owner=False) as session,
            session.head(url, proxy=http.proxy, proxy_auth=http.proxy_auth) as response,
        ):
            return response.content_length if response.status == 200 else None
    except aiohttp.ClientError:
        return None  # the download says what is wrong, if anything is
