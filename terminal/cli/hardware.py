"""The one place that picks a device factory: ``gate.hardware`` says which. Only the command
line knows the simulator exists; the rest of the gate gets a factory and asks it for devices."""

from __future__ import annotations

from terminal.app.devices import PiDevices
from terminal.config import Config
from terminal.devices import DeviceFactory


def device_factory(config: Config) -> DeviceFactory:
    if config.gate.hardware == "simulated":
        from simulator.factory import SimulatedDevices

        return SimulatedDevices()
    return PiDevices()
