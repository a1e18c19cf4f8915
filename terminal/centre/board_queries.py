"""What the board and the security desk show: the gates and their state, zones and roll calls,
flags, faults, daily reports and commands. Reads only; each call is one read transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from terminal.centre.flags import FLAG_COLUMNS, parse_flag_ref
from terminal.centre.guarded import Guarded
from terminal.centre.schema import COMMAND_COLUMNS, GATE_COLUMNS
from terminal.centre.times import day_bounds, epoch, moment, moment_or_none, utcnow
from terminal.centre.views import (
    EMERGENCY,
    BoardSettings,
    CommandView,
    FaultView,
    FlagView,
    FlagWait,
    GateState,
    GateView,
    MusterPersonView,
    MusterView,
    ReportState,
    ScreeningView,
    ZoneGateView,
    ZoneView,
)

# open first (waiting for a guard, or a person not yet escorted) as a queue, in the order they
# arrived (the gate's time of the first alert); then the resolved ones, newest first
_FLAG_ORDER = (
    "CASE WHEN state IN ('open', 'fever_confirmed') THEN 0 ELSE 1 END, "
    "CASE WHEN state IN ('open', 'fever_confirmed') THEN raised_s ELSE -raised_s END, "
    "gate, flag_id"
)
# the expected wait at a gate: the median time its flags took from the first alert to the
# guard's reading, over at most this many resolved within the last hours; a plain default
# before any
WAIT_SAMPLE = 10
WAIT_WINDOW_S = 6 * 3600.0
DEFAULT_WAIT_S = 300.0
_JOINED_FLAG_COLUMNS = ", ".join(f"f.{column}" for column in FLAG_COLUMNS.split(", "))


def flag_view(row: Sequence[Any]) -> FlagView:
    """A row of :data:`FLAG_COLUMNS` as the desk shows it (a 36th value: when the person was
    told to rest, for a not-returned flag)."""
    return FlagView(
        flag_id=row[0], park=row[1], gate=row[2], person_id=row[3], kind=row[4],
        temperature_c=row[5], first_c=row[6], route=row[7], isolation_room=row[8],
        isolation_location=row[9], raised_at=moment(row[10]), alerts=max(1, int(row[11])),
        last_alert_at=moment(row[12]), state=row[13], clinical_c=row[14], guard=row[15],
        resolved_at=moment_or_none(row[16]), taken_by=row[17], taken_at=moment_or_none(row[18]),
        escorted_by=row[19], escorted_at=moment_or_none(row[20]), escort_note=row[21],
        reason=row[22], object_c=row[23], threshold_c=row[24], reference_c=row[25],
        reference_basis=row[26], why=row[27], identity=row[28], identified_by=row[29],
        identified_at=moment_or_none(row[30]), escalated_at=moment_or_none(row[31]),
        dismissed_by=row[32], dismissed_at=moment_or_none(row[33]), dismiss_note=row[34],
        told_at=moment_or_none(row[35]) if len(row) > 35 else None,
    )  # fmt: skip


def screening_view(text: str | None) -> ScreeningView | None:
    """A gate's stored screening status; None when it sent none (or one this centre cannot
    read: shown as none, never guessed)."""
    if not text:
        return None
    try:
        data = json.loads(text)
        return ScreeningView(
            budget=float(data["budget"]), screened_today=int(data["screened_today"]),
            sent_to_guard_today=int(data["sent_to_guard_today"]),
            rested_today=int(data["rested_today"]), resting_now=int(data["resting_now"]),
            not_returned_today=int(data["not_returned_today"]),
            estimated_catch=data.get("estimated_catch"),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError):
        return None


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


class BoardQueries:
    def __init__(self, guarded: Guarded, settings: BoardSettings) -> None:
        self._guarded = guarded
        self._db = guarded.db
        self.settings = settings
        self._zone = ZoneInfo(settings.timezone)

    def gate_state(self, state: str | None, last_seen_s: float | None, now_s: float) -> GateState:
        if state is None:
            return "unknown"  # events seen, never a status
        if state == "online" and (
            last_seen_s is None or now_s - last_seen_s > self.settings.offline_after_s
        ):
            return "silent"
        return state  # type: ignore[return-value]

    def gates(self, now: datetime) -> list[GateView]:
        """Every gate known (or expected), by park and gate id."""
        now_s = epoch(now)
        today = datetime.fromtimestamp(now_s, self._zone).date()
        start_s, end_s = day_bounds(today, self._zone)
        with self._guarded.lock:
            rows = self._db.query(f"SELECT {GATE_COLUMNS} FROM gates")
            counts = {
                (r[0], r[1]): int(r[2])
                for r in self._db.query(
                    "SELECT park, gate, COUNT(*) FROM checks WHERE occurred_s >= ? "
                    "AND occurred_s < ? GROUP BY park, gate",
                    (start_s, end_s),
                )
            }
            reports = {
                (r[0], r[1])
                for r in self._db.query(
                    "SELECT park, gate FROM daily_reports WHERE day = ?", (today.isoformat(),)
                )
            }
            active = self._active_faults()
            self._db.commit()
        due_s = datetime.combine(today, self.settings.report_due_at, self._zone).timestamp()

        def report_state(key: tuple[str, str]) -> ReportState:
            if key in reports:
                return "sent"
            return "late" if now_s >= due_s else "due"

        views: dict[tuple[str, str], GateView] = {}
        for row in rows:
            key = (row[0], row[1])
            faults = list(json.loads(row[10])) if row[10] else []
            faults += [kind for kind in active.get(key, []) if kind not in faults]
            views[key] = GateView(
                park=row[0], gate=row[1], state=self.gate_state(row[2], row[6], now_s),
                last_seen=moment_or_none(row[6]),
                lockdown=None if row[8] is None else bool(row[8]), risk_tier=row[9],
                faults=faults, backlog=None if row[11] is None else int(row[11]),
                health=json.loads(row[7]) if row[7] else None,
                connection_problem=json.loads(row[12]) if row[12] else None,
                checks_today=counts.get(key, 0), report_today=report_state(key),
                software_version=row[4], boot_id=row[3], screening=screening_view(row[13]),
            )  # fmt: skip
        for key in self.settings.expected_gates:
            if key not in views:
                views[key] = GateView(
                    park=key[0], gate=key[1], state="unknown", last_seen=None, lockdown=None,
                    risk_tier=None, faults=[], backlog=None, health=None,
                    connection_problem=None, checks_today=counts.get(key, 0),
                    report_today=report_state(key),
                )  # fmt: skip
        return [views[key] for key in sorted(views)]

    def _active_faults(self) -> dict[tuple[str, str], list[str]]:
        active: dict[tuple[str, str], list[str]] = {}
        for park, gate, kind in self._db.query(
            "SELECT park, gate, kind FROM faults WHERE active = 1 ORDER BY since_s"
        ):
            active.setdefault((park, gate), []).append(kind)
        return active

    def zones(self, now: datetime) -> list[ZoneView]:
        """Every zone the gates report, by park and name: each gate's count, and today's waits
        for room and zone refusals at the zone's gates."""
        now_s = epoch(now)
        start_s, end_s = day_bounds(datetime.fromtimestamp(now_s, self._zone).date(), self._zone)
        with self._guarded.lock:
            rows = self._db.query(
                "SELECT z.park, z.zone, z.gate, g.state, g.last_seen_s, z.inside, z.capacity, "
                "z.assumption, z.occurred_s FROM gate_zones z LEFT JOIN gates g "
                "ON g.park = z.park AND g.gate = z.gate WHERE z.zone IS NOT NULL "
                "ORDER BY z.park, z.zone, z.gate"
            )
            refusals = {
                (r[0], r[1], r[2]): int(r[3])
                for r in self._db.query(
                    "SELECT park, gate, reason, COUNT(*) FROM checks WHERE occurred_s >= ? "
                    "AND occurred_s < ? AND reason IN ('zone_full', 'anti_passback', "
                    "'not_inside') GROUP BY park, gate, reason",
                    (start_s, end_s),
                )
            }
            self._db.commit()
        grouped: dict[tuple[str, str], list[ZoneGateView]] = {}
        for row in rows:
            grouped.setdefault((row[0], row[1]), []).append(
                ZoneGateView(
                    gate=row[2],
                    state=self.gate_state(row[3], row[4], now_s),
                    inside=int(row[5] or 0),
                    capacity=None if row[6] is None else int(row[6]),
                    assumption=row[7],
                    reported_at=moment(row[8]),
                )
            )

        def today(park: str, gates: list[ZoneGateView], reason: str) -> int:
            return sum(refusals.get((park, g.gate, reason), 0) for g in gates)

        return [
            ZoneView(
                park=park,
                name=name,
                gates=gates,
                waits_today=today(park, gates, "zone_full"),
                passback_today=today(park, gates, "anti_passback"),
                not_inside_today=today(park, gates, "not_inside"),
            )
            for (park, name), gates in grouped.items()
        ]

    def musters(self) -> list[MusterView]:
        """The roll call of every gate whose fire alarm sounds now (its emergency fault is
        active), the oldest alarm first."""
        with self._guarded.lock:
            rows = self._db.query(
                "SELECT m.emergency_id, m.park, m.gate, m.zone, m.started_s, m.inside_count "
                "FROM musters m JOIN faults f ON f.park = m.park AND f.gate = m.gate "
                "AND f.kind = ? AND f.active = 1 WHERE m.started_s >= f.since_s "
                "ORDER BY m.started_s",
                (EMERGENCY,),
            )
            people: dict[tuple[str, str, str], list[MusterPersonView]] = {}
            for row in rows:
                people[(row[1], row[2], row[0])] = [
                    MusterPersonView(p[0], moment(p[1]), p[2], p[3], moment_or_none(p[4]))
                    for p in self._db.query(
                        "SELECT person_id, since_s, by_gate, accounted_by, accounted_s "
                        "FROM muster_people WHERE park = ? AND gate = ? AND emergency_id = ? "
                        "ORDER BY since_s, person_id",
                        (row[1], row[2], row[0]),
                    )
                ]
            self._db.commit()
        return [
            MusterView(r[0], r[1], r[2], r[3], moment(r[4]), int(r[5]), people[(r[1], r[2], r[0])])
            for r in rows
        ]

    def flags(self, open_only: bool = False, limit: int = 200) -> list[FlagView]:
        """Open first (waiting for a guard, or a person not yet escorted), fevers first, oldest
        first; then the resolved ones, newest first."""
        where = "WHERE state IN ('open', 'fever_confirmed')" if open_only else ""
        rows = self._guarded.read(
            f"SELECT {FLAG_COLUMNS} FROM flags {where} ORDER BY {_FLAG_ORDER} LIMIT ?", (limit,)
        )
        return [flag_view(row) for row in rows]

    def not_returned(self, open_only: bool = True, limit: int = 200) -> list[FlagView]:
        """People told to rest who never came back, the earliest first, with when they were
        told (their check's time, when it reached the centre)."""
        where = "AND f.state = 'open'" if open_only else ""
        rows = self._guarded.read(
            f"SELECT {_JOINED_FLAG_COLUMNS}, c.occurred_s FROM flags f LEFT JOIN checks c "
            "ON c.park = f.park AND c.gate = f.gate AND c.event_id = f.flag_id "
            f"WHERE f.kind = 'not_returned' {where} ORDER BY f.raised_s, f.gate, f.flag_id "
            "LIMIT ?",
            (limit,),
        )
        return [flag_view(row) for row in rows]

    def flag_waits(self, now: datetime) -> dict[str, FlagWait]:
        """Gate -> its queue at the desk and the expected wait there (an estimate from the
        flags its guards resolved lately, or the default)."""
        since_s = epoch(now) - WAIT_WINDOW_S
        with self._guarded.lock:
            waiting = self._db.query(
                "SELECT gate, COUNT(*) FROM flags WHERE state = 'open' "
                "AND kind <> 'not_returned' GROUP BY gate"
            )
            took = self._db.query(
                "SELECT gate, resolved_s - raised_s FROM flags WHERE clinical_c IS NOT NULL "
                "AND resolved_s IS NOT NULL AND resolved_s >= ? ORDER BY resolved_s DESC",
                (since_s,),
            )
            self._db.commit()
        lately: dict[str, list[float]] = {}
        for gate, seconds in took:
            sample = lately.setdefault(gate, [])
            if len(sample) < WAIT_SAMPLE:
                sample.append(max(0.0, float(seconds)))
        waits = {}
        for gate, count in waiting:
            sample = lately.get(gate, [])
            expected = median(sample) if sample else DEFAULT_WAIT_S
            waits[gate] = FlagWait(gate, int(count), expected, len(sample))
        return dict(sorted(waits.items()))

    def flag(self, ref: str) -> FlagView | None:
        """The flag a :attr:`FlagView.ref` names; None when there is none."""
        key = parse_flag_ref(ref)
        if key is None:
            return None
        rows = self._guarded.read(
            f"SELECT {FLAG_COLUMNS} FROM flags WHERE park = ? AND gate = ? AND flag_id = ?", key
        )
        return flag_view(rows[0]) if rows else None

    def faults(self, active_only: bool = True) -> list[FaultView]:
        where = "WHERE active = 1" if active_only else ""
        rows = self._guarded.read(
            f"SELECT park, gate, kind, active, detail, since_s FROM faults {where} "
            "ORDER BY since_s DESC"
        )
        return [FaultView(r[0], r[1], r[2], bool(r[3]), r[4], moment(r[5])) for r in rows]

    def daily_reports(self, day: date) -> dict[str, dict[str, Any] | None]:
        """Gate -> the daily report it sent for this day (its data), or None: every gate known
        or expected is a key."""
        with self._guarded.lock:
            rows = self._db.query(
                "SELECT gate, data FROM daily_reports WHERE day = ?", (day.isoformat(),)
            )
            gates = [r[0] for r in self._db.query("SELECT gate FROM gates")]
            self._db.commit()
        reports: dict[str, dict[str, Any] | None] = dict.fromkeys(gates)
        reports.update(dict.fromkeys(gate for _, gate in self.settings.expected_gates))
        for gate, data in rows:
            reports[gate] = json.loads(data)
        return dict(sorted(reports.items()))

    def command_results(self, limit: int = 100, now: datetime | None = None) -> list[CommandView]:
        """The newest first; a sent command with no result after its expiry is expired."""
        now_s = epoch(now or utcnow())
        rows = self._guarded.read(
            f"SELECT {COMMAND_COLUMNS} FROM commands ORDER BY issued_s DESC LIMIT ?", (limit,)
        )
        views = []
        for row in rows:
            outcome, detail = row[8], row[9]
            expires_s = row[6] if row[6] is not None else row[5] + self.settings.command_lifetime_s
            if outcome == "sent" and now_s > expires_s:
                outcome, detail = "expired", "no answer from the gate before it expired"
            views.append(
                CommandView(
                    command_id=row[0], name=row[1], park=row[2], gate=row[3], issued_by=row[4],
                    issued_at=moment(row[5]), payload_summary=row[7], outcome=outcome,
                    detail=detail,
                )
            )  # fmt: skip
        return views
