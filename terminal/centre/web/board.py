"""The operations centre's board: every gate's status, each zone's occupancy as its gates count
it (with today's waits for room and zone refusals), today's flow per gate and hour (plotted),
denials by reason, flags and how they ended, the zero-report board; the record's search and its
CSV export for an inspector, of checks and of vehicles (who exported what is recorded); the audit
log."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from terminal.centre.errors import CentreError
from terminal.centre.store import CheckQuery, VehicleQuery
from terminal.centre.web.context import SECURITY_HEADERS, Visitor, Web
from terminal.centre.web.desk import escalated
from terminal.centre.web.guards import page
from terminal.centre.web.live import stream_route
from terminal.centre.web.plot import flow_plot
from terminal.centre.web.spreadsheet import spreadsheet_safe
from terminal.link.contract import Reason

SHOWN_RECORDS = 500
# each temperature named by what it is: the screened reading (the forehead as the thermometer
# saw it) and the screening's estimated core temperature; the guard's clinical reading is on the
# flag. identified_as: who an unidentified person is, as a guard recorded it at the desk
CSV_COLUMNS = (
    "event_id", "park", "gate", "occurred_at", "person_id", "identified_as", "code",
    "screened_c", "estimated_core_c", "screening", "decision", "reason", "route", "replayed",
)  # fmt: skip
VEHICLE_CSV_COLUMNS = (
    "event_id", "park", "gate", "occurred_at", "plate", "driver", "purpose", "decision", "reason",
    "by", "source", "driver_check_id",
)  # fmt: skip
CSV_ROWS_PER_CHUNK = 500
MAX_FIELD_CHARS = 64


class QueryProblem(CentreError, ValueError):
    """A search field that cannot be used, named."""


def _day(params: dict[str, str], key: str) -> dt.date | None:
    raw = params.get(key, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise QueryProblem(f"{key}: not a date (YYYY-MM-DD): {raw[:20]!r}") from None


def _word(params: dict[str, str], key: str) -> str | None:
    raw = params.get(key, "").strip()
    if len(raw) > MAX_FIELD_CHARS:
        raise QueryProblem(f"{key}: longer than {MAX_FIELD_CHARS} characters")
    return raw or None


def _dates(params: dict[str, str]) -> tuple[dt.date | None, dt.date | None]:
    date_from, date_to = _day(params, "date_from"), _day(params, "date_to")
    if date_from and date_to and date_from > date_to:
        raise QueryProblem("date_to: before date_from")
    return date_from, date_to


def parse_query(params: dict[str, str]) -> CheckQuery:
    """The search form's fields; every one optional, each named when wrong."""
    date_from, date_to = _dates(params)
    decision = _word(params, "decision")
    if decision not in (None, "admit", "deny"):
        raise QueryProblem("decision: admit or deny")
    reason = _word(params, "reason")
    if reason is not None and reason not in {r.value for r in Reason}:
        raise QueryProblem(f"reason: not a reason the gate gives: {reason!r}")
    return CheckQuery(
        date_from=date_from,
        date_to=date_to,
        gate=_word(params, "gate"),
        person_id=_word(params, "person_id"),
        decision=decision,
        reason=reason,
    )


def parse_vehicle_query(params: dict[str, str]) -> VehicleQuery:
    """The vehicles' search: dates, gate, and a plate or a part of one, typed as a guard would
    (a dot, spaces, lower case: matched as the record spells it)."""
    date_from, date_to = _dates(params)
    plate = _word(params, "plate")
    if plate is not None:
        plate = "".join(c.upper() if "a" <= c <= "z" else c for c in plate if c not in " ·.-")
    return VehicleQuery(date_from, date_to, _word(params, "gate"), plate or None)


def csv_lines(rows: Iterator[Any], columns: tuple[str, ...] = CSV_COLUMNS) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    pending = 0
    for row in rows:
        writer.writerow([spreadsheet_safe(getattr(row, column)) for column in columns])
        pending += 1
        if pending >= CSV_ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def describe(query: CheckQuery | VehicleQuery) -> str:
    fields = ("date_from", "date_to", "gate", "person_id", "plate", "decision", "reason")
    said = [f"{name}={getattr(query, name)}" for name in fields if getattr(query, name, None)]
    return " ".join(said) or "everything"


SHOWN_VEHICLES = 30  # the newest; the record's search has the checks of their drivers


class Board:
    def __init__(self, web: Web) -> None:
        self.web = web

    def view(self) -> dict[str, Any]:
        store, web = self.web.store, self.web
        # a flag nobody took in time is raised to the second role by any open page, the
        # board's too (a control room may watch the board alone)
        secondary = web.config.secondary
        store.escalate_due(web.now(), secondary.escalate_after_s, secondary.escalate_to)
        today = web.today()
        gates = store.gates(web.now())
        flow = store.flow_per_hour(today, web.tz)
        denials = store.denials_by_reason(today, web.tz)
        flags = store.flags(open_only=False, limit=200)
        reports = store.daily_reports(today)
        endings = Counter((f.kind, f.state) for f in flags)
        return {
            "today": today,
            "gates": gates,
            "flow": flow,
            "flow_totals": {gate: sum(counts) for gate, counts in sorted(flow.items())},
            "plot": flow_plot(flow),
            "denials": sorted(denials.items(), key=lambda item: (-item[1], item[0])),
            "flags": flags[:30],
            "endings": sorted(endings.items()),
            "reports": reports,
            "vehicles": store.vehicles(SHOWN_VEHICLES),
            "zones": store.zones(web.now()),
            "not_returned": store.not_returned(open_only=True),
            "escalations": [f for f in flags if escalated(f)],
            "escalate_to": secondary.escalate_to,
            "escalate_after_s": secondary.escalate_after_s,
            "clock_synchronised": web.clock_synchronised(),
        }

    async def live_part(self, visitor: Visitor) -> str:
        view = await self.web.call(self.view)
        return self.web.render_text("_board_live.html", visitor=visitor, **view)

    async def show(self, request: Request, visitor: Visitor) -> Response:
        view = await self.web.call(self.view)
        return self.web.page("board.html", visitor, **view)

    async def _search(
        self,
        request: Request,
        visitor: Visitor,
        template: str,
        parse: Callable[[dict[str, str]], Any],
        search: Callable[[Any, int], list[Any]],
        found_as: str,
    ) -> Response:
        """A search page: its form's fields, the first SHOWN_RECORDS found, a wrong field named."""
        params = dict(request.query_params)
        try:
            query = parse(params)
        except QueryProblem as exc:
            problem = self.web.t("bad_query", detail=str(exc))
            values: dict[str, Any] = {found_as: [], "problem": problem, "export": ""}
            return self.web.page(
                template, visitor, 400, params=params, limit=SHOWN_RECORDS, **values
            )
        found = await self.web.call(search, query, SHOWN_RECORDS)
        values = {found_as: found, "problem": None, "export": request.url.query}
        return self.web.page(template, visitor, params=params, limit=SHOWN_RECORDS, **values)

    async def _export(
        self,
        request: Request,
        visitor: Visitor,
        parse: Callable[[dict[str, str]], Any],
        action: str,
        rows_of: Callable[[Any], Iterator[Any]],
        columns: tuple[str, ...],
    ) -> Response:
        """A search's every match as CSV, streamed; who exported what goes in the audit log."""
        try:
            query = parse(dict(request.query_params))
        except QueryProblem as exc:
            return Response(str(exc), status_code=400, media_type="text/plain")
        await self.web.audit(visitor.name, action, describe(query))
        rows = rows_of(query)  # read in the response's worker thread
        name = f"{action.removeprefix('export_') or 'checks'}-{self.web.today().isoformat()}.csv"
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return StreamingResponse(
            csv_lines(rows, columns), media_type="text/csv; charset=utf-8", headers=headers
        )

    async def records(self, request: Request, visitor: Visitor) -> Response:
        store = self.web.store
        return await self._search(
            request, visitor, "records.html", parse_query, store.checks, "checks"
        )

    async def export(self, request: Request, visitor: Visitor) -> Response:
        store = self.web.store
        return await self._export(
            request, visitor, parse_query, "export", store.iter_checks, CSV_COLUMNS
        )

    async def vehicle_records(self, request: Request, visitor: Visitor) -> Response:
        def search(query: VehicleQuery, limit: int) -> list[Any]:
            return list(self.web.store.vehicles(limit, query))

        return await self._search(
            request, visitor, "vehicle_records.html", parse_vehicle_query, search, "vehicles"
        )

    async def export_vehicles(self, request: Request, visitor: Visitor) -> Response:
        store = self.web.store
        return await self._export(
            request, visitor, parse_vehicle_query, "export_vehicles", store.iter_vehicles,
            VEHICLE_CSV_COLUMNS,
        )  # fmt: skip

    async def audit_log(self, request: Request, visitor: Visitor) -> Response:
        entries = await self.web.call(self.web.store.audit_log, 300)
        return self.web.page("audit.html", visitor, entries=entries)


def routes(web: Web) -> list[Route]:
    board = Board(web)
    return [
        Route("/board", page(web, board.show)),
        Route("/board/live", stream_route(web, board.live_part)),
        Route("/records", page(web, board.records)),
        Route("/records.csv", page(web, board.export)),
        Route("/records/vehicles", page(web, board.vehicle_records)),
        Route("/records/vehicles.csv", page(web, board.export_vehicles)),
        Route("/audit", page(web, board.audit_log)),
    ]
