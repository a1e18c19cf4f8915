"""Records search and exports: the checks and vehicles that match a query, a page of them or all
of them in batches (a CSV export of a month streams), and the day's counts the board plots."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from terminal.centre.erasure import like_pattern
from terminal.centre.guarded import Guarded
from terminal.centre.schema import CHECK_COLUMNS
from terminal.centre.times import day_bounds, moment, moment_or_none
from terminal.centre.views import (
    SEARCHED_FLAG_KINDS,
    CheckQuery,
    CheckView,
    VehicleQuery,
    VehicleView,
)
from terminal.common.mentions import ascii_lower
from terminal.common.printed.went import went_to as printed_went_to

_VEHICLE_FIELDS = (
    "plate", "driver", "purpose", "decision", "reason", "by", "driver_check_id",
)  # fmt: skip


# a check's columns; who a guard said its unidentified person is, and the flag it raised (its
# kind, how it ended, the clinical reading, who measured and when, where the person was sent):
# a flag is keyed by the check that raised it, so the join is a lookup of the flags' key
_FLAG_OF_CHECK = (
    "f.identity, f.kind, f.state, f.clinical_c, f.guard, f.resolved_s, f.route, f.isolation_room"
)
_CHECK_SELECT = (
    f"SELECT {', '.join('checks.' + c.strip() for c in CHECK_COLUMNS.split(','))}, "
    f"{_FLAG_OF_CHECK} FROM checks LEFT JOIN flags f ON f.park = checks.park "
    "AND f.gate = checks.gate AND f.flag_id = checks.event_id"
)
# the checks that raised a flag: few among many, so the database may start from the flags
_FLAGGED_SELECT = _CHECK_SELECT.replace(" LEFT JOIN ", " JOIN ")
_CHECK_ORDER = "checks.occurred_s, checks.event_id, checks.park, checks.gate"
# matched without regard to case: by the contract a gate and a person id are ASCII, which
# lower() reads alike on both databases (and an index of each keeps the search fast)
_NO_CASE = frozenset({"gate", "person_id"})


PASSAGE_SCHEMA = "gate.passage/1"
# how long after a flag's resolution its passage may still be heard (a gate that stopped during
# the window says "unknown" when it starts again)
PASSAGE_HEARD_WITHIN_S = 86400.0


def went_to(
    outcome: str | None, route: str | None, isolation_room: str | None, passage: str | None
) -> str | None:
    """Where the person a flag stopped went, as the printed record says it
    (:func:`terminal.common.printed.went.went_to`: one rule for the paper, the page and the
    CSV): a key of ``WENT_TO_WORDS``; a secondary check still open is ``secondary_check``."""
    if outcome == "open" and isolation_room is None and route != "isolation_room":
        return "secondary_check"
    where = printed_went_to(outcome, route, isolation_room, passage)
    return None if where is None else where.where


def check_view(row: Sequence[Any]) -> CheckView:
    """A row of :data:`CHECK_COLUMNS`, then the identity a guard recorded and the flag's."""
    return CheckView(
        event_id=row[0], park=row[1], gate=row[2], occurred_at=moment(row[3]), person_id=row[4],
        code=row[5], temperature_c=row[6], decision=row[7], reason=row[8], route=row[9],
        replayed=bool(row[10]), object_c=row[11], screening=row[12], identified_as=row[13],
        flag=row[14], outcome=row[15], clinical_c=row[16], checked_by=row[17],
        checked_at=moment_or_none(row[18]), went_to=row[19], isolation_room=row[20],
    )  # fmt: skip


def _select(query: CheckQuery) -> str:
    return _FLAGGED_SELECT if query.flagged else _CHECK_SELECT


class Records:
    def __init__(self, guarded: Guarded, timezone: str) -> None:
        self._guarded = guarded
        self._zone = ZoneInfo(timezone)

    def _filter(
        self,
        query: CheckQuery | VehicleQuery,
        table: str,
        columns: tuple[str, ...],
        clauses: list[str],
        params: list[Any],
    ) -> tuple[str, list[Any]]:
        """A WHERE clause for ``clauses``, the query's local days and its ``columns``' values
        (a gate and a person id without regard to case)."""
        if query.date_from is not None:
            clauses.append(f"{table}.occurred_s >= ?")
            params.append(day_bounds(query.date_from, self._zone)[0])
        if query.date_to is not None:
            clauses.append(f"{table}.occurred_s < ?")
            params.append(day_bounds(query.date_to, self._zone)[1])
        for column in columns:
            value = getattr(query, column)
            if not value:
                continue
            if column in _NO_CASE:
                clauses.append(f"lower({table}.{column}) = ?")
                params.append(ascii_lower(value))
            else:
                clauses.append(f"{table}.{column} = ?")
                params.append(value)
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _check_filter(self, query: CheckQuery) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if query.reasons:
            clauses.append(f"checks.reason IN ({', '.join('?' * len(query.reasons))})")
            params.extend(query.reasons)
        if query.flagged:
            clauses.append(f"f.kind IN ({', '.join('?' * len(SEARCHED_FLAG_KINDS))})")
            params.extend(SEARCHED_FLAG_KINDS)
        columns = ("gate", "person_id", "decision", "reason")
        return self._filter(query, "checks", columns, clauses, params)

    def checks(self, query: CheckQuery, limit: int = 500) -> list[CheckView]:
        """The newest first."""
        where, params = self._check_filter(query)
        rows = self._guarded.read(
            f"{_select(query)} {where} ORDER BY checks.occurred_s DESC, checks.event_id, "
            "checks.park, checks.gate LIMIT ?",
            (*params, limit),
        )
        return self._went(rows)

    def _went(self, rows: Sequence[Sequence[Any]]) -> list[CheckView]:
        """The rows as views, each flag's ``went_to`` decided by :func:`went_to` (the passages
        of the checks staff admitted looked up: few among many)."""
        views = []
        for row in rows:
            view = check_view(row)
            if view.flag is None:
                views.append(view)
                continue
            passage = self._passage(row) if view.outcome == "admitted" else None
            where = went_to(view.outcome, row[19], view.isolation_room, passage)
            views.append(replace(view, went_to=where))
        return views

    def _passage(self, row: Sequence[Any]) -> str | None:
        """How the passage a secondary check opened ended (its admission id is the check's
        event id): its close, else ``waiting`` while only its opening is heard (as the printed
        record reads it), else None."""
        event_id, park, gate, occurred_s, resolved_s = row[0], row[1], row[2], row[3], row[18]
        until = max(float(occurred_s), float(resolved_s or occurred_s)) + PASSAGE_HEARD_WITHIN_S
        payloads = self._guarded.read(
            "SELECT payload FROM events WHERE schema = ? AND occurred_s >= ? AND occurred_s <= ? "
            "AND park = ? AND gate = ? AND payload LIKE ? ESCAPE '!' ORDER BY occurred_s",
            (PASSAGE_SCHEMA, occurred_s, until, park, gate, like_pattern(event_id)),
        )
        ended = None
        for (payload,) in payloads:
            data = json.loads(payload).get("data") or {}
            outcome = data.get("outcome")
            if data.get("admission_id") == event_id and (outcome != "waiting" or ended is None):
                ended = str(outcome)
        return ended

    def iter_checks(self, query: CheckQuery, batch: int = 1000) -> Iterator[CheckView]:
        """Every matching check, oldest first, in batches (a CSV export of a month streams)."""
        where, params = self._check_filter(query)
        joiner = " AND " if where else "WHERE "
        # the next batch starts after the last row's (time, id, park, gate): two gates may give
        # the same id to checks of the same second
        after: tuple[float, str, str, str] = (float("-inf"), "", "", "")
        while True:
            rows = self._guarded.read(
                f"{_select(query)} {where}{joiner}({_CHECK_ORDER}) > (?, ?, ?, ?) "
                f"ORDER BY {_CHECK_ORDER} LIMIT ?",
                (*params, *after, batch),
            )
            yield from self._went(rows)
            if len(rows) < batch:
                return
            after = (rows[-1][3], rows[-1][0], rows[-1][1], rows[-1][2])

    def flow_per_hour(self, day: date, tz: ZoneInfo | None = None) -> dict[str, list[int]]:
        """Gate -> 24 counts of checks, by the local hour they happened in."""
        zone = tz or self._zone
        start_s, end_s = day_bounds(day, zone)
        rows = self._guarded.read(
            "SELECT gate, occurred_s FROM checks WHERE occurred_s >= ? AND occurred_s < ?",
            (start_s, end_s),
        )
        flow: dict[str, list[int]] = {}
        for gate, occurred_s in rows:
            hour = datetime.fromtimestamp(occurred_s, zone).hour
            flow.setdefault(gate, [0] * 24)[hour] += 1
        return dict(sorted(flow.items()))

    def denials_by_reason(self, day: date, tz: ZoneInfo | None = None) -> dict[str, int]:
        """Reason -> how many people were refused this local day, the most frequent first."""
        start_s, end_s = day_bounds(day, tz or self._zone)
        rows = self._guarded.read(
            "SELECT reason, COUNT(*) FROM checks WHERE decision = 'deny' "
            "AND occurred_s >= ? AND occurred_s < ? GROUP BY reason",
            (start_s, end_s),
        )
        return dict(sorted(((r[0], int(r[1])) for r in rows), key=lambda x: (-x[1], x[0])))

    def vehicles(self, limit: int = 100, query: VehicleQuery | None = None) -> list[VehicleView]:
        """The vehicles at every gate (or those the query asks for), the newest first."""
        return list(islice(self.iter_vehicles(query or VehicleQuery(), newest_first=True), limit))

    def iter_vehicles(
        self, query: VehicleQuery, batch: int = 500, newest_first: bool = False
    ) -> Iterator[VehicleView]:
        """Every matching vehicle, oldest first unless asked, in batches (a CSV export of a
        month streams). The plate is matched on the event's own spelling, a part of it too, without
        regard to case."""
        where, params = self._filter(
            query, "events", ("gate",), ["events.schema = ?"], ["gate.vehicle/1"]
        )
        after = "<" if newest_first else ">"
        order = "DESC" if newest_first else "ASC"
        start = float("inf") if newest_first else float("-inf")
        first = "\uffff" if newest_first else ""
        since: tuple[float, str, str, str] = (start, first, first, first)
        while True:
            rows = self._guarded.read(
                f"SELECT event_id, park, gate, occurred_s, payload FROM events {where} "
                f"AND (occurred_s, event_id, park, gate) {after} (?, ?, ?, ?) "
                f"ORDER BY occurred_s {order}, event_id {order}, park {order}, gate {order} "
                "LIMIT ?",
                (*params, *since, batch),
            )
            for event_id, park, gate, occurred_s, payload in rows:
                data = json.loads(payload)["data"]
                if query.plate and query.plate not in (data["plate"] or "").upper():
                    continue
                yield VehicleView(
                    event_id=event_id,
                    park=park,
                    gate=gate,
                    occurred_at=moment(occurred_s),
                    source=data.get("source", "command"),
                    **{k: data[k] for k in _VEHICLE_FIELDS},
                )
            if len(rows) < batch:
                return
            since = (rows[-1][3], rows[-1][0], rows[-1][1], rows[-1][2])
