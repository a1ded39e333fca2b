"""A real PostgreSQL 15 server for the tests: started once per session in a temporary directory, on a free
loopback port, as an unprivileged user when the tests run as root (PostgreSQL refuses to run as root).

Each test that needs a database gets its own, freshly created (`PostgresServer.create_database`).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

INSTALL_HINT: Final = (
    "PostgreSQL 15 is not installed, so the PostgreSQL tests were skipped. "
    "Install it with `apt-get install postgresql-15` (Debian/Ubuntu) or point PG_BIN at its bin directory."
)
REQUIRED_HINT: Final = "REQUIRE_POSTGRES is set, so a missing PostgreSQL is an error: " + INSTALL_HINT
DEFAULT_BIN_DIRS: Final = ("/usr/lib/postgresql/15/bin",)
SERVICE_USER: Final = "postgres"  # Debian's package creates it; otherwise the fixture creates one like it
SUPERUSER: Final = "ideogram"
START_TIMEOUT_S: Final = 60
# Speed over durability: the server and its data live only as long as the test session.
FAST_SETTINGS: Final = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
SERVER_SETTINGS: Final = {
    "max_connections": "300",
    "shared_buffers": "64MB",
    "log_min_messages": "warning",
    "unix_socket_directories": "",
    "listen_addresses": "127.0.0.1",
}


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL 15 binaries on this machine."""


def find_bin_dir() -> Path:
    """The directory holding `initdb` and `pg_ctl`: `PG_BIN`, else Debian's PostgreSQL 15 location."""
    candidates = [os.environ["PG_BIN"]] if os.environ.get("PG_BIN") else list(DEFAULT_BIN_DIRS)
    for candidate in candidates:
        directory = Path(candidate)
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    raise PostgresUnavailable(INSTALL_HINT)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True, slots=True)
class RunAs:
    """Whom the server's processes run as: the current user, or (as root) an unprivileged one."""

    uid: int
    gid: int

    @classmethod
    def for_server(cls) -> RunAs:
        if os.geteuid() != 0:
            return cls(os.getuid(), os.getgid())
        try:
            entry = pwd.getpwnam(SERVICE_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
                check=True,
                capture_output=True,
            )
            entry = pwd.getpwnam(SERVICE_USER)
        return cls(entry.pw_uid, entry.pw_gid)

    @property
    def is_other(self) -> bool:
        return self.uid != os.getuid()


class PostgresServer:
    """One running server; `url(database)` names a database on it, with a password, over TCP."""

    def __init__(self, bin_dir: Path, root: Path, run_as: RunAs, *, durable: bool = False) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.data_dir = root / "data"
        self.log_file = root / "server.log"
        self.run_as = run_as
        self.password = secrets.token_urlsafe(16)
        self.port = 0
        self._created = 0
        self.settings = dict(SERVER_SETTINGS) if durable else {**FAST_SETTINGS, **SERVER_SETTINGS}

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        user = {"user": self.run_as.uid, "group": self.run_as.gid, "extra_groups": []} if self.run_as.is_other else {}
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C", "TZ": "UTC"},
            capture_output=True,
            text=True,
            check=False,
            timeout=START_TIMEOUT_S + 10,
            **user,  # type: ignore[arg-type]
        )

    def _check(self, result: subprocess.CompletedProcess[str], what: str) -> None:
        if result.returncode != 0:
            server_log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            raise RuntimeError(f"{what} failed ({result.returncode}): {result.stderr.strip()}\n{server_log[-2000:]}")

    def initialise(self) -> None:
        password_file = self.root / "password"
        password_file.write_text(self.password)
        if self.run_as.is_other:
            os.chown(password_file, self.run_as.uid, self.run_as.gid)
        self._check(
            self._run(
                "initdb",
                "--pgdata",
                str(self.data_dir),
                "--username",
                SUPERUSER,
                "--pwfile",
                str(password_file),
                "--auth-host",
                "scram-sha-256",
                "--auth-local",
                "reject",
                "--encoding",
                "UTF8",
                "--no-sync",
            ),
            "initdb",
        )
        password_file.unlink()

    def start(self, attempts: int = 3) -> None:
        """Start on a free port; another process may take the port between choosing and binding, so retry."""
        for attempt in range(attempts):
            self.port = free_port()
            options = " ".join(f"-c {key}={value}" for key, value in {**self.settings, "port": self.port}.items())
            result = self._run(
                "pg_ctl", "--pgdata", str(self.data_dir), "--log", str(self.log_file), "--options", options,
                "--wait", "--timeout", str(START_TIMEOUT_S), "start",
            )  # fmt: skip
            if result.returncode == 0:
                return
            if attempt == attempts - 1:
                self._check(result, "pg_ctl start")

    def stop(self) -> None:
        result = self._run("pg_ctl", "--pgdata", str(self.data_dir), "--mode", "immediate", "--wait", "stop")
        if result.returncode != 0:
            self._kill_postmaster()

    def _kill_postmaster(self) -> None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, signal.SIGQUIT)

    def postmaster_pid(self) -> int:
        return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])

    def next_database_name(self) -> str:
        self._created += 1
        return f"test_{self._created}"


@contextlib.contextmanager
def postgres_server(*, durable: bool = False, settings: Mapping[str, str] | None = None) -> Iterator[PostgresServer]:
    """Initialise and start a server in a fresh temporary directory; stop it and remove the directory after.
    `durable`: fsync and synchronous commits on, as in production (benchmarks); tests run without them.
    `settings`: more server settings (`postgresql.conf` names and values).

    Raises `PostgresUnavailable` when the binaries are missing.
    """
    bin_dir = find_bin_dir()
    run_as = RunAs.for_server()
    # Under /tmp itself, not pytest's tmp_path: that sits in a directory only root may enter.
    root = Path(tempfile.mkdtemp(prefix="ideogram-pg-", dir="/tmp" if run_as.is_other else None))
    try:
        if run_as.is_other:
            os.chown(root, run_as.uid, run_as.gid)
        server = PostgresServer(bin_dir, root, run_as, durable=durable)
        server.settings.update(settings or {})
        server.initialise()
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
