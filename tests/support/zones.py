"""A zone of several gates sharing a head count."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.zone import ZoneGate
from terminal.config import Config
from tests.conftest import make_config
from tests.support.gate_inputs import passage
from tests.support.people import TABLE_ONLY

ZONE_GATES = ["hall-in-a", "hall-in-b", "hall-out"]


def zone_config(
    tmp_path: Path, gate: str, direction: str, replay: str = "deny", **zone: object
) -> Config:
    folder = tmp_path / gate
    folder.mkdir(exist_ok=True)
    return make_config(
        folder,
        gate={"id": gate, "direction": direction},
        healthcode={"replay": {"mode": replay}},
        screening=TABLE_ONLY,
        inputs={"passage": passage(window_s=6.0)},
        zone={
            "name": "hall",
            "capacity": 2,
            "anti_passback": "deny",
            "gates": ZONE_GATES,
            **zone,
        },
    )


@pytest.fixture
def made() -> Iterator[list[ZoneGate]]:
    gates: list[ZoneGate] = []
    yield gates
    for gate in gates:
        gate.stop()
