"""The SD card: the heartbeat that marks the service alive (the daily report's uptime) writes the
record only when something changed, not every half minute; the journal is capped."""

from __future__ import annotations

import configparser
import sqlite3
from pathlib import Path

from simulator.factory import SimulatedDevices
from simulator.rig import build_rig
from terminal.app.build import build_gate
from terminal.app.housekeeping import ALIVE_IDLE_S, HOUSEKEEPING_EVERY_S, Housekeeping
from terminal.config import load
from terminal.link.topics import Messages
from terminal.record.store import Record
from terminal.state import GateState
from tests.conftest import make_config
from tests.support.publishing import add_checks, topics

REPO = Path(__file__).resolve().parent.parent
T0 = 1_795_000_000.0  # a Monday in 2026, 06:xx in Asia/Shanghai: no daily report due


def writes_of(record: Record) -> list[str]:
    """The statements that change the record, as SQLite runs them from now on."""
    seen: list[str] = []

    def trace(statement: str) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE", "REPLACE"}:
            seen.append(statement)

    record.db.conn.set_trace_callback(trace)
    return seen


class Station:
    """A gate's record, state and messages, without a broker."""

    def __init__(self, tmp_path: Path) -> None:
        self.config = make_config(tmp_path, report={"daily_at": "23:55"})
        self.record = Record(tmp_path / "record.sqlite")
        self.state = GateState.restore(self.config, self.record)
        self.messages = Messages(
            self.config.gate.park,
            self.config.gate.id,
            boot_id="boot-test-1",
            timezone=self.config.gate.timezone,
        )


def idle_station(tmp_path: Path) -> tuple[Station, Housekeeping]:
    station = Station(tmp_path)
    station.record.start_boot("boot-test-1", T0)
    chores = Housekeeping(
        station.config, station.record, None, station.messages, station.state, "boot-test-1"
    )
    return station, chores


def test_an_idle_gate_writes_nothing_for_a_quarter_of_an_hour(tmp_path: Path) -> None:
    station, chores = idle_station(tmp_path)
    writes = writes_of(station.record)
    steps = int(ALIVE_IDLE_S // HOUSEKEEPING_EVERY_S)  # the chores of a quarter of an hour
    for k in range(steps):
        chores.run(T0 + k * HOUSEKEEPING_EVERY_S)
    assert writes == []  # nothing changed: no commit to the card
    chores.run(T0 + ALIVE_IDLE_S)
    assert len(writes) == 1 and "UPDATE boots SET alive_s" in writes[0]
    assert station.record.uptime_s(T0, T0 + 86400) == ALIVE_IDLE_S


def test_a_day_of_idle_chores_commits_96_heartbeats_not_2880(tmp_path: Path) -> None:
    station, chores = idle_station(tmp_path)
    writes = writes_of(station.record)
    chores_a_day = int(86400 / HOUSEKEEPING_EVERY_S)
    for k in range(chores_a_day):
        chores.run(T0 + k * HOUSEKEEPING_EVERY_S)
    heartbeats = [w for w in writes if "UPDATE boots" in w]
    assert chores_a_day == 2880
    # a quarter-hourly heartbeat, and one more before the daily report at 23:55
    assert len(heartbeats) <= 86400 / ALIVE_IDLE_S + 1
    assert len(heartbeats) >= 86400 / ALIVE_IDLE_S - 1


def test_the_heartbeat_follows_what_the_gate_recorded(tmp_path: Path) -> None:
    station, chores = idle_station(tmp_path)
    chores.run(T0)
    writes = writes_of(station.record)
    chores.run(T0 + 30)
    assert writes == []
    add_checks(station.record, topics("sd"), 1)  # a check: the record changed anyway
    writes.clear()
    chores.run(T0 + 60)
    assert [w for w in writes if "UPDATE boots" in w]  # the uptime keeps up with the checks
    writes.clear()
    chores.run(T0 + 90)
    assert writes == []  # and nothing since
    assert station.record.uptime_s(T0, T0 + 86400) == 60


def test_a_report_due_and_a_clean_stop_write_the_uptime_up_to_now(tmp_path: Path) -> None:
    station, chores = idle_station(tmp_path)
    chores.run(T0)
    assert chores.heartbeat(T0 + 60) is False  # nothing changed
    assert chores.heartbeat(T0 + 60, force=True) is True
    assert station.record.uptime_s(T0, T0 + 86400) == 60

    config = load(REPO / "config" / "simulator.toml")
    record = tmp_path / "simulated.sqlite"
    config = config.model_copy(
        update={"record": config.record.model_copy(update={"path": str(record)})}
    )
    rig = build_rig(config, [], seed=1)
    app = build_gate(
        rig.config,
        SimulatedDevices(rig),
        roster=rig.roster,
        record_path=record,
        connect=False,
        display_for=lambda _state: None,
    )
    try:
        started_s = rig.clock.time()
        app.step()
        rig.clock.sleep(120.0)  # idle: the chores ran, the heartbeat did not write
        app.step()
        with sqlite3.connect(record) as reading:
            ((alive,),) = reading.execute("SELECT alive_s FROM boots").fetchall()
        assert alive == started_s
        stopped_s = rig.clock.time()
    finally:
        app.stop(flush_timeout_s=None)
    with sqlite3.connect(record) as reading:
        ((alive,),) = reading.execute("SELECT alive_s FROM boots").fetchall()
    assert alive == stopped_s  # the stop wrote the uptime up to itself


def test_the_journal_is_capped() -> None:
    drop_in = REPO / "systemd" / "journald.conf.d" / "gate-terminal.conf"
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(drop_in, encoding="utf-8")
    journal = parser["Journal"]
    assert journal["SystemMaxUse"] == "64M" and journal["SystemKeepFree"]
    assert journal["MaxRetentionSec"] and journal["SyncIntervalSec"] == "5m"
