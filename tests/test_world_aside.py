"""Simulated people do what the worker's display tells them: told to rest, they leave the lane,
rest and queue again (unless they do not come back); waiting at the secondary check point and
told they may pass, they walk through the turnstile, and that release is not the answer of
whoever stands in front meanwhile. Driven here through the display and the gate's pins, as the
gate drives them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from simulator.crowd import SimPerson
from simulator.rig import Rig, build_rig
from simulator.world import Visit
from terminal.config import Config
from tests.conftest import make_config
from tests.support.people import person

PASSAGE_PIN = 5
REST_MIN = 5.0


@dataclass(frozen=True)
class StaysAway(SimPerson):
    """A person who, told to rest, does not come back (a scenario's ``returns = no``)."""

    returns: bool = False


@pytest.fixture
def gate_config(tmp_path: Path) -> Config:
    return make_config(
        tmp_path,
        inputs={"passage": {"pin": PASSAGE_PIN, "active_high": False, "pull": "up"}},
        screening={"rest_min": REST_MIN},
    )


def set_output(rig: Rig, pin: int, level: int) -> None:
    """The gate sets one of its outputs (relay, lamps), as its drivers do."""
    gpio = rig.gpio
    if gpio.mode is None:
        gpio.setmode(gpio.BCM)
    if gpio.directions.get(pin) != gpio.OUT:
        gpio.setup(pin, gpio.OUT)
    gpio.output(pin, level)


def watch_passages(rig: Rig) -> None:
    rig.gpio.setmode(rig.gpio.BCM)
    rig.gpio.setup(PASSAGE_PIN, rig.gpio.IN, pull_up_down=rig.gpio.PUD_UP)


def passages(rig: Rig) -> list[float]:
    """When the turnstile's passage contact closed (active low), as the gate would read it."""
    rig.gpio.input(PASSAGE_PIN)  # the gate reads: what the world scheduled has happened
    return [start for start, _ in rig.gpio.pulses(PASSAGE_PIN, active_level=0)]


def wait_until_in_front(rig: Rig, pid: str, limit_s: float = 3600.0) -> Visit:
    deadline = rig.clock.time() + limit_s
    while rig.clock.time() < deadline:
        front = rig.world.front
        if front is not None and front.person.person_id == pid:
            return front
        step_up = rig.world.next_step_up_at()
        rig.clock.sleep(max(0.1, (step_up or rig.clock.time()) - rig.clock.time()))
    raise AssertionError(f"{pid} never stood in front")


def refuse(rig: Rig, config: Config) -> None:
    """The red lamp: a refusal, or a flag (the person goes to the check point)."""
    set_output(rig, config.outputs.red_lamp_pin, 1)
    rig.clock.sleep(0.1)
    set_output(rig, config.outputs.red_lamp_pin, 0)


def admit(rig: Rig, config: Config) -> None:
    """An admission: the green lamp, and the relay holds the turnstile free until the
    passage."""
    set_output(rig, config.outputs.green_lamp_pin, 1)
    set_output(rig, config.outputs.relay_pin, 1)
    rig.clock.sleep(0.1)


def let_go(rig: Rig, config: Config) -> None:
    set_output(rig, config.outputs.relay_pin, 0)
    set_output(rig, config.outputs.green_lamp_pin, 0)


def run_out(rig: Rig, seconds: float) -> None:
    for _ in range(int(seconds / 0.5)):
        rig.clock.sleep(0.5)


def test_told_to_rest_they_leave_the_lane_rest_and_queue_again(gate_config: Config) -> None:
    rig = build_rig(gate_config, [person("A", 0), person("B", 20)])
    world = rig.world
    first = wait_until_in_front(rig, "A")
    refuse(rig, gate_config)
    world.display("rest")
    told_at = first.told_to_rest_at
    assert told_at is not None
    # A steps aside; B, who came later, is served meanwhile
    wait_until_in_front(rig, "B")
    admit(rig, gate_config)
    run_out(rig, 5)
    let_go(rig, gate_config)
    assert [v.person.person_id for v in world.visits] == ["B"]
    assert not world.done  # A is resting and will come back
    back = wait_until_in_front(rig, "A")
    # back after the rest the display gave, plus the walk there and back: never before due
    assert back.front_at - told_at >= REST_MIN * 60
    assert back.front_at - told_at < REST_MIN * 60 + 120
    assert back.earlier == [first]
    admit(rig, gate_config)
    run_out(rig, 5)
    assert [v.person.person_id for v in world.visits] == ["B", "A"]
    assert world.visits[1].outcome == "passed" and world.done


def test_someone_who_does_not_come_back_is_gone_after_the_rest(gate_config: Config) -> None:
    away = StaysAway("A", 0.0, 36.6, 19.0, "green", object_c=34.0)
    rig = build_rig(gate_config, [away])
    wait_until_in_front(rig, "A")
    rig.world.display("rest")
    run_out(rig, 5)
    assert rig.world.done and rig.world.next_step_up_at() is None
    [visit] = rig.world.visits
    assert visit.outcome == "told_to_rest" and visit.told_to_rest_at is not None


def test_told_they_may_pass_after_the_guard_they_walk_through_and_not_the_one_in_front(
    gate_config: Config,
) -> None:
    """The gate releases the turnstile for a staff admission, then tells the display; the
    person in front, not yet answered, stays where they are."""
    rig = build_rig(gate_config, [person("A", 0), person("B", 5)])
    watch_passages(rig)
    flagged = wait_until_in_front(rig, "A")
    refuse(rig, gate_config)  # to the check point
    behind = wait_until_in_front(rig, "B")
    resolved_at = rig.clock.time()
    set_output(rig, gate_config.outputs.relay_pin, 1)
    rig.world.display("staff_admitted:A")
    run_out(rig, 10)
    let_go(rig, gate_config)
    assert flagged.staff_pulses == 1 and flagged.outcome == "turned_away"
    [through] = passages(rig)
    assert 0 < through - resolved_at <= gate_config.inputs.passage.window_s  # type: ignore[union-attr]
    # B still waits for their own answer, and takes the next release for it
    assert behind.relay_pulses == 0 and behind.outcome is None
    admit(rig, gate_config)
    run_out(rig, 5)
    assert behind.outcome == "passed" and len(passages(rig)) == 2


def test_told_first_then_released_it_is_the_same(gate_config: Config) -> None:
    rig = build_rig(gate_config, [person("A", 0), person("B", 5)])
    watch_passages(rig)
    flagged = wait_until_in_front(rig, "A")
    refuse(rig, gate_config)
    behind = wait_until_in_front(rig, "B")
    rig.world.display("staff_admitted:A")
    set_output(rig, gate_config.outputs.relay_pin, 1)
    run_out(rig, 10)
    assert flagged.staff_pulses == 1 and behind.relay_pulses == 0
    assert len(passages(rig)) == 1


def test_a_staff_admission_while_the_turnstile_is_held_for_another_still_goes_through(
    gate_config: Config,
) -> None:
    """No relay edge comes for them (the turnstile is free already): told to pass, they go
    through after the person it was held for, one at a time."""
    rig = build_rig(gate_config, [person("A", 0), person("B", 5)])
    watch_passages(rig)
    flagged = wait_until_in_front(rig, "A")
    refuse(rig, gate_config)
    behind = wait_until_in_front(rig, "B")
    admit(rig, gate_config)  # B's admission holds it free
    rig.world.display("staff_admitted:A")
    run_out(rig, 10)
    assert behind.outcome == "passed" and flagged.staff_pulses == 1
    first, second = passages(rig)
    assert second - first >= 0.8  # the arm turned for B before A went through


def test_a_staff_admission_of_nobody_waiting_moves_nobody(gate_config: Config) -> None:
    rig = build_rig(gate_config, [person("A", 0)])
    watch_passages(rig)
    front = wait_until_in_front(rig, "A")
    rig.world.display("staff_admitted:Z")  # someone of an earlier shift, gone already
    run_out(rig, 30)  # the one in front waits for their own answer, and gives up
    assert front.outcome == "no_decision" and passages(rig) == []
