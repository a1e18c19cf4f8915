"""``gate-terminal centre`` as an operator runs it: its config's errors, its users, and the
process itself (collector and pages up, stopped by SIGTERM)."""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from simulator.broker import PrivateBroker, free_port
from terminal.centre.store import CheckQuery, open_store
from terminal.centre.web.auth import verify_password
from terminal.cli.main import main
from tests.support.centre_fixture import Publisher, wait_until, write_command_key
from tests.support.centre_messages import FakeGate, at

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts

REPO = Path(__file__).resolve().parent.parent


def write_config(folder: Path, broker_port: int, extra: str = "", web_port: int = 0) -> Path:
    key = write_command_key(folder)
    path = folder / "centre.toml"
    path.write_text(
        f"""park = "p1"
gates = ["g1", "g2"]
{extra}
[mqtt]
port = {broker_port}
[database]
url = "sqlite:///centre.sqlite"
[web]
port = {web_port or free_port()}
[commands]
key_id = "sim-centre"
key_file = "{key.name}"
""",
        encoding="utf-8",
    )
    return path


def test_a_config_error_names_the_file_and_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, 1883, extra="colour = 3")
    assert main(["centre", "--config", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("gate-terminal centre: ") and "\n" not in error
    assert str(path) in error and "colour: unknown key" in error


def test_a_password_in_the_config_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, 1883)
    text = path.read_text().replace('url = "sqlite:///centre.sqlite"',
                                    'url = "postgresql://centre:secret@db/centre"')  # fmt: skip
    path.write_text(text)
    assert main(["centre", "--config", str(path)]) == 2
    error = capsys.readouterr().err
    assert "database.url" in error and "password_file" in error and "secret" not in error


def test_a_signing_key_others_can_read_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, 1883)
    for key in tmp_path.glob("centre-key-*.pem"):
        key.chmod(0o644)
    assert main(["centre", "--config", str(path)]) == 2
    assert "commands.key_file" in capsys.readouterr().err


def test_user_add_hashes_the_password_and_records_who_was_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, 1883)
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery\n"))
    assert main(["centre", "user", "add", "alice", "--role", "guard", "--config", str(path)]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery\n"))
    assert main(["centre", "--config", str(path), "user", "add", "alice", "--role", "viewer"]) == 2
    assert "already exists" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["centre", "user", "add", "bob", "--role", "guard", "--config", str(path)]) == 2
    assert "at least 8" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("x\n"))
    assert (
        main(["centre", "user", "add", "bad/name", "--role", "guard", "--config", str(path)]) == 2
    )
    store = open_store(f"sqlite:///{tmp_path}/centre.sqlite")
    try:
        user = store.user("alice")
        assert user is not None and user.role == "guard"
        assert "correct horse" not in user.password_hash
        assert verify_password(user.password_hash, "correct horse battery")
        assert [u.name for u in store.list_users()] == ["alice"]
        assert [(a.action, a.detail) for a in store.audit_log()] == [("user_add", "alice as guard")]
    finally:
        store.close()


def test_the_centre_runs_its_collector_and_pages_and_stops_on_sigterm(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    web_port = free_port()
    path = write_config(tmp_path, broker.port, web_port=web_port)
    process = subprocess.Popen(
        [sys.executable, "-m", "terminal.cli.main", "centre", "--config", str(path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == f"gate-terminal centre: open http://127.0.0.1:{web_port}/"
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=10) as page:
            assert page.status == 200
        gate = FakeGate("g1")
        publisher = Publisher(broker.port)
        message = gate.check(at("2026-06-01T08:00:00+08:00"), person_id="W0777")
        publisher.publish([message])
        publisher.close()
        store = open_store(f"sqlite:///{tmp_path}/centre.sqlite")
        try:
            wait_until(lambda: len(store.checks(CheckQuery(person_id="W0777"))) == 1,
                       what="the check stored by the running centre")  # fmt: skip
        finally:
            store.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_without_its_broker_the_centre_serves_its_pages_and_collects_once_it_is_back(
    tmp_path: Path,
) -> None:
    from terminal.centre.running import start_centre
    from tests.support.centre_fixture import centre_config

    port = free_port()
    config = centre_config(tmp_path, port)
    centre = start_centre(config, client_id="test-centre-late-broker", web_port=0,
                          broker_wait_s=0.5)  # fmt: skip
    try:
        assert not centre.collector.connected
        with urllib.request.urlopen(centre.web_url + "login", timeout=10) as page:
            assert page.status == 200
        with PrivateBroker(port=port):
            wait_until(lambda: centre.collector.connected, 40, "the collector connected")
            publisher = Publisher(port)
            publisher.publish([FakeGate("g1").check(at("2026-06-01T08:00:00+08:00"))])
            publisher.close()
            wait_until(lambda: len(centre.store.checks(CheckQuery())) == 1, what="stored")
    finally:
        centre.stop()


def test_the_centre_imports_nothing_of_the_gates_own_running_parts() -> None:
    """A park runs the centre on a server without a camera or GPIO: it speaks to the gates
    through the contract only."""
    probe = (
        "import sys, terminal.centre.cli, terminal.centre.running, terminal.centre.web.app\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded = set(done.stdout.split())
    gate_parts = {
        "terminal.gate.lane", "terminal.app.service", "terminal.record.store",
        "terminal.app.devices", "terminal.link.publisher", "terminal.link.commands",
        "terminal.gate.secondary", "terminal.screening", "drivers", "cv2", "numpy", "smbus2",
    }  # fmt: skip
    assert loaded & gate_parts == set()


# --- the staff's accounts at the command line --------------------------------------------------
def centre_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "terminal.cli.main", "centre", *args]


def users_of(folder: Path) -> list[str]:
    store = open_store(f"sqlite:///{folder}/centre.sqlite")
    try:
        return [user.name for user in store.list_users()]
    finally:
        store.close()


def at_the_prompt(command: list[str], keys: bytes) -> tuple[int, str]:
    """``command`` run on a terminal of its own (a pty): ``keys`` typed at its password prompt.
    Its exit status and everything it showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal, as a login shell's is
        os.chdir(REPO)
        os.execv(command[0], command)
    shown = b""
    try:
        while b"password: " not in shown:
            ready, _, _ = select.select([fd], [], [], 20)
            assert ready, f"no password prompt: {shown!r}"
            shown += os.read(fd, 1024)
        os.write(fd, keys)
        while True:
            ready, _, _ = select.select([fd], [], [], 20)
            assert ready, f"no answer to {keys!r}: {shown!r}"
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child is gone: the pty's other end closed
                break
            if not chunk:
                break
            shown += chunk
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


@pytest.mark.parametrize(
    ("keys", "said"),
    [
        (b"\x04", "gate-terminal centre: password: none given (input ended); nothing changed"),
        (b"\x03", "gate-terminal centre: password: cancelled; nothing changed"),
    ],
)
def test_ctrl_d_or_ctrl_c_at_the_password_prompt_is_one_line_and_changes_nothing(
    tmp_path: Path, keys: bytes, said: str
) -> None:
    path = write_config(tmp_path, 1883)
    command = centre_command("user", "add", "alice", "--role", "guard", "--config", str(path))
    status, shown = at_the_prompt(command, keys)
    assert status == 2
    assert "Traceback" not in shown
    assert shown.splitlines()[-2:] == ["password: ", said]  # the message on a line of its own
    assert users_of(tmp_path) == []


def test_a_password_from_a_closed_or_empty_standard_input_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path, 1883)
    add = centre_command("user", "add", "alice", "--role", "guard", "--config", str(path))
    closed = subprocess.run(
        ["sh", "-c", '"$@" 0<&-', "sh", *add], cwd=REPO, capture_output=True, text=True
    )
    empty = subprocess.run(add, cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert (closed.returncode, closed.stderr) == (
        2,
        "gate-terminal centre: password: no standard input to read it from\n",
    )
    assert (empty.returncode, empty.stderr) == (
        2,
        "gate-terminal centre: password: standard input ended before a line\n",
    )
    assert users_of(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "character"),
    [("alice\n", "U+000A"), ("ali\u202ece", "U+202E"), ("bob\x1b[2J", "U+001B")],
)
def test_a_user_name_with_a_control_or_formatting_character_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    character: str,
) -> None:
    path = write_config(tmp_path, 1883)
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery\n"))
    assert main(["centre", "user", "add", name, "--role", "guard", "--config", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("gate-terminal centre: user name ")
    assert f"control or formatting character ({character})" in error
    assert "\x1b" not in error and "\u202e" not in error
    assert users_of(tmp_path) == []


def test_managing_users_needs_no_command_signing_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The key lives where commands are signed; the staff may be managed elsewhere."""
    path = write_config(tmp_path, 1883)
    for key in tmp_path.glob("centre-key-*.pem"):
        key.unlink()
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery\n"))
    assert main(["centre", "user", "add", "alice", "--role", "guard", "--config", str(path)]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("another horse battery\n"))
    assert main(["centre", "user", "passwd", "alice", "--config", str(path)]) == 0
    assert main(["centre", "user", "list", "--config", str(path)]) == 0
    assert capsys.readouterr().out == "alice\tguard\n"
    # what signs commands still needs it, and says so
    assert main(["centre", "--config", str(path)]) == 2
    assert "commands.key_file" in capsys.readouterr().err


def test_passwd_of_an_unknown_user_says_so_before_asking_for_a_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, 1883)
    asked: list[str] = []
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    monkeypatch.setattr("terminal.centre.cli.read_password", lambda: asked.append("?") or "x")
    assert main(["centre", "user", "passwd", "nobody", "--config", str(path)]) == 2
    assert capsys.readouterr().err == "gate-terminal centre: user 'nobody': no such user\n"
    assert asked == []
