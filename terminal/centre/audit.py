"""Who did what: every action of the centre's staff, and every message refused as a gate
speaking for another. Written, never changed."""

from __future__ import annotations

from datetime import datetime

from terminal.centre.database import Database
from terminal.centre.guarded import Guarded
from terminal.centre.times import epoch, moment, utcnow
from terminal.centre.views import AuditView

_INSERT = "INSERT INTO audit (at_s, username, action, detail) VALUES (?, ?, ?, ?)"


def audit_row(db: Database, at_s: float, user: str, action: str, detail: str) -> None:
    """One entry in the caller's transaction (the ingest's: written with its batch, or not)."""
    db.execute(_INSERT, (at_s, user, action, detail))


class AuditLog:
    def __init__(self, guarded: Guarded) -> None:
        self._guarded = guarded

    def audit(self, user: str, action: str, detail: str, at: datetime | None = None) -> None:
        """``detail`` must not hold health data beyond what the action is about (a flag id, a
        gate)."""
        self._guarded.change(_INSERT, (epoch(at or utcnow()), user, action[:100], detail[:500]))

    def audit_log(self, limit: int = 200) -> list[AuditView]:
        """The newest first."""
        rows = self._guarded.read(
            "SELECT at_s, username, action, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [AuditView(moment(r[0]), r[1], r[2], r[3]) for r in rows]
