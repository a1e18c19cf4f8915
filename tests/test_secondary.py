"""The secondary check end to end: a flagged person, the alert on its own topic and the buzzer,
re-alerts until a guard answers, the guard's command over a real Mosquitto (and every way a
command can be malformed), the staff release, the isolation room, and the record of each step."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from simulator.broker import PrivateBroker
from simulator.crowd import SimPerson
from simulator.rig import build_rig
from simulator.runner import Subscriber
from terminal.commands import MAX_COMMAND_BYTES, CommandInbox, Refusal, parse_command
from terminal.config import Config
from terminal.gate import Gate
from terminal.publisher import Publisher
from terminal.record import Record
from terminal.screening.estimators import Reading
from terminal.topics import GateTopics
from tests.conftest import make_config
from tests.test_publisher import wait_for

TOPICS = GateTopics("test-park", "gate-t")


def command(**overrides: object) -> bytes:
    body: dict[str, object] = {
        "schema": "gate.resolve_secondary/1",
        "command_id": "c-1",
        "flag_id": "f" * 32,
        "result": "normal",
        "clinical_c": 36.8,
        "guard": "guard-7",
        **overrides,
    }
    return json.dumps({k: v for k, v in body.items() if v is not ...}).encode()


def test_a_valid_command_parses() -> None:
    parsed = parse_command(TOPICS.resolve_secondary, command(), TOPICS)
    assert not isinstance(parsed, Refusal)
    assert (parsed.flag_id, parsed.result, parsed.clinical_c, parsed.guard) == (
        "f" * 32,
        "normal",
        36.8,
        "guard-7",
    )


@pytest.mark.parametrize(
    ("topic", "payload", "problem"),
    [
        (TOPICS.resolve_secondary, b"\xff\xfe\x00", "payload is not UTF-8"),
        (TOPICS.resolve_secondary, b"x" * (MAX_COMMAND_BYTES + 1), "payload larger than"),
        (TOPICS.resolve_secondary, b"{not json", "payload is not JSON"),
        (TOPICS.resolve_secondary, b"[1, 2]", "payload is not a JSON object"),
        (TOPICS.resolve_secondary, b"[" * 5000 + b"]" * 5000, "payload larger than"),
        (TOPICS.resolve_secondary, command(extra="x"), "extra: unknown field"),
        (TOPICS.resolve_secondary, command(guard=...), "guard: required, missing"),
        (TOPICS.resolve_secondary, command(result="maybe"), "result: Input should be"),
        (TOPICS.resolve_secondary, command(clinical_c=55.0), "clinical_c: Input should be"),
        (TOPICS.resolve_secondary, command(clinical_c="36.8"), "clinical_c: Input should be"),
        (TOPICS.resolve_secondary, b'{"clinical_c": NaN}', "schema: required, missing"),
        (TOPICS.resolve_secondary, command(flag_id="../../etc"), "flag_id: String should match"),
        (TOPICS.resolve_secondary, command(guard="x" * 65), "guard: String should match"),
        (TOPICS.resolve_secondary, command(schema="gate.open_turnstile/1"), "schema: Input"),
        (f"{TOPICS.base}/cmd/open_turnstile", command(), "unknown command"),
    ],
)
def test_every_malformed_command_is_refused_with_the_field_named(
    topic: str, payload: bytes, problem: str
) -> None:
    refused = parse_command(topic, payload, TOPICS)
    assert isinstance(refused, Refusal)
    assert refused.problem.startswith(problem)


def test_nan_is_not_a_clinical_reading() -> None:
    payload = command().replace(b"36.8", b"NaN")
    refused = parse_command(TOPICS.resolve_secondary, payload, TOPICS)
    assert isinstance(refused, Refusal) and refused.problem.startswith("clinical_c:")
    assert refused.command_id == "c-1"  # the answer names the command it refuses


def test_a_flood_of_commands_is_bounded() -> None:
    inbox = CommandInbox(size=4)
    for _ in range(10):
        inbox.put(TOPICS.resolve_secondary, b"{}")
    assert inbox.pending() == 4 and inbox.dropped == 6
    assert len(inbox.take()) == 4 and inbox.dropped == 0


# --- end to end over a real broker ------------------------------------------------------------
def flagged_person(pid: str = "A", core_c: float = 38.7) -> SimPerson:
    # plainly hot at 19 °C: the absolute estimate (too few people yet) flags it
    return SimPerson(pid, 0.0, core_c, 19.0, "green", object_c=36.5, distance_cm=15.0)


class Desk:
    """A gate with a publisher subscribed to its commands, and the security desk's client."""

    def __init__(self, config: Config, broker: PrivateBroker, tmp_path: Path) -> None:
        self.config = config
        self.rig = build_rig(config, [flagged_person()])
        self.record = Record(tmp_path / "r.sqlite")
        mqtt = config.mqtt.model_copy(update={"host": broker.host, "port": broker.port})
        self.publisher = Publisher(
            self.record, mqtt, TOPICS, client_id=f"gate-{time.monotonic_ns()}", inbox=CommandInbox()
        )
        self.publisher.start()
        assert self.publisher.wait_connected(10)
        self.security = Subscriber(broker.host, broker.port, TOPICS)
        self.gate = Gate(
            config=self.rig.config,
            devices=self.rig.devices(),
            record=self.record,
            roster=self.rig.roster,
            publisher=self.publisher,
        )

    def poll_until(self, condition, polls: int = 5000) -> None:  # type: ignore[no-untyped-def]
        for _ in range(polls):
            self.gate.poll()
            if condition():
                return
        raise AssertionError("the gate never got there")

    def send(self, payload: bytes, topic: str = TOPICS.resolve_secondary) -> dict:
        before = len(self.security.received(f"{topic}/result"))
        self.security.client.publish(topic, payload, qos=1)
        assert wait_for(lambda: self.publisher.inbox is not None and self.publisher.inbox.pending())
        self.gate.poll()
        assert wait_for(lambda: len(self.security.received(f"{topic}/result")) > before)
        return self.security.received(f"{topic}/result")[-1]

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
    alert_topic = TOPICS.alert_of("secondary_check")
    assert wait_for(lambda: len(desk.security.received(alert_topic)) == 1)
    first = desk.security.received(alert_topic)[0]
    assert first["check_event_id"] == flag_id and first["person_id"] == "A"
    assert desk.rig.gpio.levels[config.outputs.buzzer_pin] == 1  # the buzzer calls security
    # nobody answers: alerted again every realert_s
    opened_at = desk.rig.clock.time()
    desk.poll_until(lambda: desk.rig.clock.time() - opened_at > 2.2 * config.secondary.realert_s)
    assert wait_for(lambda: len(desk.security.received(alert_topic)) >= 3)
    assert [a["alerts"] for a in desk.security.received(alert_topic)[1:3]] == [2, 3]
    # and the buzzer sounded for buzzer_s at the flag and at each re-alert
    buzzes = desk.rig.gpio.pulses(config.outputs.buzzer_pin)
    assert len(buzzes) >= 3 and all(length >= config.outputs.buzzer_s for _, length in buzzes)
    assert desk.rig.gpio.pulses(config.outputs.relay_pin) == []  # nothing released meanwhile

    # malformed and wrong commands: answered, logged, and the gate goes on
    caplog.set_level(logging.WARNING)
    for payload, problem in [
        (b"\xff\xfe", "payload is not UTF-8"),
        (b"{" * 3000, "payload larger than"),
        (command(flag_id="0" * 32), "flag_id: no open secondary check"),
        (command(flag_id=flag_id, result="normal", clinical_c=38.2), "result: 'normal'"),
    ]:
        result = desk.send(payload)
        assert result["ok"] is False and result["problem"].startswith(problem)
    assert sum("refused a command" in r.message for r in caplog.records) == 4
    assert all("36." not in r.message and "38." not in r.message for r in caplog.records)

    # the guard measures 36.9 °C: normal, admitted by staff with one relay pulse
    result = desk.send(command(flag_id=flag_id, clinical_c=36.9, result="normal"))
    assert (result["ok"], result["outcome"], result["command_id"]) == (True, "admitted", "c-1")
    assert len(desk.rig.gpio.pulses(config.outputs.relay_pin)) == 1
    steps = [(s["step"], s["by"], s["clinical_c"]) for s in desk.record.rows("secondary_steps")]
    flag_steps = [s for s in steps if s[0] != "command_refused"]
    realerts = flag_steps.count(("realerted", "gate", None))
    assert realerts >= 2
    assert flag_steps == [
        ("sent_to_secondary_check", "gate", None),
        *[("realerted", "gate", None)] * realerts,
        ("clinical_reading", "guard-7", 36.9),
        ("admitted_by_staff", "guard-7", None),
    ]
    refused = [s for s in steps if s[0] == "command_refused"]
    assert refused == [("command_refused", "gate", None)] * 4
    # resolved: no more re-alerts, and a second answer to the same flag is refused
    alerts_now = len(desk.security.received(alert_topic))
    resolved_at = desk.rig.clock.time()
    desk.poll_until(lambda: desk.rig.clock.time() - resolved_at > config.secondary.realert_s + 1)
    time.sleep(0.2)
    assert len(desk.security.received(alert_topic)) == alerts_now
    again = desk.send(command(flag_id=flag_id, command_id="c-2"))
    assert again["ok"] is False and again["problem"].startswith("flag_id:")
    assert len(desk.rig.gpio.pulses(config.outputs.relay_pin)) == 1


def test_a_confirmed_fever_goes_to_the_isolation_room_from_the_config(desk: Desk) -> None:
    desk.poll_until(lambda: bool(desk.record.checks()))
    flag_id = desk.record.checks()[0]["event_id"]
    result = desk.send(command(flag_id=flag_id, result="fever", clinical_c=38.6))
    assert (result["ok"], result["outcome"]) == (True, "fever")
    fever_topic = TOPICS.alert_of("fever")
    assert wait_for(lambda: len(desk.security.received(fever_topic)) == 1)
    (fever,) = desk.security.received(fever_topic)
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
    result = desk.send(command(flag_id=flag_id, clinical_c=36.7))
    assert (result["ok"], result["outcome"]) == (True, "admitted")
    assert [s["step"] for s in desk.record.rows("secondary_steps")][-2:] == [
        "clinical_reading",
        "admitted_by_staff",
    ]
