"""The shift schedule as a table: days of the week, holidays, dated changes, graces, windows that
cross midnight, and the days Berlin's clocks change; the shift configuration's values; and
``gate-terminal shifts show``."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.config import ConfigError, ShiftsConfig, load, parse
from terminal.rules.shifts import ShiftProblem, judge
from tests.conftest import REPO, example_gate_config_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
EARLY, LATE = ShiftProblem.EARLY, ShiftProblem.LATE
NOT_TODAY, WRONG_GATE = ShiftProblem.NOT_TODAY, ShiftProblem.WRONG_GATE

SHIFTS = ShiftsConfig.model_validate(
    {
        "early_grace_min": 10,
        "late_grace_min": 5,
        "holidays": ["2026-12-25"],
        "groups": {
            "day": {
                "windows": [
                    {"at": "07:40-08:00", "kind": "arrival", "days": ["mon-fri"]},
                    {"at": "11:30-12:00", "kind": "meal", "days": "mon-fri"},
                    {"at": "17:00-17:30", "kind": "leaving", "days": ["mon-fri"]},
                ],
                "changes": [
                    {"date": "2026-11-28", "windows": [{"at": "09:00-09:20"}]},  # a Saturday
                    {"date": "2026-11-25", "windows": []},  # a Wednesday off
                ],
            },
            "night": {"windows": [{"at": "22:00-06:00", "kind": "arrival"}]},
            "small-hours": {"windows": [{"at": "02:00-04:00", "kind": "arrival"}]},
            "repeat": {"windows": [{"at": "02:15-02:45", "kind": "rest"}]},
            "warehouse": {"windows": ["*"], "gates": ["gate-w"]},
            "leaving-only": {"windows": [{"at": "17:00-17:30", "kind": "leaving"}]},
            "almost-a-day": {"windows": [{"at": "23:57-23:56", "days": ["sat"]}]},
            "strict": {
                "windows": [{"at": "07:40-08:00"}],
                "early_grace_min": 0,
                "late_grace_min": 15,
            },
        },
    }
)


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def utc(text: str, zone: ZoneInfo = BERLIN) -> datetime:
    """A moment given in UTC, seen on the zone's clock: unambiguous on days the clocks change."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).astimezone(zone)


# fmt: off
CASES = [
    # name, group, moment -> (problem, the next window told: ISO start/end)
    ("in the arrival window", "day", sh("2026-11-23 07:50"), None, None),
    ("the early grace's first moment", "day", sh("2026-11-23 07:30"), None, None),
    ("a second before the early grace", "day", sh("2026-11-23 07:29:59"), EARLY,
     "2026-11-23T07:40+08:00/2026-11-23T08:00+08:00"),
    ("the late grace's last moment", "day", sh("2026-11-23 08:05"), None, None),
    ("a second after the late grace", "day", sh("2026-11-23 08:05:01"), LATE,
     "2026-11-23T11:30+08:00/2026-11-23T12:00+08:00"),
    ("nearer the meal than the arrival", "day", sh("2026-11-23 10:30"), EARLY,
     "2026-11-23T11:30+08:00/2026-11-23T12:00+08:00"),
    ("back from the meal", "day", sh("2026-11-23 11:59"), None, None),
    ("a group's own early grace", "strict", sh("2026-11-23 07:39"), EARLY,
     "2026-11-23T07:40+08:00/2026-11-23T08:00+08:00"),
    ("a group's own late grace", "strict", sh("2026-11-23 08:15"), None, None),
    ("a leaving window lets nobody in", "day", sh("2026-11-23 17:10"), LATE,
     "2026-11-24T07:40+08:00/2026-11-24T08:00+08:00"),
    ("a dated change on a Saturday", "day", sh("2026-11-28 08:00"), EARLY,
     "2026-11-28T09:00+08:00/2026-11-28T09:20+08:00"),
    ("the changed window admits", "day", sh("2026-11-28 09:10"), None, None),
    ("Sunday: not a work day", "day", sh("2026-11-29 08:00"), NOT_TODAY,
     "2026-11-30T07:40+08:00/2026-11-30T08:00+08:00"),
    ("a dated day off", "day", sh("2026-11-25 07:45"), NOT_TODAY,
     "2026-11-26T07:40+08:00/2026-11-26T08:00+08:00"),
    ("a holiday", "day", sh("2026-12-25 07:45"), NOT_TODAY,
     "2026-12-28T07:40+08:00/2026-12-28T08:00+08:00"),
    ("only leaving windows: never in", "leaving-only", sh("2026-11-23 17:10"), NOT_TODAY, None),
    ("another gate's zone", "warehouse", sh("2026-11-23 12:00"), WRONG_GATE, None),
    ("an unknown group opens nothing", "gone", sh("2026-11-23 12:00"), NOT_TODAY, None),
    # a night's window belongs to the day it starts
    ("the night's window, before midnight", "night", sh("2026-11-23 23:00"), None, None),
    ("the night's window, after midnight", "night", sh("2026-11-24 05:59"), None, None),
    ("its late grace, the next morning", "night", sh("2026-11-24 06:05"), None, None),
    ("after the night", "night", sh("2026-11-24 06:06"), LATE,
     "2026-11-24T22:00+08:00/2026-11-25T06:00+08:00"),
    ("the evening before", "night", sh("2026-11-24 21:00"), EARLY,
     "2026-11-24T22:00+08:00/2026-11-25T06:00+08:00"),
    ("Saturday's window, with its grace, reaches Monday", "almost-a-day", sh("2026-11-30 00:01"),
     None, None),
    ("and no further", "almost-a-day", sh("2026-11-30 00:02"), NOT_TODAY,
     "2026-12-05T23:57+08:00/2026-12-06T23:56+08:00"),
    ("Christmas Eve's night runs into the holiday", "night", sh("2026-12-25 03:00"), None, None),
    ("no night starts on the holiday", "night", sh("2026-12-25 23:00"), NOT_TODAY,
     "2026-12-26T22:00+08:00/2026-12-27T06:00+08:00"),
    # Berlin springs forward on 2026-03-29: 02:00 CET is 03:00 CEST (01:00 UTC)
    ("spring: the window opens at the jump", "small-hours", utc("2026-03-29 01:00"), None, None),
    ("spring: the early grace is real time", "small-hours", utc("2026-03-29 00:50"), None, None),
    ("spring: before the early grace", "small-hours", utc("2026-03-29 00:49"), EARLY,
     "2026-03-29T03:00+02:00/2026-03-29T04:00+02:00"),
    ("spring: a window wholly skipped", "repeat", utc("2026-03-29 01:10"), NOT_TODAY,
     "2026-03-30T02:15+02:00/2026-03-30T02:45+02:00"),
    ("spring: the night is an hour shorter", "night", utc("2026-03-29 04:05"), None, None),
    ("spring: and over at 06:05 summer time", "night", utc("2026-03-29 04:06"), LATE,
     "2026-03-29T22:00+02:00/2026-03-30T06:00+02:00"),
    # Berlin falls back on 2026-10-25: 03:00 CEST is 02:00 CET (01:00 UTC); 02:00-03:00 twice
    ("autumn: 02:15-02:45 opens at its first pass", "repeat", utc("2026-10-25 00:05"), None, None),
    ("autumn: before it", "repeat", utc("2026-10-25 00:04"), EARLY,
     "2026-10-25T02:15+02:00/2026-10-25T02:45+01:00"),
    ("autumn: between the passes", "repeat", utc("2026-10-25 00:55"), None, None),
    ("autumn: the second pass", "repeat", utc("2026-10-25 01:30"), None, None),
    ("autumn: closes at its second pass", "repeat", utc("2026-10-25 01:50"), None, None),
    ("autumn: after it", "repeat", utc("2026-10-25 01:51"), LATE,
     "2026-10-26T02:15+01:00/2026-10-26T02:45+01:00"),
    ("autumn: the night is an hour longer", "night", utc("2026-10-25 05:05"), None, None),
    ("autumn: and over at 06:05 winter time", "night", utc("2026-10-25 05:06"), LATE,
     "2026-10-25T22:00+01:00/2026-10-26T06:00+01:00"),
]
# fmt: on


@pytest.mark.parametrize(
    ("group", "at", "problem", "told"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_schedule(group: str, at: datetime, problem: ShiftProblem | None, told: str | None) -> None:
    verdict = judge(SHIFTS.groups.get(group), SHIFTS, "gate-1", at)
    assert verdict.problem is problem
    assert (verdict.next.interval() if verdict.next else None) == told
    if problem is None:
        # compared as real moments: within one zone Python compares wall clocks
        assert verdict.until is not None and verdict.until.timestamp() >= at.timestamp()
    else:
        assert verdict.until is None


@pytest.mark.parametrize(
    ("group", "at", "until"),
    [
        ("day", sh("2026-11-23 07:35"), "2026-11-23T08:05:00+08:00"),  # the end and its grace
        ("night", sh("2026-11-23 23:00"), "2026-11-24T06:05:00+08:00"),
        # autumn in Berlin: the night's end is 06:00 winter time, plus five real minutes
        ("night", utc("2026-10-24 21:00"), "2026-10-25T06:05:00+01:00"),
        # the repeated hour: the window's second pass, plus five real minutes
        ("repeat", utc("2026-10-25 00:30"), "2026-10-25T02:50:00+01:00"),
    ],
)
def test_an_admission_lasts_until_the_window_and_its_grace_end(
    group: str, at: datetime, until: str
) -> None:
    verdict = judge(SHIFTS.groups[group], SHIFTS, "gate-1", at)
    assert verdict.problem is None and verdict.until is not None
    assert verdict.until.isoformat() == until


def test_a_gate_serves_the_zone_it_is_listed_for() -> None:
    warehouse = SHIFTS.groups["warehouse"]
    assert judge(warehouse, SHIFTS, "gate-w", sh("2026-11-23 12:00")).problem is None
    assert judge(warehouse, SHIFTS, "gate-1", sh("2026-11-23 12:00")).problem is WRONG_GATE


def test_windows_written_before_kinds_still_load_as_arrivals_every_day() -> None:
    old = ShiftsConfig.model_validate({"groups": {"day": {"windows": ["07:30-08:15"]}}})
    assert judge(old.groups["day"], old, "any", sh("2026-11-29 08:00")).problem is None  # Sunday
    assert old.groups["day"].weekly[0].kind == "arrival"


# --- the configuration's values -------------------------------------------------------------------
GOOD = example_gate_config_text()
SOURCE = Path("/etc/gate-terminal/gate.toml")

toml_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.dates()
    | st.datetimes()
    | st.sampled_from(
        ["07:40-08:00", "22:00-06:00", "*", "mon-fri", "sun-thu", "meal", "leaving", "24:00-01:00"]
    )
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["at", "kind", "days", "date", "windows", "gates", "x"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(
    where=st.sampled_from(
        [
            ("shifts", "early_grace_min"),
            ("shifts", "late_grace_min"),
            ("shifts", "holidays"),
            ("day", "windows"),
            ("day", "gates"),
            ("day", "changes"),
            ("day", "late_grace_min"),
            ("day", "x"),
            ("window", "at"),
            ("window", "kind"),
            ("window", "days"),
            ("window", "x"),
            ("change", "date"),
            ("change", "windows"),
        ]
    ),
    value=toml_values,
)
def test_any_shift_value_loads_or_is_refused_in_one_line(
    where: tuple[str, str], value: object
) -> None:
    data = tomllib.loads(GOOD)
    day = data["shifts"]["groups"]["day"]
    target = {
        "shifts": data["shifts"],
        "day": day,
        "window": day["windows"][1],
        "change": day["changes"][0],
    }[where[0]]
    target[where[1]] = value
    try:
        config = parse(data, SOURCE)
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith(f"{SOURCE}: shifts.") and "\n" not in message, message
    else:
        # what loads is judged without raising, any day of the week
        for day_of_month in range(23, 30):
            at = sh(f"2026-11-{day_of_month} 07:45")
            for group in config.shifts.groups.values():
                judge(group, config.shifts, config.gate.id, at)


# --- gate-terminal shifts show ------------------------------------------------------------------
def shifts_show(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "terminal.cli.main", "shifts", "show", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def berlin_config(tmp_path: Path) -> Path:
    text = GOOD.replace('timezone = "Asia/Shanghai"', 'timezone = "Europe/Berlin"')
    night_meal = '{ at = "01:00-01:30", kind = "meal", days = ["mon-fri"] }'
    assert night_meal in text
    text = text.replace(night_meal, '{ at = "02:15-02:45", kind = "meal" }')
    path = tmp_path / "gate.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow  # starts a process
def test_shifts_show_says_what_the_clocks_do_to_a_window(tmp_path: Path) -> None:
    config = berlin_config(tmp_path)
    ordinary = shifts_show("--config", str(config), "--date", "2026-03-30").stdout
    assert "  02:15-02:45  meal\n" in ordinary
    spring = shifts_show("--config", str(config), "--date", "2026-03-29").stdout
    assert (
        "  02:15-02:45  meal  does not happen: the clocks skip these times in Europe/Berlin\n"
        in spring
    )
    autumn = shifts_show("--config", str(config), "--date", "2026-10-25").stdout
    assert (
        "  02:15-02:45  meal  clocks change: 2026-10-25T02:15+02:00/2026-10-25T02:45+01:00\n"
        in autumn
    )


@pytest.mark.slow  # starts a process
@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--date", "2026-13-01"], "gate-terminal: --date: expected YYYY-MM-DD, got '2026-13-01'"),
        (["--date", "tomorrow"], "gate-terminal: --date: expected YYYY-MM-DD, got 'tomorrow'"),
    ],
)
def test_shifts_show_refuses_bad_input_in_one_line(
    tmp_path: Path, args: list[str], error: str
) -> None:
    config = tmp_path / "gate.toml"
    config.write_text(GOOD, encoding="utf-8")
    done = shifts_show("--config", str(config), *args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == error + "\n"


@pytest.mark.slow  # starts a process
def test_shifts_show_names_a_bad_config_file_and_key(tmp_path: Path) -> None:
    missing = shifts_show("--config", str(tmp_path / "nowhere.toml"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "nowhere.toml: cannot read config" in missing.stderr
    config = tmp_path / "gate.toml"
    config.write_text(GOOD.replace("late_grace_min = 5 ", "late_grace_min = 500 "), "utf-8")
    bad = shifts_show("--config", str(config), "--date", "2026-11-23")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert f"{config}: shifts.late_grace_min: Input should be less than or equal to 120" in (
        bad.stderr
    )


@pytest.mark.slow  # starts a process
def test_shifts_show_without_a_date_shows_today_in_the_gates_zone(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text(GOOD, encoding="utf-8")
    before = datetime.now(SHANGHAI).date()
    done = shifts_show("--config", str(config))
    after = datetime.now(SHANGHAI).date()
    assert done.returncode == 0
    assert any(f" {day}" in done.stdout.splitlines()[0] for day in (before, after))


def test_the_shipped_configs_plan_a_day() -> None:
    config = load(REPO / "config" / "simulator.toml")
    from terminal.cli.shifts import plan

    text = plan(config, date(2026, 11, 23))
    assert "day-b\n  07:35-07:55  arrival\n  12:00-12:30  meal\n  18:00-18:30  meal\n" in text
