"""The gate and systemd, through a stand-in ``NOTIFY_SOCKET`` (a datagram socket the test binds):
``READY=1`` once the devices have answered, ``WATCHDOG=1`` while the loop turns and none while a
device hangs, ``STOPPING=1`` on a clean stop; the boot's bounded wait for the clock; and the
retention purge, which waits while the clock is unsynchronised or has jumped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.broker import PrivateBroker
from simulator.factory import SimulatedDevices
from terminal.app.housekeeping import ClockTrust, Housekeeping
from terminal.app.service import run_service, wait_for_clock
from terminal.common.notify import Notifier
from terminal.config import Config, load
from terminal.devices import Devices
from terminal.rules.roster import Roster

REPO = Path(__file__).resolve().parent.parent
WATCHDOG_S = 0.2


class StandIn:
    """What systemd listens on: a bound Unix datagram socket, and every datagram it got, in
    order, beside the test's own marks."""

    def __init__(self, folder: Path) -> None:
        self.path = str(folder / "notify")
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)
        self.socket.settimeout(0.05)
        self.events: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._done.is_set():
            try:
                data = self.socket.recv(4096)
            except TimeoutError:
                continue
            for field in data.decode().split("\n"):
                self.mark(field)

    def mark(self, what: str) -> None:
        with self.lock:
            self.events.append((time.monotonic(), what))

    def seen(self) -> list[str]:
        with self.lock:
            return [what for _, what in self.events]

    def since(self, at: float) -> list[str]:
        with self.lock:
            return [what for when, what in self.events if when >= at]

    def wait_for(self, what: str, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while what not in self.seen():
            assert time.monotonic() < deadline, f"no {what} within {timeout_s} s: {self.seen()}"
            time.sleep(0.01)

    def close(self) -> None:
        self._done.set()
        self._thread.join()
        self.socket.close()


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[StandIn]:
    stand_in = StandIn(tmp_path)
    try:
        yield stand_in
    finally:
        stand_in.close()


# --- the notifier alone -----------------------------------------------------------------------
def test_outside_systemd_nothing_is_sent() -> None:
    quiet = Notifier.from_environment({})
    assert not quiet.enabled
    assert not quiet.ready("x") and not quiet.watchdog() and not quiet.stopping()


def test_the_environment_names_the_socket_and_the_watchdog(systemd: StandIn) -> None:
    mine = Notifier.from_environment(
        {
            "NOTIFY_SOCKET": systemd.path,
            "WATCHDOG_USEC": "30000000",
            "WATCHDOG_PID": str(os.getpid()),
        }
    )
    assert mine.enabled and mine.watchdog_s == 30.0
    # a watchdog meant for another process (a parent's) is not this one's
    other = Notifier.from_environment(
        {"NOTIFY_SOCKET": systemd.path, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}
    )
    assert other.watchdog_s is None and not other.watchdog()
    assert mine.ready("up") and mine.watchdog()
    systemd.wait_for("WATCHDOG=1")
    assert systemd.seen()[:2] == ["READY=1", "STATUS=up"]


def test_pings_come_at_most_every_half_period() -> None:
    now = [0.0]
    sent: list[tuple[str, ...]] = []

    class Counting(Notifier):
        def send(self, *fields: str) -> bool:
            sent.append(fields)
            return True

    notifier = Counting("/nowhere", 10.0, ticks=lambda: now[0])
    for t in (0.0, 1.0, 4.9, 5.0, 9.0, 10.1):
        now[0] = t
        notifier.watchdog()
    assert len(sent) == 3  # at 0, 5 and 10.1


def test_an_abstract_socket_is_reached(tmp_path: Path) -> None:
    name = f"gate-terminal-test-{id(tmp_path)}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind("\0" + name)
    try:
        assert Notifier("@" + name).ready("up")
        assert listener.recv(4096).decode().startswith("READY=1\n")
    finally:
        listener.close()


def test_a_lost_socket_never_stops_the_gate(tmp_path: Path) -> None:
    notifier = Notifier(str(tmp_path / "gone"), 1.0)
    assert not notifier.ready("up") and not notifier.watchdog() and not notifier.stopping()


# --- the service under the stand-in -----------------------------------------------------------
class HangingCamera(SimulatedDevices):
    """The simulated devices, whose camera notes each frame it gives and, when told, hangs in
    its read as a camera (or an I2C call) can."""

    def __init__(self, systemd: StandIn) -> None:
        super().__init__()
        self.systemd = systemd
        self.hang = threading.Event()
        self.stuck = threading.Event()
        self.release = threading.Event()

    def open_devices(self, config: Config, roster: Roster) -> Devices:
        devices = super().open_devices(config, roster)
        read_frame = devices.camera.read_frame

        def watched() -> Any:
            if self.hang.is_set():
                self.stuck.set()
                self.release.wait()
            frame = read_frame()
            if "frame" not in self.systemd.seen():
                self.systemd.mark("frame")
            return frame

        devices.camera.read_frame = watched  # type: ignore[method-assign]
        return devices


def service_config(tmp_path: Path) -> Config:
    config = load(REPO / "config" / "simulator.toml")
    nobody = socket.socket()
    nobody.bind(("127.0.0.1", 0))
    port = nobody.getsockname()[1]  # no broker listens there: the gate keeps its events
    nobody.close()
    return config.model_copy(
        update={
            "record": config.record.model_copy(update={"path": tmp_path / "record.sqlite"}),
            "display": config.display.model_copy(update={"enabled": False}),
            "mqtt": config.mqtt.model_copy(update={"port": port}),
            # one person, at once: then the simulated camera gives frames at its pace (with a
            # crowd still to come it idles inside its read until the next person, in real time)
            "simulator": config.simulator.model_copy(
                update={"workers": 1, "arrival_window_s": 1.0}
            ),
        }
    )


def test_ready_after_the_devices_answer_pings_while_the_loop_turns_none_while_it_hangs(
    tmp_path: Path, systemd: StandIn
) -> None:
    factory = HangingCamera(systemd)
    stop = threading.Event()
    result: list[int] = []
    service = threading.Thread(
        target=lambda: result.append(
            run_service(
                service_config(tmp_path),
                stop,
                factory,
                notifier=Notifier(systemd.path, WATCHDOG_S),
                clock_synced=lambda: True,
            )
        ),
        daemon=True,
    )
    service.start()
    try:
        systemd.wait_for("READY=1")
        seen = systemd.seen()
        # ready only once the camera has given a frame (a whole turn of the loop)
        assert "frame" in seen and seen.index("frame") < seen.index("READY=1")
        assert "WATCHDOG=1" not in seen[: seen.index("READY=1")]
        # while it turns: a ping every half period or so (once the one person's check, seconds
        # long, is over)
        deadline = time.monotonic() + 30.0
        while systemd.since(time.monotonic() - 5 * WATCHDOG_S).count("WATCHDOG=1") < 3:
            assert time.monotonic() < deadline, systemd.seen()
            time.sleep(0.05)
        # the camera hangs: the pings stop, and systemd would kill the gate after WatchdogSec
        factory.hang.set()
        assert factory.stuck.wait(10.0)
        hung_at = time.monotonic()
        time.sleep(5 * WATCHDOG_S)
        assert "WATCHDOG=1" not in systemd.since(hung_at + WATCHDOG_S / 2)
        # it answers again: the pings come back
        factory.hang.clear()
        factory.release.set()
        came_back = time.monotonic()
        deadline = came_back + 30.0
        while "WATCHDOG=1" not in systemd.since(came_back):
            assert time.monotonic() < deadline, systemd.seen()
            time.sleep(0.05)
    finally:
        factory.hang.clear()
        factory.release.set()
        stop.set()
        service.join(30.0)
    assert result == [0]
    systemd.wait_for("STOPPING=1")


def test_a_start_that_fails_is_never_ready(tmp_path: Path, systemd: StandIn) -> None:
    config = service_config(tmp_path)
    roster = config.roster.model_copy(update={"workers": tmp_path / "missing.csv"})
    code = run_service(
        config.model_copy(update={"roster": roster}),
        threading.Event(),
        SimulatedDevices(),
        notifier=Notifier(systemd.path, WATCHDOG_S),
        clock_synced=lambda: True,
    )
    assert code == 2  # a roster to fix: RestartPreventExitStatus=2 leaves it stopped
    time.sleep(0.1)
    assert "READY=1" not in systemd.seen()


# --- the clock at boot ------------------------------------------------------------------------
class FakeTime:
    def __init__(self, boot_s: float) -> None:
        self.now = 0.0
        self.boot_s = boot_s

    def ticks(self) -> float:
        return self.now

    def since_boot(self) -> float:
        return self.boot_s + self.now


class SteppingStop(threading.Event):
    """A stop that is never set, whose waits move the fake time on instead of sleeping."""

    def __init__(self, fake: FakeTime) -> None:
        super().__init__()
        self.fake = fake

    def wait(self, timeout: float | None = None) -> bool:
        self.fake.now += timeout or 0.0
        return False


def test_at_boot_the_gate_waits_for_the_clock_at_most_clock_wait_s(systemd: StandIn) -> None:
    fake = FakeTime(boot_s=10.0)  # the service starts 10 s after power-on
    synced = wait_for_clock(
        lambda: False,
        90.0,
        SteppingStop(fake),
        Notifier(systemd.path, WATCHDOG_S, ticks=fake.ticks),
        since_boot=fake.since_boot,
        ticks=fake.ticks,
    )
    assert not synced and fake.now == pytest.approx(80.0)  # 90 s from boot, not from start
    systemd.wait_for("STATUS=waiting up to 80 s for the clock to be synchronised")
    systemd.wait_for("EXTEND_TIMEOUT_USEC=31000000")  # the start's timeout stretched meanwhile


def test_the_wait_ends_when_the_clock_is_synchronised() -> None:
    fake = FakeTime(boot_s=5.0)
    answers = iter([False, False, False, True])
    synced = wait_for_clock(
        lambda: next(answers),
        90.0,
        SteppingStop(fake),
        Notifier(None),
        since_boot=fake.since_boot,
        ticks=fake.ticks,
    )
    assert synced and fake.now == pytest.approx(3.0)


def test_a_restart_long_after_boot_does_not_wait_again() -> None:
    fake = FakeTime(boot_s=3600.0)
    asked: list[bool] = []

    def never() -> bool:
        asked.append(False)
        return False

    synced = wait_for_clock(
        never,
        90.0,
        SteppingStop(fake),
        Notifier(None),
        since_boot=fake.since_boot,
        ticks=fake.ticks,
    )
    assert not synced and fake.now == 0.0 and len(asked) == 1


def test_a_stop_during_the_wait_ends_the_service_cleanly(tmp_path: Path, systemd: StandIn) -> None:
    stop = threading.Event()
    stop.set()
    code = run_service(
        service_config(tmp_path),
        stop,
        SimulatedDevices(),
        notifier=Notifier(systemd.path),
        clock_synced=lambda: False,
    )
    assert code == 0
    systemd.wait_for("STOPPING=1")
    assert "READY=1" not in systemd.seen()


# --- the retention purge and the clock --------------------------------------------------------
class RecordStub:
    def __init__(self) -> None:
        self.purged_before: list[float] = []

    def purge_before(self, epoch_s: float) -> int:
        self.purged_before.append(epoch_s)
        return 0


def housekeeping(config: Config, trust: ClockTrust) -> tuple[Housekeeping, RecordStub]:
    record = RecordStub()
    keeping = Housekeeping.__new__(Housekeeping)  # the purge alone: no publisher, no reports
    keeping.config = config
    keeping.record = record  # type: ignore[assignment]
    keeping.clock = trust
    keeping._purge_waited = None
    return keeping, record


def test_the_purge_waits_while_the_clock_is_unsynchronised(tmp_path: Path) -> None:
    config = service_config(tmp_path)
    synced = [False]
    steady = [1000.0]
    keeping, record = housekeeping(config, ClockTrust(lambda: synced[0], lambda: steady[0]))
    wall = 1_700_000_000.0
    keeping.purge(wall)
    assert record.purged_before == []  # a Pi booted offline: its time may be anything
    synced[0] = True
    steady[0] += 3600
    keeping.purge(wall + 3600)
    days = config.record.retention_days
    assert record.purged_before == [wall + 3600 - days * 86400]


def test_the_purge_waits_an_hour_after_the_clock_jumped(tmp_path: Path) -> None:
    config = service_config(tmp_path)
    steady = [1000.0]
    trust = ClockTrust(lambda: True, lambda: steady[0])
    keeping, record = housekeeping(config, trust)
    wall = 1_700_000_000.0
    keeping.purge(wall)
    assert len(record.purged_before) == 1
    # thirty seconds later by the steady clock, the wall clock says a year later: set wrong by
    # a time server or a hand, it would purge the whole record
    steady[0] += 30
    trust.observe(wall + 365 * 86400)
    steady[0] += 3570
    keeping.purge(wall + 365 * 86400 + 3570)
    assert len(record.purged_before) == 1
    # an hour of the clock running steady since: it is trusted again
    steady[0] += 3600
    keeping.purge(wall + 365 * 86400 + 7170)
    assert len(record.purged_before) == 2
    # a jump backwards waits too
    steady[0] += 30
    keeping.purge(wall)
    assert len(record.purged_before) == 2


def test_a_running_gate_does_not_purge_on_an_unsynchronised_clock(tmp_path: Path) -> None:
    """Through the composition root: the gate's own housekeeping asks the devices' clock."""
    from terminal.app.build import build_gate

    config = service_config(tmp_path)
    app = build_gate(config, SimulatedDevices(), connect=False, display_for=lambda _s: None)
    try:
        assert app.housekeeping.clock is not None
        app.housekeeping.clock.synchronised = lambda: False
        purged: list[float] = []
        app.record.purge_before = lambda epoch_s: purged.append(epoch_s) or 0  # type: ignore[method-assign]
        app.housekeep()
        assert purged == []
        app.housekeeping.clock.synchronised = lambda: True
        app.schedule.next_purge = float("-inf")
        app.housekeep()
        assert len(purged) == 1
    finally:
        app.stop(flush_timeout_s=None)


# --- the centre -------------------------------------------------------------------------------
@pytest.mark.slow  # starts a process and a broker
def test_the_centre_is_ready_pings_while_it_runs_and_says_it_stops(
    tmp_path: Path, systemd: StandIn, broker: PrivateBroker
) -> None:
    from simulator.broker import free_port

    path = tmp_path / "centre.toml"
    path.write_text(
        f"""park = "p1"
[mqtt]
port = {broker.port}
[database]
url = "sqlite:///{tmp_path}/centre.sqlite"
[web]
port = {free_port()}
""",
        encoding="utf-8",
    )
    env = {**os.environ, "NOTIFY_SOCKET": systemd.path, "WATCHDOG_USEC": str(int(WATCHDOG_S * 1e6))}
    process = subprocess.Popen(
        [sys.executable, "-m", "terminal.cli.main", "centre", "--config", str(path)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        systemd.wait_for("READY=1", timeout_s=60)
        systemd.wait_for("WATCHDOG=1")
        assert "WATCHDOG=1" not in systemd.seen()[: systemd.seen().index("READY=1")]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        systemd.wait_for("STOPPING=1")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
