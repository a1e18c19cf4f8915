from __future__ import annotations

from pathlib import Path

import pytest

from terminal.config import ConfigError, load
from tests.conftest import example_gate_config, example_gate_config_text, make_config

REPO = Path(__file__).resolve().parent.parent


def test_shipped_configs_load(tmp_path: Path) -> None:
    for config in (load(REPO / "config" / "simulator.toml"), load(example_gate_config(tmp_path))):
        assert config.screening.fever_threshold_c == 37.3


def test_relative_paths_are_taken_from_the_config_folder() -> None:
    config = load(REPO / "config" / "simulator.toml")
    assert config.resolved(config.roster.path) == (REPO / "config" / "roster.example.csv")


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
            r"outputs: Value error, relay and lamp pins must differ",
        ),
        (
            ('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"'),
            r"gate\.timezone: .*unknown time zone",
        ),
        (("retention_days = 30", "retension_days = 30"), r"record\.retension_days: unknown key"),
        (('id = "north-1"', 'id = "north/1"'), r"gate\.id: String should match pattern"),
        (
            ('key_id = "park-2026"', 'key_id = "park/2026"'),
            r"healthcode\.issuers\.0\.key_id: String should match pattern",
        ),
        (
            ('red = "isolation"', 'red = "admit"'),
            r"risk\.actions\.low: .*red: a red code never admits",
        ),
        (('[roster]\npath = "/etc/gate-terminal/roster.csv"\n', ""), r"roster: required, missing"),
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
