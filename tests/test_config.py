from __future__ import annotations

import os
import stat
import subprocess
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.config import MAX_CONFIG_BYTES, RESERVED_GATE_IDS, ConfigError, load, parse
from terminal.screening.calibration import load_offsets, save_offset
from tests.conftest import (
    SIMULATOR_ISSUER,
    example_gate_config,
    example_gate_config_text,
    make_config,
)
from tests.support.cli import run as run_cli

REPO = Path(__file__).resolve().parent.parent


def test_shipped_configs_load(tmp_path: Path) -> None:
    for config in (load(REPO / "config" / "simulator.toml"), load(example_gate_config(tmp_path))):
        assert config.screening.fever_threshold_c == 37.3


def test_relative_paths_are_taken_from_the_config_folder() -> None:
    config = load(REPO / "config" / "simulator.toml")
    assert config.resolved(config.roster.workers) == (REPO / "config" / "workers.example.csv")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gate.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = example_gate_config_text()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("relay_pin = 17", "relay_pin = 40"),
            r"outputs\.relay_pin: Input should be less than or equal to 27",
        ),
        (
            ("relay_pin = 17", "relay_pin = 27"),
            r"outputs: Value error, relay, lamp and buzzer pins must differ",
        ),
        (
            ("buzzer_pin = 23", "buzzer_pin = 22"),
            r"outputs: Value error, relay, lamp and buzzer pins must differ",
        ),
        # configuration cannot hide a fever
        (
            ("fever_threshold_c = 37.3 ", "fever_threshold_c = 40.0 "),
            r"screening\.fever_threshold_c: Input should be less than or equal to 38",
        ),
        (
            ("plausible_max_c = 42.5", "plausible_max_c = 40.0"),
            r"screening: Value error, plausible_max_c must be at least fever_threshold_c \+ 3",
        ),
        # nor a screening the guards cannot staff, or one that sends everyone to rest
        (
            ("secondary_budget = 0.10", "secondary_budget = 0.6"),
            r"screening\.secondary_budget: Input should be less than or equal to 0\.5",
        ),
        (
            ("rest_share = 0.4 ", "rest_share = 0.05 "),
            r"screening: Value error, rest_share must be at least secondary_budget",
        ),
        (
            ("clearly_high_c = 38.0 ", "clearly_high_c = 37.3 "),
            r"screening\.clearly_high_c: Input should be greater than or equal to 37\.5",
        ),
        (
            ("settle_s = 0.7", "settle_s = 0.3"),
            r"screening\.settle_s: Input should be greater than or equal to 0\.65",
        ),
        (
            ("max_distance_cm = 25", "max_distance_cm = 70"),
            r"screening: Value error, max_distance_cm must be below presence_cm",
        ),
        (
            ("address = 0x29", "address = 0x5A"),
            r"distance\.address and thermometer\.address must differ",
        ),
        # a zone's keys
        (
            ('direction = "entry"', 'direction = "both"'),
            r'exit_side: required with gate\.direction = "both"',
        ),
        (
            ('name = "north-hall"', "# no name"),
            r"zone: Value error, zone\.name: required for a capacity, anti_passback or gates",
        ),
        (
            (
                'gates = ["north-1", "north-2"]       # every',
                'gates = ["north-2", "south-1"] # every',
            ),
            r"zone\.gates: must list this gate \('north-1'\) too",
        ),
        (
            (
                'gates = ["north-1", "north-2"]       # every',
                'gates = ["north-1", "north-1"] # every',
            ),
            r"zone\.gates: Value error, a gate is listed twice",
        ),
        (
            (
                'gates = ["north-1", "north-2"]       # every',
                'gates = ["north-1", "north/2"] # every',
            ),
            r"zone\.gates: Value error, \[1\]: 'north/2' is not a gate id",
        ),
        (("capacity = 200 ", "capacity = 0 "), r"zone\.capacity: Input should be greater than"),
        (
            ('anti_passback = "deny"', 'anti_passback = "warn"'),
            r"zone\.anti_passback: Input should be 'off', 'deny' or 'record_only'",
        ),
        (
            ('isolation_room = "Temporary isolation room"', 'isolation_room = ""'),
            r"secondary\.isolation_room: String should have at least 1 character",
        ),
        (
            ('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"'),
            r"gate\.timezone: .*unknown time zone",
        ),
        (("retention_days = 30", "retension_days = 30"), r"record\.retension_days: unknown key"),
        (('id = "north-1"', 'id = "north/1"'), r"gate\.id: String should match pattern"),
        (
            ('key_id = "park-2026"', 'key_id = "park/2026"'),
            r"healthcode\.issuers\[0\]\.key_id: String should match pattern",
        ),
        (
            ('red = "isolation"', 'red = "admit"'),
            r"risk\.actions\.low: .*red: a red code never admits",
        ),
        (("\nworkers = ", "\nworker = "), r"roster\.workers: required, missing"),
        (("nat_valid_h = 72", "nat_valid_h = 400"), r"roster\.nat_valid_h: Input should be less"),
        (
            ('{ at = "17:00-17:30", kind = "meal"', '{ at = "17:00Z-17:30Z", kind = "meal"'),
            r"shifts\.groups\.day\.windows\[2\]\.at: Value error, window '17:00Z-17:30Z' "
            r"carries a time zone; windows are local times of gate\.timezone",
        ),
        (
            ('{ at = "21:40-22:00"', '{ at = "22:00-22:00"'),
            r"shifts\.groups\.night\.windows\[0\]\.at: .*has no length$",
        ),
        (
            ('{ at = "21:40-22:00"', '{ at = "21:40-6:30"'),
            r"shifts\.groups\.night\.windows\[0\]\.at: .*is not HH:MM-HH:MM",
        ),
        (
            ('kind = "meal", days = ["mon-fri"] },', 'kind = "lunch", days = ["mon-fri"] },'),
            r"shifts\.groups\.day\.windows\[1\]\.kind: Input should be 'arrival', 'meal', "
            r"'rest' or 'leaving'$",
        ),
        (
            ('kind = "arrival", days = ["sun-thu"]', 'kind = "arrival", days = ["sun-thursday"]'),
            r"shifts\.groups\.night\.windows\[0\]\.days: .*'sun-thursday' is not a day",
        ),
        (
            ('kind = "arrival", days = ["sun-thu"]', 'kind = "arrival", day = ["sun-thu"]'),
            r"shifts\.groups\.night\.windows\[0\]\.day: unknown key$",
        ),
        (
            ('gates = ["warehouse-1"]', "gates = []"),
            r"shifts\.groups\.warehouse\.gates: Tuple should have at least 1 item",
        ),
        (
            ('gates = ["warehouse-1"]', 'gates = ["warehouse/1"]'),
            r"shifts\.groups\.warehouse\.gates\[0\]: String should match pattern",
        ),
        (("early_grace_min = 5 ", "early_grace_min = 500 "), r"shifts\.early_grace_min: .*120"),
        (("late_grace_min = 5 ", "late_grace_min = -1 "), r"shifts\.late_grace_min: .*0"),
        (("holidays = [2027-02-06,", 'holidays = ["2027-02-30",'), r"shifts\.holidays\[0\]: "),
        (
            ("date = 2027-02-13", "date = 2027-02-13T08:00:00"),
            r"shifts\.groups\.day\.changes\[0\]\.date: .*date",
        ),
        (
            (
                "[[shifts.groups.day.changes]]",
                "[[shifts.groups.day.changes]]\ndate = 2027-02-13\n[[shifts.groups.day.changes]]",
            ),
            r"shifts\.groups\.day\.changes: .*2027-02-13 is changed twice",
        ),
        (
            ('windows = ["*"]', 'windows = ["*", "07:00-08:00"]'),
            r"shifts\.groups\.all-day\.windows: .*stands alone",
        ),
        (('windows = ["*"]', "windows = []"), r"shifts\.groups\.all-day\.windows: .*at least 1"),
        (
            ("[shifts.groups.night]", '[shifts.groups."night shift"]'),
            r"shifts\.groups\.night shift",
        ),
        (("fever_threshold_c = 37.3", "fever_threshold_c = 37,3"), r"not valid TOML"),
    ],
)
def test_errors_name_the_file_and_the_key(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message) as raised:
        load(path)
    assert str(raised.value).startswith(str(path.resolve()) + ":") or "not valid TOML" in str(
        raised.value
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [("estimator", '"relative"'), ("reference_quantile", "0.05"), ("relative_offset_c", "0.55")],
)
def test_a_screening_key_of_earlier_versions_is_refused_naming_what_replaced_it(
    tmp_path: Path, key: str, value: str
) -> None:
    # an upgraded gate must not keep running on a knob that no longer does anything
    assert "[screening]\n" in GOOD
    path = _write(tmp_path, GOOD.replace("[screening]\n", f"[screening]\n{key} = {value}\n", 1))
    with pytest.raises(ConfigError) as raised:
        load(path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path.resolve()}: screening: ")
    assert f"{key} is replaced by secondary_budget" in message and message.endswith("remove it")


@pytest.mark.parametrize(
    ("screening", "message"),
    [
        ({"secondary_budget": 0.0}, r"screening\.secondary_budget: .*or equal to 0\.01"),
        ({"rest_min": 1}, r"screening\.rest_min: .*greater than or equal to 2"),
        ({"rest_min": 45}, r"screening\.rest_min: .*less than or equal to 30"),
        ({"rest_share": 0.95}, r"screening\.rest_share: .*less than or equal to 0\.9"),
        ({"rest_return_min": 0.5}, r"screening\.rest_return_min: .*greater than or equal to 1"),
        ({"baseline_min_readings": 1}, r"screening\.baseline_min_readings: .*equal to 2"),
        ({"rest_area": ""}, r"screening\.rest_area: String should have at least 1 character"),
        ({"rest": "sometimes"}, r"screening\.rest: Input should be a valid boolean"),
        (
            {"secondary_budget": 0.3, "rest_share": 0.25},
            r"screening: Value error, rest_share must be at least secondary_budget$",
        ),
        (
            {"fever_threshold_c": 37.8, "clearly_high_c": 37.6},
            r"screening: Value error, clearly_high_c must be above fever_threshold_c$",
        ),
    ],
)
def test_the_screenings_keys_are_bounded_and_agree(
    tmp_path: Path, screening: dict, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        make_config(tmp_path, screening=screening)
    assert "\n" not in str(raised.value)


def test_a_park_may_set_its_budget_and_switch_rest_or_baselines_off(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        screening={"secondary_budget": 0.2, "rest_share": 0.2, "rest": False, "baseline": False},
    )
    assert (config.screening.secondary_budget, config.screening.rest_share) == (0.2, 0.2)
    assert not config.screening.rest and not config.screening.baseline
    defaults = make_config(tmp_path).screening
    assert (defaults.secondary_budget, defaults.rest_min, defaults.clearly_high_c) == (
        0.10,
        5.0,
        38.0,
    )
    assert defaults.rest and defaults.baseline


def test_the_broker_password_is_refused_in_the_main_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"mqtt: .*go in the file named by credentials_file"):
        make_config(tmp_path, mqtt={"username": "gate", "password": "s3cret-broker-pass"})


def credentials(folder: Path, username: str = "gate-t", mode: int = 0o600) -> Path:
    """A broker login file as an installer makes it (mode 0600 unless said)."""
    login = folder / "mqtt-credentials.toml"
    login.write_text(f'username = "{username}"\npassword = "s3cret-broker-pass"\n', "utf-8")
    login.chmod(mode)
    return login


def test_broker_credentials_come_from_their_own_file(tmp_path: Path) -> None:
    login = credentials(tmp_path)
    config = make_config(tmp_path, mqtt={"credentials_file": str(login)})
    assert config.mqtt.credentials() == ("gate-t", "s3cret-broker-pass")
    assert "s3cret-broker-pass" not in repr(config)
    login.write_text('username = "gate-t"\npasword = "typo"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        config.mqtt.credentials()
    assert str(raised.value) == f"{login}: password: missing; pasword: extra_forbidden"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load(tmp_path / "nope.toml")


def test_a_broken_credentials_file_is_an_error_at_start(tmp_path: Path) -> None:
    login = credentials(tmp_path)
    login.write_text('username = "gate-t"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        make_config(tmp_path, mqtt={"credentials_file": str(login)})
    assert f"mqtt.credentials_file: Value error, {login}: password: missing" in str(raised.value)


def test_the_example_credentials_file_must_be_filled_in(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "config" / "mqtt-credentials.example.toml"
    copy = tmp_path / "mqtt-credentials.toml"  # copied as its comment says: mode 0600
    copy.write_bytes(example.read_bytes())
    copy.chmod(0o600)
    with pytest.raises(ConfigError, match="username: still the example's placeholder"):
        make_config(tmp_path, mqtt={"credentials_file": str(copy)})


# any value an installer may type, in any key: a config loads or is refused in one line
toml_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True),
        st.text(max_size=40),
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=400, deadline=None)
@given(
    section=st.sampled_from(
        [
            "gate",
            "record",
            "mqtt",
            "screening",
            "healthcode",
            "risk",
            "roster",
            "shifts",
            "camera",
            "thermometer",
            "outputs",
            "timing",
            "simulator",
            "commands",
            "report",
        ]
    ),
    key=st.text(max_size=20),
    value=toml_values,
)
def test_any_value_anywhere_loads_or_is_refused_in_one_line(
    section: str, key: str, value: object
) -> None:
    data = tomllib.loads(GOOD)
    target = data.setdefault(section, {})
    if isinstance(target, dict) and key:
        target[key] = value
    else:
        data[section] = value
    try:
        parse(data, Path("/etc/gate-terminal/gate.toml"))
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith("/etc/gate-terminal/gate.toml: ") and "\n" not in message


def test_the_simulated_crowd_belongs_to_configured_groups(tmp_path: Path) -> None:
    shifts = {"groups": {"day": {"windows": ["07:00-08:00"]}}}
    assert make_config(tmp_path, shifts=shifts, simulator={"groups": ["day"]}).simulator.groups
    with pytest.raises(ConfigError, match=r"simulator\.groups\[1\]: 'swing' is not in shifts"):
        make_config(tmp_path, shifts=shifts, simulator={"groups": ["day", "swing"]})


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        # fail-safe: a cut wire must read as the alarm, or a fire could find the gate shut
        (
            {"fire_alarm": {"pin": 6, "pull": "down"}},
            r"inputs\.fire_alarm: Value error, pull must be 'up' with active_high = true: an "
            r"open circuit \(a cut wire\) must read as the alarm",
        ),
        (
            {"fire_alarm": {"pin": 6, "active_high": False, "pull": "up"}},
            r"inputs\.fire_alarm: .*pull must be 'down' with active_high = false",
        ),
        ({"staff_button": {"pin": 13}}, r"inputs\.staff_button\.reason: required, missing"),
        (
            {"staff_button": {"pin": 13, "reason": "   "}},
            r"inputs\.staff_button\.reason: .*must not be blank",
        ),
        (
            {"passage": {"pin": 5}, "staff_button": {"pin": 5, "reason": "guard"}},
            r"inputs: Value error, input pins must differ",
        ),
        ({"passage": {"pin": 17}}, r"inputs\.passage\.pin: 17 is already an output"),
        ({"passage": {"pin": 2}}, r"passage\.pin: 2 is the thermometer's I2C bus"),
        ({"passage": {"pin": 5, "window_s": 0.2}}, r"inputs\.passage\.window_s: .*greater"),
        ({"passage": {"pin": 5, "debounce_ms": 500}}, r"inputs\.passage\.debounce_ms: .*less"),
        ({"passage": {"pin": 5, "pull": "sideways"}}, r"inputs\.passage\.pull: Input should be"),
        ({"door": {"pin": 5}}, r"inputs\.door: unknown key"),
    ],
)
def test_input_wiring_errors_name_the_key(tmp_path: Path, inputs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_config(tmp_path, inputs=inputs)


def test_the_simulator_config_wires_every_input() -> None:
    inputs = load(REPO / "config" / "simulator.toml").inputs
    assert inputs.passage is not None and inputs.fire_alarm is not None
    assert inputs.staff_button is not None and inputs.staff_button.reason


def test_a_config_file_that_is_not_utf8_is_one_line_naming_the_file(tmp_path: Path) -> None:
    from terminal.centre.config import load_centre

    path = tmp_path / "gate.toml"
    path.write_bytes(b'\xff\xfe[gate]\npark = "p"\n')
    for loader in (load, load_centre):
        with pytest.raises(ConfigError, match=r"gate\.toml: not UTF-8 text \(byte 0\)"):
            loader(path)


# --- files from outside: only regular files, of a sane size, refused in one line -------------


def _one_line_refusal(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr


@pytest.mark.slow  # starts a process
def test_a_config_nested_to_exhaust_the_parser_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "gate.toml"
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    done = run_cli("shifts", "show", "--config", str(path), timeout=60)
    _one_line_refusal(done, f"{path}: not valid TOML: nested too deeply")


def test_a_number_too_long_for_python_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "gate.toml"
    path.write_text("[outputs]\nrelay_pin = " + "9" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gate\.toml: not valid TOML: a number too long"):
        load(path)


@pytest.mark.slow  # starts a process
def test_a_device_as_config_is_refused_not_read(tmp_path: Path) -> None:
    done = run_cli("shifts", "show", "--config", "/dev/zero", timeout=60)
    _one_line_refusal(done, "/dev/zero: config is not a regular file")


@pytest.mark.slow  # starts a process
def test_a_fifo_as_config_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "gate.toml"
    os.mkfifo(fifo)
    done = run_cli("shifts", "show", "--config", str(fifo), timeout=30)  # never a hang
    _one_line_refusal(done, f"{fifo}: config is not a regular file")


def test_a_config_too_large_to_be_one_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + "#" * MAX_CONFIG_BYTES)
    with pytest.raises(ConfigError, match=r"gate\.toml: config is larger than 1 MiB"):
        load(path)


@pytest.mark.slow  # starts a process
def test_a_device_as_calibration_stops_the_gate_at_start_in_one_line(tmp_path: Path) -> None:
    text = (REPO / "config" / "simulator.toml").read_text(encoding="utf-8")
    text = text.replace('"../var/calibration.json"', '"/dev/zero"')
    for kind in ("workers", "visitors"):
        text = text.replace(f'"{kind}.example.csv"', f'"{REPO / "config" / f"{kind}.example.csv"}"')
    config = tmp_path / "gate.toml"
    config.write_text(text, encoding="utf-8")
    record = tmp_path / "record.sqlite"
    done = run_cli(
        "simulate", "--config", str(config), "--workers", "1", "--record", str(record), timeout=120
    )
    _one_line_refusal(done, "/dev/zero: the calibration is not a regular file")


def test_a_calibration_nested_to_exhaust_the_parser_is_one_line(tmp_path: Path) -> None:
    calibration = tmp_path / "calibration.json"
    calibration.write_text("[" * 30_000 + "]" * 30_000, encoding="utf-8")  # within 64 KiB
    config = make_config(tmp_path, thermometer={"calibration_path": str(calibration)})
    with pytest.raises(ConfigError) as raised:
        load_offsets(config)
    assert str(raised.value) == f"{calibration}: cannot read the calibration: nested too deeply"


def test_calibrating_never_replaces_what_is_not_a_calibration_file(tmp_path: Path) -> None:
    fifo = tmp_path / "calibration.json"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def calibrate() -> None:
        try:
            save_offset(fifo, 0x5A, 0.4, 37.0)
            outcome.append(None)
        except BaseException as exc:  # whatever it is, the test reports it
            outcome.append(exc)

    worker = threading.Thread(target=calibrate, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert outcome, "calibrating waited for ever on a FIFO"
    assert isinstance(outcome[0], ConfigError)
    assert str(outcome[0]) == f"{fifo}: the calibration is not a regular file"
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # left as it was


def test_a_credentials_file_too_large_is_refused(tmp_path: Path) -> None:
    login = credentials(tmp_path)
    login.write_text(login.read_text() + "#" * (20 * 1024) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"credentials is larger than 16 KiB"):
        make_config(tmp_path, mqtt={"credentials_file": str(login)})


# --- texts shown to people: no control characters, newlines or bidirectional marks ------------

FORGING = ["Room 1\nADMITTED", "Room 1\x1b[2J", "Room \u202e1 moor", "Room\u200b1", "Room\u20281"]


@pytest.mark.parametrize("bad", FORGING)
@pytest.mark.parametrize(
    ("sections", "key"),
    [
        (lambda t: {"secondary": {"isolation_room": t}}, "secondary.isolation_room"),
        (lambda t: {"secondary": {"isolation_location": t}}, "secondary.isolation_location"),
        (lambda t: {"screening": {"rest_area": t}}, "screening.rest_area"),
        (
            lambda t: {"healthcode": {"issuers": [{**SIMULATOR_ISSUER, "name": t}]}},
            "healthcode.issuers[0].name",
        ),
        (
            lambda t: {"inputs": {"staff_button": {"pin": 13, "reason": t}}},
            "inputs.staff_button.reason",
        ),
        (lambda t: {"mqtt": {"host": t}}, "mqtt.host"),
        (lambda t: {"camera": {"device": t}}, "camera.device"),
        (lambda t: {"record": {"path": t}}, "record.path"),
        (lambda t: {"roster": {"workers": t}}, "roster.workers"),
        (lambda t: {"thermometer": {"calibration_path": t}}, "thermometer.calibration_path"),
        (lambda t: {"simulator": {"shift_start": t}}, "simulator.shift_start"),
    ],
)
def test_a_text_that_could_forge_what_people_see_is_refused(
    tmp_path: Path, sections: Callable[[str], dict], key: str, bad: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        make_config(tmp_path, **sections(bad))
    message = str(raised.value)
    assert "\n" not in message and "\x1b" not in message and "\u202e" not in message
    assert f"{key}: Value error, the " in message
    assert "holds a control or formatting character (U+" in message


def test_plain_texts_with_spaces_and_chinese_are_taken(tmp_path: Path) -> None:
    config = make_config(
        tmp_path, secondary={"isolation_room": "临时隔离室 2", "isolation_location": "A 栋一层"}
    )
    assert config.secondary.isolation_room == "临时隔离室 2"


def test_a_broker_username_that_could_forge_a_log_line_is_refused(tmp_path: Path) -> None:
    login = credentials(tmp_path, username="gate-t\\nADMITTED")  # a TOML escape: a real newline
    message = r"mqtt-credentials\.toml: username: Value error, the text holds a control .*U\+000A"
    with pytest.raises(ConfigError, match=message):
        make_config(tmp_path, mqtt={"credentials_file": str(login)})


# --- the broker login: the gate's own, its park's, and encrypted on a real gate ---------------


@pytest.mark.parametrize("mode", [0o640, 0o620, 0o604, 0o602, 0o644, 0o660, 0o666])
def test_a_credentials_file_others_may_read_or_change_is_refused(tmp_path: Path, mode: int) -> None:
    login = credentials(tmp_path, mode=mode)
    with pytest.raises(ConfigError) as raised:
        make_config(tmp_path, mqtt={"credentials_file": str(login)})
    assert str(raised.value).endswith(
        f"mqtt.credentials_file: Value error, {login}: the broker's password readable by others "
        f"(mode {mode:o}); chmod 600 it"
    )
    assert "s3cret" not in str(raised.value)


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_credentials_file_of_its_owner_alone_is_taken(tmp_path: Path, mode: int) -> None:
    login = credentials(tmp_path, mode=mode)
    config = make_config(tmp_path, mqtt={"credentials_file": str(login)})
    assert config.mqtt.credentials() == ("gate-t", "s3cret-broker-pass")


@pytest.mark.parametrize("reserved", ["centre", "dashboard", "security-desk"])
def test_the_centres_broker_users_are_no_gate_ids(tmp_path: Path, reserved: str) -> None:
    with pytest.raises(ConfigError) as raised:
        make_config(tmp_path, gate={"id": reserved})
    assert f"gate.id: Value error, '{reserved}' is one of the broker's users for the centre" in str(
        raised.value
    )
    assert set(RESERVED_GATE_IDS) == {"centre", "dashboard", "security-desk"}


def _real_gate(tmp_path: Path, old: str, new: str) -> Path:
    assert GOOD.count(old) == 1, old
    return _write(tmp_path, GOOD.replace(old, new))


def test_a_real_gate_speaks_tls_unless_told_plainly_not_to(tmp_path: Path) -> None:
    assert load(_write(tmp_path, GOOD)).mqtt.tls  # the example: TLS on 8883
    assert load(_write(tmp_path, GOOD)).mqtt.port == 8883
    plain = _real_gate(tmp_path, "tls = true ", "tls = false ")
    with pytest.raises(ConfigError) as raised:
        load(plain)
    assert "mqtt.tls: false on a real gate sends person ids and temperatures in clear" in str(
        raised.value
    )
    assert "insecure_plaintext = true" in str(raised.value)
    allowed = _real_gate(tmp_path, "tls = true ", "insecure_plaintext = true\ntls = false ")
    assert load(allowed).mqtt.insecure_plaintext
    both = _real_gate(tmp_path, "tls = true ", "insecure_plaintext = true\ntls = true ")
    with pytest.raises(ConfigError, match=r"mqtt: Value error, insecure_plaintext: only with tls"):
        load(both)


def test_a_simulated_gate_may_talk_plainly_to_its_local_broker() -> None:
    for name in ("simulator.toml", "simulator-day.toml", "simulator-both.toml"):
        config = load(REPO / "config" / name)
        assert not config.mqtt.tls and not config.mqtt.insecure_plaintext


def test_a_real_gates_broker_login_is_its_park_and_id(tmp_path: Path) -> None:
    line = '# credentials_file = "/etc/gate-terminal/mqtt-credentials.toml"'
    for username, accepted in (("example-park/north-1", True), ("north-1", False)):
        login = credentials(tmp_path, username=username)
        path = _real_gate(tmp_path, line, f'credentials_file = "{login}"')
        if accepted:
            assert load(path).mqtt.credentials()[0] == username
            continue
        with pytest.raises(ConfigError) as raised:
            load(path)
        assert (
            "mqtt.credentials_file: username 'north-1' is not 'example-park/north-1' (park/id)"
            in str(raised.value)
        )


def test_a_time_zone_name_too_long_for_a_file_name_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"gate\.timezone: .*unknown time zone 'xxx") as raised:
        make_config(tmp_path, gate={"timezone": "x" * 5000})
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 400
