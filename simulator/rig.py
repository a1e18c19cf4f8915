"""The simulated entrance: a clock, the thermometer twin on a fake bus, a fake GPIO module, a
camera showing the world, and the roster and health codes of the people who will come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np

from drivers.camera import Camera
from drivers.mlx90614 import MLX90614
from drivers.qr import make_decoder
from simulator.camera import FakeCapture
from simulator.clock import SimClock
from simulator.crowd import SimPerson
from simulator.frames import FrameRenderer
from simulator.gpio import FakeGPIO
from simulator.mlx90614 import FakeSMBus, MLX90614Twin
from simulator.world import Pace, World, WorldPins
from terminal.config import Config, ShiftsConfig
from terminal.devices import Devices, build_outputs
from terminal.healthcode import issue
from terminal.roster import Roster, Worker
from terminal.windows import ANY_TIME

# the simulated crowd's shift groups, added to the config's own
ARRIVAL_GROUP = "sim-arrival"  # a window around everyone's arrival
OTHER_GROUP = "sim-other"  # a window that does not contain anyone's arrival
LUNCH = "11:30-12:30"


def shift_start_epoch(config: Config) -> float:
    start = datetime.fromisoformat(config.simulator.shift_start)
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(config.gate.timezone))
    return start.timestamp()


def _hhmm(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def simulated_shifts(people: list[SimPerson], config: Config) -> Config:
    """The config with the simulated crowd's shift groups: one whose window holds every arrival,
    and one whose window holds none (for the people who come at the wrong time)."""
    zone = ZoneInfo(config.gate.timezone)
    start = datetime.fromtimestamp(shift_start_epoch(config), zone)
    last = max((p.arrival_s for p in people), default=0.0)
    end = start + timedelta(seconds=last)
    if end - start > timedelta(hours=20):
        arrival, other = [ANY_TIME], [LUNCH]  # a long scenario: any time of day
    else:
        opens, closes = start - timedelta(minutes=30), end + timedelta(minutes=60)
        arrival = [f"{_hhmm(opens)}-{_hhmm(closes)}"]
        other = [f"{_hhmm(closes + timedelta(hours=1))}-{_hhmm(closes + timedelta(hours=2))}"]
    groups = {
        **{name: {"windows": group.windows} for name, group in config.shifts.groups.items()},
        ARRIVAL_GROUP: {"windows": arrival},
        OTHER_GROUP: {"windows": other},
    }
    shifts = ShiftsConfig.model_validate({"groups": groups})
    return config.model_copy(update={"shifts": shifts})


def roster_for(people: list[SimPerson], config: Config) -> Roster:
    """The registered people as workers of the groups of ``simulated_shifts``, each with the
    nucleic-acid test the crowd gives them, dated from their arrival."""
    start = shift_start_epoch(config)
    valid_s = config.roster.nat_valid_h * 3600
    workers = []
    for p in people:
        if not p.registered:
            continue
        arrives = start + p.arrival_s
        tested_at: float | None = arrives - min(12 * 3600, valid_s / 2)
        result: Literal["negative", "positive"] | None = "negative"
        if p.nat == "expired":
            tested_at = arrives - valid_s - 6 * 3600
        elif p.nat == "positive":
            result = "positive"
        elif p.nat == "missing":
            tested_at = result = None
        group = ARRIVAL_GROUP if p.in_shift else OTHER_GROUP
        workers.append(Worker(p.person_id, p.person_id, "simulated", group, tested_at, result))
    return Roster(workers)


def health_code_payloads(people: list[SimPerson], config: Config) -> dict[str, str | None]:
    key = config.healthcode.key.encode()
    issued_at = shift_start_epoch(config) - 3600  # refreshed on the phone an hour before work
    return {
        p.person_id: None
        if p.code == "none"
        else issue(key, p.person_id, "green" if p.code == "unreadable" else p.code, issued_at)
        for p in people
    }


@dataclass
class Rig:
    config: Config
    clock: SimClock
    gpio: FakeGPIO
    twin: MLX90614Twin
    bus: FakeSMBus
    world: World
    capture: FakeCapture
    roster: Roster

    def devices(self) -> Devices:
        return Devices(
            camera=Camera(self.capture),
            decoder=make_decoder(self.config.camera.decoder, self.config.camera.min_code_px),
            thermometer=MLX90614(self.bus, self.config.thermometer.address),
            outputs=build_outputs(self.gpio, self.config, self.clock.sleep),
            clock=self.clock,
            closers=[self.bus.close, self.capture.release],
        )


def build_rig(
    config: Config,
    people: list[SimPerson],
    *,
    seed: int = 0,
    pace: Pace | None = None,
    real_time: bool = False,
    switched_on_before_s: float = 60.0,
) -> Rig:
    start = shift_start_epoch(config)
    # the terminal is switched on before the shift, so the sensor is past power-up
    clock = SimClock(start - switched_on_before_s, real_time=real_time)
    rng = np.random.default_rng(seed)
    gpio = FakeGPIO(clock.time)
    renderer = FrameRenderer(rng, config.camera.width, config.camera.height)
    out = config.outputs
    world = World(
        people,
        health_code_payloads(people, config),
        clock,
        gpio,
        WorldPins(out.relay_pin, out.relay_active_high, out.red_lamp_pin, out.lamps_active_high),
        renderer,
        rng,
        shift_start_epoch_s=start,
        pace=pace,
    )
    twin = MLX90614Twin(
        clock.time,
        world.scene,
        address=config.thermometer.address,
        seed=seed,
        persistent_fault=world.sensor_fault,
    )
    clock.sleep(MLX90614Twin.POWER_UP_S)
    return Rig(
        config=simulated_shifts(people, config),  # the gate under test gets the crowd's groups
        clock=clock,
        gpio=gpio,
        twin=twin,
        bus=FakeSMBus(twin),
        world=world,
        capture=FakeCapture(world, clock, config.simulator.fps),
        roster=roster_for(people, config),
    )
