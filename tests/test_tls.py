"""MQTT over TLS against a real Mosquitto with certificates made for the test."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.broker import PrivateBroker, TlsFiles
from simulator.subscriber import Subscriber
from terminal.config import ConfigError, MqttConfig, load
from terminal.link.publisher import Publisher
from terminal.link.topics import GateTopics
from terminal.record.store import Record
from tests.conftest import example_gate_config_text
from tests.support.publishing import add_checks, assert_delivered
from tests.support.tls import make_ca, openssl

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PrivateBroker, Path]]:
    if shutil.which("openssl") is None:
        pytest.fail("the TLS tests need the openssl command (Debian: apt-get install openssl)")
    folder = tmp_path_factory.mktemp("pki")
    ca_cert, ca_key = make_ca(folder, "park-ca")
    server_key, server_csr, server_cert = (folder / f"server.{x}" for x in ("key", "csr", "crt"))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", str(server_key), "-out", str(server_csr))  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", str(server_csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "2", "-extfile", str(folder / "san.ext"),
            "-out", str(server_cert))  # fmt: skip
    with PrivateBroker(tls=TlsFiles(ca_cert, server_cert, server_key)) as broker:
        yield broker, ca_cert


def test_events_travel_encrypted_to_a_broker_the_terminal_trusts(
    tmp_path: Path, tls_broker: tuple[PrivateBroker, Path]
) -> None:
    broker, ca = tls_broker
    gate = GateTopics("test-park", "tls")
    subscriber = Subscriber(broker.host, broker.port, gate, ca_file=ca)
    record = Record(tmp_path / "r.sqlite")
    add_checks(record, gate, 4)
    config = MqttConfig(host=broker.host, port=broker.port, tls=True, ca_file=ca)
    assert_delivered(record, config, gate, subscriber, expected=4)


def test_a_broker_with_a_certificate_from_elsewhere_gets_nothing(
    tmp_path: Path, tls_broker: tuple[PrivateBroker, Path]
) -> None:
    broker, _ = tls_broker
    stranger_ca, _ = make_ca(tmp_path, "someone-else")
    record = Record(tmp_path / "r.sqlite")
    gate = GateTopics("test-park", "tls-stranger")
    add_checks(record, gate, 2)
    config = MqttConfig(host=broker.host, port=broker.port, tls=True, ca_file=stranger_ca)
    publisher = Publisher(record, config, gate, client_id="t-tls-stranger")
    publisher.start()
    try:
        assert not publisher.wait_connected(3)
        assert record.count_unsent() == 2  # kept, not sent in the clear, not lost
    finally:
        publisher.stop()


def test_tls_settings_are_checked_at_start(tmp_path: Path) -> None:
    text = example_gate_config_text()
    config = tmp_path / "gate.toml"
    config.write_text(
        text.replace("keepalive_s = 30", 'keepalive_s = 30\nca_file = "/nowhere/ca.crt"'),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"mqtt\.ca_file: Value error, no such file: /nowhere"):
        load(config)


def test_a_plaintext_link_chosen_on_purpose_is_warned_of_at_every_start(tmp_path: Path) -> None:
    from simulator.broker import free_port
    from tests.support.cli import gate_terminal

    text = (REPO / "config" / "simulator.toml").read_text(encoding="utf-8")
    text = text.replace(
        'path = "../var/simulator-record.sqlite"', f'path = "{tmp_path / "r.sqlite"}"'
    )
    # nobody listens there: the gate runs on, its events wait in the record
    text = text.replace("port = 1883", f"port = {free_port()}\ninsecure_plaintext = true")
    text = text.replace("port = 8088", f"port = {free_port()}")
    for kind in ("workers", "visitors"):
        text = text.replace(f'"{kind}.example.csv"', f'"{REPO / "config" / f"{kind}.example.csv"}"')
    config = tmp_path / "gate.toml"
    config.write_text(text, encoding="utf-8")
    for start in range(2):
        log = tmp_path / f"start-{start}.log"
        with log.open("w") as stderr_file:
            service = subprocess.Popen(
                [*gate_terminal(), "run", "--config", str(config)],
                cwd=REPO,
                stderr=stderr_file,
                text=True,
            )
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "running:" not in log.read_text():
                time.sleep(0.05)
            service.send_signal(signal.SIGTERM)
            service.wait(timeout=30)
        stderr = log.read_text()
        warnings = [line for line in stderr.splitlines() if "insecure_plaintext" in line]
        assert len(warnings) == 1 and " WARNING " in warnings[0], stderr
        assert "not encrypted" in warnings[0] and str(config.resolve()) in warnings[0]


def test_tls_files_that_are_no_files_or_a_key_others_may_read_are_refused(tmp_path: Path) -> None:
    from tests.conftest import make_config

    ca, key = make_ca(tmp_path, "gate")
    fifo = tmp_path / "ca.fifo"
    os.mkfifo(fifo)
    for mqtt, message in (
        ({"ca_file": str(fifo)}, f"mqtt.ca_file: Value error, {fifo}: not a regular file"),
        ({"ca_file": "/dev/zero"}, "mqtt.ca_file: Value error, /dev/zero: not a regular file"),
        (
            {"cert_file": str(ca), "key_file": str(key)},
            f"mqtt.key_file: Value error, {key}: the TLS private key readable by others "
            "(mode 644); chmod 600 it",
        ),
    ):
        key.chmod(0o644)
        with pytest.raises(ConfigError) as raised:
            make_config(tmp_path, mqtt={"tls": True, **mqtt})
        assert message in str(raised.value)
    key.chmod(0o600)
    config = make_config(tmp_path, mqtt={"tls": True, "cert_file": str(ca), "key_file": str(key)})
    assert config.mqtt.key_file == key
