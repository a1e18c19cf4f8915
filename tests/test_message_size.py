"""The contract's largest message, end to end: the shipped broker refuses a larger one, and a
gate and the centre given one by a broker without that cap refuse it unread, acknowledge it (it
is not sent again) and keep running, their memory bounded.

The oversized message is a passage- or check-shaped JSON object padded with a long array: parsed,
each of its elements takes many times its byte, so one such message of 40 MB would take gigabytes
(the gate's processes here run under an address-space limit, as a small Pi's memory would hold
them, so that such a parse fails the test rather than the machine)."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from simulator.broker import PrivateBroker, TlsFiles, free_port
from terminal.centre.store import CheckQuery, open_store
from terminal.config import MqttConfig
from terminal.link import contract
from terminal.link.publisher import Publisher
from terminal.link.topics import GateTopics
from terminal.record.store import Record
from tests.support.centre_fixture import write_command_key
from tests.support.centre_messages import FakeGate, at
from tests.support.parkbroker import USERS, ParkBroker, make_pki
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts

REPO = Path(__file__).resolve().parent.parent
BIG = 40 * 1024 * 1024
# what a gate's or the centre's process may map: a small Pi's memory, less than the parse of
# one oversized message would take
ADDRESS_SPACE_LIMIT = 3 * 1024 * 1024 * 1024


def padded(schema: str, size: int) -> bytes:
    """A JSON object of ``size`` bytes: a valid-looking start, then an array of zeros."""
    head = b'{"schema":"' + schema.encode() + b'","pad":['
    count = (size - len(head) - 2) // 2
    body = head + b"0," * count
    return body[:-1] + b" " * (size - len(body) - 1) + b"]}"


def test_the_padded_message_is_of_the_size_asked() -> None:
    message = padded("gate.passage/1", 1_000_003)
    assert len(message) == 1_000_003
    assert len(json.loads(message)["pad"]) > 400_000


# --- the contract's one limit -------------------------------------------------------------------
def test_the_shipped_broker_caps_packets_at_the_contracts_largest_message() -> None:
    conf = (REPO / "config" / "mosquitto" / "mosquitto.conf").read_text(encoding="utf-8")
    values = re.findall(r"^max_packet_size (\d+)$", conf, flags=re.MULTILINE)
    assert values == [str(contract.MAX_PACKET_BYTES)]
    assert contract.MAX_PACKET_BYTES > contract.MAX_MESSAGE_BYTES
    assert not re.search(r"^message_size_limit", conf, flags=re.MULTILINE)


def test_the_generated_documents_state_the_limit() -> None:
    document = json.loads((REPO / "docs" / "asyncapi.json").read_text(encoding="utf-8"))
    assert document["info"]["x-max-message-bytes"] == contract.MAX_MESSAGE_BYTES
    assert f"{contract.MAX_MESSAGE_BYTES} bytes" in document["info"]["description"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert contract.size_rule() in readme


def test_a_roster_push_is_counted_in_bytes() -> None:
    header = "person_id,kind,windows\n"
    # as many characters as the limit allows bytes, but three bytes each in UTF-8
    wide = header + "张" * (contract.MAX_ROSTER_BYTES - len(header))
    with pytest.raises(ValueError, match="bytes in UTF-8"):
        contract.PushRosterPayload.model_validate({"kind": "workers", "csv": wide})
    fits = header + "张" * ((contract.MAX_ROSTER_BYTES - len(header)) // 3)
    contract.PushRosterPayload.model_validate({"kind": "workers", "csv": fits})


def test_the_board_refuses_a_roster_file_over_the_push_in_utf_8() -> None:
    """A spreadsheet saved on a Chinese Windows (GB18030) takes two bytes a character, the push
    three: a file within the limit may not be, once in the message."""
    import asyncio
    import io
    from types import SimpleNamespace

    from starlette.datastructures import FormData, UploadFile

    from terminal.centre.web.orders import OrderProblem, Orders

    header = "person_id,kind,windows\n"
    text = header + "张" * ((contract.MAX_ROSTER_BYTES - len(header)) // 3 + 1)
    raw = text.encode("gb18030")
    assert (
        len(raw)
        < contract.MAX_ROSTER_BYTES * 0.7
        < contract.MAX_ROSTER_BYTES
        < len(text.encode("utf-8"))
    )
    upload = UploadFile(io.BytesIO(raw), filename="workers.csv")
    form = FormData(
        {"command": "push_roster", "target": "g1", "kind": "workers", "file": upload,
         "encoding": "gb18030"}
    )  # fmt: skip
    orders = Orders(SimpleNamespace(t=lambda key: key))  # type: ignore[arg-type]
    with pytest.raises(OrderProblem, match="file_too_big"):
        asyncio.run(orders.read(form, [("p1", "g1")]))


def test_the_centre_sends_no_command_over_the_largest_message(tmp_path: Path) -> None:
    """A roster of control characters (six bytes each in JSON) fits a push's bytes but not the
    message: refused before it is signed into the record or sent."""
    from terminal.centre.sender import CommandNotSent, CommandSender, MqttLink
    from tests.support.centre_fixture import centre_config as make_centre_config

    config = make_centre_config(tmp_path, free_port())  # nothing is sent: no broker needed
    store = open_store(config.database_url(), config.board_settings())
    assert config.commands is not None
    link = MqttLink(config.mqtt, "test-centre-oversized")
    sender = CommandSender(store, config.commands.private_key(), config.commands.key_id, link)
    csv = "\x01" * (contract.MAX_ROSTER_BYTES // 2)
    try:
        with pytest.raises(CommandNotSent, match="over the largest message a gate takes"):
            sender.send("push_roster", "p1", "g1", {"kind": "workers", "csv": csv}, "alice")
        assert store.command_results() == []
    finally:
        sender.close()
        store.close()


def test_the_largest_roster_push_fits_the_largest_message() -> None:
    """Every byte of a roster's CSV takes at most two in the command's JSON (a quote or a line
    end is escaped): the largest push, all of it escaped, is still a message a gate takes."""
    from terminal.centre.sender import _wire
    from terminal.codes.healthcode import simulator_command_key
    from terminal.link.command_signing import sign_command

    csv = '"\n' * (contract.MAX_ROSTER_BYTES // 2)
    command = sign_command(
        simulator_command_key(), "sim-centre", name="push_roster", park="p" * 64, gate="g" * 64,
        payload={"kind": "workers", "csv": csv}, issued_by="u" * 64, now_s=time.time(),
        lifetime_s=60,
    )  # fmt: skip
    assert not contract.oversized(_wire(command))


# --- the shipped broker -------------------------------------------------------------------------
def test_the_shipped_broker_refuses_an_oversized_message(tmp_path: Path) -> None:
    broker = ParkBroker(tmp_path).start()
    received: list[int] = []
    topic = "gate/v1/example-park/north-1/event/passage"
    try:
        reader = _tls_client(broker, "centre", on_message=lambda m: received.append(len(m)))
        reader.subscribe("gate/v1/#", qos=1)
        time.sleep(0.3)
        sender = _tls_client(broker, "example-park/north-1")
        sender.publish(topic, b"x" * BIG, qos=1)
        # the broker stops at the packet's header and drops the sender's connection
        assert wait_for(lambda: not sender.is_connected(), timeout_s=20)
        sender.loop_stop()  # paho would send it again on reconnecting, and be dropped again
        sender = _tls_client(broker, "example-park/north-1")
        sender.publish(topic, b'{"small":true}', qos=1).wait_for_publish(10)
        assert wait_for(lambda: len(received) >= 1, timeout_s=10)
        time.sleep(0.5)
        assert received == [len(b'{"small":true}')]  # the big one never reached a reader
        broker_status = _proc_status(broker._process.pid)  # type: ignore[union-attr]
        assert broker_status["VmHWM"] < BIG / 2  # nor was it held in the broker's memory
        for client in (sender, reader):
            client.loop_stop()
            client.disconnect()
    finally:
        broker.stop()


def _tls_client(
    broker: ParkBroker, user: str, on_message: Callable[[bytes], None] | None = None
) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=user)
    client.tls_set(ca_certs=str(broker.ca))
    client.username_pw_set(user, USERS[user])
    if on_message is not None:
        client.on_message = lambda _c, _u, message: on_message(message.payload)
    client.connect(broker.host, broker.port)
    client.loop_start()
    assert wait_for(client.is_connected, timeout_s=10)
    return client


# --- a gate's intake, in its own process --------------------------------------------------------
def _proc_status(pid: int) -> dict[str, int]:
    """The process's memory figures in bytes (VmRSS, VmHWM, VmSize)."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "VmSize"):
            figures[name] = int(value.split()[0]) * 1024
    return figures


def _small_machine() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


class Service:
    """A gate's or the centre's process, its log in a file, started under a small machine's
    address space."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        self._out = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "terminal.cli.main", *args],
            cwd=REPO,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=_small_machine,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_log(self, needle: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while needle not in self.text():
            assert self.process.poll() is None, f"exited {self.process.returncode}: {self.tail()}"
            assert time.monotonic() < deadline, f"no {needle!r} in: {self.tail()}"
            time.sleep(0.1)

    def tail(self) -> str:
        return self.text()[-3000:]

    def memory(self) -> dict[str, int]:
        assert self.process.poll() is None, f"exited {self.process.returncode}: {self.tail()}"
        return _proc_status(self.process.pid)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()
        return self.process.returncode


def _publish(port: int, topic: str, payload: bytes) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"attacker-{time.monotonic_ns()}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        assert client.publish(topic, payload, qos=1).wait_for_publish(30) is None
    finally:
        client.loop_stop()
        client.disconnect()


def _received_and_refused(service: Service, topic: str, payload: bytes, port: int) -> int:
    """Send ``payload`` to the running ``service``: how much its peak memory grew by it."""
    # the peak so far (the start's) set back to what is resident now: what follows is this one's
    Path(f"/proc/{service.process.pid}/clear_refs").write_text("5")
    before = service.memory()
    _publish(port, topic, payload)
    service.wait_log(f"refused a message on {topic}: ", timeout_s=60)
    after = service.memory()
    growth = after["VmHWM"] - max(before["VmRSS"], 0)
    print(
        f"\n{service.log.stem}: {before['VmRSS'] / 2**20:.0f} MiB resident (peak so far "
        f"{before['VmHWM'] / 2**20:.0f} MiB), peak "
        f"{after['VmHWM'] / 2**20:.0f} MiB after a {len(payload) / 2**20:.0f} MiB message"
    )
    return growth


def gate_config(tmp_path: Path, port: int) -> Path:
    text = (REPO / "config" / "simulator.toml").read_text(encoding="utf-8")
    replacements = {
        'path = "../var/simulator-record.sqlite"': f'path = "{tmp_path / "gate.sqlite"}"',
        "port = 1883": f"port = {port}",
        "workers = 200": "workers = 2",
        "arrival_window_s = 900": "arrival_window_s = 2",
        "enabled = true\nport = 8088": f"enabled = false\nport = {free_port()}",
        '# gates = ["gate-1", "gate-2"]': 'gates = ["gate-1", "gate-2"]',
        '"workers.example.csv"': f'"{REPO / "config" / "workers.example.csv"}"',
        '"visitors.example.csv"': f'"{REPO / "config" / "visitors.example.csv"}"',
        '"../var/calibration.json"': f'"{tmp_path / "calibration.json"}"',
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "gate.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def plain_broker() -> Iterator[PrivateBroker]:
    """A broker without the shipped cap: a gate's and the centre's own wall is all there is."""
    with PrivateBroker() as broker:
        yield broker


def test_a_gate_refuses_an_oversized_peer_message_unread_and_it_is_not_sent_again(
    tmp_path: Path, plain_broker: PrivateBroker
) -> None:
    config = gate_config(tmp_path, plain_broker.port)
    peer_topic = GateTopics("demo-park", "gate-2").passage
    gate = Service(["--verbose", "run", "--config", str(config)], tmp_path / "gate.log")
    try:
        gate.wait_log("connected to broker")
        time.sleep(3)  # its subscriptions, and the simulated crowd's first minutes
        growth = _received_and_refused(
            gate, peer_topic, padded("gate.passage/1", BIG), plain_broker.port
        )
        # never held whole (a gate that reads it grows by the message and more); the running
        # gate's own work (its crowd, its chores) moves its peak by a few MiB meanwhile
        assert growth < BIG / 2
        assert gate.text().count("refused a message") == 1 and "0,0,0" not in gate.text()
        assert gate.stop() == 0
        # started again under its persistent session: the refused message is not sent again
        gate = Service(["--verbose", "run", "--config", str(config)], tmp_path / "gate-again.log")
        gate.wait_log("connected to broker")
        _publish(plain_broker.port, peer_topic, b'{"schema":"gate.passage/1"}')
        gate.wait_log("ignored a passage from gate gate-2")  # what came after it, heard
        assert "refused a message" not in gate.text()
    finally:
        gate.stop()


def centre_config(tmp_path: Path, port: int) -> Path:
    key = write_command_key(tmp_path)
    path = tmp_path / "centre.toml"
    path.write_text(
        f"""park = "p1"
gates = ["g1"]
[mqtt]
port = {port}
client_id = "centre-size-test"
[database]
url = "sqlite:///centre.sqlite"
[web]
port = {free_port()}
[commands]
key_id = "sim-centre"
key_file = "{key.name}"
""",
        encoding="utf-8",
    )
    return path


def test_the_centre_refuses_an_oversized_message_unread_and_it_is_not_sent_again(
    tmp_path: Path, plain_broker: PrivateBroker
) -> None:
    config = centre_config(tmp_path, plain_broker.port)
    topic = GateTopics("p1", "g1").check
    centre = Service(["--verbose", "centre", "--config", str(config)], tmp_path / "centre.log")
    try:
        centre.wait_log("gate-terminal centre: open")
        time.sleep(2)  # its pages started
        growth = _received_and_refused(
            centre, topic, padded("gate.check/1", BIG), plain_broker.port
        )
        assert growth < BIG / 2  # never held whole, as at the gate
        # over the limit in a packet within it: refused by the collector's message callback
        just_over = contract.MAX_MESSAGE_BYTES + 1
        _publish(plain_broker.port, topic, padded("gate.check/1", just_over))
        centre.wait_log(f"refused a message on {topic}: {just_over} bytes")
        assert centre.stop() == 0
        assert "0 stored, 0 duplicates, 2 refused as oversized" in centre.text()
        centre = Service(
            ["--verbose", "centre", "--config", str(config)], tmp_path / "centre-again.log"
        )
        centre.wait_log("session resumed")
        _publish(plain_broker.port, topic, FakeGate("g1").check(at("2026-06-01T08:00:00+08:00"))[1])
        store = open_store(f"sqlite:///{tmp_path}/centre.sqlite")
        try:
            assert wait_for(lambda: len(store.checks(CheckQuery())) == 1, timeout_s=30)
        finally:
            store.close()
        assert "refused a message" not in centre.text()
    finally:
        centre.stop()


# --- the wall behind the packet's: a message over the limit in a packet within it --------------
def test_a_gate_counts_a_refused_message_in_its_metrics(
    tmp_path: Path, plain_broker: PrivateBroker, caplog: pytest.LogCaptureFixture
) -> None:
    topics = GateTopics("p1", "gate-a")
    record = Record(tmp_path / "gate.sqlite")
    config = MqttConfig(host=plain_broker.host, port=plain_broker.port)
    publisher = Publisher(record, config, topics, client_id="gate-a", commands=True)
    metrics: list[dict[str, object]] = []
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="metrics-watcher")
    watcher.on_message = lambda _c, _u, m: metrics.append(json.loads(m.payload))
    watcher.connect(plain_broker.host, plain_broker.port)
    watcher.subscribe(topics.metrics, qos=1)
    watcher.loop_start()
    publisher.start()
    try:
        assert publisher.wait_connected(10)
        time.sleep(0.3)
        just_over = contract.MAX_MESSAGE_BYTES + 1  # in a packet the broker's cap lets through
        _publish(
            plain_broker.port, topics.command("lockdown"), b"{" + b" " * (just_over - 2) + b"}"
        )
        _publish(plain_broker.port, topics.command("lockdown"), b"{}")
        assert wait_for(lambda: publisher.commands.qsize() == 1)
        assert publisher.commands.get_nowait() == ("lockdown", b"{}")  # the next one, taken
        publisher.publish_metrics(sent_total=0, checks_since_boot=0, uptime_s=1.0)
        assert wait_for(lambda: len(metrics) == 1)
        assert metrics[0]["refused_oversized"] == 1
        refusals = [r.getMessage() for r in caplog.records if "refused a message" in r.getMessage()]
        assert refusals == [
            f"refused a message on {topics.command('lockdown')}: {just_over} bytes, over the "
            f"contract's {contract.MAX_MESSAGE_BYTES}"
        ]
    finally:
        publisher.stop()
        watcher.loop_stop()
        watcher.disconnect()
        record.close()


def test_over_tls_an_oversized_message_is_dropped_as_it_arrives_and_the_next_one_taken(
    tmp_path: Path,
) -> None:
    """TLS hands the packet over in records of its own size: the head is kept, the rest dropped,
    and the connection goes on with the next message."""
    ca, cert, key = make_pki(tmp_path)
    topics = GateTopics("p1", "gate-tls")
    record = Record(tmp_path / "gate.sqlite")
    with PrivateBroker(tls=TlsFiles(ca, cert, key)) as broker:
        config = MqttConfig(host=broker.host, port=broker.port, tls=True, ca_file=ca)
        publisher = Publisher(record, config, topics, client_id="gate-tls", commands=True)
        publisher.start()
        sender = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="attacker-tls")
        sender.tls_set(ca_certs=str(ca))
        try:
            assert publisher.wait_connected(10)
            time.sleep(0.3)
            sender.connect(broker.host, broker.port)
            sender.loop_start()
            sender.publish(topics.command("lockdown"), b"[" + b"0," * (BIG // 2) + b"0]", qos=1)
            sender.publish(topics.command("lockdown"), b"{}", qos=1).wait_for_publish(60)
            assert wait_for(lambda: publisher.commands.qsize() == 1, timeout_s=60)
            assert publisher.commands.get_nowait() == ("lockdown", b"{}")
            assert publisher.size_wall.refused == 1 and publisher.connected
        finally:
            sender.loop_stop()
            sender.disconnect()
            publisher.stop()
            record.close()
