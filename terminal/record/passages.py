"""Passages and occupancy: one row per admission through the turnstile (ours, and the zone's
other gates' as heard on the operations link); who is inside a zone is counted from them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from terminal.record.schema import Table, columns_of

# the passages that put a person through the turnstile: a stopped gate's ``unknown`` passage
# counts as passed (an admitted person most likely went through; counting them keeps the zone
# under capacity rather than over it)
COUNTED_OUTCOMES = ("passed", "unconfirmed", "unknown")
_COUNTED_SQL = f"outcome IN ({', '.join(repr(outcome) for outcome in COUNTED_OUTCOMES)})"
# who is inside: the passages counted, and this gate's own still in its turnstile (the next entry
# must not take their place). A peer's open passage (``waiting``, heard before it closes) is not
# anyone inside: it only holds a place for the capacity decision while young (reservations)
_INSIDE_SQL = f"({_COUNTED_SQL} OR (outcome = 'waiting' AND gate IS NULL))"


@dataclass(frozen=True)
class PassageRow:
    """One admission's passage through the turnstile: released at ``released_s``; then, with a
    passage sensor, ``passed`` when the turnstile says the person went through within
    ``window_s``, or ``not_passed``; without one, ``unconfirmed`` (a pulse, as of old). A gate
    stopped during the window leaves it ``unknown``. Occupancy counts from these rows."""

    admission_id: str  # the check's event_id, or the override's
    admitted_by: str  # check, guard (after a secondary check), command, staff_button
    person_id: str | None
    released_s: float
    window_s: float | None  # None: no passage sensor
    outcome: str  # waiting, passed, not_passed, unconfirmed, unknown
    passed_s: float | None = None
    closed_s: float | None = None
    direction: str | None = None  # entry or exit (records before schema 5: entry)
    zone: str | None = None  # the zone it led into or out of; none: counted nowhere
    gate: str | None = None  # another gate of the zone, heard on the operations link; none: ours


@dataclass(frozen=True)
class PersonInside:
    """Someone identified whom the passages show inside a zone (``gate`` None: this gate)."""

    person_id: str
    admission_id: str
    since_s: float
    gate: str | None


# one row per admission: did the person go through (schema 4; older records gain it)
TABLES = (
    Table(
        "passages",
        columns_of(PassageRow),
        pk="admission_id",
        not_null=frozenset({"admitted_by", "released_s", "outcome"}),
        indexes=(("released_s",), ("zone", "person_id")),
    ),
)


class Passages:
    """Reads and writes of the passages; writes run inside the caller's transaction."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def insert(self, passage: PassageRow) -> None:
        self.db.table("passages").insert(asdict(passage))

    def close(
        self, admission_id: str, outcome: str, closed_s: float, passed_s: float | None
    ) -> None:
        self.db.execute(
            "UPDATE passages SET outcome = ?, passed_s = ?, closed_s = ? "
            "WHERE admission_id = ? AND outcome = 'waiting'",
            [outcome, passed_s, closed_s, admission_id],
        )

    def waiting(self) -> list[PassageRow]:
        """The gate's own passages still open (a peer's open passage is closed by the peer's own
        message, or expires as a reservation)."""
        rows = self.db.query(
            "SELECT * FROM passages WHERE outcome = 'waiting' AND gate IS NULL "
            "ORDER BY released_s, admission_id"
        )
        return [PassageRow(**row) for row in rows]

    def all(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM passages ORDER BY released_s, admission_id"))

    def add_peer(self, passage: PassageRow) -> bool:
        """Another gate's passage, once; its close replaces its open passage once. True when
        the record changed (see :meth:`Record.add_peer_passage`)."""
        columns = asdict(passage)
        # only a peer's own open passage is closed by its message: never one of ours
        closing = (
            ""
            if passage.outcome == "waiting"
            else " ON CONFLICT (admission_id) DO UPDATE SET outcome = excluded.outcome, "
            "passed_s = excluded.passed_s, closed_s = excluded.closed_s "
            "WHERE passages.outcome = 'waiting' AND passages.gate IS excluded.gate"
        )
        cursor = self.db.execute(
            f"INSERT{' OR IGNORE' if not closing else ''} INTO passages "
            f"({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}){closing}",
            list(columns.values()),
        )
        return cursor.rowcount == 1

    def reservations(self, zone: str, now_s: float, margin_s: float) -> int:
        """The places the zone's other gates hold at ``now_s``: their entries heard open
        (``waiting``) and not yet closed, each for its window and ``margin_s`` after (the time
        its close takes to arrive). One whose close never comes (the peer died, or restarted
        and lost it) stops holding by itself then."""
        row = self.db.execute(
            "SELECT count(*) FROM passages WHERE zone = ? AND gate IS NOT NULL "
            "AND outcome = 'waiting' AND COALESCE(direction, 'entry') = 'entry' "
            "AND released_s + COALESCE(window_s, 0) + ? > ?",
            [zone, margin_s, now_s],
        ).fetchone()
        return int(row[0])

    def _in_zone(self, zone: str, *, waiting: bool) -> list[dict[str, Any]]:
        counted = _INSIDE_SQL if waiting else _COUNTED_SQL
        return list(
            self.db.query(
                "SELECT admission_id, person_id, direction, "
                "COALESCE(passed_s, released_s) AS at_s FROM passages "
                f"WHERE zone = ? AND {counted} ORDER BY at_s, admission_id",
                [zone],
            )
        )

    def occupancy_over_time(self, zone: str) -> list[tuple[float, int]]:
        """The zone's occupancy after each counted passage, in time order: entry +1, exit -1,
        never below nobody (an exit of someone who came in before the record began)."""
        inside, steps = 0, []
        for row in self._in_zone(zone, waiting=False):
            inside = max(0, inside + (-1 if row["direction"] == "exit" else 1))
            steps.append((row["at_s"], inside))
        return steps

    def occupancy(self, zone: str) -> int:
        """Who is in the zone now, by the passages; an admitted person still in the turnstile
        here (waiting) counts as inside: the next entry must not take their place. A peer's
        open passage does not (see :meth:`reservations`)."""
        inside = 0
        for row in self._in_zone(zone, waiting=True):
            inside = max(0, inside + (-1 if row["direction"] == "exit" else 1))
        return inside

    def last(self, zone: str, person_id: str) -> tuple[str, str] | None:
        """The admission and direction of ``person_id``'s latest passage into or out of the zone
        (still in the turnstile counts): whether they are inside, and by which passage."""
        rows = list(
            self.db.query(
                "SELECT admission_id, direction FROM passages "
                f"WHERE zone = ? AND person_id = ? AND {_INSIDE_SQL} "
                "ORDER BY COALESCE(passed_s, released_s) DESC, released_s DESC LIMIT 1",
                [zone, person_id],
            )
        )
        if not rows:
            return None
        return str(rows[0]["admission_id"]), str(rows[0]["direction"] or "entry")

    def people_inside(self, zone: str) -> list[PersonInside]:
        """Everyone identified whose latest passage into or out of the zone (still in the
        turnstile counts) was an entry, earliest entry first. People let in by a staff override
        have no identity and are not listed."""
        latest: dict[str, dict[str, Any]] = {}
        for row in self.db.query(
            "SELECT person_id, admission_id, direction, gate, "
            "COALESCE(passed_s, released_s) AS since_s FROM passages "
            f"WHERE zone = ? AND person_id IS NOT NULL AND {_INSIDE_SQL} "
            "ORDER BY COALESCE(passed_s, released_s), released_s",
            [zone],
        ):
            latest[row["person_id"]] = row
        inside = [row for row in latest.values() if row["direction"] != "exit"]
        return [
            PersonInside(row["person_id"], row["admission_id"], row["since_s"], row["gate"])
            for row in sorted(inside, key=lambda row: (row["since_s"], row["person_id"]))
        ]
