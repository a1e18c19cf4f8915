"""A person's own data at the centre: their requests, the gates' answers, the one file they get,
and their erasure.

An export request sends ``export_person`` to every gate; each gate answers on ``person/data`` in
pages, kept here (``person_pages``) only for a gate this centre asked under that command id. The
download is one JSON file: what the centre holds about the person and every gate's answer, times
in ISO 8601 with the park's offset.

An erasure request erases the centre's own rows (:mod:`terminal.centre.erasure`) and sends
``erase_person`` to every gate. A request keeps a salted hash of the person's id, never the id
once they are erased: the audit log shows that, when, by whom and why an erasure was done; a
person who gives their id again can be matched to it (HMAC-SHA256 with the centre's own random
salt, kept in the ``privacy`` table), but the log does not hold the id to read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from terminal.centre.database import Database
from terminal.centre.erasure import (
    CentreErasure,
    erase_at_centre,
    person_mentions,
    person_rows,
    stored_spellings,
)
from terminal.centre.guarded import Guarded
from terminal.centre.times import moment
from terminal.common.mentions import Mentions, owner_masked
from terminal.common.safetext import printable
from terminal.common.times import iso
from terminal.link import contract

RequestKind = Literal["export", "erase"]
# a gate's answer to each, as the audit log names it
ANSWER_ACTIONS = {"export_person": "person_export_answer", "erase_person": "person_erase_answer"}
PERSON_COMMANDS = tuple(ANSWER_ACTIONS)
# the centre's own bookkeeping of requests: never part of what it holds about a person
REQUEST_TABLES = ("person_requests", "person_request_gates", "person_pages")
# a column ending in _s is a moment (epoch seconds) but these, which are lengths of time
DURATIONS = frozenset({"check_s", "window_s", "open_s", "uptime_s", "processing_ms"})

PERSON_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS privacy (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS person_requests (
        request_id TEXT PRIMARY KEY, kind TEXT NOT NULL, person_hash TEXT NOT NULL,
        person_id TEXT, pseudonym TEXT, mode TEXT, reason TEXT NOT NULL,
        asked_by TEXT NOT NULL, asked_s DOUBLE PRECISION NOT NULL, centre_outcome TEXT)""",
    """CREATE TABLE IF NOT EXISTS person_request_gates (
        request_id TEXT NOT NULL, park TEXT NOT NULL, gate TEXT NOT NULL, command_id TEXT,
        PRIMARY KEY (request_id, park, gate))""",
    """CREATE TABLE IF NOT EXISTS person_pages (
        park TEXT NOT NULL, gate TEXT NOT NULL, command_id TEXT NOT NULL, page BIGINT NOT NULL,
        pages BIGINT NOT NULL, person_id TEXT NOT NULL, data TEXT NOT NULL,
        received_s DOUBLE PRECISION NOT NULL, PRIMARY KEY (park, gate, command_id, page))""",
)


@dataclass(frozen=True)
class PersonRequestView:
    request_id: str
    kind: RequestKind
    person_hash: str
    person_id: str | None  # an export's, until the person is erased; never an erasure's
    pseudonym: str | None
    mode: str | None
    reason: str
    asked_by: str
    asked_at: datetime
    centre_outcome: str | None


@dataclass(frozen=True)
class GateAnswer:
    """One gate's part of a request: the command's outcome, and the pages come in."""

    park: str
    gate: str
    command_id: str | None  # None: the command could not be sent
    outcome: str  # sent, done, refused, failed, not sent
    detail: str
    pages_in: int
    pages: int | None

    @property
    def complete(self) -> bool:
        return self.pages is not None and self.pages_in >= self.pages


@dataclass(frozen=True)
class HeldPerson:
    """What the centre holds under an id typed in any case (person ids are ASCII)."""

    typed: str
    spellings: tuple[str, ...]  # as the rows hold them, the most held first
    rows: dict[str, int]  # table -> its rows that mention them (or a code they showed)

    @property
    def stored_id(self) -> str:
        """The spelling the gates wrote (their roster's); the typed one when none is held."""
        return self.spellings[0] if self.spellings else self.typed


def new_pseudonym() -> str:
    """``erased-`` and 8 random hex digits: new for each request, never anybody's id."""
    return f"erased-{secrets.token_hex(4)}"


def store_page(
    db: Database, park: str, gate: str, event: contract.PersonDataEvent, at_s: float
) -> Callable[[], int]:
    """A page of a gate's answer, in the ingest's transaction: kept only when this centre asked
    that gate under that command id; a page heard twice changes nothing."""
    data = event.data
    return db.later(
        "INSERT INTO person_pages (park, gate, command_id, page, pages, person_id, data, "
        "received_s) SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM "
        "person_request_gates WHERE park = ? AND gate = ? AND command_id = ?) "
        "ON CONFLICT (park, gate, command_id, page) DO NOTHING",
        (
            park, gate, data.request_id, data.page, data.pages, data.person_id,
            json.dumps(data.tables, ensure_ascii=False), at_s, park, gate, data.request_id,
        ),
    )  # fmt: skip


def person_answer_audited(
    db: Database, park: str, gate: str, event: contract.CommandResultEvent
) -> None:
    """A gate's answer to an export or an erasure, in the audit log once (in the ingest's
    transaction); the answer never names the person."""
    data = event.data
    detail = printable(f"{park}/{gate} command {data.command_id}: {data.outcome}: {data.detail}")
    db.execute(
        "INSERT INTO audit (at_s, username, action, detail) SELECT ?, ?, ?, ? "
        "WHERE NOT EXISTS (SELECT 1 FROM audit WHERE action = ? AND detail = ?)",
        (
            event.occurred_at.timestamp(), printable(f"gate {park}/{gate}")[:100],
            ANSWER_ACTIONS[data.name], detail[:500], ANSWER_ACTIONS[data.name], detail[:500],
        ),
    )  # fmt: skip


class PersonRequests:
    """The requests, the gates' answers and the erasure, over the store's connection."""

    def __init__(self, guarded: Guarded) -> None:
        self._guarded = guarded

    def person_hash(self, person_id: str) -> str:
        """HMAC-SHA256 of the id under the centre's salt (made once, at the first request)."""
        with self._guarded.lock:
            rows = self._guarded.db.query("SELECT value FROM privacy WHERE key = 'salt'")
            if not rows:
                self._guarded.db.execute(
                    "INSERT INTO privacy (key, value) VALUES ('salt', ?) "
                    "ON CONFLICT (key) DO NOTHING",
                    (secrets.token_hex(32),),
                )
                rows = self._guarded.db.query("SELECT value FROM privacy WHERE key = 'salt'")
            self._guarded.db.commit()
        salt = bytes.fromhex(str(rows[0][0]))
        return hmac.new(salt, person_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def held(self, typed: str) -> HeldPerson:
        """The spellings of ``typed`` the centre holds and how many rows per table mention the
        person (the request's own bookkeeping left out)."""
        with self._guarded.lock:
            db = self._guarded.db
            spellings = stored_spellings(db, typed, leave_out=REQUEST_TABLES)
            found = person_rows(db, person_mentions(db, typed), leave_out=REQUEST_TABLES)
            db.commit()
        ordered = sorted(spellings, key=lambda spelling: (-spellings[spelling], spelling))
        rows = {table: len(found[table]) for table in sorted(found)}
        return HeldPerson(typed, tuple(ordered), rows)

    def open_request(
        self,
        kind: RequestKind,
        person_id: str,
        asked_by: str,
        at_s: float,
        reason: str,
        *,
        pseudonym: str | None = None,
        mode: str | None = None,
    ) -> str:
        """A new request; its id. An erasure's request never keeps the id."""
        request_id = secrets.token_hex(8)
        self._guarded.change(
            "INSERT INTO person_requests (request_id, kind, person_hash, person_id, pseudonym, "
            "mode, reason, asked_by, asked_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request_id, kind, self.person_hash(person_id),
                person_id if kind == "export" else None, pseudonym, mode, reason, asked_by, at_s,
            ),
        )  # fmt: skip
        return request_id

    def add_gate(self, request_id: str, park: str, gate: str, command_id: str | None) -> None:
        self._guarded.change(
            "INSERT INTO person_request_gates (request_id, park, gate, command_id) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (request_id, park, gate) DO UPDATE SET "
            "command_id = excluded.command_id",
            (request_id, park, gate, command_id),
        )

    def set_centre_outcome(self, request_id: str, outcome: str) -> None:
        self._guarded.change(
            "UPDATE person_requests SET centre_outcome = ? WHERE request_id = ?",
            (outcome[:500], request_id),
        )

    def request(self, request_id: str) -> PersonRequestView | None:
        rows = self._guarded.read(
            "SELECT request_id, kind, person_hash, person_id, pseudonym, mode, reason, asked_by, "
            "asked_s, centre_outcome FROM person_requests WHERE request_id = ?",
            (request_id,),
        )
        return _request_view(rows[0]) if rows else None

    def requests(self, limit: int = 50) -> list[PersonRequestView]:
        rows = self._guarded.read(
            "SELECT request_id, kind, person_hash, person_id, pseudonym, mode, reason, asked_by, "
            "asked_s, centre_outcome FROM person_requests ORDER BY asked_s DESC LIMIT ?",
            (limit,),
        )
        return [_request_view(row) for row in rows]

    def answers(self, request_id: str) -> list[GateAnswer]:
        """Each gate asked, with its command's outcome and the pages come in."""
        rows = self._guarded.read(
            "SELECT g.park, g.gate, g.command_id, c.outcome, c.detail, "
            "(SELECT count(*) FROM person_pages p WHERE p.park = g.park AND p.gate = g.gate "
            "AND p.command_id = g.command_id), "
            "(SELECT max(pages) FROM person_pages p WHERE p.park = g.park AND p.gate = g.gate "
            "AND p.command_id = g.command_id) "
            "FROM person_request_gates g LEFT JOIN commands c ON c.park = g.park "
            "AND c.gate = g.gate AND c.command_id = g.command_id "
            "WHERE g.request_id = ? ORDER BY g.park, g.gate",
            (request_id,),
        )
        return [
            GateAnswer(
                park, gate, command_id,
                outcome if command_id else "not sent", detail or "", int(pages_in or 0),
                None if pages is None else int(pages),
            )
            for park, gate, command_id, outcome, detail, pages_in, pages in rows
        ]  # fmt: skip

    def export(self, request_id: str, zone: ZoneInfo) -> dict[str, Any] | None:
        """The one file of an export request: the centre's rows about the person and each
        gate's answer (its pages put together), times in ISO 8601 with the park's offset."""
        request = self.request(request_id)
        if request is None or request.kind != "export" or request.person_id is None:
            return None
        with self._guarded.lock:
            held = person_rows(
                self._guarded.db,
                Mentions([request.person_id], ignore_case=True),
                leave_out=REQUEST_TABLES,
            )
            pages = self._guarded.db.query(
                "SELECT p.park, p.gate, p.data FROM person_pages p JOIN person_request_gates g "
                "ON g.park = p.park AND g.gate = p.gate AND g.command_id = p.command_id "
                "WHERE g.request_id = ? ORDER BY p.park, p.gate, p.page",
                (request_id,),
            )
            self._guarded.db.commit()
        gates: dict[str, dict[str, Any]] = {}
        for answer in self.answers(request_id):
            gates[f"{answer.park}/{answer.gate}"] = {
                "outcome": answer.outcome, "pages": answer.pages, "pages_received": answer.pages_in,
                "complete": answer.complete, "tables": {},
            }  # fmt: skip
        for park, gate, data in pages:
            tables = gates[f"{park}/{gate}"]["tables"]
            for table, rows in json.loads(data).items():
                tables.setdefault(table, []).extend(
                    _with_times(owner_masked(row, request.person_id, True), zone) for row in rows
                )
        return {
            "person_id": request.person_id,
            "request_id": request.request_id,
            "asked_at": iso(request.asked_at.timestamp(), zone),
            "asked_by": request.asked_by,
            "timezone": zone.key,
            "centre": {
                table: [
                    _with_times(owner_masked(row, request.person_id, True), zone) for row in rows
                ]
                for table, rows in held.items()
            },
            "gates": gates,
        }

    def erase(self, person_id: str, pseudonym: str, mode: str) -> CentreErasure:
        """The centre's own rows about the person (every table), and the export requests' copies
        of their data; the requests themselves keep their shape under the pseudonym."""
        return erase_at_centre(self._guarded, person_id, pseudonym, mode)


def _request_view(row: tuple[Any, ...]) -> PersonRequestView:
    return PersonRequestView(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], moment(row[8]), row[9]
    )


def _with_times(row: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """A row with each moment (a column ending in ``_s``, not a length of time) as ISO 8601 with
    the park's offset, under its name without ``_s``; a JSON payload as the object it is."""
    shown: dict[str, Any] = {}
    for key, value in row.items():
        if key.endswith("_s") and key not in DURATIONS and isinstance(value, int | float):
            shown[key[:-2]] = iso(float(value), zone)
        elif isinstance(value, str) and value.startswith("{"):
            try:
                shown[key] = json.loads(value)
            except ValueError:
                shown[key] = value
        else:
            shown[key] = value
    return shown
