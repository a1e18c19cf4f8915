"""The operations centre's board in Debian's headless Chromium: gates' status (a gate going
offline, live), today's flow and denials, the zero-report board, the record's search and CSV export,
commands confirmed and sent to a real gate with their results; and every page with hostile values
from the gates shown as text."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from simulator.broker import PrivateBroker
from simulator.rig import ARRIVAL_GROUP
from terminal.centre.flags import flag_ref
from terminal.centre.store import CheckQuery, VehicleQuery
from terminal.centre.web.catalogue import LANGUAGES, TEXTS
from terminal.link import contract
from terminal.link.topics import Messages
from terminal.rules.policy import Reason
from tests.support.board import CommandTap, local_now, publish
from tests.support.centre_fixture import wait_until
from tests.support.centre_messages import FakeGate
from tests.support.desk import (
    SEEN_MS,
    Centre,
    LiveGate,
    audit_entries,
    browser,
    centre_running,
    sign_in,
    signed_in,
)

__all__ = ["browser"]  # the module's one browser, shared with the desk's tests
PARK = "board-park"
EXPECTED = ["gate-n", "gate-s", "gate-quiet", "gate-b"]
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 1">'


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory, broker: PrivateBroker) -> Iterator[Centre]:
    folder = tmp_path_factory.mktemp("board")
    with centre_running(
        folder,
        broker,
        park=PARK,
        gates=EXPECTED,
        web={"language": "en"},
        collector={"report_due_at": "00:00"},  # any gate without today's report is late
    ) as running:
        yield running


def test_the_board_shows_flow_denials_and_who_has_not_reported_today(
    browser: Browser, centre: Centre, broker: PrivateBroker
) -> None:
    now = local_now(centre)
    north, south = FakeGate("gate-n", park=PARK), FakeGate("gate-s", park=PARK)
    messages = [
        north.status("online", now),
        south.status("online", now),
        *[north.check(now, person_id=f"N{i}") for i in range(3)],
        north.check(now, person_id="N9", decision="deny", reason="code_yellow", route="aside",
                    code="yellow"),
        south.check(now, person_id="S1"),
        south.check(now, person_id="S2", decision="deny", reason="code_yellow", route="aside",
                    code="yellow"),
        south.check(now, person_id=None, decision="deny", reason="no_code", route="aside",
                    code="none"),
        south.check(now, person_id="S3", decision="deny", reason="nat_expired", route="aside"),
        *north.flagged(now, person_id="N5")[1],  # sent to the secondary check, still open
        north.daily_report(now.date().isoformat(), now, checks=4),  # gate-n has reported today
        north.vehicle(now, "粤BD12345", "N1", "admitted"),
        south.vehicle(now, "沪A12345D", "S9", "driver_not_screened"),
    ]  # fmt: skip
    publish(broker, messages)
    wait_until(lambda: any(centre.store.daily_reports(now.date()).values()), what="the report")
    page = signed_in(browser, centre, "victor")
    page.goto(f"{centre.url}/board")
    expect(page.locator("#gates tr.gate")).to_have_count(len(EXPECTED))
    north_row = page.locator('#gates tr[data-gate="gate-n"]')
    expect(north_row).to_have_attribute("data-state", "online")
    expect(north_row.locator(".checks")).to_have_text("5", timeout=SEEN_MS)
    # the zero-report board: gate-n sent today's report; the others are late, even one that
    # never said a word
    reports = page.locator("#zero-report tr.report-row")
    expect(reports).to_have_count(len(EXPECTED))
    states = {
        row.get_attribute("data-gate"): row.get_attribute("data-report") for row in reports.all()
    }
    assert states == {"gate-n": "sent", "gate-s": "late", "gate-quiet": "late", "gate-b": "late"}
    expect(page.locator('#zero-report tr[data-gate="gate-quiet"]')).to_contain_text("late")
    # today's flow: totals per gate and the plot's bars at this hour
    expect(page.locator('#flow tr[data-gate="gate-n"] .total')).to_have_text("5")
    expect(page.locator('#flow tr[data-gate="gate-s"] .total')).to_have_text("4")
    bars = page.locator(f'#flow-plot rect.bar[data-hour="{now.hour}"]')
    assert {b.get_attribute("data-gate"): b.get_attribute("data-count") for b in bars.all()} == {
        "gate-n": "5",
        "gate-s": "4",
    }
    expect(page.locator('#denials tr[data-reason="code_yellow"] .count')).to_have_text("2")
    expect(page.locator('#denials tr[data-reason="no_code"] .count')).to_have_text("1")
    # in a health officer's words, not the gate's
    expect(page.locator('#denials tr[data-reason="nat_expired"]')).to_contain_text(
        "nucleic-acid test out of date"
    )
    still_open = page.locator('#outcomes .ending[data-kind="secondary_check"][data-state="open"]')
    expect(still_open).to_have_text(re.compile(r"^sent to the secondary check, still open: \d+$"))
    # the vehicles the guards entered, with what became of them
    expect(page.locator("#vehicles tr.vehicle")).to_have_count(2)
    refused = page.locator('#vehicles tr[data-plate="沪A12345D"]')
    expect(refused).to_have_attribute("data-decision", "deny")
    expect(refused.locator(".outcome")).to_have_text("refused: the driver was not checked")
    expect(page.locator('#vehicles tr[data-plate="粤BD12345"]')).to_contain_text("canteen")
    page.close()


def test_a_gate_going_offline_shows_on_the_board_without_a_reload(
    browser: Browser, centre: Centre, broker: PrivateBroker, tmp_path: Path
) -> None:
    gate = LiveGate(tmp_path, broker, [], park=PARK, gate="gate-b")
    page = signed_in(browser, centre, "victor")
    page.goto(f"{centre.url}/board")
    row = page.locator('#gates tr[data-gate="gate-b"]')
    try:
        expect(row).to_have_attribute("data-state", "online", timeout=SEEN_MS)
    finally:
        gate.close()  # the service stops: its last status says offline
    expect(row).to_have_attribute("data-state", "offline", timeout=SEEN_MS)
    expect(row.locator(".state")).to_have_text("offline")
    # and the desk lists it among the gates that are not online
    page.goto(f"{centre.url}/desk")
    expect(page.locator('#gates-down tr[data-gate="gate-b"]')).to_contain_text("offline")
    page.close()


def test_commands_are_confirmed_sent_to_the_gate_and_their_results_shown(
    browser: Browser, centre: Centre, broker: PrivateBroker, tmp_path: Path
) -> None:
    gate = LiveGate(tmp_path, broker, [], park=PARK, gate="gate-b")
    try:
        page = signed_in(browser, centre, "hana")
        page.goto(f"{centre.url}/commands")
        lockdown = page.locator("#form-lockdown")
        lockdown.locator("select.target").select_option("gate-b")
        lockdown.locator('input[name="reason"]').fill("fire drill at the north gate")
        lockdown.locator('button[type="submit"]').click()
        # nothing is sent before the confirmation
        expect(page.locator("#summary")).to_have_text(
            "Lock the gate down · fire drill at the north gate → gate-b"
        )
        assert not [c for c in centre.store.command_results(50) if c.gate == "gate-b"]
        page.click("#confirm")
        expect(page.locator(".note")).to_have_text("1 command(s) sent")
        # the form keeps the gate chosen, and the result comes in without a reload, in words
        expect(lockdown.locator("select.target")).to_have_value("gate-b")
        result = page.locator('#results tr[data-command="lockdown"][data-gate="gate-b"]')
        expect(result).to_have_attribute("data-outcome", "sent")
        gate.run_until(lambda: gate.state.lockdown)
        expect(result).to_have_attribute("data-outcome", "done", timeout=SEEN_MS)
        expect(result).to_contain_text("hana")
        expect(result.locator(".what")).to_have_text(
            "Lock the gate down · fire drill at the north gate"
        )
        expect(result.locator(".detail")).to_have_text(
            "Gate locked down: nobody passes but by a staff open-once"
        )
        # lifting it: the choices made (this gate, off) are still there after sending
        lockdown.locator('input[name="on"][value="off"]').check()
        lockdown.locator('input[name="reason"]').fill("drill over")
        lockdown.locator('button[type="submit"]').click()
        expect(page.locator("#summary")).to_have_text("Lift the lockdown · drill over → gate-b")
        page.click("#confirm")
        expect(lockdown.locator("select.target")).to_have_value("gate-b")
        expect(lockdown.locator('input[name="on"][value="off"]')).to_be_checked()
        gate.run_until(lambda: not gate.state.lockdown)
        lifted = page.locator('#results tr[data-command="lockdown"]').first
        expect(lifted.locator(".detail")).to_have_text("Lockdown lifted", timeout=SEEN_MS)
        # the risk tier, in words; the tier chosen stays chosen
        tier = page.locator("#form-tier")
        tier.locator("select.target").select_option("gate-b")
        tier.locator('select[name="tier"]').select_option("high")
        tier.locator('button[type="submit"]').click()
        page.click("#confirm")
        expect(tier.locator('select[name="tier"]')).to_have_value("high")
        expect(tier.locator("select.target")).to_have_value("gate-b")
        gate.run_until(lambda: gate.state.risk_tier == "high")
        raised = page.locator('#results tr[data-command="set_risk_tier"]')
        expect(raised.locator(".what")).to_have_text("Risk tier to high")
        expect(raised.locator(".detail")).to_have_text("Risk tier: low → high", timeout=SEEN_MS)

        # a cancelled command goes nowhere
        opening = page.locator("#form-open-once")
        opening.locator("select.target").select_option("gate-b")
        opening.locator('input[name="reason"]').fill("ambulance crew")
        opening.locator('button[type="submit"]').click()
        page.click("#cancel")
        expect(page.locator(".note")).to_have_text("Cancelled")
        assert not [c for c in centre.store.command_results(50) if c.name == "open_once"]

        # a roster from a spreadsheet on a Chinese Windows (GB18030), uploaded: the gate
        # installs it; a file the gate cannot take is refused, and the board says why
        good = (
            "person_id,name,department,group,nat_tested_at,nat_result\n"
            f"W0101,王芳,Assembly,{ARRIVAL_GROUP},,\nW0102,Liu Yang,Assembly,{ARRIVAL_GROUP},,\n"
        ).encode("gb18030")
        for name, content, encoding in [
            ("workers.csv", good, "gb18030"),
            ("not-a-roster.csv", b"not,a,roster\n1,2,3\n4,5,6\n", "utf-8"),
        ]:
            roster = page.locator("#form-roster")
            roster.locator("select.target").select_option("gate-b")
            roster.locator('select[name="encoding"]').select_option(encoding)
            roster.locator('input[type="file"]').set_input_files(
                files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
            )
            roster.locator('button[type="submit"]').click()
            expect(page.locator("#summary")).to_contain_text(f"{name} · 3 lines")
            page.click("#confirm")
            expect(page.locator(".note")).to_have_text("1 command(s) sent")
        gate.run_until(
            lambda: [c.outcome for c in centre.store.command_results(50)
                     if c.name == "push_roster"] in (["refused", "done"], ["done", "refused"]),
            timeout_s=15,
        )  # fmt: skip
        page.reload()
        pushed = page.locator('#results tr[data-command="push_roster"]')
        expect(pushed).to_have_count(2)
        assert {row.get_attribute("data-outcome") for row in pushed.all()} == {"done", "refused"}
        refused = page.locator('#results tr[data-command="push_roster"][data-outcome="refused"]')
        assert "missing person_id" in refused.locator(".detail").inner_text()
        done = page.locator('#results tr[data-command="push_roster"][data-outcome="done"]')
        expect(done.locator(".what")).to_have_text("workers roster, 2 rows")
        expect(done.locator(".detail")).to_have_text("2 workers installed")
        installed = gate.rig.config.roster.workers
        assert installed is not None and "王芳" in installed.read_text(encoding="utf-8")
        # an empty upload and a missing reason are refused at the centre, named
        page.goto(f"{centre.url}/commands")
        page.locator("#form-roster button[type='submit']").click()
        expect(page.locator("#command-problem")).to_have_text("Choose the roster file")
        actions = [action for action, _ in audit_entries(centre, "hana")]
        # lockdown on and off, the tier and two rosters, not the cancelled one
        assert actions.count("command") == 5
        page.close()
    finally:
        gate.close()


ROSTER_HEADER = "person_id,name,department,group,nat_tested_at,nat_result\n"


# Windows-1252's Œ is not in Latin-1; cp932 is Shift-JIS as a Japanese spreadsheet saves it
@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("latin-1", "Zoë Müller"),
        ("cp1252", "Chloé Œuvray"),
        ("cp932", "山田太郎"),
        ("gb18030", "王芳"),
    ],
)
def test_a_roster_not_in_utf8_is_refused_until_its_encoding_is_chosen(
    browser: Browser, centre: Centre, broker: PrivateBroker, encoding: str, name: str
) -> None:
    """Nothing is guessed: the officer is told to choose the encoding (or save as CSV UTF-8);
    chosen, every name reaches the gate as written."""
    content = (ROSTER_HEADER + f"W0201,{name},Assembly,{ARRIVAL_GROUP},,\n").encode(encoding)
    tap = CommandTap(broker.port, f"gate/v1/{PARK}/gate-quiet/cmd/push_roster")
    page = signed_in(browser, centre, "hana")
    try:
        page.goto(f"{centre.url}/commands")
        roster = page.locator("#form-roster")

        def upload(chosen: str | None) -> None:
            roster.locator("select.target").select_option("gate-quiet")
            if chosen is not None:
                roster.locator('select[name="encoding"]').select_option(chosen)
            roster.locator('input[type="file"]').set_input_files(
                files=[{"name": "workers.csv", "mimeType": "text/csv", "buffer": content}]
            )
            roster.locator('button[type="submit"]').click()

        upload(None)  # the form's default: UTF-8
        expect(page.locator("#command-problem")).to_have_text(
            "The file is not UTF-8: choose its encoding, or save it from the spreadsheet as "
            "CSV UTF-8"
        )
        upload(encoding)
        expect(page.locator("#summary")).to_contain_text("workers.csv · 2 lines")
        page.click("#confirm")
        expect(page.locator(".note")).to_have_text("1 command(s) sent")
        wait_until(lambda: len(tap.received) == 1, what="the roster at the gate's topic")
        pushed = tap.received[0]["payload"]["csv"]
        assert pushed.splitlines()[1].split(",")[1] == name
    finally:
        page.close()
        tap.close()


def test_a_utf8_roster_said_to_be_in_another_encoding_is_refused(
    browser: Browser, centre: Centre
) -> None:
    content = (ROSTER_HEADER + f"W0202,王芳,Assembly,{ARRIVAL_GROUP},,\n").encode("utf-8-sig")
    page = signed_in(browser, centre, "hana")
    try:
        page.goto(f"{centre.url}/commands")
        roster = page.locator("#form-roster")
        roster.locator("select.target").select_option("gate-quiet")
        roster.locator('select[name="encoding"]').select_option("gb18030")
        roster.locator('input[type="file"]').set_input_files(
            files=[{"name": "workers.csv", "mimeType": "text/csv", "buffer": content}]
        )
        roster.locator('button[type="submit"]').click()
        expect(page.locator("#command-problem")).to_have_text(
            "This file is UTF-8: choose UTF-8 as its encoding"
        )
    finally:
        page.close()


def test_an_inspector_searches_the_record_and_exports_it_as_csv(
    browser: Browser, centre: Centre, broker: PrivateBroker
) -> None:
    now = local_now(centre)
    west = FakeGate("gate-w", park=PARK)
    publish(broker, [west.check(now, person_id="INSPECT-1", temperature_c=36.4),
                     west.check(now, person_id="INSPECT-1", decision="deny",
                                reason="code_red", route="isolation_room", code="red"),
                     west.check(now, person_id="OTHER-2")])  # fmt: skip
    wait_until(lambda: bool(centre.store.checks(CheckQuery(person_id="OTHER-2"))), what="checks")
    page = signed_in(browser, centre, "victor")
    page.goto(f"{centre.url}/records")
    page.fill("#q-person", "INSPECT-1")
    page.click("#search")
    rows = page.locator("table.checks tbody tr")
    expect(rows).to_have_count(2)
    page.select_option("#q-decision", "deny")
    page.click("#search")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".reason")).to_have_text("red code")
    # the reason typed as the table shows it, the person in another case; the zone named once
    page.select_option("#q-decision", "")
    page.fill("#q-person", "inspect-1")
    page.fill("#q-reason", "Red code")
    page.click("#search")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".person")).to_have_text("INSPECT-1")
    expect(page.locator("#times-zone")).to_have_text("Times: Asia/Shanghai (UTC+08:00)")
    page.fill("#q-reason", "")
    page.fill("#q-person", "")
    page.select_option("#q-decision", "")
    page.fill("#q-gate", "gate-w")
    page.click("#search")
    expect(rows).to_have_count(3)
    with page.expect_download() as download:
        page.click("#export")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert sorted((r["person_id"], r["decision"], r["reason"]) for r in exported) == [
        ("INSPECT-1", "admit", "admitted"),
        ("INSPECT-1", "deny", "code_red"),
        ("OTHER-2", "admit", "admitted"),
    ]
    assert {r["gate"] for r in exported} == {"gate-w"}
    assert ("export_csv", "gate=gate-w") in audit_entries(centre, "victor")
    assert ("search_records", "person_id=inspect-1 reason=code_red") in audit_entries(
        centre, "victor"
    )
    # a search that makes no sense says which field
    page.goto(f"{centre.url}/records?date_from=2026-13-01")
    expect(page.locator("#query-problem")).to_contain_text("From: no such day")
    page.close()


def test_an_inspector_searches_the_vehicles_and_exports_them_as_csv(
    browser: Browser, centre: Centre, broker: PrivateBroker
) -> None:
    now = local_now(centre)
    yard, dock = FakeGate("gate-yard", park=PARK), FakeGate("gate-dock", park=PARK)
    publish(broker, [
        yard.vehicle(now, "京A9X77学", "Y1", "admitted"),
        yard.vehicle(now, None, "Y2", "no_vehicle", purpose=None, by="gate", source="lapse",
                     command_id=None),
        yard.vehicle(now, None, "Y3", "permit_bad_signature", purpose=None, by="permit",
                     source="permit", command_id=None),
        dock.vehicle(now, "京A9X77学", "D1", "driver_denied"),
        dock.vehicle(now, "粤B12345", "D2", "admitted", purpose="=HYPERLINK(\"x\")"),
    ])  # fmt: skip
    wait_until(lambda: len(centre.store.vehicles(query=VehicleQuery(gate="gate-dock"))) == 2,
               what="the vehicles")  # fmt: skip
    page = signed_in(browser, centre, "victor")
    page.goto(f"{centre.url}/records/vehicles")
    page.fill("#v-gate", "gate-yard")
    page.click("#search")
    rows = page.locator("table.vehicles tr.vehicle")
    expect(rows).to_have_count(3)
    lapsed = page.locator('table.vehicles tr.vehicle:has(td[data-reason="no_vehicle"])')
    expect(lapsed.locator(".outcome")).to_have_text("lapsed: no vehicle came in time")
    page.fill("#v-gate", "")
    page.fill("#v-plate", "京a·9x77")  # as a guard would type a part of it
    page.click("#search")
    expect(rows).to_have_count(2)
    with page.expect_download() as download:
        page.click("#export")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert sorted((r["gate"], r["plate"], r["driver"], r["decision"], r["reason"])
                  for r in exported) == [
        ("gate-dock", "京A9X77学", "D1", "deny", "driver_denied"),
        ("gate-yard", "京A9X77学", "Y1", "admit", "admitted"),
    ]  # fmt: skip
    assert {r["by"] for r in exported} == {"guard-1"} and exported[0]["source"] == "command"
    assert ("export_vehicles", "plate=京A9X77") in audit_entries(centre, "victor")
    # the whole day, with a formula a spreadsheet would run taken as text
    page.goto(f"{centre.url}/records/vehicles?gate=gate-dock")
    with page.expect_download() as download:
        page.click("#export")
    exported = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    formula = next(r for r in exported if r["driver"] == "D2")
    assert (formula["plate"], formula["purpose"]) == ("粤B12345", '\'=HYPERLINK("x")')
    page.goto(f"{centre.url}/records/vehicles?date_to=2026-01-01&date_from=2026-02-01")
    expect(page.locator("#query-problem")).to_contain_text("To: before From")
    page.close()


def test_every_page_shows_hostile_values_from_a_gate_as_text(
    browser: Browser, centre: Centre, broker: PrivateBroker
) -> None:
    now = local_now(centre)
    hostile = FakeGate("gate-h", park=PARK)
    builder = Messages(PARK, "gate-h", boot_id=uuid.uuid4().hex, timezone="Asia/Shanghai")
    row, flagged = hostile.flagged(now, person_id="H-1")
    fault = builder.fault("internal_error", now.timestamp(), HOSTILE[:300], active=True)
    fever = builder.flag_alert(
        row.event_id,
        "fever",
        now.timestamp(),
        {"person_id": "H-1", "clinical_c": 38.4, "guard": HOSTILE[:64], "reason": "fever",
         "route": "isolation_room", "isolation_room": HOSTILE, "isolation_location": HOSTILE},
    )  # fmt: skip
    result = contract.CommandResultData(
        command_id="c" * 16, name="lockdown", outcome="refused", detail=HOSTILE, issued_by="x"
    )
    answer = builder.command_result(now.timestamp(), "lockdown", result)
    publish(broker, [*flagged, (fault.topic, fault.payload.encode()),
                     (fever.topic, fever.payload.encode()),
                     (answer.topic, answer.payload.encode()),
                     hostile.check(now, person_id="H-2", code=HOSTILE[:60])])  # fmt: skip
    fever_stored = centre.store.flag
    ref = flag_ref(PARK, "gate-h", row.event_id)
    wait_until(lambda: getattr(fever_stored(ref), "state", "") == "fever_confirmed",
               what="the fever")  # fmt: skip
    page = browser.new_page()
    sign_in(page, centre, HOSTILE[:60], "x")  # a hostile name lands in the audit log
    sign_in(page, centre, "hana")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path, where in [
        ("/desk", "#flags"),
        ("/desk", "#faults"),
        ("/board", "#outcomes"),
        ("/records?gate=gate-h", "table.checks"),
        ("/audit", "#audit"),
    ]:
        page.goto(f"{centre.url}{path}")
        expect(page.locator(where)).to_contain_text("<script>window.__pwned", timeout=SEEN_MS)
        assert page.evaluate("window.__pwned") is None, path
        assert page.locator(f"{where} script, {where} img").count() == 0, path
    page.goto(f"{centre.url}/commands")
    expect(page.locator("#results")).to_contain_text("<script>window.__pwned")
    assert page.locator("#results script, #results img").count() == 0
    assert dialogs == []
    page.close()


def test_every_text_has_both_languages_and_every_reason_has_words() -> None:
    for key, texts in TEXTS.items():
        assert len(texts) == len(LANGUAGES) and all(t.strip() for t in texts), key
    for reason in Reason:
        assert f"reason_{reason.value}" in TEXTS, reason
    # the board's line of how flags ended has words for every kind and state the desk names
    for key in [k for k in TEXTS if k.startswith(("kind_", "state_"))]:
        kind_or_state, value = key.split("_", 1)
        assert f"ending_{kind_or_state}_{value}" in TEXTS, key
