"""The lane: one approach, one check.

idle -> someone in front (a code in view, or a warm face) -> code read -> temperature measured
-> decided -> written to the record with its messages -> relay and lamps -> handed to the publisher.

:class:`Gate` is the sequencer; each step is a part with one job:

- :mod:`~terminal.gate.codes`: the codes in view (frames, the decoder, spent codes);
- :mod:`~terminal.gate.approach`: who stands in front, from their check until they are gone;
- :mod:`~terminal.gate.check`: the check (screening, code, roster, zone, policy -> an outcome);
- :mod:`~terminal.gate.actuators`: the lamps and the turnstile's relay;
- :mod:`~terminal.gate.zone_view`: occupancy, anti-passback and the zone's other gates;
- :mod:`~terminal.gate.inputs`: the fire alarm, the passage contact and the staff button;
- :mod:`~terminal.gate.override`: staff letting one person through.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from drivers.qr import Scan
from terminal.config import Config
from terminal.devices import Clock, Devices
from terminal.display.state import DisplayState
from terminal.gate.actuators import Actuators
from terminal.gate.answer import Answer
from terminal.gate.approach import InFront
from terminal.gate.check import Check, Outcome, clock_trusted, code_rules
from terminal.gate.codes import CodesInView
from terminal.gate.emergency import Freeable
from terminal.gate.errors import ErrorLog
from terminal.gate.inputs import InputWatch
from terminal.gate.load import ScreeningDesks
from terminal.gate.override import Override
from terminal.gate.record_fault import RecordFaultWatch
from terminal.gate.secondary import SecondaryDesk, SensorEvents
from terminal.gate.turnstile import Turnstile
from terminal.gate.vehicles import VehicleDesk
from terminal.gate.zone_view import ZoneView
from terminal.link.publisher import Publisher
from terminal.link.topics import Messages, new_event_id
from terminal.link.zonelink import ZoneLink
from terminal.record.store import CheckRow, PassageRow, Record
from terminal.rules.policy import CodeRules, Decision, Reason, Route
from terminal.rules.roster import Roster
from terminal.screening import build_screener, resume_reference
from terminal.state import GateState

log = logging.getLogger(__name__)
# after an unexpected error outside a check, wait this long before looking again: a fault that
# repeats on every frame must not spin the processor or flood the log
ERROR_BACKOFF_S = 0.5


def own_messages(config: Config, clock: Clock) -> Messages:
    """The gate's voice: its id, and this boot's."""
    return Messages(
        config.gate.park,
        config.gate.id,
        boot_id=new_event_id(),
        timezone=config.gate.timezone,
        clock_synced=clock.synchronised,
    )


class Gate:
    """One lane: looks at each frame, and runs one check per approach by calling its parts."""

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
        zone_link: ZoneLink | None = None,
        turnstile: Turnstile | None = None,
        fire_frees: Freeable | None = None,
        camera_health: Callable[[bool], None] | None = None,
    ) -> None:
        """``display``: the worker's display, when the gate has a screen. A lane of a gate that
        serves both ways is given what it shares with the other (:mod:`terminal.gate.sides`):
        ``zone_link``; its ``turnstile`` and what the fire alarm ``fire_frees`` (both
        turnstiles); and who hears whether its camera gives frames (``camera_health``)."""
        self.config = config
        self.display = display
        self.record = record
        self.roster = roster  # the service puts a newly imported roster here
        self.clock = devices.clock
        self.publisher = publisher  # given now, or later by whoever starts it
        # lockdown, the risk tier in force and faults: set at run time by the centre's commands
        self.state = state or GateState(risk_tier=config.risk.tier)
        self.messages = messages or own_messages(config, self.clock)
        self._on_check = on_check
        self.answer = Answer(display, config.gate.timezone, devices.display)
        self._log_error = ErrorLog()
        self._record_faults = RecordFaultWatch(
            self.state, record, self.messages, self._status_changed
        )
        self.zone_link = zone_link or ZoneLink(config, record, self.state, self._status_changed)
        self._wire_turnstile(devices, turnstile or Turnstile(devices.outputs.relay), fire_frees)
        self._wire_zone()
        self._wire_desks(devices, camera_health or self._camera_health)

    # --- wiring, in the order the record is read at a start ----------------------------------
    def _wire_turnstile(
        self, devices: Devices, turnstile: Turnstile, fire_frees: Freeable | None
    ) -> None:
        """The relay, the passage contact, the lamps, the fire alarm and the staff button."""
        config, now = self.config, self.clock.time
        self.turnstile = turnstile
        self.actuators = Actuators.wired(
            config=config,
            devices=devices,
            turnstile=turnstile,
            record=self.record,
            messages=self.messages,
            state=self.state,
            changed=self._status_changed,
            shared=self.zone_link.shared,
        )
        self.passages = self.actuators.passages
        self.override = Override(
            record=self.record, messages=self.messages, actuators=self.actuators, now=now
        )
        self.contacts = InputWatch.wired(
            config=config,
            devices=devices,
            frees=fire_frees or turnstile,
            passages=self.passages,
            record=self.record,
            messages=self.messages,
            state=self.state,
            changed=self._status_changed,
            log_error=self._log_error,
        )
        self.emergency = self.contacts.emergency

    def _wire_zone(self) -> None:
        self.zone = ZoneView(
            zone=self.config.zone,
            link=self.zone_link,
            record=self.record,
            state=self.state,
            now=self.clock.time,
            publisher=lambda: self.publisher,
            changed=self._status_changed,
            log_error=self._log_error,
        )

    def _wire_desks(self, devices: Devices, camera_health: Callable[[bool], None]) -> None:
        """The vehicle desk, the codes in view, the screening, the guard's desk and the check."""
        config, record, now = self.config, self.record, self.clock.time
        # at a vehicle gate, an admission waits for its vehicle before the barrier lifts
        self.vehicles = VehicleDesk(
            config=config,
            record=record,
            messages=self.messages,
            passages=self.passages,
            now=now,
            lift=self.override.through,
            admission_over=self.answer.vehicle_admission_over,
            lockdown=lambda: self.state.lockdown,
        )
        self.codes = CodesInView(
            camera=devices.camera,
            decoder=devices.decoder,
            clock=self.clock,
            clear_s=config.timing.clear_s,
            vehicles=self.vehicles,
            each_frame=self.contacts.poll,
            camera_health=camera_health,
            within_reach=lambda: self.screener.anyone_in_range(),  # built next, on these codes
        )
        # every pause in a measurement is spent watching the camera for a second code
        self.screener = build_screener(
            devices,
            config,
            self.codes,
            SensorEvents(record, self.messages, now),
            worker_display=self.display.measuring if self.display else None,
        )
        resume_reference(self.screener, record, config, now())
        self.secondary = SecondaryDesk(
            config=config,
            record=record,
            messages=self.messages,
            passages=self.passages,
            buzzer=devices.outputs.buzzer,
            now=now,
            clock_trusted=lambda: clock_trusted(config, self.clock),
            roster=self.roster,
            # the tier and the lockdown in force when the guard answers, not at start
            code_rules=lambda: self.code_rules,
            lockdown=lambda: self.state.lockdown,
            zone=self.zone.for_entry,
            admitted=self.answer.staff_admitted,
        )
        self.screening = ScreeningDesks.wired(
            config, record, self.messages, self.state, self.screener, now, self._status_changed
        )
        self.check = Check(
            config=config,
            codes=self.codes,
            screener=self.screener,
            record=record,
            secondary=self.secondary,
            rests=self.screening.rests,
            roster=lambda: self.roster,
            zone=self.zone,
            state=self.state,
            messages=self.messages,
            clock=self.clock,
            changed=self._status_changed,
        )
        self.in_front = InFront(
            codes=self.codes,
            presence=self.screener.someone_in_front,
            clear_s=config.timing.clear_s,
            display=self.display,
        )

    @property
    def code_rules(self) -> CodeRules:
        """What each colour means under the tier in force now."""
        return code_rules(self.config, self.state)

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

    def _poll(self) -> CheckRow | None:
        self.secondary.serve()  # a guard's result, a re-alert: never in the middle of a check
        self.screening.serve()  # rests nobody came back to; today's count for the status
        self.vehicles.serve()  # admissions no vehicle came for lapse
        self.codes.waited_s = 0.0
        started_perf = time.perf_counter()
        scan = self.codes.next_frame()
        self.contacts.staff_button(self.open_once)  # pressed now, or during the last check
        now = self.clock.time()
        self.actuators.lamps_off_when_due(now)
        if self.state.emergency:
            # nobody is screened while the fire alarm sounds: the turnstile is free; reading
            # frames paces the loop and keeps the camera's health known
            self._after_poll()
            return None
        self.codes.between_checks(scan, now)
        self.zone.hear(now)
        face = self.in_front.look(scan, now, self.zone.full)
        row: CheckRow | None = None
        fresh = self.codes.unspent(scan)
        # with the thermometer unable to feel anyone, an unreadable code is the only sign of a
        # person whose code the camera cannot read: they are answered too
        someone = fresh or face or (face is None and scan.unreadable)
        # while an admitted person has not gone through, the next one waits: their check would
        # release a turnstile that is released already
        if self.in_front.approach is None and someone and not self.passages.waiting:
            row = self._one_check(now, started_perf, Scan(fresh, scan.unreadable, scan.distant))
        self._after_poll()
        return row

    def _after_poll(self) -> None:
        self.zone.count()
        if self.publisher is not None:
            self.publisher.pump()

    def hear_zone(self, now: float) -> None:
        """The passages of the zone's other gates heard since; never raises."""
        self.zone.hear(now)

    # --- one check ----------------------------------------------------------------------------
    def _one_check(self, started_at: float, started_perf: float, scan: Scan) -> CheckRow:
        self.actuators.lamps_off()  # the previous person's answer is not this person's
        self.codes.start_check(scan.texts)
        try:
            outcome = self.check.decide(started_at, started_perf, scan)
        except Exception as exc:
            # whatever failed, this person gets an answer, the record says so, and nobody is
            # admitted on a check that did not complete
            self._log_error(exc, "in a check; refused as internal_error")
            outcome = self.check.internal_error(started_at, started_perf)
        # at a vehicle gate the admission waits for its vehicle: its passage opens with it
        waits_for_vehicle = outcome.decision.admit and self.vehicles.enabled
        decision, passage = self._write_down(outcome, opens=not waits_for_vehicle)
        self._hand_over(outcome, decision)
        if waits_for_vehicle and decision.admit:
            self.answer.waiting_for_vehicle()
        else:
            self.actuators.act(decision, passage)
            self.answer.decided(decision, outcome.row.epoch_s, outcome.rest_until_s)
        waiting = decision.route is Route.WAIT
        self.in_front.checked(outcome.codes, self.clock.time(), waiting)
        if self._on_check is not None:
            self._on_check(outcome.row, decision)
        return outcome.row

    def _write_down(self, outcome: Outcome, opens: bool) -> tuple[Decision, PassageRow | None]:
        """The check, its messages, its hold and its passage in one transaction: the turnstile
        never moves for a check that is not written down. The decision as written (a refusal
        when the record failed) and the passage an admission opened."""
        row, decision = outcome.row, outcome.decision
        passage = None
        if decision.admit and opens:
            passage = self.passages.opening(row.event_id, "check", row.person_id, row.epoch_s)
            outcome.messages.extend(self.passages.opened_messages(passage))
        try:
            hold = outcome.hold if decision.admit else None
            self.record.add_check(
                row, outcome.messages, hold, passage, outcome.rest, outcome.returned_from
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
        return decision, passage

    def _hand_over(self, outcome: Outcome, decision: Decision) -> None:
        """A flag to the guard's desk; the check to the vehicle desk, as written down."""
        if decision.reason is Reason.SECONDARY_CHECK and outcome.code is not None:
            try:
                # the screening flagged them: the guard's clinical reading decides
                self.secondary.flagged(
                    outcome.row, outcome.code, outcome.roster_problem, outcome.hold, outcome.window
                )
            except Exception as exc:
                self._log_error(exc, "opening a secondary check")
        if self.vehicles.enabled:
            self.vehicles.checked(outcome.row, decision.admit)

    # --- beside the checks --------------------------------------------------------------------
    def open_once(
        self, reason: str, by: str, command_id: str | None = None, source: str = "command"
    ) -> str:
        """Staff let one person through, by command or with the staff button: the override (who,
        why) and its passage are recorded, then the turnstile releases once. Returns the
        override's event id. Raises when the record cannot be written: then it stays shut."""
        return self.override.open_once(reason, by, command_id, source)

    def _camera_health(self, ok: bool) -> None:
        self.state.camera_ok = ok
        self._status_changed()

    def _status_changed(self) -> None:
        if self.publisher is not None:
            self.publisher.publish_status()

    def close(self) -> None:
        self.actuators.close()
