"""The printable page of the record: one sheet per gate and day, for an inspector to read, sign
and file. Each sheet names its gate, its day and, once, the zone its times are in; then the checks
of people (time, person, code colour, screened reading, outcome, where they were sent), the
secondary checks (the guard's clinical reading, who took it, where the person went), the
vehicles, the day's totals and lines for the signatures.

Built by string building with every value escaped (the gate's install has no template engine):
what a gate recorded is text, never markup. The print stylesheet starts each day on a new sheet
and repeats the tables' headers on every sheet a long day takes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from html import escape

from terminal.common.printed.rows import (
    NOT_YET_DECIDED,
    CheckLine,
    FlagLine,
    PrintedDay,
    VehicleLine,
)
from terminal.common.printed.went import WentTo
from terminal.common.printed.words import (
    CODE_WORDS,
    DIRECTION_WORDS,
    OUTCOME_WORDS,
    PAGE_NUMBER,
    REASON_WORDS,
    ROUTE_WORDS,
    SCREENING_WORDS,
    VEHICLE_WORDS,
    Language,
    text,
    word,
)
from terminal.common.times import clock, iso, zone_label

NOTHING = "\u2013"  # an en dash: no value
FONTS = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", '
    '"PingFang SC", "DejaVu Sans", sans-serif'
)
STYLE = f"""
@page {{ size: A4; margin: 14mm 12mm 16mm; }}
* {{ box-sizing: border-box; }}
body {{ font-family: {FONTS}; font-size: 10pt; color: #000; background: #fff; margin: 0; }}
section.day {{ padding: 8mm; }}
section.day + section.day {{ border-top: 2px solid #888; }}
h1 {{ font-size: 15pt; margin: 0 0 2mm; }}
h2 {{ font-size: 11.5pt; margin: 5mm 0 1.5mm; }}
p.meta {{ margin: 0.5mm 0; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #666; padding: 0.8mm 1.2mm; text-align: left; vertical-align: top; }}
/* nine columns on A4: a little smaller than the text, so that a row takes one line */
table.checks, table.flags {{ font-size: 8.5pt; }}
td.time, td.num, td.direction, td.checked-at {{ white-space: nowrap; }}
th {{ background: #eee; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr.flagged td {{ font-weight: bold; }}
table.totals {{ width: auto; min-width: 50%; }}
table.totals td.reason, table.totals tr.part td.what {{ padding-left: 6mm; }}
p.nothing {{ color: #444; font-style: italic; }}
p.note {{ font-size: 8.5pt; color: #333; margin: 1mm 0; }}
tr.running th {{ background: #fff; font-weight: normal; border: none; padding: 0 0 1mm; }}
.signatures {{ display: flex; gap: 8mm; margin-top: 10mm; }}
.signature {{ flex: 1; border-top: 1px solid #000; padding-top: 1mm; }}
@media print {{
  section.day {{ padding: 0; break-after: page; }}
  section.day:last-child {{ break-after: auto; }}
  section.day + section.day {{ border-top: none; }}
  thead {{ display: table-header-group; }}
  tr, .signatures {{ break-inside: avoid; }}
  .signatures {{ break-before: avoid; }}  /* never a sheet of signatures alone */
  h2 {{ break-after: avoid; }}
}}
"""


def _cell(value: object, css: str = "") -> str:
    shown = NOTHING if value is None or value == "" else str(value)
    attribute = f' class="{css}"' if css else ""
    return f"<td{attribute}>{escape(shown)}</td>"


def _degrees(value: float | None) -> str | None:
    return None if value is None else f"{value:.1f}"


def _table(css: str, running: str, headers: Sequence[str], rows: Sequence[str]) -> str:
    """A table whose header rows, the gate-and-day line first, repeat on every printed sheet."""
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    running_row = f'<tr class="running"><th colspan="{len(headers)}">{escape(running)}</th></tr>'
    return (
        f'<table class="{css}"><thead>{running_row}<tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


@dataclass(frozen=True)
class Printing:
    """When the record was printed, from where and by whom: ``source`` is ``gate`` (its record
    at ``path``) or ``centre`` (its store); ``by`` the OS user at the gate, the signed-in user
    at the centre."""

    at_s: float
    source: str
    by: str
    path: str | None = None


class DayPage:
    """One printed day in one language."""

    def __init__(self, day: PrintedDay, language: Language, printing: Printing) -> None:
        self.day = day
        self.language = language
        self.printing = printing
        self.running = self.t(
            "title_line",
            title=self.t("title"),
            heading=self.t("heading", gate=day.gate, day=day.day),
        )

    def t(self, key: str, **values: object) -> str:
        return text(key, self.language, **values)

    def _time(self, at_s: float | None) -> str:
        return clock(at_s, self.day.zone)

    def _person(self, person_id: str | None) -> str:
        return person_id or self.t("unidentified")

    def _outcome(self, decision: str, reason: str, route: str) -> str:
        if decision == "admit":
            return self.t("admit")
        reason_words = word(REASON_WORDS, reason, self.language)
        # sent to the guard, to rest or to wait: not refused, their check goes on
        return reason_words if route in NOT_YET_DECIDED else self.t("deny", reason=reason_words)

    def _went_to(self, where: WentTo | None, route: str | None = None) -> str | None:
        if where is None:
            return word(ROUTE_WORDS, route, self.language) or None
        return where.words(self.language)

    def _check(self, line: CheckLine) -> str:
        language = self.language
        flagged = ' class="check flagged"' if line.route == "secondary_check" else ' class="check"'
        return (
            f'<tr{flagged} data-event="{escape(line.event_id)}" '
            f'data-decision="{escape(line.decision)}" data-reason="{escape(line.reason)}" '
            f'data-route="{escape(line.route)}">'
            + _cell(self._time(line.at_s), "time")
            + _cell(word(DIRECTION_WORDS, line.direction, language), "direction")
            + _cell(self._person(line.person_id), "person")
            + _cell(word(CODE_WORDS, line.code, language), "code")
            + _cell(_degrees(line.screened_c), "num screened")
            + _cell(_degrees(line.estimated_core_c), "num core")
            + _cell(word(SCREENING_WORDS, line.screening, language), "screening")
            + _cell(self._outcome(line.decision, line.reason, line.route), "outcome")
            + _cell(self._went_to(line.went_to(), line.route), "route")
            + "</tr>"
        )

    def _flag(self, flag: FlagLine) -> str:
        language = self.language
        went_to = self._went_to(flag.went_to())
        return (
            f'<tr class="flag" data-flag="{escape(flag.flag_id)}" '
            f'data-outcome="{escape(flag.outcome)}" '
            f'data-isolation="{"yes" if flag.isolation_room is not None else "no"}">'
            + _cell(self._time(flag.raised_s), "time")
            + _cell(self._person(flag.person_id), "person")
            + _cell(_degrees(flag.screened_c), "num screened")
            + _cell(_degrees(flag.estimated_core_c), "num core")
            + _cell(_degrees(flag.clinical_c), "num clinical")
            + _cell(flag.checked_by, "guard")
            + _cell(self._time(flag.checked_s), "checked-at")
            + _cell(word(OUTCOME_WORDS, flag.outcome, language), "outcome")
            + _cell(went_to, "went-to")
            + "</tr>"
        )

    def _vehicle(self, vehicle: VehicleLine) -> str:
        return (
            f'<tr class="vehicle" data-decision="{escape(vehicle.decision)}">'
            + _cell(self._time(vehicle.at_s), "time")
            + _cell(vehicle.plate, "plate")
            + _cell(vehicle.driver, "driver")
            + _cell(vehicle.purpose, "purpose")
            + _cell(word(VEHICLE_WORDS, vehicle.reason, self.language), "outcome")
            + _cell(vehicle.by, "by")
            + "</tr>"
        )

    def _part(
        self, css: str, heading: str, headers: Sequence[str], rows: Sequence[str], note: str = ""
    ) -> str:
        body = (
            _table(css, self.running, headers, rows) + note
            if rows
            else f'<p class="nothing">{escape(self.t("nothing"))}</p>'
        )
        return f"<h2>{escape(self.t(heading))}</h2>{body}"

    def _totals(self) -> str:
        totals = self.day.totals()

        def row(key: str, value: int, css: str, data: str = "") -> str:
            return (
                f'<tr class="{css}"{data}><td class="what">{escape(self.t(key))}</td>'
                f'<td class="num count">{value}</td></tr>'
            )

        lines = [
            row("total_checks", totals.checks, "checks"),
            row("total_screened", totals.screened, "screened"),
            row("total_admitted", totals.admitted, "admitted"),
            row("total_staff_admitted", totals.staff_admitted, "staff-admitted"),
            row("total_refused", totals.refused_total, "refused"),
        ]
        for reason, count in totals.refused.items():
            lines.append(
                f'<tr class="refused-reason" data-reason="{escape(reason)}">'
                f'<td class="reason">{escape(word(REASON_WORDS, reason, self.language))}</td>'
                f'<td class="num count">{count}</td></tr>'
            )
        lines += [
            row("total_sent_to_guard", totals.sent_to_guard, "sent-to-guard"),
            row("total_rested", totals.told_to_rest, "rested"),
            row("total_waited", totals.told_to_wait, "waited"),
            row("total_fevers", totals.fevers_confirmed, "fevers"),
            row("total_isolation", totals.isolation, "isolation"),
            row("total_isolation_gate", totals.isolation_from_gate, "isolation-gate part"),
            row("total_isolation_check", totals.isolation_after_check, "isolation-check part"),
            row("total_turned_back", totals.turned_back, "turned-back"),
            row("total_vehicles", totals.vehicles, "vehicles"),
            row("total_vehicles_admitted", totals.vehicles_admitted, "vehicles-admitted"),
        ]
        # the gate and the day atop the totals too: they may start a sheet of their own
        running = f'<thead><tr class="running"><th colspan="2">{escape(self.running)}</th></tr>'
        return (
            f"<h2>{escape(self.t('totals'))}</h2>"
            f'<table class="totals">{running}</thead><tbody>{"".join(lines)}</tbody></table>'
        )

    def _printed(self) -> str:
        printing = self.printing
        source = (
            self.t("source_gate", path=printing.path)
            if printing.source == "gate"
            else self.t("source_centre")
        )
        line = self.t("printed", at=iso(printing.at_s, self.day.zone), source=source,
                      by=printing.by)  # fmt: skip
        html = f'<p class="meta printed">{escape(line)}</p>'
        if printing.source == "centre":  # the gates do not send which way a check led
            html += f'<p class="meta direction-note">{escape(self.t("direction_not_kept"))}</p>'
        return html

    def _signatures(self) -> str:
        boxes = "".join(
            f'<div class="signature">{escape(self.t(key))}</div>'
            for key in ("sign_inspector", "sign_officer", "sign_date")
        )
        return f'<div class="signatures" aria-label="{escape(self.t("signatures"))}">{boxes}</div>'

    def html(self) -> str:
        day = self.day
        t = self.t
        # the offset of the day's noon: a zone with summer time names the one the day mostly had
        noon_s = datetime.combine(day.day, time(12, 0), day.zone).timestamp()
        note = f'<p class="note screening-note">{escape(t("screening_note"))}</p>'
        checks = self._part(
            "checks", "checks",
            [t("time"), t("direction"), t("person"), t("code"), t("screened"), t("core"),
             t("screening"), t("outcome"), t("went_to")],
            [self._check(line) for line in day.checks], note,
        )  # fmt: skip
        flags = self._part(
            "flags", "flags",
            [t("time"), t("person"), t("screened"), t("core"), t("clinical"), t("checked_by"),
             t("checked_at"), t("outcome"), t("went_to")],
            [self._flag(flag) for flag in day.flags],
        )  # fmt: skip
        vehicles = self._part(
            "vehicles", "vehicles",
            [t("time"), t("plate"), t("driver"), t("purpose"), t("outcome"), t("by")],
            [self._vehicle(vehicle) for vehicle in day.vehicles],
        )  # fmt: skip
        return (
            f'<section class="day" data-gate="{escape(day.gate)}" '
            f'data-day="{day.day.isoformat()}">'
            f"<h1>{escape(self.running)}</h1>"
            f'<p class="meta park">{escape(t("park", park=day.park))}</p>'
            f'<p class="meta zone">{escape(t("zone", zone=zone_label(day.zone, noon_s)))}</p>'
            f"{self._printed()}{checks}{flags}{vehicles}{self._totals()}{self._signatures()}</section>"
        )


def render_html(days: Iterable[PrintedDay], language: Language, printing: Printing) -> str:
    """The whole document: one section (one printed sheet or more) per gate and day."""
    sections = "".join(DayPage(day, language, printing).html() for day in days)
    if not sections:  # no gate recorded anything in the range asked for
        sections = f'<p class="nothing">{escape(text("nothing", language))}</p>'
    title = escape(text("title", language))
    lang = "zh-CN" if language == "zh" else "en"
    numbered = (
        "@page { @bottom-right { content: "
        + PAGE_NUMBER[language]
        + f"; font-family: {FONTS}; font-size: 8pt; }} }}"
    )
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{STYLE}{numbered}</style></head>"
        f"<body>{sections}</body></html>\n"
    )
