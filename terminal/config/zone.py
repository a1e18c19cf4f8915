"""The gate's wiring and its zone: outputs, inputs, the exit side of a two-way gate, and the
zone's occupancy and anti-passback."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from terminal.config.base import (
    NAME_PATTERN,
    BcmPin,
    PlainText,
    Section,
)
from terminal.config.gate import CameraConfig


class OutputsConfig(Section):
    relay_pin: BcmPin = 17
    relay_active_high: bool = True
    relay_pulse_s: float = Field(default=0.5, gt=0.0, le=10.0)
    green_lamp_pin: BcmPin = 27
    red_lamp_pin: BcmPin = 22
    lamps_active_high: bool = True
    lamp_s: float = Field(default=2.0, gt=0.0, le=30.0)
    # the buzzer (or beacon) that calls security to the gate when someone is flagged
    buzzer_pin: BcmPin = 23
    buzzer_active_high: bool = True
    buzzer_s: float = Field(default=1.0, gt=0.0, le=30.0)

    @model_validator(mode="after")
    def _distinct_pins(self) -> OutputsConfig:
        pins = [self.relay_pin, self.green_lamp_pin, self.red_lamp_pin, self.buzzer_pin]
        if len(set(pins)) != len(pins):
            raise ValueError(f"relay, lamp and buzzer pins must differ, got {pins}")
        return self


InputPull = Literal["up", "down", "off"]
# the thermometer's I2C bus 1 (SDA, SCL): not for anything else
I2C_PINS = (2, 3)


class InputPin(Section):
    """One contact wired to a GPIO input: its pin, its active level and the pull resistor that
    sets its level when the contact is open ("off": the circuit has its own resistor)."""

    pin: BcmPin
    active_high: bool = False  # a contact to ground with the pull-up: closed reads low
    pull: InputPull = "up"
    # a new level must hold this long to be believed (contacts bounce for a few ms)
    debounce_ms: float = Field(default=20.0, ge=0.0, le=200.0)


class PassageInput(InputPin):
    """The turnstile's passage-complete output: after an admission the relay is held until the
    person has gone through, or until ``window_s``; then it is released."""

    window_s: float = Field(default=8.0, ge=1.0, le=60.0)
    # the contact closed this long with no pass open: stuck (a jammed arm, a shorted wire), a
    # fault until it opens, since no passage can be confirmed meanwhile
    stuck_after_s: float = Field(default=30.0, ge=5.0, le=600.0)


class FireAlarmInput(InputPin):
    """The fire alarm panel's contact. Wired fail-safe: the panel holds a normally closed contact
    closed while all is well; an alarm opens it, and so does a cut wire or a loose terminal, so
    an open circuit must read as the alarm."""

    active_high: bool = True  # open contact + pull-up = high = alarm
    debounce_ms: float = Field(default=50.0, ge=0.0, le=200.0)

    @model_validator(mode="after")
    def _open_circuit_is_alarm(self) -> FireAlarmInput:
        wanted = "up" if self.active_high else "down"
        if self.pull != wanted:
            raise ValueError(
                f"pull must be {wanted!r} with active_high = {str(self.active_high).lower()}: "
                "an open circuit (a cut wire) must read as the alarm"
            )
        return self


class StaffButtonInput(InputPin):
    """A button beside the turnstile that lets one person through. A button cannot type, so the
    reason written into the record for each press is set here."""

    reason: PlainText = Field(min_length=1, max_length=200)

    @field_validator("reason")
    @classmethod
    def _said(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the reason recorded for each press must not be blank")
        return value.strip()


class InputsConfig(Section):
    """Contacts the gate reads; each is optional (not wired: not configured)."""

    passage: PassageInput | None = None
    fire_alarm: FireAlarmInput | None = None
    staff_button: StaffButtonInput | None = None

    @property
    def pins(self) -> dict[str, int]:
        wired: dict[str, InputPin | None] = {
            "passage": self.passage,
            "fire_alarm": self.fire_alarm,
            "staff_button": self.staff_button,
        }
        return {name: wire.pin for name, wire in wired.items() if wire is not None}

    @model_validator(mode="after")
    def _distinct_pins(self) -> InputsConfig:
        pins = list(self.pins.values())
        if len(set(pins)) != len(pins):
            raise ValueError(f"input pins must differ, got {self.pins}")
        for name, pin in self.pins.items():
            if pin in I2C_PINS:
                raise ValueError(f"{name}.pin: {pin} is the thermometer's I2C bus (SDA/SCL)")
        return self


class ExitRelayConfig(Section):
    """The exit side's channel of the relay board: the release of the exit turnstile (or of the
    turnstile's way out)."""

    pin: BcmPin
    active_high: bool = True
    pulse_s: float = Field(default=0.5, gt=0.0, le=10.0)


class ExitSideConfig(Section):
    """The way out of a gate that serves both directions (``gate.direction = "both"``): its own
    reader and relay channel, and its own contacts where they are wired. Nobody is screened on
    the way out, so it has no thermometer; the fire alarm is the terminal's ([inputs])."""

    camera: CameraConfig
    relay: ExitRelayConfig
    passage: PassageInput | None = None
    staff_button: StaffButtonInput | None = None

    @property
    def pins(self) -> dict[str, int]:
        """The side's pins by their keys."""
        pins = {"exit_side.relay.pin": self.relay.pin}
        if self.passage is not None:
            pins["exit_side.passage.pin"] = self.passage.pin
        if self.staff_button is not None:
            pins["exit_side.staff_button.pin"] = self.staff_button.pin
        return pins


class ZoneConfig(Section):
    """The zone the gate's turnstile leads into (an entry gate) or out of (an exit gate).
    Occupancy counts from the gate's confirmed passages: an entry that went through +1, an exit
    -1, a pass not used nothing; without a passage contact an admission counts as passed."""

    name: str | None = Field(default=None, pattern=NAME_PATTERN)  # none: nothing counted
    # an entry into a zone holding this many waits (route ``wait``) until someone leaves
    capacity: int | None = Field(default=None, ge=1, le=1_000_000)
    # a second entry of a person who never left: refused (deny), or admitted and recorded
    anti_passback: Literal["off", "deny", "record_only"] = "off"
    # every gate of the zone (this one too): each reads the others' passages on the operations
    # link, so that occupancy and anti-passback hold across them
    gates: list[str] = Field(default_factory=list, max_length=64)
    # cut off from the others (the broker unreachable), the gate counts its own passages only
    # and says so; for capacity it then either goes on admitting up to capacity on what it knows
    # (count_own: fail-open, occupancy may be under-counted) or holds every entry with `wait`
    # until the link is back (hold_entries: fail-secure; the zone is never over capacity)
    cut_off: Literal["count_own", "hold_entries"] = "count_own"
    # how long the broker may be unreachable before the gate counts itself cut off
    cut_off_after_s: float = Field(default=30.0, ge=1.0, le=3600.0)

    @field_validator("gates")
    @classmethod
    def _gate_names(cls, gates: list[str]) -> list[str]:
        for index, gate in enumerate(gates):
            if not re.fullmatch(NAME_PATTERN, gate):
                raise ValueError(f"[{index}]: {gate!r} is not a gate id")
        if len(set(gates)) != len(gates):
            raise ValueError("a gate is listed twice")
        return gates

    @model_validator(mode="after")
    def _counted_in_a_zone(self) -> ZoneConfig:
        counted = self.capacity is not None or self.anti_passback != "off" or self.gates
        if self.name is None and counted:
            raise ValueError("zone.name: required for a capacity, anti_passback or gates")
        return self
