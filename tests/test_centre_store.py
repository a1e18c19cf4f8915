"""The centre's store, on SQLite and on a real PostgreSQL: what the gates send (built by the gate's
own message builders) and what the centre's staff do, as the desk and the board will show it."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from terminal.centre.flags import flag_ref
from terminal.centre.store import (
    CheckQuery,
    Store,
    StoreError,
    VehicleQuery,
    open_store,
)
from tests.support.centre_messages import FakeGate, at
from tests.support.centre_store import MORNING, SETTINGS, feed, store
from tests.support.pgserver import database_url, postgres_server  # noqa: F401  (a fixture)

__all__ = ["store"]  # shared fixtures, taken by name

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- every kind of message ----------------------------------------------------------------------
def test_every_message_kind_lands_where_the_desk_and_board_read_it(store: Store) -> None:
    gate = FakeGate("g1")
    t = MORNING
    assert feed(store, gate.status("online", t, lockdown=True, risk_tier="high", backlog=4), t)
    assert feed(store, gate.metrics(t + timedelta(seconds=30), backlog=2), t)
    assert feed(store, gate.check(t, person_id="W0001"), t)
    denied = gate.check_row(t, person_id="W0003", decision="deny", reason="code_red",
                            route="isolation_room", code="red")  # fmt: skip
    assert feed(store, (gate.topics.check, gate.messages.check(denied).payload.encode()), t)
    assert feed(store, gate.direct_alert(denied, "health_code"), t)
    _row, flagged = gate.flagged(t + timedelta(minutes=1))
    assert all(feed(store, m, t) for m in flagged)
    nat = gate.check_row(t, person_id="W0004", decision="deny", reason="nat_positive",
                         route="isolation_room")  # fmt: skip
    assert feed(store, gate.direct_alert(nat, "nat_positive"), t)
    suspected = gate.check_row(t, person_id="W0005", decision="deny", reason="fever",
                               route="isolation_room", temperature_c=38.4)  # fmt: skip
    assert feed(store, gate.direct_alert(suspected, "suspected_fever"), t)
    assert feed(store, gate.sensor("sensor_fault", t), t)
    assert feed(store, gate.fault("record_full", t), t)
    assert feed(store, gate.override(t, "cmd-0001-open"), t)
    assert feed(store, gate.daily_report("2026-06-01", t, checks=2), t)
    assert feed(store, gate.command_result("cmd-0002-tier", "set_risk_tier", "done", t), t)

    [view] = [g for g in store.gates(t + timedelta(seconds=40)) if g.gate == "g1"]
    assert (view.state, view.lockdown, view.risk_tier, view.backlog) == ("online", True, "high", 2)
    assert view.checks_today == 3 and view.report_today == "sent"
    assert {"record_full", "thermometer"} <= set(view.faults)
    assert {(f.kind, f.active) for f in store.faults()} == {
        ("record_full", True),
        ("thermometer", True),
    }
    kinds = {f.person_id: f.kind for f in store.flags()}
    assert kinds == {
        "W0003": "health_code",
        "W0002": "secondary_check",
        "W0004": "nat_positive",
        "W0005": "suspected_fever",
    }
    assert [c.person_id for c in store.checks(CheckQuery(decision="deny"))].count("W0003") == 1
    assert store.daily_reports(date(2026, 6, 1))["g1"]["checks"] == 2  # type: ignore[index]
    [result] = store.command_results()
    assert (result.name, result.outcome, result.gate) == ("set_risk_tier", "done", "g1")
    assert store.bad_payloads == 0


def test_a_message_seen_twice_is_stored_once(store: Store) -> None:
    gate = FakeGate("g1")
    check = gate.check(MORNING)
    _row, flagged = gate.flagged(MORNING)
    assert feed(store, check) and all(feed(store, m) for m in flagged)
    version = store.version()
    # a gate re-sends what it is not sure arrived; two collectors may each see a message once
    assert not feed(store, check)
    assert not any(feed(store, m) for m in flagged)
    assert len(store.checks(CheckQuery())) == 2
    [flag] = store.flags()
    assert flag.alerts == 1
    assert store.version() == version  # nothing changed: the live pages are not woken


def test_bad_payloads_are_counted_and_logged_by_topic_never_stored(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    gate = FakeGate("g1")
    topic, good = gate.check(MORNING, person_id="W0042")
    other_gate_topic = topic.replace("/g1/", "/g2/")
    bad = [
        (topic, b"{not json"),
        (topic, b"\xff\xfe\x00"),
        (topic, json.dumps({"schema": "gate.check/1"}).encode()),
        (topic, good.replace(b'"decision": "admit"', b'"decision": "maybe"')),
        (other_gate_topic, good),  # a gate speaking for another
        ("gate/v1/p1/g1/event/unheard_of", good),
        ("not/a/gate/topic", good),
        (gate.topics.alert("secondary_check"), good),  # a check on an alert's topic
    ]
    with caplog.at_level(logging.WARNING, logger="terminal.centre.store"):
        for bad_topic, payload in bad:
            assert not store.ingest(bad_topic, payload, MORNING)
    assert store.bad_payloads == len(bad)
    assert store.checks(CheckQuery()) == []
    assert len(caplog.records) == len(bad)
    for record in caplog.records:
        line = record.getMessage()
        assert "\n" not in line and "W0042" not in line and "36.5" not in line
    assert "gate/v1/p1/g2/event/check" in caplog.text
    # and the store goes on
    assert feed(store, (topic, good))


def test_a_command_to_a_gate_is_not_an_event(store: Store) -> None:
    assert not store.ingest("gate/v1/p1/g1/cmd/lockdown", b'{"anything": 1}', MORNING)
    assert store.bad_payloads == 0


# --- the gates' state ----------------------------------------------------------------------
def state_of(store: Store, gate: str, now: datetime) -> str:
    return next(g.state for g in store.gates(now) if g.gate == gate)


def test_gate_online_silent_offline_lost_and_back(store: Store) -> None:
    gate = FakeGate("g1")
    t = MORNING
    assert state_of(store, "g1", t) == "unknown"  # expected, never heard of
    feed(store, gate.status("online", t), t)
    assert state_of(store, "g1", t + timedelta(seconds=60)) == "online"
    # metrics every half minute keep it online; then nothing: silent
    feed(store, gate.metrics(t + timedelta(seconds=80)), t + timedelta(seconds=80))
    assert state_of(store, "g1", t + timedelta(seconds=160)) == "online"
    assert state_of(store, "g1", t + timedelta(seconds=171)) == "silent"
    # the broker publishes its last will: lost
    feed(store, gate.status("lost", None), t + timedelta(seconds=200))
    assert state_of(store, "g1", t + timedelta(seconds=200)) == "lost"
    # it boots again: online; the earlier boot's will, delivered late, does not undo that
    rebooted = FakeGate("g1")
    feed(store, rebooted.status("online", t + timedelta(seconds=300)), t + timedelta(seconds=300))
    feed(store, gate.status("lost", None), t + timedelta(seconds=301))
    assert state_of(store, "g1", t + timedelta(seconds=310)) == "online"
    # a clean stop
    feed(store, rebooted.status("offline", t + timedelta(seconds=400)), t + timedelta(seconds=400))
    assert state_of(store, "g1", t + timedelta(seconds=401)) == "offline"
    # an older status arriving after a newer one changes nothing
    assert not feed(store, rebooted.status("online", t + timedelta(seconds=350)))
    assert state_of(store, "g1", t + timedelta(seconds=402)) == "offline"


def test_a_retained_status_tells_the_last_state_not_that_the_gate_is_alive(store: Store) -> None:
    gate = FakeGate("g1")
    said_at = MORNING
    started = MORNING + timedelta(hours=2)  # the centre starts; the broker hands it the status
    topic, payload = gate.status("online", said_at)
    store.ingest(topic, payload, started, retained=True)
    [view] = [g for g in store.gates(started + timedelta(seconds=1)) if g.gate == "g1"]
    assert view.state == "silent"
    assert view.last_seen == said_at


def test_faults_start_and_end(store: Store) -> None:
    gate = FakeGate("g1")
    feed(store, gate.fault("backlog_over_limit", MORNING))
    feed(store, gate.sensor("sensor_fault", MORNING))
    assert {f.kind for f in store.faults()} == {"backlog_over_limit", "thermometer"}
    feed(store, gate.fault("backlog_over_limit", MORNING + timedelta(minutes=5), active=False))
    feed(store, gate.sensor("sensor_recovered", MORNING + timedelta(minutes=6)))
    assert store.faults() == []
    ended = store.faults(active_only=False)
    assert {(f.kind, f.active) for f in ended} == {
        ("backlog_over_limit", False),
        ("thermometer", False),
    }


def test_a_fire_alarm_is_the_gates_fault_while_it_lasts_and_a_passage_is_kept(
    store: Store,
) -> None:
    gate = FakeGate("g1")
    assert feed(store, gate.fire_alarm("emergency", MORNING))
    [alarm] = store.faults()
    assert (alarm.gate, alarm.kind, alarm.active) == ("g1", "emergency", True)
    assert store.flags() == []  # about the gate, not a person: nobody to resolve
    assert feed(store, gate.fire_alarm("emergency_over", MORNING + timedelta(minutes=3)))
    assert store.faults() == []
    # a passage through the turnstile is an event of the contract, not a bad message
    check_topic, check_payload = gate.check(MORNING + timedelta(minutes=4))
    store.ingest(check_topic, check_payload, MORNING)
    admission = json.loads(check_payload)["event_id"]
    # sent as it opens (for the zone's other gates), then as it closes: both kept, each once
    opened = gate.passage(admission, MORNING + timedelta(minutes=4), "waiting")
    assert feed(store, opened) and not feed(store, opened)
    assert feed(store, gate.passage(admission, MORNING + timedelta(minutes=4), "passed"))
    assert store.bad_payloads == 0


# --- flags ---------------------------------------------------------------------------------
def test_a_secondary_check_realerts_then_the_guard_admits(store: Store) -> None:
    gate = FakeGate("g1")
    row, flagged = gate.flagged(MORNING, person_id="W0002")
    for message in flagged:
        feed(store, message)
    for n in (2, 3):
        feed(store, gate.realert(row.event_id, MORNING + timedelta(minutes=2 * (n - 1)), n, 120))
    [flag] = store.flags(open_only=True)
    assert (flag.flag_id, flag.state, flag.alerts, flag.kind) == (
        row.event_id,
        "open",
        3,
        "secondary_check",
    )
    assert flag.raised_at == MORNING and flag.last_alert_at == MORNING + timedelta(minutes=4)
    ref = flag_ref("p1", "g1", row.event_id)
    store.take(ref, "alice", MORNING + timedelta(minutes=5))
    store.take(ref, "bob", MORNING + timedelta(minutes=6))  # the first taker stays
    feed(store, gate.resolved(row.event_id, MORNING + timedelta(minutes=7), "admitted", 36.9))
    assert store.flags(open_only=True) == []
    flag = store.flag(flag_ref("p1", "g1", row.event_id))  # type: ignore[assignment]
    assert flag is not None
    assert (flag.state, flag.clinical_c, flag.guard, flag.taken_by) == (
        "admitted",
        36.9,
        "g7",
        "alice",
    )
    assert flag.resolved_at == MORNING + timedelta(minutes=7)


def test_a_refusal_stays_a_refusal_when_a_late_realert_arrives(store: Store) -> None:
    gate = FakeGate("g1")
    row, flagged = gate.flagged(MORNING)
    realert = gate.realert(row.event_id, MORNING + timedelta(minutes=2), 2, 120)
    resolved = gate.resolved(row.event_id, MORNING + timedelta(minutes=3), "refused")
    # two collectors: the outcome is stored before the re-alert and even before the first alert
    for message in (resolved, realert, *flagged):
        feed(store, message)
    flag = store.flag(flag_ref("p1", "g1", row.event_id))
    assert flag is not None
    assert (flag.state, flag.alerts, flag.person_id) == ("refused", 2, "W0002")
    assert flag.raised_at == MORNING


def test_a_confirmed_fever_waits_for_its_escort(store: Store) -> None:
    gate = FakeGate("g1")
    row, flagged = gate.flagged(MORNING, temperature_c=37.9)
    for message in flagged:
        feed(store, message)
    fever = gate.fever(row.event_id, MORNING + timedelta(minutes=3), clinical_c=38.2)
    feed(store, fever)
    [flag] = store.flags(open_only=True)
    assert (flag.kind, flag.state, flag.clinical_c) == ("fever", "fever_confirmed", 38.2)
    assert (flag.isolation_room, flag.isolation_location) == ("Room 3", "east wing, ground floor")
    assert flag.is_open
    ref = flag_ref("p1", "g1", row.event_id)
    store.record_escort(ref, "bob", "handed to the nurse", MORNING + timedelta(minutes=9))
    assert store.flags(open_only=True) == []
    flag = store.flag(flag_ref("p1", "g1", row.event_id))  # type: ignore[assignment]
    assert flag is not None
    assert (flag.state, flag.escorted_by, flag.escort_note, flag.taken_by) == (
        "escorted",
        "bob",
        "handed to the nurse",
        "bob",
    )
    # the gate's fever alert delivered again changes nothing
    assert not feed(store, fever)
    assert store.flags(open_only=True) == []


# --- one gate's flags, another gate's messages -----------------------------------------------
def test_a_gate_cannot_resolve_or_confirm_another_gates_flag(store: Store) -> None:
    """g2 sends, on its own topics, an outcome and a fever naming g1's flag: g1's flag stays
    open and waiting (the desk keeps its alarm); what g2 said is g2's own."""
    north_1, north_2 = FakeGate("g1"), FakeGate("g2")
    row, flagged = north_1.flagged(MORNING, person_id="W0002")
    for message in flagged:
        feed(store, message)
    feed(store, north_2.resolved(row.event_id, MORNING + timedelta(minutes=1), "admitted"))
    feed(store, north_2.fever(row.event_id, MORNING + timedelta(minutes=2)))
    assert store.bad_payloads == 0  # each is a well-formed message of g2 about g2
    mine = store.flag(flag_ref("p1", "g1", row.event_id))
    assert mine is not None
    assert (mine.state, mine.kind, mine.clinical_c, mine.guard) == (
        "open",
        "secondary_check",
        None,
        None,
    )
    assert [(f.gate, f.state) for f in store.flags(open_only=True)] == [("g1", "open")]
    theirs = store.flag(flag_ref("p1", "g2", row.event_id))
    assert theirs is not None and theirs.state == "admitted"
    # the guard's real outcome, from g1, still closes g1's flag
    feed(store, north_1.resolved(row.event_id, MORNING + timedelta(minutes=3), "admitted"))
    mine = store.flag(flag_ref("p1", "g1", row.event_id))
    assert mine is not None and mine.state == "admitted"


def test_a_forged_alert_that_arrives_first_does_not_claim_the_flag(store: Store) -> None:
    north_1, north_2 = FakeGate("g1"), FakeGate("g2")
    row, flagged = north_1.flagged(MORNING, person_id="W0002")
    feed(store, north_2.realert(row.event_id, MORNING - timedelta(minutes=1), 1, 0, "X9999"))
    for message in flagged:
        feed(store, message)
    mine = store.flag(flag_ref("p1", "g1", row.event_id))
    assert mine is not None
    # the desk sends the guard's reading to the gate the flag names: it must be g1
    assert (mine.gate, mine.person_id, mine.raised_at) == ("g1", "W0002", MORNING)
    assert store.flag(row.event_id) is None  # a bare id names no flag: it may be two gates'


def test_a_payload_naming_another_gate_than_its_topic_is_refused_and_audited(
    store: Store,
) -> None:
    north_1 = FakeGate("g1")
    row, flagged = north_1.flagged(MORNING)
    for message in flagged:
        feed(store, message)
    topic, payload = north_1.resolved(row.event_id, MORNING + timedelta(minutes=1), "admitted")
    on_g2 = topic.replace("/g1/", "/g2/")
    assert not store.ingest(on_g2, payload, MORNING + timedelta(minutes=1))
    assert store.bad_payloads == 1
    mine = store.flag(flag_ref("p1", "g1", row.event_id))
    assert mine is not None and mine.state == "open"
    [entry] = store.audit_log()
    assert (entry.user, entry.action) == ("gate p1/g2", "refused")
    assert entry.detail == (
        "gate/v1/p1/g2/alert/secondary_resolved: names p1/g1, sent on another gate's topic"
    )
    assert entry.at == MORNING + timedelta(minutes=1)


def test_open_flags_come_first_as_a_queue_in_the_order_they_came(store: Store) -> None:
    gate = FakeGate("g1")
    t = MORNING
    _old_check, m1 = gate.flagged(t, person_id="A1")
    _new_check, m2 = gate.flagged(t + timedelta(minutes=5), person_id="A2")
    fever_check, m3 = gate.flagged(t + timedelta(minutes=10), person_id="A3")
    done_check, m4 = gate.flagged(t - timedelta(minutes=30), person_id="A4")
    # the centre hears them out of order (a backlog sent late): the queue is the gate's order
    for message in (*m3, *m2, *m4, *m1):
        feed(store, message)
    feed(store, gate.fever(fever_check.event_id, t + timedelta(minutes=11)))
    feed(store, gate.resolved(done_check.event_id, t - timedelta(minutes=20), "admitted"))
    assert [f.person_id for f in store.flags()] == ["A1", "A2", "A3", "A4"]
    assert [f.person_id for f in store.flags(open_only=True)] == ["A1", "A2", "A3"]


# --- the zero-report board -----------------------------------------------------------------
def test_zero_report_board_sent_due_late(store: Store) -> None:
    g1, g2 = FakeGate("g1"), FakeGate("g2")
    day = date(2026, 6, 1)
    for gate in (g1, g2):
        feed(store, gate.status("online", MORNING))
    feed(store, g1.daily_report("2026-06-01", at("2026-06-01T23:55:00+08:00"), checks=0))
    # yesterday's report does not count for today
    feed(store, g2.daily_report("2026-05-31", at("2026-05-31T23:55:00+08:00")))
    before = at("2026-06-01T23:58:00+08:00")
    after = at("2026-06-01T23:59:30+08:00")
    assert {g.gate: g.report_today for g in store.gates(before)} == {
        "g1": "sent",
        "g2": "due",
        "g3": "due",
    }
    assert {g.gate: g.report_today for g in store.gates(after)} == {
        "g1": "sent",
        "g2": "late",
        "g3": "late",
    }
    reports = store.daily_reports(day)
    assert reports["g2"] is None and reports["g3"] is None
    assert reports["g1"] is not None and reports["g1"]["checks"] == 0


# --- the record ----------------------------------------------------------------------------
def test_search_flow_and_denials_by_local_day(store: Store) -> None:
    g1, g2 = FakeGate("g1"), FakeGate("g2")
    # 23:30 local on 31 May is 15:30 UTC: it belongs to 31 May, not to 1 June
    feed(store, g1.check(at("2026-05-31T23:30:00+08:00"), person_id="W0001"))
    feed(store, g1.check(at("2026-06-01T00:10:00+08:00"), person_id="W0001"))
    feed(store, g1.check(at("2026-06-01T08:05:00+08:00"), person_id="W0002"))
    feed(store, g2.check(at("2026-06-01T08:45:00+08:00"), person_id="W0003",
                         decision="deny", reason="code_red", route="aside"))  # fmt: skip
    feed(store, g2.check(at("2026-06-01T17:00:00+08:00"), person_id="W0004",
                         decision="deny", reason="no_code", route="aside"))  # fmt: skip
    feed(store, g2.check(at("2026-06-01T17:01:00+08:00"), person_id="W0004",
                         decision="deny", reason="no_code", route="aside"))  # fmt: skip
    day = date(2026, 6, 1)
    flow = store.flow_per_hour(day, SHANGHAI)
    assert flow["g1"][0] == 1 and flow["g1"][8] == 1 and sum(flow["g1"]) == 2
    assert flow["g2"][8] == 1 and flow["g2"][17] == 2
    assert store.denials_by_reason(day, SHANGHAI) == {"no_code": 2, "code_red": 1}
    june = CheckQuery(date_from=day, date_to=day)
    assert len(store.checks(june)) == 5
    assert (
        len(store.checks(CheckQuery(date_from=date(2026, 5, 31), date_to=date(2026, 5, 31)))) == 1
    )
    person = store.checks(CheckQuery(person_id="W0001"))
    assert [c.occurred_at.astimezone(SHANGHAI).hour for c in person] == [0, 23]  # newest first
    assert [c.person_id for c in store.checks(CheckQuery(gate="g2", reason="no_code"))] == [
        "W0004",
        "W0004",
    ]
    exported = list(store.iter_checks(june, batch=2))
    assert [c.occurred_at for c in exported] == sorted(c.occurred_at for c in exported)
    assert len(exported) == 5 and len({c.event_id for c in exported}) == 5


def test_vehicles_searched_by_local_day_gate_and_plate_and_exported_in_order(
    store: Store,
) -> None:
    g1, g2 = FakeGate("g1"), FakeGate("g2")
    feed(store, g1.vehicle(at("2026-05-31T23:30:00+08:00"), "粤BD12345", "D1", "admitted"))
    feed(store, g1.vehicle(at("2026-06-01T07:00:00+08:00"), "粤BD12345", "D1", "admitted"))
    feed(store, g2.vehicle(at("2026-06-01T08:00:00+08:00"), "沪A12345D", "D2", "driver_denied"))
    lapse = g2.vehicle(at("2026-06-01T09:00:00+08:00"), None, "D3", "no_vehicle",
                       purpose=None, by="gate", source="lapse", command_id=None)  # fmt: skip
    feed(store, lapse)
    feed(store, g2.check(at("2026-06-01T09:30:00+08:00"), person_id="D4"))  # not a vehicle
    assert store.bad_payloads == 0
    june = VehicleQuery(date_from=date(2026, 6, 1), date_to=date(2026, 6, 1))
    found = store.vehicles(query=june)
    assert [(v.gate, v.plate, v.reason) for v in found] == [  # newest first
        ("g2", None, "no_vehicle"),
        ("g2", "沪A12345D", "driver_denied"),
        ("g1", "粤BD12345", "admitted"),
    ]
    assert found[0].source == "lapse" and found[0].purpose is None and found[0].by == "gate"
    assert [v.gate for v in store.vehicles(query=VehicleQuery(gate="g1"))] == ["g1", "g1"]
    same_plate = store.vehicles(query=VehicleQuery(plate="BD123"))  # a part of the plate
    assert [v.occurred_at.astimezone(SHANGHAI).day for v in same_plate] == [1, 31]
    assert store.vehicles(query=VehicleQuery(plate="粤BD12345", gate="g2")) == []
    exported = list(store.iter_vehicles(VehicleQuery(), batch=2))
    assert [v.occurred_at for v in exported] == sorted(v.occurred_at for v in exported)
    assert len({v.event_id for v in exported}) == 4
    assert len(store.vehicles(limit=2)) == 2


# --- commands, audit, users ----------------------------------------------------------------
def test_commands_sent_answered_and_expired(store: Store) -> None:
    from terminal.codes.healthcode import simulator_command_key
    from terminal.link.command_signing import sign_command

    gate = FakeGate("g1")
    sent_s = MORNING.timestamp()
    answered = sign_command(simulator_command_key(), "sim", name="lockdown", park="p1",
                            gate="g1", payload={"on": True, "reason": "drill"},
                            issued_by="alice", now_s=sent_s)  # fmt: skip
    unanswered = sign_command(simulator_command_key(), "sim", name="open_once", park="p1",
                              gate="g1", payload={"reason": "visitor"}, issued_by="bob",
                              now_s=sent_s + 1)  # fmt: skip
    store.record_command(answered, "alice")
    store.record_command(unanswered, "bob")
    feed(store, gate.command_result(answered["command_id"], "lockdown", "done",
                                    MORNING + timedelta(seconds=1)))  # fmt: skip
    soon = MORNING + timedelta(seconds=10)
    views = {v.name: v for v in store.command_results(now=soon)}
    assert (views["lockdown"].outcome, views["lockdown"].issued_by) == ("done", "alice")
    assert "reason=drill" in views["lockdown"].payload_summary
    assert views["open_once"].outcome == "sent"
    later = MORNING + timedelta(minutes=5)
    assert {v.name: v.outcome for v in store.command_results(now=later)}["open_once"] == "expired"


def test_a_gate_cannot_answer_a_command_sent_to_another_gate(store: Store) -> None:
    from terminal.codes.healthcode import simulator_command_key
    from terminal.link.command_signing import sign_command

    lockdown = sign_command(simulator_command_key(), "sim", name="lockdown", park="p1",
                            gate="g1", payload={"on": True, "reason": "drill"},
                            issued_by="alice", now_s=MORNING.timestamp())  # fmt: skip
    store.record_command(lockdown, "alice")
    forged = FakeGate("g2").command_result(
        lockdown["command_id"], "lockdown", "done", MORNING + timedelta(seconds=1)
    )
    feed(store, forged)
    [view] = store.command_results(now=MORNING + timedelta(seconds=2))
    assert (view.gate, view.outcome) == ("g1", "sent")  # still waiting for g1's own answer
    feed(store, FakeGate("g1").command_result(
        lockdown["command_id"], "lockdown", "refused", MORNING + timedelta(seconds=3)))  # fmt: skip
    [view] = store.command_results(now=MORNING + timedelta(seconds=4))
    assert (view.gate, view.outcome) == ("g1", "refused")


def test_users_sessions_and_the_audit_log(store: Store) -> None:
    store.add_user("alice", "guard", "$argon2id$fake")
    with pytest.raises(StoreError, match="already exists"):
        store.add_user("alice", "viewer", "$argon2id$other")
    with pytest.raises(StoreError, match="role"):
        store.add_user("carol", "admin", "$argon2id$x")
    user = store.user("alice")
    assert user is not None and (user.name, user.role) == ("alice", "guard")
    expires = MORNING + timedelta(hours=12)
    store.create_session("a" * 64, "alice", expires)
    live = store.session("a" * 64, MORNING + timedelta(hours=1))
    assert live is not None and live.name == "alice"
    assert store.session("a" * 64, expires + timedelta(seconds=1)) is None  # expired
    store.create_session("b" * 64, "alice", expires)
    store.set_password("alice", "$argon2id$new")  # a new password ends every session
    assert store.session("b" * 64, MORNING) is None
    store.audit("alice", "take", "flag abc", MORNING)
    store.audit("bob", "command", "lockdown to p1/g1", MORNING + timedelta(seconds=1))
    assert [(a.user, a.action) for a in store.audit_log()] == [
        ("bob", "command"),
        ("alice", "take"),
    ]
    assert [u.name for u in store.list_users()] == ["alice"]


def test_the_version_moves_on_every_change(store: Store) -> None:
    gate = FakeGate("g1")
    seen = [store.version()]
    feed(store, gate.check(MORNING))
    seen.append(store.version())
    row, flagged = gate.flagged(MORNING)
    feed(store, flagged[1])
    seen.append(store.version())
    store.take(flag_ref("p1", "g1", row.event_id), "alice")
    seen.append(store.version())
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


def test_a_second_store_on_the_same_database_sees_the_same_things(
    request: pytest.FixtureRequest,
) -> None:
    """Several collectors (and the web) each open their own store on one database."""
    for kind in ("sqlite", "postgresql"):
        url = database_url(request, kind)
        first, second = open_store(url, SETTINGS), open_store(url, SETTINGS)
        try:
            message = FakeGate("g1").check(MORNING)
            assert feed(first, message)
            assert not feed(second, message)
            before = second.version()
            feed(first, FakeGate("g1").check(MORNING))
            assert second.version() > before
            assert len(second.checks(CheckQuery())) == 2
        finally:
            first.close()
            second.close()


def test_a_database_that_cannot_be_opened_says_which_in_one_line() -> None:
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://nobody@127.0.0.1:1/none")
    assert "\n" not in str(caught.value) and str(caught.value).startswith("database")
    with pytest.raises(StoreError, match="mysql"):
        open_store("mysql://x@y/z")


def test_a_message_the_database_refuses_does_not_hold_up_the_others(store: Store) -> None:
    """PostgreSQL stores no NUL character in a text: the collector's batch must not be retried
    for ever because of one such message (SQLite takes it)."""
    gate = FakeGate("g1")
    topic, payload = gate.fault("internal_error", MORNING)
    poisoned = payload.replace(b"internal_error detail", b"internal_error \\u0000 detail")
    garbage = (gate.topics.check, b"{not json")
    batch = [gate.check(MORNING), garbage, (topic, poisoned), gate.check(MORNING)]
    results = store.ingest_many([(t, p, MORNING, False) for t, p in batch])
    refused = store.url.startswith("postgresql")
    assert results == [True, False, not refused, True]
    assert store.bad_payloads == 1 + int(refused)  # each bad one counted once
    assert len(store.checks(CheckQuery())) == 2


# --- a real gate's alert sequences ---------------------------------------------------------
def real_gate_sequence(tmp_path: Path, result: str, clinical_c: float) -> tuple[str, list]:
    """A simulated gate (the real Gate over the hardware twins) flags a hot person, re-alerts
    while nobody answers, then takes the guard's signed clinical reading: everything it put in
    its outbox for the centre, in order."""
    from tests.support.secondary import Flagged, command

    flagged = Flagged(tmp_path)
    realert_s = flagged.config.secondary.realert_s
    opened_at = flagged.now()
    for _ in range(200_000):
        flagged.gate.poll()
        if flagged.now() - opened_at > 2.2 * realert_s:
            break
    answer = flagged.take(
        command(flagged.now(), flag_id=flagged.flag_id, result=result, clinical_c=clinical_c)
    )
    assert answer.outcome == "done", answer.detail
    outbox = [(row["topic"], row["payload"].encode()) for row in flagged.record.outbox()]
    flagged.record.close()
    return flagged.flag_id, outbox


GUARD_OUTCOMES = {"normal": 36.8, "fever": 38.2}


@pytest.fixture(scope="module")
def real_sequences(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, list]]:
    """Made once for both databases: the simulated gate takes a few seconds."""
    return {
        result: real_gate_sequence(tmp_path_factory.mktemp(result), result, clinical_c)
        for result, clinical_c in GUARD_OUTCOMES.items()
    }


@pytest.mark.parametrize(
    ("result", "state", "kind"),
    [("normal", "admitted", "secondary_check"), ("fever", "fever_confirmed", "fever")],
)
def test_a_real_gates_flag_from_first_alert_to_the_guards_outcome(
    store: Store,
    real_sequences: dict[str, tuple[str, list]],
    result: str,
    state: str,
    kind: str,
) -> None:
    clinical_c = GUARD_OUTCOMES[result]
    flag_id, outbox = real_sequences[result]
    # the outcome first, the alerts after: as two collectors may store them
    for topic, payload in reversed(outbox):
        store.ingest(topic, payload, MORNING)
    assert store.bad_payloads == 0
    [flag] = [f for f in store.flags() if f.flag_id == flag_id]
    assert (flag.state, flag.kind, flag.clinical_c, flag.person_id) == (
        state,
        kind,
        clinical_c,
        "A",
    )
    assert flag.alerts >= 3  # the first alert and at least two re-alerts
    if state == "fever_confirmed":
        assert flag.isolation_room and flag.is_open
    [check] = store.checks(CheckQuery())
    assert (check.event_id, check.reason) == (flag_id, "secondary_check")


def test_a_page_read_survives_a_postgresql_restart(request: pytest.FixtureRequest) -> None:
    """The server closed the connection (a restart, a failover): the next page still reads."""
    import psycopg

    server = request.getfixturevalue("postgres_server")
    url = database_url(request, "postgresql")
    store = open_store(url, SETTINGS)
    try:
        assert feed(store, FakeGate("g1").check(MORNING))
        with psycopg.connect(server.url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (url.rsplit("/", 1)[1],),
            )
        assert len(store.checks(CheckQuery())) == 1
        assert feed(store, FakeGate("g1").check(MORNING))
    finally:
        store.close()
