"""Driving a gate on simulated hardware until its crowd has been through."""

from __future__ import annotations

from simulator.rig import Rig
from terminal.gate.lane import Gate


def run_until_done(gate: Gate, rig: Rig) -> None:
    for _ in range(200_000):
        if rig.world.done:
            return
        gate.poll()
    raise AssertionError("the simulated shift did not finish")
