"""The main gate of a simulated shift as the zone's loop drives it: each poll the guard and the
security desk act, the gate looks, and the world hears its answer."""

from __future__ import annotations

import json
import queue

from simulator.crowd import SimPerson
from simulator.guard import SimulatedGuard
from simulator.progress import Progress
from simulator.rig import Rig
from simulator.zone import Station, alarms_over
from terminal.app.build import GateApp
from terminal.record.store import Record


class MainStation:
    """The main gate as the zone's loop drives it: each poll, the guard and the security desk
    act, the gate looks, and the world hears its answer."""

    # flags still open when everyone is through are waited for this long (the guard's walk)
    WAIT_FOR_GUARD_S = 300.0

    def __init__(
        self,
        app: GateApp,
        rig: Rig,
        guard: SimulatedGuard | None,
        who: dict[str, SimPerson | None],
        progress: Progress,
    ) -> None:
        self.app, self.rig, self.guard, self.who, self.progress = app, rig, guard, who, progress
        if guard is not None:
            # the guard sees on the desk which flags are still open
            guard.flag_open = lambda flag_id: flag_id in app.gate.secondary.open
        self.desk_beside = False  # the screens' security desk resolves flags too
        self._wait_for_guard_until: float | None = None

    def station(self) -> Station:
        app, clock = self.app, self.rig.clock
        return Station(
            app.config.gate.id,
            clock.time,
            self.poll,
            self.finished,
            app.record,
            app.publisher,
            lambda: app.gate.hear_zone(clock.time()),
        )

    def finished(self) -> bool:
        # a stuck gate must not hang the simulator: a person gives up after Pace.give_up_s;
        # the last admitted person's passage is seen through, as every other one, and a fire
        # drill after the last person is lived through too
        rig, gate = self.rig, self.app.gate
        if not rig.done or any(side.passages.waiting for side in self.app.sides):
            return False
        if not alarms_over(rig.world, rig.clock.time()):
            return False
        if self.guard is None or not (self.guard.pending() or gate.secondary.open):
            return True
        now = rig.clock.time()
        self._wait_for_guard_until = self._wait_for_guard_until or now + self.WAIT_FOR_GUARD_S
        return now >= self._wait_for_guard_until

    def poll(self) -> None:
        app, world, record, who = self.app, self.rig.world, self.app.record, self.who
        now = self.rig.clock.time()
        app.housekeep()  # the service's chores, on the simulated clock
        escorted = None
        if self.guard is not None:
            self.guard.notice()
            escorted = self.guard.act(now)
            if escorted is not None:
                world.aside.escort(escorted, now)
        from_desk: list[str] = []
        if app.desk is not None and app.publisher is not None:
            inbox = app.publisher.commands
            if self.desk_beside and self.guard is not None:
                inbox, from_desk = desk_resolutions(inbox, self.guard, who)
                for person_id in from_desk:
                    world.aside.escort(person_id, now)
            app.take_commands(inbox)
        app.gate.poll()
        if escorted is not None:
            # the guard hears the gate's answer: admitted, they walk the person through
            world.aside.escort_over(escorted, admitted_by_guard(record, who, escorted))
        for person_id in from_desk:  # so does a person at the security desk
            world.aside.escort_over(person_id, admitted_by_guard(record, who, person_id))
        self.progress.update(sum(len(w.visits) for w in self.rig.worlds))


def desk_resolutions(
    inbox: queue.Queue[tuple[str, bytes]],
    guard: SimulatedGuard,
    who: dict[str, SimPerson | None],
) -> tuple[queue.Queue[tuple[str, bytes]], list[str]]:
    """The commands waiting for the gate, and the people whose flags a person at the security
    desk is resolving: if the gate releases the turnstile for one, it is theirs (the guard hears
    of the outcome from the gate, as for any flag)."""
    waiting: queue.Queue[tuple[str, bytes]] = queue.Queue()
    people: list[str] = []
    while True:
        try:
            topic, payload = inbox.get_nowait()
        except queue.Empty:
            break
        waiting.put((topic, payload))
        if not topic.endswith("/cmd/resolve_secondary"):
            continue
        try:
            command = json.loads(payload)
            flag_id = command["payload"]["flag_id"]
            by_desk = command["issued_by"] != guard.issued_by
        except (ValueError, KeyError, TypeError):
            continue  # the gate's own checks refuse it, and say why
        if not by_desk or not isinstance(flag_id, str):
            continue
        person = who.get(flag_id)
        if person is not None:
            people.append(person.person_id)
    return waiting, people


def admitted_by_guard(record: Record, who: dict[str, SimPerson | None], person_id: str) -> bool:
    return any(
        passage["admitted_by"] == "guard"
        and getattr(who.get(passage["admission_id"]), "person_id", None) == person_id
        for passage in record.passages()
    )
