"""The secondary check end to end: a flagged person, the alert on its own topic and the buzzer,
re-alerts until a guard answers, the guard's command over a real Mosquitto (and every way a
command can be malformed), the staff release, the isolation room, and the record of each step."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from simulator.broker import PrivateBroker
from simulator.rig import build_rig
from simulator.subscriber import Subscriber
from terminal.display.state import DisplayState
from terminal.gate.lane import Gate
from terminal.link import contract
from terminal.link.publisher import COMMAND_QUEUE_SIZE, Publisher
from terminal.record.store import Record
from tests.conftest import make_config
from tests.support.judging import devices_telling
from tests.support.secondary import (
    RESOLVE,
    TOPICS,
    Desk,
    Flagged,
    command,
    command_desk,
    desk,
    flagged_person,
    payload,
    signed,
)
from tests.support.waiting import wait_for

__all__ = ["desk"]  # shared fixtures, taken by name


@pytest.fixture
def flagged(tmp_path: Path) -> Flagged:
    return Flagged(tmp_path)


def test_a_valid_command_resolves_the_flag(flagged: Flagged) -> None:
    result = flagged.take(command(flagged.now(), flag_id=flagged.flag_id))
    assert (result.outcome, result.detail) == (
        "done",
        f"flag {flagged.flag_id}: admitted (admitted)",
    )
    assert result.issued_by == "security-desk"
    assert len(flagged.rig.gpio.pulses(flagged.config.outputs.relay_pin)) == 1


def test_a_normal_reading_during_a_lockdown_admits_nobody_and_a_fever_still_isolates(
    tmp_path: Path,
) -> None:
    flagged = Flagged(tmp_path)
    flagged.gate.state.lockdown = True  # ordered by the centre while the person waited
    result = flagged.take(command(flagged.now(), flag_id=flagged.flag_id, clinical_c=36.6))
    assert result.detail == f"flag {flagged.flag_id}: refused (lockdown)"
    assert flagged.rig.gpio.pulses(flagged.config.outputs.relay_pin) == []
    steps = [(s["step"], s["detail"]) for s in flagged.record.rows("secondary_steps")]
    assert steps[-1] == ("refused_after_check", "lockdown")


def test_the_guards_decision_follows_the_risk_tier_in_force(tmp_path: Path) -> None:
    # a green code admits under the configured low tier; the centre raises the tier to high,
    # where (this park's choice) a green code alone sends the person to the isolation room,
    # while the flagged person waits at the check point
    high = {"risk": {"actions": {"high": {"green": "isolation", "yellow": "isolation"}}}}
    flagged = Flagged(tmp_path, sections=high)
    assert flagged.config.risk.tier == "low"
    flagged.gate.state.risk_tier = "high"
    result = flagged.take(command(flagged.now(), flag_id=flagged.flag_id, clinical_c=36.6))
    assert result.detail == f"flag {flagged.flag_id}: refused (code_green)"
    steps = [s["step"] for s in flagged.record.rows("secondary_steps")]
    assert steps[-2:] == ["refused_after_check", "routed_to_isolation"]
    alerts = [
        json.loads(m["payload"])["data"] for m in flagged.record.outbox() if "/alert/" in m["topic"]
    ]
    # no fever, but the colour sends them to the isolation room after all: that alert too
    assert [(a["kind"], a["route"]) for a in alerts] == [
        ("secondary_check", "secondary_check"),
        ("secondary_resolved", "isolation_room"),
        ("health_code", "isolation_room"),
    ]
    assert flagged.rig.gpio.pulses(flagged.config.outputs.relay_pin) == []


def hot_person_at_the_gate(tmp_path: Path, **person: object) -> Record:
    """A plainly hot forehead at a gate with no guard command desk: the record of its check."""
    config = make_config(tmp_path)
    rig = build_rig(config, [replace(flagged_person(), **person)])
    record = Record(tmp_path / "r.sqlite")
    gate = Gate(config=rig.config, devices=rig.devices(), record=record, roster=rig.roster)
    for _ in range(5000):
        gate.poll()
        if record.checks():
            break
    gate.close()
    return record


def test_a_red_code_with_a_hot_forehead_goes_to_the_isolation_room_not_to_the_guard(
    tmp_path: Path,
) -> None:
    record = hot_person_at_the_gate(tmp_path, code="red")
    (check,) = record.checks()
    assert (check["reason"], check["route"]) == ("code_red", "isolation_room")
    # the screening's word is kept, though the code decided: the reading was high
    assert check["screening"] == "guard"
    alerts = [json.loads(m["payload"])["data"] for m in record.outbox() if "/alert/" in m["topic"]]
    assert [(a["kind"], a["route"]) for a in alerts] == [("health_code", "isolation_room")]
    assert record.rows("secondary_steps") == [] and record.open_flags() == []


def test_a_worker_outside_their_shift_with_a_hot_forehead_is_told_their_window_at_once(
    tmp_path: Path,
) -> None:
    # the roster refuses them anyway: no guard's time is spent on them
    record = hot_person_at_the_gate(tmp_path, in_shift=False)
    (check,) = record.checks()
    assert check["reason"] in ("shift_early", "shift_late", "shift_not_today")
    start, end = (datetime.fromisoformat(t) for t in check["next_window"].split("/"))
    assert start < end and end.timestamp() > check["epoch_s"]  # a window still to come
    assert [m for m in record.outbox() if "/alert/" in m["topic"]] == []
    assert record.rows("secondary_steps") == []


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"extra": "x"}, "payload.extra: Extra inputs are not permitted"),
        ({"guard": ...}, "payload.guard: Field required"),
        ({"result": "maybe"}, "payload.result: Input should be"),
        ({"clinical_c": 55.0}, "payload.clinical_c: Input should be less than or equal to 43"),
        ({"clinical_c": 30.0}, "payload.clinical_c: Input should be greater than or equal to 34"),
        ({"clinical_c": "36.8"}, "payload.clinical_c: Input should be a valid number"),
        # signed all the same: NaN is no JSON number, refused before its payload is read
        ({"clinical_c": math.nan}, "not a JSON command: NaN is not a JSON number"),
        ({"flag_id": "../../etc"}, "payload.flag_id: String should match"),
        ({"guard": "x" * 65}, "payload.guard: String should match"),
        ({"flag_id": "0" * 32}, "flag_id: no open secondary check"),
        ({"result": "normal", "clinical_c": 38.2}, "result: 'normal' contradicts clinical_c"),
        ({"result": "fever", "clinical_c": 36.9}, "result: 'fever' contradicts clinical_c"),
    ],
)
def test_every_malformed_command_is_refused_with_the_field_named(
    flagged: Flagged, overrides: dict[str, object], problem: str
) -> None:
    fields = {"flag_id": flagged.flag_id, **overrides}
    result = flagged.take(command(flagged.now(), **fields))
    assert result.outcome == "refused" and result.detail.startswith(problem), result.detail
    assert list(flagged.gate.secondary.open) == [flagged.flag_id]  # still waiting for a guard
    assert flagged.rig.gpio.pulses(flagged.config.outputs.relay_pin) == []


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"\xff\xfe\x00", "not a JSON command"),
        (b"{not json", "not a JSON command"),
        (b"[1, 2]", "not a JSON object"),
        (b"[" * 5000 + b"]" * 5000, "not a JSON command"),
        (b'{"clinical_c": NaN}', "not a JSON command: NaN is not a JSON number"),
    ],
)
def test_garbage_is_refused_and_the_flag_stays_open(
    flagged: Flagged, raw: bytes, problem: str
) -> None:
    result = flagged.take(raw)
    assert result.outcome == "refused" and result.detail.startswith(problem), result.detail
    assert list(flagged.gate.secondary.open) == [flagged.flag_id]


def test_a_resolution_is_signed_expiring_and_taken_once(flagged: Flagged) -> None:
    now = flagged.now()
    unsigned = signed(now, flag_id=flagged.flag_id)
    unsigned["payload"] = payload(flag_id=flagged.flag_id, clinical_c=36.5)  # altered after signing
    assert flagged.take(json.dumps(unsigned).encode()).detail.startswith("signature:")
    stale = command(now - 120, flag_id=flagged.flag_id)
    assert flagged.take(stale).detail.startswith("expired")
    assert flagged.take(command(now, flag_id=flagged.flag_id)).outcome == "done"
    # the same command again (a replay) and a second answer to the same flag: both refused
    assert "already taken" in flagged.take(command(now, flag_id=flagged.flag_id)).detail
    again = flagged.take(command(now, "command-2", flag_id=flagged.flag_id))
    assert again.detail.startswith("flag_id: no open secondary check")
    assert len(flagged.rig.gpio.pulses(flagged.config.outputs.relay_pin)) == 1


@contextmanager
def listening_gate(tmp_path: Path, broker: PrivateBroker) -> Iterator[tuple[Publisher, Subscriber]]:
    """A gate's publisher subscribed to its commands (nobody takes them: its loop is busy), and
    a sender at the centre."""
    config = make_config(tmp_path)
    record = Record(tmp_path / "r.sqlite")
    mqtt = config.mqtt.model_copy(update={"host": broker.host, "port": broker.port})
    publisher = Publisher(
        record, mqtt, TOPICS, client_id=f"gate-{time.monotonic_ns()}", commands=True
    )
    publisher.start()
    sender = Subscriber(broker.host, broker.port, TOPICS)
    try:
        assert publisher.wait_connected(10)
        time.sleep(0.2)  # the gate's subscription to its commands
        yield publisher, sender
    finally:
        publisher.stop()
        sender.stop()
        record.close()


def test_a_huge_command_never_reaches_the_gate(tmp_path: Path, broker: PrivateBroker) -> None:
    with listening_gate(tmp_path, broker) as (publisher, sender):
        sender.client.publish(RESOLVE, b"x" * (contract.MAX_MESSAGE_BYTES + 1), qos=1)
        sender.client.publish(RESOLVE, command(time.time()), qos=1)
        assert wait_for(lambda: publisher.commands.qsize() == 1)
        name, raw = publisher.commands.get_nowait()
        assert name == "resolve_secondary" and len(raw) < contract.MAX_MESSAGE_BYTES


def test_a_flood_of_commands_is_bounded(tmp_path: Path, broker: PrivateBroker) -> None:
    flood = COMMAND_QUEUE_SIZE + 36
    with listening_gate(tmp_path, broker) as (publisher, sender):
        for number in range(flood):
            sender.client.publish(RESOLVE, command(time.time(), f"flood-{number:04d}"), qos=1)
        assert wait_for(lambda: publisher.commands_dropped == flood - COMMAND_QUEUE_SIZE)
        assert publisher.commands.qsize() == COMMAND_QUEUE_SIZE


def test_a_flag_alerts_at_once_buzzes_and_re_alerts_until_a_guard_resolves_it(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    config = desk.config
    desk.poll_until(lambda: bool(desk.record.checks()))
    (check,) = desk.record.checks()
    assert (check["reason"], check["route"]) == ("secondary_check", "secondary_check")
    flag_id = check["event_id"]
    alert_topic = TOPICS.alert("secondary_check")
    assert wait_for(lambda: len(desk.security.received(alert_topic)) == 1)
    first = desk.security.received(alert_topic)[0]["data"]
    assert first["check_event_id"] == flag_id and first["person_id"] == "A"
    assert desk.rig.gpio.levels[config.outputs.buzzer_pin] == 1  # the buzzer calls security
    # nobody answers: alerted again every realert_s
    opened_at = desk.rig.clock.time()
    desk.poll_until(lambda: desk.rig.clock.time() - opened_at > 2.2 * config.secondary.realert_s)
    assert wait_for(lambda: len(desk.security.received(alert_topic)) >= 3)
    assert [a["data"]["alerts"] for a in desk.security.received(alert_topic)[1:3]] == [2, 3]
    # and the buzzer sounded for buzzer_s at the flag and at each re-alert
    buzzes = desk.rig.gpio.pulses(config.outputs.buzzer_pin)
    assert len(buzzes) >= 3 and all(length >= config.outputs.buzzer_s for _, length in buzzes)
    assert desk.rig.gpio.pulses(config.outputs.relay_pin) == []  # nothing released meanwhile

    # malformed and wrong commands: answered, logged, and the gate goes on
    caplog.set_level(logging.WARNING)
    for raw, problem in [
        (b"\xff\xfe", "not a JSON command"),
        (b"{" * 3000, "not a JSON command"),
        (desk.command(flag_id="0" * 32), "flag_id: no open secondary check"),
        (desk.command(flag_id=flag_id, result="normal", clinical_c=38.2), "result: 'normal'"),
    ]:
        result = desk.send(raw)
        assert result["outcome"] == "refused" and result["detail"].startswith(problem)
    refusals = [r for r in caplog.records if "command resolve_secondary from" in r.message]
    assert len(refusals) == 4 and all(": refused: " in r.message for r in refusals)
    assert all("36." not in r.message and "38." not in r.message for r in caplog.records)

    # the guard measures 36.9 °C: normal, admitted by staff with one relay pulse
    result = desk.send(desk.command(flag_id=flag_id, clinical_c=36.9, result="normal"))
    assert (result["outcome"], result["detail"], result["command_id"]) == (
        "done",
        f"flag {flag_id}: admitted (admitted)",
        "command-3",  # the third signed one: the raw garbage had no id
    )
    assert len(desk.rig.gpio.pulses(config.outputs.relay_pin)) == 1
    steps = [(s["step"], s["by"], s["clinical_c"]) for s in desk.record.rows("secondary_steps")]
    flag_steps = steps
    realerts = flag_steps.count(("realerted", "gate", None))
    assert realerts >= 2
    assert flag_steps == [
        ("sent_to_secondary_check", "gate", None),
        *[("realerted", "gate", None)] * realerts,
        ("clinical_reading", "guard-7", 36.9),
        ("admitted_by_staff", "guard-7", None),
    ]
    # every command is in the record with who sent it and what became of it
    taken = [
        (c["outcome"], c["issued_by"])
        for c in desk.record.db.query("SELECT * FROM commands ORDER BY rowid")
    ]
    assert taken == [("refused", None)] * 2 + [("refused", "security-desk")] * 2 + [
        ("done", "security-desk")
    ]
    # resolved: no more re-alerts, and a second answer to the same flag is refused
    alerts_now = len(desk.security.received(alert_topic))
    resolved_at = desk.rig.clock.time()
    desk.poll_until(lambda: desk.rig.clock.time() - resolved_at > config.secondary.realert_s + 1)
    time.sleep(0.2)
    assert len(desk.security.received(alert_topic)) == alerts_now
    again = desk.send(desk.command(flag_id=flag_id))
    assert again["outcome"] == "refused" and again["detail"].startswith("flag_id:")
    assert len(desk.rig.gpio.pulses(config.outputs.relay_pin)) == 1


def test_a_confirmed_fever_goes_to_the_isolation_room_from_the_config(desk: Desk) -> None:
    desk.poll_until(lambda: bool(desk.record.checks()))
    flag_id = desk.record.checks()[0]["event_id"]
    result = desk.send(desk.command(flag_id=flag_id, result="fever", clinical_c=38.6))
    assert (result["outcome"], result["detail"]) == ("done", f"flag {flag_id}: fever (fever)")
    fever_topic = TOPICS.alert("fever")
    assert wait_for(lambda: len(desk.security.received(fever_topic)) == 1)
    (fever,) = [m["data"] for m in desk.security.received(fever_topic)]
    room = desk.config.secondary
    assert (fever["isolation_room"], fever["isolation_location"]) == (
        room.isolation_room,
        room.isolation_location,
    )
    assert (fever["route"], fever["guard"], fever["clinical_c"]) == (
        "isolation_room",
        "guard-7",
        38.6,
    )
    steps = [(s["step"], s["by"]) for s in desk.record.rows("secondary_steps")]
    assert steps[-2:] == [("fever_confirmed", "guard-7"), ("routed_to_isolation", "gate")]
    assert desk.rig.gpio.pulses(desk.config.outputs.relay_pin) == []  # never through the turnstile


def test_an_open_flag_survives_a_restart(desk: Desk) -> None:
    desk.poll_until(lambda: bool(desk.record.checks()))
    flag_id = desk.record.checks()[0]["event_id"]
    # the service restarts: a new gate on the same record
    restarted = Gate(
        config=desk.rig.config,
        devices=desk.rig.devices(),
        record=desk.record,
        roster=desk.rig.roster,
        publisher=desk.publisher,
    )
    assert list(restarted.secondary.open) == [flag_id]
    reopened = restarted.secondary.open[flag_id]
    assert reopened.person_id == "A" and reopened.roster_problem is None  # on the roster
    desk.gate = restarted
    desk.desk = command_desk(restarted, desk.rig.config, desk.record, desk.rig.clock.time)
    result = desk.send(desk.command(flag_id=flag_id, clinical_c=36.7))
    assert (result["outcome"], result["detail"]) == ("done", f"flag {flag_id}: admitted (admitted)")
    assert [s["step"] for s in desk.record.rows("secondary_steps")][-2:] == [
        "clinical_reading",
        "admitted_by_staff",
    ]


def test_a_person_admitted_by_the_guard_is_told_to_pass_now_with_the_window_from_then(
    tmp_path: Path,
) -> None:
    # the turnstile's passage contact is wired: the window runs from the guard's resolution
    config = make_config(tmp_path, inputs={"passage": {"pin": 21}})
    rig = build_rig(config, [flagged_person()])
    record = Record(tmp_path / "r.sqlite")
    told: list[str] = []
    display = DisplayState(
        language="en", answer_s=3600.0, isolation_room="room", isolation_location="place"
    )
    gate = Gate(
        config=rig.config,
        devices=devices_telling(rig, told),
        record=record,
        roster=rig.roster,
        display=display,
    )
    for _ in range(5000):
        gate.poll()
        if record.checks():
            break
    (flag,) = record.checks()
    rig.clock.sleep(150.0)  # the guard comes after a while
    resolved_s = rig.clock.time()
    desk = command_desk(gate, rig.config, record, rig.clock.time)
    result = desk.take("resolve_secondary", command(resolved_s, flag_id=flag["event_id"]))
    assert result.detail == f"flag {flag['event_id']}: admitted (admitted)"
    (passage,) = record.passages()
    assert config.inputs.passage is not None
    window_s = config.inputs.passage.window_s
    assert (passage["admitted_by"], passage["released_s"]) == ("guard", resolved_s)
    assert passage["window_s"] == window_s
    until = datetime.fromtimestamp(resolved_s + window_s, ZoneInfo(config.gate.timezone))
    screen = display.screen()
    assert (screen.kind, screen.tone) == ("staff_admitted", "pass")
    assert (screen.headline, screen.todo) == (
        "A may pass now",
        f"Go through the gate now, until {until:%H:%M:%S}",
    )
    assert told == ["staff_admitted:A"]  # the gate's display device hears it too
    gate.close()
