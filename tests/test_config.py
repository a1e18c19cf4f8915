from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.config import ConfigError, load, parse
from tests.conftest import example_gate_config, example_gate_config_text, make_config

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
        (
            ("relative_offset_c = 0.55", "relative_offset_c = 2.0"),
            r"screening\.relative_offset_c: Input should be less than or equal to 1",
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


def test_the_broker_password_is_refused_in_the_main_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"mqtt: .*go in the file named by credentials_file"):
        make_config(tmp_path, mqtt={"username": "gate", "password": "s3cret-broker-pass"})


def test_broker_credentials_come_from_their_own_file(tmp_path: Path) -> None:
    login = tmp_path / "mqtt-credentials.toml"
    login.write_text('username = "gate-t"\npassword = "s3cret-broker-pass"\n', encoding="utf-8")
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
    login = tmp_path / "mqtt-credentials.toml"
    login.write_text('username = "gate-t"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        make_config(tmp_path, mqtt={"credentials_file": str(login)})
    assert f"mqtt.credentials_file: Value error, {login}: password: missing" in str(raised.value)


def test_the_example_credentials_file_must_be_filled_in(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "config" / "mqtt-credentials.example.toml"
    with pytest.raises(ConfigError, match="username: still the example's placeholder"):
        make_config(tmp_path, mqtt={"credentials_file": str(example)})


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
