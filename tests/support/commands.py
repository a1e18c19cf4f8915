"""A gate that takes signed commands from the centre (Station), and the keys that sign them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from simulator.rig import Rig, build_rig
from terminal.config import Config
from terminal.gate.lane import Gate
from terminal.link import contract
from terminal.link.commands import (
    CommandContext,
    CommandDesk,
    sign_command,
    standard_registry,
)
from terminal.link.topics import Messages
from terminal.record.store import Record
from terminal.rules.roster import load_roster
from terminal.state import GateState
from tests.conftest import make_config
from tests.support.people import TABLE_ONLY

CENTRE_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(40, 72)))


STRANGER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(80, 112)))


CENTRE_KEY_ID = "centre-1"


def centre_keys() -> dict[str, Any]:
    from terminal.codes.healthcode import public_key_text

    public = public_key_text(CENTRE_KEY.public_key())
    return {"keys": [{"key_id": CENTRE_KEY_ID, "public_key": public}]}


def command_config(tmp_path: Path, **sections: dict) -> Config:
    # about commands, not the estimator: each forehead is judged on its own (the absolute table)
    sections = {"screening": TABLE_ONLY, **sections}
    return make_config(tmp_path, commands=centre_keys(), **sections)


class Station:
    """A gate, its record, its state and its command desk, as the service wires them."""

    def __init__(self, config: Config, people: list, tmp_path: Path) -> None:
        self.rig: Rig = build_rig(config, people)
        config = self.config = self.rig.config  # with the simulated people's shift groups
        self.record = Record(tmp_path / "record.sqlite")
        self.state = GateState.restore(config, self.record)
        self.messages = Messages(
            config.gate.park, config.gate.id, boot_id="boot-test-1", timezone=config.gate.timezone
        )
        self.gate = Gate(
            config=config,
            devices=self.rig.devices(),
            record=self.record,
            roster=self.rig.roster,
            state=self.state,
            messages=self.messages,
        )
        self.status_sent = 0

        def changed() -> None:
            self.status_sent += 1

        def reload_roster() -> None:
            self.gate.roster = load_roster(config)

        registry = standard_registry()
        self.gate.secondary.register(registry)  # as the service wires it
        self.gate.vehicles.register(registry)
        self.desk = CommandDesk(
            registry,
            config.commands,
            CommandContext(
                config=config,
                state=self.state,
                record=self.record,
                messages=self.messages,
                now=self.rig.clock.time,
                open_once=self.gate.open_once,
                reload_roster=reload_roster,
                changed=changed,
            ),
        )

    def command(self, name: str, payload: dict[str, Any], **options: Any) -> dict[str, Any]:
        key = options.pop("key", CENTRE_KEY)
        key_id = options.pop("key_id", CENTRE_KEY_ID)
        fields = {
            "name": name,
            "park": self.config.gate.park,
            "gate": self.config.gate.id,
            "payload": payload,
            "issued_by": "duty-officer",
            "now_s": self.rig.clock.time(),
            **options,
        }
        return sign_command(key, key_id, **fields)

    def send(
        self, name: str, payload: dict[str, Any], **options: Any
    ) -> contract.CommandResultData:
        return self.take(name, self.command(name, payload, **options))

    def take(self, name: str, command: dict[str, Any]) -> contract.CommandResultData:
        return self.desk.take(name, json.dumps(command).encode())

    def run_until(self, checks: int) -> None:
        for _ in range(200_000):
            if len(self.record.checks()) >= checks or self.rig.world.done:
                return
            self.gate.poll()
        raise AssertionError("the gate did not get there")

    def relay_pulses(self) -> int:
        return len(self.rig.gpio.pulses(self.config.outputs.relay_pin))

    def results(self) -> list[dict[str, Any]]:
        return [
            json.loads(m["payload"]) for m in self.record.outbox() if m["topic"].endswith("/result")
        ]
