from __future__ import annotations

from pathlib import Path

import pytest

from terminal.config import ConfigError, load

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["gate.example.toml", "simulator.toml"])
def test_shipped_configs_load(name: str) -> None:
    config = load(REPO / "config" / name)
    assert config.screening.fever_threshold_c == 37.3


def test_relative_paths_are_taken_from_the_config_folder() -> None:
    config = load(REPO / "config" / "simulator.toml")
    assert config.resolved(config.roster.path) == (REPO / "config" / "roster.example.csv")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gate.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = (REPO / "config" / "gate.example.toml").read_text(encoding="utf-8")


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
            ('key = "replace-with-the-park-issuing-key"', 'key = "short"'),
            r"healthcode\.key: String should have at least 16",
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


def test_secrets_do_not_show_in_the_config_repr() -> None:
    config = load(REPO / "config" / "gate.example.toml")
    assert "replace-with-the-park-issuing-key" not in repr(config)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load(tmp_path / "nope.toml")
