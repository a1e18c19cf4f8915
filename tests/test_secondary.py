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

import pytest

from simulator.broker import PrivateBroker
from simulator.crowd import SimPerson
from simulator.rig import Rig, build_rig
from simulator.subscriber import Subscriber
from terminal.codes.healthcode import SIMULATOR_COMMAND_KEY_ID, simulator_command_key
from terminal.config import Config
from terminal.gate.lane import Gate
from terminal.link import contract
from terminal.link.commands import CommandContext, CommandDesk, sign_command, standard_registry
from terminal.link.publisher import COMMAND_QUEUE_SIZE, Publisher
from terminal.link.topics import GateTopics, Messages
from terminal.record.store import Record
from terminal.screening.estimators import Reading
from terminal.state import GateState
from tests.conftest import make_config
from tests.test_publisher import wait_for

TOPICS = GateTopics("test-park", "gate-t")
RESOLVE = TOPICS.command("resolve_secondary")
RESULT = TOPICS.command_result("resolve_secondary")


def payload(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "flag_id": "f" * 32,
        "result": "normal",
        "clinical_c": 36.8,
        "guard": "guard-7",
        **overrides,
    }
    return {k: v for k, v in body.items() if v is not ...}


def signed(now_s: float, command_id: str = "command-1", **overrides: object) -> dict[str, object]:
    return sign_command(
        simulator_command_key(),
        SIMULATOR_COMMAND_KEY_ID,
        name="resolve_secondary",
        park=TOPICS.park,
        gate=TOPICS.gate,
        payload=payload(**overrides),
        issued_by="security-desk",
        now_s=now_s,
        command_id=command_id,
    )


def command(now_s: float, command_id: str = "command-1", **overrides: object) -> bytes:
    return json.dumps(signed(now_s, command_id, **overrides)).encode()


def flagged_person(pid: str = "A", core_c: float = 38.7) -> SimPerson:
    # plainly hot at 19 °C: the absolute estimate (too few people yet) flags it
    return SimPerson(pid, 0.0, core_c, 19.0, "green", object_c=36.5, distance_cm=15.0)


def command_desk(gate: Gate, config: Config, record: Record, now) -> CommandDesk:  # type: ignore[no-untyped-def]
    """The gate's command desk as the service wires it, the guard's handler registered."""
    registry = standard_registry()
    gate.secondary.register(registry)
    return CommandDesk(
        registry,
        config.commands,
        CommandContext(
            config=config,
            state=gate.state,
            record=record,
            messages=gate.messages,
            now=now,
            open_once=gate.open_once,
            reload_roster=lambda: None,
            changed=lambda: None,
        ),
    )


# --- every malformed command is refused by the framework, the field named ---------------------
class Flagged:
    """A gate that has just sent person A to the secondary check, and its command desk."""

    def __init__(self, tmp_path: Path, code: str = "green", **person: object) -> None:
        self.config = make_config(tmp_path)
        self.rig = build_rig(self.config, [replace(flagged_person(), code=code, **person)])
        self.record = Record(tmp_path / "r.sqlite")
        self.gate = Gate(
            config=self.rig.config,
            devices=self.rig.devices(),
            record=self.record,
            roster=self.rig.roster,
            messages=Messages(
                TOPICS.park, TOPICS.gate, boot_id="boot-test-1", timezone="Asia/Shanghai"
            ),
        )
        for _ in range(5000):
            self.gate.poll()
            if self.record.checks():
                break
        (check,) = self.record.checks()
        assert check["reason"] == "secondary_check"
        self.flag_id = check["event_id"]
        self.desk = command_desk(self.gate, self.config, self.record, self.rig.clock.time)

    def take(self, raw: bytes) -> contract.CommandResultData:
        return self.desk.take("resolve_secondary", raw)

    def now(self) -> float:
        return self.rig.clock.time()


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
    # a yellow code steps aside under the configured low tier; the centre raises the tier to
    # high (yellow: the isolation room) while the person waits at the check point
    flagged = Flagged(tmp_path, code="yellow")
    assert flagged.config.risk.tier == "low"
    flagged.gate.state.risk_tier = "high"
    result = flagged.take(command(flagged.now(), flag_id=flagged.flag_id, clinical_c=36.6))
    assert result.detail == f"flag {flagged.flag_id}: refused (code_yellow)"
    steps = [s["step"] for s in flagged.record.rows("secondary_steps")]
    assert steps[-2:] == ["refused_after_check", "routed_to_isolation"]
    alerts = [m for m in flagged.record.outbox() if "/alert/" in m["topic"]]
    assert json.loads(alerts[-1]["payload"])["data"]["kind"] == "health_code"
    assert flagged.rig.gpio.pulses(flagged.config.outputs.relay_pin) == []


def test_a_normal_reading_with_a_red_code_is_no_fever_yet_goes_to_the_isolation_room(
    tmp_path: Path,
) -> None:
    flagged = Flagged(tmp_path, code="red")
    normal = command(flagged.now(), flag_id=flagged.flag_id, clinical_c=36.6)
    result = flagged.take(normal)
    assert (result.outcome, result.detail) == (
        "done",
        f"flag {flagged.flag_id}: refused (code_red)",
    )
    steps = [(s["step"], s["detail"]) for s in flagged.record.rows("secondary_steps")]
    assert [step for step, _ in steps] == [
        "sent_to_secondary_check",
        "clinical_reading",
        "refused_after_check",
        "routed_to_isolation",
    ]
    alerts = [
        json.loads(m["payload"])["data"] for m in flagged.record.outbox() if "/alert/" in m["topic"]
    ]
    assert [(a["kind"], a["route"]) for a in alerts] == [
        ("secondary_check", "secondary_check"),
        ("secondary_resolved", "isolation_room"),
        ("health_code", "isolation_room"),
    ]
    assert flagged.rig.gpio.pulses(flagged.config.outputs.relay_pin) == []


def test_a_worker_refused_for_their_shift_after_a_normal_reading_is_told_their_window(
    tmp_path: Path,
) -> None:
    # flagged first (the screening comes before the roster), outside their shift window too
    flagged = Flagged(tmp_path, in_shift=False)
    (check,) = flagged.record.checks()
    normal = command(flagged.now(), flag_id=flagged.flag_id, clinical_c=36.6)
    result = flagged.take(normal)
    alerts = [
        json.loads(m["payload"])["data"] for m in flagged.record.outbox() if "/alert/" in m["topic"]
    ]
    resolved = alerts[-1]
    assert (resolved["kind"], resolved["outcome"]) == ("secondary_resolved", "refused")
    assert resolved["reason"] in ("shift_early", "shift_late", "shift_not_today")
    window = resolved["next_window"]
    start, end = (datetime.fromisoformat(t) for t in window.split("/"))
    assert start < end and end.timestamp() > check["epoch_s"]  # a window still to come
    assert result.detail == (
        f"flag {flagged.flag_id}: refused ({resolved['reason']}; next window {window})"
    )
    (refused,) = [s for s in flagged.record.rows("secondary_steps")
                  if s["step"] == "refused_after_check"]  # fmt: skip
    assert refused["detail"].endswith(f"next window {window}")
    assert flagged.rig.gpio.pulses(flagged.config.outputs.relay_pin) == []


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


# --- end to end over a real broker ------------------------------------------------------------
def commanded_gate(
    rig: Rig, record: Record, broker: PrivateBroker, topics: GateTopics
) -> tuple[GateState, Publisher, Gate, CommandDesk]:
    """The rig's gate as the service wires it to the broker: its publisher taking commands
    (connected before this returns) and its command desk."""
    mqtt = rig.config.mqtt.model_copy(update={"host": broker.host, "port": broker.port})
    state = GateState(risk_tier=rig.config.risk.tier)
    publisher = Publisher(
        record,
        mqtt,
        topics,
        client_id=f"gate-{time.monotonic_ns()}",
        commands=True,
        state=state,
    )
    publisher.start()
    assert publisher.wait_connected(10)
    gate = Gate(
        config=rig.config,
        devices=rig.devices(),
        record=record,
        roster=rig.roster,
        publisher=publisher,
        state=state,
    )
    return state, publisher, gate, command_desk(gate, rig.config, record, rig.clock.time)


class Desk:
    """A gate with a publisher subscribed to its commands, and the security desk's client."""

    def __init__(self, config: Config, broker: PrivateBroker, tmp_path: Path) -> None:
        self.config = config
        self.rig = build_rig(config, [flagged_person()])
        self.record = Record(tmp_path / "r.sqlite")
        self.state, self.publisher, self.gate, self.desk = commanded_gate(
            self.rig, self.record, broker, TOPICS
        )
        self.security = Subscriber(broker.host, broker.port, TOPICS)
        self.commands_sent = 0

    def command(self, **overrides: object) -> bytes:
        self.commands_sent += 1
        return command(self.rig.clock.time(), f"command-{self.commands_sent}", **overrides)

    def poll_until(self, condition, polls: int = 5000) -> None:  # type: ignore[no-untyped-def]
        for _ in range(polls):
            self.gate.poll()
            if condition():
                return
        raise AssertionError("the gate never got there")

    def send(self, raw: bytes) -> dict:
        """The guard's command through the broker; the result the security desk receives."""
        before = len(self.security.received(RESULT))
        self.security.client.publish(RESOLVE, raw, qos=1)
        assert wait_for(lambda: self.publisher.commands.qsize() > 0)
        self.desk.run_pending(self.publisher.commands)  # between frames, as the service does
        self.gate.poll()
        assert wait_for(lambda: len(self.security.received(RESULT)) > before)
        return self.security.received(RESULT)[-1]["data"]

    def close(self) -> None:
        self.gate.close()
        self.publisher.stop()
        self.security.stop()
        self.record.close()


@pytest.fixture
def desk(tmp_path: Path, broker: PrivateBroker):  # type: ignore[no-untyped-def]
    config = make_config(tmp_path, secondary={"realert_s": 10.0})
    opened = Desk(config, broker, tmp_path)
    yield opened
    opened.close()


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
    # and the screening's reference picks up the people already screened
    seen = restarted.screener.estimator.similar  # type: ignore[attr-defined]
    assert seen(Reading(34.0, 19.0, desk.rig.clock.time())) == [pytest.approx(36.5, abs=0.15)]
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
