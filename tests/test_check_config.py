"""`python -m bot --check-config` in a real process: which file it read, every problem at once (each naming
`[section] key` or the variable), and the database it would open."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.postgres import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {"DISCORD_TOKEN": "token-for-tests", "AIHUBMIX_API_KEY": "sk-test"}


def check(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **(SECRETS if env is None else env)}
    return subprocess.run(
        [sys.executable, "-m", "bot", "--check-config", *args],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert all(line.startswith("configuration error: ") for line in lines), lines
    return [line.removeprefix("configuration error: ") for line in lines]


def test_without_a_config_file_it_says_it_used_the_built_in_defaults(tmp_path: Path) -> None:
    result = check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"no config.toml in {tmp_path}: using the built-in defaults" in result.stdout
    assert "database: data/bot.sqlite3 does not exist yet; the bot will create it" in result.stdout
    assert result.stdout.splitlines()[-1] == "configuration OK"
    assert not (tmp_path / "data").exists()  # checking changes nothing


def test_a_missing_file_and_missing_secrets_are_all_reported(tmp_path: Path) -> None:
    result = check(tmp_path, "--config", "nope.toml", env={})
    assert result.returncode == 2
    assert problems(result) == [
        "nope.toml: no such file (copy config.example.toml to start)",
        "environment variable DISCORD_TOKEN is not set (secrets come only from the environment)",
        "environment variable AIHUBMIX_API_KEY is not set (secrets come only from the environment)",
    ]


def test_every_bad_key_is_named_not_just_the_first(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[discord]\nconnect_timeout_s = 0\nproxy = "socks5://127.0.0.1:1080"\n'
        '[budget]\ndefault_period = "fortnight"\n[discrod]\n'
    )
    result = check(tmp_path, env={"AIHUBMIX_API_KEY": "sk-test"})
    assert result.returncode == 2
    found = problems(result)
    assert f"read {config}" in result.stdout
    assert {line.split(":")[1].strip() for line in found[:4]} == {
        "[discord] connect_timeout_s",
        "[discord] proxy",
        "[budget] default_period",
        "[discrod]",
    }
    assert found[4].startswith("environment variable DISCORD_TOKEN is not set")
    assert len(found) == 5


def test_a_database_path_that_cannot_be_created_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "config.toml").write_text('[database]\npath = "a-file/ledger/bot.sqlite3"\n')
    result = check(tmp_path)
    assert result.returncode == 2
    assert problems(result) == [
        "[database] path: cannot create a-file/ledger/bot.sqlite3: a-file is a file, not a folder"
    ]


def test_a_database_file_that_is_not_sqlite_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "bot.sqlite3").write_text("this is not a database, but it is a long enough text file " * 20)
    (tmp_path / "config.toml").write_text('[database]\npath = "bot.sqlite3"\n')
    [problem] = problems(check(tmp_path))
    assert problem.startswith("[database] path: cannot open bot.sqlite3 for writing: file is not a database")


def test_an_existing_ledger_is_opened_and_its_schema_version_shown(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.execute("PRAGMA user_version = 3")
    (tmp_path / "config.toml").write_text('[database]\npath = "bot.sqlite3"\n')
    result = check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "database: bot.sqlite3 (SQLite, schema version 3), writable" in result.stdout


def test_database_url_is_checked_for_an_answer_and_never_shown(tmp_path: Path, postgres: PostgresServer) -> None:
    url = postgres.url("postgres")
    up = check(tmp_path, env={**SECRETS, "DATABASE_URL": url})
    assert up.returncode == 0, up.stderr
    assert (
        f"database: PostgreSQL at 127.0.0.1:{postgres.port}/postgres (from DATABASE_URL), schema version 0" in up.stdout
    )
    wrong = check(tmp_path, env={**SECRETS, "DATABASE_URL": url.replace(postgres.password, "db-secret")})
    assert wrong.returncode == 2
    assert "password authentication failed" in problems(wrong)[0]
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        port = listening.getsockname()[1]
    down_url = f"postgresql://bot:db-secret@127.0.0.1:{port}/ledger"
    down = check(tmp_path, env={**SECRETS, "DATABASE_URL": down_url})  # nothing listens there
    assert down.returncode == 2
    assert problems(down) == [f"DATABASE_URL: cannot reach PostgreSQL at 127.0.0.1:{port}/ledger (connection refused)"]
    everything = up.stdout + up.stderr + wrong.stdout + wrong.stderr + down.stdout + down.stderr
    assert "db-secret" not in everything
    assert postgres.password not in everything
