from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, settings

from simulator.broker import BrokerUnavailable, PrivateBroker
from terminal.codes.healthcode import (
    SIMULATOR_COMMAND_KEY_ID,
    SIMULATOR_KEY_ID,
    public_key_text,
    simulator_command_key,
    simulator_issuer_key,
)
from terminal.config import Config, parse

REPO = Path(__file__).resolve().parent.parent

# the suite runs its workers side by side on two cores: a property test's examples are judged by
# what they prove, never by how long one took to make or run on a busy machine
settings.register_profile(
    "shared-cores", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("shared-cores")

# the simulator's issuer: the simulated crowds carry codes it signed
SIMULATOR_ISSUER = {
    "key_id": SIMULATOR_KEY_ID,
    "public_key": public_key_text(simulator_issuer_key().public_key()),
}
# the simulator's operations centre: its guard's commands are signed with it
SIMULATOR_COMMAND_KEY = {
    "key_id": SIMULATOR_COMMAND_KEY_ID,
    "public_key": public_key_text(simulator_command_key().public_key()),
}


# a park's own issuer, for configs that stand for a real gate
PARK_ISSUER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(7, 39)))
EXAMPLE_FILLED_IN = {
    'park = "CHANGE-ME"': 'park = "example-park"',
    'id = "CHANGE-ME"': 'id = "north-1"',
    'host = "CHANGE-ME"': 'host = "broker.park.internal"',
    'key_id = "CHANGE-ME"': 'key_id = "park-2026"',
    'name = "CHANGE-ME"': 'name = "north-hall"',
    'gates = ["CHANGE-ME"]': 'gates = ["north-1", "north-2"]',
}


def example_gate_config_text() -> str:
    """config/gate.example.toml as an installer fills it in."""
    text = (REPO / "config" / "gate.example.toml").read_text(encoding="utf-8")
    for placeholder, value in EXAMPLE_FILLED_IN.items():
        text, found = re.subn(f"^{re.escape(placeholder)}", value, text, flags=re.MULTILINE)
        assert found == 1, placeholder
    public = public_key_text(PARK_ISSUER_KEY.public_key())
    text = re.sub(r'public_key = "CHANGE-ME[^"]*"', f'public_key = "{public}"', text)
    assert "CHANGE-ME" not in text
    return text


def example_gate_config(folder: Path, text: str | None = None) -> Path:
    path = folder / "gate.toml"
    path.write_text(text if text is not None else example_gate_config_text(), encoding="utf-8")
    return path


# a test that takes one of these starts a browser or a PostgreSQL server of its own: end to end
SLOW_FIXTURES = frozenset({"browser", "postgres_server"})


def is_end_to_end(item: pytest.Item) -> bool:
    if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)  # the store's PostgreSQL half of a parametrized test
    params = callspec.params.values() if callspec is not None else ()
    return any(isinstance(value, str) and value == "postgresql" for value in params)


@pytest.hookimpl(tryfirst=True)  # marked before `-m "not slow"` selects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if is_end_to_end(item):
            item.add_marker(pytest.mark.slow)
    if os.environ.get("GATE_HARDWARE") == "1":
        return
    skip = pytest.mark.skip(reason="needs the real gate hardware; set GATE_HARDWARE=1 on a Pi")
    for item in items:
        if "hardware" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def broker() -> Iterator[PrivateBroker]:
    """A Mosquitto of the tests' own on a free port."""
    try:
        private = PrivateBroker().start()
    except BrokerUnavailable as exc:
        pytest.fail(f"the tests need Mosquitto: {exc}", pytrace=False)
    try:
        yield private
    finally:
        private.stop()


def make_config(tmp_path: Path, **sections: dict) -> Config:
    data: dict = {
        "gate": {
            "park": "test-park",
            "id": "gate-t",
            "timezone": "Asia/Shanghai",
            "hardware": "simulated",
        },
        "record": {"path": str(tmp_path / "record.sqlite")},
        "healthcode": {"issuers": [SIMULATOR_ISSUER]},
        "roster": {"workers": str(tmp_path / "workers.csv")},
        "simulator": {"shift_start": "2026-11-23T07:30:00"},
    }
    if sections.get("gate", {}).get("hardware", "simulated") == "simulated":
        data["commands"] = {"keys": [SIMULATOR_COMMAND_KEY]}  # the simulated guard's
    else:
        data["mqtt"] = {"tls": True}  # a real gate speaks TLS to its broker
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return parse(data, tmp_path / "test.toml")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)
