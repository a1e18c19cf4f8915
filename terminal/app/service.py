"""The gate service: devices from config, the record, the publisher, the centre's commands, the
daily report, and the gate loop until asked to stop."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from drivers.camera import CameraError
from terminal.app.daily import DailyReporter
from terminal.app.devices import DeviceError, Devices, build_pi_devices
from terminal.config import Config
from terminal.display.state import DisplayState
from terminal.gate.lane import Gate
from terminal.gate.sides import BothWays
from terminal.gate.state import GateState
from terminal.link.commands import CommandContext, CommandDesk, standard_registry
from terminal.link.publisher import Publisher
from terminal.link.topics import Messages, new_event_id
from terminal.link.zonelink import peer_passage_topics, peer_status_topics
from terminal.record.boots import boots_so_far
from terminal.record.fault import record_fault
from terminal.record.store import Record
from terminal.rules.roster import Roster, RosterError, RosterFiles

if TYPE_CHECKING:
    from terminal.display.server import DisplayServer

log = logging.getLogger(__name__)
PURGE_EVERY_S = 3600.0
HOUSEKEEPING_EVERY_S = 30.0  # uptime, status, metrics, backlog limit, the daily report


def simulated_run_config(config: Config, run_number: int) -> Config:
    """The simulated service lives in today's wall-clock time: its crowd starts arriving a few
    seconds after the start, not on the config's sample date."""
    zone = ZoneInfo(config.gate.timezone)
    now = datetime.now(zone).replace(microsecond=0, tzinfo=None)
    simulator = config.simulator.model_copy(
        update={"shift_start": now.isoformat(), "seed": config.simulator.seed + run_number}
    )
    return config.model_copy(update={"simulator": simulator})


def _devices(config: Config, roster: Roster, run_number: int) -> Devices:
    if config.gate.hardware == "pi":
        return build_pi_devices(config)
    from simulator.crowd import crowd_from_roster, crowd_mix
    from simulator.rig import build_rig

    # the service runs in step with the wall clock, as a real gate would (dashboards see events
    # at the pace they happen; signed commands expire by it); the crowd is the people on the
    # configured roster (and a few strangers), so a park rehearses with its own; each start
    # brings a crowd of its own, so a restart does not replay the same crowd into the record
    config = simulated_run_config(config, run_number)
    sim = config.simulator
    mix = crowd_mix(config)
    people = crowd_from_roster(roster, sim.workers, sim.seed, mix)
    rig = build_rig(config, people, seed=sim.seed, real_time=True, switched_on_before_s=2.0)
    return rig.devices()


class Housekeeping:
    """What the service does every half minute besides checking people."""

    def __init__(
        self,
        config: Config,
        record: Record,
        publisher: Publisher,
        messages: Messages,
        state: GateState,
        boot_id: str,
    ) -> None:
        self.config = config
        self.record = record
        self.publisher = publisher
        self.messages = messages
        self.state = state
        self.boot_id = boot_id
        self.reporter = DailyReporter(config, record, messages)
        self._started_monotonic = time.monotonic()

    def run(self, now_s: float) -> None:
        self.record.alive(self.boot_id, now_s)
        self._backlog_limit(now_s)
        self.reporter.send_due(now_s)
        self.publisher.publish_status()
        self.publisher.publish_metrics(
            sent_total=self.record.count_sent(),
            checks_since_boot=self.record.checks_added,
            uptime_s=round(time.monotonic() - self._started_monotonic, 1),
        )

    def _backlog_limit(self, now_s: float) -> None:
        """An outbox past its limit is a fault the centre is told of; nothing is dropped."""
        limit = self.config.mqtt.max_backlog
        backlog = self.record.count_unsent()
        self.state.backlog = backlog
        over = "backlog_over_limit" in self.state.faults
        if backlog > limit and not over:
            detail = f"{backlog} messages wait to be sent (limit {limit}); none are dropped"
            log.error("outbox backlog %d is over its limit %d; nothing is dropped", backlog, limit)
            self.state.faults["backlog_over_limit"] = detail
            self._fault_event("backlog_over_limit", True, detail, now_s)
        elif backlog <= limit and over:
            del self.state.faults["backlog_over_limit"]
            log.warning("outbox backlog %d is within its limit again", backlog)
            self._fault_event("backlog_over_limit", False, f"{backlog} waiting", now_s)

    def _fault_event(self, kind: str, active: bool, detail: str, now_s: float) -> None:
        record_fault(self.record, self.messages, kind, active, detail, now_s)
        self.publisher.publish_status()


def run_service(config: Config, stop: threading.Event) -> int:
    record_path = config.resolved(config.record.path)
    try:
        roster_files = RosterFiles(config)
    except RosterError as exc:
        # like a config error: one line, the file and line to fix, before the gate starts
        print(f"gate-terminal: {exc}", file=sys.stderr)
        return 2
    roster = roster_files.current
    try:
        simulated = config.gate.hardware == "simulated"
        devices = _devices(config, roster, boots_so_far(record_path) if simulated else 0)
    except (DeviceError, CameraError) as exc:
        log.error("%s", exc)
        return 2
    record = Record(record_path)
    boot_id = new_event_id()
    record.start_boot(boot_id, time.time())
    state = GateState.restore(config, record)
    messages = Messages(
        config.gate.park,
        config.gate.id,
        boot_id=boot_id,
        timezone=config.gate.timezone,
        clock_synced=devices.clock.synchronised,
    )
    publisher = Publisher(
        record,
        config.mqtt,
        topics=messages.topics,
        # the gate's login, park/id: two parks' gate north-1 never take each other's session
        client_id=config.gate.broker_username,
        state=state,
        boot_id=boot_id,
        config_file=config.source,
        commands=True,
        peer_passages=peer_passage_topics(config),
        peer_statuses=peer_status_topics(config),
    )
    display = _worker_display(config, state)
    # a gate that serves both directions runs a side for each: the display shows the way in
    gate = (BothWays if config.gate.direction == "both" else Gate)(
        config=config,
        devices=devices,
        record=record,
        roster=roster,
        publisher=publisher,
        state=state,
        messages=messages,
        display=display,
    )
    display_server = _start_display_server(config, display)

    def reload_roster() -> None:
        if roster_files.refresh(now_please=True):
            gate.roster = roster_files.current

    registry = standard_registry()
    gate.secondary.register(registry)  # the guard's clinical reading of a flagged person
    gate.vehicles.register(registry)  # the guard's vehicles at a vehicle gate
    desk = CommandDesk(
        registry,
        config.commands,
        CommandContext(
            config=config,
            state=state,
            record=record,
            messages=messages,
            now=devices.clock.time,
            open_once=gate.open_once,
            reload_roster=reload_roster,
            changed=publisher.publish_status,
            clock_synced=devices.clock.synchronised,
        ),
    )
    housekeeping = Housekeeping(config, record, publisher, messages, state, boot_id)
    log.info(
        "gate %s/%s running: %s on the roster, %d events waiting to be sent",
        config.gate.park,
        config.gate.id,
        roster.describe(),
        record.count_unsent(),
    )
    if config.mqtt.insecure_plaintext:
        # said at every start, so that a plaintext link chosen once is never forgotten
        log.warning(
            "mqtt.insecure_plaintext: the link to the broker is not encrypted: person ids and "
            "temperatures cross the network in clear (%s)",
            config.source,
        )
    publisher.start()
    next_purge = next_housekeeping = 0.0
    try:
        while not stop.is_set():
            if time.monotonic() >= next_purge:
                _guarded(_purge, config, record)
                next_purge = time.monotonic() + PURGE_EVERY_S
            if time.monotonic() >= next_housekeeping:
                _guarded(housekeeping.run, time.time())
                next_housekeeping = time.monotonic() + HOUSEKEEPING_EVERY_S
            if roster_files.refresh():  # a new roster, wholly valid: from the next check on
                gate.roster = roster_files.current
            gate.poll()
            _guarded(desk.run_pending, publisher.commands)
    finally:
        gate.close()
        if display_server is not None:
            display_server.stop()
        publisher.flush(timeout_s=5)
        publisher.stop()
        devices.close()
        record.close()
    return 0


def _worker_display(config: Config, state: GateState) -> DisplayState | None:
    if not config.display.enabled:
        return None
    return DisplayState(
        language=config.display.language,
        answer_s=config.display.answer_s,
        isolation_room=config.secondary.isolation_room,
        isolation_location=config.secondary.isolation_location,
        conditions=state,
    )


def _start_display_server(config: Config, display: DisplayState | None) -> DisplayServer | None:
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


def _purge(config: Config, record: Record) -> None:
    purged = record.purge_before(time.time() - config.record.retention_days * 86400)
    if purged:
        log.info(
            "retention: forgot %d checks older than %d days", purged, config.record.retention_days
        )


def _guarded(step: Callable[..., object], *args: object) -> None:
    """A step that fails (a full disk, say) is logged, never a crash and restart loop: the gate
    keeps answering people, shut while it cannot write its record."""
    try:
        step(*args)
    except Exception as exc:
        log.error("%s failed: %s", getattr(step, "__qualname__", "step"), type(exc).__name__)
