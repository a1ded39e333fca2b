"""Settings: TOML for everything an operator tunes, the environment for the two secrets.

Every section forbids unknown keys, so a typo fails at start-up with the key's name instead of being ignored.
`load_settings` turns any problem into one `ConfigError` line naming the key; `python -m bot` prints it and
exits with code 2.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Final, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, ValidationInfo, field_validator

from bot.ideogram.download import DEFAULT_IMAGE_HOSTS, is_loopback
from bot.ideogram.values import (
    LEGACY_EDIT_MODELS,
    LEGACY_MODELS,
    RENDERING_SPEEDS,
    LegacyEditModel,
    LegacyModel,
    RenderingSpeed,
)
from bot.ledger.periods import Period
from bot.money import to_micros
from bot.pricing import PriceTable

DEFAULT_CONFIG_PATH: Final = Path("config.toml")
SECRET_VARIABLES: Final = ("DISCORD_TOKEN", "AIHUBMIX_API_KEY")

_Key = TypeVar("_Key", bound=str)
Dollars = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=6)]


class ConfigError(Exception):
    """A configuration problem, as one line that names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _url(value: str, schemes: tuple[str, ...], key: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"{key} must be a {' or '.join(schemes)} URL, got {value!r}")
    return value


class DiscordSettings(_Section):
    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    sync_guild_ids: list[int] = Field(default_factory=list)
    sync_on_start: Literal["changed", "always"] = "changed"
    allowed_guild_ids: list[int] = Field(default_factory=list)
    proxy: str | None = None
    connect_timeout_s: float = Field(default=30.0, gt=0, le=300)

    def allows_guild(self, guild_id: int | None) -> bool:
        """Whether the bot serves `guild_id` (None: a DM): every server when `allowed_guild_ids` is empty."""
        return not self.allowed_guild_ids or guild_id in self.allowed_guild_ids

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        return None if not value else _url(value, ("http", "https"), "proxy")

    # Sharding (issue 15): None = Discord's recommended count, and every shard in this process.
    shard_count: int | None = Field(default=None, ge=1, le=100_000)
    shard_ids: list[int] | None = None

    @field_validator("shard_ids")
    @classmethod
    def _shard_ids(cls, value: list[int] | None, info: ValidationInfo) -> list[int] | None:
        if value is None:
            return None
        count = info.data.get("shard_count")
        if count is None:
            raise ValueError("shard_ids needs shard_count, the number of shards across all processes")
        if not value or len(set(value)) != len(value) or not all(0 <= shard < count for shard in value):
            raise ValueError(f"shard_ids must be distinct numbers from 0 to {count - 1} (shard_count = {count})")
        return sorted(value)

    @field_validator("api_base_url")
    @classmethod
    def _rest(cls, value: str) -> str:
        value = _url(value, ("https", "http"), "api_base_url").rstrip("/")
        if not value.endswith("/api/v10"):
            raise ValueError("api_base_url must end with /api/v10, e.g. https://discord.com/api/v10")
        return value

    @field_validator("gateway_url")
    @classmethod
    def _gateway(cls, value: str) -> str:
        return _url(value, ("wss", "ws"), "gateway_url")


class IdeogramSettings(_Section):
    base_url: str = "https://aihubmix.com"
    timeout_s: float = Field(default=180.0, gt=0, le=900)
    max_concurrency: int = Field(default=10, ge=1, le=1000)
    proxy: str | None = None
    max_retries: int = Field(default=2, ge=0, le=10)
    retry_after_cap_s: float = Field(default=30.0, ge=0, le=600)
    max_upload_mb: float = Field(default=10.0, gt=0, le=100)
    image_hosts: list[str] = Field(default_factory=lambda: list(DEFAULT_IMAGE_HOSTS))

    @field_validator("base_url")
    @classmethod
    def _origin(cls, value: str) -> str:
        value = _url(value, ("https", "http"), "base_url").rstrip("/")
        if urlsplit(value).path:
            raise ValueError("base_url is the bare origin (https://aihubmix.com); the bot appends /ideogram/...")
        return value

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        return None if not value else _url(value, ("http", "https"), "proxy")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def is_loopback(self) -> bool:
        return is_loopback(self.base_url)


class DatabaseSettings(_Section):
    path: Path = Path("data/bot.sqlite3")


class BudgetSettings(_Section):
    default_allowance: Dollars = Decimal("1.00")
    default_period: Period = "month"
    moderator_role_ids: list[int] = Field(default_factory=list)
    max_jobs_per_member: int = Field(default=2, ge=1, le=20)
    remix_image_weight: int = Field(default=50, ge=1, le=100)
    # Operator limits (issue #8): all servers together per period, and the most a moderator can give.
    operator_cap: Dollars | None = None
    operator_cap_period: Period = "month"
    max_allowance: Dollars | None = None

    @property
    def default_allowance_micros(self) -> int:
        return to_micros(self.default_allowance)

    @property
    def operator_cap_micros(self) -> int | None:
        return None if self.operator_cap is None else to_micros(self.operator_cap)

    @property
    def max_allowance_micros(self) -> int | None:
        return None if self.max_allowance is None else to_micros(self.max_allowance)


def _prices(allowed: tuple[str, ...]) -> Any:
    return Field(default_factory=dict, description=f"keys: {', '.join(allowed)}")


class PricingSettings(_Section):
    """Overrides of the built-in price table, US$ per output image."""

    generate: dict[RenderingSpeed, Dollars] = _prices(RENDERING_SPEEDS)
    edit: dict[RenderingSpeed, Dollars] = _prices(RENDERING_SPEEDS)
    legacy_generate: dict[LegacyModel, Dollars] = _prices(LEGACY_MODELS)
    legacy_edit: dict[LegacyEditModel, Dollars] = _prices(LEGACY_EDIT_MODELS)
    upscale: Dollars | None = None
    describe: Dollars | None = None

    def table(self) -> PriceTable:
        def micros(prices: Mapping[_Key, Decimal]) -> dict[str, int]:
            return {key: to_micros(value) for key, value in prices.items()}

        return PriceTable().with_overrides(
            v3_generate=micros(self.generate),
            v3_edit=micros(self.edit),
            legacy_generate=micros(self.legacy_generate),
            legacy_edit=micros(self.legacy_edit),
            upscale=None if self.upscale is None else to_micros(self.upscale),
            describe=None if self.describe is None else to_micros(self.describe),
        )


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Settings(_Section):
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    ideogram: IdeogramSettings = Field(default_factory=IdeogramSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    pricing: PricingSettings = Field(default_factory=PricingSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)


class Secrets(_Section):
    discord_token: SecretStr
    aihubmix_api_key: SecretStr
    # DATABASE_URL (optional): postgresql://user:password@host:port/db puts the ledger in PostgreSQL.
    database_url: SecretStr | None = None


def _describe_one(error: Any) -> str:
    location = [str(part) for part in error["loc"]]
    section, key = (location[0], ".".join(location[1:])) if len(location) > 1 else ("", ".".join(location))
    where = f"[{section}] {key}" if section else key
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling against config.example.toml)"
        if not section:
            where, message = f"[{key}]", "unknown section (check the spelling against config.example.toml)"
    return f"{where}: {message}"


def _describe(error: ValidationError) -> str:
    return _describe_one(error.errors()[0])


def describe_errors(error: ValidationError) -> list[str]:
    """Every problem pydantic found, one line each, naming `[section] key`."""
    return [_describe_one(each) for each in error.errors()]


def parse_settings(data: Mapping[str, Any], *, source: str = "config") -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(exc)}") from None


def missing_secrets(environ: Mapping[str, str]) -> list[str]:
    return [name for name in SECRET_VARIABLES if not environ.get(name, "").strip()]


def load_secrets(environ: Mapping[str, str]) -> Secrets:
    missing = missing_secrets(environ)
    if missing:
        raise ConfigError(f"environment variable {missing[0]} is not set (secrets come only from the environment)")
    database_url = environ.get("DATABASE_URL", "").strip()
    return Secrets(
        discord_token=SecretStr(environ["DISCORD_TOKEN"].strip()),
        aihubmix_api_key=SecretStr(environ["AIHUBMIX_API_KEY"].strip()),
        database_url=SecretStr(database_url) if database_url else None,
    )


def read_config(path: Path | None = None) -> tuple[dict[str, Any], Path | None]:
    """The TOML file's tables and the file read; `({}, None)` when the default path is absent (built-in defaults)."""
    chosen = path or DEFAULT_CONFIG_PATH
    if not chosen.exists():
        if path is not None:
            raise ConfigError(f"{chosen}: no such file (copy config.example.toml to start)")
        return {}, None
    try:
        return tomllib.loads(chosen.read_text(encoding="utf-8")), chosen
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{chosen}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{chosen}: cannot be read: {exc.strerror}") from None


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> tuple[Settings, Secrets]:
    """Read the TOML file (defaults when the default path is absent) and the secrets from the environment."""
    environ = os.environ if environ is None else environ
    data, _ = read_config(path)
    return parse_settings(data, source=str(path or DEFAULT_CONFIG_PATH)), load_secrets(environ)
