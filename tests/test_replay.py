"""One screenshot, one admission: a code (or its person) that admitted someone does not admit again
at this gate until the hold ends, across restarts; in record-only mode it does, and says so."""

from __future__ import annotations

from pathlib import Path

from simulator.rig import CODE_VALID_S, build_rig, shift_start_epoch
from terminal.codes.healthcode import SIMULATOR_KEY_ID, issue, simulator_issuer_key
from terminal.config import Config
from terminal.gate.lane import Gate
from terminal.record.store import Record
from tests.conftest import make_config
from tests.support.gates import run_until_done
from tests.support.people import person
from tests.support.secondary import command, command_desk


def fresh_code_for(config: Config, person_id: str, minutes_before_shift: float) -> str:
    """Another code for the same person, as a phone app shows a new one every few minutes."""
    issued_s = shift_start_epoch(config) - minutes_before_shift * 60
    return issue(
        simulator_issuer_key(),
        SIMULATOR_KEY_ID,
        person_id,
        "green",
        issued_s,
        issued_s + CODE_VALID_S,
    )


def through(config: Config, people: list, record: Record) -> list[tuple[str, str, str | None]]:
    rig = build_rig(config, people)
    gate = Gate(config=rig.config, devices=rig.devices(), record=record, roster=rig.roster)
    run_until_done(gate, rig)
    gate.close()
    return [(c["person_id"], c["reason"], c["replay_of"]) for c in record.checks()]


def test_a_screenshot_and_a_fresh_code_passed_back_are_both_refused(
    config: Config, tmp_path: Path
) -> None:
    passed_back = fresh_code_for(config, "A", minutes_before_shift=2)
    people = [
        person("A", 0),
        person("B", 4, "replayed"),  # a screenshot of A's code
        person("C", 8, f"payload:{passed_back}"),  # A's phone handed back over the turnstile
    ]
    record = Record(tmp_path / "r.sqlite")
    (a, b, c) = through(config, people, record)
    assert a == ("A", "admitted", None)
    first = record.checks()[0]["event_id"]
    assert b == ("A", "code_replayed", first) and c == ("A", "code_replayed", first)


def test_holds_survive_a_restart(config: Config, tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    record = Record(path)
    through(config, [person("A", 0), person("X", 2, "none")], record)
    record.close()
    # the gate restarts; a little later someone shows A's phone again
    again = fresh_code_for(config, "A", minutes_before_shift=1)
    reopened = Record(path)
    rows = through(config, [person("B", 10, f"payload:{again}")], reopened)
    assert rows[-1][:2] == ("A", "code_replayed")


def test_record_only_mode_admits_and_marks_the_replay(tmp_path: Path) -> None:
    config = make_config(tmp_path, healthcode={"replay": {"mode": "record_only"}})
    record = Record(tmp_path / "r.sqlite")
    rows = through(config, [person("A", 0), person("B", 4, "replayed")], record)
    first = record.checks()[0]["event_id"]
    assert rows == [("A", "admitted", None), ("A", "admitted", first)]


def test_a_fixed_hold_ends_and_the_code_admits_again(tmp_path: Path) -> None:
    config = make_config(tmp_path, healthcode={"replay": {"hold_h": 0.01}})  # 36 s
    record = Record(tmp_path / "r.sqlite")
    people = [person("A", 0), person("B", 5, "replayed"), person("C", 60, "replayed")]
    rows = through(config, people, record)
    assert [reason for _, reason, _ in rows] == ["admitted", "code_replayed", "admitted"]


def test_a_hot_screenshot_behind_a_flagged_owner_is_refused_and_never_sent_to_the_guard(
    tmp_path: Path,
) -> None:
    # both plainly hot; B holds a screenshot of A's code while A waits at the check point: the
    # code refuses B anyway, so no guard's time is spent on B
    config = make_config(tmp_path)
    hot = {"object_c": 36.5}
    people = [person("A", 0, **hot), person("B", 4, "replayed", **hot)]
    record = Record(tmp_path / "r.sqlite")
    rig = build_rig(config, people)
    gate = Gate(config=rig.config, devices=rig.devices(), record=record, roster=rig.roster)
    run_until_done(gate, rig)
    flag, screenshot = record.checks()
    assert (flag["reason"], screenshot["reason"]) == ("secondary_check", "code_replayed")
    assert screenshot["replay_of"] == flag["event_id"] and screenshot["screening"] == "guard"
    assert [f["event_id"] for f in record.open_flags()] == [flag["event_id"]]
    desk = command_desk(gate, rig.config, record, rig.clock.time)
    result = desk.take(
        "resolve_secondary", command(rig.clock.time(), "command-a", flag_id=flag["event_id"])
    )
    assert result.detail == f"flag {flag['event_id']}: admitted (admitted)"
    assert len(rig.gpio.pulses(config.outputs.relay_pin)) == 1  # A only


def test_a_screenshot_shown_while_its_owner_waits_at_the_secondary_check_is_refused(
    tmp_path: Path,
) -> None:
    # A is flagged (a plainly hot forehead) and walks to the check point; B, behind, shows a
    # screenshot of A's code with a normal forehead before the guard has measured A
    config = make_config(tmp_path)
    people = [person("A", 0, object_c=36.5), person("B", 4, "replayed")]
    record = Record(tmp_path / "r.sqlite")
    rig = build_rig(config, people)
    gate = Gate(config=rig.config, devices=rig.devices(), record=record, roster=rig.roster)
    run_until_done(gate, rig)
    flag, screenshot = record.checks()
    assert (flag["person_id"], flag["reason"]) == ("A", "secondary_check")
    # the code is A's while A waits: the screenshot does not open the turnstile
    assert (screenshot["person_id"], screenshot["reason"], screenshot["replay_of"]) == (
        "A",
        "code_replayed",
        flag["event_id"],
    )
    assert rig.gpio.pulses(config.outputs.relay_pin) == []
    # the guard finds A normal: A, the code's owner, is let through by staff
    desk = command_desk(gate, rig.config, record, rig.clock.time)
    result = desk.take(
        "resolve_secondary", command(rig.clock.time(), "command-a", flag_id=flag["event_id"])
    )
    assert result.outcome == "done", result.detail
    steps = [s["step"] for s in record.rows("secondary_steps") if s["flag_id"] == flag["event_id"]]
    assert steps[-1] == "admitted_by_staff"
    assert len(rig.gpio.pulses(config.outputs.relay_pin)) == 1  # A only
