"""A copy of the record, taken while the gate runs: SQLite's online backup API reads one
consistent snapshot (the gate's writes go on meanwhile: WAL), and the copy is checked page by
page (``PRAGMA integrity_check``) before it may count as a backup. The copy is one file (its
journal mode set back to DELETE): restoring it is copying it back (docs/record.md)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from terminal.common.backups import BackupFailed, BackupRefused
from terminal.record.schema import BUSY_TIMEOUT_MS


def copy_record(source: Path, destination: Path) -> int:
    """Copy the record at ``source`` into ``destination`` (an empty file); the number of checks
    in the copy. The record is opened without ever being written or created."""
    if not source.is_file():
        raise BackupRefused(f"{source}: no record here")
    try:
        # mode=rw: a missing file is an error, never a new empty record; query_only: nothing
        # this connection does can change the gate's record
        live = sqlite3.connect(
            f"file:{quote(str(source.resolve()))}?mode=rw",
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
    except sqlite3.Error as exc:
        raise BackupRefused(f"{source}: cannot open the record: {exc}") from None
    try:
        live.execute("PRAGMA query_only = 1")
        copy = sqlite3.connect(destination)
        try:
            live.backup(copy)  # all pages in one step: one snapshot, writers not held up (WAL)
            copy.execute("PRAGMA journal_mode = DELETE")
            verdict = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            if verdict != ["ok"]:
                raise BackupFailed(f"{destination}: the copy is damaged: {verdict[0][:200]}")
            return int(copy.execute("SELECT count(*) FROM checks").fetchone()[0])
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise BackupFailed(f"{source}: the copy failed: {exc}") from None
    finally:
        live.close()
