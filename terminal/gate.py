"""The gate's sequence: one approach, one check.

idle -> someone in front (a new code in view, or a warm face) -> code read -> temperature measured
-> decided -> written to the record with its messages -> relay and lamps -> handed to the publisher.

A code that stays in view after its check belongs to the same approach and is not checked again;
it is forgotten once it has been out of view for ``timing.clear_s``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from drivers.qr import Scan
from terminal.config import Config
from terminal.devices import Devices
from terminal.healthcode import InvalidHealthCode, verify
from terminal.policy import CodeSeen, Decision, Route, Temperature, decide
from terminal.publisher import Publisher
from terminal.record import CheckRow, Record
from terminal.roster import Roster
from terminal.screening import Screener
from terminal.topics import GateTopics, iso_utc

log = logging.getLogger(__name__)
CAMERA_RETRY_S = 0.5


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
    ) -> None:
        self.config = config
        self.camera = devices.camera
        self.decoder = devices.decoder
        self.outputs = devices.outputs
        self.record = record
        self.roster = roster
        self.clock = devices.clock
        self.publisher = publisher
        self.topics = GateTopics(config.gate.park, config.gate.id)
        self._on_check = on_check
        self._zone = ZoneInfo(config.gate.timezone)
        self._key = config.healthcode.key.encode()
        self._waited_s = 0.0  # time spent waiting on the camera or the sensor, not computing
        self.screener = Screener(devices.thermometer, config.screening, sleep=self._sleep)
        self._last_code: str | None = None  # the previous approach's code, while still in view
        self._last_code_seen_at = 0.0
        self._face_left = True
        self._lamp_off_at: float | None = None
        self._camera_failing = False

    # --- waiting is not processing ------------------------------------------------------------
    def _sleep(self, seconds: float) -> None:
        started = time.perf_counter()
        self.clock.sleep(seconds)
        self._waited_s += time.perf_counter() - started

    def _scan_next_frame(self) -> Scan:
        started = time.perf_counter()
        frame = self.camera.read_frame()
        if frame is None:
            # an unplugged camera fails at once: do not spin, and say so once
            if not self._camera_failing:
                log.error("camera gives no frames; codes cannot be read until it does")
            self._camera_failing = True
            self.clock.sleep(CAMERA_RETRY_S)
        elif self._camera_failing:
            log.warning("camera gives frames again")
            self._camera_failing = False
        self._waited_s += time.perf_counter() - started
        return Scan() if frame is None else self.decoder.scan(frame)

    # --- the loop -----------------------------------------------------------------------------
    def poll(self) -> CheckRow | None:
        """Look at one frame; run a whole check when someone new is in front."""
        self._waited_s = 0.0
        started_perf = time.perf_counter()
        scan = self._scan_next_frame()
        now = self.clock.time()
        self._lamps_off_when_due(now)
        if self._last_code is not None:
            if self._last_code in scan.texts:
                self._last_code_seen_at = now
            elif now - self._last_code_seen_at >= self.config.timing.clear_s:
                self._last_code = None
        new_codes = [text for text in scan.texts if text != self._last_code]
        row: CheckRow | None = None
        if new_codes:
            row = self._check(now, started_perf, Scan(new_codes, scan.unreadable))
        else:
            face = self.screener.someone_in_front()
            if face is False:
                self._face_left = True
            elif face and self._face_left and self._last_code is None:
                row = self._check(now, started_perf, scan)
        if self.publisher is not None:
            self.publisher.pump()
        return row

    def run(self, should_stop: Callable[[], bool]) -> None:
        while not should_stop():
            self.poll()

    # --- one check ----------------------------------------------------------------------------
    def _wait_for_code(self, started_at: float, scan: Scan) -> tuple[str | None, bool]:
        """The code shown, or None; and whether an unreadable code was seen meanwhile."""
        unreadable = scan.unreadable > 0
        while not scan.texts:
            if self.clock.time() - started_at >= self.config.timing.code_wait_s:
                return None, unreadable
            scan = self._scan_next_frame()
            unreadable = unreadable or scan.unreadable > 0
        return scan.texts[0], unreadable

    def _read_code(self, text: str | None, unreadable: bool, now: float) -> CodeSeen:
        if text is None:
            if self._camera_failing:
                return CodeSeen("camera_fault")
            return CodeSeen("unreadable" if unreadable else "none")
        try:
            code = verify(text, self._key, now, self.config.healthcode.max_age_h * 3600)
        except InvalidHealthCode as exc:
            log.info("refused a QR code: %s", exc)  # the payload itself may identify a person
            return CodeSeen("invalid")
        return CodeSeen("valid", code)

    def _check(self, started_at: float, started_perf: float, scan: Scan) -> CheckRow:
        text, unreadable = self._wait_for_code(started_at, scan)
        code = self._read_code(text, unreadable, self.clock.time())
        temperature = self.screener.measure()
        decided_at = self.clock.time()
        person_id = code.code.person_id if code.code else None
        entry = self.roster.get(person_id) if person_id else None
        local_time = datetime.fromtimestamp(decided_at, self._zone).time()
        decision = decide(
            temperature, code, entry, local_time, self.config.screening.fever_threshold_c
        )
        row = self._row(
            started_at, decided_at, person_id, code, temperature, decision, started_perf
        )
        messages = [self.topics.check_message(row)]
        if decision.route is Route.ISOLATION_ROOM:
            messages.append(self.topics.fever_alert_message(row))
            log.warning("FEVER confirmed at gate %s: route to the isolation room", row.gate)
        # the record first: the turnstile never moves for a check that is not written down
        self.record.add_check(row, messages)
        self._act(decision)
        self._last_code = text
        self._last_code_seen_at = self.clock.time()
        self._face_left = False
        if self._on_check is not None:
            self._on_check(row, decision)
        return row

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
        return CheckRow(
            event_id=uuid.uuid4().hex,
            ts=iso_utc(decided_at),
            epoch_s=decided_at,
            park=self.config.gate.park,
            gate=self.config.gate.id,
            person_id=person_id,
            code=code.code.colour.value if code.code else code.status,
            temperature_c=temperature.final_c,
            first_c=temperature.first_c if temperature.remeasure_c is not None else None,
            sensor_fault=temperature.fault,
            decision=decision.decision,
            reason=decision.reason.value,
            route=decision.route.value,
            check_s=round(decided_at - started_at, 3),
            processing_ms=round(processing_s * 1000, 3),
        )

    def _act(self, decision: Decision) -> None:
        outputs = self.outputs
        lamp, other = (
            (outputs.green_lamp, outputs.red_lamp)
            if decision.admit
            else (outputs.red_lamp, outputs.green_lamp)
        )
        other.set(False)
        lamp.set(True)
        self._lamp_off_at = self.clock.time() + self.config.outputs.lamp_s
        if decision.admit:
            outputs.relay.pulse(self.config.outputs.relay_pulse_s)

    def _lamps_off_when_due(self, now: float) -> None:
        if self._lamp_off_at is not None and now >= self._lamp_off_at:
            self.outputs.green_lamp.set(False)
            self.outputs.red_lamp.set(False)
            self._lamp_off_at = None

    def close(self) -> None:
        self.outputs.relay.set(False)
        self.outputs.green_lamp.set(False)
        self.outputs.red_lamp.set(False)
