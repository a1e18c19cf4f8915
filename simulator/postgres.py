"""A private PostgreSQL on a free loopback port, for the centre's tests and benchmark: a cluster
made with initdb in a temporary folder (its unix socket there too), run as the ``postgres``
system user when we are root (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from simulator.broker import free_port, wait_or_kill
from terminal.common.errors import GateError

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


class PostgresUnavailable(GateError, RuntimeError):
    pass


def find_pg_bin() -> Path | None:
    """The newest installed server's bin folder (Debian: postgresql-15 and later)."""
    candidates = sorted(
        (Path(p) for p in glob.glob(PG_BIN_GLOB) if (Path(p) / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


class PrivatePostgres:
    """``with PrivatePostgres() as pg:`` gives ``pg.url`` (the ``postgres`` database, user
    ``postgres``, no password: trust on loopback only) and ``pg.new_database()``."""

    host = "127.0.0.1"
    user = "postgres"

    def __init__(self, port: int | None = None, durable: bool = False) -> None:
        self.port = port or free_port()
        # durable: fsync and synchronous commits, as a production server (the benchmark); the
        # tests' server skips them (its data lives minutes)
        self.durable = durable
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._as_postgres: list[str] = []
        self._bin_dir: Path | None = None
        self._data: Path | None = None

    def url_for(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def _run(self, args: list[str], log: Path) -> None:
        with log.open("ab") as out:
            done = subprocess.run(
                self._as_postgres + args, stdout=out, stderr=subprocess.STDOUT, check=False
            )
        if done.returncode != 0:
            tail = log.read_text(errors="replace")[-1500:]
            raise PostgresUnavailable(f"{Path(args[0]).name} failed: {tail.strip()}")

    def start(self, timeout_s: float = 30.0) -> PrivatePostgres:
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise PostgresUnavailable(
                "PostgreSQL is not installed (Debian: sudo apt-get install postgresql)"
            )
        self._dir = tempfile.TemporaryDirectory(prefix="gate-postgres-")
        folder = Path(self._dir.name)
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise PostgresUnavailable("running as root needs runuser to start PostgreSQL")
            self._as_postgres = [runuser, "-u", "postgres", "--"]
            shutil.chown(folder, user="postgres")
        data = self._data = folder / "data"
        self._bin_dir = bin_dir
        log = folder / "postgres.log"
        log.touch()
        if self._as_postgres:
            shutil.chown(log, user="postgres")
        self._run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", self.user, "-A", "trust",
             "-E", "UTF8", "--no-sync", "--no-locale"],
            log,
        )  # fmt: skip
        options = (
            f"-c listen_addresses={self.host} -c port={self.port} "
            f"-c unix_socket_directories={folder} -c max_connections=40 -c shared_buffers=64MB"
        )
        if not self.durable:
            options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        self._process = subprocess.Popen(
            [*self._as_postgres, str(bin_dir / "postgres"), "-D", str(data), *options.split()],
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        import psycopg

        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = log.read_text(errors="replace")[-1500:]
                self.stop()
                raise PostgresUnavailable(f"postgres exited at start: {tail.strip()}")
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return self
            except psycopg.OperationalError:
                time.sleep(0.1)
        self.stop()
        raise PostgresUnavailable(f"postgres did not answer on port {self.port} in {timeout_s} s")

    def new_database(self) -> str:
        """A fresh empty database; its URL."""
        import psycopg

        name = f"centre_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            # a fast shutdown: the sessions still open are ended, not waited for (runuser, in
            # between when we are root, would not pass a signal on)
            assert self._bin_dir is not None and self._data is not None
            subprocess.run(
                [*self._as_postgres, str(self._bin_dir / "pg_ctl"), "stop", "-D", str(self._data),
                 "-m", "fast", "-w", "-t", "10"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
            )  # fmt: skip
            wait_or_kill(self._process, timeout_s=10)
        self._process = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> PrivatePostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
