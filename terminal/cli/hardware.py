"""The one place that picks a device factory: ``gate.hardware`` says which. Only the command
line knows the simulator exists; the rest of the gate gets a factory and asks it for devices."""

from __future__ import annotations

from collections.abc import Callable

from terminal.app.devices import PiDevices
from terminal.config import Config
from terminal.devices import DeviceFactory

# tests only: a factory in place of the one gate.hardware names (tests/test_doctor.py puts the
# simulator's with faults injected here, simulator/faulty.py); users choose by gate.hardware alone
factory_for_tests: Callable[[Config], DeviceFactory] | None = None


def device_factory(config: Config) -> DeviceFactory:
    if factory_for_tests is not None:
        return factory_for_tests(config)
    if config.gate.hardware == "simulated":
        from simulator.factory import SimulatedDevices

        return SimulatedDevices()
    return PiDevices()
