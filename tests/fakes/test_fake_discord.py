"""The fake Discord, proven with the real discord.py client.

A tiny ``commands.Bot`` defined here exercises what the image bot needs: login, command sync, slash commands with
every option type, subcommands, autocomplete, buttons, a modal, a message context menu, reactions, webhook
follow-ups and edits, and channel messages. Then the rules Discord enforces and discord.py does not.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Literal

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands
from jsonschema import Draft202012Validator
from PIL import Image
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.fakes.discord import (
    FLAG_EPHEMERAL,
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    FakeMessage,
    load_spec,
    pointed_at,
    run_bot,
    schema,
)
from tests.fakes.discord import payloads as factories

RESOLUTIONS = ["1024x1024", "1280x720", "1280x800", "720x1280"]


def png(width: int = 4, height: int = 3, color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


class Probe:
    """Test-controlled gates the bot's commands wait on (so tests order events without sleeping)."""

    def __init__(self) -> None:
        self.gates: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)


class PanelView(discord.ui.View):
    """A persistent view: explicit custom_id, no timeout, registered with ``bot.add_view``."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Go", custom_id="panel:go", style=discord.ButtonStyle.primary)
    async def go(self, interaction: discord.Interaction, button: discord.ui.Button[PanelView]) -> None:
        await interaction.response.edit_message(content=f"clicked by {interaction.user.name}", view=self)

    @discord.ui.button(label="Later", custom_id="panel:defer")
    async def later(self, interaction: discord.Interaction, button: discord.ui.Button[PanelView]) -> None:
        await interaction.response.defer()  # type 6: acknowledge now, edit the message afterwards
        await interaction.edit_original_response(content=f"deferred edit by {interaction.user.name}")


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(label="Text", custom_id="feedback:text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)


async def report(interaction: discord.Interaction, text: str) -> None:
    """Tell the test what discord.py raised, through a channel message (bot token, always usable)."""
    assert isinstance(interaction.channel, discord.TextChannel)
    await interaction.channel.send(text)


class ProbeCog(commands.Cog):
    """One command per feature of the fake; ``Probe`` gates let tests hold a command at a chosen point."""

    budget = app_commands.Group(
        name="budget", description="Budgets", default_permissions=discord.Permissions(manage_guild=True)
    )
    budget_report = app_commands.Group(name="report", description="Reports", parent=budget)

    def __init__(self, bot: commands.Bot, probe: Probe) -> None:
        self.bot, self.probe = bot, probe
        self.inspect_menu = app_commands.ContextMenu(name="Inspect", callback=self.inspect)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.inspect_menu)

    @app_commands.command()
    async def imagine(
        self,
        interaction: discord.Interaction,
        prompt: str,
        image: discord.Attachment | None = None,
        resolution: str = "",
    ) -> None:
        """Generate an image.

        Parameters
        ----------
        prompt: What to draw.
        image: A reference image.
        resolution: Output size.
        """
        await interaction.response.defer(thinking=True)
        data = await image.read() if image is not None else png()
        await interaction.followup.send(
            f"{prompt} ({len(data)} bytes in)", file=discord.File(io.BytesIO(data), "out.png")
        )
        await interaction.followup.send("second follow-up")

    @imagine.autocomplete("resolution")
    async def resolution_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=r, value=r) for r in RESOLUTIONS if r.startswith(current)]

    @app_commands.command()
    async def balance(self, interaction: discord.Interaction) -> None:
        """Show your balance."""
        await interaction.response.send_message("remaining $1.00", ephemeral=True)

    @app_commands.command()
    async def echo(
        self,
        interaction: discord.Interaction,
        text: str,
        count: app_commands.Range[int, 1, 10],
        ratio: float,
        flag: bool,
        who: discord.Member,
        where: discord.TextChannel,
        role: discord.Role,
        file: discord.Attachment,
    ) -> None:
        """Echo every option type."""
        await interaction.response.send_message(
            f"text={text} count={count} ratio={ratio} flag={flag} who={who.name} perms={who.guild_permissions.value} "
            f"where={where.name} role={role.name} file={file.filename}:{file.size}:{file.content_type}"
        )

    @budget.command(name="set")
    async def budget_set(self, interaction: discord.Interaction, user: discord.Member, amount: str) -> None:
        """Set an allowance."""
        manager = interaction.permissions.manage_guild
        await interaction.response.send_message(f"set {user.name} {amount} manager={manager}", ephemeral=True)

    @budget_report.command(name="show")
    async def report_show(self, interaction: discord.Interaction, period: Literal["day", "month"]) -> None:
        """Show a report."""
        await interaction.response.send_message(f"report {period}")

    @app_commands.command()
    async def panel(self, interaction: discord.Interaction) -> None:
        """Post a panel with a button."""
        await interaction.response.send_message("panel", view=PanelView())

    @app_commands.command()
    async def feedback(self, interaction: discord.Interaction) -> None:
        """Open a modal."""
        await interaction.response.send_modal(FeedbackModal())

    @app_commands.command()
    async def lifecycle(self, interaction: discord.Interaction) -> None:
        """Every webhook endpoint of an interaction, in order."""
        await interaction.response.send_message("v1")
        await interaction.edit_original_response(content="v2")
        original = await interaction.original_response()
        followup = await interaction.followup.send(f"after {original.content}", wait=True)
        await followup.edit(content="f2")
        await followup.delete()
        await interaction.delete_original_response()

    @app_commands.command()
    async def slow(self, interaction: discord.Interaction) -> None:
        """Wait for the test before deferring."""
        await self.probe.gates["slow"].wait()
        try:
            await interaction.response.defer(thinking=True)
        except discord.NotFound as error:
            await report(interaction, f"late: {error.status} {error.code}")

    @app_commands.command()
    async def later(self, interaction: discord.Interaction) -> None:
        """Defer, then wait for the test before following up."""
        await interaction.response.defer(thinking=True)
        await self.probe.gates["later"].wait()
        try:
            await interaction.followup.send("too late?")
        except discord.HTTPException as error:
            await report(interaction, f"followup failed: {error.status} {error.code}")

    @app_commands.command()
    async def upload(self, interaction: discord.Interaction, files: int, oversize: bool = False) -> None:
        """Upload some files."""
        await interaction.response.defer(thinking=True)
        size = interaction.filesize_limit + 1 if oversize else 10
        attachments = [discord.File(io.BytesIO(b"x" * size), f"f{i}.bin") for i in range(files)]
        try:
            await interaction.followup.send("files", files=attachments)
        except discord.HTTPException as error:
            await interaction.followup.send(f"upload failed: {error.status} {error.code}")

    @app_commands.command()
    async def bad(self, interaction: discord.Interaction, kind: Literal["embed", "content", "channel"]) -> None:
        """Send what Discord refuses and discord.py does not check: a 300-char embed title, 2001 characters."""
        try:
            if kind == "embed":
                await interaction.response.send_message(embed=discord.Embed(title="t" * 300))
            elif kind == "content":
                await interaction.response.send_message("c" * 2001)
            else:
                assert isinstance(interaction.channel, discord.TextChannel)
                await interaction.channel.send("c" * 2001)
        except discord.HTTPException as error:
            await report(interaction, f"rejected: {error.status} {error.code} {error.text}")

    @app_commands.command()
    async def cleanup(self, interaction: discord.Interaction) -> None:
        """Post and delete a channel message."""
        assert isinstance(interaction.channel, discord.TextChannel)
        temporary = await interaction.channel.send("temporary")
        await temporary.delete()
        await interaction.response.send_message("cleaned", ephemeral=True)

    async def inspect(self, interaction: discord.Interaction, message: discord.Message) -> None:
        sizes = [len(await a.read()) for a in message.attachments]
        await interaction.response.send_message(f"inspected {message.id} sizes={sizes}", ephemeral=True)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if self.bot.user is None or payload.user_id == self.bot.user.id:
            return
        channel = self.bot.get_channel(payload.channel_id)
        assert isinstance(channel, discord.TextChannel)
        message = await channel.fetch_message(payload.message_id)
        data = await message.attachments[0].read() if message.attachments else b""
        await message.add_reaction("✅")
        member = payload.member.name if payload.member else None
        await channel.send(
            f"remix {payload.emoji} by {member} type={payload.type.name} author={payload.message_author_id} "
            f"bytes={len(data)}",
            reference=message,
        )


class ProbeBot(commands.Bot):
    def __init__(self, guild_id: int, probe: Probe) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            guild_ready_timeout=0.05,
            help_command=None,
        )
        self.guild_id, self.probe = guild_id, probe

    async def setup_hook(self) -> None:
        self.add_view(PanelView())
        await self.add_cog(ProbeCog(self, self.probe))
        await self.tree.sync()  # global: PUT /applications/{app}/commands
        self.tree.copy_global_to(guild=discord.Object(self.guild_id))
        await self.tree.sync(guild=discord.Object(self.guild_id))  # PUT .../guilds/{guild}/commands


class World:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.guild: FakeGuild = fake.add_guild("Test Server")
        self.channel: FakeChannel = fake.add_channel(self.guild, "general")
        self.mods = fake.add_role(self.guild, "Mods", discord.Permissions(manage_guild=True))
        self.alice: FakeMember = fake.add_member(self.guild, "alice")
        self.mod: FakeMember = fake.add_member(self.guild, "mod", roles=[self.mods])
        # Permissions given directly become a role of the member's own, as only roles carry them on Discord.
        self.boss: FakeMember = fake.add_member(self.guild, "boss", permissions=discord.Permissions(manage_guild=True))
        self.probe = Probe()

    def bot(self) -> ProbeBot:
        return ProbeBot(self.guild.id, self.probe)


@pytest.fixture
def world(fake_discord: FakeDiscord) -> World:
    return World(fake_discord)


@pytest.fixture
async def running(world: World) -> AsyncIterator[World]:
    async with run_bot(world.fake, world.bot()):
        yield world


def no_bot_violations(fake: FakeDiscord) -> list[str]:
    return [str(v) for v in fake.violations if v.side == "bot"]


# ---------------------------------------------------------------------------- login, sync, happy paths


async def test_login_sync_and_defer_then_followup_with_file(running: World) -> None:
    fake, w = running.fake, running
    assert fake.sync_count == 2
    assert {c["name"] for c in fake.synced_commands()} == {c["name"] for c in fake.synced_commands(w.guild)}
    imagine = fake.find_command(w.guild, "imagine")
    assert imagine["guild_id"] == str(w.guild.id)
    assert [o["name"] for o in imagine["options"]] == ["prompt", "image", "resolution"]
    assert fake.find_command(w.guild, "Inspect", 3)["type"] == 3

    reference = fake.upload_attachment("ref.png", png(5, 7))
    assert (reference.content_type, reference.width, reference.height) == ("image/png", 5, 7)
    inter = await fake.slash(w.guild, w.channel, w.alice, "imagine", prompt="a cat", image=reference)

    ack = await inter.wait_for_ack()
    assert ack.type == 5
    assert not inter.ephemeral
    assert inter.ack_latency_s is not None
    assert inter.ack_latency_s >= 0
    first = await inter.wait_for_followup(0)
    # The first follow-up after a defer replaces the "thinking" message.
    assert first is inter.original
    assert not first.loading
    assert first.content == f"a cat ({len(reference.data)} bytes in)"
    assert first.files == [("out.png", reference.data)]
    assert first.attachments[0].content_type == "image/png"  # sniffed: the part came as octet-stream
    second = await inter.wait_for_followup(1)
    assert second is not first
    assert second.interaction_is_followup
    assert [m.content for m in fake.messages_in(w.channel)] == [first.content, "second follow-up"]
    assert [r.kind for r in inter.responses] == ["callback", "followup", "followup"]

    # What was sent: multipart with files[0] as octet-stream; the token only where it belongs.
    upload = next(r for r in fake.raw_requests if r.method == "POST" and r.path.startswith("/api/v10/webhooks/"))
    assert b'name="files[0]"' in upload.body
    assert b"Content-Type: application/octet-stream" in upload.body
    assert fake.find_secret(fake.token) == []
    assert fake.find_secret("a cat")
    assert no_bot_violations(fake) == []


async def test_every_option_type_reaches_the_command(running: World) -> None:
    fake, w = running.fake, running
    file = fake.upload_attachment("notes.txt", b"hello")
    inter = await fake.slash(
        w.guild,
        w.channel,
        w.alice,
        "echo",
        text="hi",
        count=3,
        ratio=1.5,
        flag=True,
        who=w.boss,
        where=w.channel,
        role=w.mods,
        file=file,
    )
    reply = await inter.wait_for_original()
    manage_guild = discord.Permissions(manage_guild=True).value
    # discord.py computes guild_permissions from the cached roles: they agree with what the fake resolved.
    assert reply.content.startswith("text=hi count=3 ratio=1.5 flag=True who=boss perms=")
    assert int(reply.content.split("perms=")[1].split()[0]) & manage_guild
    assert reply.content.endswith("where=general role=Mods file=notes.txt:5:text/plain")
    assert no_bot_violations(fake) == []


async def test_the_fake_checks_options_like_the_discord_client(running: World) -> None:
    fake, w = running.fake, running
    with pytest.raises(ValueError, match="required"):
        await fake.slash(w.guild, w.channel, w.alice, "imagine")
    with pytest.raises(ValueError, match="max_value"):
        await fake.slash(
            w.guild, w.channel, w.alice, "echo", text="", count=11, ratio=1.0, flag=True, who=w.alice,
            where=w.channel, role=w.mods, file=fake.upload_attachment("a.txt", b"a"),
        )  # fmt: skip
    with pytest.raises(ValueError, match="choices"):
        await fake.slash(w.guild, w.channel, w.mod, "budget report show", period="year")
    with pytest.raises(LookupError, match="never synced"):
        await fake.slash(w.guild, w.channel, w.alice, "nonexistent")


async def test_subcommands_groups_and_member_permissions(running: World) -> None:
    fake, w = running.fake, running
    by_mod = await fake.slash(w.guild, w.channel, w.mod, "budget set", user=w.alice, amount="2")
    report = await fake.slash(w.guild, w.channel, w.mod, "budget report show", period="month")
    assert (await by_mod.wait_for_original()).content == "set alice 2 manager=True"
    assert (await report.wait_for_original()).content == "report month"
    assert by_mod.data["options"][0] == {
        "name": "set",
        "type": 1,
        "options": [
            {"name": "user", "type": 6, "value": str(w.alice.id)},
            {"name": "amount", "type": 3, "value": "2"},
        ],
    }
    assert by_mod.data["resolved"]["members"][str(w.alice.id)]["permissions"]

    # /budget has default_member_permissions=MANAGE_GUILD: Discord hides it from alice...
    with pytest.raises(PermissionError, match="cannot see /budget"):
        await fake.slash(w.guild, w.channel, w.alice, "budget set", user=w.mod, amount="0.50")
    # ...unless the server's admins granted it to her; then only the bot's own check remains.
    by_alice = await fake.slash(w.guild, w.channel, w.alice, "budget set", user=w.mod, amount="0.50", validate=False)
    assert (await by_alice.wait_for_original()).content == "set mod 0.50 manager=False"


async def test_ephemeral_send_message(running: World) -> None:
    fake, w = running.fake, running
    inter = await fake.slash(w.guild, w.channel, w.alice, "balance")
    ack = await inter.wait_for_ack()
    assert ack.type == 4
    assert ack.ephemeral
    assert inter.original is not None
    assert inter.original.flags & FLAG_EPHEMERAL
    assert inter.original.content == "remaining $1.00"
    # Ephemeral messages are not in the channel for anyone else (not even GET by the bot).
    message = await fake.wait_for_message(lambda m: m.content == "remaining $1.00")
    assert message.ephemeral


async def test_autocomplete_returns_the_bots_choices(running: World) -> None:
    fake, w = running.fake, running
    choices = await fake.autocomplete(w.guild, w.channel, w.alice, "imagine", focused="resolution", value="1280")
    assert choices == [{"name": "1280x720", "value": "1280x720"}, {"name": "1280x800", "value": "1280x800"}]
    inter = next(i for i in fake.interactions.values() if i.type == 4)
    assert inter.ack is not None
    assert inter.ack.type == 8


async def test_button_click_on_a_persistent_view(running: World) -> None:
    fake, w = running.fake, running
    inter = await fake.slash(w.guild, w.channel, w.alice, "panel")
    panel = await inter.wait_for_original()
    assert panel.custom_ids == ["panel:go", "panel:defer"]
    click = await fake.click(panel, w.mod, "panel:go")
    ack = await click.wait_for_ack()
    assert ack.type == 7
    assert panel.content == "clicked by mod"
    assert click.original is panel

    deferred = await fake.click(panel, w.alice, "panel:defer")
    assert (await deferred.wait_for_ack()).type == 6
    await deferred.wait_for_original(lambda m: m.content == "deferred edit by alice")
    assert [r.kind for r in deferred.responses] == ["callback", "edit"]
    with pytest.raises(ValueError, match="no component"):
        await fake.click(panel, w.mod, "panel:missing")


async def test_modal_round_trip(running: World) -> None:
    fake, w = running.fake, running
    opened = await fake.slash(w.guild, w.channel, w.alice, "feedback")
    assert (await opened.wait_for_ack()).type == 9
    assert opened.modal is not None
    submitted = await fake.submit_modal(opened, {"feedback:text": "great bot"})
    assert (await submitted.wait_for_original()).content == "thanks: great bot"


async def test_message_context_menu_reads_the_target(running: World) -> None:
    fake, w = running.fake, running
    target = await fake.post_message(w.channel, w.alice, "look", attachments=[fake.upload_attachment("p.png", png())])
    inter = await fake.message_command(w.guild, w.channel, w.mod, "Inspect", target)
    reply = await inter.wait_for_original()
    assert reply.content == f"inspected {target.id} sizes=[{len(png())}]"
    assert reply.type == factories.MESSAGE_CONTEXT_MENU_COMMAND


async def test_reaction_reaches_on_raw_reaction_add(running: World) -> None:
    fake, w = running.fake, running
    image = fake.upload_attachment("result.png", png(8, 8))
    target = await fake.post_message(w.channel, w.alice, "a result", attachments=[image])
    await fake.react(target, w.mod, "🔁")
    reply = await fake.wait_for_message(lambda m: m.message_reference is not None)
    assert reply.content == f"remix 🔁 by mod type=normal author={w.alice.id} bytes={len(image.data)}"
    assert reply.message_reference == {
        "type": 0,
        "channel_id": str(w.channel.id),
        "message_id": str(target.id),
        "guild_id": str(w.guild.id),
    }
    assert reply.type == factories.MESSAGE_REPLY
    assert target.reactions == {"🔁": [w.mod.id], "✅": [fake.bot_user.id]}
    assert no_bot_violations(fake) == []


async def test_webhook_message_lifecycle(running: World) -> None:
    fake, w = running.fake, running
    inter = await fake.slash(w.guild, w.channel, w.alice, "lifecycle")
    await inter.wait_for(lambda i: len(i.responses) == 7)
    assert [(r.kind, r.status) for r in inter.responses] == [
        ("callback", 200),
        ("edit", 200),
        ("fetch", 200),
        ("followup", 200),
        ("edit", 200),
        ("delete", 204),
        ("delete", 204),
    ]
    assert inter.original is not None
    assert inter.original.deleted
    assert inter.original.content == "v2"
    assert inter.followups[0].content == "f2"
    assert inter.followups[0].deleted
    assert fake.messages_in(w.channel) == []
    assert no_bot_violations(fake) == []


async def test_channel_message_create_and_delete(running: World) -> None:
    fake, w = running.fake, running
    inter = await fake.slash(w.guild, w.channel, w.alice, "cleanup")
    await inter.wait_for_ack()
    temporary = next(m for m in fake.messages if m.content == "temporary")
    assert temporary.deleted
    assert temporary.nonce is not None


# ---------------------------------------------------------------------------- Discord's rules


async def test_late_initial_response_gets_unknown_interaction() -> None:
    async with FakeDiscord(response_deadline_s=0.5) as fake:
        w = World(fake)
        async with run_bot(fake, w.bot()):
            inter = await fake.slash(w.guild, w.channel, w.alice, "slow")
            inter.age(0.6)  # the bot is still waiting on its gate: now past the deadline, without sleeping
            assert inter.deadline_missed
            w.probe.gates["slow"].set()
            await fake.wait_for_message(lambda m: m.content == "late: 404 10062")
        assert inter.ack is None
        assert [(r.status, r.error_code) for r in inter.responses] == [(404, 10062)]
        assert [v.kind for v in fake.violations] == ["deadline"]


async def test_second_acknowledgement_is_refused(world: World) -> None:
    """Two bot processes on one token both answer: Discord accepts one, the other gets 40060."""
    fake, w = world.fake, world
    async with run_bot(fake, w.bot()), run_bot(fake, w.bot()):
        assert len(fake.connected_sessions) == 2
        inter = await fake.slash(w.guild, w.channel, w.alice, "balance")
        await inter.wait_for(lambda i: len(i.responses) == 2)
    assert sorted((r.status, r.error_code) for r in inter.responses) == [(200, None), (400, 40060)]
    assert [(v.kind, v.code) for v in fake.violations] == [("double_ack", 40060)]


async def test_expired_token_refuses_followups(running: World) -> None:
    fake, w = running.fake, running
    inter = await fake.slash(w.guild, w.channel, w.alice, "later")
    await inter.wait_for_ack()
    inter.age(15 * 60 + 1)
    w.probe.gates["later"].set()
    await fake.wait_for_message(lambda m: m.content == "followup failed: 401 50027")
    assert [(v.kind, v.code) for v in fake.violations] == [("token_expired", 50027)]


async def test_oversized_file_is_refused_with_413(running: World) -> None:
    fake, w = running.fake, running
    inter = await fake.slash(w.guild, w.channel, w.alice, "upload", files=1, oversize=True, attachment_size_limit=1024)
    reply = await inter.wait_for_followup(0)
    assert reply.content == "upload failed: 413 40005"
    assert [(v.kind, v.status, v.code) for v in fake.violations] == [("file_too_large", 413, 40005)]


async def test_eleven_files_are_refused(running: World) -> None:
    fake, w = running.fake, running
    ten = await fake.slash(w.guild, w.channel, w.alice, "upload", files=10)
    assert len((await ten.wait_for_followup(0)).attachments) == 10
    eleven = await fake.slash(w.guild, w.channel, w.alice, "upload", files=11)
    assert (await eleven.wait_for_followup(0)).content == "upload failed: 400 50035"
    assert [v.kind for v in fake.violations] == ["schema"]
    assert fake.violations[0].details[0].path == ("attachments",)


async def test_schema_violations_get_discords_error_and_are_recorded(running: World) -> None:
    fake, w = running.fake, running
    inter = await fake.slash(w.guild, w.channel, w.alice, "bad", kind="embed")
    reply = await fake.wait_for_message(lambda m: m.content.startswith("rejected"))
    # discord.py flattens Discord's nested "errors" object into its message: proof of the error shape.
    assert reply.content == (
        "rejected: 400 50035 Invalid Form Body\nIn data.embeds.0.title: Must be 256 or fewer in length."
    )
    details = [str(e) for e in fake.schema_violations[0].details]
    assert details == ["data.embeds.0.title: Must be 256 or fewer in length."]
    assert inter.ack is None


@pytest.mark.parametrize(
    ("kind", "where", "violation"),
    [("content", "data.content", "schema"), ("channel", "content", "content_too_long")],
)
async def test_content_over_2000_characters_is_refused(running: World, kind: str, where: str, violation: str) -> None:
    """Interaction responses: the schema says 2000. Channel messages: the schema allows Nitro's 4000, bots get 2000."""
    fake, w = running.fake, running
    await fake.slash(w.guild, w.channel, w.alice, "bad", kind=kind)
    reply = await fake.wait_for_message(lambda m: m.content.startswith("rejected"))
    assert reply.content == f"rejected: 400 50035 Invalid Form Body\nIn {where}: Must be 2000 or fewer in length."
    assert [v.kind for v in fake.violations] == [violation]


async def test_webhooks_of_unacknowledged_interactions_are_refused(running: World) -> None:
    fake, w = running.fake, running
    inter = await fake.slash(w.guild, w.channel, w.alice, "slow")  # held before its defer
    url = f"{fake.api_base_url}/webhooks/{fake.application_id}/{inter.token}?wait=1"
    async with aiohttp.ClientSession() as session, session.post(url, json={"content": "x"}) as response:
        assert response.status == 401
        assert await response.json() == {"message": "Invalid Webhook Token", "code": 50027}
    w.probe.gates["slow"].set()
    assert (await inter.wait_for_ack()).type == 5


async def test_wrong_token_fails_login(fake_discord: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.default())
    with pointed_at(fake_discord):
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
        await client.close()
    assert [v.kind for v in fake_discord.violations] == ["auth"]


# ---------------------------------------------------------------------------- gateway sessions, restarts, CDN


async def test_privileged_intents_need_the_portal_switch(world: World) -> None:
    def bot() -> commands.Bot:
        intents = discord.Intents.default()
        intents.members = True
        return commands.Bot(command_prefix=commands.when_mentioned, intents=intents, guild_ready_timeout=0.05)

    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with run_bot(world.fake, bot()):
            pass

    world.fake.privileged_intents = 1 << 1  # GUILD_MEMBERS enabled in the developer portal
    async with run_bot(world.fake, bot()) as client:
        # discord.py chunks the guild at startup (op 8); the fake answers with GUILD_MEMBERS_CHUNK.
        guild = client.get_guild(world.guild.id)
        assert guild is not None
        assert {m.name for m in guild.members} >= {"alice", "mod"}
        # The earlier crash of the refused bot does not fail later waits.
        await world.fake.wait_until_connected()


async def test_resume_after_disconnect_and_restart_with_a_second_bot(world: World) -> None:
    fake, w = world.fake, world
    async with run_bot(fake, w.bot()):
        first = await fake.slash(w.guild, w.channel, w.alice, "panel")
        panel = await first.wait_for_original()
        await fake.disconnect_clients()
        session = await fake.wait_until_connected()
        assert session.resumes == 1
        fake.request_reconnect()  # op 7: discord.py closes and RESUMEs by itself
        await fake.wait_for(lambda: session.resumes == 2 and session.connected)
        assert (await (await fake.slash(w.guild, w.channel, w.alice, "balance")).wait_for_ack()).type == 4

    assert fake.connected_sessions == []
    async with run_bot(fake, w.bot()):
        assert len(fake.sessions) == 2
        assert fake.sync_count == 4
        # The old panel still works (persistent view) and reactions on old messages arrive.
        click = await fake.click(panel, w.mod, "panel:go")
        assert (await click.wait_for_ack()).type == 7
        await fake.react(panel, w.alice, "1️⃣")
        await fake.wait_for_message(lambda m: m.content.startswith("remix 1️⃣ by alice"))
    assert no_bot_violations(fake) == []


async def test_a_crashed_bot_fails_waits_at_once(world: World) -> None:
    """A KeyError in a discord.py gateway parser kills ``bot.start()``; tests must not wait out their timeouts."""

    async def crash_then_wait() -> None:
        async with run_bot(world.fake, world.bot()):
            world.fake._dispatch("INTERACTION_CREATE", {"id": "1"})  # no "type", "token"...: discord.py's KeyError
            with pytest.raises(AssertionError, match="bot task 'discord-bot' crashed"):
                await world.fake.wait_for_message(timeout=60)

    with pytest.raises(AssertionError, match="crashed during the test"):
        await crash_then_wait()


async def test_cdn_urls_are_signed_and_expire(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    attachment = fake.upload_attachment("x.png", png())
    url = fake.attachment_url(attachment)
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            assert response.status == 200
            assert await response.read() == attachment.data
        async with session.get(url.replace("hm=", "hm=0")) as response:
            assert response.status == 404
        fake.clock.advance(fake.attachment_url_ttl_s + 1)
        async with session.get(url) as response:
            assert response.status == 404
        async with session.get(fake.attachment_url(attachment)) as response:
            assert response.status == 200


async def test_plain_application_json_and_unknown_routes_are_violations(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    headers = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{fake.api_base_url}/users/@me", headers=headers) as response:
            assert response.headers["Content-Type"] == "application/json"
            assert (await response.json())["id"] == str(fake.bot_user.id)
        async with session.get(f"{fake.api_base_url}/guilds/1/roles", headers=headers) as response:
            assert response.status == 404
    assert [v.kind for v in fake.violations] == ["unknown_route"]


# ---------------------------------------------------------------------------- payload factories vs. the spec


@pytest.mark.parametrize(
    ("schema", "build"),
    [
        ("UserResponse", lambda f, w, m: factories.user(w.alice.user)),
        ("GuildMemberResponse", lambda f, w, m: factories.member(w.mod)),
        ("GuildRoleResponse", lambda f, w, m: factories.role(w.mods)),
        ("GuildChannelResponse", lambda f, w, m: factories.channel(w.channel)),
        ("GuildResponse", lambda f, w, m: factories.guild_create(w.guild)),
        ("MessageAttachmentResponse", lambda f, w, m: factories.attachment(m.attachments[0], "http://x/y")),
        ("MessageResponse", lambda f, w, m: factories.gateway_message(f, m)),
    ],
)
async def test_payload_factories_match_discords_schemas(
    fake_discord: FakeDiscord, schema: str, build: Callable[[FakeDiscord, World, FakeMessage], object]
) -> None:
    w = World(fake_discord)
    message = await fake_discord.post_message(
        w.channel, w.alice, f"hi {w.mod.mention}", attachments=[fake_discord.upload_attachment("a.png", png())]
    )
    message.reactions["🔁"] = [w.mod.id]
    assert [str(e) for e in load_spec().validate_component(schema, build(fake_discord, w, message))] == []


_BUTTON = {"type": 2, "style": 1, "custom_id": "x", "label": "X"}


@pytest.mark.parametrize(
    "body",
    [
        {"type": 5},
        {"type": 4, "data": {"content": "hi", "components": [{"type": 1, "components": [_BUTTON]}]}},
        {"type": 4, "data": {"components": [{"type": 1, "components": [{**_BUTTON, "label": "L" * 81}]}]}},
        {"type": 4, "data": {"components": [{"type": 1, "components": [{**_BUTTON, "type": 99}]}]}},
        {"type": 4, "data": {"components": [{"type": 1, "components": [{**_BUTTON, "style": 9}]}]}},
        {"type": 8, "data": {"choices": [{"name": "a", "value": "a"}]}},
        {"type": 8, "data": {"choices": "nope"}},
        {"type": 77},
        {"data": {}},
        ["not", "an", "object"],
    ],
)
def test_fast_schema_rewrites_agree_with_the_spec_as_written(body: object) -> None:
    """The lookup-based union validation in schema.py accepts exactly what the spec as written accepts."""
    raw = schema._relax_for_requests(json.loads(schema.SPEC_PATH.read_text(encoding="utf-8")))
    registry = Registry().with_resource("urn:raw", Resource(raw, specification=DRAFT202012))
    pointer = "/paths/~1interactions~1{interaction_id}~1{interaction_token}~1callback/post/requestBody/content"
    plain = Draft202012Validator({"$ref": f"urn:raw#{pointer}/application~1json/schema"}, registry=registry)
    fast = load_spec().validate_request("POST", "/interactions/{interaction_id}/{interaction_token}/callback", body)
    assert (fast == []) == plain.is_valid(body)


async def test_allowed_mentions_decide_who_is_pinged(fake_discord: FakeDiscord) -> None:
    """Without `allowed_mentions` every mention pings; with it, only what it allows (and the payload says so)."""
    fake = fake_discord
    w = World(fake)
    text = f"@everyone <@{w.alice.id}> <@&{w.mods.id}> hello"
    url = f"{fake.api_base_url}/channels/{w.channel.id}/messages"
    headers = {"Authorization": f"Bot {fake.token}"}
    bodies: list[dict[str, object]] = [
        {"content": text},
        {"content": text, "allowed_mentions": {"parse": []}},
        {"content": text, "allowed_mentions": {"users": [str(w.alice.id)]}},
        {"content": text, "allowed_mentions": {"parse": ["users"], "users": [str(w.alice.id)]}},
    ]
    answers = []
    async with aiohttp.ClientSession() as session:
        for body in bodies:
            async with session.post(url, json=body, headers=headers) as response:
                answers.append((response.status, await response.json()))
    everything, nothing, only_alice, exclusive = answers
    assert everything[0] == 200
    assert [u["id"] for u in everything[1]["mentions"]] == [str(w.alice.id)]
    assert (everything[1]["mention_roles"], everything[1]["mention_everyone"]) == ([str(w.mods.id)], True)
    assert (nothing[1]["mentions"], nothing[1]["mention_roles"], nothing[1]["mention_everyone"]) == ([], [], False)
    assert [u["id"] for u in only_alice[1]["mentions"]] == [str(w.alice.id)]
    assert (only_alice[1]["mention_roles"], only_alice[1]["mention_everyone"]) == ([], False)
    assert exclusive[0] == 400
    assert [v.kind for v in fake.violations] == ["allowed_mentions_exclusive"]
    fake.violations.clear()
    stored = [m for m in fake.messages if m.content == text]
    assert [m.pings.anyone for m in stored] == [True, False, True]
