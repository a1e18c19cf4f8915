"""The security guard at the secondary check point, in the simulator: hears the gate's
``secondary_check`` alert over MQTT, measures the flagged person with a clinical thermometer
(their true core temperature) a while later, and sends the result as the gate's
``cmd/resolve_secondary`` command through the broker, signed with the simulator's command key
(published, so a real gate refuses it) like every command a gate takes.

Someone else may resolve a flag first (a person at the security desk): the guard hears the gate's
``secondary_resolved`` alert, or sees on the desk that the flag is no longer open, and stands
down instead of measuring the person a second time."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simulator.crowd import SimPerson
from simulator.world import World
from terminal.codes.healthcode import SIMULATOR_COMMAND_KEY_ID, simulator_command_key
from terminal.link.command_signing import sign_command
from terminal.link.topics import GateTopics

GUARD_ID = "guard-sim-1"


def signed_resolution(
    topics: GateTopics,
    flag_id: str,
    *,
    result: str,
    clinical_c: float,
    guard: str,
    issued_by: str,
    now_s: float,
) -> dict[str, Any]:
    """A ``resolve_secondary`` command for the gate, signed with the simulator's command key: a
    guard's clinical reading for one flag, as the security desk sends it."""
    return sign_command(
        simulator_command_key(),
        SIMULATOR_COMMAND_KEY_ID,
        name="resolve_secondary",
        park=topics.park,
        gate=topics.gate,
        payload={"flag_id": flag_id, "result": result, "clinical_c": clinical_c, "guard": guard},
        issued_by=issued_by,
        now_s=now_s,
    )


@dataclass
class SimulatedGuard:
    subscriber: object  # simulator.subscriber.Subscriber: received() and client
    topics: GateTopics
    world: World
    inbox: queue.Queue[tuple[str, bytes]]  # the gate's publisher queues commands here
    clinical_fever_c: float
    who: dict[str, SimPerson | None]  # flag (check event) id -> who really stood there
    now: Callable[[], float]  # the gate's clock: a command is issued and expires by it
    walk_over_s: float = 40.0  # from the alert to a clinical reading
    issued_by: str = "security-desk-sim"
    # what the desk shows: is this flag still open at the gate? (None: the guard cannot tell,
    # and goes by the alerts alone)
    flag_open: Callable[[str], bool] | None = None
    _due: dict[str, float] = field(default_factory=dict)
    _done: set[str] = field(default_factory=set)
    resolved: int = 0
    stood_down: int = 0  # flags someone else resolved before the guard got there

    def notice(self) -> None:
        received = self.subscriber.received(self.topics.alert("secondary_check"))  # type: ignore[attr-defined]
        for alert in received:
            flag_id = alert["data"]["check_event_id"]
            if flag_id not in self._done and flag_id not in self._due:
                # timed from the alert's own time, so a run does not depend on the broker's pace
                sent_at = datetime.fromisoformat(alert["occurred_at"]).timestamp()
                self._due[flag_id] = sent_at + self.walk_over_s
        # someone at the security desk resolved it first: the guard need not walk over
        for alert in self.subscriber.received(self.topics.alert("secondary_resolved")):  # type: ignore[attr-defined]
            self._stand_down(alert["data"]["check_event_id"])

    def _stand_down(self, flag_id: str) -> None:
        if self._due.pop(flag_id, None) is not None:
            self._done.add(flag_id)
            self.stood_down += 1

    def pending(self) -> bool:
        return bool(self._due)

    def act(self, now: float) -> str | None:
        """Send one due result; the person's id when the gate has it queued (the caller lets the
        gate act on it at once)."""
        for flag_id, due in list(self._due.items()):
            if now < due:
                continue
            if self.flag_open is not None and not self.flag_open(flag_id):
                self._stand_down(flag_id)  # resolved meanwhile: its alert is still on the way
                continue
            del self._due[flag_id]
            self._done.add(flag_id)
            person = self.who.get(flag_id)
            if person is None:
                continue
            clinical_c = round(person.core_c, 1)
            command = signed_resolution(
                self.topics,
                flag_id,
                result="fever" if clinical_c >= self.clinical_fever_c else "normal",
                clinical_c=clinical_c,
                guard=GUARD_ID,
                issued_by=self.issued_by,
                now_s=self.now(),
            )
            before = self.inbox.qsize()
            self.subscriber.client.publish(  # type: ignore[attr-defined]
                self.topics.command("resolve_secondary"), json.dumps(command), qos=1
            )
            deadline = time.monotonic() + 5
            while self.inbox.qsize() <= before and time.monotonic() < deadline:
                time.sleep(0.002)
            self.resolved += 1
            return person.person_id
        return None
