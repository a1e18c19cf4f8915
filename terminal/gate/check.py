"""One check: the code read, the forehead measured, the roster and the zone asked, and the
policy's decision as an outcome ready to be written down (nothing is written or moved here).

A person leaving (an exit gate) is identified by their code, not screened (see ``decide_exit``).
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from drivers.qr import Scan
from terminal.codes.healthcode import CodeRejected, HealthCode
from terminal.config import Config
from terminal.devices import Clock
from terminal.gate.codes import CodesInView
from terminal.gate.rests import Judged, RestDesk, screening_word
from terminal.gate.secondary import SecondaryDesk
from terminal.gate.zone_view import ZoneView
from terminal.link.topics import Messages, iso_utc
from terminal.record.store import CheckRow, Hold, OutboxMessage, Record, RestRow
from terminal.rules.policy import (
    CodeRules,
    CodeSeen,
    Decision,
    Reason,
    Route,
    Temperature,
    decide,
    decide_exit,
)
from terminal.rules.roster import (
    Person,
    Roster,
    RosterProblem,
    RosterRules,
    assess,
    hold_until,
    next_window,
)
from terminal.rules.shifts import Opening
from terminal.screening import Screener
from terminal.state import GateState

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """A decided check, ready to be written down and acted on."""

    row: CheckRow
    decision: Decision
    messages: list[OutboxMessage]
    hold: Hold | None  # what an admission on this code would hold against a replay
    codes: list[str]  # the codes this approach was decided on
    code: CodeSeen | None = None  # what was shown, for a guard's later decision on a flag
    roster_problem: RosterProblem | None = None
    window: Opening | None = None  # the next shift window of a worker the roster refuses
    rest: RestRow | None = None  # the rest this check tells the person to take
    returned_from: str | None = None  # the rest this rested scan closes as returned
    rest_until_s: float | None = None  # told to rest (now or before): when to scan again


def code_rules(config: Config, state: GateState) -> CodeRules:
    """What each colour means under the tier in force now."""
    actions = getattr(config.risk.actions, state.risk_tier)
    return CodeRules(
        green=actions.green,
        yellow=actions.yellow,
        red=actions.red,
        replay_mode=config.healthcode.replay.mode,
    )


def _rest_due(decision: Decision, judged: Judged, rest: RestRow | None) -> float | None:
    """A person told to rest (now, or again before their rest is over): when they may scan
    again."""
    if decision.route is not Route.REST:
        return None
    if rest is not None:
        return rest.due_s
    return judged.rest.due_s if judged.rest is not None else None


def clock_trusted(config: Config, clock: Clock) -> bool:
    return not config.gate.require_synced_clock or clock.synchronised()


class Check:
    def __init__(
        self,
        *,
        config: Config,
        codes: CodesInView,
        screener: Screener,
        record: Record,
        secondary: SecondaryDesk,
        rests: RestDesk,
        roster: Callable[[], Roster],
        zone: ZoneView,
        state: GateState,
        messages: Messages,
        clock: Clock,
        changed: Callable[[], None],
    ) -> None:
        """``roster``: the gate's, as it is now (a newly imported one replaces it)."""
        self.config = config
        self.codes = codes
        self.screener = screener
        self.record = record
        self.secondary = secondary
        self.rests = rests
        self._roster = roster
        self.roster_rules = RosterRules.from_config(config)
        self.zone = zone
        self.state = state
        self.messages = messages
        self.clock = clock
        self._changed = changed
        self._timezone = ZoneInfo(config.gate.timezone)
        self._verifiers = config.healthcode.verifiers()

    def decide(self, started_at: float, started_perf: float, scan: Scan) -> Outcome:
        """The person in front, from the frame that started their check to a decision."""
        timing = self.config.timing
        texts, unreadable = self.codes.wait_for_code(started_at, scan, timing.code_wait_s)
        code_seen_at = self.clock.time()
        self.codes.start_check(texts)
        if self.config.gate.direction == "exit":
            return self._exit(started_at, started_perf, texts, unreadable, code_seen_at)
        measured = self.screener.measure()  # unjudged; watches the camera meanwhile
        if self.state.thermometer_ok != (measured.fault is None):
            self.state.thermometer_ok = measured.fault is None
            self._changed()
        texts, code = self._read_watched_code(texts, unreadable, code_seen_at)
        decided_at = self.clock.time()
        person_id = code.code.person_id if code.code else None
        # judged once the code says whose forehead it was: their baseline, their rest
        judged = self.rests.judged(measured, person_id, decided_at)
        temperature = judged.temperature
        person = self._roster().get(person_id) if person_id else None
        # back from a rest the gate told them to take: their shift window is judged as when they
        # were told, so the rest never makes them late
        rested_from = judged.rest if judged.returned_from is not None else None
        at = datetime.fromtimestamp(
            rested_from.told_at_s if rested_from is not None else decided_at, self._timezone
        )
        roster_problem = assess(person, at, self.roster_rules)
        window = next_window(person, at, self.roster_rules) if roster_problem else None
        zone = self.zone.for_entry(person_id)
        decision = decide(
            temperature,
            code,
            roster_problem,
            clock_trusted=clock_trusted(self.config, self.clock),
            code_rules=code_rules(self.config, self.state),
            lockdown=self.state.lockdown,
            next_window=window,
            zone=zone,
        )
        row = self._row(
            started_at, decided_at, person_id, code, temperature, decision, started_perf
        )
        row = dataclasses.replace(row, passback_of=zone.inside_since, screening=judged.screening)
        rest = self.rests.opening(row, decision, judged)
        due_s = _rest_due(decision, judged, rest)
        if due_s is not None:
            row = dataclasses.replace(row, rest_until=iso_utc(due_s))
        messages = [self.messages.check(row)]
        if decision.alert is not None:
            room = self.config.secondary
            isolation = (room.isolation_room, room.isolation_location)
            messages.append(self.messages.alert(row, decision.alert, isolation))
        hold = None  # a later admission by staff, after a secondary check, holds it too
        if code.code is not None and code.replay_of is None:
            hold = Hold(code.code.fingerprint, code.code.person_id, self._hold_until(person, at))
        outcome = Outcome(row, decision, messages, hold, texts, code, roster_problem, window)
        outcome.rest, outcome.returned_from = rest, judged.returned_from
        outcome.rest_until_s = due_s
        return outcome

    def _read_watched_code(
        self, texts: list[str], unreadable: bool, code_seen_at: float
    ) -> tuple[list[str], CodeSeen]:
        """The code shown, after watching the camera ``timing.code_watch_s`` from the first one
        for a second code; and every code seen meanwhile."""
        texts, second_unreadable = self.codes.watched(
            texts, code_seen_at, self.config.timing.code_watch_s
        )
        return texts, self._read_code(texts, unreadable, self.clock.time(), second_unreadable)

    def _exit(
        self,
        started_at: float,
        started_perf: float,
        texts: list[str],
        unreadable: bool,
        code_seen_at: float,
    ) -> Outcome:
        """A person leaving: identified by their code, not screened (see ``decide_exit``)."""
        texts, code = self._read_watched_code(texts, unreadable, code_seen_at)
        decided_at = self.clock.time()
        person_id = code.code.person_id if code.code else None
        zone, left_by = self.zone.for_exit(person_id)
        trusted = clock_trusted(self.config, self.clock)
        decision = decide_exit(code, trusted, self.state.lockdown, zone)
        not_measured = Temperature(None, state="exit")  # and no screening word: NULL
        row = self._row(
            started_at, decided_at, person_id, code, not_measured, decision, started_perf
        )
        # leaving puts no hold on a code: it is the person's own, shown again tomorrow; an exit
        # of someone not inside names the exit that let them out already (passback_of)
        row = dataclasses.replace(row, replay_of=None, passback_of=left_by, screening=None)
        return Outcome(row, decision, [self.messages.check(row)], None, texts, code, None)

    def _read_code(
        self, texts: list[str], unreadable: bool, now: float, second_unreadable: bool = False
    ) -> CodeSeen:
        if not texts:
            if self.codes.camera_failing:
                return CodeSeen("camera_fault")
            return CodeSeen("unreadable" if unreadable else "none")
        if len(texts) > 1 or second_unreadable:
            return CodeSeen("multiple")  # whose forehead is this? one code at a time
        try:
            code = self._verifiers.verify(texts[0], now)
        except CodeRejected as exc:
            # the reason only: the payload itself may identify a person
            log.info("refused a QR code: %s", exc.problem.value)
            return CodeSeen("invalid", problem=exc.problem)
        # held by an admission, or by a flag whose guard has not decided yet
        held_by = self.record.held_by(
            code.fingerprint, code.person_id, now
        ) or self.secondary.held_by(code.fingerprint, code.person_id, now)
        return CodeSeen("valid", code, replay_of=held_by)

    def _hold_until(self, person: Person | None, admitted_at: datetime) -> float:
        replay = self.config.healthcode.replay
        return hold_until(
            person, admitted_at, self.roster_rules, replay.hold_h, replay.any_time_hold_h
        )

    def internal_error(self, started_at: float, started_perf: float) -> Outcome:
        """A check that failed inside the software: refused, and the record says so."""
        decision = Decision(False, Reason.INTERNAL_ERROR, Route.ASIDE)
        decided_at = self.clock.time()
        unknown = CodeSeen("invalid")
        row = self._row(
            started_at, decided_at, None, unknown, Temperature(None), decision, started_perf
        )
        row = dataclasses.replace(row, code="error", screening=None)
        fault = self.messages.fault(
            "internal_error",
            decided_at,
            "a check failed inside the software; the person was refused",
            check_event_id=row.event_id,
        )
        # the codes seen so far belong to this refused approach, not to a next person
        codes = sorted(self.codes.in_check)
        return Outcome(row, decision, [self.messages.check(row), fault], None, codes)

    def _row(
        self,
        started_at: float,
        decided_at: float,
        person_id: str | None,
        code: CodeSeen,
        temperature: Temperature,
        decision: Decision,
        started_perf: float,
    ) -> CheckRow:
        processing_s = time.perf_counter() - started_perf - self.codes.waited_s
        seen: HealthCode | None = code.code
        gate = self.config.gate
        return CheckRow(
            event_id=uuid.uuid4().hex,
            ts=iso_utc(decided_at),
            epoch_s=decided_at,
            park=gate.park,
            gate=gate.id,
            person_id=person_id,
            code=seen.colour.value if seen else code.status,
            temperature_c=temperature.final_c,
            first_c=None,  # the screening no longer re-measures: a flag goes to a guard
            sensor_fault=temperature.fault,
            decision=decision.decision,
            reason=decision.reason.value,
            route=decision.route.value,
            check_s=round(decided_at - started_at, 3),
            processing_ms=round(processing_s * 1000, 3),
            object_c=temperature.object_c,
            ambient_c=temperature.ambient_c,
            distance_cm=temperature.distance_cm,
            estimate_mode=temperature.mode,
            reference_c=temperature.reference_c,
            measure_state=temperature.state,
            screening=screening_word(temperature),
            screening_stage=temperature.stage if temperature.final_c is not None else None,
            threshold_c=temperature.threshold_c,
            reference_basis=temperature.mode,
            why=temperature.why,
            code_fingerprint=seen.fingerprint if seen else None,
            code_issuer=seen.issuer if seen else None,
            replay_of=code.replay_of,
            next_window=decision.window.interval() if decision.window else None,
            direction=gate.direction,
        )
