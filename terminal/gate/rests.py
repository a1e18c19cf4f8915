"""Rest and re-screen at the lane: a first reading raised but not clearly high sends the person
to rest (``screening.rest_min`` minutes in ``screening.rest_area``) and scan again.

The rest is written with the check that told them. When their code is read again: before the
rest is over they are told to rest again, the same time (no new rest); within
``screening.rest_return_min`` after it, the scan is the rested stage, judged against their first
reading, and the rest is closed as returned; later still it is a first reading again. Between
checks, rests nobody came back to in time are closed as not returned, and security is told.
A rest holds no code: the same code scans again for it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

from terminal.config import Config
from terminal.link.topics import Messages
from terminal.record.store import CheckRow, Record, RestRow
from terminal.rules.policy import Decision, Route, Temperature
from terminal.screening import Screener
from terminal.screening.judge import RestTaken

log = logging.getLogger(__name__)
LOOK_EVERY_S = 5.0  # how often, between checks, rests past their time are looked for


@dataclass(frozen=True)
class Judged:
    """A reading judged for the person whose code was read, and what it means for their rest."""

    temperature: Temperature
    screening: str | None  # the screening's word (CheckRow.screening)
    rest: RestRow | None = None  # their open rest, when this scan is within it
    early: bool = False  # back before their rest was over: told to rest again

    @property
    def returned_from(self) -> str | None:
        """The rest this scan closes as returned: a rested reading was taken."""
        if self.rest is None or self.early or self.screening not in ("rest_pass", "rest_guard"):
            return None
        return self.rest.event_id


def screening_word(temperature: Temperature, early: bool = False) -> str:
    """The screening's word on a check, whatever the final decision."""
    if temperature.fault is not None:
        return "fault"
    if temperature.final_c is None:
        return "not_measured"
    if early:
        return "rest"
    if temperature.stage == "rested":
        return "rest_pass" if temperature.verdict == "pass" else "rest_guard"
    return temperature.verdict


class RestDesk:
    def __init__(
        self,
        *,
        config: Config,
        record: Record,
        messages: Messages,
        screener: Screener,
        now: Callable[[], float],
    ) -> None:
        self.config = config
        self.record = record
        self.messages = messages
        self.screener = screener
        self._now = now
        self._next_look_s = 0.0

    def judged(self, measured: Temperature, person_id: str | None, now_s: float) -> Judged:
        """``measured`` judged for ``person_id`` (None: no believable code), as a first reading,
        a rested one, or a return before the rest is over."""
        if measured.fault is not None or measured.object_c is None:
            return Judged(measured, screening_word(measured))  # nothing to judge
        rest = self.record.open_rest(person_id) if person_id else None
        if rest is not None and now_s >= rest.expires_s:
            rest = None  # back too late: a first reading again (housekeeping closes it)
        if rest is None or rest.first_object_c is None or rest.first_ambient_c is None:
            first = self._sane(self.screener.judge(measured, person_id, None), "first")
            return Judged(first, screening_word(first))
        if now_s < rest.due_s:
            # too early: told to rest again, the same time; no new rest is opened
            again = self.screener.judge(measured, person_id, None, learn=False)
            again = dataclasses.replace(again, verdict="rest")
            return Judged(again, screening_word(again, early=True), rest, early=True)
        taken = RestTaken(rest.first_object_c, rest.first_ambient_c, rest.told_at_s)
        rested = self._sane(self.screener.judge(measured, person_id, taken), "rested")
        return Judged(rested, screening_word(rested), rest)

    def _sane(self, judged: Temperature, stage: str) -> Temperature:
        """The stage the gate knows this is; a second rest, or a rest the park switched off,
        is the guard's (fail secure: a raised reading is never let through by a mix-up)."""
        verdict = judged.verdict
        if verdict == "rest" and (stage == "rested" or not self.config.screening.rest):
            verdict = "guard"
        return dataclasses.replace(judged, verdict=verdict, stage=stage)  # type: ignore[arg-type]

    def opening(self, row: CheckRow, decision: Decision, judged: Judged) -> RestRow | None:
        """The rest a decision to rest opens (none for a return before the rest was over)."""
        if decision.route is not Route.REST or judged.early or row.person_id is None:
            return None
        temperature = judged.temperature
        screening = self.config.screening
        due_s = row.epoch_s + screening.rest_min * 60.0
        return RestRow(
            event_id=row.event_id,
            person_id=row.person_id,
            code_fingerprint=row.code_fingerprint,
            told_at_s=row.epoch_s,
            due_s=due_s,
            expires_s=due_s + screening.rest_return_min * 60.0,
            first_object_c=temperature.object_c,
            first_ambient_c=temperature.ambient_c,
        )

    def serve(self) -> None:
        """Between checks: rests nobody came back to in time are closed as not returned, with
        an alert to security. Never raises (a record that cannot be written is tried again)."""
        now = self._now()
        if now < self._next_look_s or self.config.gate.direction == "exit":
            return  # an exit lane tells nobody to rest: the way in looks after its rests
        self._next_look_s = now + LOOK_EVERY_S
        try:
            for rest in self.record.expired_rests(now):
                self._not_returned(rest, now)
        except Exception as exc:
            log.error("rests past their time cannot be closed: %s", type(exc).__name__)

    def _not_returned(self, rest: RestRow, now: float) -> None:
        message = self.messages.not_returned(rest.event_id, rest.person_id, rest.told_at_s, now)
        self.record.close_rest_not_returned(rest.event_id, now, [message])
        # no health data in the log: who and when is in the record
        log.warning(
            "a person told to rest at gate %s did not come back in time: security alerted",
            self.config.gate.id,
        )
