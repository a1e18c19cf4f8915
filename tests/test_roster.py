"""The roster files as a park's office makes them, and what the roster says at the gate."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from terminal.config import ShiftsConfig, load
from terminal.rules.roster import (
    NAT_FUTURE_SKEW_S,
    Roster,
    RosterError,
    RosterFiles,
    RosterProblem,
    RosterRules,
    Visitor,
    Worker,
    admitted_until,
    assess,
    load_roster,
    read_people_file,
)
from terminal.rules.windows import parse_window
from tests.conftest import make_config
from tests.support.rosters import GROUPS, VISITORS_HEADER, WORKERS_HEADER, roster_config, write

REPO = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# --- the example files ----------------------------------------------------------------------------
def test_the_example_roster_loads_and_says_who_may_pass_when() -> None:
    config = load(REPO / "config" / "simulator.toml")
    roster = load_roster(config)
    assert (len(roster.workers()), len(roster.visitors())) == (5, 1)
    rules = RosterRules.from_config(config)
    zhang = roster.get("W0002")
    assert isinstance(zhang, Worker) and zhang.name == "张伟" and zhang.nat_result == "negative"
    assert assess(zhang, local("2026-11-23 07:30"), rules) is None
    assert assess(zhang, local("2026-11-23 09:00"), rules) is RosterProblem.SHIFT_LATE
    assert assess(zhang, local("2026-11-23 11:00"), rules) is RosterProblem.SHIFT_EARLY
    assert assess(zhang, local("2026-11-26 07:30"), rules) is RosterProblem.NAT_EXPIRED
    night = roster.get("W0004")
    assert assess(night, local("2026-11-23 01:10"), rules) is None  # Monday's meal window
    visitor = roster.get("V0001")
    assert assess(visitor, local("2026-11-23 09:30"), rules) is None
    assert assess(visitor, local("2026-11-23 11:30"), rules) is RosterProblem.VISIT_OUTSIDE
    assert assess(roster.get("nobody"), local("2026-11-23 09:30"), rules) is (
        RosterProblem.UNREGISTERED
    )


# --- what spreadsheets write ----------------------------------------------------------------------
WORKERS = WORKERS_HEADER + (
    "W1,张三,Assembly,day,2026-11-22 08:00,阴性\nW2,Li Si,Warehouse,night,,\n"
)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("\ufeff" + WORKERS, "utf-8"),  # Excel's "CSV UTF-8": a byte-order mark
        (WORKERS, "gb18030"),  # Excel's plain CSV on a Chinese Windows, its encoding named
        (WORKERS.replace(",", ";"), "utf-8"),  # a European Excel: semicolons
        (WORKERS.replace(",", "\t"), "utf-8"),  # copied from a sheet: tabs
        (WORKERS.replace("\n", "\r\n"), "utf-8"),
    ],
    ids=["bom", "gb18030", "semicolon", "tab", "crlf"],
)
def test_what_excel_writes_is_read(tmp_path: Path, text: str, encoding: str) -> None:
    config = roster_config(tmp_path)
    named = None if encoding == "utf-8" else encoding
    read = read_people_file(write(tmp_path / "w.csv", text, encoding), config, named)
    assert read.kind == "workers"
    first, second = read.people
    assert first == Worker(
        "W1", "张三", "Assembly", "day", local("2026-11-22 08:00").timestamp(), "negative"
    )
    assert second == Worker("W2", "Li Si", "Warehouse", "night", None, None)


def test_columns_in_any_order_and_unasked_columns_are_not_read(tmp_path: Path) -> None:
    text = (
        "Phone,NAT_Result,Group,Name,Person_ID,Department,NAT_Tested_At,ID card\n"
        "13800000000,Positive,day,Wang,W1,Lab,2026-11-22T08:00:00+08:00,110101199001011234\n"
    )
    read = read_people_file(write(tmp_path / "w.csv", text), roster_config(tmp_path))
    (worker,) = read.people
    assert worker == Worker(
        "W1", "Wang", "Lab", "day", local("2026-11-22 08:00").timestamp(), "positive"
    )
    assert read.ignored == ("phone", "id card")
    assert all("13800000000" not in cell for row in read.rows for cell in row)


@pytest.mark.parametrize(
    ("cell", "moment"),
    [
        ("2026-11-22 08:00", "2026-11-22T08:00:00+08:00"),  # local time of gate.timezone
        ("2026-11-22 08:00:30", "2026-11-22T08:00:30+08:00"),
        ("2026-11-22T08:00", "2026-11-22T08:00:00+08:00"),
        ("2026-11-22T00:00:00Z", "2026-11-22T08:00:00+08:00"),
        ("2026-11-22T02:00:00+02:00", "2026-11-22T08:00:00+08:00"),
        ("2026/11/22 8:00", "2026-11-22T08:00:00+08:00"),  # Excel's own
        ("2026/1/2 8:05", "2026-01-02T08:05:00+08:00"),
        ("2026/1/2 8:05:09", "2026-01-02T08:05:09+08:00"),
    ],
)
def test_times_are_read_in_the_forms_offices_write(tmp_path: Path, cell: str, moment: str) -> None:
    text = WORKERS_HEADER + f"W1,A,B,day,{cell},negative\n"
    (worker,) = read_people_file(write(tmp_path / "w.csv", text), roster_config(tmp_path)).people
    assert isinstance(worker, Worker)
    assert worker.nat_tested_at_s == datetime.fromisoformat(moment).timestamp()


# --- every error says file, line and field, and never quotes a cell -------------------------------
W = WORKERS_HEADER
V = VISITORS_HEADER


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        (W + "W|1,Sec Ret,A,day,,\n", "2: person_id", "letters (A-Z, a-z"),
        (W + "秘密,Sec Ret,A,day,,\n", "2: person_id", "letters (A-Z, a-z"),
        (W + ",Sec Ret,A,day,,\n", "2: person_id", "letters (A-Z, a-z"),
        (W + "-W1,Sec Ret,A,day,,\n", "2: person_id", "starting with a letter or digit"),
        (W + "W1,Sec Ret,A,day,,\nW1,Other,A,day,,\n",
         "3: person_id", "appears twice (also on line 2)"),
        (W + "W1,,A,day,,\n", "2: name", "is empty"),
        (W + "W1,Sec Ret,A,evening,,\n",
         "2: group", "no such group in shifts.groups (all-day, day, night)"),
        (W + "W1,Sec Ret,A,day,2026-11-22 08:00,\n", "2: nat_result", "both set or both blank"),
        (W + "W1,Sec Ret,A,day,,negative\n", "2: nat_tested_at", "both set or both blank"),
        (W + "W1,Sec Ret,A,day,2026-11-22 08:00,maybe\n", "2: nat_result", "negative or positive"),
        (W + "W1,Sec Ret,A,day,22.11.2026 08:00,negative\n",
         "2: nat_tested_at", "not a date and time"),
        (W + "W1,Sec Ret,A,day,2026-11-22,negative\n", "2: nat_tested_at", "not a date and time"),
        (W + "W1,Sec Ret,A,day,2926-11-22 08:00,negative\n", "2: nat_tested_at", "year outside"),
        (W + "W1,Sec Ret,A,day,,\nW2,B,C\n", "3", "expected 6 columns, got 3"),
        (V + "V1,Sec Ret,,2026-11-23 09:00,2026-11-23 10:00\n", "2: host", "is empty"),
        (V + "V1,Sec Ret,Host,2026-11-23 09:00,2026-11-23 09:00\n",
         "2: visit_until", "is not after visit_from"),
        (V + "V1,Sec Ret,Host,2026-11-23 09:00,2027-11-23 09:00\n",
         "2: visit_until", "longer than roster.max_visit_h (336 h)"),
        (V + "V1,Sec Ret,Host,soon,2026-11-23 10:00\n", "2: visit_from", "not a date and time"),
        ("person_id,name\nW1,Sec Ret\n", "1", "neither a workers file"),
        ("", "", "roster is empty"),
        ("name,group\nSec Ret,day\n", "1", "header must have the columns person_id"),
        ("person_id,name,group\nW1,Sec Ret,day\n",
         "1", "missing department,nat_tested_at,nat_result"),
        ("person_id,name,group,host\nW1,Sec Ret,day,H\n", "1", "neither a workers file"),
    ],
)  # fmt: skip
def test_errors_name_file_line_and_field(
    tmp_path: Path, text: str, where: str, problem: str
) -> None:
    path = write(tmp_path / "roster.csv", text)
    with pytest.raises(RosterError) as raised:
        read_people_file(path, roster_config(tmp_path))
    message = str(raised.value)
    assert message.startswith(f"{path}:{where}: " if where else f"{path}: "), message
    assert problem in message and "\n" not in message
    assert "Sec Ret" not in message and "2026-11-22" not in message  # logged at the gate


def test_a_person_is_a_worker_or_a_visitor_not_both(tmp_path: Path) -> None:
    config = roster_config(tmp_path)
    write(tmp_path / "workers.csv", W + "W1,A,B,day,,\nP7,A,B,day,,\n")
    write(tmp_path / "visitors.csv", V + "P7,C,D,2026-11-23 09:00,2026-11-23 10:00\n")
    with pytest.raises(RosterError) as raised:
        load_roster(config)
    assert str(raised.value) == (
        f"{tmp_path / 'visitors.csv'}:2: person_id: also on {tmp_path / 'workers.csv'} line 3; "
        "ids are unique across workers and visitors"
    )


def test_each_file_is_of_its_kind(tmp_path: Path) -> None:
    config = roster_config(tmp_path)
    write(tmp_path / "workers.csv", V + "V1,C,D,2026-11-23 09:00,2026-11-23 10:00\n")
    with pytest.raises(
        RosterError, match=r"workers\.csv:1: is a visitors file, but the config's roster\.workers"
    ):
        load_roster(config)


def test_without_a_visitors_file_there_are_no_visitors(tmp_path: Path) -> None:
    config = make_config(tmp_path, shifts={"groups": GROUPS})
    write(tmp_path / "workers.csv", W + "W1,A,B,day,,\n")
    assert load_roster(config).visitors() == []


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match=r"workers\.csv: cannot read roster: No such file"):
        load_roster(roster_config(tmp_path))


# --- the rules ------------------------------------------------------------------------------------
# windows written as bare HH:MM-HH:MM, as configurations were before windows had kinds
RULES = RosterRules(
    ShiftsConfig.model_validate(
        {
            "groups": {
                "day": {"windows": ["07:30-08:15", "11:30-12:30"]},
                "night": {"windows": ["22:00-06:30"]},
                "all-day": {"windows": ["*"]},
                "elsewhere": {"windows": ["*"], "gates": ["gate-x"]},
            }
        }
    ),
    gate_id="gate-t",
    nat_valid_h=72,
)
AT = local("2026-11-23 07:45")
TESTED = AT - timedelta(hours=24)


def worker(
    group: str = "day", tested: datetime | None = TESTED, result: str | None = "negative"
) -> Worker:
    return Worker("W1", "A", "B", group, tested.timestamp() if tested else None, result)  # type: ignore[arg-type]


VISITOR = Visitor(
    "V1", "A", "B", local("2026-11-23 09:00").timestamp(), local("2026-11-23 11:00").timestamp()
)


@pytest.mark.parametrize(
    ("person", "at", "problem"),
    [
        (None, AT, RosterProblem.UNREGISTERED),
        (worker(), AT, None),
        (worker(), local("2026-11-23 08:15"), None),  # a window's end is inside it
        (worker(), local("2026-11-23 08:16"), RosterProblem.SHIFT_LATE),
        (worker(), local("2026-11-23 07:29"), RosterProblem.SHIFT_EARLY),
        (worker(result="positive"), AT, RosterProblem.NAT_POSITIVE),
        (worker(result="positive", group="night"), AT, RosterProblem.NAT_POSITIVE),  # outranks all
        (worker(tested=None, result=None), AT, RosterProblem.NAT_MISSING),
        (worker(tested=None, result=None, group="night"), AT, RosterProblem.NAT_MISSING),
        (worker(tested=AT - timedelta(hours=72)), AT, None),
        (worker(tested=AT - timedelta(hours=72, seconds=1)), AT, RosterProblem.NAT_EXPIRED),
        (worker(tested=AT - timedelta(hours=80), group="night"), AT, RosterProblem.NAT_EXPIRED),
        (worker(tested=AT + timedelta(seconds=NAT_FUTURE_SKEW_S)), AT, None),  # clocks differ a bit
        (worker(tested=AT + timedelta(days=300)), AT, RosterProblem.NAT_MISSING),  # a typo'd date
        (worker(group="night"), local("2026-11-23 23:00"), None),
        (worker(group="night"), local("2026-11-23 06:00"), None),
        (worker(group="night"), AT, RosterProblem.SHIFT_LATE),
        (worker(group="night"), local("2026-11-23 21:00"), RosterProblem.SHIFT_EARLY),
        (worker(group="elsewhere"), AT, RosterProblem.GATE_NOT_SERVING_GROUP),
        (worker(group="all-day"), local("2026-11-23 03:00"), None),
        (worker(group="gone"), AT, RosterProblem.SHIFT_NOT_TODAY),  # an unknown group: nothing
        (VISITOR, local("2026-11-23 09:00"), None),
        (VISITOR, local("2026-11-23 11:00"), None),
        (VISITOR, local("2026-11-23 08:59"), RosterProblem.VISIT_OUTSIDE),
        (VISITOR, local("2026-11-23 11:01"), RosterProblem.VISIT_OUTSIDE),
    ],
)  # fmt: skip
def test_assess(
    person: Worker | Visitor | None, at: datetime, problem: RosterProblem | None
) -> None:
    assert assess(person, at, RULES) is problem


@pytest.mark.parametrize(
    ("person", "at", "until"),
    [
        (worker(), AT, local("2026-11-23 08:15")),
        (worker(), local("2026-11-23 12:00"), local("2026-11-23 12:30")),
        (worker(group="night"), local("2026-11-23 23:00"), local("2026-11-24 06:30")),
        (worker(group="night"), local("2026-11-24 01:00"), local("2026-11-24 06:30")),
        (worker(group="all-day"), AT, None),  # any time: no end
        (worker(group="night"), AT, None),  # not admitted now
        (VISITOR, local("2026-11-23 10:00"), local("2026-11-23 11:00")),
        (None, AT, None),
    ],
)  # fmt: skip
def test_admitted_until(
    person: Worker | Visitor | None, at: datetime, until: datetime | None
) -> None:
    assert admitted_until(person, at, RULES) == until


def test_the_rules_come_from_the_config(tmp_path: Path) -> None:
    rules = RosterRules.from_config(roster_config(tmp_path, nat_valid_h=48))
    assert rules.nat_valid_h == 48
    groups = rules.shifts.groups
    assert groups["all-day"].any_time and groups["night"].time_windows == (
        parse_window("22:00-06:30"),
    )
    assert groups["day"].time_windows[0].start == time(7, 30) and rules.gate_id == "gate-t"


# --- the running gate's roster --------------------------------------------------------------------
class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_new_roster_is_taken_only_when_wholly_valid(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="terminal.rules.roster")
    config = roster_config(tmp_path, reload_s=2.0)
    workers = write(tmp_path / "workers.csv", W + "W1,Sec Ret,A,day,,\n")
    write(tmp_path / "visitors.csv", V)
    ticks = Ticks()
    files = RosterFiles(config, now=ticks)
    assert files.current.get("W1") is not None
    assert files.refresh() is False  # nothing changed

    write(workers, W + "W1,Sec Ret,A,day,,\nW2,Other Name,A,no-such-group,,\n")
    ticks.now += 1.0
    assert files.refresh() is False  # not looked at before reload_s
    ticks.now += 1.0
    assert files.refresh() is False  # looked at, refused
    assert files.current.get("W2") is None and files.current.get("W1") is not None
    for _ in range(5):  # said once, not on every look
        ticks.now += 2.0
        assert files.refresh() is False
    refused = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert refused == [
        f"new roster refused, the one in force stays: {workers}:3: group: no such group in "
        "shifts.groups (all-day, day, night)"
    ]

    write(workers, W + "W2,Other Name,A,day,2026-11-22 08:00,negative\n")
    ticks.now += 2.0
    assert files.refresh() is True
    assert files.current.get("W1") is None and files.current.get("W2") is not None
    assert "took a new roster: 1 workers, 0 visitors" in caplog.text
    assert "Sec Ret" not in caplog.text and "W2" not in caplog.text and "W1" not in caplog.text

    workers.unlink()  # a file gone is a bad roster too
    ticks.now += 2.0
    assert files.refresh() is False and files.current.get("W2") is not None


def test_a_roster_is_a_mapping_of_people() -> None:
    roster = Roster([worker(), VISITOR])
    assert len(roster) == 2 and roster.workers() == [worker()] and roster.visitors() == [VISITOR]
    assert roster.get("V1") == VISITOR and roster.get("v1") is None
