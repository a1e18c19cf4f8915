"""The security desk and the board for screening a gate's guards can staff, in Debian's headless
Chromium, fed by gates over a real Mosquitto: why each person was sent on, the queue and its
expected wait, a gate's lockdown, who an unidentified person is, a flag nobody takes raised to
the health officer, people told to rest who never came back, and each gate's guard load."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, expect

from simulator.broker import PrivateBroker
from terminal.centre.store import CheckQuery, FlagView
from terminal.centre.web.board import CSV_COLUMNS, csv_lines
from terminal.centre.web.desk import identifiable, parse_identity
from tests.support.board import publish
from tests.support.centre_fixture import wait_until
from tests.support.centre_messages import FakeGate
from tests.support.desk import SEEN_MS, audit_entries, browser, centre_running, signed_in

__all__ = ["browser"]  # shared fixtures, taken by name

expect.set_options(timeout=15_000)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_desk_says_why_queues_the_flags_shows_a_lockdown_and_records_who_and_dismissals(
    browser: Browser, tmp_path: Path, broker: PrivateBroker
) -> None:
    park = "why-park"
    with centre_running(tmp_path, broker, park=park, web={"language": "en"}) as here:
        gate, other = FakeGate("gate-1", park=park), FakeGate("gate-2", park=park)
        now = dt.datetime.now(SHANGHAI)
        # lately, gate-1's guards took 2 and 4 minutes over a flag: the expected wait is 3
        earlier = []
        for n, minutes in enumerate((2, 4)):
            raised = now - dt.timedelta(minutes=30 + 10 * n)
            row, flagged = gate.flagged(raised, person_id=f"D{n}")
            earlier += [*flagged, gate.resolved(row.event_id, raised + dt.timedelta(
                minutes=minutes), "admitted", person_id=f"D{n}")]  # fmt: skip
        baseline_row, baseline = gate.screened_flag(
            now - dt.timedelta(seconds=90), "W0001", object_c=35.1, threshold_c=34.8,
            reference_c=34.2, basis="baseline", why="0.9 °C over their usual in this air",
        )  # fmt: skip
        old_row, old = gate.flagged(now - dt.timedelta(seconds=60), person_id="W0002")
        nameless_row, nameless = other.screened_flag(
            now - dt.timedelta(seconds=30), None, object_c=36.4, threshold_c=35.0,
            reference_c=34.6, basis="crowd", why="clearly high", temperature_c=38.6,
            kind="suspected_fever", route="isolation_room",
        )  # fmt: skip
        told, rest_check = gate.told_to_rest(now - dt.timedelta(minutes=25), person_id="W0003")
        messages = [
            gate.status("online", now, lockdown=True),
            other.status("online", now),
            *earlier,
            *old,  # heard first, raised second: the queue is the gates' order
            *baseline,
            *nameless,
            rest_check,
            gate.not_returned(told, now - dt.timedelta(minutes=5), person_id="W0003"),
        ]
        publish(broker, messages)
        wait_until(lambda: len(here.store.not_returned()) == 1, what="the not-returned person")
        page = signed_in(browser, here, "anna")
        # a gate locked down says so plainly, by name
        expect(page.locator("#lockdown-gate-1")).to_have_text(
            "Gate gate-1 is locked down: nobody is let in"
        )
        expect(page.locator("#lockdown-gate-2")).to_have_count(0)
        # the queue: in the order the gates raised them, counted, with each gate's wait
        expect(page.locator("#queue-count")).to_have_text("3 in the queue, in the order they came")
        rows = page.locator("#flags tr.flag")
        expect(rows).to_have_count(3)
        assert [r.get_attribute("data-flag") for r in rows.all()] == [
            baseline_row.event_id, old_row.event_id, nameless_row.event_id,
        ]  # fmt: skip
        expect(page.locator('#flags li.wait[data-gate="gate-1"]')).to_have_text(
            "gate-1: 2 waiting · expected wait about 3 min (an estimate from the last 2 flags "
            "resolved here)"
        )
        expect(page.locator('#flags li.wait[data-gate="gate-2"]')).to_contain_text(
            "(an estimate: none resolved here lately, a default)"
        )
        # why: the screened reading against the threshold and the person's own baseline, each
        # temperature named; an older gate's flag shows what it has
        why = rows.nth(0).locator(".readings")
        expect(why.locator(".screened")).to_have_text("screened 35.1 °C")
        expect(why.locator(".threshold")).to_have_text("threshold 34.8 °C")
        expect(why.locator(".reference")).to_have_text("their usual 34.2 °C (own baseline)")
        expect(why.locator(".core")).to_have_text("estimated core 37.7 °C")
        expect(why.locator(".why")).to_have_text("0.9 °C over their usual in this air")
        expect(rows.nth(2).locator(".reference")).to_have_text(
            "the crowd's usual 34.6 °C (recent crowd)"
        )
        expect(rows.nth(1).locator(".readings .core")).to_have_text("estimated core 37.6 °C")
        expect(rows.nth(1).locator(".readings .screened")).to_have_count(0)
        # the clinical reading's form says the same
        rows.nth(0).locator("a.resolve").click()
        expect(page.locator(".resolve .readings .screened")).to_have_text("screened 35.1 °C")
        expect(page.locator(".resolve .readings .reference")).to_contain_text("own baseline")
        page.goto(f"{here.url}/desk")
        # who the unidentified person in the isolation room is: refused when not plain text,
        # then recorded, shown and audited
        expect(rows.nth(0).locator("a.identify")).to_have_count(0)  # named by their code
        rows.nth(2).locator("a.identify").click()
        page.fill("#identity", "Li Wei\u202e")
        page.click("#send-note")
        expect(page.locator("#note-problem")).to_have_text(
            "The identity holds a character not allowed"
        )
        page.fill("#identity", "Li Wei, ID card ending 0412")
        page.click("#send-note")
        expect(page).to_have_url(f"{here.url}/desk")
        nameless_cell = page.locator(f'tr.flag[data-flag="{nameless_row.event_id}"] .person')
        expect(nameless_cell).to_contain_text("identified as Li Wei, ID card ending 0412 by anna")
        assert ("identify", f"flag {nameless_row.event_id} at gate-2: Li Wei, ID card ending "
                "0412") in audit_entries(here, "anna")  # fmt: skip
        # the person told to rest who never came back: when they were told, then dismissed
        missing = page.locator(f'#not-returned tr.not-returned[data-flag="{told}"]')
        expect(missing.locator(".person")).to_have_text("W0003")
        told_at = (now - dt.timedelta(minutes=25)).strftime("%H:%M:%S")
        expect(missing.locator(".time")).to_have_text(told_at)
        missing.locator("a.dismiss").click()
        page.fill("#note", "found in the canteen, sent home")
        page.click("#send-note")
        expect(page.locator("#no-not-returned")).to_be_visible(timeout=SEEN_MS)
        assert ("dismiss", f"not returned: flag {told} at gate-1") in audit_entries(here, "anna")
        page.close()
        # the export names its temperatures and carries the identity the guard gave
        checks = here.store.iter_checks(CheckQuery())
        exported = "".join(csv_lines(checks, CSV_COLUMNS, zone=ZoneInfo(here.config.timezone)))
        reader = csv.DictReader(io.StringIO(exported))
        assert {"screened_c", "estimated_core_c", "identified_as"} <= set(reader.fieldnames or ())
        assert "temperature_c" not in (reader.fieldnames or ())
        [line] = [r for r in reader if r["event_id"] == nameless_row.event_id]
        assert (line["screened_c"], line["estimated_core_c"]) == ("36.4", "38.6")
        assert (line["person_id"], line["identified_as"]) == ("", "Li Wei, ID card ending 0412")


def test_a_flag_nobody_takes_is_raised_to_the_health_officer_with_a_sound_of_its_own(
    browser: Browser, tmp_path: Path, broker: PrivateBroker
) -> None:
    park = "escalate-park"
    with centre_running(
        tmp_path, broker, park=park, web={"language": "en"}, secondary={"escalate_after_s": 60}
    ) as here:
        gate = FakeGate("gate-1", park=park)
        now = dt.datetime.now(SHANGHAI)
        late_row, late = gate.flagged(now - dt.timedelta(seconds=90), person_id="W0001")
        fresh_row, fresh = gate.flagged(now, person_id="W0002")
        publish(broker, [*late, *fresh])
        wait_until(lambda: len(here.store.flags(open_only=True)) == 2, what="the flags")
        officer = signed_in(browser, here, "hana")
        banner = officer.locator("#escalation-banner")
        expect(banner.locator("strong")).to_have_text(
            "1 alert(s) not taken within 60 s, raised to you"
        )
        expect(banner.locator(".alarm-item")).to_have_attribute("data-flag", late_row.event_id)
        late_on_desk = officer.locator(f'tr.flag[data-flag="{late_row.event_id}"]')
        expect(late_on_desk).to_have_attribute("data-escalated", "1")
        expect(late_on_desk.locator(".state .escalated")).to_have_text(
            "raised to the health officer"
        )
        expect(officer.locator(f'tr.flag[data-flag="{fresh_row.event_id}"]')).not_to_have_attribute(
            "data-escalated", "1"
        )
        wait_until(lambda: int(officer.locator("body").get_attribute("data-beeps") or 0) > 0,
                   what="the officer's alarm")  # fmt: skip
        [entry] = [e for e in here.store.audit_log() if e.action.startswith("escalate")]
        assert entry.action == "escalate to health_officer"
        assert late_row.event_id in entry.detail
        # the officer watching the board hears it too
        board = signed_in(browser, here, "hana")
        board.goto(f"{here.url}/board")
        expect(board.locator("#escalation-banner .alarm-item")).to_have_attribute(
            "data-flag", late_row.event_id
        )
        expect(board.locator(f'#outcomes tr[data-flag="{late_row.event_id}"]')).to_contain_text(
            "raised to the health officer"
        )
        board.close()
        # the guard's desk says it was raised, without the officer's banner
        guard = signed_in(browser, here, "anna")
        expect(
            guard.locator(f'tr.flag[data-flag="{late_row.event_id}"] .escalated')
        ).to_be_visible()
        expect(guard.locator("#escalation-banner")).to_have_count(0)
        # taken: the officer's banner goes, and the flag still waits for its reading
        guard.locator(f'tr.flag[data-flag="{late_row.event_id}"] button.take').click()
        expect(banner).to_have_count(0, timeout=SEEN_MS)
        flag = here.store.flag(f"{park}/gate-1/{late_row.event_id}")
        assert flag is not None and flag.state == "open" and flag.taken_by == "anna"
        officer.close()
        guard.close()


def test_the_board_shows_each_gates_guard_load_resting_not_returned_and_estimated_catch(
    browser: Browser, tmp_path: Path, broker: PrivateBroker
) -> None:
    park = "load-park"
    with centre_running(tmp_path, broker, park=park, web={"language": "en"}) as here:
        busy, exit_gate = FakeGate("gate-1", park=park), FakeGate("gate-x", park=park)
        now = dt.datetime.now(SHANGHAI)
        day = {
            "budget": 0.1, "screened_today": 200, "sent_to_guard_today": 26,
            "rested_today": 31, "resting_now": 3, "not_returned_today": 1,
            "estimated_catch": 0.82,
        }  # fmt: skip
        told, rest_check = busy.told_to_rest(now - dt.timedelta(minutes=25), person_id="W0003")
        publish(broker, [
            busy.status("online", now, screening=day), exit_gate.status("online", now),
            rest_check, busy.not_returned(told, now - dt.timedelta(minutes=5), person_id="W0003"),
        ])  # fmt: skip
        wait_until(lambda: len(here.store.gates(now)) == 2 and here.store.not_returned(),
                   what="both gates")  # fmt: skip
        page = signed_in(browser, here, "victor")
        page.goto(f"{here.url}/board")
        row = page.locator('#gates tr[data-gate="gate-1"]')
        expect(row.locator(".screening-load")).to_have_text(
            "26 of 200 (13 %), budget 10 % over budget"
        )
        expect(row.locator(".screening-load")).to_have_attribute("data-over", "1")
        expect(row.locator(".resting")).to_have_text("3")
        expect(row.locator(".not-returned")).to_have_text("1")
        expect(row.locator(".catch")).to_have_text("≈ 82 %")
        expect(page.locator("#gates thead")).to_contain_text(
            "Fevers its rule catches at this load (an estimate from the gate's model)"
        )
        quiet = page.locator('#gates tr[data-gate="gate-x"]')
        for cell in (".screening-load", ".resting", ".not-returned", ".catch"):
            expect(quiet.locator(cell)).to_have_text("—")
        expect(page.locator(f'#not-returned tr[data-flag="{told}"] .person')).to_have_text("W0003")
        page.close()


def test_an_identity_is_one_short_line_of_plain_text() -> None:
    assert parse_identity("  Li Wei, badge 2231 ") == ("Li Wei, badge 2231", None)
    assert parse_identity("   ") == (None, "identity_missing")
    assert parse_identity("x" * 65) == (None, "identity_too_long")
    assert parse_identity("x" * 64) == ("x" * 64, None)
    for hostile in ("Li\nWei", "Li Wei\u202e", "Li\x1b[2JWei"):
        assert parse_identity(hostile) == (None, "identity_not_plain"), hostile


def test_only_an_unnamed_person_sent_to_isolation_can_be_identified() -> None:
    at = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    base = FlagView(
        flag_id="f1", park="p1", gate="g1", person_id=None, kind="suspected_fever",
        temperature_c=38.6, first_c=None, route="isolation_room", isolation_room="Room 3",
        isolation_location=None, raised_at=at, alerts=1, last_alert_at=at, state="open",
        clinical_c=None, guard=None, resolved_at=None, taken_by=None, taken_at=None,
        escorted_by=None, escorted_at=None,
    )  # fmt: skip
    assert identifiable(base)
    assert identifiable(replace(base, kind="secondary_check", route="secondary_check",
                                state="fever_confirmed"))  # fmt: skip
    assert not identifiable(replace(base, person_id="W0001"))
    assert not identifiable(replace(base, kind="secondary_check", route="secondary_check"))
    assert not identifiable(replace(base, kind="not_returned", route=None))
