"""Boots and commands: when the gate service ran (the daily report's uptime), and every command
that reached the gate, with who sent it and what became of it."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from terminal.record.schema import Table


@dataclass(frozen=True)
class CommandRow:
    """A command as the gate took it. An unverified command's sender is only what it claims."""

    command_id: str
    name: str
    issued_by: str | None
    key_id: str | None
    verified: bool
    outcome: str
    detail: str | None
    received_s: float
    expires_s: float | None


TABLES = (
    Table(
        "boots",
        {"boot_id": str, "started_s": float, "alive_s": float},
        pk="boot_id",
        not_null=frozenset({"started_s", "alive_s"}),
    ),
    # a verified command's id is its nonce: never run twice
    Table(
        "commands",
        {
            "command_id": str,
            "name": str,
            "issued_by": str,
            "key_id": str,
            "verified": int,
            "outcome": str,
            "detail": str,
            "received_s": float,
            "expires_s": float,
        },
        not_null=frozenset({"name", "verified", "outcome", "received_s"}),
        indexes=(("command_id",),),
    ),
)


class Boots:
    """Reads and writes of boots and commands; writes run inside the caller's transaction."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def start(self, boot_id: str, now_s: float) -> None:
        self.db.table("boots").insert({"boot_id": boot_id, "started_s": now_s, "alive_s": now_s})

    def alive(self, boot_id: str, now_s: float) -> None:
        self.db.execute("UPDATE boots SET alive_s = ? WHERE boot_id = ?", [now_s, boot_id])

    def uptime_s(self, start_s: float, end_s: float) -> float:
        rows = self.db.execute(
            "SELECT started_s, alive_s FROM boots WHERE alive_s >= ? AND started_s < ?",
            [start_s, end_s],
        ).fetchall()
        return sum(max(0.0, min(b, end_s) - max(a, start_s)) for a, b in rows)

    def insert_command(self, command: CommandRow) -> None:
        self.db.table("commands").insert({**asdict(command), "verified": int(command.verified)})

    def command_seen(self, command_id: str) -> bool:
        """Was a verified command with this id (its nonce) already taken?"""
        row = self.db.execute(
            "SELECT 1 FROM commands WHERE command_id = ? AND verified = 1 LIMIT 1", [command_id]
        ).fetchone()
        return row is not None

    def commands(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM commands ORDER BY rowid"))


def boots_so_far(path: Path) -> int:
    """How often a gate service started on the record at ``path`` (read-only; 0 for a new
    record, or none)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as existing:
            return int(existing.execute("SELECT count(*) FROM boots").fetchone()[0])
    except sqlite3.Error:
        return 0
