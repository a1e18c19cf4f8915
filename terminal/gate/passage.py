"""Did the admitted person go through? With the turnstile's passage-complete contact wired
([inputs.passage]), the relay is held after an admission until the contact says someone went
through, and the passage is recorded as passed; if nobody does within ``window_s``, it is recorded
as not passed and the relay is released, so that nobody else walks through on that admission.
Without the contact, the relay pulses as it always did and the passage is recorded as
unconfirmed. Each admission has one row in the record's ``passages`` table: occupancy counts
from them.

Passages close in the order they were opened: a passage-complete signal confirms the oldest one
waiting (the gate starts no new check while one waits, so there is normally only one).

A contact closed for ``stuck_after_s`` with no pass open is stuck (a jammed arm, a shorted wire):
the fault ``passage_contact_stuck`` starts (status, event, faults table) and ends when it opens;
meanwhile no passage can be confirmed, so each pass is recorded as not passed."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

from drivers.inputs import DigitalInput
from terminal.gate.record_fault import record_fault
from terminal.gate.turnstile import Turnstile
from terminal.link.topics import Messages
from terminal.record.store import OutboxMessage, PassageRow, Record
from terminal.state import GateState

log = logging.getLogger(__name__)
HOLDER = "passage"
STUCK = "passage_contact_stuck"


@dataclass(frozen=True)
class StuckWatch:
    """Where a stuck contact is reported: the gate's faults, and its status sent at once."""

    after_s: float
    state: GateState
    changed: Callable[[], None]


class PassageWatch:
    def __init__(
        self,
        *,
        sensor: DigitalInput | None,
        window_s: float,
        pulse_s: float,
        turnstile: Turnstile,
        record: Record,
        messages: Messages,
        now: Callable[[], float],
        direction: str = "entry",
        zone: str | None = None,
        shared: bool = False,
        stuck: StuckWatch | None = None,
    ) -> None:
        self.sensor = sensor
        self.stuck = stuck
        self._closed_idle_since: float | None = None  # the contact closed, no pass open
        self.window_s = window_s
        self.pulse_s = pulse_s
        self.turnstile = turnstile
        self.record = record
        self.messages = messages
        self._now = now
        self.direction = direction  # every passage of this turnstile leads this way
        self.zone = zone
        self.shared = shared  # the zone's other gates hear of every passage (event/passage)
        self._waiting: list[PassageRow] = []
        # passages a stopped gate left waiting: whether anyone went through is not known
        left = record.waiting_passages()
        for passage in left:
            self._close(passage, "unknown", None)
        if left:
            log.warning(
                "%d passages were waiting when the gate stopped: recorded as unknown", len(left)
            )

    @property
    def waiting(self) -> bool:
        return bool(self._waiting)

    def opening(
        self, admission_id: str, admitted_by: str, person_id: str | None, now_s: float
    ) -> PassageRow:
        """The row an admission writes with its own record, before the relay moves."""
        if self.sensor is None:
            window_s, outcome = None, "unconfirmed"
        else:
            window_s, outcome = self.window_s, "waiting"
        return PassageRow(
            admission_id,
            admitted_by,
            person_id,
            now_s,
            window_s,
            outcome,
            direction=self.direction,
            zone=self.zone,
        )

    def opened_messages(self, passage: PassageRow) -> list[OutboxMessage]:
        """What an admission sends of its passage with its own record, so that the zone's other
        gates hear of it at once: without a passage contact it counts as passed then; with one
        it is open (``waiting``): the others hold a place for it until its close arrives (sent
        again, under the same admission, when the person went through or did not), so that two
        gates do not both give away the zone's last place during the window."""
        if self.shared and passage.outcome in ("unconfirmed", "waiting"):
            return [self.messages.passage(passage, passage.released_s)]
        return []

    def release(self, passage: PassageRow) -> None:
        """Let the admitted person through (their passage already written down)."""
        if self.sensor is None:
            self.turnstile.pulse(self.pulse_s)
            return
        # the window runs from the admission as recorded: the record and the gate agree on it
        self._waiting.append(passage)
        self.turnstile.hold(HOLDER)

    def poll(self) -> None:
        """Look at the passage contact and the windows; on the gate's thread, never raises for
        a record that cannot be written (the relay is released all the same)."""
        if self.sensor is None:
            return
        change = self.sensor.poll()
        if change is not None and change.active:
            if self._waiting:
                self._close(self._waiting.pop(0), "passed", change.at_s)
            else:
                # during a fire alarm, or someone pushing through: not an admission's passage
                log.info("the turnstile reports a passage that no admission opened")
        now = self._now()
        while self._waiting and now >= self._waiting[0].released_s + self.window_s:
            self._close(self._waiting.pop(0), "not_passed", None)
        self._watch_stuck(self.sensor.active, now)

    def _watch_stuck(self, closed: bool, now: float) -> None:
        stuck = self.stuck
        if stuck is None:
            return
        if closed and not self._waiting:
            if self._closed_idle_since is None:
                self._closed_idle_since = now
            elif STUCK not in stuck.state.faults and now - self._closed_idle_since >= stuck.after_s:
                closed_s = now - self._closed_idle_since
                detail = f"the passage contact closed {closed_s:.0f} s with no pass open"
                log.error("%s: no passage can be confirmed until it opens", detail)
                stuck.state.faults[STUCK] = detail
                self._fault(True, detail, now)
            return
        self._closed_idle_since = None
        if not closed and STUCK in stuck.state.faults:
            log.warning("the passage contact opened again")
            del stuck.state.faults[STUCK]
            self._fault(False, "the passage contact opened", now)

    def _fault(self, active: bool, detail: str, now: float) -> None:
        assert self.stuck is not None
        try:
            record_fault(self.record, self.messages, STUCK, active, detail, now)
        except Exception as exc:  # the status still says so
            log.error("a passage contact fault cannot be recorded: %s", type(exc).__name__)
        self.stuck.changed()

    def _close(self, passage: PassageRow, outcome: str, passed_s: float | None) -> None:
        if not self._waiting:
            # shut first: the next person must not walk through on this admission
            self.turnstile.let_go(HOLDER)
        now = self._now()
        closed = dataclasses.replace(passage, outcome=outcome, passed_s=passed_s, closed_s=now)
        if outcome == "not_passed":
            log.info("an admitted person did not go through within %.0f s", self.window_s)
        try:
            self.record.close_passage(
                passage.admission_id,
                outcome,
                now,
                [self.messages.passage(closed, now)],
                passed_s=passed_s,
            )
        except Exception as exc:
            log.error("a passage cannot be recorded: %s", type(exc).__name__)

    def close(self) -> None:
        self._waiting.clear()
