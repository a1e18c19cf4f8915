"""The operations centre's board: every gate's status, today's flow per gate and hour (plotted),
denials by reason, flags and how they ended, the zero-report board; the record's search and its
CSV export for an inspector (who exported what is recorded); the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from terminal.centre.store import CheckQuery
from terminal.centre.web.context import SECURITY_HEADERS, Visitor, Web
from terminal.centre.web.guards import page
from terminal.centre.web.live import stream_route
from terminal.centre.web.plot import flow_plot
from terminal.contract import Reason

SHOWN_RECORDS = 500
CSV_COLUMNS = (
    "event_id", "park", "gate", "occurred_at", "person_id", "code", "temperature_c", "decision",
    "reason", "route", "replayed",
)  # fmt: skip
CSV_ROWS_PER_CHUNK = 500
MAX_FIELD_CHARS = 64


class QueryProblem(ValueError):
    """A search field that cannot be used, named."""


def parse_query(params: dict[str, str]) -> CheckQuery:
    """The search form's fields; every one optional, each named when wrong."""

    def day(key: str) -> dt.date | None:
        raw = params.get(key, "").strip()
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise QueryProblem(f"{key}: not a date (YYYY-MM-DD): {raw[:20]!r}") from None

    def word(key: str) -> str | None:
        raw = params.get(key, "").strip()
        if len(raw) > MAX_FIELD_CHARS:
            raise QueryProblem(f"{key}: longer than {MAX_FIELD_CHARS} characters")
        return raw or None

    date_from, date_to = day("date_from"), day("date_to")
    if date_from and date_to and date_from > date_to:
        raise QueryProblem("date_to: before date_from")
    decision = word("decision")
    if decision not in (None, "admit", "deny"):
        raise QueryProblem("decision: admit or deny")
    reason = word("reason")
    if reason is not None and reason not in {r.value for r in Reason}:
        raise QueryProblem(f"reason: not a reason the gate gives: {reason!r}")
    return CheckQuery(
        date_from=date_from,
        date_to=date_to,
        gate=word("gate"),
        person_id=word("person_id"),
        decision=decision,
        reason=reason,
    )


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: no formula from a value that starts like one."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(rows: Iterator[Any]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    pending = 0
    for row in rows:
        writer.writerow([spreadsheet_safe(getattr(row, column)) for column in CSV_COLUMNS])
        pending += 1
        if pending >= CSV_ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def describe(query: CheckQuery) -> str:
    fields = ("date_from", "date_to", "gate", "person_id", "decision", "reason")
    said = [f"{name}={getattr(query, name)}" for name in fields if getattr(query, name)]
    return " ".join(said) or "everything"


SHOWN_VEHICLES = 30  # the newest; the record's search has the checks of their drivers


class Board:
    def __init__(self, web: Web) -> None:
        self.web = web

    def view(self) -> dict[str, Any]:
        store, web = self.web.store, self.web
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
        }

    async def live_part(self, visitor: Visitor) -> str:
        view = await self.web.call(self.view)
        return self.web.render_text("_board_live.html", visitor=visitor, **view)

    async def show(self, request: Request, visitor: Visitor) -> Response:
        view = await self.web.call(self.view)
        return self.web.page("board.html", visitor, **view)

    async def records(self, request: Request, visitor: Visitor) -> Response:
        params = dict(request.query_params)
        try:
            query = parse_query(params)
        except QueryProblem as exc:
            problem = self.web.t("bad_query", detail=str(exc))
            return self.web.page(
                "records.html", visitor, 400, params=params, checks=[], problem=problem,
                limit=SHOWN_RECORDS, export="",
            )  # fmt: skip
        checks = await self.web.call(self.web.store.checks, query, SHOWN_RECORDS)
        return self.web.page(
            "records.html", visitor, params=params, checks=checks, problem=None,
            limit=SHOWN_RECORDS, export=request.url.query,
        )  # fmt: skip

    async def export(self, request: Request, visitor: Visitor) -> Response:
        try:
            query = parse_query(dict(request.query_params))
        except QueryProblem as exc:
            return Response(str(exc), status_code=400, media_type="text/plain")
        await self.web.audit(visitor.name, "export", describe(query))
        rows = self.web.store.iter_checks(query)  # read in the response's worker thread
        name = f"checks-{self.web.today().isoformat()}.csv"
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return StreamingResponse(
            csv_lines(rows), media_type="text/csv; charset=utf-8", headers=headers
        )

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
        Route("/audit", page(web, board.audit_log)),
    ]
