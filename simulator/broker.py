"""A private Mosquitto on a free loopback port, for the simulator and the tests."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from terminal.common.errors import GateError

MOSQUITTO_CANDIDATES = ("mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


class BrokerUnavailable(GateError, RuntimeError):
    pass


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path


def find_mosquitto() -> str | None:
    for candidate in MOSQUITTO_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def wait_or_kill(process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Wait for a server asked to stop; kill it if it does not within ``timeout_s``."""
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateBroker:
    """``with PrivateBroker() as broker:`` gives ``broker.host`` and ``broker.port``."""

    host = "127.0.0.1"

    def __init__(
        self,
        port: int | None = None,
        tls: TlsFiles | None = None,
        persistence_dir: Path | None = None,
    ) -> None:
        self.port = port or free_port()
        self.tls = tls
        # with a folder, the broker keeps what it took across a restart (on the same port)
        self.persistence_dir = persistence_dir
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> PrivateBroker:
        binary = find_mosquitto()
        if binary is None:
            raise BrokerUnavailable(
                "mosquitto is not installed (Debian: sudo apt-get install mosquitto)"
            )
        self._dir = tempfile.TemporaryDirectory(prefix="gate-broker-")
        folder = Path(self._dir.name)
        conf = folder / "mosquitto.conf"
        tls = ""
        if self.tls:
            files = self.tls
            tls = f"cafile {files.ca_file}\ncertfile {files.cert_file}\nkeyfile {files.key_file}\n"
        conf.write_text(
            f"listener {self.port} {self.host}\n"
            f"{tls}"
            "allow_anonymous true\n"
            + (
                f"persistence true\npersistence_location {self.persistence_dir}/\n"
                if self.persistence_dir
                else "persistence false\n"
            )
            + "max_queued_messages 0\n"
            "set_tcp_nodelay true\n"
            "log_dest stderr\n"
            "log_type error\n"
            "log_type warning\n"
            # as root, mosquitto would otherwise switch to a 'mosquitto' user that may not exist
            f"user {getpass.getuser()}\n"
        )
        self._log = (folder / "mosquitto.log").open("wb")
        self._process = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log_text = (folder / "mosquitto.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise BrokerUnavailable(f"mosquitto exited at start: {log_text.strip()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BrokerUnavailable(
            f"mosquitto did not listen on {self.host}:{self.port} in {timeout_s} s"
        )

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            wait_or_kill(self._process, timeout_s=5)
        self._process = None
        if self._dir is not None:
            self._log.close()
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> PrivateBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
