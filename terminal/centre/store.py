"""The operations centre's database: what the gates sent, and what the centre's staff did.

One :class:`Store` over SQLite (the default: a file, nothing to install) or PostgreSQL (a park's or
a district's server), with the same behaviour on both. The store is a facade over parts with one
job each, sharing one connection and one lock (:mod:`terminal.centre.guarded`):

- :mod:`~terminal.centre.ingest` - the collector's messages -> rows (its writes: ``gate_rows``)
- :mod:`~terminal.centre.board_queries` - what the board and the desk show
- :mod:`~terminal.centre.records` - records search and exports
- :mod:`~terminal.centre.actions` - what the staff do: take, escort, roll call, commands
- :mod:`~terminal.centre.accounts` - users and login sessions
- :mod:`~terminal.centre.audit` - who did what

The tables are in :mod:`~terminal.centre.schema`, and the steps from an older database in
:mod:`~terminal.centre.migrations`. Everything a gate sends is keyed by its park and gate (the
topic's) and its own id. Messages may arrive out of order (several collectors, a gate's backlog
sent late): a flag's state only moves forward (open -> admitted / refused / fever_confirmed ->
escorted), whatever the order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from terminal.centre.accounts import Accounts, StoreError
from terminal.centre.actions import StaffActions, command_summary
from terminal.centre.audit import AuditLog
from terminal.centre.board_queries import BoardQueries
from terminal.centre.database import Database, connect
from terminal.centre.guarded import Guarded
from terminal.centre.ingest import BadPayload, ForeignGate, Ingest
from terminal.centre.inspection import Inspection, PrintedLines
from terminal.centre.migrations import SchemaError, upgrade
from terminal.centre.persons import PersonRequests
from terminal.centre.records import Records
from terminal.centre.retention import PurgeResult, Retention
from terminal.centre.schema import SCHEMA
from terminal.centre.times import day_bounds, utcnow
from terminal.centre.views import (
    EMERGENCY,
    GATE_ALERTS,
    ISOLATION_KINDS,
    ROLES,
    THERMOMETER_FAULT,
    AuditView,
    BoardSettings,
    CheckQuery,
    CheckView,
    CommandOutcome,
    CommandView,
    FaultView,
    FlagKind,
    FlagState,
    FlagView,
    FlagWait,
    GateState,
    GateView,
    MusterPersonView,
    MusterView,
    ReportState,
    Role,
    ScreeningView,
    UserView,
    VehicleQuery,
    VehicleView,
    ZoneGateView,
    ZoneView,
)

__all__ = [
    "EMERGENCY", "GATE_ALERTS", "ISOLATION_KINDS", "ROLES", "SCHEMA", "THERMOMETER_FAULT",
    "AuditView", "BadPayload", "BoardSettings", "CheckQuery", "CheckView", "CommandOutcome",
    "CommandView", "FaultView", "FlagKind", "FlagState", "FlagView", "FlagWait", "ForeignGate",
    "GateState", "GateView", "MusterPersonView", "MusterView", "PurgeResult", "ReportState", "Role",
    "SchemaError", "ScreeningView", "Store", "StoreError", "UserView", "VehicleQuery",
    "VehicleView", "ZoneGateView", "ZoneView",
    "command_summary", "day_bounds", "open_store",
]  # fmt: skip


class Store:
    """The centre's database; see the module's docstring. Thread-safe: the collector's thread and
    the web application's share one store (one connection, one lock)."""

    def __init__(self, database: Database, settings: BoardSettings | None = None) -> None:
        self.settings = settings or BoardSettings()
        self._guarded = Guarded(database)
        self._db = database
        _open(database)
        self._ingest = Ingest(self._guarded)
        self._board = BoardQueries(self._guarded, self.settings)
        self._records = Records(self._guarded, self.settings.timezone)
        self._actions = StaffActions(self._guarded)
        self._accounts = Accounts(self._guarded)
        self._audit = AuditLog(self._guarded)
        self._inspection = Inspection(self._guarded)
        self._retention = Retention(self._guarded, self.settings.timezone)
        # a person's own data: their requests, the gates' answers, their erasure
        self.persons = PersonRequests(self._guarded)

    @property
    def url(self) -> str:
        """The database, without a password."""
        return self._db.display_url

    def close(self) -> None:
        with self._guarded.lock:
            self._db.close()

    def version(self) -> int:
        """A number that grows on every change (cheap: the web's live updates poll it)."""
        with self._guarded.lock:
            value = self._db.version()
            self._db.commit()
            return value

    # --- ingest (the collector) ----------------------------------------------------------------
    @property
    def bad_payloads(self) -> int:
        """Messages refused since the store opened (each counted once, logged by topic)."""
        return self._ingest.bad_payloads

    def ingest(
        self, topic: str, payload: bytes, received_at: datetime, *, retained: bool = False
    ) -> bool:
        """Store one message from a gate. True when it changed something; False for a duplicate,
        a message that is not the centre's (a command to a gate) or an older status. A payload
        the contract does not allow is counted (:attr:`bad_payloads`) and logged in one line that
        names the topic, never its content. ``retained``: the broker kept it (a status delivered
        on subscribe): it tells the gate's last state, not that the gate is alive now."""
        return self._ingest.ingest_many([(topic, payload, received_at, retained)])[0]

    def ingest_many(self, messages: Sequence[tuple[str, bytes, datetime, bool]]) -> list[bool]:
        """:meth:`ingest` for several messages in one transaction (the collector's batches)."""
        return self._ingest.ingest_many(messages)

    # --- the board and the desk ----------------------------------------------------------------
    def gates(self, now: datetime) -> list[GateView]:
        return self._board.gates(now)

    def zones(self, now: datetime) -> list[ZoneView]:
        return self._board.zones(now)

    def musters(self) -> list[MusterView]:
        return self._board.musters()

    def flags(self, open_only: bool = False, limit: int = 200) -> list[FlagView]:
        return self._board.flags(open_only, limit)

    def flag(self, ref: str) -> FlagView | None:
        return self._board.flag(ref)

    def not_returned(self, open_only: bool = True, limit: int = 200) -> list[FlagView]:
        return self._board.not_returned(open_only, limit)

    def flag_waits(self, now: datetime) -> dict[str, FlagWait]:
        return self._board.flag_waits(now)

    def faults(self, active_only: bool = True) -> list[FaultView]:
        return self._board.faults(active_only)

    def daily_reports(self, day: date) -> dict[str, dict[str, Any] | None]:
        return self._board.daily_reports(day)

    def command_results(self, limit: int = 100, now: datetime | None = None) -> list[CommandView]:
        return self._board.command_results(limit, now)

    # --- records search and exports ------------------------------------------------------------
    def checks(self, query: CheckQuery, limit: int = 500) -> list[CheckView]:
        return self._records.checks(query, limit)

    def iter_checks(self, query: CheckQuery, batch: int = 1000) -> Iterator[CheckView]:
        return self._records.iter_checks(query, batch)

    def flow_per_hour(self, day: date, tz: ZoneInfo | None = None) -> dict[str, list[int]]:
        return self._records.flow_per_hour(day, tz)

    def denials_by_reason(self, day: date, tz: ZoneInfo | None = None) -> dict[str, int]:
        return self._records.denials_by_reason(day, tz)

    def vehicles(self, limit: int = 100, query: VehicleQuery | None = None) -> list[VehicleView]:
        return self._records.vehicles(limit, query)

    def iter_vehicles(
        self, query: VehicleQuery, batch: int = 500, newest_first: bool = False
    ) -> Iterator[VehicleView]:
        return self._records.iter_vehicles(query, batch, newest_first)

    def printed_lines(self, start_s: float, end_s: float, gate: str | None = None) -> PrintedLines:
        """The checks, secondary checks and vehicles of the printed record (None: every gate)."""
        return self._inspection.lines(start_s, end_s, gate)

    # --- staff actions -------------------------------------------------------------------------
    def take(self, ref: str, user: str, at: datetime | None = None) -> None:
        self._actions.take(ref, user, at)

    def record_escort(self, ref: str, user: str, note: str, at: datetime | None = None) -> None:
        self._actions.record_escort(ref, user, note, at)

    def identify(self, ref: str, user: str, identity: str, at: datetime | None = None) -> bool:
        return self._actions.identify(ref, user, identity, at)

    def dismiss(self, ref: str, user: str, note: str, at: datetime | None = None) -> bool:
        return self._actions.dismiss(ref, user, note, at)

    def escalate_due(self, now: datetime, after_s: float, role: str) -> list[str]:
        return self._actions.escalate_due(now, after_s, role)

    def account(
        self, emergency_id: str, person_id: str, user: str, at: datetime | None = None
    ) -> bool:
        return self._actions.account(emergency_id, person_id, user, at)

    def record_command(self, command: dict[str, Any], user: str) -> None:
        self._actions.record_command(command, user)

    def command_failed(self, command_id: str, detail: str) -> None:
        self._actions.command_failed(command_id, detail)

    # --- audit ---------------------------------------------------------------------------------
    def audit(self, user: str, action: str, detail: str, at: datetime | None = None) -> None:
        self._audit.audit(user, action, detail, at)

    def audit_view(
        self, user: str, action: str, detail: str, within_s: float, at: datetime | None = None
    ) -> bool:
        return self._audit.audit_view(user, action, detail, within_s, at)

    def audit_log(self, limit: int = 200, action: str | None = None) -> list[AuditView]:
        return self._audit.audit_log(limit, action)

    # --- retention ---------------------------------------------------------------------------
    def purge_older_than(
        self, health_before: datetime, counts_before: datetime, at: datetime | None = None
    ) -> PurgeResult:
        """Forget the health data older than ``health_before`` and the counts and audit older
        than ``counts_before`` (:mod:`~terminal.centre.retention`); audited when it forgot
        anything. Whether the clock may be trusted is the caller's to know."""
        return self._retention.purge(health_before, counts_before, at or utcnow())

    # --- users and sessions --------------------------------------------------------------------
    def add_user(self, name: str, role: str, password_hash: str) -> None:
        self._accounts.add_user(name, role, password_hash)

    def user(self, name: str) -> UserView | None:
        return self._accounts.user(name)

    def set_password(self, name: str, password_hash: str) -> None:
        self._accounts.set_password(name, password_hash)

    def list_users(self) -> list[UserView]:
        return self._accounts.list_users()

    def create_session(self, token_sha256: str, user: str, expires_at: datetime) -> None:
        self._accounts.create_session(token_sha256, user, expires_at)

    def session(self, token_sha256: str, now: datetime) -> UserView | None:
        return self._accounts.session(token_sha256, now)

    def delete_session(self, token_sha256: str) -> None:
        self._accounts.delete_session(token_sha256)


def _open(db: Database) -> None:
    """An older database's tables first, as they are now; then whatever is missing. Under the
    schema lock, in one transaction: a failure leaves the database as it was, and closed."""
    try:
        db.lock_schema()
        upgrade(db)
        db.create(SCHEMA)
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('version', 0) ON CONFLICT (key) DO NOTHING"
        )
        db.commit()
    except BaseException:
        db.rollback()
        db.close()
        raise


def open_store(
    url: str, settings: BoardSettings | None = None, password: str | None = None
) -> Store:
    """``sqlite:///path/centre.db``, a bare path (SQLite), or ``postgresql://user@host/db``
    (``password`` from the centre's password file, never in the URL)."""
    try:
        return Store(connect(url, password), settings)
    except (StoreError, SchemaError):
        raise
    except Exception as exc:  # the driver's own error: one line, without the password
        first_line = " ".join(str(exc).split("\n")[0].split())[:300]
        raise StoreError(f"database: cannot open: {type(exc).__name__}: {first_line}") from None
