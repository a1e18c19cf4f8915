"""The worker's display, as the worker sees it: the gate runs on the simulator's rig and a real
headless Chromium shows the page the gate serves."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from simulator.broker import free_port
from simulator.rig import build_rig, shift_start_epoch
from terminal.config import Config
from terminal.display.catalogue import LANGUAGES, REASONS, SCREENS
from terminal.display.server import DisplayServer
from terminal.display.state import DisplayState
from terminal.gate.lane import Gate
from terminal.record.store import CheckRow, Record
from terminal.rules.policy import Decision, Reason, Route
from terminal.state import GateState
from tests.conftest import make_config
from tests.support.display_pages import (
    PLACE,
    PLACE_ZH,
    ROOM,
    ROOM_ZH,
    board_for,
    browser,
    display_config,
    serve,
)
from tests.support.people import person

__all__ = ["browser"]  # shared fixtures, taken by name

SEEN_S = 5000  # ms the page may take to show a change: generous, since this is not a timing test


def on_screen(page: Page) -> tuple[str, str]:
    return page.locator("#headline").inner_text(), page.locator("#todo").inner_text()


def run_shift(
    config: Config, people: list, page: Page, tmp_path: Path
) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str]], Gate]:
    """Run the gate over ``people``; what the page showed at each check (by person), and when
    first asked to come closer and to hold still."""
    rig = build_rig(config, people)
    state = GateState(risk_tier=config.risk.tier)
    board = board_for(config, state)
    devices = rig.devices()
    asked_closer: list[tuple[str, str]] = []
    held_still: list[tuple[str, str]] = []
    world_display = devices.display

    def measuring(measure_state: str) -> None:
        if measure_state == "come_closer" and not asked_closer:
            expect(page.locator("body")).to_have_attribute("data-kind", "come_closer")
            asked_closer.append(on_screen(page))
        if measure_state == "measuring" and not held_still:
            expect(page.locator("body")).to_have_attribute("data-kind", "hold_still")
            held_still.append(on_screen(page))
        if world_display is not None:
            world_display(measure_state)

    devices.display = measuring
    shown: dict[str, tuple[str, str]] = {}

    def on_check(row: CheckRow, decision: Decision) -> None:
        expect(page.locator("body")).to_have_attribute("data-kind", decision.reason.value)
        shown[row.person_id or "?"] = on_screen(page)

    server = serve(board, config, page)
    try:
        gate = Gate(
            config=rig.config,
            devices=devices,
            record=Record(tmp_path / "record.sqlite"),
            roster=rig.roster,
            on_check=on_check,
            state=state,
            display=board,
        )
        for _ in range(200_000):
            if rig.world.done and board.screen().kind == "show_code":
                break
            gate.poll()
        else:
            raise AssertionError("the simulated shift did not finish")
        # the last person has gone: nothing of them stays on the screen
        expect(page.locator("body")).to_have_attribute("data-kind", "show_code")
    finally:
        server.stop()
    return shown, asked_closer + held_still, gate


def test_a_simulated_shift_shows_each_worker_what_to_do(browser: Browser, tmp_path: Path) -> None:
    config = display_config(tmp_path, "en")
    people = [
        person("A-green", 0, distance_cm=45.0),  # stands back: asked to come closer
        person("B-yellow", 4, "yellow"),
        person("C-fever", 8, core_c=38.4),
        person("D-red", 12, "red"),
        person("F-badsensor", 16, sensor_fault="bad_pec"),
        person("E-nocode", 20, "none"),
    ]
    page = browser.new_page(viewport={"width": 1024, "height": 600})
    shown, asked_closer, _ = run_shift(config, people, page, tmp_path)
    assert asked_closer == [
        ("Come closer", "Bring your forehead near the thermometer"),
        ("Hold still", "Measuring your temperature"),
    ]
    assert shown == {
        "A-green": ("Please pass", "Welcome"),
        "B-yellow": ("Yellow health code: no entry", "Please see staff"),
        "C-fever": (
            "Second temperature check",
            "Go to the secondary check point beside the gate; a guard will measure again",
        ),
        "D-red": ("Red health code", f"Go to {ROOM} ({PLACE}). Staff are on their way"),
        "F-badsensor": ("The thermometer failed", "Please see staff"),
        "?": ("No code was shown", "Step back and show your code again"),
    }
    # the screen carries no temperature and no name or id
    for headline, todo in shown.values():
        assert "°" not in headline + todo and "A-green" not in headline + todo
    page.close()


def test_the_display_speaks_chinese_when_configured(browser: Browser, tmp_path: Path) -> None:
    config = display_config(tmp_path, "zh")
    people = [person("A-green", 0), person("D-red", 4, "red")]
    page = browser.new_page(viewport={"width": 1024, "height": 600})
    shown, _, _ = run_shift(config, people, page, tmp_path)
    assert shown == {
        "A-green": ("请通行", "欢迎"),
        "D-red": ("红码", f"请前往{ROOM_ZH}（{PLACE_ZH}），工作人员马上到"),
    }
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    # the zone of the times the screen shows (a rest's "from 07:45"), named once
    assert page.locator("#title").inner_text() == "健康检查闸机 · 时间：Asia/Shanghai (UTC+08:00)"
    page.close()


def test_a_worker_outside_their_window_is_told_when_it_is(browser: Browser, tmp_path: Path) -> None:
    # the shift starts on Monday 2026-11-23 at 07:30
    shifts = {
        "early_grace_min": 5,
        "groups": {
            "day": {"windows": [{"at": "07:40-08:00", "kind": "arrival"}]},
            "weekend": {"windows": [{"at": "08:00-08:30", "days": ["sat-sun"]}]},
        },
    }
    people = [person("A-early", 0, group="day"), person("B-weekend", 4, group="weekend")]
    for language, expected in (
        (
            "en",
            {
                "A-early": (
                    "Too early for your shift",
                    "Your window is 07:40-08:00. Please come back then",
                ),
                "B-weekend": (
                    "No shift for you today",
                    "Your next window is Sat 28 Nov 08:00-08:30",
                ),
            },
        ),
        (
            "zh",
            {
                "A-early": ("还没到您的时段", "您的时段是 07:40-08:00，请届时再来"),
                "B-weekend": ("今天没有您的班次", "您的下一个时段是 11月28日（周六）08:00-08:30"),
            },
        ),
    ):
        folder = tmp_path / language
        folder.mkdir()
        config = make_config(
            folder,
            display={"enabled": True, "language": language, "port": free_port()},
            shifts=shifts,
        )
        page = browser.new_page(viewport={"width": 1024, "height": 600})
        shown, _, _ = run_shift(config, people, page, folder)
        assert shown == expected
        page.close()


def test_a_full_zone_asks_the_next_person_to_wait(browser: Browser, tmp_path: Path) -> None:
    people = [person("A-first", 0), person("B-next", 4)]
    for language, expected in (
        ("en", ("Please wait, the zone is full", "Stay here: the gate lets you in as soon as")),
        ("zh", ("请稍候，区域已满", "有人离开后，闸机会自动为您放行")),
    ):
        folder = tmp_path / language
        folder.mkdir()
        config = make_config(
            folder,
            display={"enabled": True, "language": language, "port": free_port()},
            zone={"name": "hall", "capacity": 1},
        )
        page = browser.new_page(viewport={"width": 1024, "height": 600})
        shown, _, _ = run_shift(config, people, page, folder)
        headline, todo = shown["B-next"]
        assert headline == expected[0] and todo.startswith(expected[1])
        assert shown["A-first"][0] != expected[0]  # the first found room
        page.close()


def test_lockdown_and_a_stopped_service_are_said_plainly(browser: Browser, tmp_path: Path) -> None:
    config = display_config(tmp_path, "en")
    state = GateState(risk_tier="low")
    page = browser.new_page()
    server = serve(board_for(config, state), config, page)
    headline = page.locator("#headline")
    try:
        expect(headline).to_have_text("Show your health code", timeout=SEEN_S)
        expect(page.locator("#title")).to_have_text(
            "Health check gate · Times: Asia/Shanghai (UTC+08:00)"
        )
        state.lockdown = True  # as the centre's command sets it, without telling the display
        expect(headline).to_have_text("Gate locked down", timeout=SEEN_S)
        expect(page.locator("#todo")).to_have_text(
            "The park has closed this gate. Nobody may pass. See staff"
        )
    finally:
        server.stop()
    expect(headline).to_have_text("Gate out of service", timeout=SEEN_S)
    expect(page.locator("#todo")).to_have_text("The gate service is not running. Please see staff")
    page.close()


def test_every_reason_has_words_in_both_languages() -> None:
    for reason in Reason:
        for language in LANGUAGES:
            headline, todo = REASONS[reason][language]
            assert headline.strip() and todo.strip(), (reason, language)
    for key, texts in SCREENS.items():
        assert set(texts) == set(LANGUAGES), key
        assert key not in set(Reason), key  # the page tells a screen from an answer by its kind


def test_an_answer_leaves_the_screen_when_the_person_goes_or_in_time() -> None:
    now_s = [100.0]
    state = GateState(risk_tier="low")
    board = DisplayState(
        language="en",
        answer_s=8.0,
        isolation_room=ROOM,
        isolation_location=PLACE,
        conditions=state,
        now=lambda: now_s[0],
    )
    board.decided(Reason.FEVER, Route.ISOLATION_ROOM)
    assert board.screen().todo == f"Go to {ROOM} ({PLACE}). Staff are on their way"
    board.approach_over()
    assert board.screen().kind == "show_code"
    board.decided(Reason.CODE_YELLOW, Route.ASIDE)
    now_s[0] += 7.9
    assert board.screen().kind == "code_yellow"
    now_s[0] += 0.2  # a person who lingers does not keep their answer up for the next
    assert board.screen().kind == "show_code"
    state.thermometer_ok = False
    assert board.screen().headline == "Thermometer fault"


def test_a_display_whose_port_is_taken_says_so_once_and_stops_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = display_config(tmp_path, "en")
        server = DisplayServer(board_for(config, GateState("low")), "127.0.0.1", port)
        assert server.start() is False
        server.stop()
    said = [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "WARNING")]
    assert said == [
        f"the worker's display cannot listen on http://127.0.0.1:{port}/: "
        "Address already in use; the gate runs on"
    ]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Emergency: leave freely", SCREENS["emergency"]["en"][1])),
        ("zh", ("紧急情况：请自由离开", SCREENS["emergency"]["zh"][1])),
    ],
)
def test_a_fire_alarm_tells_everyone_to_leave_freely_until_it_clears(
    browser: Browser, tmp_path: Path, language: str, words: tuple[str, str]
) -> None:
    config = make_config(
        tmp_path,
        display={"enabled": True, "language": language, "port": free_port()},
        inputs={"fire_alarm": {"pin": 6}},
    )
    rig = build_rig(config, [person("A", 0)])
    start = shift_start_epoch(config)
    rig.world.sound_fire_alarm(start - 30.0, start - 10.0)
    state = GateState(risk_tier="low", lockdown=True)  # the alarm shows over a lockdown
    board = board_for(config, state)
    page = browser.new_page()
    server = serve(board, config, page)
    body = page.locator("body")
    try:
        gate = Gate(
            config=rig.config,
            devices=rig.devices(),
            record=Record(tmp_path / "record.sqlite"),
            roster=rig.roster,
            state=state,
            display=board,
        )
        expect(body).to_have_attribute("data-kind", "locked_down", timeout=SEEN_S)
        while not state.emergency:
            gate.poll()
        expect(body).to_have_attribute("data-kind", "emergency", timeout=SEEN_S)
        assert on_screen(page) == words
        assert body.get_attribute("data-tone") == "emergency"
        while state.emergency:
            gate.poll()
        expect(body).to_have_attribute("data-kind", "locked_down", timeout=SEEN_S)
    finally:
        server.stop()
    page.close()


def test_a_lockdown_is_said_plainly_when_nobody_is_at_the_gate_and_after_each_answer() -> None:
    state = GateState(risk_tier="low", lockdown=True)
    clock = [0.0]
    display = DisplayState(
        language="en",
        answer_s=8.0,
        isolation_room=ROOM,
        isolation_location=PLACE,
        conditions=state,
        now=lambda: clock[0],
    )
    idle = display.screen()
    assert (idle.kind, idle.tone, idle.headline) == ("locked_down", "alert", "Gate locked down")
    assert "Nobody may pass" in idle.todo
    display.decided(Reason.LOCKDOWN, Route.ASIDE)  # someone tried: refused, and told why
    assert display.screen().kind == "lockdown"
    clock[0] = 9.0  # their answer has gone: the gate says so to whoever looks next
    assert display.screen().kind == "locked_down"
    state.lockdown = False
    assert display.screen().kind == "show_code"
