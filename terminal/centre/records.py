"""Records search and exports: the checks and vehicles that match a query, a page of them or all
of them in batches (a CSV export of a month streams), and the day's counts the board plots."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from terminal.centre.guarded import Guarded
from terminal.centre.schema import CHECK_COLUMNS
from terminal.centre.times import day_bounds, moment
from terminal.centre.views import CheckQuery, CheckView, VehicleQuery, VehicleView

_VEHICLE_FIELDS = (
    "plate", "driver", "purpose", "decision", "reason", "by", "driver_check_id",
)  # fmt: skip


# a check's columns, and who a guard said its unidentified person is (on the flag it raised)
_CHECK_SELECT = (
    f"SELECT {CHECK_COLUMNS}, (SELECT f.identity FROM flags f WHERE f.park = checks.park "
    "AND f.gate = checks.gate AND f.flag_id = checks.event_id) FROM checks"
)


def check_view(row: Sequence[Any]) -> CheckView:
    """A row of :data:`CHECK_COLUMNS` and the identity a guard recorded."""
    return CheckView(
        event_id=row[0], park=row[1], gate=row[2], occurred_at=moment(row[3]), person_id=row[4],
        code=row[5], temperature_c=row[6], decision=row[7], reason=row[8], route=row[9],
        replayed=bool(row[10]), object_c=row[11], screening=row[12], identified_as=row[13],
    )  # fmt: skip


class Records:
    def __init__(self, guarded: Guarded, timezone: str) -> None:
        self._guarded = guarded
        self._zone = ZoneInfo(timezone)

    def _filter(
        self,
        query: CheckQuery | VehicleQuery,
        columns: tuple[str, ...],
        clauses: list[str],
        params: list[Any],
    ) -> tuple[str, list[Any]]:
        """A WHERE clause for ``clauses``, the query's local days and its ``columns``' values."""
        if query.date_from is not None:
            clauses.append("occurred_s >= ?")
            params.append(day_bounds(query.date_from, self._zone)[0])
        if query.date_to is not None:
            clauses.append("occurred_s < ?")
            params.append(day_bounds(query.date_to, self._zone)[1])
        for column in columns:
            value = getattr(query, column)
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _check_filter(self, query: CheckQuery) -> tuple[str, list[Any]]:
        return self._filter(query, ("gate", "person_id", "decision", "reason"), [], [])

    def checks(self, query: CheckQuery, limit: int = 500) -> list[CheckView]:
        """The newest first."""
        where, params = self._check_filter(query)
        rows = self._guarded.read(
            f"{_CHECK_SELECT} {where} ORDER BY occurred_s DESC, event_id, park, gate LIMIT ?",
            (*params, limit),
        )
        return [check_view(row) for row in rows]

    def iter_checks(self, query: CheckQuery, batch: int = 1000) -> Iterator[CheckView]:
        """Every matching check, oldest first, in batches (a CSV export of a month streams)."""
        where, params = self._check_filter(query)
        joiner = " AND " if where else "WHERE "
        # the next batch starts after the last row's (time, id, park, gate): two gates may give
        # the same id to checks of the same second
        after: tuple[float, str, str, str] = (float("-inf"), "", "", "")
        while True:
            rows = self._guarded.read(
                f"{_CHECK_SELECT} {where}{joiner}"
                "(occurred_s, event_id, park, gate) > (?, ?, ?, ?) "
                "ORDER BY occurred_s, event_id, park, gate LIMIT ?",
                (*params, *after, batch),
            )
            for row in rows:
                yield check_view(row)
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
        month streams). The plate is matched on the event's own spelling, a part of it too."""
        where, params = self._filter(query, ("gate",), ["schema = ?"], ["gate.vehicle/1"])
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
                if query.plate and query.plate not in (data["plate"] or ""):
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
