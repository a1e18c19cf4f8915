"""A frame source with the ``VideoCapture`` interface, showing the simulated world.

Like a real camera, ``read()`` waits for the next frame; here the wait is simulated time. While
nobody is in front of the gate for long, the camera would show the same empty scene frame after
frame, so the simulation skips ahead, to ``LEAD_S`` before the next person steps up (with nobody
left to come, to the next change the world makes to the gate's inputs): the gate still sees
every frame of the last seconds of the empty scene, which is all its timers look back on. It
does not skip while the turnstile is released (the gate's passage window and the fire alarm run
then), nor past a change the world makes to the gate's inputs, nor for LEAD_S after one, nor while
``hold`` says someone is due whose time the world does not know (a guard walking over to a flag).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulator.clock import SimClock
from simulator.world import World

LEAD_S = 3.0  # longer than any of the gate's "gone for" timers (timing.clear_s)


class FakeCapture:
    def __init__(self, world: World, clock: SimClock, fps: float = 15.0) -> None:
        self.world = world
        self.clock = clock
        self.frame_interval_s = 1.0 / fps
        self.released = False
        # something is due that the camera cannot time: no skipping ahead past it meanwhile
        self.hold: Callable[[], bool] = lambda: False
        # the worlds of other cameras on the same clock (the way out of a gate that serves both
        # directions): no skipping ahead past their next person, nor while one has someone there
        self.beside: list[World] = []

    def isOpened(self) -> bool:
        return not self.released

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.released:
            return False, None
        self.clock.sleep(self.frame_interval_s)
        next_person_at = self.world.next_step_up_at()
        gpio = self.world.gpio
        input_just_changed = self.clock.time() - gpio.last_input_change_at() < LEAD_S
        held = self.world.turnstile_released or input_just_changed or self.hold()
        held = held or any(w.front is not None or w.turnstile_released for w in self.beside)
        if next_person_at is None and self.world.done:
            # nobody left to come: on to the next change the world makes to the inputs, if any
            # (a gate of a zone lives through a fire drill after its last person)
            next_person_at = gpio.next_input_change_at() + LEAD_S
            if next_person_at == float("inf"):
                next_person_at = None
        if next_person_at is not None and not held:
            # never past a change the world makes to the gate's inputs (a fire alarm, a button)
            wakes_at = min(next_person_at - LEAD_S, gpio.next_input_change_at())
            for other in self.beside:
                other_next_at = other.next_step_up_at()
                if other_next_at is not None:
                    wakes_at = min(wakes_at, other_next_at - LEAD_S)
            idle_s = wakes_at - self.clock.time()
            if idle_s > self.frame_interval_s:
                self.clock.sleep(idle_s)
        return True, self.world.frame()

    def release(self) -> None:
        self.released = True
