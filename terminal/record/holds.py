"""Holds: after an admission, its code and its person do not admit again for a while (a code
passed back over the fence, a person let in twice)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from terminal.record.passages import COUNTED_OUTCOMES
from terminal.record.schema import Table


@dataclass(frozen=True)
class Hold:
    """After an admission, its code and its person do not admit again until ``until_s``."""

    fingerprint: str
    person_id: str
    until_s: float


TABLES = (
    Table(
        "holds",
        {
            "event_id": str,
            "fingerprint": str,
            "person_id": str,
            "admitted_s": float,
            "until_s": float,
        },
        pk="event_id",
        not_null=frozenset({"fingerprint", "person_id", "admitted_s", "until_s"}),
        indexes=(("fingerprint",), ("person_id",)),
    ),
)


class Holds:
    """Reads and writes of the holds; writes run inside the caller's transaction."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def insert(self, event_id: str, admitted_s: float, hold: Hold) -> None:
        self.db.table("holds").insert(
            {
                "event_id": event_id,
                "fingerprint": hold.fingerprint,
                "person_id": hold.person_id,
                "admitted_s": admitted_s,
                "until_s": hold.until_s,
            }
        )

    def end(self, event_id: str, at_s: float) -> None:
        """The admission ``event_id`` holds its code and person no more from ``at_s``."""
        self.db.execute("UPDATE holds SET until_s = ? WHERE event_id = ?", [at_s, event_id])

    def held_by(self, fingerprint: str, person_id: str, now_s: float) -> str | None:
        """The admission that still holds this code or this person at ``now_s``, if any. A
        person seen leaving through an exit gate since (theirs or a peer's) is held no more:
        out of the zone, their code is theirs to come back in with (a meal break). Nor is one
        the passage contact saw not going through on it (they turned back): never in, they
        come again on the same code."""
        marks = ", ".join("?" * len(COUNTED_OUTCOMES))
        row = self.db.execute(
            "SELECT event_id FROM holds h WHERE until_s > ? AND admitted_s <= ? "
            "AND (fingerprint = ? OR person_id = ?) AND NOT EXISTS ("
            "SELECT 1 FROM passages p WHERE p.person_id = h.person_id "
            f"AND p.direction = 'exit' AND p.outcome IN ({marks}) "
            "AND COALESCE(p.passed_s, p.released_s) > h.admitted_s) "
            "AND NOT EXISTS (SELECT 1 FROM passages t WHERE t.admission_id = h.event_id "
            "AND t.outcome = 'not_passed') "
            "ORDER BY admitted_s DESC LIMIT 1",
            [now_s, now_s, fingerprint, person_id, *COUNTED_OUTCOMES],
        ).fetchone()
        return None if row is None else str(row[0])
