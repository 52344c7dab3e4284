"""A throwaway Postgres cluster on 127.0.0.1, on a free port, for the tests of the shared
state: Debian's postgresql binaries (`scripts/setup-test-engines` installs them), the server run
as the `postgres` user when we are root (it refuses to run as root), its data directory in a
temp folder owned by that user, password authentication, and a fresh database per test."""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

PASSWORD_CHARS = 24


class PostgresUnavailableError(RuntimeError):
    """Postgres isn't installed here (the message says how to install it)."""


def postgres_bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresUnavailableError(
        "no Postgres here: `scripts/setup-test-engines` (run by ./test) installs Debian's "
        "postgresql as root, or run `apt-get install -y postgresql`"
    )


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.bin = postgres_bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="newsdesk-postgres-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.password = secrets.token_hex(PASSWORD_CHARS // 2)
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self._databases = 0

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            [*self.as_postgres, *command], capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            log = (
                (self.root / "server.log").read_text()
                if (self.root / "server.log").exists()
                else ""
            )
            raise RuntimeError(
                f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr.strip()}\n{log}"
            )

    def start(self) -> PostgresServer:
        password_file = self.root / "password"
        password_file.write_text(self.password + "\n")
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(password_file, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-E", "UTF8",
            "--auth=scram-sha-256", f"--pwfile={password_file}", "--no-sync",
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database's SQLAlchemy URL."""
        self._databases += 1
        name = f"newsdesk_test_{os.getpid()}_{self._databases}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", password=self.password,
            dbname="postgres", autocommit=True,
        ) as connection:  # fmt: skip
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
