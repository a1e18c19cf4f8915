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
from terminal.common.printed.export import (
    FORMATS,
    ExportProblem,
    day_of,
    days_asked,
    exported,
    file_name,
    format_of,
    language_of,
)
from terminal.common.printed.page import Printing
from terminal.common.printed.pdf import NoBrowser, NoChineseFont, PdfUnavailable
from terminal.common.printed.rows import PrintedDay, printed_days
from terminal.common.printed.words import Language
from terminal.common.safetext import printable
from terminal.common.times import day_bounds

MAX_GATE_CHARS = 64


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
            first = day_of(params.get("date_from", ""), "date_from")
            last = day_of(params.get("date_to", ""), "date_to")
            kind = format_of(params.get("format", "html"), "format")
            language: Language = language_of(params.get("lang", self.web.language), "lang")
            gate = printable(params.get("gate", "").strip()[:MAX_GATE_CHARS]) or None
            days = days_asked(first, last, self.web.today(), ("date_from", "date_to"))
        except ExportProblem as exc:
            return await self._form(visitor, params, self.web.t("bad_query", detail=exc), 400)
        if gate is not None and gate not in await self._gates():
            problem = self.web.t("printed_unknown_gate", gate=gate)
            return await self._form(visitor, params, problem, 400)
        printed = await self.web.call(self._days, days, gate, self.web.tz)
        printing = Printing(self.web.now().timestamp(), "centre", visitor.name)
        try:
            data = await self.web.call(exported, printed, kind, language, printing)
        except PdfUnavailable as exc:
            # the centre's machine lacks what a PDF needs: a server problem, not the search's
            key = {NoBrowser: "printed_no_browser", NoChineseFont: "printed_no_chinese_font"}
            problem = self.web.t(key.get(type(exc), "printed_pdf_failed"))
            return await self._form(visitor, params, problem, 503)
        # audited once the file is made: a refused or failed export exported nothing
        detail = f"{days[0]}..{days[-1]} gate={gate or 'all'} format={kind} lang={language}"
        await self.web.audit(visitor.name, "export_record", detail)
        name = file_name(gate or "all-gates", first, last, kind)
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(data, media_type=FORMATS[kind].media_type, headers=headers)


def routes(web: Web) -> list[Route]:
    printed = Printed(web)
    return [
        Route("/records/printed", page(web, printed.show)),
        Route("/records/printed/export", page(web, printed.export)),
    ]
