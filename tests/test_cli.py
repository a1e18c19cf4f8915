"""The console command as an installer or a developer types it."""

from __future__ import annotations

import contextlib
import csv
import json
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from simulator.broker import PrivateBroker, free_port
from terminal.record.store import Record
from tests.conftest import example_gate_config, example_gate_config_text
from tests.support.cli import REPO, count_checks_read_only, gate_terminal, run

SCENARIO = """person_id,arrival_s,core_c,ambient_c,code,object_c
S1,0,36.5,20.0,green,33.9
S2,3,38.6,20.5,green,36.2
S3,5,36.7,21.0,red,
S4,7,36.4,21.0,none,33.8
S5,9,36.9,21.5,unreadable,34.1
S6,11,36.6,21.5,yellow,34.0
"""


@pytest.mark.slow  # starts a process
def test_simulate_a_scenario_writes_one_result_per_person(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    scenario = tmp_path / "scenario.csv"
    scenario.write_text(SCENARIO, encoding="utf-8")
    results = tmp_path / "results.csv"
    # six people: each judged on their own forehead (the absolute table), so the results show
    # their codes; comparing them with each other is the screening tests' business
    config = tmp_path / "simulator.toml"
    text = (REPO / "config" / "simulator.toml").read_text(encoding="utf-8")
    text = text.replace('estimator = "relative"', 'estimator = "absolute"')
    text = text.replace(
        'path = "roster.example.csv"', f'path = "{REPO / "config" / "roster.example.csv"}"'
    )
    config.write_text(text, encoding="utf-8")
    done = run(
        "simulate",
        "--config",
        str(config),
        "--scenario",
        str(scenario),
        "--results",
        str(results),
        "--broker",
        f"{broker.host}:{broker.port}",
        "--record",
        str(tmp_path / "record.sqlite"),
    )
    assert done.returncode == 0, done.stderr + done.stdout
    with results.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["person_id"], r["decision"], r["reason"]) for r in rows] == [
        ("S1", "admit", "admitted"),
        ("S2", "deny", "fever"),  # final: the guard confirmed the fever
        ("S3", "deny", "code_red"),
        ("S4", "deny", "no_code"),
        ("S5", "deny", "unreadable_code"),
        ("S6", "deny", "code_yellow"),
    ]
    assert float(rows[1]["temperature_c"]) >= 37.3
    # the gate's first answer, and the guard's clinical reading, beside the screened one
    assert rows[1]["first_reason"] == "secondary_check"
    assert float(rows[1]["clinical_c"]) >= 37.3 and rows[1]["screened_c"]
    assert "record, broker and subscriber agree one to one" in done.stdout
    assert "secondary checks       1 flagged, 1 checked by a guard" in done.stdout
    assert "fevers -> isolation    1" in done.stdout


@pytest.mark.slow  # starts a process
def test_simulate_starts_its_own_broker(tmp_path: Path) -> None:
    record = tmp_path / "record.sqlite"
    # seed 4: a crowd in which the screening sends someone to the guard
    done = run("simulate", "--workers", "25", "--seed", "4", "--record", str(record))
    assert done.returncode == 0, done.stderr + done.stdout
    checks = Record(record).checks()
    # one check a person, and another for each one told to rest, who came back and scanned again
    rested = sum(1 for c in checks if c["reason"] == "rest")
    assert len(checks) == 25 + rested and rested > 0
    assert f"checks recorded        {len(checks)}" in done.stdout
    assert f"received by a subscriber  {len(checks)} checks" in done.stdout
    # the secondary checks as the record has them: every flag checked by the simulated guard
    record_of = Record(record)
    flagged = sum(1 for c in checks if c["reason"] == "secondary_check")
    checked = sum(1 for s in record_of.rows("secondary_steps") if s["step"] == "clinical_reading")
    assert flagged == checked > 0
    assert f"secondary checks       {flagged} flagged, {checked} checked by a guard" in done.stdout
    assert ", 0 open" in done.stdout
    # what the guards were asked to do, against the park's budget, and the rests
    assert f"guard load             {flagged} of 25" in done.stdout and "budget 10 %" in done.stdout
    assert f"rest and re-screen     {rested} told to rest, {rested} came back" in done.stdout


@pytest.mark.slow  # starts a process
def test_a_bad_scenario_says_where(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.csv"
    scenario.write_text(
        SCENARIO.replace("S4,7,36.4,21.0,none", "S4,7,hot,21.0,none"), encoding="utf-8"
    )
    done = run("simulate", "--scenario", str(scenario), "--record", str(tmp_path / "r.sqlite"))
    assert done.returncode == 2
    assert f"{scenario}:5: core_c must be a number, got 'hot'" in done.stderr


@pytest.mark.slow  # starts a process
def test_a_bad_config_says_which_key(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    text = (REPO / "config" / "simulator.toml").read_text()
    config.write_text(
        text.replace("fever_threshold_c = 37.3", "fever_threshold_c = 52"), encoding="utf-8"
    )
    done = run("simulate", "--config", str(config))
    assert done.returncode == 2
    assert "screening.fever_threshold_c: Input should be less than or equal to 38" in done.stderr


def example_config_with_example_roster(tmp_path: Path) -> Path:
    text = example_gate_config_text()
    for kind in ("workers", "visitors"):
        text = text.replace(
            f"/var/lib/gate-terminal/roster/{kind}.csv",
            str(REPO / "config" / f"{kind}.example.csv"),
        )
    config = tmp_path / "gate.toml"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.mark.slow  # starts a process
def test_run_on_a_machine_without_gpio_explains(tmp_path: Path) -> None:
    done = run("run", "--config", str(example_config_with_example_roster(tmp_path)))
    assert done.returncode == 2
    assert "not a Raspberry Pi" in done.stderr and "needs a Raspberry Pi 4 or 5" in done.stderr


@pytest.mark.slow  # starts a process
def test_run_without_its_roster_says_which_file(tmp_path: Path) -> None:
    done = run("run", "--config", str(example_gate_config(tmp_path)))
    assert done.returncode == 2
    assert "/var/lib/gate-terminal/roster/workers.csv: cannot read roster" in done.stderr


@pytest.mark.slow  # starts a process
def test_run_service_on_simulated_hardware_stops_cleanly(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    text = (REPO / "config" / "simulator.toml").read_text()
    text = text.replace(
        'path = "../var/simulator-record.sqlite"', f'path = "{tmp_path / "svc.sqlite"}"'
    )
    text = text.replace("port = 1883", f"port = {broker.port}").replace(
        "workers = 200", "workers = 3"
    )
    text = text.replace("arrival_window_s = 900", "arrival_window_s = 4")  # it runs in real time
    display_port = free_port()
    text = text.replace("port = 8088", f"port = {display_port}")
    for kind in ("workers", "visitors"):
        example = f"{kind}.example.csv"
        text = text.replace(f'"{example}"', f'"{REPO / "config" / example}"')
    config = tmp_path / "svc.toml"
    config.write_text(text, encoding="utf-8")
    service = subprocess.Popen(
        [*gate_terminal(), "--verbose", "run", "--config", str(config)],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    record_path = tmp_path / "svc.sqlite"
    screens: list[dict[str, str]] = []
    while time.monotonic() < deadline and service.poll() is None:
        if record_path.exists() and count_checks_read_only(record_path) >= 3:
            break
        time.sleep(0.05)  # an inspector reading the record while the gate writes
        page = f"http://127.0.0.1:{display_port}/screen"  # the worker's display, by the service
        with contextlib.suppress(OSError), urllib.request.urlopen(page) as answer:
            screens.append(json.load(answer))
    service.send_signal(signal.SIGTERM)
    _, stderr = service.communicate(timeout=30)
    assert service.returncode == 0, stderr
    record = Record(record_path)
    assert len(record.checks()) == 3
    assert record.count_unsent() == 0  # flushed before stopping
    # the most verbose logs carry no key, no person and no temperature
    assert "gate demo-park/gate-1 running" in stderr
    assert "simulator-only-key" not in stderr
    people = {c["person_id"] for c in record.checks()} - {None}
    assert people and not any(pid in stderr for pid in people)
    # the simulated crowd came from the configured roster (strangers are X...)
    on_roster = {"W0001", "W0002", "W0003", "W0004", "W0005", "V0001"}
    assert people & on_roster and all(p in on_roster or p.startswith("X") for p in people)
    assert "running: 5 workers, 1 visitors on the roster" in stderr
    assert screens and all(screen["headline"] for screen in screens)
    assert f"the worker's display is at http://127.0.0.1:{display_port}/" in stderr
    temperatures = {f"{c['temperature_c']:.1f}" for c in record.checks() if c["temperature_c"]}
    assert temperatures and not any(t in stderr for t in temperatures)


@pytest.mark.slow  # starts a process
def test_simulate_never_replaces_a_real_gates_record(tmp_path: Path) -> None:
    text = example_gate_config_text()
    real_record = tmp_path / "real.sqlite"
    config = tmp_path / "gate.toml"
    config.write_text(
        text.replace("/var/lib/gate-terminal/record.sqlite", str(real_record)), encoding="utf-8"
    )
    real_record.write_bytes(b"")  # whatever is there stays there
    done = run("simulate", "--config", str(config), "--workers", "2")
    assert done.returncode == 2
    assert "gate.hardware is 'pi'" in done.stderr and "give --record" in done.stderr
    assert real_record.exists()


@pytest.mark.slow  # starts a process
@pytest.mark.parametrize("what", ["a config file", "a real gate's record"])
def test_simulate_replaces_only_a_record_it_made_itself(tmp_path: Path, what: str) -> None:
    target = tmp_path / "target"
    if what == "a config file":
        target.write_text((REPO / "config" / "simulator.toml").read_text(), encoding="utf-8")
    else:
        Record(target).close()  # a gate's record: no simulator label
    before = target.read_bytes()
    done = run("simulate", "--workers", "2", "--record", str(target))
    assert done.returncode == 2
    assert "is not a record the simulator made; not replaced" in done.stderr
    assert target.read_bytes() == before
    # and a record the simulator made is replaced run after run
    ours = tmp_path / "ours.sqlite"
    for _ in range(2):
        assert run("simulate", "--workers", "2", "--record", str(ours)).returncode == 0
    assert len(Record(ours).checks()) == 2


@pytest.mark.slow  # starts a process
@pytest.mark.parametrize(
    ("what", "said"),
    [
        ("a text file", "not an SQLite file"),
        (
            "a real gate's record",
            "an SQLite file without the simulator's mark (a real gate's record, perhaps)",
        ),
    ],
)
def test_simulate_keeps_whatever_a_simulated_configs_record_path_names(
    tmp_path: Path, what: str, said: str
) -> None:
    """The config's own record.path is checked as --record is: a notes file or a gate's record
    there stays as it was, and the run stops before anything starts."""
    target = tmp_path / "notes.txt"
    if what == "a text file":
        target.write_text("shift notes: gate-1 relay replaced on Monday\n", encoding="utf-8")
    else:
        Record(target).close()
    before = target.read_bytes()
    config = tmp_path / "simulator.toml"
    text = (REPO / "config" / "simulator.toml").read_text(encoding="utf-8")
    text = text.replace('"../var/simulator-record.sqlite"', f'"{target}"')
    for roster in ("workers.example.csv", "visitors.example.csv"):
        text = text.replace(f'"{roster}"', f'"{REPO / "config" / roster}"')
    config.write_text(text, encoding="utf-8")
    done = run("simulate", "--config", str(config), "--workers", "2")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        f"gate-terminal: {target}: exists and is not a record the simulator made; not replaced"
        f" ({said}); move it away, or set another record.path in {config}, or give --record FILE"
    ]
    assert target.read_bytes() == before


@pytest.mark.slow  # starts a process
def test_simulate_keeps_a_file_of_someone_elses_where_the_shifts_log_goes(tmp_path: Path) -> None:
    """The shift's log goes beside the record: a file there that is not a shift's log stays."""
    notes = tmp_path / "shift.log"
    notes.write_text("gate-1 relay replaced on Monday\n", encoding="utf-8")
    done = run("simulate", "--workers", "2", "--record", str(tmp_path / "shift.sqlite"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"gate-terminal: {notes}: exists and is not a shift's log the simulator wrote; not"
        " replaced; move it away, or give another --record FILE (the shift's log goes beside"
        " the record)"
    ]
    assert notes.read_text(encoding="utf-8") == "gate-1 relay replaced on Monday\n"
    assert not (tmp_path / "shift.sqlite").exists()
    # and a log of the simulator's is replaced run after run
    notes.unlink()
    for _ in range(2):
        assert (
            run("simulate", "--workers", "2", "--record", str(tmp_path / "shift.sqlite")).returncode
            == 0
        )
    assert notes.read_text(encoding="utf-8").count("# gate-terminal simulate") == 1


@pytest.mark.slow  # starts a process
def test_simulate_stay_without_screens_is_one_line() -> None:
    done = run("simulate", "--workers", "2", "--stay")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "gate-terminal: --stay keeps the screens up after the shift: give it with --screens"
    ]


@pytest.mark.slow  # starts a process
@pytest.mark.parametrize(
    ("broker", "said"),
    [
        ("127.0.0.1:{free}", "connection refused (is a broker running there?)"),
        ("gate-broker.invalid:1883", "unknown host 'gate-broker.invalid'"),
    ],
)
def test_simulate_against_a_broker_it_cannot_reach_is_one_line_and_keeps_the_record(
    tmp_path: Path, broker: str, said: str
) -> None:
    from simulator.broker import free_port

    previous = tmp_path / "previous.sqlite"
    assert run("simulate", "--workers", "2", "--record", str(previous)).returncode == 0
    before = count_checks_read_only(previous)
    address = broker.format(free=free_port())
    done = run("simulate", "--workers", "2", "--record", str(previous), "--broker", address)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"gate-terminal: broker {address}: {said}"]
    assert "Traceback" not in done.stderr
    assert count_checks_read_only(previous) == before == 2  # not replaced: the run never started


@pytest.mark.slow  # starts a process
def test_simulate_says_whether_the_outbox_drained(tmp_path: Path, broker: PrivateBroker) -> None:
    done = run(
        "simulate", "--workers", "3", "--record", str(tmp_path / "r.sqlite"),
        "--broker", f"{broker.host}:{broker.port}", "--drain-timeout", "20",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "outbox drained" in done.stdout
    bad = run("simulate", "--drain-timeout", "-1")
    assert bad.returncode == 2 and "expected 0 to 86400 seconds" in bad.stderr
