"""The space in front of the gate: people queue, step up, show a code and a forehead, and go
through or away depending on what the gate's pins do.

The world only reacts to what real hardware would show: the relay pin (the turnstile releases, the
person walks through, or, having changed their mind, turns back) and the red lamp (the person reads
the screen and steps aside). It drives the thermometer twin, the camera and the gate's inputs
through time (the turnstile's passage-complete contact as a person goes through, the fire alarm
panel's contact), so the gate under test cannot tell it from a real entrance.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from simulator.aside import REST, STAFF_ADMITTED, Aside, rejoin
from simulator.clock import SimClock
from simulator.crowd import SimPerson
from simulator.forehead import Forehead, ForeheadModel
from simulator.foreheads import Foreheads
from simulator.frames import FrameRenderer, Pose, damage, qr_modules
from simulator.gpio import FakeGPIO, PinChange
from simulator.mlx90614 import Scene

# freed: in front when the fire alarm freed the turnstile, they went through unchecked;
# told_to_rest: the display sent them to rest and scan again (they come back as a new approach)
Outcome = Literal["passed", "turned_back", "turned_away", "no_decision", "freed", "told_to_rest"]
# how long the turnstile's passage-complete contact closes as someone goes through
PASSAGE_PULSE_S = 0.3
TURNSTILE_RESET_S = 0.5  # after a passage, before the arm turns for the next person


@dataclass(frozen=True)
class Pace:
    """How people move, in seconds."""

    walk_up_s: float = 1.5  # from the queue's head to in front of the camera
    pass_s: float = 1.2  # through the turnstile once it releases
    read_screen_s: float = 1.5  # reading a refusal before stepping aside
    give_up_s: float = 25.0  # nothing happens: the person leaves and the gate has failed them
    queue_holds_code_up: bool = False  # the next in line already holds their code in view
    # how big the next person's code looks from the camera, a metre or so further away
    queue_code_module_px: float = 1.2
    come_closer_s: float = 0.8  # from the display asking to come closer to standing there
    rest_walk_s: float = 30.0  # told to rest: to the rest area and back, beyond the rest itself
    from_check_point_s: float = 4.0  # let in by staff: from the check point to the turnstile


@dataclass
class Visit:
    person: SimPerson
    payload: str | None
    front_at: float
    pose: Pose
    # the frame with their phone held up, and where it covers the camera's view; None once they
    # are gone (a day of visits must not keep a frame each)
    base_frame: np.ndarray | None
    screen: np.ndarray | None
    reacted_at: float | None = None
    leave_at: float | None = None
    outcome: Outcome | None = None
    relay_pulses: int = 0
    forehead: Forehead | None = None
    close_cm: float = 15.0  # where they stand once asked to come closer
    asked_closer_at: float | None = None
    staff_pulses: int = 0  # the turnstile released by staff after a secondary check
    staff_through_at: float | None = None  # went through, let in by staff, at this moment
    told_to_rest_at: float | None = None  # the display told them to rest and scan again
    earlier: list[Visit] = field(default_factory=list)  # their approaches before a rest
    rejoined_at: float | None = None  # after a rest: when they joined the queue again

    def forget_frames(self) -> None:
        self.base_frame = self.screen = None

    def queued_from(self, start_s: float) -> float:
        """When this approach joined the queue: on arrival, or back from a rest."""
        return self.rejoined_at if self.rejoined_at is not None else start_s + self.person.arrival_s

    def distance_cm(self, t: float) -> float:
        if self.asked_closer_at is not None and t >= self.asked_closer_at:
            return min(self.close_cm, self.person.distance_cm)
        return self.person.distance_cm


@dataclass
class WorldPins:
    relay: int
    relay_active_high: bool
    red_lamp: int | None  # None: no lamp on this side (the way out of a gate serving both)
    lamps_active_high: bool
    passage: int | None = None  # the turnstile's passage-complete contact, when wired
    passage_active_high: bool = False
    fire_alarm: int | None = None  # the fire alarm panel's contact, when wired
    fire_alarm_active_high: bool = True
    green_lamp: int | None = None  # lit with an admission: the release is the one in front's


class World:
    def __init__(
        self,
        people: list[SimPerson],
        payloads: dict[str, str | None],
        clock: SimClock,
        gpio: FakeGPIO,
        pins: WorldPins,
        renderer: FrameRenderer,
        rng: np.random.Generator,
        shift_start_epoch_s: float,
        pace: Pace | None = None,
        forehead_model: ForeheadModel | None = None,
        seed: int = 0,
        rest_s: float = 300.0,
    ) -> None:
        """``rest_s``: how long the display tells a person to rest (``screening.rest_min``)."""
        self.clock = clock
        self.forehead_model = forehead_model or ForeheadModel()
        self.foreheads = Foreheads(self.forehead_model, seed, shift_start_epoch_s)
        self.pace = pace or Pace()
        # those told to rest, and those waiting at the secondary check point
        self.aside = Aside(self, rest_s)
        self.pins = pins
        self.renderer = renderer
        self._rng = rng
        self.start = shift_start_epoch_s
        self.payloads = payloads
        self._queue: deque[SimPerson] = deque(sorted(people, key=lambda p: p.arrival_s))
        self._front: Visit | None = None
        self._front_free_at = shift_start_epoch_s
        self.visits: list[Visit] = []
        self._behind: dict[str, np.ndarray] = {}  # the next in line's code held up, by person
        self._left_behind: np.ndarray | None = None  # the phones lying on the counter, together
        self._empty_frame = renderer.background
        self._last_ambient_c = people[0].ambient_c if people else 20.0
        self.gpio = gpio
        self._alarms: list[tuple[float, float]] = []  # fire alarms: (from, until)
        self._turnstile_turns_again_at = float("-inf")
        clock.on_advance(self.advance)
        gpio.on_change(self._on_pin)
        if pins.fire_alarm is not None:
            # all is well: the panel holds its normally closed contact closed
            gpio.drive(pins.fire_alarm, int(not pins.fire_alarm_active_high))

    # --- time ---------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return not self._queue and self._front is None

    @property
    def front(self) -> Visit | None:
        return self._front

    def next_step_up_at(self) -> float | None:
        """When the next person will be in front, if nobody is there now."""
        if self._front is not None or not self._queue:
            return None
        person = self._queue[0]
        step_in = max(self._joins_at(person), self._front_free_at) + self.pace.walk_up_s
        for sounds_from, until in self._alarms:
            if sounds_from <= step_in < until:
                step_in = until + self.pace.walk_up_s  # nobody comes in while the alarm sounds
        return step_in

    def advance(self, now: float) -> None:
        while True:
            front = self._front
            if front is None:
                if not self._queue:
                    return
                step_in = self.next_step_up_at()
                if step_in is None or now < step_in:
                    return
                person = self._queue.popleft()
                self._front = self._step_up(person, step_in)
                self.aside.back_from_rest(self._front)
                continue
            if front.leave_at is None and now - front.front_at >= self.pace.give_up_s:
                front.outcome = "no_decision"
                front.leave_at = front.front_at + self.pace.give_up_s
            if front.leave_at is not None and now >= front.leave_at:
                self._front_free_at = front.leave_at
                if self.aside.leaves_to_rest(front):
                    rejoin(self._queue, front.person, self._joins_at)
                else:
                    self.visits.append(front)
                if front.person.leaves_phone:
                    lying = self._lying_on_the_counter(front)
                    if self._left_behind is not None:
                        lying = np.minimum(self._left_behind, lying)
                    self._left_behind = lying
                front.forget_frames()
                self._front = None
                continue
            return

    def _joins_at(self, person: SimPerson) -> float:
        """When ``person`` joins the queue: on arrival, or back from a rest."""
        back_at = self.aside.back_at(person)
        return self.start + person.arrival_s if back_at is None else back_at

    def _step_up(self, person: SimPerson, at: float) -> Visit:
        self._last_ambient_c = person.ambient_c
        payload = self.payloads.get(person.person_id)
        self._behind.pop(person.person_id, None)  # no longer behind: in front
        modules = qr_modules(payload) if payload is not None else None
        pose = self.renderer.random_pose(
            modules.shape[0] if modules is not None else 29, inverted=person.dark_mode
        )
        base, screen = self.renderer.background, None
        if modules is not None:
            if person.code == "unreadable":
                modules = damage(modules, self._rng)
            base, screen = self.renderer.place_screen(modules, pose)
        forehead, close_cm = self.foreheads.step_up(person, at)
        return Visit(
            person=person,
            payload=payload,
            front_at=at,
            pose=pose,
            base_frame=base,
            screen=screen,
            forehead=forehead,
            close_cm=close_cm,
        )

    @property
    def turnstile_released(self) -> bool:
        level = self.gpio.levels.get(self.pins.relay)
        return level == int(self.pins.relay_active_high)

    # --- the fire alarm panel -----------------------------------------------------------------
    def sound_fire_alarm(self, from_s: float, until_s: float) -> None:
        """The panel's alarm (a drill, say) from ``from_s`` until ``until_s``: its contact opens."""
        pin = self.pins.fire_alarm
        if pin is None:
            raise ValueError("no fire alarm is wired to this gate ([inputs.fire_alarm])")
        self.hear_fire_alarm(from_s, until_s)
        self.gpio.drive(pin, int(self.pins.fire_alarm_active_high), at_s=from_s)
        self.gpio.drive(pin, int(not self.pins.fire_alarm_active_high), at_s=until_s)

    def hear_fire_alarm(self, from_s: float, until_s: float) -> None:
        """The panel's alarm, wired to another side of the terminal (the way out of a gate that
        serves both): nobody steps up while it sounds, and whoever the turnstile releases
        meanwhile goes through unchecked."""
        self._alarms.append((from_s, until_s))

    def alarm_sounds(self, at_s: float) -> bool:
        return any(start <= at_s < end for start, end in self._alarms)

    @property
    def alarms(self) -> list[tuple[float, float]]:
        return list(self._alarms)

    def cut_fire_alarm_wire(self, at_s: float) -> None:
        pin = self.pins.fire_alarm
        if pin is None:
            raise ValueError("no fire alarm is wired to this gate ([inputs.fire_alarm])")
        self._alarms.append((at_s, float("inf")))
        self.gpio.disconnect(pin, at_s=at_s)

    def went_through(self, at_s: float) -> None:
        """The turnstile's passage-complete contact closes as someone goes through; one person
        at a time: a second waits until the arm has turned for the first."""
        at_s = max(at_s, self._turnstile_turns_again_at)
        self._turnstile_turns_again_at = at_s + PASSAGE_PULSE_S + TURNSTILE_RESET_S
        if self.pins.passage is not None:
            level = int(self.pins.passage_active_high)
            self.gpio.pulse_input(self.pins.passage, level, at_s, PASSAGE_PULSE_S)

    # --- what the gate's outputs do to people -------------------------------------------------
    def _on_pin(self, change: PinChange) -> None:
        front = self._front
        if change.pin == self.pins.relay and change.level == int(self.pins.relay_active_high):
            if self.aside.released(change.time_s, self._answers()) and front is not None:
                self._released(front, change.time_s)
            return
        if (
            front is not None
            and change.pin == self.pins.red_lamp
            and change.level == int(self.pins.lamps_active_high)
            and front.leave_at is None
        ):
            front.outcome = "turned_away"
            front.reacted_at = change.time_s
            front.leave_at = change.time_s + self.pace.read_screen_s

    def _answers(self) -> bool:
        """Does a release now answer the person in front: the green lamp is lit with it (on a
        side without one, every release does)?"""
        lamp = self.pins.green_lamp
        return lamp is None or self.gpio.levels.get(lamp) == int(self.pins.lamps_active_high)

    def _released(self, front: Visit, at_s: float) -> None:
        """The turnstile released for the person in front at ``at_s``."""
        front.relay_pulses += 1
        if front.leave_at is not None:
            return
        front.reacted_at = at_s
        if self.alarm_sounds(at_s) or front.person.passes:
            # the fire alarm: out, or in, without a check; else their admission
            front.outcome = "freed" if self.alarm_sounds(at_s) else "passed"
            front.leave_at = at_s + self.pace.pass_s
            self.went_through(front.leave_at)
        else:  # changed their mind: back out, through the queue
            front.outcome = "turned_back"
            front.leave_at = at_s + self.pace.read_screen_s

    # --- what the sensors see -----------------------------------------------------------------
    def scene(self, t: float) -> Scene:
        front = self._front
        if front is None or front.forehead is None or t < front.front_at:
            return Scene(ambient_c=self._last_ambient_c, object_c=self._last_ambient_c)
        seen = self.foreheads.object_c(front.person, front.forehead, front.distance_cm(t), t)
        return Scene(ambient_c=front.person.ambient_c, object_c=seen)

    def distance_cm(self, t: float) -> float | None:
        """What the time-of-flight sensor sees: the person in front, or nothing."""
        front = self._front
        return None if front is None else front.distance_cm(t)

    def display(self, state: str) -> None:
        """The worker's display: a person asked to come closer does so after a moment; told to
        rest, they step out of the lane, rest and queue again; a person waiting at the check
        point, told they may pass, walks through."""
        front = self._front
        if state == "come_closer" and front is not None and front.asked_closer_at is None:
            front.asked_closer_at = self.clock.time() + self.pace.come_closer_s
        elif state == REST and front is not None:
            self.aside.told_to_rest(front)
        elif state.startswith(STAFF_ADMITTED):
            self.aside.staff_admitted(state.removeprefix(STAFF_ADMITTED))

    def sensor_fault(self) -> Any:
        return self._front.person.sensor_fault if self._front else None

    def frame(self) -> np.ndarray:
        front = self._front
        now = self.clock.time()
        base = self._empty_frame
        if self._left_behind is not None:
            base = np.minimum(base, self._left_behind)
        if (
            front is not None
            and front.screen is not None
            and front.base_frame is not None
            and now >= front.front_at + front.person.code_after_s
        ):
            # the phone held up hides whatever lies behind it
            base = np.where(front.screen, front.base_frame, base)
        waiting = self._queue[0] if self._queue else None
        if (
            self.pace.queue_holds_code_up
            and front is not None
            and waiting is not None
            and now >= self._joins_at(waiting)
            and self.payloads.get(waiting.person_id)
        ):
            base = np.minimum(base, self._held_up_behind(waiting))
        return self.renderer.noisy(base)

    def _lying_on_the_counter(self, visit: Visit) -> np.ndarray:
        """The phone put down at the side of the camera's view, code still showing."""
        if visit.payload is None or visit.base_frame is None:
            return self.renderer.background
        pose = Pose(
            visit.pose.module_px,
            visit.pose.angle_deg,
            0.2 * self.renderer.width,
            0.75 * self.renderer.height,
            visit.pose.inverted,
        )
        return self.renderer.place(qr_modules(visit.payload), pose)

    def _held_up_behind(self, person: SimPerson) -> np.ndarray:
        """The next person's phone, smaller and off to the side behind the one in front."""
        cached = self._behind.get(person.person_id)
        if cached is None:
            payload = self.payloads[person.person_id]
            assert payload is not None
            pose = Pose(
                self.pace.queue_code_module_px,
                0.0,
                0.85 * self.renderer.width,
                0.25 * self.renderer.height,
                False,
            )
            cached = self._behind[person.person_id] = self.renderer.place(qr_modules(payload), pose)
        return cached
