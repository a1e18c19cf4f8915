"""The composition root: a gate application from a config and a device factory.

``run`` (the service), ``simulate`` and the simulated zone all build their gates here, so a
simulated gate is the service's gate: the same record, publisher, commands, housekeeping and
worker's display, with the simulator's devices in place of the Pi's."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from terminal.app.housekeeping import ClockTrust, Housekeeping, Schedule, guarded
from terminal.config import Config
from terminal.devices import DeviceFactory, Devices
from terminal.display.state import DisplayState
from terminal.gate.lane import Gate
from terminal.gate.sides import BothWays
from terminal.link.commands import CommandContext, CommandDesk, CommandRegistry, standard_registry
from terminal.link.publisher import Publisher
from terminal.link.topics import Messages, new_event_id
from terminal.link.zonelink import peer_passage_topics, peer_status_topics
from terminal.record.store import CheckRow, Record
from terminal.rules.policy import Decision
from terminal.rules.roster import Roster, RosterFiles
from terminal.state import GateState

if TYPE_CHECKING:
    from terminal.display.server import DisplayServer

log = logging.getLogger(__name__)
OnCheck = Callable[[CheckRow, Decision], None]
Inbox = queue.Queue[tuple[str, bytes]]


@dataclass
class GateApp:
    """A gate application, built and not yet started: ``start``, then ``step`` as often as the
    gate should look (the service in a loop, the simulator on its simulated clock), then
    ``stop``."""

    config: Config
    devices: Devices
    record: Record
    state: GateState
    messages: Messages
    publisher: Publisher | None  # None: a simulated gate without a broker
    gate: Gate | BothWays
    desk: CommandDesk | None
    housekeeping: Housekeeping
    schedule: Schedule
    roster_files: RosterFiles | None  # None: a fixed roster (a simulated crowd)
    display: DisplayState | None
    display_server: DisplayServer | None = None

    @property
    def sides(self) -> tuple[Gate, ...]:
        return self.gate.sides if isinstance(self.gate, BothWays) else (self.gate,)

    def start(self) -> None:
        log.info(
            "gate %s/%s running: %s on the roster, %d events waiting to be sent",
            self.config.gate.park,
            self.config.gate.id,
            self.gate.roster.describe(),
            self.record.count_unsent(),
        )
        if self.config.mqtt.insecure_plaintext:
            # said at every start, so that a plaintext link chosen once is never forgotten
            log.warning(
                "mqtt.insecure_plaintext: the link to the broker is not encrypted: person ids and "
                "temperatures cross the network in clear (%s)",
                self.config.source,
            )
        if self.publisher is not None:
            self.publisher.start()

    def step(self) -> None:
        """One look: the chores that are due, a changed roster, the gate, the centre's
        commands."""
        self.housekeep()
        self.reload_roster()
        self.gate.poll()
        self.take_commands()

    def housekeep(self) -> None:
        now_s = self.devices.clock.time()
        if self.schedule.purge_due():
            guarded(self.housekeeping.purge, now_s)
        if self.schedule.chores_due():
            guarded(self.housekeeping.run, now_s)

    def reload_roster(self, now_please: bool = False) -> None:
        """A new roster, wholly valid, counts from the next check on."""
        if self.roster_files is not None and self.roster_files.refresh(now_please=now_please):
            self.gate.roster = self.roster_files.current

    def take_commands(self, inbox: Inbox | None = None) -> None:
        """Run the centre's commands waiting in ``inbox`` (default: the publisher's)."""
        if self.desk is None or self.publisher is None:
            return
        guarded(self.desk.run_pending, self.publisher.commands if inbox is None else inbox)

    def stop(self, flush_timeout_s: float | None = 5.0) -> None:
        """Close everything; the outbox is given ``flush_timeout_s`` to drain first (None: the
        caller drained it already, or does not wait)."""
        self.gate.close()
        if self.display_server is not None:
            self.display_server.stop()
        if self.publisher is not None:
            if flush_timeout_s is not None:
                self.publisher.flush(timeout_s=flush_timeout_s)
            self.publisher.stop()
        # the uptime up to this stop (the heartbeat writes only on change while running)
        guarded(self.housekeeping.heartbeat, self.devices.clock.time(), True)
        self.devices.close()
        self.record.close()

    def run_until(self, stop: threading.Event) -> None:
        """The service: step until asked to stop, then close everything."""
        self.start()
        try:
            while not stop.is_set():
                self.step()
        finally:
            self.stop()


def build_gate(
    config: Config,
    factory: DeviceFactory,
    *,
    roster: Roster | None = None,
    record_path: Path | None = None,
    connect: bool = True,
    on_check: OnCheck | None = None,
    display_for: Callable[[GateState], DisplayState | None] | None = None,
    ticks: Callable[[], float] | None = None,
    mark_simulated: bool = False,
    own_session: bool = False,
) -> GateApp:
    """A gate application from ``config`` and ``factory``, in the order a gate comes up.

    ``roster``: a fixed roster (a simulated crowd's); default: the config's roster files,
    reloaded when they change (a broken file raises ``RosterError`` before anything opens).
    ``record_path``: default the config's. ``connect``: False for a gate with no broker (its
    events wait in the record). ``on_check``: told of every check as it is recorded.
    ``display_for``: makes the worker's display from the gate's state (default: the config's
    display, served by the gate itself). ``ticks``: the clock the chores are scheduled by
    (default: the devices' clock). ``mark_simulated``: the record is a simulation's, not a
    real gate's. ``own_session``: the broker session is this start's alone (a simulation's
    gate, whose record is new each run, must not take over the session, and the queued
    passages, an earlier run of the same gate left on the broker)."""
    # 1. the roster, checked before any device opens: a broken file is a config error
    roster_files = RosterFiles(config) if roster is None else None
    people = roster_files.current if roster_files is not None else roster
    assert people is not None
    # 2. the devices
    devices = factory.open_devices(config, people)
    # 3. the record, this start written into it, and the state it keeps across starts
    record = Record(record_path or config.resolved(config.record.path))
    if mark_simulated:
        record.mark_simulated()
    boot_id = new_event_id()
    record.start_boot(boot_id, devices.clock.time())
    state = GateState.restore(config, record)
    state.board = devices.board
    # 4. the messages it sends and the link that carries them
    messages = Messages(
        config.gate.park,
        config.gate.id,
        boot_id=boot_id,
        timezone=config.gate.timezone,
        clock_synced=devices.clock.synchronised,
    )
    # the gate's login, park/id: two parks' gate north-1 never take each other's session
    client_id = config.gate.broker_username
    if own_session:
        client_id = f"{client_id}-{boot_id[:8]}"
    publisher = _publisher(config, record, messages, state, client_id) if connect else None
    # 5. the worker's display, and the gate: a side for each way it serves
    display = worker_display(config, state) if display_for is None else display_for(state)
    gate = (BothWays if config.gate.direction == "both" else Gate)(
        config=config,
        devices=devices,
        record=record,
        roster=people,
        publisher=publisher,
        state=state,
        messages=messages,
        display=display,
        on_check=on_check,
    )
    app = GateApp(
        config=config,
        devices=devices,
        record=record,
        state=state,
        messages=messages,
        publisher=publisher,
        gate=gate,
        desk=None,
        housekeeping=Housekeeping(
            config,
            record,
            publisher,
            messages,
            state,
            boot_id,
            ClockTrust(devices.clock.synchronised, ticks or devices.clock.time),
        ),
        schedule=Schedule(ticks or devices.clock.time),
        roster_files=roster_files,
        display=display,
    )
    # 6. the centre's commands, 7. the display's page
    if publisher is not None:
        app.desk = _command_desk(app)
    if display_for is None:
        app.display_server = start_display_server(config, display)
    return app


def _publisher(
    config: Config, record: Record, messages: Messages, state: GateState, client_id: str
) -> Publisher:
    return Publisher(
        record,
        config.mqtt,
        topics=messages.topics,
        client_id=client_id,
        state=state,
        boot_id=messages.boot_id,
        config_file=config.source,
        commands=True,
        peer_passages=peer_passage_topics(config),
        peer_statuses=peer_status_topics(config),
    )


def command_registry(gate: Gate | BothWays) -> CommandRegistry:
    """The commands a gate takes: the standard ones, and its desks'."""
    registry = standard_registry()
    gate.secondary.register(registry)  # the guard's clinical reading of a flagged person
    gate.vehicles.register(registry)  # the guard's vehicles at a vehicle gate
    return registry


def _command_desk(app: GateApp) -> CommandDesk:
    assert app.publisher is not None
    return CommandDesk(
        command_registry(app.gate),
        app.config.commands,
        CommandContext(
            config=app.config,
            state=app.state,
            record=app.record,
            messages=app.messages,
            now=app.devices.clock.time,
            open_once=app.gate.open_once,
            reload_roster=lambda: app.reload_roster(now_please=True),
            changed=app.publisher.publish_status,
            clock_synced=app.devices.clock.synchronised,
        ),
    )


def worker_display(config: Config, state: GateState) -> DisplayState | None:
    if not config.display.enabled:
        return None
    return DisplayState(
        language=config.display.language,
        answer_s=config.display.answer_s,
        isolation_room=config.secondary.isolation_room,
        isolation_location=config.secondary.isolation_location,
        conditions=state,
        rest_area=config.screening.rest_area,
        rest_min=config.screening.rest_min,
        timezone=config.gate.timezone,
    )


def start_display_server(config: Config, display: DisplayState | None) -> DisplayServer | None:
    """The page's server in its own thread; if it cannot run, it says so once and the gate
    checks people all the same."""
    if display is None:
        return None
    try:
        from terminal.display.server import DisplayServer

        server = DisplayServer(display, config.display.host, config.display.port)
        if not server.start():
            return None
    except Exception as exc:
        log.error("the worker's display cannot start: %s; the gate runs on", type(exc).__name__)
        return None
    log.info("the worker's display is at %s", server.address)
    return server
