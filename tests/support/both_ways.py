"""A terminal with an entry and an exit side on simulated hardware, and the people leaving."""

from __future__ import annotations

from pathlib import Path

from simulator.rig import Rig, build_rig
from terminal.config import Config
from terminal.gate.sides import BothWays
from terminal.record.store import Record
from terminal.state import GateState
from tests.conftest import (
    make_config,
)
from tests.support.gate_inputs import passage
from tests.support.people import TABLE_ONLY, person

EXIT_RELAY_PIN, EXIT_PASSAGE_PIN, EXIT_BUTTON_PIN = 24, 12, 16


EXIT_SIDE = {
    "camera": {"device": 1},
    "relay": {"pin": EXIT_RELAY_PIN},
    "passage": {"pin": EXIT_PASSAGE_PIN, "window_s": 6.0},
}


def both_config(tmp_path: Path, **sections: dict) -> Config:
    defaults: dict[str, dict] = {
        "gate": {"direction": "both"},
        # the code's replay hold only recorded: anti-passback is what keeps a second entry out
        "healthcode": {"replay": {"mode": "record_only"}},
        "screening": TABLE_ONLY,
        "inputs": {"passage": passage(window_s=6.0)},
        "exit_side": EXIT_SIDE,
        "zone": {"name": "hall", "anti_passback": "deny"},
    }
    for name, values in sections.items():
        defaults[name] = {**defaults.get(name, {}), **values}
    return make_config(tmp_path, **defaults)


def leaving(pid: str, arrival_s: float, code: str = "green", **extra: object):
    return person(pid, arrival_s, code, direction="out", **extra)


class Terminal:
    """One terminal serving both ways on its simulated entrance, with its record."""

    def __init__(self, config: Config, people: list) -> None:
        self.config = config
        self.rig: Rig = build_rig(config, people)
        self.record = Record(config.resolved(config.record.path))
        self.state = GateState(risk_tier="low")
        self.gate = BothWays(
            config=self.rig.config,
            devices=self.rig.devices(),
            record=self.record,
            roster=self.rig.roster,
            state=self.state,
        )

    def run(self) -> None:
        """Until everyone on both sides has been and gone, and both passages are closed; then
        the terminal stops."""
        for _ in range(200_000):
            if self.rig.done and not any(side.passages.waiting for side in self.gate.sides):
                self.gate.close()
                return
            self.gate.poll()
        raise AssertionError("the simulated shift did not finish")

    def outcomes(self) -> tuple[list[str | None], list[str | None]]:
        """What the people did at the way in, and at the way out."""
        leaving = self.rig.exit_world
        assert leaving is not None
        return [v.outcome for v in self.rig.world.visits], [v.outcome for v in leaving.visits]

    def checks(self) -> list[tuple[str | None, str, str]]:
        return [(c["person_id"], c["reason"], c["direction"]) for c in self.record.checks()]

    def held(self, pin: int) -> list[tuple[float, float]]:
        return self.rig.gpio.pulses(pin)
