"""The zones at the centre, in Debian's headless Chromium: the board's Zones panel follows what the
gates of a zone count (a full zone, gates that disagree, a gate cut off) and today's waits and
zone refusals; at the desk, a fire drill at a gate brings its roll call, and ticking someone off
updates who is still unaccounted for and the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from simulator.broker import PrivateBroker
from tests.support.board import local_now, publish
from tests.support.centre_fixture import wait_until
from tests.support.centre_messages import FakeGate
from tests.support.desk import SEEN_MS, Centre, audit_entries, browser, centre_running, signed_in

__all__ = ["browser"]
PARK = "zone-park"  # a park of its own: no retained status from other tests


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory, broker: PrivateBroker) -> Iterator[Centre]:
    folder: Path = tmp_path_factory.mktemp("zones")
    with centre_running(folder, broker, park=PARK, web={"language": "en"}) as running:
        yield running


def test_the_board_shows_each_zone_live_full_and_where_its_gates_disagree(
    browser: Browser, centre: Centre, broker: PrivateBroker
) -> None:
    now = local_now(centre)
    a, b = FakeGate("hall-a", park=PARK), FakeGate("hall-b", park=PARK)
    publish(
        broker,
        [
            a.status("online", now, zone=("hall", 3, 2)),
            b.status("online", now, zone=("hall", 3, 2)),
            a.check(now, person_id="W7", decision="deny", reason="zone_full", route="wait"),
            b.check(now, person_id="W1", decision="deny", reason="anti_passback", route="aside"),
        ],
    )
    page = signed_in(browser, centre, "victor")
    page.goto(f"{centre.url}/board")
    row = page.locator('#zones tr.zone[data-zone="hall"]')
    expect(row).to_have_attribute("data-inside", "2", timeout=SEEN_MS)
    expect(row.locator(".inside")).to_contain_text("2 / 3")
    expect(row.locator(".gates")).to_have_text("hall-a, hall-b")
    expect(row.locator(".waits")).to_have_text("1", timeout=SEEN_MS)
    expect(row.locator(".passback")).to_have_text("1")
    expect(row.locator(".not-inside")).to_have_text("0")
    assert row.get_attribute("data-full") is None and row.get_attribute("data-disagree") is None
    # W7 comes in at A; B, cut off, has not heard it: the page follows without a reload
    later = now + dt.timedelta(seconds=5)
    cut_off = "counting own passages only since 08:10; occupancy may be under-counted"
    publish(
        broker,
        [
            a.status("online", later, zone=("hall", 3, 3)),
            b.status("online", later, zone=("hall", 3, 2), zone_assumption=cut_off),
        ],
    )
    expect(row).to_have_attribute("data-full", "1", timeout=SEEN_MS)
    expect(row).to_have_attribute("data-disagree", "1", timeout=SEEN_MS)
    expect(row.locator(".disagree")).to_have_text("the gates count differently")
    expect(row.locator('.gate-count[data-gate="hall-a"]')).to_have_text("hall-a: 3/3")
    expect(row.locator('.gate-count[data-gate="hall-b"]')).to_have_text("hall-b: 2/3")
    expect(row.locator(".full")).to_have_text("full")
    expect(row.locator(".assumption")).to_have_text(f"hall-b: {cut_off}")
    page.close()


def test_a_fire_drill_brings_the_roll_call_and_people_are_ticked_off(
    browser: Browser, centre: Centre, broker: PrivateBroker
) -> None:
    now = local_now(centre)
    gate = FakeGate("hall-fire", park=PARK)
    guard = signed_in(browser, centre, "anna")
    viewer = signed_in(browser, centre, "victor")
    assert guard.locator("section.muster").count() == 0
    inside = [("W0001", now - dt.timedelta(hours=2)), ("W0002", now - dt.timedelta(hours=1))]
    alarm = gate.fire_alarm("emergency", now, zone="hall", inside=inside, inside_count=3)
    publish(broker, [gate.status("online", now, zone=("hall", None, 3)), alarm])

    muster = guard.locator('section.muster[data-gate="hall-fire"]')
    expect(muster).to_be_visible(timeout=SEEN_MS)  # no reload: the desk follows the store
    expect(muster).to_have_attribute("data-unaccounted", "2")
    expect(muster.locator(".unaccounted")).to_contain_text("Not yet accounted for: 2")
    expect(muster.locator(".unnamed")).to_contain_text("1 more came in by a staff override")
    expect(muster).to_contain_text("people who came in during the alarm's free passage")
    people = muster.locator("tr.muster-person")
    expect(people).to_have_count(2)
    expect(people.nth(0).locator(".person")).to_have_text("W0001")
    # a viewer sees the roll call, and nothing to tick
    viewer_muster = viewer.locator('section.muster[data-gate="hall-fire"]')
    expect(viewer_muster.locator("tr.muster-person")).to_have_count(2, timeout=SEEN_MS)
    assert viewer_muster.locator("button.account").count() == 0

    # W0002 reaches the muster point: one click
    w2 = muster.locator('tr.muster-person[data-person="W0002"]')
    w2.locator("button.account").click()
    expect(w2).to_have_attribute("data-accounted", "1", timeout=SEEN_MS)
    expect(w2.locator(".accounted-by")).to_contain_text("accounted for by anna")
    expect(muster).to_have_attribute("data-unaccounted", "1")
    expect(muster.locator(".unaccounted")).to_contain_text("Not yet accounted for: 1")
    expect(viewer_muster).to_have_attribute("data-unaccounted", "1", timeout=SEEN_MS)
    # the audit is written as the tick's answer goes back: the page may show the tick first
    wait_until(
        lambda: any(e[0] == "muster" for e in audit_entries(centre, "anna")),
        SEEN_MS / 1000,
        "the tick in the audit log",
    )
    (entry,) = [e for e in audit_entries(centre, "anna") if e[0] == "muster"]
    assert entry[1].startswith("W0002 accounted for (fire alarm ")
    (kept,) = centre.store.musters()
    assert {p.person_id: p.accounted_by for p in kept.people} == {"W0001": None, "W0002": "anna"}

    # the alarm clears: the roll call leaves the desk
    publish(broker, [gate.fire_alarm("emergency_over", now + dt.timedelta(minutes=5))])
    wait_until(lambda: centre.store.musters() == [], SEEN_MS / 1000, "the alarm's end")
    expect(muster).to_have_count(0, timeout=SEEN_MS)
    guard.close()
    viewer.close()
