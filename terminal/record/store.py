"""The written record: every check, kept in SQLite on the terminal, that inspectors may ask for.

A check and the messages it must send to the operations centre are written in one transaction
(WAL, synchronous=FULL), committed before the relay moves: after a crash or a power cut, a check
either happened completely, with its messages waiting in the outbox, or not at all. Messages leave
the outbox only when the broker has acknowledged them.

:class:`Record` is the one object the gate holds. It composes the parts, one module per concern
(checks, outbox, holds, passages, events, boots and commands, reports; the file, its
transactions and its schema in :mod:`terminal.record.schema`), and owns the transactions that
write several of them at once. Nothing outside this package touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from terminal.record import (
    boots,
    checks,
    events,
    holds,
    outbox,
    passages,
    persons,
    reports,
    rests,
    schema,
)
from terminal.record.boots import Boots, CommandRow
from terminal.record.checks import CheckRow, Checks, ForeheadReading
from terminal.record.events import EVENT_TABLES, EmergencyRow, Events, FaultRow
from terminal.record.holds import Hold, Holds
from terminal.record.outbox import Outbox, OutboxMessage, OutboxRow
from terminal.record.passages import COUNTED_OUTCOMES, PassageRow, Passages
from terminal.record.persons import ErasureCounts, ErasureMode
from terminal.record.reports import DailyReportRow, Reports
from terminal.record.rests import RestRow, Rests
from terminal.record.schema import (
    SCHEMA_VERSION,
    RecordError,
    RecordFull,
    RecordTooNew,
    is_full,
    is_simulated_record,
    writing,
)

__all__ = [
    "COUNTED_OUTCOMES",
    "EVENT_TABLES",
    "SCHEMA_VERSION",
    "TABLES",
    "CheckRow",
    "CommandRow",
    "DailyReportRow",
    "EmergencyRow",
    "ErasureCounts",
    "ErasureMode",
    "FaultRow",
    "ForeheadReading",
    "Hold",
    "OutboxMessage",
    "OutboxRow",
    "PassageRow",
    "Record",
    "RecordError",
    "RecordFull",
    "RecordTooNew",
    "RestRow",
    "is_full",
    "is_simulated_record",
]

# every table of the current schema, by concern
TABLES = (
    *checks.TABLES,
    *outbox.TABLES,
    schema.META,
    *holds.TABLES,
    *boots.TABLES,
    *reports.TABLES,
    *passages.TABLES,
    *events.TABLES,
    *rests.TABLES,
)


class Record:
    def __init__(self, path: Path) -> None:
        self.db = schema.open_database(path)
        # checks added through this connection
        self.checks_added = 0
        # checks and other events (faults, results, reports) added through this connection: lets
        # the publisher skip asking for new messages on every camera frame when nothing was added
        self.writes_added = 0
        try:
            schema.prepare(self.db, path, TABLES)
        except BaseException:
            self.db.close()  # not held open by a gate that cannot use it
            raise
        self._checks = Checks(self.db)
        self._outbox = Outbox(self.db)
        self._holds = Holds(self.db)
        self._passages = Passages(self.db)
        self._events = Events(self.db)
        self._boots = Boots(self.db)
        self._reports = Reports(self.db)
        self._rests = Rests(self.db)

    # --- writes: each one transaction, with its messages, or nothing ---------------------------
    def add_check(
        self,
        check: CheckRow,
        messages: Iterable[OutboxMessage],
        hold: Hold | None = None,
        passage: PassageRow | None = None,
        rest: RestRow | None = None,
        returned_from: str | None = None,
    ) -> None:
        """The check, its messages, the hold its admission puts on its code, the passage it
        opens, the rest it tells the person to take, and the rest ``returned_from`` it closes as
        returned (the person's rested scan), durably, or nothing."""
        with writing(self.db):
            self._checks.insert(check)
            if hold is not None:
                self._holds.insert(check.event_id, check.epoch_s, hold)
            if passage is not None:
                self._passages.insert(passage)
            if rest is not None:
                self._rests.insert(rest)
            if returned_from is not None:
                self._rests.close(returned_from, "returned", check.epoch_s, check.event_id)
            self._outbox.insert(check.event_id, messages, check.epoch_s)
        self.checks_added += 1
        self.writes_added += 1

    def add_event(
        self,
        event_id: str,
        messages: Iterable[OutboxMessage],
        created_s: float,
        *,
        table: str | None = None,
        rows: list[dict[str, Any]] | None = None,
        hold: Hold | None = None,
        passage: PassageRow | None = None,
        ends_hold_of: str | None = None,
    ) -> None:
        """Messages that are not a check (a step of a secondary check, a sensor event, an
        override, an emergency, a vehicle, a zone event), with the ``rows`` of ``table``, the
        hold and the passage of an admission by staff, and the end of the hold of the admission
        ``ends_hold_of`` (a driver whose vehicle never came), in one transaction, or nothing."""
        if table is not None and (table not in EVENT_TABLES or not rows):
            raise ValueError(f"not an event table, or no rows: {table}")
        with writing(self.db):
            if table is not None and rows:
                self._events.insert(table, rows)
            if hold is not None:
                # an admission by staff holds the code under the check it admits (its passage's)
                held_by = passage.admission_id if passage is not None else event_id
                self._holds.insert(held_by, created_s, hold)
            if passage is not None:
                self._passages.insert(passage)
            if ends_hold_of is not None:
                self._holds.end(ends_hold_of, created_s)
            self._outbox.insert(event_id, messages, created_s)
        self.writes_added += 1

    def add_faults(
        self, event_id: str, messages: Iterable[OutboxMessage], at_s: float, faults: list[FaultRow]
    ) -> None:
        """Faults starting or ending, with their messages."""
        with writing(self.db):
            self._events.insert_faults(faults)
            self._outbox.insert(event_id, messages, at_s)
        self.writes_added += 1

    def close_rest_not_returned(
        self, rest_id: str, at_s: float, messages: Iterable[OutboxMessage]
    ) -> None:
        """A rest nobody came back from in time, with its messages, or nothing."""
        with writing(self.db):
            self._rests.close(rest_id, "not_returned", at_s, "gate")
            self._outbox.insert(rest_id, messages, at_s)
        self.writes_added += 1

    def end_emergency(self, event_id: str, messages: Iterable[OutboxMessage], at_s: float) -> None:
        """The fire alarm still sounding is over at ``at_s``, with its messages."""
        with writing(self.db):
            self._events.end_emergencies(at_s)
            self._outbox.insert(event_id, messages, at_s)
        self.writes_added += 1

    def add_command(self, event_id: str, message: OutboxMessage, command: CommandRow) -> None:
        """A command the gate took (or refused), with its result message."""
        with writing(self.db):
            self._boots.insert_command(command)
            self._outbox.insert(event_id, [message], command.received_s)
        self.writes_added += 1

    def add_daily_report(self, report: DailyReportRow, message: OutboxMessage) -> None:
        with writing(self.db):
            self._reports.insert(report)
            self._outbox.insert(report.event_id, [message], report.made_s)
        self.writes_added += 1

    def close_passage(
        self,
        admission_id: str,
        outcome: str,
        closed_s: float,
        messages: Iterable[OutboxMessage],
        passed_s: float | None = None,
    ) -> None:
        """A waiting passage is over (passed or not), with its message, or nothing."""
        with writing(self.db):
            self._passages.close(admission_id, outcome, closed_s, passed_s)
            self._outbox.insert(admission_id, messages, closed_s)
        self.writes_added += 1

    def add_peer_passage(self, passage: PassageRow) -> bool:
        """Another gate's passage into or out of the zone, once: a message heard twice (the
        broker redelivers, the peer resends after a restart) names the same admission. Its
        close replaces its open passage (``waiting``), once: a close heard again, or an open
        passage heard after its close, changes nothing. True when the record changed."""
        with writing(self.db):
            changed = self._passages.add_peer(passage)
        self.writes_added += 1
        return changed

    def mark_sent(self, ids: Iterable[int], at_s: float) -> None:
        ids = list(ids)
        if ids:
            with writing(self.db):
                self._outbox.mark_sent(ids, at_s)

    def purge_before(self, epoch_s: float) -> int:
        """Forget checks older than the retention period, with their delivered messages.
        Messages not yet delivered are kept: an event that was decided is never lost."""
        with writing(self.db):
            return self._reports.purge_before(epoch_s)

    def start_boot(self, boot_id: str, now_s: float) -> None:
        with writing(self.db):
            self._boots.start(boot_id, now_s)

    def alive(self, boot_id: str, now_s: float) -> None:
        """The service still runs: the daily report's uptime counts up to the last of these."""
        with writing(self.db):
            self._boots.alive(boot_id, now_s)

    def erase_person(self, person_id: str, pseudonym: str, mode: ErasureMode) -> ErasureCounts:
        """Pseudonymise (or delete) everything the record holds about ``person_id``, in one
        write transaction: see :mod:`terminal.record.persons`."""
        counts = persons.erase_person(self.db, TABLES, person_id, pseudonym, mode)
        self.writes_added += 1
        return counts

    def set_meta(self, key: str, value: str) -> None:
        with writing(self.db):
            schema.write_meta(self.db, key, value)

    def mark_simulated(self) -> None:
        """Label this record as the simulator's: only such a record may be replaced."""
        self.set_meta("simulated", "yes")

    # --- reads ---------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        return schema.read_meta(self.db, key)

    def held_by(self, fingerprint: str, person_id: str, now_s: float) -> str | None:
        return self._holds.held_by(fingerprint, person_id, now_s)

    def checks(self) -> list[dict[str, Any]]:
        return self._checks.all()

    def recent_readings(self, since_s: float) -> list[ForeheadReading]:
        return self._checks.recent_readings(since_s)

    def open_flags(self) -> list[dict[str, Any]]:
        return self._checks.open_flags()

    def person_data(self, person_id: str) -> dict[str, list[dict[str, Any]]]:
        """Everything the record holds about ``person_id``: table -> rows, as stored."""
        return persons.person_data(self.db, TABLES, person_id)

    def open_rest(self, person_id: str) -> RestRow | None:
        """The person's latest rest not closed yet (its times say whether it is still due)."""
        return self._rests.open_for(person_id)

    def expired_rests(self, now_s: float) -> list[RestRow]:
        return self._rests.expired(now_s)

    def rests(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM rests ORDER BY told_at_s, event_id"))

    def screening_counts(self, since_s: float, now_s: float) -> dict[str, int]:
        """Since ``since_s`` (a local midnight): screened, sent_to_guard, rested,
        not_returned; and resting (open rests still in time at ``now_s``)."""
        return {**self._checks.screening_counts(since_s), **self._rests.counts(since_s, now_s)}

    def admissions_without_vehicle(self, since_s: float) -> list[dict[str, Any]]:
        return self._checks.admissions_without_vehicle(since_s)

    def last_check_of(self, person_id: str, since_s: float) -> dict[str, Any] | None:
        return self._checks.last_of(person_id, since_s)

    def unsent(self, limit: int, exclude: Iterable[int] = ()) -> list[OutboxRow]:
        return self._outbox.unsent(limit, exclude)

    def count_unsent(self, topic_suffix: str | None = None) -> int:
        return self._outbox.count(sent=False, topic_suffix=topic_suffix)

    def count_sent(self, topic_suffix: str | None = None) -> int:
        return self._outbox.count(sent=True, topic_suffix=topic_suffix)

    def max_outbox_id(self) -> int:
        return self._outbox.max_id()

    def outbox(self) -> list[dict[str, Any]]:
        return self._outbox.all()

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self._events.rows(table)

    def open_emergency(self) -> EmergencyRow | None:
        return self._events.open_emergency()

    def waiting_passages(self) -> list[PassageRow]:
        return self._passages.waiting()

    def passages(self) -> list[dict[str, Any]]:
        return self._passages.all()

    def reservations(self, zone: str, now_s: float, margin_s: float) -> int:
        return self._passages.reservations(zone, now_s, margin_s)

    def occupancy_over_time(self, zone: str) -> list[tuple[float, int]]:
        return self._passages.occupancy_over_time(zone)

    def occupancy(self, zone: str) -> int:
        return self._passages.occupancy(zone)

    def last_passage(self, zone: str, person_id: str) -> tuple[str, str] | None:
        return self._passages.last(zone, person_id)

    def inside_since(self, zone: str, person_id: str) -> str | None:
        """The admission by which ``person_id`` entered the zone and has not left since."""
        last = self._passages.last(zone, person_id)
        return last[0] if last is not None and last[1] != "exit" else None

    def people_inside(self, zone: str) -> list[dict[str, Any]]:
        """Everyone identified inside the zone now, earliest entry first: ``person_id``,
        ``admission_id``, ``since_s``, ``gate`` (None: this gate)."""
        return [asdict(person) for person in self._passages.people_inside(zone)]

    def uptime_s(self, start_s: float, end_s: float) -> float:
        return self._boots.uptime_s(start_s, end_s)

    def command_seen(self, command_id: str) -> bool:
        return self._boots.command_seen(command_id)

    def commands(self) -> list[dict[str, Any]]:
        return self._boots.commands()

    def day_counts(self, start_s: float, end_s: float) -> dict[str, Any]:
        return self._reports.day_counts(start_s, end_s)

    def daily_report(self, day: str) -> str | None:
        return self._reports.daily_report(day)

    def close(self) -> None:
        self.db.close()
