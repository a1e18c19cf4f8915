"""The printed record in Debian's headless Chromium, as an inspector sees it: the gate's page
(a sheet per day, the zone named, totals that agree with the rows, a fever's clinical reading and
room, in Chinese or English), printed to PDF; and the same export from the centre's pages, audited.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from pypdf import PdfReader

from simulator.broker import PrivateBroker
from terminal.cli.main import main
from terminal.common.printed.words import REASON_WORDS
from terminal.rules.policy import Reason
from tests.support.board import local_now
from tests.support.centre_messages import FakeGate
from tests.support.desk import Centre, audit_entries, browser, centre_running, signed_in
from tests.support.inspection import (
    FEVER_C,
    FIRST_DAY,
    GATE,
    ROOM,
    SECOND_DAY,
    gate_toml,
    write_record,
)

__all__ = ["browser"]  # the module's one browser
PARK = "printed-park"


@pytest.fixture(scope="module")
def gate_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The gate's record of two days exported as a page in each language."""
    folder = tmp_path_factory.mktemp("printed")
    write_record(folder / "record.sqlite")
    config_file = gate_toml(folder, folder / "record.sqlite")
    pages = {}
    for language in ("en", "zh"):
        pages[language] = folder / f"record-{language}.html"
        assert main(["record", "export", "--config", str(config_file), "--from", FIRST_DAY,
                     "--to", SECOND_DAY, "--format", "html", "--lang", language,
                     "--output", str(pages[language])]) == 0  # fmt: skip
    pages["config"] = config_file
    return pages


def count(locator: Locator) -> int:
    return int(locator.inner_text())


def assert_totals_agree_with_rows(sheet: Locator) -> None:
    """Every total of the sheet, counted again from the rows it sums up."""
    checks = sheet.locator("table.checks tbody tr.check")
    flags = sheet.locator("table.flags tbody tr.flag")
    totals = sheet.locator("table.totals")
    decisions = Counter(row.get_attribute("data-decision") for row in checks.all())
    reasons = Counter(
        row.get_attribute("data-reason")
        for row in checks.all()
        if row.get_attribute("data-decision") == "deny"
        and row.get_attribute("data-route") not in ("secondary_check", "rest", "wait")
    )
    outcomes = Counter(row.get_attribute("data-outcome") for row in flags.all())
    assert count(totals.locator("tr.checks .count")) == checks.count()
    assert count(totals.locator("tr.admitted .count")) == decisions["admit"]
    assert count(totals.locator("tr.staff-admitted .count")) == outcomes["admitted"]
    assert count(totals.locator("tr.fevers .count")) == outcomes["fever_confirmed"]
    assert count(totals.locator("tr.sent-to-guard .count")) == sheet.locator("tr.flagged").count()
    shown = {
        row.get_attribute("data-reason"): count(row.locator(".count"))
        for row in totals.locator("tr.refused-reason").all()
    }
    assert shown == dict(reasons)
    assert count(totals.locator("tr.refused .count")) == sum(reasons.values())
    isolated = sheet.locator('tr.check[data-route="isolation_room"]').count()
    rooms = sheet.locator('tr.flag[data-isolation="yes"]').count()
    assert count(totals.locator("tr.isolation .count")) == isolated + rooms
    assert count(totals.locator("tr.isolation-gate .count")) == isolated
    assert count(totals.locator("tr.isolation-check .count")) == rooms


@contextmanager
def printed_page(browser: Browser, path: Path, **options: Any) -> Iterator[Page]:
    """The gate's printed page at ``path`` open in a new tab (``options``: the tab's), closed
    after."""
    page = browser.new_page(**options)
    try:
        page.goto(path.as_uri())
        yield page
    finally:
        page.close()


def sheet_of(page: Page, day: str) -> Locator:
    """The sheet of one day (an ISO date) on a printed page."""
    return page.locator(f'section.day[data-day="{day}"]')


def test_the_gate_page_shows_a_signed_sheet_per_day_with_its_totals(
    browser: Browser, gate_pages: dict[str, Path]
) -> None:
    with printed_page(browser, gate_pages["en"], viewport={"width": 1000, "height": 1400}) as page:
        sheets = page.locator("section.day")
        expect(sheets).to_have_count(2)
        first = sheet_of(page, FIRST_DAY)
        expect(first.locator("h1")).to_have_text(f"Inspection record: Gate {GATE} · {FIRST_DAY}")
        # the zone named once a sheet, with its offset; the times in the rows are local
        expect(first.locator("p.zone")).to_have_text("Times are Asia/Shanghai (UTC+08:00)")
        expect(page.get_by_text("Asia/Shanghai")).to_have_count(2)
        expect(first.locator('tr[data-event="c1"] td.time')).to_have_text("07:58:12")
        expect(first.locator('tr[data-event="c3"] td.outcome')).to_have_text("refused: red code")
        fever = first.locator('tr.flag[data-flag="f1"]')
        expect(fever.locator("td.clinical")).to_have_text(f"{FEVER_C:.1f}")
        expect(fever.locator("td.guard")).to_have_text("guard-7")
        expect(fever.locator("td.went-to")).to_have_text(ROOM)
        expect(first.locator("tr.vehicle td.plate")).to_have_text("粤B12345")
        expect(first.locator(".signature")).to_have_text(["Inspector", "Security officer", "Date"])
        for sheet in sheets.all():
            assert_totals_agree_with_rows(sheet)
        expect(first.locator("table.totals tr.fevers .count")).to_have_text("1")
        # printed: each day on its own sheet, the tables' headers on every sheet a day takes
        page.emulate_media(media="print")
        assert first.evaluate("s => getComputedStyle(s).breakAfter") == "page"
        assert (
            first.locator("table.checks thead").evaluate("h => getComputedStyle(h).display")
            == "table-header-group"
        )


def test_where_each_person_went_is_what_the_turnstile_saw(
    browser: Browser, gate_pages: dict[str, Path]
) -> None:
    """An admission, by the gate or by staff after a secondary check, went where its passage
    says; a person the gate sent to the isolation room directly is sent to the room its config
    names, as after a confirmed fever."""
    with printed_page(browser, gate_pages["en"], viewport={"width": 1200, "height": 1400}) as page:
        first = sheet_of(page, FIRST_DAY)
        went = {
            event: first.locator(f'tr[data-event="{event}"] td.route').inner_text()
            for event in ("c1", "c2", "c3")
        }
        assert went == {"c1": "through the gate", "c2": "admitted, not yet through", "c3": ROOM}
        staff = first.locator('tr.flag[data-flag="f2"]')
        expect(staff.locator("td.outcome")).to_have_text("admitted by staff")
        expect(staff.locator("td.went-to")).to_have_text("turned back (did not pass in time)")
        expect(first.locator("table.totals tr.turned-back .count")).to_have_text("1")
        second = sheet_of(page, SECOND_DAY)
        expect(second.locator('tr[data-event="d2"] td.direction')).to_have_text("out")
        expect(first.locator('tr[data-event="c1"] td.direction')).to_have_text("in")


def test_each_check_shows_the_screening_word_and_the_estimated_core(
    browser: Browser, gate_pages: dict[str, Path]
) -> None:
    """A forehead of 35.9 sent to the guard beside one of 33.4 admitted: the screening's word and
    its estimate of the core explain it, and a footnote says each person is judged against
    their own usual or the crowd."""
    with printed_page(browser, gate_pages["en"], viewport={"width": 1200, "height": 1400}) as page:
        first = sheet_of(page, FIRST_DAY)
        headers = first.locator("table.checks thead tr:not(.running) th").all_inner_texts()
        assert "Forehead (screened) °C" in headers and "Est. core °C" in headers
        fever = first.locator('tr[data-event="f1"]')
        expect(fever.locator("td.screened")).to_have_text("35.9")
        expect(fever.locator("td.core")).to_have_text("38.3")
        expect(fever.locator("td.screening")).to_have_text("to the guard")
        expect(first.locator('tr[data-event="c1"] td.screening')).to_have_text("pass")
        expect(first.locator("p.screening-note")).to_contain_text("the person's own usual")


def test_every_printed_sheet_names_the_gate_the_day_and_who_printed_it(
    browser: Browser, gate_pages: dict[str, Path]
) -> None:
    with printed_page(browser, gate_pages["en"]) as page:
        first = sheet_of(page, FIRST_DAY)
        # the gate and the day in every table's header rows: repeated on each printed sheet
        running = first.locator("thead tr.running")
        # checks, secondary checks, vehicles, the totals
        expect(running).to_have_text([f"Inspection record: Gate {GATE} · {FIRST_DAY}"] * 4)
        printed = first.locator("p.printed").inner_text()
        record = gate_pages["config"].parent / "record.sqlite"
        assert re.fullmatch(
            rf"Printed \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00 from the gate's record "
            rf"{re.escape(str(record))} by \S+",
            printed,
        ), printed
        expect(first.locator("p.direction-note")).to_have_count(0)  # the gate keeps it


def test_the_chinese_page_is_in_chinese(browser: Browser, gate_pages: dict[str, Path]) -> None:
    with printed_page(browser, gate_pages["zh"]) as page:
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        first = sheet_of(page, FIRST_DAY)
        # a full-width colon, as in every other Chinese label
        expect(first.locator("h1")).to_have_text(f"检查记录：闸机 {GATE} · {FIRST_DAY}")
        expect(first.locator("p.zone")).to_have_text("时间均为 Asia/Shanghai (UTC+08:00)")
        expect(first.locator('tr[data-event="c3"] td.outcome')).to_have_text("拒绝：红码")
        expect(first.locator('tr.flag[data-flag="f1"] td.outcome')).to_have_text("确认发热")
        expect(first.locator(".signature")).to_have_text(["检查人员", "安保负责人", "日期"])
        assert not re.search(r"[A-Za-z]{4,}", first.locator("table.totals tbody").inner_text())


def test_every_reason_the_gate_gives_has_printed_words() -> None:
    assert {reason.value for reason in Reason} <= set(REASON_WORDS)


@pytest.mark.slow  # prints in Chromium
def test_the_pdf_has_a_sheet_per_day(gate_pages: dict[str, Path]) -> None:
    out = gate_pages["config"].parent / "record.pdf"
    assert main(["record", "export", "--config", str(gate_pages["config"]), "--from", FIRST_DAY,
                 "--to", SECOND_DAY, "--format", "pdf", "--lang", "en",
                 "--output", str(out)]) == 0  # fmt: skip
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-")
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    # every sheet names its gate and day (a long day's next sheets too) and its number, in the
    # PDF's own text; each day starts a sheet of its own
    named = []
    for number, words in enumerate(pages, 1):
        assert f"page {number} of {len(pages)}" in words
        [day] = set(re.findall(rf"Gate {GATE} · (\d{{4}}-\d\d-\d\d)", words))
        named.append(day)
    assert named[0] == FIRST_DAY and named[-1] == SECOND_DAY and named == sorted(named)
    assert named.count(FIRST_DAY) >= 2  # the first day runs over to a second sheet here


# --- the centre ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory, broker: PrivateBroker) -> Iterator[Centre]:
    folder = tmp_path_factory.mktemp("printed-centre")
    with centre_running(folder, broker, park=PARK, gates=["gate-p"], web={"language": "en"}) as c:
        yield c


def _ingest(centre: Centre, messages: list[tuple[str, bytes]]) -> None:
    now = local_now(centre)
    for topic, payload in messages:
        centre.store.ingest(topic, payload, now)


def _download(page: Page, button: str = "#download") -> str:
    with page.expect_download() as download:
        page.click(button)
    return Path(download.value.path()).read_text(encoding="utf-8")


def test_the_centre_exports_the_printed_record_from_its_store(
    browser: Browser, centre: Centre
) -> None:
    now = local_now(centre)
    gate, other = FakeGate("gate-p", park=PARK), FakeGate("gate-q", park=PARK)
    row, flagged = gate.flagged(now, person_id="P-FEVER")
    _ingest(centre, [
        gate.check(now, person_id="P-1"),
        gate.check(now, person_id="P-2", decision="deny", reason="code_yellow", route="aside",
                   code="yellow"),
        *flagged,
        gate.fever(row.event_id, now, clinical_c=38.4, person_id="P-FEVER"),
        gate.vehicle(now, "沪A12345", "P-1", "admitted"),
        other.check(now, person_id="Q-1"),
    ])  # fmt: skip
    today = now.date().isoformat()
    page = signed_in(browser, centre, "victor")
    try:
        page.goto(f"{centre.url}/records/printed")
        page.fill("#p-from", today)
        page.fill("#p-to", today)
        page.select_option("#p-gate", "gate-p")
        page.select_option("#p-format", "html")
        page.select_option("#p-lang", "en")
        html = _download(page)
        page.set_content(html)
        sheet = page.locator("section.day")
        expect(sheet).to_have_count(1)
        expect(sheet).to_have_attribute("data-gate", "gate-p")
        expect(sheet.locator("p.zone")).to_have_text("Times are Asia/Shanghai (UTC+08:00)")
        fever = sheet.locator("tr.flag")
        expect(fever.locator("td.clinical")).to_have_text("38.4")
        expect(fever.locator("td.went-to")).to_have_text("Room 3, east wing, ground floor")
        expect(sheet.locator("tr.check")).to_have_count(3)
        assert_totals_agree_with_rows(sheet)
        # all gates, as CSV: each gate's rows, times with the park's offset
        response = page.request.get(
            f"{centre.url}/records/printed/export?date_from={today}&date_to={today}"
            "&format=csv&lang=en"
        )
        assert response.ok and response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text())))
        assert {row["gate"] for row in rows} == {"gate-p", "gate-q"}
        assert all(row["at"].endswith("+08:00") for row in rows)
        assert [row["clinical_c"] for row in rows if row["kind"] == "flag"] == ["38.4"]
        # who exported which days of which gate (the newest first): never a reading or a person
        exported = [d for a, d in audit_entries(centre, "victor") if a == "export_record"]
        assert exported == [
            f"{today}..{today} gate=all format=csv lang=en",
            f"{today}..{today} gate=gate-p format=html lang=en",
        ]
        # a range backwards is named on the form, nothing exported
        page.goto(
            f"{centre.url}/records/printed/export?date_from={today}&date_to=2020-01-01&format=csv"
        )
        expect(page.locator("#printed-problem")).to_contain_text(
            f"date_from {today} is after date_to 2020-01-01"
        )
    finally:
        page.close()


def test_the_centres_record_says_where_people_went_and_who_printed_it(
    browser: Browser, centre: Centre
) -> None:
    """Yesterday at gate-p, as the centre heard it: a red code the gate sent to its isolation
    room, an admission that went through, one admitted by staff who turned back."""
    yesterday = local_now(centre) - timedelta(days=1)
    gate = FakeGate("gate-p", park=PARK)
    sent_away = {
        "person_id": "P-RED",
        "decision": "deny",
        "reason": "code_red",
        "route": "isolation_room",
        "code": "red",
        "event_id": "red-at-gate-p",
    }
    red = gate.check_row(yesterday, **sent_away)  # type: ignore[arg-type]
    through = gate.check_row(yesterday, person_id="P-IN", event_id="went-through-p")
    flag, flagged = gate.flagged(yesterday, person_id="P-STAFF")
    _ingest(centre, [
        gate.check(yesterday, **sent_away),
        gate.direct_alert(red, "health_code", ("Room 3", "east wing")),
        gate.check(yesterday, person_id="P-IN", event_id=through.event_id),
        gate.passage(through.event_id, yesterday + timedelta(seconds=3), "passed"),
        *flagged,
        gate.resolved(flag.event_id, yesterday + timedelta(minutes=2), "admitted",
                      person_id="P-STAFF"),
        gate.passage(flag.event_id, yesterday + timedelta(minutes=2, seconds=8), "not_passed"),
    ])  # fmt: skip
    day = yesterday.date().isoformat()
    page = signed_in(browser, centre, "victor")
    try:
        response = page.request.get(
            f"{centre.url}/records/printed/export?date_from={day}&date_to={day}&gate=gate-p"
            "&format=html&lang=en"
        )
        assert response.ok
        page.set_content(response.text())
        sheet = page.locator("section.day")
        expect(sheet.locator(f'tr[data-event="{red.event_id}"] td.route')).to_have_text(
            "Room 3, east wing"
        )
        expect(sheet.locator(f'tr[data-event="{through.event_id}"] td.route')).to_have_text(
            "through the gate"
        )
        expect(sheet.locator("tr.flag td.went-to")).to_have_text(
            "turned back (did not pass in time)"
        )
        expect(sheet.locator("p.printed")).to_contain_text("from the centre's store by victor")
        # the gates do not send which way a check led: said once, the column left empty
        expect(sheet.locator("p.direction-note")).to_have_text("In/out: not kept at the centre")
        expect(sheet.locator("tr.check td.direction")).to_have_text(["\u2013"] * 3)
        assert_totals_agree_with_rows(sheet)
    finally:
        page.close()


def test_the_centre_refuses_a_gate_it_lacks_days_to_come_and_a_pdf_it_cannot_print(
    browser: Browser,
    centre: Centre,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    today = local_now(centre).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    page = signed_in(browser, centre, "victor")
    before = audit_entries(centre, "victor")
    try:
        export = f"{centre.url}/records/printed/export?date_from={today}"

        def refused(query: str, status: int) -> str:
            response = page.request.get(export + query)
            assert response.status == status
            page.set_content(response.text())
            return page.locator("#printed-problem").inner_text()

        said = refused(f"&date_to={today}&gate=gate-nowhere&format=csv", 400)
        assert said == "There is no gate called “gate-nowhere”"
        assert f"date_to {tomorrow} is after today" in refused(f"&date_to={tomorrow}", 400)
        # Chromium, but no Chinese font on the centre's machine: the server's to fix
        (tmp_path / "chromium").symlink_to("/usr/bin/chromium")
        (tmp_path / "fc-list").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
        (tmp_path / "fc-list").chmod(0o755)
        monkeypatch.setenv("PATH", str(tmp_path))
        said = refused(f"&date_to={today}&gate=gate-p&format=pdf&lang=zh", 503)
        assert said == (
            "This centre cannot print Chinese PDFs: install fonts-noto-cjk, or choose English"
        )
        # nothing was exported: nothing audited
        assert audit_entries(centre, "victor") == before
    finally:
        page.close()
