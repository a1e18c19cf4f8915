"""The centre's retention: what the gates sent about people is forgotten once it is older than
the park's period (``[retention] health_days``), as at the gates; the daily counts, and who did
what, are kept longer (``counts_days``). Each table's rule is in docs/centre.md ("What is kept how
long"); the statements below are that table.

A purge is one transaction: every table, and the audit row that says what was forgotten (the
counts per table and the cutoffs, never a row's content), or nothing. Whether the clock may be
trusted to forget by is the caller's question (:mod:`terminal.centre.upkeep`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from terminal.centre.audit import audit_row
from terminal.centre.guarded import Guarded
from terminal.centre.times import epoch
from terminal.common.times import iso

DAILY_REPORT_SCHEMA = "gate.report.daily/1"
PURGE_ACTION = "retention_purge"
PURGE_USER = "(retention)"

# a flag is forgotten once nothing happened to it within the period: raised, alerted again,
# taken, resolved, escorted, identified, escalated or dismissed
_FLAG_QUIET = " AND ".join(
    f"coalesce({column}, 0) < ?"
    for column in (
        "raised_s", "last_alert_s", "taken_s", "resolved_s", "escorted_s", "identified_s",
        "escalated_s", "dismissed_s",
    )
)  # fmt: skip
_OLD_MUSTER = (
    "SELECT 1 FROM musters m WHERE m.park = muster_people.park AND m.gate = muster_people.gate "
    "AND m.emergency_id = muster_people.emergency_id AND m.started_s < ?"
)
_OLD_REQUEST = (
    "SELECT 1 FROM person_requests r WHERE r.request_id = person_request_gates.request_id "
    "AND r.asked_s < ?"
)

# (what is counted, the statement, how many times it takes the health cutoff): health data
HEALTH_STATEMENTS: tuple[tuple[str, str, int], ...] = (
    ("checks", "DELETE FROM checks WHERE occurred_s < ?", 1),
    # every event as it came: checks, alerts (readings), passages, vehicles with their drivers
    (
        "events",
        f"DELETE FROM events WHERE occurred_s < ? AND schema <> '{DAILY_REPORT_SCHEMA}'",
        1,
    ),
    ("flags", f"DELETE FROM flags WHERE {_FLAG_QUIET}", 8),
    # a roll call's people before the roll call itself (they are found by it)
    ("muster_people", f"DELETE FROM muster_people WHERE EXISTS ({_OLD_MUSTER})", 1),
    ("musters", "DELETE FROM musters WHERE started_s < ?", 1),
    # a command's summary may name a person (an admission by staff)
    ("commands", "DELETE FROM commands WHERE issued_s < ?", 1),
    # a person's own data as the gates sent it, and the requests for it (the audit, kept for
    # counts_days, keeps that they were made, under the person's salted hash)
    ("person_pages", "DELETE FROM person_pages WHERE received_s < ?", 1),
    ("person_request_gates", f"DELETE FROM person_request_gates WHERE EXISTS ({_OLD_REQUEST})", 1),
    ("person_requests", "DELETE FROM person_requests WHERE asked_s < ?", 1),
)
# the counts and who did what: kept for counts_days
COUNTS_STATEMENTS: tuple[tuple[str, str], ...] = (
    ("daily_reports", "DELETE FROM daily_reports WHERE occurred_s < ?"),
    (
        "daily_report_events",
        f"DELETE FROM events WHERE occurred_s < ? AND schema = '{DAILY_REPORT_SCHEMA}'",
    ),
    ("audit", "DELETE FROM audit WHERE at_s < ?"),
)

# the tables the purge leaves alone, each for its reason (docs/centre.md): the latest state of a
# gate, overwritten, naming no one; the staff; logins (ended as they expire); the store's own
NOT_PURGED = {
    "gates": "each gate's latest status, overwritten",
    "gate_zones": "each gate's latest zone count, overwritten",
    "faults": "each gate's faults, one row a kind, overwritten",
    "users": "the staff, until removed",
    "sessions": "logins, until they expire",
    "meta": "the store's own version numbers",
    "privacy": "the salt of the audit's person hashes",
}


def purged_tables() -> set[str]:
    """Every table a purge forgets rows of."""
    return {_table_of(sql) for _name, sql, _times in HEALTH_STATEMENTS} | {
        _table_of(sql) for _name, sql in COUNTS_STATEMENTS
    }


def _table_of(delete: str) -> str:
    return delete.split()[2]  # "DELETE FROM {table} WHERE ..."


@dataclass(frozen=True)
class PurgeResult:
    """What one purge forgot: rows per table (only tables that lost rows), and the cutoffs."""

    health_before: datetime
    counts_before: datetime
    removed: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.removed.values())

    def describe(self, zone: ZoneInfo) -> str:
        """One line without a row's content: the cutoffs (ISO 8601, the park's offset) and the
        counts per table."""
        counts = ", ".join(f"{table} {n}" for table, n in self.removed.items()) or "nothing"
        health = iso(epoch(self.health_before), zone)
        kept = iso(epoch(self.counts_before), zone)
        return f"health data before {health}, counts before {kept}: {counts}"


class Retention:
    def __init__(self, guarded: Guarded, timezone: str) -> None:
        self._guarded = guarded
        self._zone = ZoneInfo(timezone)

    def purge(self, health_before: datetime, counts_before: datetime, at: datetime) -> PurgeResult:
        """Forget what is older than the cutoffs, in one transaction with its audit row (written
        only when something was forgotten)."""
        if counts_before > health_before:
            raise ValueError("the counts' cutoff is after the health data's")
        health_s, counts_s = epoch(health_before), epoch(counts_before)
        removed: dict[str, int] = {}
        with self._guarded.lock:
            db = self._guarded.db
            try:
                for table, sql, times in HEALTH_STATEMENTS:
                    removed[table] = db.execute(sql, (health_s,) * times)
                for table, sql in COUNTS_STATEMENTS:
                    removed[table] = db.execute(sql, (counts_s,))
                result = PurgeResult(
                    health_before, counts_before, {t: n for t, n in removed.items() if n > 0}
                )
                if result.total:
                    audit_row(db, epoch(at), PURGE_USER, PURGE_ACTION, result.describe(self._zone))
                db.commit()
            except BaseException:
                db.rollback()
                raise
            if result.total:
                db.bump_version()
        return result
