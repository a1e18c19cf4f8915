"""Secondary screening: flagged people, the commands that resolve them, and a commanded gate."""

from __future__ import annotations

import json
import time
from dataclasses import replace
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
from terminal.link.publisher import Publisher
from terminal.link.topics import GateTopics, Messages
from terminal.record.store import Record
from terminal.state import GateState
from tests.conftest import make_config
from tests.support.waiting import wait_for

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

    def __init__(
        self,
        tmp_path: Path,
        code: str = "green",
        sections: dict[str, dict] | None = None,
        **person: object,
    ) -> None:
        """``sections``: of the gate's config, beside the tests' own."""
        self.config = make_config(tmp_path, **(sections or {}))
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
