"""The gate service: devices from config, the record, the publisher, and the gate loop until
asked to stop."""

from __future__ import annotations

import logging
import threading
import time

from drivers.camera import CameraError
from terminal.commands import CommandInbox
from terminal.config import Config
from terminal.devices import DeviceError, Devices, build_pi_devices
from terminal.gate import Gate
from terminal.publisher import Publisher
from terminal.record import Record
from terminal.roster import Roster, RosterError, RosterFiles
from terminal.topics import GateTopics

log = logging.getLogger(__name__)
PURGE_EVERY_S = 3600.0


def _devices(config: Config, roster: Roster) -> Devices:
    if config.gate.hardware == "pi":
        return build_pi_devices(config)
    from simulator.crowd import CrowdMix, crowd_from_roster
    from simulator.rig import build_rig

    # the service runs in step with the wall clock, as a real gate would (dashboards see events
    # at the pace they happen), starting a moment before the configured shift; the crowd is the
    # people on the configured roster (and a few strangers), so a park rehearses with its own
    sim = config.simulator
    mix = CrowdMix(arrival_window_s=sim.arrival_window_s)
    people = crowd_from_roster(roster, sim.workers, sim.seed, mix)
    rig = build_rig(config, people, seed=sim.seed, real_time=True, switched_on_before_s=2.0)
    return rig.devices()


def run_service(config: Config, stop: threading.Event) -> int:
    try:
        roster_files = RosterFiles(config)
        roster = roster_files.current
        devices = _devices(config, roster)
    except (DeviceError, RosterError, CameraError) as exc:
        log.error("%s", exc)
        return 2
    record = Record(config.resolved(config.record.path))
    publisher = Publisher(
        record,
        config.mqtt,
        topics=GateTopics(config.gate.park, config.gate.id),
        client_id=f"gate-{config.gate.park}-{config.gate.id}",
        inbox=CommandInbox(),
    )
    gate = Gate(
        config=config,
        devices=devices,
        record=record,
        roster=roster,
        publisher=publisher,
    )
    log.info(
        "gate %s/%s running: %s on the roster, %d events waiting to be sent",
        config.gate.park,
        config.gate.id,
        roster.describe(),
        record.count_unsent(),
    )
    publisher.start()
    next_purge = 0.0
    try:
        while not stop.is_set():
            if time.monotonic() >= next_purge:
                cutoff = time.time() - config.record.retention_days * 86400
                purged = record.purge_before(cutoff)
                if purged:
                    log.info(
                        "retention: forgot %d checks older than %d days",
                        purged,
                        config.record.retention_days,
                    )
                next_purge = time.monotonic() + PURGE_EVERY_S
            if roster_files.refresh():  # a new roster, wholly valid: from the next check on
                gate.roster = roster_files.current
            gate.poll()
    finally:
        gate.close()
        publisher.flush(timeout_s=5)
        publisher.stop()
        devices.close()
        record.close()
    return 0
