"""A copy of the record, taken while the gate runs: SQLite's online backup API reads one
consistent snapshot (the gate's writes go on meanwhile: WAL), and the copy is checked page by
page (``PRAGMA integrity_check``) before it may count as a backup. The copy is one file (its
journal mode set back to DELETE): restoring it is copying it back (docs/record.md)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from terminal.common.backups import BackupRefused, copy_sqlite
from terminal.record.schema import BUSY_TIMEOUT_MS


def copy_record(source: Path, destination: Path) -> int:
    """Copy the record at ``source`` into ``destination`` (an empty file); the number of checks
    in the copy. The record is opened without ever being written or created."""
    if not source.is_file():
        raise BackupRefused(f"{source}: no record here")
    return copy_sqlite(
        source,
        destination,
        connect=sqlite3.connect,
        database_error=sqlite3.Error,
        timeout_s=BUSY_TIMEOUT_MS / 1000,
        what="record",
        read=lambda copy: int(copy.execute("SELECT count(*) FROM checks").fetchone()[0]),
    )
