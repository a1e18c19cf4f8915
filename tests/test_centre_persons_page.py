"""A person's own data on the centre's persons page, end to end in Debian's headless Chromium with
a real Mosquitto, the centre's collector and a live gate: a health officer asks every gate for a
person's data and downloads one file of it; erases them after typing their id again; nobody else
may do either."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from simulator.broker import PrivateBroker
from terminal.centre.store import CheckQuery
from tests.support.desk import (
    SEEN_MS,
    Centre,
    LiveGate,
    browser,
    centre_running,
    signed_in,
)
from tests.support.records import check

__all__ = ["browser"]  # the module's one browser
# a browser, a centre and a gate on a broker: the same requests are tested without them, through
# the gate's command desk and the centre's ingest (test_person_commands, test_centre_persons)
pytestmark = pytest.mark.soak
PARK, GATE = "persons-park", "gate-p"
ANNA = "W-anna"


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory, broker: PrivateBroker) -> Iterator[Centre]:
    with centre_running(
        tmp_path_factory.mktemp("persons"), broker, park=PARK, gates=[GATE], web={"language": "en"}
    ) as running:
        yield running


@pytest.fixture
def gate(tmp_path: Path, broker: PrivateBroker, centre: Centre) -> Iterator[LiveGate]:
    """A gate whose record holds a check of Anna's, which the centre has too (written as the
    gate writes a check: walking a person up to it takes seconds and is not what this is about)."""
    live = LiveGate(tmp_path, broker, [], park=PARK, gate=GATE)
    try:
        now = live.rig.clock.time()
        row = check(uuid.uuid4().hex, now, park=PARK, gate=GATE, person_id=ANNA)
        live.record.add_check(row, [live.gate.messages.check(row)])
        live.run_until(lambda: bool(centre.store.checks(CheckQuery(person_id=ANNA))))
        yield live
    finally:
        live.close()


def _answered(page: Page, gate: LiveGate, outcome: str) -> None:
    """Let the gate take its commands until the request page shows its answer."""
    row = page.locator(f'#answers tr[data-gate="{GATE}"]')
    gate.run_until(lambda: bool(gate.record.commands()))
    for _ in range(100):
        page.reload()
        if row.get_attribute("data-outcome") == outcome and (
            row.get_attribute("data-complete") in (None, "yes")
        ):
            return
        gate.run_until(lambda: True)
        page.wait_for_timeout(100)
    raise AssertionError(f"the gate's answer never showed: {row.inner_text()}")


def test_a_health_officer_gets_one_file_of_a_persons_data_then_erases_them(
    browser: Browser, centre: Centre, gate: LiveGate
) -> None:
    page = signed_in(browser, centre, "hana")
    page.goto(f"{centre.url}/persons")
    form = page.locator("#form-export")
    form.locator('input[name="person_id"]').fill(ANNA)
    form.locator('button[type="submit"]').click()
    expect(page.locator("#request-summary")).to_have_attribute("data-kind", "export")
    _answered(page, gate, "done")
    with page.expect_download() as download:
        page.click("#download")
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    checks = exported["gates"][f"{PARK}/{GATE}"]["tables"]["checks"]
    assert [c["person_id"] for c in checks] == [ANNA]
    assert checks[0]["epoch"].endswith("+08:00")  # the park's offset
    assert [c["person_id"] for c in exported["centre"]["checks"]] == [ANNA]
    # the audit log says who asked, when and why, and never whom
    asked = [e for e in centre.store.audit_log(500) if e.action.startswith("person")]
    assert {e.action for e in asked} == {"person_export", "person_export_answer", "person_download"}
    assert all(ANNA not in e.detail for e in asked)

    # erasure: the id typed again must be theirs
    page.goto(f"{centre.url}/persons")
    erase = page.locator("#form-erase")
    erase.locator('input[name="person_id"]').fill(ANNA)
    erase.locator('input[name="reason"]').fill(f"PIPL art. 47, request by {ANNA} of today")
    erase.locator('button[type="submit"]').click()
    expect(page.locator("#erasure-where")).to_contain_text(GATE)
    page.fill("#typed-id", "W-ann")
    page.click("#confirm")
    expect(page.locator("#person-problem")).to_contain_text("nothing was erased")
    assert gate.record.person_data(ANNA)
    # typed in lower case: the centre finds the gate's spelling and says what it holds
    erase.locator('input[name="person_id"]').fill(ANNA.lower())
    erase.locator('input[name="reason"]').fill("PIPL art. 47")
    erase.locator('button[type="submit"]').click()
    expect(page.locator("#erasure-held")).to_contain_text(ANNA)
    expect(page.locator('#held-rows tr[data-table="checks"] .count')).to_have_text("1")
    page.fill("#typed-id", ANNA.lower())
    page.click("#confirm")
    expect(page.locator("#centre-outcome")).to_contain_text("checks", timeout=SEEN_MS)
    _answered(page, gate, "done")
    assert gate.record.person_data(ANNA) == {}
    assert centre.store.checks(CheckQuery(person_id=ANNA)) == []
    erased = [e for e in centre.store.audit_log(500) if e.action.startswith("person_erase")]
    assert {e.action for e in erased} == {"person_erase", "person_erase_answer"}
    page.close()


def test_nobody_but_a_health_officer_may_see_or_use_the_persons_page(
    browser: Browser, centre: Centre
) -> None:
    page = signed_in(browser, centre, "anna")  # a guard: the desk's every action but this
    expect(page.locator("nav a[href='/persons']")).to_have_count(0)
    for path in ("/persons", "/persons/any-request/download"):
        response = page.goto(f"{centre.url}{path}")
        assert response is not None and response.status == 403
    page.close()
