"""The operations centre's board: every gate's status, each zone's occupancy as its gates count
it (with today's waits for room and zone refusals), today's flow per gate and hour (plotted),
denials by reason, flags and how they ended, the zero-report board; the record's search and its
CSV export for an inspector, of checks and of vehicles (who exported what is recorded); the audit
log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from terminal.centre.errors import CentreError
from terminal.centre.store import CheckQuery, VehicleQuery
from terminal.centre.web.catalogue import TEXTS, Language, named, text, values_named
from terminal.centre.web.context import SECURITY_HEADERS, Visitor, Web
from terminal.centre.web.desk import escalated
from terminal.centre.web.guards import page
from terminal.centre.web.live import stream_route
from terminal.centre.web.plot import flow_plot
from terminal.centre.web.spreadsheet import spreadsheet_safe
from terminal.common import times
from terminal.link.contract import Reason

SHOWN_RECORDS = 500
# each temperature named by what it is: the screened reading (the forehead as the thermometer
# saw it), the screening's estimated core temperature, and the guard's clinical reading on the
# flag the check raised (with its kind, how it ended, who measured when, where the person was
# sent). identified_as: who an unidentified person is, as a guard recorded it at the desk. Times
# are ISO 8601 in the park's zone, with its offset.
CSV_COLUMNS = (
    "event_id", "park", "gate", "occurred_at", "person_id", "identified_as", "code",
    "screened_c", "estimated_core_c", "screening", "decision", "reason", "route", "replayed",
    "flag", "outcome", "clinical_c", "checked_by", "checked_at", "went_to", "isolation_room",
)  # fmt: skip
VEHICLE_CSV_COLUMNS = (
    "event_id", "park", "gate", "occurred_at", "plate", "driver", "purpose", "decision", "reason",
    "by", "source", "driver_check_id",
)  # fmt: skip
CSV_ROWS_PER_CHUNK = 500
MAX_FIELD_CHARS = 64
REASONS = tuple(reason.value for reason in Reason)
DECISIONS = ("admit", "deny")
# what the audit page offers to filter by (any other action may be typed)
AUDIT_ACTIONS = (
    "view_desk", "view_board", "view_flag", "view_records", "search_records", "export_csv",
    "export_vehicles", "take", "escort", "identify", "dismiss", "muster", "command", "refused",
    "login", "login_failed", "login_locked", "logout",
)  # fmt: skip


class QueryProblem(CentreError, ValueError):
    """A search field that cannot be used, named."""


# a search field's name as the form labels it
_FIELD_LABELS = {"person_id": "person", "flagged": "show"}
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _problem(key: str, language: Language, **values: object) -> QueryProblem:
    return QueryProblem(text(key, language, **values))


def _label(field: str, language: Language) -> str:
    """The field's name as the form shows it (its own name when the form has no label)."""
    key = _FIELD_LABELS.get(field, field)
    return text(key, language) if key in TEXTS else field


def _day(params: dict[str, str], key: str, language: Language) -> dt.date | None:
    raw = params.get(key, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        # written as a day is but none such (31 November, month 13): said so, not "not a date"
        said = "query_no_such_day" if _ISO_DAY.fullmatch(raw) else "query_not_a_date"
        raise _problem(said, language, field=_label(key, language), typed=raw[:20]) from None


def _word(params: dict[str, str], key: str, language: Language) -> str | None:
    raw = params.get(key, "").strip()
    if len(raw) > MAX_FIELD_CHARS:
        field = _label(key, language)
        raise _problem("query_too_long", language, field=field, limit=MAX_FIELD_CHARS)
    return raw or None


def _dates(params: dict[str, str], language: Language) -> tuple[dt.date | None, dt.date | None]:
    date_from = _day(params, "date_from", language)
    date_to = _day(params, "date_to", language)
    if date_from and date_to and date_from > date_to:
        raise _problem(
            "query_dates_reversed", language,
            to=_label("date_to", language), since=_label("date_from", language),
        )  # fmt: skip
    return date_from, date_to


def _named(
    params: dict[str, str], key: str, values: tuple[str, ...], language: Language
) -> tuple[str, ...]:
    """The values a field's word names (as the page shows them, or the gate's own); one it
    does not name is refused, listing the words there are in the page's language."""
    typed = _word(params, key, language)
    if typed is None:
        return ()
    found = values_named(key, typed, values)
    if not found:
        separator = text("list_separator", language)
        words = separator.join(dict.fromkeys(named(key, value, language) for value in values))
        raise QueryProblem(text(f"unknown_{key}", language, typed=typed, words=words))
    return found


def parse_query(params: dict[str, str], language: Language = "en") -> CheckQuery:
    """The search form's fields; every one optional, each named when wrong. A reason or a
    decision is taken in the words the table shows (either language, a part of one) as well as
    the gate's own; a gate and a person id without regard to case."""
    date_from, date_to = _dates(params, language)
    decisions = _named(params, "decision", DECISIONS, language)
    shown = params.get("flagged", "").strip()
    if shown not in ("", "0", "1"):
        raise _problem("query_flagged", language, field=_label("flagged", language))
    return CheckQuery(
        date_from=date_from,
        date_to=date_to,
        gate=_word(params, "gate", language),
        person_id=_word(params, "person_id", language),
        decision=decisions[0] if len(decisions) == 1 else None,  # both: either will do
        reasons=_named(params, "reason", REASONS, language),
        flagged=shown == "1",
    )


def parse_vehicle_query(params: dict[str, str], language: Language = "en") -> VehicleQuery:
    """The vehicles' search: dates, gate, and a plate or a part of one, typed as a guard would
    (a dot, spaces, lower case: matched as the record spells it)."""
    date_from, date_to = _dates(params, language)
    plate = _word(params, "plate", language)
    if plate is not None:
        plate = "".join(c.upper() if "a" <= c <= "z" else c for c in plate if c not in " ·.-")
    return VehicleQuery(date_from, date_to, _word(params, "gate", language), plate or None)


def _cell(value: object, zone: ZoneInfo) -> str:
    """A time in the park's zone with its offset (a program reads it back without guessing, a
    person reads the local time); anything else as a spreadsheet shows it as text."""
    if isinstance(value, dt.datetime):
        return times.iso_moment(value, zone)
    if isinstance(value, bool):  # as the column's other words are written, not Python's
        return "yes" if value else "no"
    return spreadsheet_safe(value)


def export_filename(name: str, query: CheckQuery | VehicleQuery, today: dt.date) -> str:
    """The file named by the days searched: ``checks-2026-11-23.csv``, a range
    ``checks-2026-11-20_2026-11-23.csv``; with no first day, ``until`` the last (today when
    the search gave none): it holds everything the centre kept before it."""
    first, last = query.date_from, query.date_to or today
    if first is None:
        return f"{name}-until-{last.isoformat()}.csv"
    if first == last:
        return f"{name}-{first.isoformat()}.csv"
    return f"{name}-{first.isoformat()}_{last.isoformat()}.csv"


def csv_lines(
    rows: Iterator[Any], columns: tuple[str, ...] = CSV_COLUMNS, *, zone: ZoneInfo
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    pending = 0
    for row in rows:
        writer.writerow([_cell(getattr(row, column), zone) for column in columns])
        pending += 1
        if pending >= CSV_ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def describe(query: CheckQuery | VehicleQuery) -> str:
    """What a search asked, for the audit log (never what it found)."""
    fields = ("date_from", "date_to", "gate", "person_id", "plate", "decision", "reason")
    said = [f"{name}={getattr(query, name)}" for name in fields if getattr(query, name, None)]
    if isinstance(query, CheckQuery):
        said += [f"reason={','.join(query.reasons)}"] if query.reasons else []
        said += ["flagged"] if query.flagged else []
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
        await self.web.audit_view(visitor.name, "view_board", "")  # its flags' readings
        return self.web.page("board.html", visitor, **view)

    def parse_checks(self, params: dict[str, str]) -> CheckQuery:
        return parse_query(params, self.web.language)

    def parse_vehicles(self, params: dict[str, str]) -> VehicleQuery:
        return parse_vehicle_query(params, self.web.language)

    async def _search(
        self,
        request: Request,
        visitor: Visitor,
        template: str,
        parse: Callable[[dict[str, str]], Any],
        search: Callable[[Any, int], list[Any]],
        found_as: str,
        looked: Callable[[Any], tuple[str, str] | None] = lambda query: None,
        shown: Callable[[Any, list[Any]], dict[str, Any]] = lambda query, found: {},
    ) -> Response:
        """A search page: its form's fields, the first SHOWN_RECORDS found, a wrong field named.
        ``looked``: the audit log's action and detail for a look at health data (once per user
        and query within VIEW_AUDIT_S); ``shown``: what else the page says of what it found."""
        params = dict(request.query_params)
        try:
            query = parse(params)
        except QueryProblem as exc:
            problem = self.web.t("bad_query", detail=str(exc))
            values: dict[str, Any] = {found_as: [], "problem": problem, "export": ""}
            values.update(shown(None, []))
            return self.web.page(
                template, visitor, 400, params=params, limit=SHOWN_RECORDS, **values
            )
        found = await self.web.call(search, query, SHOWN_RECORDS)
        said = looked(query)
        if said is not None:
            await self.web.audit_view(visitor.name, *said)
        values = {found_as: found, "problem": None, "export": request.url.query}
        values.update(shown(query, found))
        return self.web.page(template, visitor, params=params, limit=SHOWN_RECORDS, **values)

    async def _export(
        self,
        request: Request,
        visitor: Visitor,
        parse: Callable[[dict[str, str]], Any],
        action: str,
        name: str,
        rows_of: Callable[[Any], Iterator[Any]],
        columns: tuple[str, ...],
    ) -> Response:
        """A search's every match as CSV, streamed; who exported what goes in the audit log
        (every export: each is a copy of the data leaving the centre)."""
        try:
            query = parse(dict(request.query_params))
        except QueryProblem as exc:
            return Response(str(exc), status_code=400, media_type="text/plain")
        await self.web.audit(visitor.name, action, describe(query))
        rows = rows_of(query)  # read in the response's worker thread
        filename = export_filename(name, query, self.web.today())
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
        lines = csv_lines(rows, columns, zone=self.web.tz)
        return StreamingResponse(lines, media_type="text/csv; charset=utf-8", headers=headers)

    def searched(self, query: CheckQuery | None, found: list[Any]) -> dict[str, Any]:
        """The reasons a word of the search named, in words (when it named several), whether
        the table shows the flags' columns, and the reasons' words to choose from."""
        reasons = query.reasons if query is not None else ()
        words = [self.web.reason_words(r) for r in reasons] if len(reasons) > 1 else []
        return {
            "searched_reasons": words,
            "flag_columns": any(c.flag for c in found),
            # offered as the reason field is typed in, as the table names them
            "reason_words": list(dict.fromkeys(self.web.reason_words(r) for r in REASONS)),
        }

    async def records(self, request: Request, visitor: Visitor) -> Response:
        def looked(query: CheckQuery) -> tuple[str, str]:
            asked = describe(query)
            action = "view_records" if asked == "everything" else "search_records"
            return action, asked

        return await self._search(
            request, visitor, "records.html", self.parse_checks, self.web.store.checks,
            "checks", looked, self.searched,
        )  # fmt: skip

    async def export(self, request: Request, visitor: Visitor) -> Response:
        store = self.web.store
        return await self._export(
            request, visitor, self.parse_checks, "export_csv", "checks", store.iter_checks,
            CSV_COLUMNS,
        )  # fmt: skip

    async def vehicle_records(self, request: Request, visitor: Visitor) -> Response:
        def search(query: VehicleQuery, limit: int) -> list[Any]:
            return list(self.web.store.vehicles(limit, query))

        return await self._search(
            request, visitor, "vehicle_records.html", self.parse_vehicles, search, "vehicles"
        )

    async def export_vehicles(self, request: Request, visitor: Visitor) -> Response:
        store = self.web.store
        return await self._export(
            request, visitor, self.parse_vehicles, "export_vehicles", "vehicles",
            store.iter_vehicles, VEHICLE_CSV_COLUMNS,
        )  # fmt: skip

    async def audit_log(self, request: Request, visitor: Visitor) -> Response:
        action = request.query_params.get("action", "").strip()[:MAX_FIELD_CHARS] or None
        entries = await self.web.call(self.web.store.audit_log, 300, action)
        return self.web.page(
            "audit.html", visitor, entries=entries, action=action or "", actions=AUDIT_ACTIONS
        )


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
