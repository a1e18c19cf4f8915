"""The roster at the gate, end to end: simulated people with real QR codes, the real drivers on
the twins, a real SQLite record; and a new roster file taken by the running gate and service."""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from simulator.broker import PrivateBroker
from simulator.crowd import CrowdMix, SimPerson, crowd_from_roster, random_crowd
from simulator.rig import build_rig, shift_start_epoch
from simulator.runner import run_simulation
from terminal.app.service import run_service
from terminal.cli.hardware import device_factory
from terminal.config import Config
from terminal.gate.lane import Gate
from terminal.record.store import Record
from terminal.rules.roster import Roster, RosterFiles, Visitor, load_roster
from tests.conftest import make_config
from tests.support.people import person as gate_person
from tests.support.roster_gates import WORKERS_HEADER, count_checks, run_until_done


def person(pid: str, arrival_s: float, code: str = "green", **extra: object) -> SimPerson:
    return gate_person(pid, arrival_s, code, **extra)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """About the roster, not the estimator: each forehead is judged on its own."""
    return make_config(tmp_path)


def test_each_roster_problem_is_a_refusal_with_its_own_reason(
    config: Config, tmp_path: Path
) -> None:
    crowd = [
        person("A-valid", 0),
        person("B-expired", 3, nat="expired"),
        person("C-positive", 6, nat="positive"),
        person("D-missing", 9, nat="missing"),
        person("E-late", 12, in_shift=False),
        person("F-stranger", 15, registered=False),
        person("G-visiting", 18, registered=False),
        person("H-visit-over", 21, registered=False),
        person("I-positive-red", 24, nat="positive", code="red"),
    ]
    rig = build_rig(config, crowd)
    start = shift_start_epoch(config)
    visitors = [
        Visitor("G-visiting", "G", "Host", start - 3600, start + 3600),
        Visitor("H-visit-over", "H", "Host", start - 7200, start - 60),
    ]
    record = Record(tmp_path / "r.sqlite")
    gate = Gate(
        config=rig.config,
        devices=rig.devices(),
        record=record,
        roster=Roster([*rig.roster.workers(), *visitors]),
    )
    run_until_done(gate, rig)
    outcome = {c["person_id"]: (c["decision"], c["reason"], c["route"]) for c in record.checks()}
    assert outcome == {
        "A-valid": ("admit", "admitted", "through"),
        "B-expired": ("deny", "nat_expired", "aside"),
        "C-positive": ("deny", "nat_positive", "isolation_room"),
        "D-missing": ("deny", "nat_missing", "aside"),
        "E-late": ("deny", "shift_early", "aside"),  # their window is later
        "F-stranger": ("deny", "unregistered", "aside"),
        "G-visiting": ("admit", "admitted", "through"),
        "H-visit-over": ("deny", "visit_outside", "aside"),
        "I-positive-red": ("deny", "nat_positive", "isolation_room"),
    }
    alerts = [json.loads(m["payload"])["data"] for m in record.outbox() if "/alert/" in m["topic"]]
    assert sorted((a["kind"], a["person_id"], a["route"]) for a in alerts) == [
        ("nat_positive", "C-positive", "isolation_room"),
        ("nat_positive", "I-positive-red", "isolation_room"),
    ]
    assert len(rig.gpio.pulses(config.outputs.relay_pin)) == 2  # only the two admitted


@pytest.mark.slow  # a whole shift
def test_the_simulated_shift_shows_roster_refusals_and_agrees(
    config: Config, tmp_path: Path, broker: PrivateBroker
) -> None:
    mix = CrowdMix(nat_expired=0.1, nat_positive=0.05, nat_missing=0.1, arrival_window_s=120)
    crowd = random_crowd(40, seed=5, mix=mix)
    shift = run_simulation(
        config, people=crowd, broker=(broker.host, broker.port), record_path=tmp_path / "s.sqlite"
    )
    assert shift.summary.problems == []
    reasons = shift.summary.denied_by_reason
    assert {"nat_expired", "nat_positive", "nat_missing"} <= set(reasons)
    for p in crowd:  # nobody whose test the roster does not vouch for is let through
        row = shift.checks_by_person[p.person_id]
        if p.registered and p.nat != "valid":
            assert row.decision == "deny"
        if row.reason == "nat_positive":
            assert p.nat == "positive" and row.route == "isolation_room"
        if row.reason in ("nat_expired", "nat_missing"):
            assert row.reason == f"nat_{p.nat}"


def install(path: Path, text: str) -> None:
    """As ``roster import`` does: a whole new file renamed over the old."""
    temp = path.with_suffix(".tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def test_the_gate_takes_a_new_roster_only_when_it_is_wholly_valid(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        roster={"reload_s": 1.0},
        shifts={"groups": {"day": {"windows": ["07:00-09:00"]}}},
    )
    workers = tmp_path / "workers.csv"
    # P1..P3 have no test on the roster yet
    install(workers, WORKERS_HEADER + "".join(f"P{i},Name {i},Dept,day,,\n" for i in (1, 2, 3)))
    crowd = [person("P1", 0), person("P2", 30), person("P3", 60)]
    rig = build_rig(config, crowd)
    files = RosterFiles(config, now=rig.clock.time)
    record = Record(tmp_path / "r.sqlite")
    gate = Gate(config=config, devices=rig.devices(), record=record, roster=files.current)
    zone = ZoneInfo(config.gate.timezone)
    tested = datetime.fromtimestamp(shift_start_epoch(config) - 3600, zone).strftime(
        "%Y-%m-%d %H:%M"
    )

    def fixed_after(checks: int, text: str) -> None:
        while len(record.checks()) < checks:
            gate.poll()
        install(workers, text)

    # after P1: a file with a group the config does not know, which must change nothing
    fixed_after(1, WORKERS_HEADER + f"P2,Name 2,Dept,evening,{tested},negative\n")
    # after P2: the tests are in
    while len(record.checks()) < 2:
        if files.refresh():
            gate.roster = files.current
        gate.poll()
    install(
        workers,
        WORKERS_HEADER + "".join(f"P{i},Name {i},Dept,day,{tested},阴性\n" for i in (1, 2, 3)),
    )
    run_until_done(gate, rig, files)
    assert [(c["person_id"], c["reason"]) for c in record.checks()] == [
        ("P1", "nat_missing"),
        ("P2", "nat_missing"),  # the bad file was refused: the old roster stayed in force
        ("P3", "admitted"),  # the good one was taken without a restart
    ]


@pytest.mark.slow  # a whole shift
def test_the_running_service_takes_a_new_roster_without_a_restart(
    tmp_path: Path, broker: PrivateBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # three workers arrive far apart at a simulated gate that runs in real time
    seed = 72
    mix = CrowdMix(arrival_window_s=12.0)
    people = sorted(random_crowd(3, seed, mix), key=lambda p: p.arrival_s)
    gaps = [b.arrival_s - a.arrival_s for a, b in itertools.pairwise(people)]
    assert all(
        p.code == "green" and p.core_c < 37.0 and p.registered and not p.sensor_fault
        for p in people
    )
    assert min(gaps) > 4.5, gaps  # room to change the roster between two people
    # the simulated service lives in wall-clock time: a shift window and a test around now
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    window = f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"
    config = make_config(
        tmp_path,
        mqtt={"port": broker.port},
        roster={"reload_s": 0.2},
        shifts={"groups": {"day": {"windows": [window]}}},
        simulator={"workers": 3, "seed": seed, "arrival_window_s": 12.0},
    )
    workers = tmp_path / "workers.csv"
    ids = ("P1", "P2", "P3")
    install(workers, WORKERS_HEADER + "".join(f"{i},Name,Dept,day,,\n" for i in ids))
    assert {p.person_id for p in crowd_from_roster(load_roster(config), 3, seed, mix)} == set(ids)
    stop = threading.Event()
    service = threading.Thread(
        target=lambda: run_service(config, stop, device_factory(config)), daemon=True
    )
    service.start()
    record_path = tmp_path / "record.sqlite"
    tested = f"{now - timedelta(hours=2):%Y-%m-%d %H:%M}"

    def wait_until(condition, timeout_s: float = 40.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert time.monotonic() < deadline and service.is_alive()
            time.sleep(0.05)

    try:
        wait_until(lambda: len(count_checks(record_path)) >= 1)
        install(workers, WORKERS_HEADER + "P1,Name,Dept,day,not a time,negative\n")
        wait_until(lambda: "new roster refused" in caplog.text)
        wait_until(lambda: len(count_checks(record_path)) >= 2)
        install(
            workers, WORKERS_HEADER + "".join(f"{i},Name,Dept,day,{tested},negative\n" for i in ids)
        )
        wait_until(lambda: "took a new roster: 3 workers, 0 visitors" in caplog.text)
        wait_until(lambda: len(count_checks(record_path)) >= 3)
    finally:
        stop.set()
        service.join(timeout=30)
    assert count_checks(record_path) == ["nat_missing", "nat_missing", "admitted"]
    assert "not a time" not in caplog.text and "P1" not in caplog.text


def test_a_scenario_may_say_what_test_each_person_has(
    config: Config, tmp_path: Path, broker: PrivateBroker
) -> None:
    from simulator.crowd import ScenarioError, load_scenario

    scenario = tmp_path / "scenario.csv"
    scenario.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,nat\n"
        "S1,0,36.5,20.0,green,\nS2,3,36.6,20.0,green,expired\nS3,6,36.6,20.0,green,positive\n"
        "S4,9,36.6,20.0,green,missing\nS5,12,36.6,20.0,green,valid\n",
        encoding="utf-8",
    )
    shift = run_simulation(
        config,
        people=load_scenario(scenario),
        broker=(broker.host, broker.port),
        record_path=tmp_path / "s.sqlite",
    )
    assert shift.summary.problems == []
    assert {pid: row.reason for pid, row in shift.checks_by_person.items()} == {
        "S1": "admitted",
        "S2": "nat_expired",
        "S3": "nat_positive",
        "S4": "nat_missing",
        "S5": "admitted",
    }
    scenario.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,nat\nS1,0,36.5,20.0,green,soon\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r":2: nat must be one of valid, expired"):
        load_scenario(scenario)


def test_a_rehearsal_crowd_is_the_people_on_the_roster_and_a_few_strangers() -> None:
    from terminal.rules.roster import Worker

    roster = Roster(
        [Worker(f"W{i}", "A", "B", "day", None, None) for i in range(50)]
        + [Visitor("V1", "A", "B", 0.0, 1.0)]
    )
    crowd = crowd_from_roster(roster, 80, seed=3, mix=CrowdMix(unregistered=0.1))
    on_roster = [p.person_id for p in crowd if p.registered]
    strangers = [p for p in crowd if not p.registered]
    assert len(on_roster) == len(set(on_roster)) == len(roster)  # everyone once, then strangers
    assert all(roster.get(pid) is not None for pid in on_roster)
    assert strangers and all(
        p.person_id.startswith("X") and roster.get(p.person_id) is None for p in strangers
    )
