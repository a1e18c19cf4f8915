"""The park's broker as config/mosquitto/ ships it, run by the tests: the same configuration file
and ACL, with only the paths (certificates made here, the password file, the persistence folder)
and the listener's port changed. Restartable on the same port with the same persistence."""

from __future__ import annotations

import getpass
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from simulator.broker import find_mosquitto, free_port, wait_or_kill

REPO = Path(__file__).resolve().parents[2]  # tests/support/ is two below the checkout
SHIPPED = REPO / "config" / "mosquitto"
# a gate logs in as park/id; the same gate id in another park is another gate
USERS = {
    "example-park/north-1": "pw-north-1",
    "example-park/north-2": "pw-north-2",
    "other-park/north-1": "pw-other-north-1",
    "centre": "pw-centre",
    "dashboard": "pw-dashboard",
    "security-desk": "pw-security",
}


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_pki(folder: Path) -> tuple[Path, Path, Path]:
    """A park CA and a broker certificate for 127.0.0.1: (ca, cert, key)."""
    ca_key, ca_cert = folder / "park-ca.key", folder / "park-ca.crt"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=park-ca",
            "-keyout", str(ca_key), "-out", str(ca_cert))  # fmt: skip
    key, csr, cert = (folder / f"broker.{x}" for x in ("key", "csr", "crt"))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", str(key), "-out", str(csr))  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "2", "-extfile", str(folder / "san.ext"),
            "-out", str(cert))  # fmt: skip
    return ca_cert, cert, key


def _replace(text: str, pattern: str, new: str) -> str:
    text, found = re.subn(pattern, new, text, flags=re.MULTILINE)
    assert found == 1, f"config/mosquitto/mosquitto.conf no longer has {pattern!r}"
    return text


class ParkBroker:
    host = "127.0.0.1"

    def __init__(self, folder: Path) -> None:
        if shutil.which("mosquitto_passwd") is None:
            raise RuntimeError("the broker tests need mosquitto_passwd (Debian: mosquitto)")
        self.folder = folder
        self.port = free_port()
        self.ca, cert, key = make_pki(folder)
        passwords = folder / "passwords"
        passwords.write_text("")
        for user, password in USERS.items():
            subprocess.run(
                ["mosquitto_passwd", "-b", str(passwords), user, password],
                check=True,
                capture_output=True,
            )
        data = folder / "data"
        data.mkdir()
        text = (SHIPPED / "mosquitto.conf").read_text(encoding="utf-8")
        text = _replace(text, r"^persistence_location .*$", f"persistence_location {data}/")
        text = _replace(text, r"^listener 8883$", f"listener {self.port} {self.host}")
        text = _replace(text, r"^cafile .*$", f"cafile {self.ca}")
        text = _replace(text, r"^certfile .*$", f"certfile {cert}")
        text = _replace(text, r"^keyfile .*$", f"keyfile {key}")
        text = _replace(text, r"^password_file .*$", f"password_file {passwords}")
        text = _replace(text, r"^acl_file .*$", f"acl_file {SHIPPED / 'acl'}")
        text = _replace(text, r"^log_dest syslog$", "log_dest stderr")
        # as root, mosquitto would otherwise switch to a 'mosquitto' user that may not exist
        text += f"\nuser {getpass.getuser()}\n"
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(text, encoding="utf-8")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> ParkBroker:
        binary = find_mosquitto()
        assert binary is not None, "the tests need Mosquitto"
        log = (self.folder / "mosquitto.log").open("ab")
        self._process = subprocess.Popen(
            [binary, "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self._process.poll() is None, self.log_text()
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"mosquitto did not listen: {self.log_text()}")

    def stop(self) -> None:
        """A clean stop (SIGTERM): Mosquitto saves its persistence file."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            wait_or_kill(self._process, timeout_s=10)
        self._process = None

    def log_text(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def credentials_file(self, user: str) -> Path:
        path = self.folder / f"{user.replace('/', '.')}.credentials.toml"
        path.write_text(f'username = "{user}"\npassword = "{USERS[user]}"\n', encoding="utf-8")
        path.chmod(0o600)
        return path
