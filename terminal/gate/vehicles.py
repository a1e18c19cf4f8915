"""The vehicle gate: the barrier lifts for a vehicle that is known, driven by a screened driver.

The driver is checked as anyone is (health code and forehead). Their admission does not lift the
barrier: the gate holds it, for ``vehicles.admission_hold_s``, until the vehicle is known, by
either

- the guard's signed ``vehicle_entry`` command (plate, driver, purpose), or
- a signed vehicle permit (terminal/codes/permits.py) shown to the same camera.

Then the vehicle, the passage it opens and their messages are written in one transaction, and
only then does the barrier lift, once. Whatever else happens is written down too, with the
barrier down: a vehicle whose driver was refused or not checked, an admission that is not held
(lapsed, or used by a vehicle already), a permit that is not believed or names another driver,
and an admission no vehicle came for (``no_vehicle``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from terminal.codes.permits import PermitRefused, VehiclePermit, claims
from terminal.config import Config
from terminal.gate.passage import PassageWatch
from terminal.link import contract
from terminal.link.commands import Command, CommandContext, CommandRefused, CommandRegistry
from terminal.link.topics import Messages, new_event_id
from terminal.record.store import CheckRow, PassageRow, Record

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeldAdmission:
    check_id: str
    driver: str
    until_s: float


@dataclass(frozen=True)
class Vehicle:
    """What is known of a vehicle at the gate, and who made it known."""

    plate: str | None
    purpose: str | None
    by: str
    source: str  # command, permit, lapse
    command_id: str | None = None


class VehicleDesk:
    def __init__(
        self,
        *,
        config: Config,
        record: Record,
        messages: Messages,
        passages: PassageWatch,
        now: Callable[[], float],
        lift: Callable[[PassageRow], None],
        admission_over: Callable[[bool], None],
        lockdown: Callable[[], bool] = lambda: False,
    ) -> None:
        self.rules = config.vehicles
        self.record = record
        self.messages = messages
        self.passages = passages
        self._now = now
        self._lift = lift  # the barrier, once, for a passage written down
        self._admission_over = admission_over  # True: lifted; False: lapsed
        self._lockdown = lockdown  # ordered after the driver's check: no vehicle comes in
        self._verifier = self.rules.permit_verifier()
        self._held: dict[str, HeldAdmission] = {}  # by driver, the newest last
        self._last_check: CheckRow | None = None
        if self.enabled:
            self._hold_again()

    def _hold_again(self) -> None:
        """Admissions a stopped gate was holding for their vehicle are held again, until their
        own time: a restart neither lets a vehicle in nor forgets a driver waiting."""
        now = self._now()
        for check in self.record.admissions_without_vehicle(now - self.rules.admission_hold_s):
            until_s = check["epoch_s"] + self.rules.admission_hold_s
            driver = check["person_id"]
            self._held[driver] = HeldAdmission(check["event_id"], driver, until_s)
        if self._held:
            log.warning("%d drivers' admissions held again for their vehicle", len(self._held))

    @property
    def enabled(self) -> bool:
        return self.rules.enabled

    def claims(self, text: str) -> bool:
        """Is this text in view a permit for this desk (and so not a health code to check)?"""
        return self.enabled and claims(text)

    def register(self, registry: CommandRegistry) -> None:
        registry.register("vehicle_entry", contract.VehicleEntryPayload, self._vehicle_entry)

    # --- the driver's check ---------------------------------------------------------------------
    def checked(self, row: CheckRow, admitted: bool) -> None:
        """A check at this gate, written down: an admission is held for the vehicle."""
        self._last_check = row
        if admitted and row.person_id is not None:
            self._held.pop(row.person_id, None)  # a newer check of theirs replaces an older
            until_s = row.epoch_s + self.rules.admission_hold_s
            self._held[row.person_id] = HeldAdmission(row.event_id, row.person_id, until_s)

    def serve(self) -> None:
        """Admissions that waited their time for a vehicle lapse; on the gate's thread."""
        now = self._now()
        for held in [h for h in self._held.values() if now >= h.until_s]:
            del self._held[held.driver]
            lapse = Vehicle(None, None, "gate", "lapse")
            try:
                # the admission is over: it holds the driver's code no longer, so that they
                # may be checked again when their vehicle comes
                self._write(lapse, held.driver, held.check_id, "deny", "no_vehicle", now)
            except Exception as exc:
                log.error("a lapsed admission cannot be recorded: %s", type(exc).__name__)
            log.info("a driver's admission lapsed: no vehicle within the hold")
            self._admission_over(False)

    # --- the vehicle becomes known --------------------------------------------------------------
    def _vehicle_entry(self, command: Command, context: CommandContext) -> str:
        """The guard enters a vehicle: plate, driver, purpose, signed."""
        payload = command.payload
        assert isinstance(payload, contract.VehicleEntryPayload)
        if not self.enabled:
            raise CommandRefused("not a vehicle gate: [vehicles] enabled is false in its config")
        if context.state.shut:
            raise CommandRefused("the record cannot be written: the gate stays shut")
        vehicle = Vehicle(
            payload.plate, payload.purpose, command.issued_by, "command", command.command_id
        )
        decision, reason = self._arrives(vehicle, payload.driver)
        log.info("vehicle entered by %s: %s", command.issued_by, reason)
        return (
            f"vehicle {payload.plate} {'admitted' if decision == 'admit' else 'refused'}: {reason}"
        )

    def permit_shown(self, text: str) -> str:
        """A permit in view; returns the vehicle's reason. Never raises: nothing shown to a
        camera stops the gate."""
        now = self._now()
        try:
            permit = self._verifier.verify(text, now)
        except PermitRefused as exc:
            held = self._newest_held()
            log.info("refused a vehicle permit: %s", exc.problem.value)
            refused = Vehicle(None, None, "permit", "permit")
            driver, check_id = (held.driver, held.check_id) if held else (None, None)
            self._write_logged(refused, driver, check_id, "deny", exc.problem.value, now)
            return exc.problem.value
        try:
            _, reason = self._arrives(_from_permit(permit), self._driver_of(permit))
        except Exception as exc:
            log.error("a vehicle permit cannot be recorded: %s", type(exc).__name__)
            return "not_recorded"
        log.info("vehicle permit %s: %s", permit.issuer, reason)
        return reason

    def _driver_of(self, permit: VehiclePermit) -> str | None:
        """Whose vehicle this permit brings: its driver, or the driver waiting."""
        if permit.driver is not None:
            return permit.driver
        held = self._newest_held()
        if held is not None:
            return held.driver
        last = self._last_check
        if last is not None and self._now() - last.epoch_s < self.rules.admission_hold_s:
            return last.person_id  # the driver just checked, refused or not known by their code
        return None

    def _arrives(self, vehicle: Vehicle, driver: str | None) -> tuple[str, str]:
        """Decide on a known vehicle, write it down (with its passage when admitted), then lift
        the barrier. Raises when the record cannot be written: then it stays down."""
        now = self._now()
        held = self._held.get(driver) if driver is not None else None
        check = None
        if driver is not None:
            check = self.record.last_check_of(driver, now - self.rules.driver_check_max_age_s)
        if held is not None and self._lockdown():
            decision, reason = "deny", "lockdown"  # the admission stays held: lifted, it lets in
        elif held is not None and check is not None and check["event_id"] == held.check_id:
            decision, reason = "admit", "admitted"
        elif driver is None:
            decision, reason = "deny", "no_driver_waiting"
        elif check is not None and check["decision"] != "admit":
            decision, reason = "deny", "driver_denied"
        elif vehicle.source == "permit" and self._held:
            # a permit for a driver other than the one waiting does not admit the one waiting
            decision, reason = "deny", "permit_other_driver"
        elif check is None:
            decision, reason = "deny", "driver_not_screened"
        else:
            decision, reason = "deny", "admission_not_held"
        check_id = check["event_id"] if check is not None else None
        if decision == "admit" and held is not None:
            passage = self.passages.opening(held.check_id, "check", driver, now)
            self._write(vehicle, driver, check_id, decision, reason, now, passage)
            del self._held[held.driver]
            self._lift(passage)
            self._admission_over(True)
        else:
            self._write(vehicle, driver, check_id, decision, reason, now)
        return decision, reason

    def _newest_held(self) -> HeldAdmission | None:
        return next(reversed(self._held.values()), None)

    def _write_logged(self, vehicle: Vehicle, *args: Any) -> None:
        try:
            self._write(vehicle, *args)
        except Exception as exc:
            log.error("a vehicle cannot be recorded: %s", type(exc).__name__)

    def _write(
        self,
        vehicle: Vehicle,
        driver: str | None,
        check_id: str | None,
        decision: str,
        reason: str,
        now: float,
        passage: PassageRow | None = None,
    ) -> None:
        event_id = new_event_id()
        row = {
            "event_id": event_id,
            "at_s": now,
            "plate": vehicle.plate,
            "driver": driver,
            "purpose": vehicle.purpose,
            "decision": decision,
            "reason": reason,
            "driver_check_id": check_id,
            "by": vehicle.by,
            "command_id": vehicle.command_id,
            "source": vehicle.source,
        }
        messages = [self.messages.vehicle(event_id, now, row)]
        if passage is not None:
            messages.extend(self.passages.opened_messages(passage))
        # a driver whose vehicle never came holds their code no more
        ends_hold = check_id if reason == "no_vehicle" else None
        self.record.add_event(
            event_id,
            messages,
            now,
            table="vehicles",
            rows=[row],
            passage=passage,
            ends_hold_of=ends_hold,
        )


def _from_permit(permit: VehiclePermit) -> Vehicle:
    return Vehicle(permit.plate, permit.purpose, permit.issuer, "permit")
