"""The gate end to end: simulated people, the real drivers on the twins, a real SQLite record,
a real broker, and what a subscriber at the operations centre receives."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from simulator.broker import PrivateBroker
from simulator.rig import Rig, build_rig
from simulator.runner import run_simulation
from simulator.subscriber import Subscriber
from simulator.world import Pace
from terminal.config import Config
from terminal.gate.lane import Gate
from terminal.link.publisher import Publisher
from terminal.link.topics import GateTopics
from terminal.record.store import Record
from tests.conftest import make_config
from tests.support.gates import run_until_done
from tests.support.people import CROWD, person
from tests.support.waiting import wait_for


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """These tests are about the gate's sequence, not the estimator: the foreheads are plainly
    normal or plainly hot (tests/test_screening.py holds the estimator to its figures)."""
    return make_config(tmp_path)


EXPECTED = {
    "A-green": ("admit", "admitted"),
    "B-fever": ("deny", "secondary_check"),
    "C-yellow": ("deny", "code_yellow"),
    "D-red": ("deny", "code_red"),
    "E-unreadable": ("deny", "unreadable_code"),
    "F-nocode": ("deny", "no_code"),
    "G-visitor": ("deny", "unregistered"),
    "H-darkmode": ("admit", "admitted"),
    "I-badsensor": ("deny", "sensor_fault"),
    "J-late": ("deny", "shift_early"),  # the window the roster gives them is later
    "K-green": ("admit", "admitted"),
    "L-forged": ("deny", "code_bad_signature"),
    "M-tampered": ("deny", "code_bad_signature"),
    "N-expired": ("deny", "code_expired"),
    "O-future": ("deny", "code_not_yet_valid"),
    "P-foreign": ("deny", "code_unknown_issuer"),
    "Q-screenshot": ("deny", "code_replayed"),
    "R-printed": ("deny", "code_malformed"),
}


@pytest.mark.slow  # a whole shift
def test_a_small_shift_agrees_one_to_one(
    config: Config, broker: PrivateBroker, tmp_path: Path
) -> None:
    shift = run_simulation(
        config,
        people=CROWD,
        broker=(broker.host, broker.port),
        record_path=tmp_path / "shift.sqlite",
    )
    summary = shift.summary
    assert summary.problems == []
    outcome = {pid: (row.decision, row.reason) for pid, row in shift.checks_by_person.items()}
    assert outcome == EXPECTED

    record = Record(tmp_path / "shift.sqlite")
    checks = record.checks()
    assert len(checks) == len(CROWD)  # one approach, one check
    assert summary.checks_received == len(checks) and summary.events_unsent == 0

    # the turnstile: one pulse of the configured length per admission, none otherwise
    pulses = shift.rig.gpio.pulses(config.outputs.relay_pin)
    admitted = [c for c in checks if c["decision"] == "admit"]
    assert len(pulses) == len(admitted) == 3
    assert all(length == pytest.approx(config.outputs.relay_pulse_s) for _, length in pulses)
    for (started, _), check in zip(pulses, admitted, strict=True):
        assert check["epoch_s"] <= started  # decided, recorded, then released

    flagged = next(c for c in checks if c["reason"] == "secondary_check")
    assert flagged["route"] == "secondary_check" and flagged["object_c"] is not None
    assert flagged["estimate_mode"] == "table"  # too few people yet for a reference
    assert flagged["screening"] == "guard" and flagged["why"]  # clearly high: the guard at once
    # the simulated guard measured them (core 38.4) and confirmed the fever over MQTT
    steps = [(s["step"], s["by"]) for s in record.rows("secondary_steps")]
    assert steps == [
        ("sent_to_secondary_check", "gate"),
        ("clinical_reading", "guard-sim-1"),
        ("fever_confirmed", "guard-sim-1"),
        ("routed_to_isolation", "gate"),
    ]
    assert summary.flagged == summary.secondary_checks == summary.isolation_routed == 1
    assert summary.isolation_at_gate == 1  # the red code
    assert summary.alerts_received == 3  # the flag, the confirmed fever, the red code
    red = next(c for c in checks if c["reason"] == "code_red")
    assert red["route"] == "isolation_room"  # the low tier's action for a red code
    # the screenshot is refused as a replay of K's admission, and the record keeps no payload
    k_green = shift.checks_by_person["K-green"]
    screenshot = shift.checks_by_person["Q-screenshot"]
    assert screenshot.person_id == "K-green" and screenshot.replay_of == k_green.event_id
    assert screenshot.code_fingerprint == k_green.code_fingerprint
    assert k_green.code_fingerprint is not None and len(k_green.code_fingerprint) == 64
    dump = "\n".join(Path(tmp_path / "shift.sqlite").read_bytes().decode("latin-1").splitlines())
    assert "HC2|" not in dump and "HC1|P0" not in dump
    # nobody was left standing without an answer
    assert {v.outcome for v in shift.rig.world.visits} == {"passed", "turned_away"}


def build_gate(
    config: Config, rig: Rig, record: Record, publisher: Publisher | None = None
) -> Gate:
    return Gate(
        config=rig.config,
        devices=rig.devices(),
        record=record,
        roster=rig.roster,
        publisher=publisher,
    )


def test_the_record_is_committed_before_the_relay_moves(config: Config, tmp_path: Path) -> None:
    rig = build_rig(config, [person("A", 0), person("B", 3)])
    path = tmp_path / "r.sqlite"
    gate = build_gate(config, rig, Record(path))
    seen_at_release: list[int] = []

    def on_pin(change) -> None:
        if change.pin == config.outputs.relay_pin and change.level == 1:
            with sqlite3.connect(path) as other_reader:  # another process's view
                seen_at_release.append(
                    other_reader.execute("SELECT count(*) FROM checks").fetchone()[0]
                )

    rig.gpio.on_change(on_pin)
    run_until_done(gate, rig)
    assert seen_at_release == [1, 2]


def test_a_code_left_in_view_is_not_checked_twice(config: Config, tmp_path: Path) -> None:
    # refused people stand reading the screen for 12 s with the code still held up
    slow = Pace(read_screen_s=12.0, give_up_s=40.0)
    people = [person("Y", 0, "yellow"), person("N", 1, "none"), person("A", 2)]
    rig = build_rig(config, people, pace=slow)
    record = Record(tmp_path / "r.sqlite")
    run_until_done(build_gate(config, rig, record), rig)
    assert [c["reason"] for c in record.checks()] == ["code_yellow", "no_code", "admitted"]


def test_the_same_person_coming_back_is_a_new_check(config: Config, tmp_path: Path) -> None:
    rig = build_rig(config, [person("A", 0), person("B", 1, "red"), person("A2", 60)])
    # A comes back later with the same phone: give A2 A's code
    rig.world.payloads["A2"] = rig.world.payloads["A"]
    record = Record(tmp_path / "r.sqlite")
    run_until_done(build_gate(config, rig, record), rig)
    assert [c["person_id"] for c in record.checks()] == ["A", "B", "A"]


@pytest.mark.slow  # a whole shift
def test_a_broker_outage_loses_nothing(config: Config, tmp_path: Path) -> None:
    from simulator.broker import free_port

    port = free_port()
    rig = build_rig(config, [person(f"P{i}", i * 2.0) for i in range(6)])
    record = Record(tmp_path / "r.sqlite")
    gate_topics = GateTopics(config.gate.park, config.gate.id)
    mqtt = config.mqtt.model_copy(update={"host": "127.0.0.1", "port": port})
    publisher = Publisher(record, mqtt, gate_topics, client_id="t-gate-outage")
    publisher.start()
    try:
        run_until_done(build_gate(config, rig, record, publisher), rig)
        assert len(record.checks()) == 6 and record.count_unsent() == 6  # the gate kept working
        with PrivateBroker(port=port) as late:
            subscriber = Subscriber(late.host, late.port, gate_topics)
            assert publisher.wait_connected(15) and publisher.flush(timeout_s=10)
            assert wait_for(
                lambda: len({m["event_id"] for m in subscriber.received(gate_topics.check)}) == 6
            )
            subscriber.stop()
    finally:
        publisher.stop()


def test_a_camera_that_gives_no_frames_keeps_the_gate_shut_without_spinning(
    config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rig = build_rig(config, [person("A", 0)])
    rig.capture.release()  # unplugged: read() fails at once
    record = Record(tmp_path / "r.sqlite")
    gate = build_gate(config, rig, record)
    started = rig.clock.time()
    for _ in range(200):  # the person arrives a minute after the terminal starts
        gate.poll()
    assert rig.clock.time() - started >= 200 * 0.5  # it waited between attempts
    assert rig.gpio.pulses(config.outputs.relay_pin) == []
    # the person in front was felt by the thermometer and told why the gate stays shut
    assert [c["reason"] for c in record.checks()] == ["camera_fault"]
    assert sum("camera gives no frames" in r.message for r in caplog.records) == 1


def test_a_code_held_up_in_the_queue_is_never_checked_against_the_wrong_forehead(
    config: Config, tmp_path: Path
) -> None:
    # B, next in line, holds a green code up behind A (red) from the moment A steps up
    crowd = [person("A", 0, "red", code_after_s=1.0), person("B", 0.5)]
    rig = build_rig(config, crowd, pace=Pace(queue_holds_code_up=True))
    record = Record(tmp_path / "r.sqlite")
    run_until_done(build_gate(config, rig, record), rig)
    assert [(c["reason"], c["person_id"]) for c in record.checks()] == [
        ("code_red", "A"),  # B's small, distant code was not taken for A's
        ("admitted", "B"),
    ]
    assert len(rig.gpio.pulses(config.outputs.relay_pin)) == 1


def test_two_codes_presented_at_once_are_refused(config: Config, tmp_path: Path) -> None:
    # B pushes forward and holds a code as close as A's while A shows theirs: whose is whose?
    crowd = [person("A", 0, "red", code_after_s=0.0), person("B", 0.5)]
    rig = build_rig(config, crowd, pace=Pace(queue_holds_code_up=True, queue_code_module_px=4))
    record = Record(tmp_path / "r.sqlite")
    run_until_done(build_gate(config, rig, record), rig)
    first, second = [(c["reason"], c["person_id"]) for c in record.checks()]
    # two readable codes, or two codes overlapping into an unreadable one, or so far over each
    # other that neither is found: A is refused either way, and never on B's code
    assert first in {("multiple_codes", None), ("unreadable_code", None), ("no_code", None)}
    assert second == ("admitted", "B")
    assert len(rig.gpio.pulses(config.outputs.relay_pin)) == 1


def test_a_code_shown_too_late_is_a_new_check_not_a_release_after_a_refusal(
    config: Config, tmp_path: Path
) -> None:
    late = config.timing.code_wait_s + 1.0
    # A reads the refusal for a while, finds the code meanwhile, and shows it
    rig = build_rig(config, [person("A", 0, code_after_s=late)], pace=Pace(read_screen_s=4.0))
    record = Record(tmp_path / "r.sqlite")
    gate = build_gate(config, rig, record)
    run_until_done(gate, rig)
    checks = record.checks()
    assert [c["reason"] for c in checks] == ["no_code", "admitted"]
    ((pulse_at, _),) = rig.gpio.pulses(config.outputs.relay_pin)
    assert pulse_at >= checks[1]["epoch_s"]  # released only on the second, complete check


def test_a_long_lamp_does_not_answer_the_next_person(tmp_path: Path) -> None:
    config = make_config(tmp_path, outputs={"lamp_s": 20.0})
    crowd = [person(f"Y{i}", i * 0.5, "yellow") for i in range(4)]
    rig = build_rig(config, crowd)
    record = Record(tmp_path / "r.sqlite")
    run_until_done(build_gate(config, rig, record), rig)
    assert [c["reason"] for c in record.checks()] == ["code_yellow"] * 4
    assert {v.outcome for v in rig.world.visits} == {"turned_away"}  # each saw their own refusal


def test_without_a_synchronised_clock_nobody_is_let_through(config: Config, tmp_path: Path) -> None:
    rig = build_rig(config, [person("A", 0), person("B", 2)])
    rig.clock.synchronised = lambda: False  # type: ignore[method-assign]
    record = Record(tmp_path / "r.sqlite")
    run_until_done(build_gate(config, rig, record), rig)
    assert [c["reason"] for c in record.checks()] == ["clock_unsynced", "clock_unsynced"]
    assert rig.gpio.pulses(config.outputs.relay_pin) == []


def test_the_system_clock_asks_for_the_ntp_status_and_remembers_it() -> None:
    from terminal.devices import SystemClock

    answers = iter([False, True])
    clock = SystemClock(query=lambda: next(answers))
    assert clock.synchronised() is False
    assert clock.synchronised() is False  # not asked again within RECHECK_S
    clock._asked_at -= SystemClock.RECHECK_S
    assert clock.synchronised() is True


def test_an_unreadable_code_with_a_failing_thermometer_is_answered_once(
    config: Config, tmp_path: Path
) -> None:
    # the thermometer cannot feel A, and A's cracked screen cannot be read: A still gets an answer
    people = [person("A", 0, "unreadable", sensor_fault="nack"), person("B", 1)]
    rig = build_rig(config, people, pace=Pace(read_screen_s=10.0))
    record = Record(tmp_path / "r.sqlite")
    run_until_done(build_gate(config, rig, record), rig)
    assert [c["reason"] for c in record.checks()] == ["sensor_fault", "admitted"]
    assert [v.outcome for v in rig.world.visits] == ["turned_away", "passed"]


@pytest.mark.parametrize(("code", "after_s"), [("none", 0.5), ("yellow", 0.5), ("red", 2.0)])
def test_a_phone_left_in_view_is_not_taken_for_the_next_persons_code(
    config: Config, tmp_path: Path, code: str, after_s: float
) -> None:
    people = [person("A", 0, leaves_phone=True), person("B", 1, code, code_after_s=after_s)]
    rig = build_rig(config, people)
    record = Record(tmp_path / "r.sqlite")
    run_until_done(build_gate(config, rig, record), rig)
    expected_b = {"none": "no_code", "yellow": "code_yellow", "red": "code_red"}[code]
    assert [(c["person_id"], c["reason"]) for c in record.checks()] == [
        ("A", "admitted"),
        (None if code == "none" else "B", expected_b),
    ]
    assert len(rig.gpio.pulses(config.outputs.relay_pin)) == 1


def test_a_thermometer_glitch_while_someone_lingers_is_not_a_new_person(
    config: Config, tmp_path: Path
) -> None:
    rig = build_rig(config, [person("A", 0, "yellow")], pace=Pace(read_screen_s=8.0))
    record = Record(tmp_path / "r.sqlite")
    gate = build_gate(config, rig, record)
    while not record.checks():
        gate.poll()
    rig.twin.inject("nack", count=300)  # about two seconds of a sensor that does not answer
    run_until_done(gate, rig)
    assert [c["reason"] for c in record.checks()] == ["code_yellow"]


@pytest.mark.parametrize("walk_up_s", [0.5, 0.7, 1.0])
def test_someone_stepping_up_quickly_without_a_code_is_answered(
    config: Config, tmp_path: Path, walk_up_s: float
) -> None:
    people = [person("A", 0, "yellow"), person("B", 0.5, "none")]
    rig = build_rig(config, people, pace=Pace(walk_up_s=walk_up_s))
    record = Record(tmp_path / "r.sqlite")
    run_until_done(build_gate(config, rig, record), rig)
    assert [c["reason"] for c in record.checks()] == ["code_yellow", "no_code"]


def test_the_simulator_reports_an_admission_on_someone_elses_code(
    config: Config, tmp_path: Path, broker: PrivateBroker
) -> None:
    # the gate's known limit: a code held as close to the camera as the person's own, before
    # they show theirs, cannot be told from it. The simulator knows who stood there, and says so.
    crowd = [person(f"P{i}", i * 0.5, code_after_s=4.0) for i in range(4)]
    shift = run_simulation(
        config,
        people=crowd,
        pace=Pace(queue_holds_code_up=True, queue_code_module_px=2.2),
        broker=(broker.host, broker.port),
        record_path=tmp_path / "s.sqlite",
    )
    assert not shift.summary.agrees()
    assert any("someone else's code and ADMITTED" in p for p in shift.summary.problems)
