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
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

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


def test_the_gate_page_shows_a_signed_sheet_per_day_with_its_totals(
    browser: Browser, gate_pages: dict[str, Path]
) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    try:
        page.goto(gate_pages["en"].as_uri())
        sheets = page.locator("section.day")
        expect(sheets).to_have_count(2)
        first = page.locator(f'section.day[data-day="{FIRST_DAY}"]')
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
    finally:
        page.close()


def test_the_chinese_page_is_in_chinese(browser: Browser, gate_pages: dict[str, Path]) -> None:
    page = browser.new_page()
    try:
        page.goto(gate_pages["zh"].as_uri())
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        first = page.locator(f'section.day[data-day="{FIRST_DAY}"]')
        expect(first.locator("h1")).to_have_text(f"检查记录: 闸机 {GATE} · {FIRST_DAY}")
        expect(first.locator("p.zone")).to_have_text("时间均为 Asia/Shanghai (UTC+08:00)")
        expect(first.locator('tr[data-event="c3"] td.outcome')).to_have_text("拒绝：红码")
        expect(first.locator('tr.flag[data-flag="f1"] td.outcome')).to_have_text("确认发热")
        expect(first.locator(".signature")).to_have_text(["检查人员", "安保负责人", "日期"])
        assert not re.search(r"[A-Za-z]{4,}", first.locator("table.totals").inner_text())
    finally:
        page.close()


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
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 2


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
