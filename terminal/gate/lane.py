"""The gate's sequence: one approach, one check.

idle -> someone in front (a code in view, or a warm face) -> code read -> temperature measured
-> decided -> written to the record with its messages -> relay and lamps -> handed to the publisher.

After its check, an approach lasts while its person is still there: while the code it was decided
on is in view, or the thermometer still feels a face. It ends when a face comes back after
``timing.clear_s`` without one (the next person), or when its code has been out of view that long
and either the face has been gone as long or a different code is shown (a person refused for
showing no code may show it then; that is a new check). Nothing else that happens during an
approach starts another check, so a code left in view, or held up by the next person in the queue,
is not checked against the wrong forehead.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from drivers.qr import Scan
from terminal.app.devices import Devices
from terminal.codes.healthcode import CodeRejected, HealthCode
from terminal.config import Config
from terminal.display.state import DisplayState
from terminal.gate.emergency import EmergencyWatch
from terminal.gate.passage import PassageWatch, StuckWatch
from terminal.gate.secondary import SecondaryDesk, SensorEvents
from terminal.gate.state import GateState, ZoneCount
from terminal.gate.turnstile import Turnstile
from terminal.gate.vehicles import VehicleDesk
from terminal.link.publisher import Publisher
from terminal.link.topics import Messages, iso_utc, new_event_id
from terminal.link.zonelink import ZoneLink
from terminal.record.fault import RecordFaultWatch
from terminal.record.store import CheckRow, Hold, OutboxMessage, PassageRow, Record
from terminal.rules.policy import (
    CodeRules,
    CodeSeen,
    Decision,
    Reason,
    Route,
    Temperature,
    ZoneState,
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
from terminal.screening import build_screener, resume_reference

log = logging.getLogger(__name__)
CAMERA_RETRY_S = 0.5
# after an unexpected error outside a check, wait this long before looking again: a fault that
# repeats on every frame must not spin the processor or flood the log
ERROR_BACKOFF_S = 0.5
# frames showing an unreadable code beside a readable one, during one check, before the check
# counts two codes: one such frame may be a blur of the person's own phone; several are not
AMBIGUOUS_FRAMES = 3
# a burst of the zone peers' passages (after a cut-off) is taken in over several polls, so that
# the person in front is not kept waiting for all of it
PEER_MESSAGES_PER_POLL = 200


@dataclass
class Approach:
    """The person in front after their check, until they are gone."""

    codes: frozenset[str]  # every code seen during the check
    codes_seen_at: float
    face_gone_since: float | None = None  # first "no face" reading since a face was last felt
    face_gone_long: bool = False  # "no face" readings (not sensor faults) spanned clear_s
    face_gone_since_code: bool = False  # a "no face" reading since the codes were last in view
    waiting: bool = False  # told to wait for room in the zone: checked again when there is


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


class Gate:
    def __init__(
        self,
        *,
        config: Config,
        devices: Devices,
        record: Record,
        roster: Roster,
        publisher: Publisher | None = None,
        on_check: Callable[[CheckRow, Decision], None] | None = None,
        state: GateState | None = None,
        messages: Messages | None = None,
        display: DisplayState | None = None,
    ) -> None:
        self.config = config
        self.display = display  # the worker's display, when the gate has a screen
        self.camera = devices.camera
        self.decoder = devices.decoder
        self.outputs = devices.outputs
        self.record = record
        self.roster = roster  # the service puts a newly imported roster here
        self.roster_rules = RosterRules.from_config(config)
        self.clock = devices.clock
        self.publisher = publisher
        # lockdown, the risk tier in force and faults: set at run time by the centre's commands
        self.state = state or GateState(risk_tier=config.risk.tier)
        self.messages = messages or Messages(
            config.gate.park,
            config.gate.id,
            boot_id=new_event_id(),
            timezone=config.gate.timezone,
            clock_synced=self.clock.synchronised,
        )
        self._record_faults = RecordFaultWatch(
            self.state, record, self.messages, self._status_changed
        )
        self._on_check = on_check
        self._zone = ZoneInfo(config.gate.timezone)
        self._verifiers = config.healthcode.verifiers()
        self._last_error: tuple[str, str] | None = None
        self._waited_s = 0.0  # time spent waiting on the camera or the sensor, not computing
        # every pause in a measurement is spent watching the camera for a second code
        sensor_events = SensorEvents(record, self.messages, self.clock.time)
        # the relay, the passage contact, the fire alarm and the staff button
        self.turnstile = Turnstile(devices.outputs.relay)
        self.inputs = devices.inputs
        passage = config.inputs.passage
        self.passages = PassageWatch(
            sensor=devices.inputs.passage,
            window_s=passage.window_s if passage else 0.0,
            pulse_s=config.outputs.relay_pulse_s,
            turnstile=self.turnstile,
            record=record,
            messages=self.messages,
            now=self.clock.time,
            direction=config.gate.direction,
            zone=config.zone.name,
            stuck=StuckWatch(passage.stuck_after_s, self.state, self._status_changed)
            if passage
            else None,
        )
        self.zone_link = ZoneLink(config, record, self.state, self._status_changed)
        self.passages.shared = self.zone_link.shared
        self.emergency = EmergencyWatch(
            alarm=devices.inputs.fire_alarm,
            turnstile=self.turnstile,
            state=self.state,
            record=record,
            messages=self.messages,
            now=self.clock.time,
            changed=self._status_changed,
            zone=config.zone.name,
        )
        if config.zone.name is not None:
            self.state.zone = ZoneCount(
                config.zone.name, config.zone.capacity, record.occupancy(config.zone.name)
            )
        self._zone_counted_at = record.writes_added
        # at a vehicle gate, an admission waits for its vehicle before the barrier lifts
        self.vehicles = VehicleDesk(
            config=config,
            record=record,
            messages=self.messages,
            passages=self.passages,
            now=self.clock.time,
            lift=self._lift_for_vehicle,
            admission_over=self._vehicle_admission_over,
            lockdown=lambda: self.state.lockdown,
        )
        self._button_pressed = False
        self.screener = build_screener(
            devices,
            config,
            self._watch,
            sensor_events,
            worker_display=display.measuring if display else None,
        )
        resume_reference(self.screener, record, config, self.clock.time())
        self.secondary = SecondaryDesk(
            config=config,
            record=record,
            messages=self.messages,
            passages=self.passages,
            buzzer=devices.outputs.buzzer,
            now=self.clock.time,
            clock_trusted=self._clock_trusted,
            roster=roster,
            roster_rules=self.roster_rules,
            # the tier and the lockdown in force when the guard answers, not at start
            code_rules=lambda: self.code_rules,
            lockdown=lambda: self.state.lockdown,
            zone=self._zone_state,
        )
        self._codes_in_check: set[str] = set()
        self._unreadable_frames_in_check = 0
        self._approach: Approach | None = None
        # codes of finished approaches, with when each was last in view: a phone left lying in
        # front of the camera must not be taken for the next person's code
        self._spent: dict[str, float] = {}
        self._lamp_off_at: float | None = None
        self._camera_failing = False
        # who hears whether the camera gives frames: the gate's status (the way out of a gate
        # that serves both ways tells it as a fault instead: terminal/gate/sides.py)
        self.camera_health: Callable[[bool], None] = self._camera_health

    @property
    def code_rules(self) -> CodeRules:
        """What each colour means under the tier in force now."""
        actions = getattr(self.config.risk.actions, self.state.risk_tier)
        return CodeRules(
            green=actions.green,
            yellow=actions.yellow,
            red=actions.red,
            replay_mode=self.config.healthcode.replay.mode,
        )

    # --- waiting is not processing ------------------------------------------------------------
    def _watch(self, seconds: float) -> None:
        """Wait, reading frames: a second code shown while the sensor settles must be seen, and
        so must one that only shows as an unreadable code (overlapping the first, say)."""
        deadline = self.clock.time() + seconds
        while self.clock.time() < deadline and not self._camera_failing:
            scan = self._scan_next_frame()
            self._codes_in_check.update(self._unspent(scan))
            self._unreadable_frames_in_check += scan.unreadable > 0
        remaining = deadline - self.clock.time()
        if remaining > 0:
            started = time.perf_counter()
            self.clock.sleep(remaining)
            self._waited_s += time.perf_counter() - started

    def _poll_inputs(self) -> None:
        """The contacts, at every frame, also during a check: a fire alarm frees the turnstile
        at once; a press of the staff button is kept until the check is over."""
        try:
            self.emergency.poll()
            self.passages.poll()
            button = self.inputs.staff_button
            if button is not None:
                change = button.poll()
                self._button_pressed |= change is not None and change.active
        except Exception as exc:
            self._log_error(exc, "reading the inputs")

    def _staff_button(self) -> None:
        if not self._button_pressed:
            return
        self._button_pressed = False
        wire = self.config.inputs.staff_button
        if wire is None:
            return
        if self.state.emergency:
            log.info("staff button pressed during the emergency: the turnstile is free already")
        elif self.state.shut:
            log.warning("staff button pressed, but the record cannot be written: it stays shut")
        else:
            try:
                by = f"staff button, pin {wire.pin}"
                self.open_once(wire.reason, by, source="staff_button")
            except Exception as exc:
                # not written down, so not opened: the staff member sees it stay shut
                self._log_error(exc, "recording a press of the staff button; not opened")
            else:
                log.warning("turnstile opened once with the staff button")

    def _scan_next_frame(self) -> Scan:
        started = time.perf_counter()
        frame = self.camera.read_frame()
        self._poll_inputs()  # as of this frame
        if frame is None:
            # an unplugged camera fails at once: do not spin, and say so once
            if not self._camera_failing:
                log.error("camera gives no frames; codes cannot be read until it does")
            self._camera_failing = True
            self.camera_health(False)
            self.clock.sleep(CAMERA_RETRY_S)
        elif self._camera_failing:
            log.warning("camera gives frames again")
            self._camera_failing = False
            self.camera_health(True)
        self._waited_s += time.perf_counter() - started
        return Scan() if frame is None else self.decoder.scan(frame)

    def _camera_health(self, ok: bool) -> None:
        self.state.camera_ok = ok
        self._status_changed()

    def _unspent(self, scan: Scan) -> list[str]:
        """The codes in view that may start or join a check: not spent, and not a vehicle
        permit (the vehicle desk reads those)."""
        return [
            text
            for text in scan.texts
            if text not in self._spent and not self.vehicles.claims(text)
        ]

    def _read_permits(self, scan: Scan, now: float) -> None:
        """Vehicle permits newly in view, each read once while it stays in view."""
        for text in scan.texts:
            if text not in self._spent and self.vehicles.claims(text):
                self._spent[text] = now
                self.vehicles.permit_shown(text)

    def _age_spent_codes(self, scan: Scan, now: float) -> None:
        for text in list(self._spent):
            if text in scan.texts:
                self._spent[text] = now
            elif now - self._spent[text] >= self.config.timing.clear_s:
                del self._spent[text]

    # --- the loop -----------------------------------------------------------------------------
    def poll(self) -> CheckRow | None:
        """Look at one frame; run a whole check when someone new is in front. Never raises:
        nothing a camera or a sensor shows may stop the gate."""
        try:
            return self._poll()
        except Exception as exc:
            self._log_error(exc, "between checks")
            self.clock.sleep(ERROR_BACKOFF_S)
            return None

    def _log_error(self, exc: Exception, where: str) -> None:
        """One line naming the error's type and place, never its message: a message may quote
        a QR payload, which can identify a person. A repeat of the same error is logged at debug."""
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        place = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else "?"
        key = (type(exc).__name__, place)
        level = logging.DEBUG if key == self._last_error else logging.ERROR
        self._last_error = key
        log.log(level, "internal error %s: %s at %s", where, type(exc).__name__, place)

    def _poll(self) -> CheckRow | None:
        self.secondary.serve()  # a guard's result, a re-alert: never in the middle of a check
        self.vehicles.serve()  # admissions no vehicle came for lapse
        self._waited_s = 0.0
        started_perf = time.perf_counter()
        scan = self._scan_next_frame()
        self._staff_button()  # pressed now, or during the check that just ended
        now = self.clock.time()
        self._lamps_off_when_due(now)
        if self.state.emergency:
            # nobody is screened while the fire alarm sounds: the turnstile is free; reading
            # frames paces the loop and keeps the camera's health known
            self._count_zone()
            if self.publisher is not None:
                self.publisher.pump()
            return None
        self._age_spent_codes(scan, now)
        self._read_permits(scan, now)
        self.hear_zone(now)
        face = self.screener.someone_in_front()
        approach = self._approach
        if approach is not None and approach.waiting and not self._zone_full():
            # someone left: the person waiting is checked again, without showing their code
            # anew (its codes stay unspent, so the frame in view starts their check)
            self._approach = None
        elif approach is not None and self._approach_over(approach, scan, face, now):
            self._spent.update(dict.fromkeys(approach.codes, approach.codes_seen_at))
            self._approach = None
            if self.display is not None:
                self.display.approach_over()  # their answer leaves the screen with them
        if self._approach is not None and self._approach.waiting and self.display is not None:
            # their answer stays on screen while they wait: no "show your code" meanwhile
            self.display.decided(Reason.ZONE_FULL, Route.WAIT)
        row: CheckRow | None = None
        fresh = self._unspent(scan)
        # with the thermometer unable to feel anyone, an unreadable code is the only sign of a
        # person whose code the camera cannot read: they are answered too
        someone = fresh or face or (face is None and scan.unreadable)
        # while an admitted person has not gone through, the next one waits: their check would
        # release a turnstile that is released already
        if self._approach is None and someone and not self.passages.waiting:
            row = self._check(now, started_perf, Scan(fresh, scan.unreadable, scan.distant))
        self._count_zone()
        if self.publisher is not None:
            self.publisher.pump()
        return row

    def _count_zone(self) -> None:
        """The zone's occupancy in the status, sent again when it changed (a passage opened or
        closed here, a peer's heard); the record is read again only after it was written to."""
        counted = self.state.zone
        if counted is None or self.record.writes_added == self._zone_counted_at:
            return
        self._zone_counted_at = self.record.writes_added
        inside = self.record.occupancy(counted.name)
        if inside != counted.inside:
            counted.inside = inside
            self._status_changed()

    def hear_zone(self, now: float) -> None:
        """The passages of the zone's other gates heard since, and whether they can be heard.
        Part of every poll, and of every entry's decision; never raises."""
        publisher = self.publisher
        self.zone_link.watch(publisher is not None and publisher.connected, now)
        if publisher is None:
            return
        for _ in range(PEER_MESSAGES_PER_POLL):
            try:
                message = publisher.peer_passages.get_nowait()
            except queue.Empty:
                return
            try:
                self.zone_link.apply(message.topic, message.payload, now)
                publisher.peer_taken(message)  # in the record: the broker may forget it
            except Exception as exc:
                self._log_error(exc, "applying a zone peer's passage")

    def _approach_over(self, approach: Approach, scan: Scan, face: bool | None, now: float) -> bool:
        clear_s = self.config.timing.clear_s
        if face is False:
            if approach.face_gone_since is None:
                approach.face_gone_since = now
            approach.face_gone_long |= now - approach.face_gone_since >= clear_s
            approach.face_gone_since_code = True
        elif face:
            if approach.face_gone_long:
                return True  # the face was gone a while and a face is back: the next person
            approach.face_gone_since = None
        # face None: the sensor cannot tell, which neither starts nor ends an absence
        if approach.codes & set(scan.texts) or (not approach.codes and scan.unreadable):
            approach.codes_seen_at = now  # an unreadable code stands for the unreadable one
            approach.face_gone_since_code = face is False
        if now - approach.codes_seen_at < clear_s:
            return False  # its code is still (or was just) in view
        if self._unspent(Scan([t for t in scan.texts if t not in approach.codes])):
            return True  # someone shows a code this approach was not decided on
        # its code is gone, and so was the face at some moment since (with the thermometer
        # failing, only the code can tell)
        return face is None or approach.face_gone_since_code

    def run(self, should_stop: Callable[[], bool]) -> None:
        while not should_stop():
            self.poll()

    # --- one check ----------------------------------------------------------------------------
    def _wait_for_code(self, started_at: float, scan: Scan) -> tuple[list[str], bool]:
        """The codes in the first frame that shows any; and whether an unreadable code was seen
        while waiting."""
        unreadable = scan.unreadable > 0
        texts = self._unspent(scan)
        while not texts:
            if self.clock.time() - started_at >= self.config.timing.code_wait_s:
                return [], unreadable
            scan = self._scan_next_frame()
            unreadable = unreadable or scan.unreadable > 0
            texts = self._unspent(scan)
        return sorted(set(texts)), unreadable

    def _read_code(
        self, texts: list[str], unreadable: bool, now: float, second_unreadable: bool = False
    ) -> CodeSeen:
        if not texts:
            if self._camera_failing:
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

    def _check(self, started_at: float, started_perf: float, scan: Scan) -> CheckRow:
        self._lamps_off()  # the previous person's answer is not this person's
        self._codes_in_check = set(scan.texts)
        try:
            outcome = self._observe_and_decide(started_at, started_perf, scan)
        except Exception as exc:
            # whatever failed, this person gets an answer, the record says so, and nobody is
            # admitted on a check that did not complete
            self._log_error(exc, "in a check; refused as internal_error")
            outcome = self._internal_error(started_at, started_perf)
        row, decision = outcome.row, outcome.decision
        passage = None
        # at a vehicle gate the admission waits for its vehicle: its passage opens with it
        waits_for_vehicle = decision.admit and self.vehicles.enabled
        if decision.admit and not waits_for_vehicle:
            passage = self.passages.opening(row.event_id, "check", row.person_id, row.epoch_s)
            outcome.messages.extend(self.passages.opened_messages(passage))
        try:
            # the record first: the turnstile never moves for a check that is not written down
            self.record.add_check(
                row, outcome.messages, outcome.hold if decision.admit else None, passage
            )
        except Exception as exc:
            reason = self._record_faults.failed(exc, self.clock.time())
            decision = Decision(False, reason, Route.ASIDE)
        else:
            self._record_faults.written(row.epoch_s)
            if decision.alert is not None:
                log.warning("%s at gate %s: security alerted", decision.alert.value, row.gate)
        if decision.reason is Reason.LOCKDOWN:
            log.warning("gate %s is locked down: check refused", row.gate)
        if decision.reason is Reason.SECONDARY_CHECK and outcome.code is not None:
            try:
                # the screening flagged them: the guard's clinical reading decides
                self.secondary.flagged(
                    row, outcome.code, outcome.roster_problem, outcome.hold, outcome.window
                )
            except Exception as exc:
                self._log_error(exc, "opening a secondary check")
        if self.vehicles.enabled:
            self.vehicles.checked(row, decision.admit)  # as written down
        if waits_for_vehicle and decision.admit:
            if self.display is not None:
                self.display.waiting_for_vehicle(True)
        else:
            self._act(decision, passage)
            if self.display is not None:
                today = datetime.fromtimestamp(row.epoch_s, self._zone).date()
                self.display.decided(decision.reason, decision.route, decision.window, today)
        self._approach = Approach(
            frozenset(outcome.codes),
            codes_seen_at=self.clock.time(),
            waiting=decision.route is Route.WAIT,
        )
        if self._on_check is not None:
            self._on_check(row, decision)
        return row

    def _observe_and_decide(self, started_at: float, started_perf: float, scan: Scan) -> Outcome:
        texts, unreadable = self._wait_for_code(started_at, scan)
        code_seen_at = self.clock.time()
        self._codes_in_check = set(texts)
        self._unreadable_frames_in_check = 0
        if self.config.gate.direction == "exit":
            return self._exit(started_at, started_perf, texts, unreadable, code_seen_at)
        temperature = self.screener.measure()  # watches the camera meanwhile
        if self.state.thermometer_ok != (temperature.fault is None):
            self.state.thermometer_ok = temperature.fault is None
            self._status_changed()
        texts, code = self._read_watched_code(texts, unreadable, code_seen_at)
        decided_at = self.clock.time()
        person_id = code.code.person_id if code.code else None
        person = self.roster.get(person_id) if person_id else None
        at = datetime.fromtimestamp(decided_at, self._zone)
        roster_problem = assess(person, at, self.roster_rules)
        window = next_window(person, at, self.roster_rules) if roster_problem else None
        zone = self._zone_state(person_id)
        decision = decide(
            temperature,
            code,
            roster_problem,
            clock_trusted=self._clock_trusted(),
            code_rules=self.code_rules,
            lockdown=self.state.lockdown,
            next_window=window,
            zone=zone,
        )
        row = self._row(
            started_at, decided_at, person_id, code, temperature, decision, started_perf
        )
        row = dataclasses.replace(row, passback_of=zone.inside_since)
        messages = [self.messages.check(row)]
        if decision.alert is not None:
            messages.append(self.messages.alert(row, decision.alert))
        hold = None  # a later admission by staff, after a secondary check, holds it too
        if code.code is not None and code.replay_of is None:
            hold = Hold(code.code.fingerprint, code.code.person_id, self._hold_until(person, at))
        return Outcome(row, decision, messages, hold, texts, code, roster_problem, window)

    def _read_watched_code(
        self, texts: list[str], unreadable: bool, code_seen_at: float
    ) -> tuple[list[str], CodeSeen]:
        """The code shown, after watching the camera ``timing.code_watch_s`` from the first one
        for a second code; and every code seen meanwhile."""
        if texts:
            self._watch(code_seen_at + self.config.timing.code_watch_s - self.clock.time())
            texts = sorted(self._codes_in_check)
        # a second code we cannot read is still a second code
        second_unreadable = self._unreadable_frames_in_check >= AMBIGUOUS_FRAMES
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
        zone, left_by = self._exit_zone_state(person_id)
        decision = decide_exit(code, self._clock_trusted(), self.state.lockdown, zone)
        not_measured = Temperature(None, state="exit")
        row = self._row(
            started_at, decided_at, person_id, code, not_measured, decision, started_perf
        )
        # leaving puts no hold on a code: it is the person's own, shown again tomorrow; an exit
        # of someone not inside names the exit that let them out already (passback_of)
        row = dataclasses.replace(row, replay_of=None, passback_of=left_by)
        return Outcome(row, decision, [self.messages.check(row)], None, texts, code, None)

    def _zone_state(self, person_id: str | None) -> ZoneState:
        """The gate's zone as the record knows it now, for the policy."""
        zone = self.config.zone
        if zone.name is None:
            return ZoneState()
        # what the zone's other gates sent while this check ran (a check takes seconds) counts:
        # an entry they opened meanwhile holds its place
        self.hear_zone(self.clock.time())
        inside = None
        if person_id is not None and zone.anti_passback != "off":
            inside = self.record.inside_since(zone.name, person_id)
        return ZoneState(self._zone_full(), inside, zone.anti_passback)

    def _exit_zone_state(self, person_id: str | None) -> tuple[ZoneState | None, str | None]:
        """For an exit: the zone (None without one), whether the person is inside by the record
        (their own gate's passages and the zone peers'), and the exit by which they left
        already, when that is their latest passage."""
        zone = self.config.zone
        if zone.name is None or person_id is None:
            return None, None
        last = self.record.last_passage(zone.name, person_id)
        inside = last[0] if last is not None and last[1] != "exit" else None
        left_by = last[0] if last is not None and last[1] == "exit" else None
        return ZoneState(inside_since=inside, anti_passback=zone.anti_passback), left_by

    def _zone_full(self) -> bool:
        zone = self.config.zone
        if zone.name is None or zone.capacity is None:
            return False
        if self.zone_link.entries_held:
            return True  # cut off under hold_entries: the others may have filled it
        # who is inside (our own entry still in the turnstile too), and the places the zone's
        # other gates hold for entries still in theirs
        taken = self.record.occupancy(zone.name) + self.zone_link.reserved(self.clock.time())
        return taken >= zone.capacity

    def _hold_until(self, person: Person | None, admitted_at: datetime) -> float:
        replay = self.config.healthcode.replay
        return hold_until(
            person, admitted_at, self.roster_rules, replay.hold_h, replay.any_time_hold_h
        )

    def _internal_error(self, started_at: float, started_perf: float) -> Outcome:
        decision = Decision(False, Reason.INTERNAL_ERROR, Route.ASIDE)
        decided_at = self.clock.time()
        unknown = CodeSeen("invalid")
        row = self._row(
            started_at, decided_at, None, unknown, Temperature(None), decision, started_perf
        )
        row = dataclasses.replace(row, code="error")
        fault = self.messages.fault(
            "internal_error",
            decided_at,
            "a check failed inside the software; the person was refused",
            check_event_id=row.event_id,
        )
        # the codes seen so far belong to this refused approach, not to a next person
        codes = sorted(self._codes_in_check)
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
        processing_s = time.perf_counter() - started_perf - self._waited_s
        seen: HealthCode | None = code.code
        return CheckRow(
            event_id=uuid.uuid4().hex,
            ts=iso_utc(decided_at),
            epoch_s=decided_at,
            park=self.config.gate.park,
            gate=self.config.gate.id,
            person_id=person_id,
            code=code.code.colour.value if code.code else code.status,
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
            code_fingerprint=seen.fingerprint if seen else None,
            code_issuer=seen.issuer if seen else None,
            replay_of=code.replay_of,
            next_window=decision.window.interval() if decision.window else None,
            direction=self.config.gate.direction,
        )

    def _status_changed(self) -> None:
        if self.publisher is not None:
            self.publisher.publish_status()

    def open_once(
        self, reason: str, by: str, command_id: str | None = None, source: str = "command"
    ) -> str:
        """Staff let one person through, by command or with the staff button: the override (who,
        why) and its passage are recorded, then the turnstile releases once. Returns the
        override's event id. Raises when the record cannot be written: then it stays shut."""
        now = self.clock.time()
        event_id = new_event_id()
        message = self.messages.override(event_id, now, reason, by, command_id, source)
        row = {
            "event_id": event_id,
            "at_s": now,
            "source": source,
            "by": by,
            "reason": reason,
            "command_id": command_id,
        }
        passage = self.passages.opening(event_id, source, None, now)
        self.record.add_event(
            event_id,
            [message, *self.passages.opened_messages(passage)],
            now,
            table="overrides",
            rows=[row],
            passage=passage,
        )
        self._lamps_off()
        self._act(Decision(True, Reason.ADMITTED, Route.THROUGH), passage)
        return event_id

    def _lift_for_vehicle(self, passage: PassageRow) -> None:
        """The vehicle of a held admission is known and written down: the barrier lifts once."""
        self._lamps_off()
        self._act(Decision(True, Reason.ADMITTED, Route.THROUGH), passage)

    def _vehicle_admission_over(self, lifted: bool) -> None:
        if self.display is None:
            return
        if lifted:
            self.display.decided(Reason.ADMITTED, Route.THROUGH)
        else:
            self.display.waiting_for_vehicle(False)

    def _clock_trusted(self) -> bool:
        return not self.config.gate.require_synced_clock or self.clock.synchronised()

    def _act(self, decision: Decision, passage: PassageRow | None = None) -> None:
        outputs = self.outputs
        if decision.route is Route.WAIT:
            return  # not a refusal: no red lamp sends them away; the display asks them to wait
        (outputs.green_lamp if decision.admit else outputs.red_lamp).set(True)
        self._lamp_off_at = self.clock.time() + self.config.outputs.lamp_s
        if decision.admit and passage is not None:
            self.passages.release(passage)

    def _lamps_off(self) -> None:
        self.outputs.green_lamp.set(False)
        self.outputs.red_lamp.set(False)
        self._lamp_off_at = None

    def _lamps_off_when_due(self, now: float) -> None:
        if self._lamp_off_at is not None and now >= self._lamp_off_at:
            self._lamps_off()

    def close(self) -> None:
        self.passages.close()
        self.turnstile.shut()
        if self.outputs.buzzer is not None:
            self.outputs.buzzer.set(False)
        self._lamps_off()
