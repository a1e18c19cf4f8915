"""The simulated entrance: a clock, the thermometer twin on a fake bus, a fake GPIO module, a
camera showing the world, and the roster and health codes of the people who will come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from drivers.camera import Camera
from drivers.mlx90614 import MLX90614
from drivers.qr import make_decoder
from drivers.vl53l0x import VL53L0X
from simulator.camera import FakeCapture
from simulator.clock import SimClock
from simulator.crowd import SimPerson
from simulator.forehead import ForeheadModel
from simulator.frames import FrameRenderer
from simulator.gpio import FakeGPIO
from simulator.mlx90614 import FakeSMBus, MLX90614Twin, Scene
from simulator.vl53l0x import VL53L0XTwin
from simulator.world import Pace, World, WorldPins
from terminal.config import Config
from terminal.devices import Devices, build_outputs
from terminal.healthcode import issue
from terminal.roster import Roster, RosterEntry, Window

LUNCH = Window(
    datetime.strptime("11:30", "%H:%M").time(), datetime.strptime("12:30", "%H:%M").time()
)


def shift_start_epoch(config: Config) -> float:
    start = datetime.fromisoformat(config.simulator.shift_start)
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(config.gate.timezone))
    return start.timestamp()


def roster_for(people: list[SimPerson], config: Config) -> Roster:
    """Registered people, each with a window around the shift's arrival (or only lunch, for the
    ones who come at the wrong time)."""
    zone = ZoneInfo(config.gate.timezone)
    start = datetime.fromtimestamp(shift_start_epoch(config), zone)
    last = max((p.arrival_s for p in people), default=0.0)
    end = start + timedelta(seconds=last)
    if end - start > timedelta(hours=20):
        arrival: tuple[Window, ...] = ()  # a long scenario: any time of day
    else:
        arrival = (
            Window(
                (start - timedelta(minutes=30)).time().replace(second=0, microsecond=0),
                (end + timedelta(minutes=60)).time().replace(second=0, microsecond=0),
            ),
        )
    return Roster(
        [
            RosterEntry(p.person_id, "staff", arrival if p.in_shift else (LUNCH,))
            for p in people
            if p.registered
        ]
    )


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
    ranger: VL53L0XTwin
    more_twins: list[MLX90614Twin]

    def devices(self) -> Devices:
        return Devices(
            camera=Camera(self.capture),
            decoder=make_decoder(self.config.camera.decoder, self.config.camera.min_code_px),
            thermometer=MLX90614(self.bus, self.config.thermometer.address),
            outputs=build_outputs(self.gpio, self.config, self.clock.sleep),
            clock=self.clock,
            closers=[self.bus.close, self.capture.release],
            distance=VL53L0X(self.bus, self.config.distance.address, sleep=self.clock.sleep),
            display=self.world.display,
            more_thermometers=[MLX90614(self.bus, t.address) for t in self.more_twins],
        )


def build_rig(
    config: Config,
    people: list[SimPerson],
    *,
    seed: int = 0,
    pace: Pace | None = None,
    real_time: bool = False,
    switched_on_before_s: float = 60.0,
    forehead_model: ForeheadModel | None = None,
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
        forehead_model=forehead_model,
        seed=seed,
    )
    twin = MLX90614Twin(
        clock.time,
        world.scene,
        address=config.thermometer.address,
        noise_c=0.1,
        seed=seed,
        persistent_fault=world.sensor_fault,
    )
    ranger = VL53L0XTwin(clock.time, world.distance_cm, address=config.distance.address, seed=seed)

    def lower(t: float) -> Scene:
        # a second thermometer lower down sees chin and collar: cooler than the forehead
        seen = world.scene(t)
        return Scene(seen.ambient_c, seen.ambient_c + 0.8 * (seen.object_c - seen.ambient_c))

    more_twins = [
        MLX90614Twin(clock.time, lower, address=address, noise_c=0.1, seed=seed + index + 1)
        for index, address in enumerate(config.thermometer.more_addresses)
    ]
    clock.sleep(MLX90614Twin.POWER_UP_S)
    return Rig(
        config=config,
        clock=clock,
        gpio=gpio,
        twin=twin,
        bus=FakeSMBus(twin, ranger, *more_twins),
        world=world,
        capture=FakeCapture(world, clock, config.simulator.fps),
        roster=roster_for(people, config),
        ranger=ranger,
        more_twins=more_twins,
    )
