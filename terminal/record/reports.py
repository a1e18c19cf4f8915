"""Reports and retention: what the daily report counts, the reports made, and forgetting what
is older than the retention period."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from terminal.record.passages import COUNTED_OUTCOMES
from terminal.record.schema import Table


@dataclass(frozen=True)
class DailyReportRow:
    """The report made for ``day`` (ISO date, the gate's time zone), as it was sent."""

    day: str
    event_id: str
    payload: str
    made_s: float


TABLES = (
    Table(
        "daily_reports",
        {"day": str, "event_id": str, "payload": str, "made_s": float},
        pk="day",
        not_null=frozenset({"event_id", "payload", "made_s"}),
    ),
)


class Reports:
    """Reads and writes of the daily reports, and retention; writes run inside the caller's
    transaction."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def insert(self, report: DailyReportRow) -> None:
        self.db.table("daily_reports").insert(asdict(report))

    def daily_report(self, day: str) -> str | None:
        row = self.db.execute("SELECT payload FROM daily_reports WHERE day = ?", [day]).fetchone()
        return None if row is None else str(row[0])

    def _count(self, sql: str, span: dict[str, float]) -> int:
        return int(self.db.execute(sql, span).fetchone()[0])

    def _grouped(self, sql: str, span: dict[str, float]) -> dict[str, int]:
        return {str(key): int(n) for key, n in self.db.execute(sql, span).fetchall()}

    def day_counts(self, start_s: float, end_s: float) -> dict[str, Any]:
        """What the daily report counts, for checks decided in [start_s, end_s)."""
        span = {"start": start_s, "end": end_s}
        checks = "SELECT count(*) FROM checks WHERE epoch_s >= :start AND epoch_s < :end"
        passages = "gate IS NULL AND released_s >= :start AND released_s < :end"
        went_through = ", ".join(f"'{outcome}'" for outcome in COUNTED_OUTCOMES)
        # a fever is confirmed by a guard's clinical reading at the secondary check (older
        # records: by the gate itself, as a check's reason)
        confirmed = self._count(
            "SELECT count(*) FROM secondary_steps WHERE step = 'fever_confirmed' "
            "AND at_s >= :start AND at_s < :end",
            span,
        )
        return {
            "passages_by_outcome": self._grouped(
                f"SELECT outcome, count(*) AS n FROM passages WHERE {passages} "
                "GROUP BY outcome ORDER BY outcome",
                span,
            ),
            "passages_by_direction": self._grouped(
                "SELECT coalesce(direction, 'entry') AS direction, count(*) AS n FROM passages "
                f"WHERE {passages} AND outcome IN ({went_through}) "
                "GROUP BY coalesce(direction, 'entry') ORDER BY direction",
                span,
            ),
            "checks": self._count(checks, span),
            "admitted": self._count(f"{checks} AND decision = 'admit'", span),
            "denied_by_reason": self._grouped(
                "SELECT reason, count(*) AS n FROM checks WHERE epoch_s >= :start "
                "AND epoch_s < :end AND decision = 'deny' GROUP BY reason ORDER BY n DESC, reason",
                span,
            ),
            "flags": self._count(
                "SELECT count(*) FROM outbox WHERE topic LIKE '%/alert/%' "
                "AND created_s >= :start AND created_s < :end",
                span,
            ),
            "secondary_checks": self._count(f"{checks} AND route = 'secondary_check'", span),
            "fevers_confirmed": self._count(f"{checks} AND reason = 'fever'", span) + confirmed,
            "faults": self._count(
                "SELECT count(*) FROM faults WHERE active = 1 AND at_s >= :start AND at_s < :end",
                span,
            ),
        }

    def purge_before(self, epoch_s: float) -> int:
        """Forget checks older than ``epoch_s``, with their delivered messages, and the other
        rows of that age that nothing waits for. Messages not yet delivered are kept (with their
        checks): an event that was decided is never lost. The number of checks forgotten."""
        cursor = self.db.execute(
            "DELETE FROM checks WHERE epoch_s < ? AND event_id NOT IN "
            "(SELECT event_id FROM outbox WHERE sent_s IS NULL)",
            [epoch_s],
        )
        self.db.execute("DELETE FROM outbox WHERE sent_s IS NOT NULL AND created_s < ?", [epoch_s])
        self.db.execute("DELETE FROM holds WHERE until_s < ?", [epoch_s])
        # a peer's passage whose close never came is forgotten too: only ours can be open
        self.db.execute(
            "DELETE FROM passages WHERE released_s < ? "
            "AND (outcome != 'waiting' OR gate IS NOT NULL)",
            [epoch_s],
        )
        self.db.execute("DELETE FROM overrides WHERE at_s < ?", [epoch_s])
        self.db.execute("DELETE FROM vehicles WHERE at_s < ?", [epoch_s])
        self.db.execute(
            "DELETE FROM emergencies WHERE started_s < ? AND ended_s IS NOT NULL", [epoch_s]
        )
        self.db.execute("DELETE FROM commands WHERE received_s < ?", [epoch_s])
        # an open rest is kept: housekeeping closes it (not returned) and says so first
        self.db.execute("DELETE FROM rests WHERE told_at_s < ? AND status != 'open'", [epoch_s])
        return int(cursor.rowcount)
