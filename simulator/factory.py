"""The simulator's device factory: the twins of the gate's devices, under the same drivers, with
a simulated crowd in front of the camera. ``gate.hardware = "simulated"`` chooses it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from simulator.clock import SimClock
from simulator.crowd import crowd_from_roster, crowd_mix
from simulator.mlx90614 import FakeSMBus, MLX90614Twin, Scene
from simulator.rig import Rig, build_rig
from simulator.vl53l0x import VL53L0XTwin
from terminal.config import Config
from terminal.devices import Devices, I2CBus
from terminal.record.boots import boots_so_far
from terminal.rules.roster import Roster

SIMULATED_BIAS_C = -0.4  # the twin's sensor reads this much low: what calibration corrects


def simulated_run_config(config: Config, run_number: int) -> Config:
    """The simulated service lives in today's wall-clock time: its crowd starts arriving a few
    seconds after the start, not on the config's sample date."""
    zone = ZoneInfo(config.gate.timezone)
    now = datetime.now(zone).replace(microsecond=0, tzinfo=None)
    simulator = config.simulator.model_copy(
        update={"shift_start": now.isoformat(), "seed": config.simulator.seed + run_number}
    )
    return config.model_copy(update={"simulator": simulator})


class SimulatedDevices:
    """The simulated gate's devices. Given a ``rig`` (``simulate``, the simulated zone), its
    devices; without one (``run`` on simulated hardware), a rig of its own in step with the wall
    clock, whose crowd is the people on the gate's roster."""

    def __init__(self, rig: Rig | None = None) -> None:
        self.rig = rig

    def open_devices(self, config: Config, roster: Roster) -> Devices:
        if self.rig is None:
            self.rig = self._service_rig(config, roster)
        return self.rig.devices()

    @staticmethod
    def _service_rig(config: Config, roster: Roster) -> Rig:
        # the service runs in step with the wall clock, as a real gate would (dashboards see
        # events at the pace they happen; signed commands expire by it); the crowd is the people
        # on the configured roster (and a few strangers), so a park rehearses with its own; each
        # start brings a crowd of its own, so a restart does not replay the same crowd into the
        # record
        run_number = boots_so_far(config.resolved(config.record.path))
        config = simulated_run_config(config, run_number)
        sim = config.simulator
        people = crowd_from_roster(roster, sim.workers, sim.seed, crowd_mix(config))
        return build_rig(config, people, seed=sim.seed, real_time=True, switched_on_before_s=2.0)

    def open_i2c(self, config: Config, blackbody_c: float) -> I2CBus:
        """The thermometers' twins on a simulated bus, each looking at a blackbody at
        ``blackbody_c`` and reading ``SIMULATED_BIAS_C`` low, as a sensor to calibrate does, and
        the distance sensor's."""
        clock = SimClock(0.0)
        twins = [
            MLX90614Twin(
                clock.time,
                lambda _t: Scene(22.0, blackbody_c + SIMULATED_BIAS_C),
                address=address,
                noise_c=0.1,
                seed=address,
            )
            for address in config.thermometer.addresses
        ]
        bus = FakeSMBus(*twins)
        # the distance sensor beside them, on the same bus, with nothing in its range
        bus.attach(VL53L0XTwin(clock.time, lambda _t: None, address=config.distance.address))
        clock.sleep(MLX90614Twin.POWER_UP_S)
        return I2CBus(bus, clock.sleep)
