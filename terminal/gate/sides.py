"""A gate that serves both directions (``gate.direction = "both"``): the way in and the way out
of one passage, each with its own reader and relay channel, run by one terminal.

Each side is a :class:`~terminal.gate.lane.Gate` of one direction, polled in turn in one
thread. They share the record, the publisher, the gate's state and the zone link: a passage one
side writes is what the other side decides on next, so anti-passback, ``not_inside`` and
occupancy hold between them as between the gates of a zone.

What belongs to whom: the thermometer, the distance sensor, the worker's display, the lamps and
the buzzer are the way in's (nobody is screened on the way out; a person refused there sees the
turnstile stay shut, and the refusal reaches the centre as every check does). The fire alarm is
the terminal's: it frees both turnstiles. The staff button of [inputs] and the centre's
``open_once`` command open the way in; [exit_side.staff_button] opens the way out.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Required, TypedDict, Unpack

from terminal.config import Config, InputsConfig
from terminal.devices import DeviceError, Devices, Outputs, Unwired
from terminal.display.state import DisplayState
from terminal.gate.lane import Gate
from terminal.gate.secondary import SecondaryDesk
from terminal.gate.turnstile import Turnstile
from terminal.gate.vehicles import VehicleDesk
from terminal.link.publisher import Publisher
from terminal.link.topics import Messages
from terminal.record.store import CheckRow, Record
from terminal.rules.policy import Decision
from terminal.rules.roster import Roster
from terminal.state import GateState

# the status's fault while the way out's camera gives no frames
EXIT_CAMERA_FAULT = "camera_fault"


class NoPresenceSensor:
    """The way out has no distance sensor: whether someone stands there cannot be told, so a
    code (readable or not) starts an approach there, and its going ends it."""

    def distance_cm(self) -> float | None:
        raise OSError(errno.ENODEV, "the way out has no presence sensor")


def entry_config(config: Config) -> Config:
    """The way in: the config as it is, one direction."""
    gate = config.gate.model_copy(update={"direction": "entry"})
    return config.model_copy(update={"gate": gate})


def exit_config(config: Config) -> Config:
    """The way out: its own camera, relay channel and contacts in the places a one-way exit
    gate reads them from."""
    side = config.exit_side
    if side is None:
        raise DeviceError(f'{config.source}: exit_side: required with gate.direction = "both"')
    gate = config.gate.model_copy(update={"direction": "exit"})
    outputs = config.outputs.model_copy(
        update={
            "relay_pin": side.relay.pin,
            "relay_active_high": side.relay.active_high,
            "relay_pulse_s": side.relay.pulse_s,
        }
    )
    inputs = InputsConfig(passage=side.passage, staff_button=side.staff_button)
    # vehicles are entered on the way in; the way out lets them go
    vehicles = config.vehicles.model_copy(update={"enabled": False})
    return config.model_copy(
        update={
            "gate": gate,
            "camera": side.camera,
            "outputs": outputs,
            "inputs": inputs,
            "vehicles": vehicles,
        }
    )


def exit_devices(devices: Devices) -> Devices:
    side = devices.exit_side
    if side is None:
        raise DeviceError('gate.direction = "both" but the way out has no devices')
    return Devices(
        camera=side.camera,
        decoder=side.decoder,
        # never read: the way out identifies people, it does not screen them
        thermometer=devices.thermometer,
        outputs=Outputs(relay=side.relay, green_lamp=Unwired(), red_lamp=Unwired()),
        clock=devices.clock,
        distance=NoPresenceSensor(),
        inputs=side.inputs,  # its passage contact and staff button
    )


class FreedTogether:
    """The fire alarm's hold on the way in frees the way out in the same instant."""

    def __init__(self, *turnstiles: Turnstile) -> None:
        self.turnstiles = turnstiles

    def hold(self, holder: str) -> None:
        for turnstile in self.turnstiles:
            turnstile.hold(holder)

    def let_go(self, holder: str) -> None:
        for turnstile in self.turnstiles:
            turnstile.let_go(holder)


class Shared(TypedDict, total=False):
    """What the two sides of a gate share."""

    record: Required[Record]
    roster: Required[Roster]
    publisher: Publisher | None
    on_check: Callable[[CheckRow, Decision], None] | None
    state: GateState | None
    messages: Messages | None


class BothWays:
    """The two sides of a gate that serves both directions, polled in turn."""

    def __init__(
        self,
        *,
        config: Config,
        devices: Devices,
        display: DisplayState | None = None,
        **shared: Unpack[Shared],
    ) -> None:
        """``display``: the worker's display, which shows the way in; ``shared``: what both
        sides share, as :class:`~terminal.gate.lane.Gate` takes it."""
        # both turnstiles first: the fire alarm (the way in's input) frees them together
        entry_turnstile = Turnstile(devices.outputs.relay)
        exit_devs = exit_devices(devices)
        exit_turnstile = Turnstile(exit_devs.outputs.relay)
        self.entry = Gate(
            config=entry_config(config),
            devices=devices,
            display=display,
            turnstile=entry_turnstile,
            fire_frees=FreedTogether(entry_turnstile, exit_turnstile),
            **shared,
        )
        # one state and one voice (the gate's id, its boot) for both, made by the way in if
        # they were not given
        shared["state"], shared["messages"] = self.entry.state, self.entry.messages
        self.state = self.entry.state
        self.exit = Gate(
            config=exit_config(config),
            devices=exit_devs,
            turnstile=exit_turnstile,
            # one zone link: the zone's other gates are heard once, and a cut-off said once
            zone_link=self.entry.zone_link,
            # the status's camera (and the worker's display) go by the way in's camera; the
            # way out's is a fault of the gate
            camera_health=self._exit_camera_health,
            **shared,
        )

    def _exit_camera_health(self, ok: bool) -> None:
        faults = self.state.faults
        if ok == (EXIT_CAMERA_FAULT not in faults):
            return
        if ok:
            del faults[EXIT_CAMERA_FAULT]
        else:
            faults[EXIT_CAMERA_FAULT] = "the way out's camera gives no frames: its codes go unread"
        publisher = self.entry.publisher
        if publisher is not None:
            publisher.publish_status()

    @property
    def sides(self) -> tuple[Gate, Gate]:
        return self.entry, self.exit

    @property
    def roster(self) -> Roster:
        return self.entry.roster

    @roster.setter
    def roster(self, roster: Roster) -> None:
        for side in self.sides:
            side.roster = roster

    @property
    def vehicles(self) -> VehicleDesk:
        """At a vehicle gate, vehicles are entered on the way in."""
        return self.entry.vehicles

    @property
    def secondary(self) -> SecondaryDesk:
        """The guard's desk: people are flagged on the way in only."""
        return self.entry.secondary

    def open_once(
        self, reason: str, by: str, command_id: str | None = None, source: str = "command"
    ) -> str:
        """The centre's ``open_once`` lets one person in."""
        return self.entry.open_once(reason, by, command_id, source)

    def hear_zone(self, now: float) -> None:
        """The zone's other gates heard, once for both sides (they share the link)."""
        self.entry.hear_zone(now)

    def poll(self) -> list[CheckRow]:
        """One look at each side, a whole check where someone new is in front; never raises."""
        rows = [side.poll() for side in self.sides]
        return [row for row in rows if row is not None]

    def close(self) -> None:
        for side in self.sides:
            side.close()
