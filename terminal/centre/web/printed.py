"""The printed record from the centre: a signed-in user picks the days, a gate (or all), the
format (CSV, the printable page, its PDF) and the language, and downloads the same record a gate's
``gate-terminal record export`` writes, made from the store. Who exported which days of which gate
goes into the audit log (never a reading or a person)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from terminal.centre.web.context import SECURITY_HEADERS, Visitor, Web
from terminal.centre.web.guards import page
from terminal.common.errors import GateError
from terminal.common.printed.export import (
    FORMATS,
    ExportProblem,
    days_asked,
    exported,
    file_name,
    format_of,
    language_of,
)
from terminal.common.printed.rows import PrintedDay, printed_days
from terminal.common.printed.words import Language
from terminal.common.safetext import printable
from terminal.common.times import day_bounds

MAX_GATE_CHARS = 64


def _date(params: dict[str, str], key: str) -> dt.date:
    raw = params.get(key, "").strip()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ExportProblem(f"{key}: not a date (YYYY-MM-DD): {raw[:20]!r}") from None


class Printed:
    def __init__(self, web: Web) -> None:
        self.web = web

    async def _gates(self) -> list[str]:
        """The gates the park expects and those that sent anything, by name."""
        seen = await self.web.call(self.web.store.gates, self.web.now())
        return sorted({view.gate for view in seen} | set(self.web.config.gates))

    async def _form(
        self, visitor: Visitor, params: dict[str, str], problem: str | None, status: int = 200
    ) -> Response:
        return self.web.page(
            "printed.html",
            visitor,
            status,
            params=params,
            gates=await self._gates(),
            formats=tuple(FORMATS),
            lang_default=self.web.language,
            problem=problem,
        )

    async def show(self, request: Request, visitor: Visitor) -> Response:
        return await self._form(visitor, dict(request.query_params), None)

    def _days(self, days: list[dt.date], gate: str | None, zone: ZoneInfo) -> list[PrintedDay]:
        start_s, end_s = day_bounds(days[0], zone)[0], day_bounds(days[-1], zone)[1]
        lines = self.web.store.printed_lines(start_s, end_s, gate)
        # a gate asked for gets its every day; for all gates, those that recorded anything
        gates = [gate] if gate else []
        return printed_days(self.web.config.park, gates, days, zone, *lines)

    async def export(self, request: Request, visitor: Visitor) -> Response:
        params = dict(request.query_params)
        try:
            first, last = _date(params, "date_from"), _date(params, "date_to")
            kind = params.get("format", "html")
            format_of(kind, "format")
            language: Language = language_of(params.get("lang", self.web.language), "lang")
            gate = printable(params.get("gate", "").strip()[:MAX_GATE_CHARS]) or None
            days = days_asked(first, last, ("date_from", "date_to"))
        except ExportProblem as exc:
            return await self._form(visitor, params, self.web.t("bad_query", detail=exc), 400)
        detail = f"{days[0]}..{days[-1]} gate={gate or 'all'} format={kind} lang={language}"
        await self.web.audit(visitor.name, "export_record", detail)
        printed = await self.web.call(self._days, days, gate, self.web.tz)
        try:
            data = await self.web.call(exported, printed, kind, language)
        except GateError as exc:  # no PDF can be made here: say what to install
            return await self._form(visitor, params, self.web.t("bad_query", detail=exc), 503)
        name = file_name(gate or "all-gates", first, last, kind)
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(data, media_type=FORMATS[kind].media_type, headers=headers)


def routes(web: Web) -> list[Route]:
    printed = Printed(web)
    return [
        Route("/records/printed", page(web, printed.show)),
        Route("/records/printed/export", page(web, printed.export)),
    ]
