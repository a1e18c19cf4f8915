"""The simulated entrance: a clock, the thermometer twin on a fake bus, a fake GPIO module, a
camera showing the world, and the roster and health codes of the people who will come."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from drivers.camera import Camera
from drivers.mlx90614 import MLX90614
from drivers.qr import make_decoder
from drivers.vl53l0x import VL53L0X
from simulator.camera import FakeCapture
from simulator.clock import SimClock
from simulator.crowd import PAYLOAD_PREFIX, SimPerson
from simulator.forehead import ForeheadModel
from simulator.frames import FrameRenderer
from simulator.gpio import FakeGPIO
from simulator.mlx90614 import FakeSMBus, MLX90614Twin, Scene
from simulator.timetable import expected_shift
from simulator.vl53l0x import VL53L0XTwin
from simulator.world import Pace, World, WorldPins
from terminal.app.devices import build_exit_side, build_inputs, build_outputs
from terminal.codes.healthcode import SIMULATOR_KEY_ID, issue, simulator_issuer_key
from terminal.config import Config, ShiftGroup
from terminal.devices import Devices
from terminal.rules.roster import Roster, Worker
from terminal.rules.windows import ANY_TIME

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
    and one whose window holds none (for the people who come at the wrong time), beside the
    config's own groups, graces and holidays."""
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
        **config.shifts.groups,
        ARRIVAL_GROUP: ShiftGroup.model_validate({"windows": arrival}),
        OTHER_GROUP: ShiftGroup.model_validate({"windows": other}),
    }
    shifts = config.shifts.model_copy(update={"groups": groups})
    return config.model_copy(update={"shifts": shifts})


def roster_group(person: SimPerson) -> str:
    """The shift group the simulated roster gives ``person``: their own, else one of
    ``simulated_shifts``: whose window holds their arrival, or one whose window does not."""
    return person.group or (ARRIVAL_GROUP if person.in_shift else OTHER_GROUP)


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
        workers.append(
            Worker(p.person_id, p.person_id, "simulated", roster_group(p), tested_at, result)
        )
    return Roster(workers)


CODE_ISSUED_BEFORE_S = 3600.0  # refreshed on the phone an hour before coming to work
CODE_VALID_S = 24 * 3600.0


class SimHealthOffice:
    """Issues codes the way a park's health office does (`gate-terminal codes issue`), and makes
    the attacks on codes the way an attacker would."""

    def __init__(self, seed_text: str) -> None:
        self.park_key = simulator_issuer_key()
        # a key the gate does not trust; made from the crowd, so that a run is repeatable
        self.other_key = Ed25519PrivateKey.from_private_bytes(
            hashlib.sha256(seed_text.encode()).digest()
        )

    def code(self, kind: str, person_id: str, issued_s: float) -> str:
        until_s = issued_s + CODE_VALID_S
        park, other, sim = self.park_key, self.other_key, SIMULATOR_KEY_ID
        if kind in ("green", "yellow", "red", "unreadable"):  # unreadable: damaged when rendered
            colour = "green" if kind == "unreadable" else kind
            return issue(park, sim, person_id, colour, issued_s, until_s)
        if kind == "forged":
            return issue(other, sim, person_id, "green", issued_s, until_s)
        if kind == "tampered":
            red = issue(park, sim, person_id, "red", issued_s, until_s)
            return red.replace("|red|", "|green|", 1)
        if kind == "expired":
            late_s = CODE_VALID_S + 6 * 3600
            return issue(park, sim, person_id, "green", issued_s - late_s, until_s - late_s)
        if kind == "not_yet_valid":
            early_s = 3 * 3600
            return issue(park, sim, person_id, "green", issued_s + early_s, until_s + early_s)
        if kind == "unknown_issuer":
            return issue(other, "elsewhere", person_id, "green", issued_s, until_s)
        raise ValueError(f"no code of kind {kind!r}")


# a person in the queue reaches the gate within this, in the demo's busiest quarter hour
QUEUE_ALLOWANCE_S = 600.0


def expected_in_time(person: SimPerson, config: Config) -> bool | None:
    """Does the simulator's own reading of the timetable put this person inside their window,
    from their arrival until the queue lets them reach the gate? None: it cannot tell (the clocks
    change that day)."""
    if person.group is None:
        return person.in_shift
    zone = ZoneInfo(config.gate.timezone)
    arrival_s = shift_start_epoch(config) + person.arrival_s
    found = []
    for wait_s in (0.0, QUEUE_ALLOWANCE_S):
        moment = datetime.fromtimestamp(arrival_s + wait_s, zone)
        expected = expected_shift(config, person.group, moment)
        found.append(None if expected is None else expected.reason is None)
    return None if None in found else all(found)


def expected_through_but_for_the_shift(person: SimPerson) -> bool:
    """Nothing but the code and the shift decides this person."""
    return (
        person.registered
        and person.nat == "valid"
        and person.core_c < 37.0
        and not person.sensor_fault
    )


def _expected_through(person: SimPerson, config: Config) -> bool:
    """Nothing but the code decides this person: they will be admitted on it."""
    return expected_through_but_for_the_shift(person) and bool(expected_in_time(person, config))


def health_code_payloads(people: list[SimPerson], config: Config) -> dict[str, str | None]:
    """Each person's QR payload: None for no code; a replay is the previous real code shown."""
    office = SimHealthOffice(",".join(p.person_id for p in people))
    start = shift_start_epoch(config)
    payloads: dict[str, str | None] = {}
    previous: str | None = None
    for person in sorted(people, key=lambda p: p.arrival_s):
        kind = person.code
        payload: str | None
        if kind.startswith(PAYLOAD_PREFIX):
            payload = kind[len(PAYLOAD_PREFIX) :]
        elif kind == "none":
            payload = None
        elif kind == "replayed":
            payload = previous  # with nobody before them, they have no code to show
        else:
            issued_s = start + person.arrival_s - CODE_ISSUED_BEFORE_S
            # the code of whoever's it is: a worker coming again, or a code passed back
            payload = office.code(kind, person.code_of or person.person_id, issued_s)
            if kind == "green" and _expected_through(person, config):
                previous = payload  # a screenshot worth passing back
        payloads[person.person_id] = payload
    return payloads


def world_pins(config: Config) -> WorldPins:
    out, wired = config.outputs, config.inputs
    return WorldPins(
        out.relay_pin,
        out.relay_active_high,
        out.red_lamp_pin,
        out.lamps_active_high,
        passage=wired.passage.pin if wired.passage else None,
        passage_active_high=wired.passage.active_high if wired.passage else False,
        fire_alarm=wired.fire_alarm.pin if wired.fire_alarm else None,
        fire_alarm_active_high=wired.fire_alarm.active_high if wired.fire_alarm else True,
        green_lamp=out.green_lamp_pin,
    )


def exit_world_pins(config: Config) -> WorldPins | None:
    """The way out of a gate that serves both directions: its relay channel and passage contact;
    no lamp (the fire alarm is read on the way in)."""
    side = config.exit_side
    if side is None:
        return None
    return WorldPins(
        side.relay.pin,
        side.relay.active_high,
        None,
        config.outputs.lamps_active_high,
        passage=side.passage.pin if side.passage else None,
        passage_active_high=side.passage.active_high if side.passage else False,
    )


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
    # the way out of a gate that serves both directions: the people leaving, before its camera
    exit_world: World | None = None
    exit_capture: FakeCapture | None = None

    @property
    def worlds(self) -> list[World]:
        return [self.world] if self.exit_world is None else [self.world, self.exit_world]

    @property
    def done(self) -> bool:
        """Everyone on every side has been and gone."""
        return all(world.done for world in self.worlds)

    def sound_fire_alarm(self, from_s: float, until_s: float) -> None:
        """The terminal's fire alarm panel sounds: its contact on the way in, and the way out
        of a gate that serves both is freed by the same alarm."""
        self.world.sound_fire_alarm(from_s, until_s)
        if self.exit_world is not None:
            self.exit_world.hear_fire_alarm(from_s, until_s)

    def devices(self) -> Devices:
        exit_capture = self.exit_capture
        exit_side = None
        if exit_capture is not None:
            exit_side = build_exit_side(
                self.gpio,
                self.config,
                lambda _camera: Camera(exit_capture),
                self.clock.time,
                self.clock.sleep,
            )
        devices = Devices(
            camera=Camera(self.capture),
            decoder=make_decoder(self.config.camera.decoder, self.config.camera.min_code_px),
            thermometer=MLX90614(self.bus, self.config.thermometer.address),
            outputs=build_outputs(self.gpio, self.config, self.clock.sleep),
            clock=self.clock,
            closers=[self.bus.close, self.capture.release],
            distance=VL53L0X(
                self.bus, self.config.distance.address, sleep=self.clock.sleep, now=self.clock.time
            ),
            display=self.world.display,
            more_thermometers=[MLX90614(self.bus, t.address) for t in self.more_twins],
            inputs=build_inputs(self.gpio, self.config, self.clock.time, self.clock.sleep),
            exit_side=exit_side,
        )
        if exit_capture is not None:
            devices.closers.append(exit_capture.release)
        return devices


def build_rig(
    config: Config,
    people: list[SimPerson],
    *,
    seed: int = 0,
    pace: Pace | None = None,
    real_time: bool = False,
    switched_on_before_s: float = 60.0,
    forehead_model: ForeheadModel | None = None,
    everyone: list[SimPerson] | None = None,
) -> Rig:
    """The entrance ``people`` come to. ``everyone``: all the people of a simulated zone, whose
    roster and shift groups each of its gates knows (default: ``people``)."""
    start = shift_start_epoch(config)
    known = people if everyone is None else everyone
    # the terminal is switched on before the shift, so the sensor is past power-up
    clock = SimClock(start - switched_on_before_s, real_time=real_time)
    rng = np.random.default_rng(seed)
    gpio = FakeGPIO(clock.time)
    renderer = FrameRenderer(rng, config.camera.width, config.camera.height)
    payloads = health_code_payloads(people, config)
    # a gate that serves both directions has a queue at each side: who comes in, who leaves
    both = config.exit_side is not None
    world = World(
        [p for p in people if p.direction != "out"] if both else people,
        payloads,
        clock,
        gpio,
        world_pins(config),
        renderer,
        rng,
        shift_start_epoch_s=start,
        pace=pace,
        forehead_model=forehead_model,
        seed=seed,
        rest_s=config.screening.rest_min * 60.0,  # as the display tells them
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
    capture = FakeCapture(world, clock, config.simulator.fps)
    exit_world, exit_capture = None, None
    exit_pins = exit_world_pins(config)
    if config.exit_side is not None and exit_pins is not None:
        exit_camera = config.exit_side.camera
        exit_rng = np.random.default_rng([seed, 1])
        exit_world = World(
            [p for p in people if p.direction == "out"],
            payloads,
            clock,
            gpio,
            exit_pins,
            FrameRenderer(exit_rng, exit_camera.width, exit_camera.height),
            exit_rng,
            shift_start_epoch_s=start,
            pace=pace,
            forehead_model=forehead_model,
            seed=seed,
        )
        exit_capture = FakeCapture(exit_world, clock, config.simulator.fps)
        # one clock for both cameras: neither skips ahead past the other's people
        capture.beside.append(exit_world)
        exit_capture.beside.append(world)
    clock.sleep(MLX90614Twin.POWER_UP_S)
    return Rig(
        config=simulated_shifts(known, config),  # the gate under test gets the crowd's groups
        clock=clock,
        gpio=gpio,
        twin=twin,
        bus=FakeSMBus(twin, ranger, *more_twins, now=clock.time),
        world=world,
        capture=capture,
        roster=roster_for(known, config),
        ranger=ranger,
        more_twins=more_twins,
        exit_world=exit_world,
        exit_capture=exit_capture,
    )
