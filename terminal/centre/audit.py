"""Who did what: every action of the centre's staff, every look at health data (a search, a
flag's readings, an export), and every message refused as a gate speaking for another. Written,
never changed."""

from __future__ import annotations

from datetime import datetime

from terminal.centre.database import Database
from terminal.centre.guarded import Guarded
from terminal.centre.times import epoch, moment, utcnow
from terminal.centre.views import AuditView

_INSERT = "INSERT INTO audit (at_s, username, action, detail) VALUES (?, ?, ?, ?)"
MAX_ACTION_CHARS = 100
MAX_DETAIL_CHARS = 500


def audit_row(db: Database, at_s: float, user: str, action: str, detail: str) -> None:
    """One entry in the caller's transaction (the ingest's: written with its batch, or not)."""
    db.execute(_INSERT, (at_s, user, action, detail))


class AuditLog:
    def __init__(self, guarded: Guarded) -> None:
        self._guarded = guarded

    def audit(self, user: str, action: str, detail: str, at: datetime | None = None) -> None:
        """``detail`` must not hold health data beyond what the action is about (a flag id, a
        gate)."""
        self._guarded.change(
            _INSERT,
            (epoch(at or utcnow()), user, action[:MAX_ACTION_CHARS], detail[:MAX_DETAIL_CHARS]),
        )

    def audit_view(
        self, user: str, action: str, detail: str, within_s: float, at: datetime | None = None
    ) -> bool:
        """A look at health data (``detail``: what was asked, never what was shown). The same
        user looking at the same thing again within ``within_s`` is the one look already
        written (a page reloaded, a search run twice): False then, and nothing written."""
        at_s = epoch(at or utcnow())
        action, detail = action[:MAX_ACTION_CHARS], detail[:MAX_DETAIL_CHARS]
        with self._guarded.lock:
            seen = self._guarded.read(
                "SELECT 1 FROM audit WHERE action = ? AND username = ? AND at_s > ? "
                "AND detail = ? LIMIT 1",
                (action, user, at_s - within_s, detail),
            )
            if seen:
                return False
            # no live page shows the audit log: the desks and boards open need not render again
            self._guarded.change(_INSERT, (at_s, user, action, detail), bump=False)
            return True

    def audit_log(self, limit: int = 200, action: str | None = None) -> list[AuditView]:
        """The newest first; only ``action``'s when given."""
        where, params = ("WHERE action = ? ", (action,)) if action else ("", ())
        rows = self._guarded.read(
            f"SELECT at_s, username, action, detail FROM audit {where}ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [AuditView(moment(r[0]), r[1], r[2], r[3]) for r in rows]
