"""Rests: a person whose first reading was raised but not clearly high is told to rest and scan
again. The rest is written with the check that told them (one transaction), so it outlasts a
restart; their next scan in time is the rested stage, and a rest nobody came back to is closed
as not returned."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import sqlite_utils

from terminal.record.schema import Table, columns_of

RestStatus = Literal["open", "returned", "not_returned"]


@dataclass(frozen=True)
class RestRow:
    event_id: str  # the check that told them to rest
    person_id: str
    code_fingerprint: str | None
    told_at_s: float
    due_s: float  # from then they may scan again: told_at_s + screening.rest_min
    expires_s: float  # not back by then: not returned (due_s + screening.rest_return_min)
    first_object_c: float | None  # the first reading, which the rested one is held against
    first_ambient_c: float | None
    status: str = "open"  # RestStatus
    closed_at_s: float | None = None
    closed_by: str | None = None  # the rested check's event id, or "gate" (not returned)


TABLES = (
    Table(
        "rests",
        columns_of(RestRow),
        pk="event_id",
        not_null=frozenset({"person_id", "told_at_s", "due_s", "expires_s", "status"}),
        indexes=(("person_id",), ("status",), ("told_at_s",)),
    ),
)


class Rests:
    """Reads and writes of the rests; writes run inside the caller's transaction."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def insert(self, rest: RestRow) -> None:
        self.db.table("rests").insert(asdict(rest))

    def close(self, event_id: str, status: RestStatus, at_s: float, by: str) -> None:
        """Close the rest ``event_id`` once: a rest closed already keeps how it ended."""
        self.db.execute(
            "UPDATE rests SET status = ?, closed_at_s = ?, closed_by = ? "
            "WHERE event_id = ? AND status = 'open'",
            [status, at_s, by, event_id],
        )

    def open_for(self, person_id: str) -> RestRow | None:
        """The person's latest open rest, if any (expired or not: the caller compares)."""
        rows = self.db.query(
            "SELECT * FROM rests WHERE person_id = ? AND status = 'open' "
            "ORDER BY told_at_s DESC LIMIT 1",
            [person_id],
        )
        row = next(iter(rows), None)
        return None if row is None else RestRow(**row)

    def expired(self, now_s: float) -> list[RestRow]:
        """Open rests whose time to come back ended before ``now_s``, oldest first."""
        rows = self.db.query(
            "SELECT * FROM rests WHERE status = 'open' AND expires_s < ? ORDER BY told_at_s",
            [now_s],
        )
        return [RestRow(**row) for row in rows]

    def counts(self, since_s: float, now_s: float) -> dict[str, int]:
        """Rests told since ``since_s``; open and still in time at ``now_s``; closed as not
        returned since ``since_s``."""
        row = self.db.execute(
            "SELECT "
            "COALESCE(SUM(told_at_s >= ?), 0), "
            "COALESCE(SUM(status = 'open' AND expires_s >= ?), 0), "
            "COALESCE(SUM(status = 'not_returned' AND closed_at_s >= ?), 0) "
            "FROM rests WHERE told_at_s >= ? OR status = 'open' OR closed_at_s >= ?",
            [since_s, now_s, since_s, since_s, since_s],
        ).fetchone()
        return {"rested": int(row[0]), "resting": int(row[1]), "not_returned": int(row[2])}
