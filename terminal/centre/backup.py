"""``gate-terminal centre backup``: the centre's database copied into a folder, the oldest beyond
``keep`` removed (:mod:`terminal.common.backups`).

- SQLite: SQLite's online backup API (one consistent snapshot while the collector writes), the
  copy checked (``PRAGMA integrity_check``): ``centre-<park>-<UTC stamp>.sqlite``. Restored by
  copying it back while the centre is stopped.
- PostgreSQL: the system's ``pg_dump`` in its custom format, read back by ``pg_restore --list``
  before it counts: ``centre-<park>-<UTC stamp>.dump``. Restored with ``pg_restore``. The
  password reaches pg_dump in a passfile of its own (0600, removed after), never on its command
  line nor in a log.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from terminal.centre.config import CentreConfig
from terminal.centre.database import sqlite_path
from terminal.common.backups import (
    BackupFailed,
    BackupNames,
    BackupRefused,
    check_target,
    copy_sqlite,
    kept,
    take_backup,
)

DEFAULT_KEEP = 14


@dataclass(frozen=True)
class CentreBackup:
    path: Path
    removed: list[Path]
    kind: str  # "sqlite" or "postgresql"
    kept: str  # how many the folder now holds, out of the most kept: "1 backup kept (up to 14)"


def back_up_centre(
    config: CentreConfig, target: Path, *, keep: int = DEFAULT_KEEP, allow_same_disk: bool = False
) -> CentreBackup:
    url = config.database_url()
    prefix = f"centre-{config.park}-"
    source = sqlite_path(url)
    if source is not None:
        if not source.is_file():
            raise BackupRefused(f"{source}: no database here (database.url in {config.source})")
        check_target(source, target, allow_same_disk=allow_same_disk)
        names = BackupNames(prefix, ".sqlite")
        path, removed = take_backup(target, names, lambda p: _copy_sqlite(source, p), keep=keep)
        return CentreBackup(path, removed, "sqlite", kept(target, names, keep))
    # PostgreSQL's files are on its server: the dump comes over the connection, and where the
    # server keeps its disk is not known here
    if not target.is_dir():
        raise BackupRefused(f"{target}: no such folder (is the share mounted?)")
    password = config.database.password()
    names = BackupNames(prefix, ".dump")
    path, removed = take_backup(target, names, lambda p: _pg_dump(url, password, p), keep=keep)
    return CentreBackup(path, removed, "postgresql", kept(target, names, keep))


def _copy_sqlite(source: Path, destination: Path) -> None:
    copy_sqlite(
        source,
        destination,
        connect=sqlite3.connect,
        database_error=sqlite3.Error,
        timeout_s=30,
        what="database",
        read=lambda copy: None,
    )


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupRefused(f"{name}: not found (Debian: sudo apt-get install postgresql-client)")
    return found


def _passfile_line(password: str) -> str:
    """A .pgpass line for any host, port, database and user (``:`` and ``\\`` escaped)."""
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    return f"*:*:*:*:{escaped}\n"


def _pg_dump(url: str, password: str | None, destination: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    with tempfile.TemporaryDirectory(prefix="centre-backup-") as private:
        if password is not None:
            passfile = Path(private) / "pgpass"
            descriptor = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(_passfile_line(password))
            environment["PGPASSFILE"] = str(passfile)
        _run(
            [_tool("pg_dump"), "--format=custom", "--no-password", f"--file={destination}",
             f"--dbname={url}"],
            environment,
            "pg_dump",
        )  # fmt: skip
    # the dump read back: a file pg_restore cannot list is no backup
    _run([_tool("pg_restore"), "--list", str(destination)], environment, "pg_restore --list")


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
    done = subprocess.run(
        command, env=environment, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), "no message")
        raise BackupFailed(f"{what} failed (exit {done.returncode}): {first.strip()[:300]}")
