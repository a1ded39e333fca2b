import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError, load_secrets, load_settings, parse_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"
ENV = {"DISCORD_TOKEN": "token-for-tests", "AIHUBMIX_API_KEY": "sk-test"}


def test_example_parses_and_equals_the_defaults() -> None:
    settings, secrets = load_settings(EXAMPLE, ENV)
    defaults = parse_settings({})
    # The example spells out the built-in prices; everything else is the default value itself.
    assert settings.model_copy(update={"pricing": defaults.pricing}) == defaults
    assert settings.pricing.table() == defaults.pricing.table()
    assert secrets.discord_token.get_secret_value() == "token-for-tests"
    assert settings.budget.default_allowance_micros == 1_000_000
    assert settings.pricing.table().unit_price("describe") == 10_000


def test_example_documents_every_key() -> None:
    example = tomllib.loads(EXAMPLE.read_text())
    defaults = parse_settings({})
    commented = EXAMPLE.read_text()
    for section, model in defaults:
        for key in type(model).model_fields:
            assert key in example.get(section, {}) or f"# {key} =" in commented, f"[{section}] {key} undocumented"


@pytest.mark.parametrize("section", ["discord", "ideogram", "database", "budget", "pricing", "logging"])
def test_unknown_keys_are_rejected_in_every_section(section: str) -> None:
    with pytest.raises(ConfigError, match=rf"\[{section}\] colour: unknown key"):
        parse_settings({section: {"colour": 1}})


def test_unknown_section_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"\[discrod\]: unknown section"):
        parse_settings({"discrod": {}})


@pytest.mark.parametrize(
    ("data", "names"),
    [
        ({"budget": {"default_period": "fortnight"}}, "[budget] default_period"),
        ({"budget": {"default_allowance": -1}}, "[budget] default_allowance"),
        ({"budget": {"remix_image_weight": 101}}, "[budget] remix_image_weight"),
        ({"budget": {"moderator_role_ids": ["abc"]}}, "[budget] moderator_role_ids.0"),
        ({"discord": {"sync_guild_ids": [1.5]}}, "[discord] sync_guild_ids.0"),
        ({"discord": {"api_base_url": "https://discord.com/api"}}, "[discord] api_base_url"),
        ({"discord": {"gateway_url": "https://gateway.discord.gg"}}, "[discord] gateway_url"),
        ({"discord": {"sync_on_start": "never"}}, "[discord] sync_on_start"),
        ({"ideogram": {"base_url": "https://aihubmix.com/ideogram"}}, "[ideogram] base_url"),
        ({"ideogram": {"max_concurrency": 0}}, "[ideogram] max_concurrency"),
        ({"ideogram": {"proxy": "socks://x"}}, "[ideogram] proxy"),
        ({"pricing": {"generate": {"BALANCED": 0.1}}}, "[pricing] generate.BALANCED"),
        ({"pricing": {"upscale": 0.0000001}}, "[pricing] upscale"),
    ],
)
def test_bad_values_name_the_key(data: dict[str, Any], names: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(data)
    message = str(caught.value)
    assert names in message
    assert "\n" not in message


def test_shapes_from_the_run_contract() -> None:
    settings = parse_settings(
        {
            "discord": {
                "api_base_url": "http://127.0.0.1:9/api/v10/",
                "gateway_url": "ws://127.0.0.1:9/gateway",
                "sync_guild_ids": [123456789012345678],
            },
            "ideogram": {"base_url": "http://127.0.0.1:8/", "proxy": "http://127.0.0.1:7890"},
        }
    )
    assert settings.discord.api_base_url == "http://127.0.0.1:9/api/v10"
    assert settings.discord.sync_guild_ids == [123456789012345678]
    assert settings.ideogram.base_url == "http://127.0.0.1:8"
    assert settings.ideogram.is_loopback
    assert not parse_settings({}).ideogram.is_loopback


@pytest.mark.parametrize("missing", ["DISCORD_TOKEN", "AIHUBMIX_API_KEY"])
def test_missing_secret_names_the_variable(missing: str) -> None:
    env = {**ENV, missing: "  "}
    with pytest.raises(ConfigError, match=missing):
        load_secrets(env)


def test_secrets_do_not_show_in_repr() -> None:
    secrets = load_secrets(ENV)
    assert "token-for-tests" not in repr(secrets)
    assert "sk-test" not in str(secrets)


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_check_config_cli(tmp_path: Path) -> None:
    base_env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    ok = run_cli("--check-config", "--config", str(EXAMPLE), env={**base_env, **ENV}, cwd=tmp_path)
    assert (ok.returncode, ok.stdout.splitlines()[-1]) == (0, "configuration OK")
    assert f"read {EXAMPLE}" in ok.stdout

    bad = tmp_path / "bad.toml"
    bad.write_text('[budget]\ndefault_period = "fortnight"\n')
    failed = run_cli("--check-config", "--config", str(bad), env={**base_env, **ENV}, cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1
    assert "[budget] default_period" in failed.stderr
    assert "Traceback" not in failed.stderr

    no_secret = run_cli("--check-config", "--config", str(EXAMPLE), env=base_env, cwd=tmp_path)
    assert no_secret.returncode == 2
    assert "DISCORD_TOKEN" in no_secret.stderr

    missing = run_cli("--check-config", "--config", str(tmp_path / "nope.toml"), env={**base_env, **ENV}, cwd=tmp_path)
    assert missing.returncode == 2
    assert "nope.toml" in missing.stderr

    broken = tmp_path / "broken.toml"
    broken.write_text("[budget\n")
    not_toml = run_cli("--check-config", "--config", str(broken), env={**base_env, **ENV}, cwd=tmp_path)
    assert (not_toml.returncode, "not valid TOML" in not_toml.stderr) == (2, True)


def test_allowed_guild_ids_empty_serves_any_server_else_only_those_listed() -> None:
    anywhere = parse_settings({}).discord
    assert anywhere.allows_guild(1)
    assert anywhere.allows_guild(None)
    listed = parse_settings({"discord": {"allowed_guild_ids": [1, 2]}}).discord
    assert [listed.allows_guild(guild) for guild in (1, 2, 3, None)] == [True, True, False, False]
