"""The gate's log: to the journal with priorities (``journalctl -p err`` finds the errors), from
the level the config sets, and never a reading, a person, a code or a key in it at any level."""

from __future__ import annotations

import base64
import csv
import io
import logging
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from simulator.broker import PrivateBroker
from terminal.cli import logs
from terminal.cli.main import main
from terminal.codes.healthcode import simulator_command_key, simulator_issuer_key
from terminal.record.store import Record
from tests.conftest import REPO
from tests.support.cli import gate_terminal
from tests.support.parkbroker import ParkBroker
from tests.support.waiting import wait_for

PRIORITY = re.compile(r"^<([0-7])>")


def journal_env(stderr_file: Path) -> dict[str, str]:
    """The environment systemd gives a service whose stderr is the journal: JOURNAL_STREAM
    names the stream (here, a file standing in for the journal's socket)."""
    status = os.stat(stderr_file)
    return {**os.environ, "JOURNAL_STREAM": f"{status.st_dev}:{status.st_ino}"}


def record_for(level: int, message: str, exc_info: bool = False) -> logging.LogRecord:
    info = None
    if exc_info:
        try:
            raise RuntimeError("inside")
        except RuntimeError:
            info = sys.exc_info()
    return logging.LogRecord("gate", level, __file__, 1, message, None, info)


@pytest.mark.parametrize(
    ("level", "prefix"),
    [(logging.CRITICAL, "<2>"), (logging.ERROR, "<3>"), (logging.WARNING, "<4>"),
     (logging.INFO, "<6>"), (logging.DEBUG, "<7>")],
)  # fmt: skip
def test_each_level_has_its_journal_priority(level: int, prefix: str) -> None:
    line = logs.JournalFormatter(logs.JOURNAL_FORMAT).format(record_for(level, "a line"))
    assert line == f"{prefix}gate: a line"


def test_every_line_of_a_traceback_keeps_the_priority() -> None:
    text = logs.JournalFormatter(logs.JOURNAL_FORMAT).format(
        record_for(logging.ERROR, "it broke", exc_info=True)
    )
    lines = text.splitlines()
    assert len(lines) > 3 and all(line.startswith("<3>") for line in lines)
    assert lines[-1] == "<3>RuntimeError: inside"


def test_the_journal_is_recognised_by_its_stream_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream_file = tmp_path / "stderr"
    stream_file.write_text("")
    other = tmp_path / "other"
    other.write_text("")
    with stream_file.open("w") as stream:
        monkeypatch.delenv("JOURNAL_STREAM", raising=False)
        assert not logs.to_journal(stream)
        monkeypatch.setenv("JOURNAL_STREAM", journal_env(stream_file)["JOURNAL_STREAM"])
        assert logs.to_journal(stream)
        # a child whose stderr went elsewhere inherits the variable, not the journal
        monkeypatch.setenv("JOURNAL_STREAM", journal_env(other)["JOURNAL_STREAM"])
        assert not logs.to_journal(stream)
        monkeypatch.setenv("JOURNAL_STREAM", "garbage:\u202e")
        assert not logs.to_journal(stream)
    assert not logs.to_journal(io.StringIO())


def test_configure_writes_priorities_to_the_journal_and_times_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    root.handlers.clear()  # a program that set up nothing of its own, as the command line
    try:
        journal = tmp_path / "journal"
        journal.write_text("")
        with journal.open("a") as stream:
            monkeypatch.setenv("JOURNAL_STREAM", journal_env(journal)["JOURNAL_STREAM"])
            logs.configure(logging.INFO, stream)
            logging.getLogger("gate").error("the record cannot be written")
            logging.getLogger("gate").debug("not at this level")
        plain = io.StringIO()
        logs.configure(logging.INFO, plain)  # replaces the first
        logging.getLogger("gate").warning("camera gives frames again")
    finally:
        root.handlers[:], root.level = kept
    assert journal.read_text() == "<3>gate: the record cannot be written\n"
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING gate: camera gives frames again\n",
        plain.getvalue(),
    )


def test_the_services_level_comes_from_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from terminal.app import service

    def stand_in(config: object, stop: object, factory: object) -> int:
        logging.getLogger("terminal.app").info("gate running")
        logging.getLogger("terminal.app").warning("camera gives no frames")
        return 0

    monkeypatch.setattr(service, "run_service", stand_in)
    text = (REPO / "config" / "simulator.toml").read_text(encoding="utf-8")
    config = tmp_path / "gate.toml"
    roster = f'workers = "{REPO / "config" / "workers.example.csv"}"'
    text = text.replace('workers = "workers.example.csv"', roster)
    config.write_text(text.replace("[gate]\n", '[gate]\nlog_level = "warning"\n', 1))
    caplog.set_level(logging.NOTSET)
    root_level = logging.getLogger().level
    try:
        assert main(["run", "--config", str(config)]) == 0
        messages = [r.getMessage() for r in caplog.records]
        assert "camera gives no frames" in messages and "gate running" not in messages
        caplog.clear()
        assert main(["--verbose", "run", "--config", str(config)]) == 0
        assert "gate running" in [r.getMessage() for r in caplog.records]
    finally:
        logging.getLogger().setLevel(root_level)


def key_material() -> list[str]:
    """The simulator's private keys, as bytes in hex and base64 and as PEM."""
    found = ["PRIVATE KEY"]
    for key in (simulator_issuer_key(), simulator_command_key()):
        raw = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        found += [raw.hex(), base64.b64encode(raw).decode()[:24]]
    return found


@pytest.mark.slow  # runs a shift in a process
def test_a_shift_logged_at_debug_to_the_journal_holds_no_reading_person_code_or_key(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    stderr_file = tmp_path / "journal"
    stderr_file.write_text("")
    results, record = tmp_path / "results.csv", tmp_path / "record.sqlite"
    with stderr_file.open("a") as stderr:
        done = subprocess.run(
            [*gate_terminal(), "--verbose", "simulate", "--workers", "20", "--seed", "5",
             "--results", str(results), "--record", str(record),
             "--broker", f"{broker.host}:{broker.port}"],
            stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=REPO, timeout=300,
            env=journal_env(stderr_file),
        )  # fmt: skip
    log = stderr_file.read_text(encoding="utf-8")
    assert done.returncode in (0, 1), log[-3000:]
    # every log line has its priority (the rest is simulate's progress bar, on a terminal)
    lines = [line for line in log.splitlines() if PRIORITY.match(line)]
    assert not re.search(r"^\d{4}-\d\d-\d\d .* (DEBUG|INFO|WARNING|ERROR) ", log, re.MULTILINE)
    assert any(line.startswith("<6>") for line in lines), log[-2000:]
    # every reading the shift took: the record's (forehead, air, first and judged) and the results'
    readings: set[str] = set()
    for check in Record(record).checks():
        for key in ("object_c", "temperature_c", "first_c", "ambient_c"):
            if check.get(key) is not None:
                readings |= {f"{check[key]:.2f}", f"{check[key]:.1f}"}
    with results.open(newline="") as handle:
        for row in csv.DictReader(handle):
            readings |= {row[k] for k in ("temperature_c", "screened_c") if row.get(k)}
    assert readings, "the shift took no reading"
    said = [r for r in readings if re.search(rf"(?<![\d.]){re.escape(r)}(?!\d)", log)]
    assert not said, said
    people = {c["person_id"] for c in Record(record).checks()} - {None}
    assert people and not [p for p in people if re.search(rf"\b{re.escape(p)}\b", log)]
    assert "HC2|" not in log  # a health code's text
    assert not [k for k in key_material() if k in log]


@pytest.mark.slow  # starts the service in a process
def test_a_refused_login_is_an_error_in_the_journal_without_the_password(tmp_path: Path) -> None:
    """``journalctl -p err`` finds why the gate is not connected; the password is not in it."""
    (tmp_path / "broker-folder").mkdir()
    broker = ParkBroker(tmp_path / "broker-folder").start()
    try:
        credentials = tmp_path / "wrong.toml"
        credentials.write_text(
            'username = "demo-park/gate-1"\npassword = "s3cret-not-in-any-log"\n'
        )
        credentials.chmod(0o600)
        text = (REPO / "config" / "simulator.toml").read_text(encoding="utf-8")
        tls = f'tls = true\nca_file = "{broker.ca}"\ncredentials_file = "{credentials}"'
        text = text.replace("port = 1883", f"port = {broker.port}\n{tls}")
        text = text.replace('"../var/simulator-record.sqlite"', f'"{tmp_path / "r.sqlite"}"')
        for kind in ("workers", "visitors"):
            text = text.replace(f'"{kind}.example.csv"', f'"{REPO / "config" / kind}.example.csv"')
        text = text.replace("enabled = true", "enabled = false")  # no display: no port to share
        config = tmp_path / "gate.toml"
        config.write_text(text, encoding="utf-8")
        stderr_file = tmp_path / "journal"
        stderr_file.write_text("")
        with stderr_file.open("a") as stderr:
            service = subprocess.Popen(
                [*gate_terminal(), "--verbose", "run", "--config", str(config)],
                stderr=stderr, cwd=REPO, env=journal_env(stderr_file),
            )  # fmt: skip
            try:
                wait_for(lambda: "not_authorised" in stderr_file.read_text(), 30)
            finally:
                service.send_signal(signal.SIGTERM)
                service.wait(30)
        log = stderr_file.read_text(encoding="utf-8")
        errors = [line for line in log.splitlines() if line.startswith("<3>")]
        assert any("not_authorised" in line for line in errors), log[-2000:]
        assert "s3cret-not-in-any-log" not in log
    finally:
        broker.stop()
