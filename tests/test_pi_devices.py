"""The Pi's device factory as an installer meets it, on stand-ins for what only a Pi has: the
board's model (a file the test writes), RPi.GPIO as rpi-lgpio provides it (a twin recording the
pins), the I2C bus, OpenCV's V4L2 capture, and Raspberry Pi OS's picamera2 (a stand-in module the
test puts on sys.path, giving arrays the way Picamera2's capture_array does).

What the installer would notice: the board named in the status, or refused in one line; the
right pins set up at the right levels on a Pi 4 and a Pi 5 alike; the CSI camera opened through
Picamera2 and its frames grey at the decoder's size (and decoded); a USB camera opened through
V4L2 by its /dev/v4l/by-id path; a camera that cannot open named by its config key, in one line."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import segno

from drivers import board as board_module
from drivers.board import (
    GPIO_GET_CHIPINFO_IOCTL,
    Board,
    BoardError,
    header_gpiochip,
    import_gpio,
    read_board,
    supported_board,
)
from drivers.camera import Camera, GreyAtSize, grey_at_size
from drivers.qr import make_decoder
from simulator.gpio import FakeGPIO
from simulator.mlx90614 import FakeSMBus
from terminal.app.build import build_gate
from terminal.app.devices import PiDevices, build_pi_devices
from terminal.cli.hardware import device_factory
from terminal.codes.healthcode import public_key_text
from terminal.config import Config, ConfigError, load
from terminal.devices import DeviceError
from terminal.link.topics import GateTopics, status_payload
from terminal.rules.roster import Roster
from terminal.state import GateState
from tests.conftest import (
    PARK_ISSUER_KEY,
    example_gate_config,
    example_gate_config_text,
    make_config,
)
from tests.support.gate_inputs import ALARM_PIN, PASSAGE_PIN, passage

PI5 = "Raspberry Pi 5 Model B Rev 1.0"
PI4 = "Raspberry Pi 4 Model B Rev 1.5"
BY_ID = "/dev/v4l/by-id/usb-046d_HD_Webcam_C270_200901010001-video-index0"


# --- the board --------------------------------------------------------------------------------
def model_file(tmp_path: Path, model: str | None) -> Path:
    """/proc/device-tree/model as the firmware writes it: NUL-terminated."""
    path = tmp_path / "model"
    if model is not None:
        path.write_bytes(model.encode() + b"\0")
    return path


@pytest.mark.parametrize(
    ("model", "generation"),
    [
        (PI5, 5),
        (PI4, 4),
        ("Raspberry Pi 400 Rev 1.1", 4),
        ("Raspberry Pi 500 Rev 1.0", 5),
        ("Raspberry Pi Compute Module 4 Rev 1.1", 4),
        ("Raspberry Pi Compute Module 5 Rev 1.0", 5),
    ],
)
def test_a_pi_4_or_5_is_supported(tmp_path: Path, model: str, generation: int) -> None:
    board = supported_board(model_file(tmp_path, model))
    assert board == Board(model, generation) and board.supported


@pytest.mark.parametrize(
    ("model", "said"),
    [
        ("Raspberry Pi 3 Model B Plus Rev 1.3", "'Raspberry Pi 3 Model B Plus Rev 1.3' ("),
        ("Raspberry Pi Zero 2 W Rev 1.0", "'Raspberry Pi Zero 2 W Rev 1.0' ("),
        ("Orange Pi 5", "'Orange Pi 5' ("),
        (None, "this is not a Raspberry Pi (no board model in"),
        ("", "this is not a Raspberry Pi (no board model in"),
    ],
)
def test_another_board_is_refused_in_one_line(tmp_path: Path, model: str | None, said: str) -> None:
    path = model_file(tmp_path, model)
    if model == "":
        path.write_bytes(b"\0")
    with pytest.raises(BoardError) as raised:
        supported_board(path)
    message = str(raised.value)
    assert said in message and "\n" not in message
    assert "needs a Raspberry Pi 4 or 5" in message


def test_a_model_with_control_characters_is_read_plain(tmp_path: Path) -> None:
    path = tmp_path / "model"
    path.write_bytes(b"Raspberry Pi 5 Model B\x1b[2J Rev 1.0\0junk")
    board = read_board(path)
    assert board is not None and board.generation == 5 and "\x1b" not in board.model


# --- GPIO: RPi.GPIO's API on lgpio --------------------------------------------------------------
class LgpioGPIO(FakeGPIO):
    """RPi.GPIO as rpi-lgpio provides it (it imports lgpio), recording every setup call."""

    lgpio = types.ModuleType("lgpio")

    def __init__(self) -> None:
        super().__init__(lambda: 0.0)
        self.setups: list[tuple[int, int, int, int]] = []  # pin, direction, pull, initial
        self.warnings: list[bool] = []

    def setwarnings(self, flag: bool) -> None:
        self.warnings.append(flag)

    def setup(self, pin: int, direction: int, pull_up_down: int = 20, initial: int = -1) -> None:
        self.setups.append((pin, direction, pull_up_down, initial))
        super().setup(pin, direction, pull_up_down, initial)


def as_rpi_gpio(monkeypatch: pytest.MonkeyPatch, gpio: Any) -> None:
    """``gpio`` importable as ``RPi.GPIO``."""
    rpi = types.ModuleType("RPi")
    rpi.GPIO = gpio  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "RPi", rpi)
    monkeypatch.setitem(sys.modules, "RPi.GPIO", gpio)


def test_the_header_chip_is_found_by_its_label(tmp_path: Path) -> None:
    """A Pi 5 on a kernel from 6.6.45 on: the header is gpiochip0 (pinctrl-rp1), the SoC's chips
    are 10 to 13, and gpiochip4 is a link to gpiochip0 kept for old programs."""
    labels = {
        "gpiochip0": "pinctrl-rp1",
        "gpiochip10": "gpio-brcmstb@107d508500",
        "gpiochip11": "gpio-brcmstb@107d508520",
    }
    for name in labels:
        (tmp_path / name).touch()
    (tmp_path / "gpiochip4").symlink_to(tmp_path / "gpiochip0")
    asked: list[str] = []

    def label_of(path: Path) -> str | None:
        asked.append(path.name)
        return labels.get(path.name)

    assert header_gpiochip(tmp_path, label_of) == 0
    assert "gpiochip4" not in asked
    # an older Pi 5 kernel: the SoC's chips first, the header's fifth
    older = tmp_path / "older"
    older.mkdir()
    old_labels = {f"gpiochip{n}": f"gpio-brcmstb@{n}" for n in range(4)} | {
        "gpiochip4": "pinctrl-rp1"
    }
    for name in old_labels:
        (older / name).touch()
    assert header_gpiochip(older, lambda p: old_labels[p.name]) == 4
    # a Pi 4
    pi4 = tmp_path / "pi4"
    pi4.mkdir()
    (pi4 / "gpiochip0").touch()
    (pi4 / "gpiochip1").touch()
    pi4_labels = {"gpiochip0": "pinctrl-bcm2711", "gpiochip1": "raspberrypi-exp-gpio"}
    assert header_gpiochip(pi4, lambda p: pi4_labels[p.name]) == 0
    assert header_gpiochip(tmp_path / "none", label_of) is None


def test_the_chip_ioctl_is_the_kernels() -> None:
    # linux/gpio.h: GPIO_GET_CHIPINFO_IOCTL _IOR(0xB4, 0x01, struct gpiochip_info), 68 bytes
    assert GPIO_GET_CHIPINFO_IOCTL == 0x8044B401


def test_rpi_lgpio_is_told_the_header_chip_unless_the_unit_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gpio = LgpioGPIO()
    as_rpi_gpio(monkeypatch, gpio)
    environ = {"RUNTIME_DIRECTORY": "/run/gate-terminal"}
    assert import_gpio(environ, find_chip=lambda: 0) is gpio
    # and lgpio's pipes go to the service's runtime directory, not its working directory
    assert environ == {
        "RUNTIME_DIRECTORY": "/run/gate-terminal",
        "RPI_LGPIO_CHIP": "0",
        "LG_WD": "/run/gate-terminal",
    }
    environ = {"RPI_LGPIO_CHIP": "4", "LG_WD": "/var/lib/gate-terminal"}  # the unit's: kept
    import_gpio(environ, find_chip=lambda: pytest.fail("the chip was searched for"))
    assert environ == {"RPI_LGPIO_CHIP": "4", "LG_WD": "/var/lib/gate-terminal"}


def test_lgpios_pipe_goes_to_the_runtime_directory_and_the_working_directory_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lgpio, imported, changes the process's working directory to LG_WD and makes its
    notification pipe there (a stand-in doing the same, under a stand-in rpi-lgpio)."""
    packages = tmp_path / "site-packages"
    (packages / "RPi" / "GPIO").mkdir(parents=True)
    (packages / "RPi" / "__init__.py").write_text("", encoding="utf-8")
    (packages / "RPi" / "GPIO" / "__init__.py").write_text("import lgpio\n", encoding="utf-8")
    (packages / "lgpio.py").write_text(
        "import os\nos.chdir(os.environ.get('LG_WD', '.'))\nopen('.lgd-nfy0', 'w').close()\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(packages))
    for name in ("RPi", "RPi.GPIO", "lgpio"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    runtime, work = tmp_path / "run", tmp_path / "work"
    runtime.mkdir()
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(runtime))
    monkeypatch.setenv("LG_WD", "")
    monkeypatch.delenv("LG_WD")
    monkeypatch.setenv("RPI_LGPIO_CHIP", "0")
    try:
        gpio = import_gpio()
    finally:
        for name in ("RPi", "RPi.GPIO", "lgpio"):
            sys.modules.pop(name, None)
    assert gpio.lgpio.__name__ == "lgpio"
    assert Path.cwd() == work and list(work.iterdir()) == []
    assert (runtime / ".lgd-nfy0").exists()


def test_the_original_rpi_gpio_is_refused_naming_rpi_lgpio(monkeypatch: pytest.MonkeyPatch) -> None:
    """The original RPi.GPIO imports on a Pi 5 and fails only at GPIO.setup ("Cannot determine
    SOC peripheral base address"): the gate refuses it at start instead."""
    as_rpi_gpio(monkeypatch, FakeGPIO(lambda: 0.0))  # no lgpio underneath
    with pytest.raises(BoardError) as raised:
        import_gpio({}, find_chip=lambda: None)
    assert "pip install rpi-lgpio" in str(raised.value) and "\n" not in str(raised.value)


def test_a_missing_rpi_gpio_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "RPi", None)
    monkeypatch.setitem(sys.modules, "RPi.GPIO", None)
    with pytest.raises(
        BoardError, match=r"^RPi.GPIO \(rpi-lgpio\) cannot be used here .*rpi-lgpio$"
    ):
        import_gpio({}, find_chip=lambda: None)


# --- the factory on a Pi 4 and a Pi 5 -----------------------------------------------------------
class Capture:
    """cv2.VideoCapture as the factory uses it, recording how it was opened."""

    opened: ClassVar[list[tuple[int | str, int | None]]] = []
    plugged_in: ClassVar[bool] = True
    frame: ClassVar[np.ndarray | None] = None

    def __init__(self, device: int | str, api: int | None = None) -> None:
        Capture.opened.append((device, api))
        self.settings: dict[int, float] = {}
        self.released = False

    def isOpened(self) -> bool:
        return Capture.plugged_in

    def set(self, prop: int, value: float) -> bool:
        self.settings[prop] = value
        return True

    def read(self) -> tuple[bool, np.ndarray | None]:
        return (Capture.frame is not None), Capture.frame

    def release(self) -> None:
        self.released = True


@pytest.fixture
def pi(monkeypatch: pytest.MonkeyPatch) -> LgpioGPIO:
    """A Pi's hardware as stand-ins: RPi.GPIO on lgpio, the I2C bus, V4L2 capture."""
    gpio = LgpioGPIO()
    as_rpi_gpio(monkeypatch, gpio)
    monkeypatch.setattr(board_module, "header_gpiochip", lambda: 0)
    for name in ("RPI_LGPIO_CHIP", "LG_WD"):
        monkeypatch.setenv(name, "")  # so that the one the factory sets is undone
        monkeypatch.delenv(name)
    import cv2
    import smbus2

    monkeypatch.setattr(cv2, "VideoCapture", Capture)
    monkeypatch.setattr(smbus2, "SMBus", lambda bus: FakeSMBus())
    monkeypatch.setattr(Capture, "opened", [])
    monkeypatch.setattr(Capture, "plugged_in", True)
    monkeypatch.setattr(Capture, "frame", None)
    return gpio


def pi_config(tmp_path: Path, **sections: dict) -> Config:
    """A real gate's config (a Pi, a park's issuer, TLS) with a USB camera by its stable path."""
    park_issuer = {
        "key_id": "park-2026",
        "public_key": public_key_text(PARK_ISSUER_KEY.public_key()),
    }
    given: dict[str, dict] = {
        "gate": {"hardware": "pi"},
        "healthcode": {"issuers": [park_issuer]},
        "camera": {"kind": "usb", "device": BY_ID},
    }
    for name, values in sections.items():
        given[name] = {**given.get(name, {}), **values}
    return make_config(tmp_path, **given)


@pytest.mark.parametrize("model", [PI4, PI5])
def test_the_pins_are_set_up_alike_on_a_pi_4_and_a_pi_5(
    tmp_path: Path, pi: LgpioGPIO, model: str
) -> None:
    config = pi_config(
        tmp_path,
        outputs={"relay_active_high": False},
        inputs={"passage": passage(), "fire_alarm": {"pin": ALARM_PIN, "active_high": True}},
    )
    devices = PiDevices(model_file(tmp_path, model)).open_devices(config, Roster())
    try:
        assert devices.board == model
        assert pi.mode == pi.BCM and pi.warnings == [False]
        # outputs: each set up as an output at its inactive level from the first instant
        outputs = {pin: (d, initial) for pin, d, _pull, initial in pi.setups if d == pi.OUT}
        assert outputs == {
            17: (pi.OUT, pi.HIGH),  # the relay, active low here: idle is high
            27: (pi.OUT, pi.LOW),  # green lamp
            22: (pi.OUT, pi.LOW),  # red lamp
            23: (pi.OUT, pi.LOW),  # buzzer
        }
        inputs = {pin: pull for pin, d, pull, _initial in pi.setups if d == pi.IN}
        assert inputs == {PASSAGE_PIN: pi.PUD_UP, ALARM_PIN: pi.PUD_UP}
        # one pulse drives the relay's active level on its own pin, then idles it again
        devices.outputs.relay.pulse(0.01)
        assert [(c.pin, c.level) for c in pi.changes if c.pin == 17] == [(17, 1), (17, 0), (17, 1)]
    finally:
        devices.close()


def test_the_board_is_in_the_gates_status(tmp_path: Path, pi: LgpioGPIO) -> None:
    config = pi_config(tmp_path)
    app = build_gate(
        config,
        PiDevices(model_file(tmp_path, PI5)),
        roster=Roster(),
        connect=False,
        display_for=lambda _state: None,
    )
    try:
        assert app.state.board == PI5
        payload = status_payload(
            GateTopics(config.gate.park, config.gate.id),
            "online",
            app.state,
            boot_id="b",
            software_version="0",
            config_hash="0" * 16,
            now=lambda: 0.0,
        )
        assert json.loads(payload)["board"] == PI5
    finally:
        app.stop()


def test_a_simulated_gate_names_no_board(tmp_path: Path) -> None:
    state = GateState(risk_tier="low")
    payload = status_payload(
        GateTopics("p", "g"), "online", state, boot_id="b", software_version="0",
        config_hash="0" * 16, now=lambda: 0.0,
    )  # fmt: skip
    assert json.loads(payload)["board"] is None


def test_an_unsupported_board_stops_the_gate_before_any_pin(tmp_path: Path, pi: LgpioGPIO) -> None:
    config = pi_config(tmp_path)
    factory = PiDevices(model_file(tmp_path, "Raspberry Pi 3 Model B Rev 1.2"))
    with pytest.raises(DeviceError) as raised:
        factory.open_devices(config, Roster())
    message = str(raised.value)
    assert message.startswith(f"{config.source}: gate.hardware = 'pi' but 'Raspberry Pi 3 Model B")
    assert "Raspberry Pi 4 or 5" in message and "\n" not in message
    assert pi.setups == [] and Capture.opened == []


def test_a_pin_lgpio_cannot_claim_is_one_line(
    tmp_path: Path, pi: LgpioGPIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Busy(Exception):  # lgpio.error is a plain Exception
        pass

    def setup(*_args: object, **_kwargs: object) -> None:
        raise Busy("'GPIO busy'")

    monkeypatch.setattr(pi, "setup", setup)
    with pytest.raises(DeviceError) as raised:
        PiDevices(model_file(tmp_path, PI5)).open_devices(pi_config(tmp_path), Roster())
    message = str(raised.value)
    assert "the GPIO pins cannot be set up ('GPIO busy')" in message and "gpio group" in message
    assert "\n" not in message


def test_the_factory_is_chosen_by_gate_hardware(tmp_path: Path) -> None:
    assert isinstance(device_factory(pi_config(tmp_path)), PiDevices)
    assert type(device_factory(make_config(tmp_path))).__name__ == "SimulatedDevices"


def test_the_simulated_pins_keep_working_on_any_machine(tmp_path: Path) -> None:
    """No board, no rpi-lgpio, no camera: the simulator's twins under the same drivers."""
    from simulator.factory import SimulatedDevices
    from simulator.rig import build_rig

    config = make_config(tmp_path, inputs={"passage": passage()})
    rig = build_rig(config, [], seed=1)
    devices = SimulatedDevices(rig).open_devices(rig.config, Roster())
    try:
        assert devices.board is None
        gpio = devices.outputs.relay.gpio
        assert isinstance(gpio, FakeGPIO) and not isinstance(gpio, LgpioGPIO)
        assert gpio.directions[17] == gpio.OUT and gpio.levels[17] == gpio.LOW
        assert gpio.directions[PASSAGE_PIN] == gpio.IN
        devices.outputs.relay.pulse(0.5)
        assert [c.level for c in gpio.changes if c.pin == 17][-2:] == [1, 0]
    finally:
        devices.close()


# --- a USB camera through V4L2 ------------------------------------------------------------------
def test_a_usb_camera_is_opened_through_v4l2_by_its_stable_path(
    tmp_path: Path, pi: LgpioGPIO
) -> None:
    import cv2

    Capture.frame = np.full((480, 640, 3), (10, 200, 30), np.uint8)  # BGR, as V4L2 gives it
    devices = build_pi_devices(pi_config(tmp_path), pi, PI5)
    try:
        assert Capture.opened == [(BY_ID, cv2.CAP_V4L2)]
        capture = devices.camera.capture
        assert isinstance(capture, GreyAtSize) and isinstance(capture.source, Capture)
        assert capture.source.settings[cv2.CAP_PROP_FRAME_WIDTH] == 640
        assert capture.source.settings[cv2.CAP_PROP_BUFFERSIZE] == 1
        frame = devices.camera.read_frame()
        assert frame is not None and frame.shape == (480, 640) and frame.dtype == np.uint8
    finally:
        devices.close()


def test_a_usb_camera_at_another_mode_still_gives_the_decoders_size(
    tmp_path: Path, pi: LgpioGPIO
) -> None:
    Capture.frame = np.zeros((720, 1280, 3), np.uint8)  # the nearest mode the camera had
    devices = build_pi_devices(pi_config(tmp_path), pi, PI4)
    try:
        frame = devices.camera.read_frame()
        assert frame is not None and frame.shape == (480, 640)
    finally:
        devices.close()


def test_a_usb_camera_that_does_not_open_is_one_line_naming_the_key(
    tmp_path: Path, pi: LgpioGPIO
) -> None:
    Capture.plugged_in = False
    config = pi_config(tmp_path)
    with pytest.raises(DeviceError) as raised:
        PiDevices(model_file(tmp_path, PI5)).open_devices(config, Roster())
    message = str(raised.value)
    assert message.startswith(f"{config.source}: camera.device = '{BY_ID}' (camera.kind = \"usb\")")
    assert "ls -l /dev/v4l/by-id/" in message and "\n" not in message


# --- a CSI camera through Picamera2 (a stand-in module on sys.path) ----------------------------
STAND_IN = '''
"""A stand-in for Raspberry Pi OS's picamera2 (0.3.38): capture_array gives the main stream as
Picamera2 does for YUV420, an array of height * 3 / 2 rows (Y, then the chroma), each a stride
long, the padding past the width left in."""
import numpy as np

CAMERAS = [{"Model": "imx708", "Location": 2, "Num": 0}]
ALIGN = 1  # the width libcamera aligns to
STRIDE = 64  # the row length the buffer is padded to
SCENE = None  # what the camera sees (grey, placed top left); None: mid grey
opened = []


class Picamera2:
    @staticmethod
    def global_camera_info():
        return list(CAMERAS)

    def __init__(self, camera_num=0):
        if camera_num >= len(CAMERAS):
            raise RuntimeError(f"No camera number {camera_num} found")
        self.camera_num = camera_num
        self.camera_config = None
        self.started = False
        self.closed = False
        opened.append(self)

    def create_video_configuration(self, main=None, buffer_count=6, queue=True, **kwargs):
        return {"use_case": "video", "main": dict(main or {}), "buffer_count": buffer_count,
                "queue": queue}

    def configure(self, config):
        width, height = config["main"]["size"]
        config["main"]["size"] = (-(-width // ALIGN) * ALIGN, height)
        self.camera_config = config

    def start(self):
        self.started = True

    def capture_array(self, name="main"):
        assert self.started and name == "main"
        width, height = self.camera_config["main"]["size"]
        stride = -(-width // STRIDE) * STRIDE
        y = np.full((height, stride), 7, np.uint8)  # the padding: never part of the image
        y[:, :width] = 128
        if SCENE is not None:
            y[: SCENE.shape[0], : SCENE.shape[1]] = SCENE[:height, :width]
        chroma = np.full((height // 2, stride), 128, np.uint8)
        return np.vstack([y, chroma])

    def stop(self):
        self.started = False

    def close(self):
        self.closed = True
'''


@pytest.fixture
def picamera2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The stand-in, importable as ``picamera2`` (as --system-site-packages makes the system's)."""
    folder = tmp_path / "dist-packages" / "picamera2"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(textwrap.dedent(STAND_IN), encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder.parent))
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    import picamera2

    yield picamera2
    sys.modules.pop("picamera2", None)


def csi_config(tmp_path: Path, **camera: object) -> Config:
    return pi_config(tmp_path, camera={"kind": "csi", "device": 0, **camera})


def qr_scene(text: str, side_px: int) -> np.ndarray:
    """A QR code as a camera sees it held up: dark modules on white, with its quiet zone."""
    matrix = np.array(segno.make(text, error="m").matrix, dtype=bool)
    matrix = np.pad(matrix, 4)  # the quiet zone
    scale = side_px // matrix.shape[0]
    return np.where(np.kron(matrix, np.ones((scale, scale), bool)), 0, 255).astype(np.uint8)


def test_a_csi_camera_gives_grey_frames_at_the_decoders_size_and_they_decode(
    tmp_path: Path, pi: LgpioGPIO, picamera2: Any
) -> None:
    picamera2.SCENE = qr_scene("HC1:worker-0042", 300)
    config = csi_config(tmp_path)
    devices = PiDevices(model_file(tmp_path, PI5)).open_devices(config, Roster())
    try:
        (camera,) = picamera2.opened
        assert camera.camera_num == 0 and camera.started
        assert camera.camera_config["main"] == {"size": (640, 480), "format": "YUV420"}
        assert Capture.opened == []  # OpenCV never tried the CSI camera
        frame = devices.camera.read_frame()
        assert frame is not None and frame.shape == (480, 640) and frame.dtype == np.uint8
        assert devices.decoder.scan(frame).texts == ["HC1:worker-0042"]
    finally:
        devices.close()
    assert camera.closed and not camera.started


def test_a_size_libcamera_aligned_is_scaled_back_to_the_configured_one(
    tmp_path: Path, pi: LgpioGPIO, picamera2: Any
) -> None:
    picamera2.ALIGN = 64
    devices = build_pi_devices(csi_config(tmp_path, width=600, height=400), pi, PI4)
    try:
        assert picamera2.opened[0].camera_config["main"]["size"] == (640, 400)
        frame = devices.camera.read_frame()
        assert frame is not None and frame.shape == (400, 600)
    finally:
        devices.close()


def test_the_padding_past_the_width_is_no_part_of_the_frame(
    tmp_path: Path, pi: LgpioGPIO, picamera2: Any
) -> None:
    devices = build_pi_devices(csi_config(tmp_path, width=600, height=400), pi, PI5)
    try:
        assert picamera2.opened[0].capture_array().shape == (600, 640)  # 400 * 3 / 2 rows
        frame = devices.camera.read_frame()
        assert frame is not None and frame.shape == (400, 600) and frame.min() == 128
    finally:
        devices.close()


def test_no_csi_camera_is_one_line_naming_the_key(
    tmp_path: Path, pi: LgpioGPIO, picamera2: Any
) -> None:
    picamera2.CAMERAS = []
    config = csi_config(tmp_path)
    with pytest.raises(DeviceError) as raised:
        PiDevices(model_file(tmp_path, PI5)).open_devices(config, Roster())
    message = str(raised.value)
    assert message.startswith(f'{config.source}: camera.device = 0 (camera.kind = "csi")')
    assert "no CSI camera 0 (libcamera found: none)" in message
    assert "rpicam-hello --list-cameras" in message and "\n" not in message


def test_the_way_outs_csi_camera_is_named_by_its_own_key(
    tmp_path: Path, pi: LgpioGPIO, picamera2: Any
) -> None:
    from tests.support.both_ways import EXIT_RELAY_PIN

    config = pi_config(
        tmp_path,
        gate={"direction": "both"},
        camera={"kind": "csi", "device": 0},
        inputs={"passage": passage()},
        exit_side={"camera": {"kind": "csi", "device": 1}, "relay": {"pin": EXIT_RELAY_PIN}},
        zone={"name": "hall"},
    )
    with pytest.raises(DeviceError) as raised:
        build_pi_devices(config, pi, PI5)
    assert 'exit_side.camera.device = 1 (exit_side.camera.kind = "csi")' in str(raised.value)
    assert picamera2.opened[0].closed  # the way in's camera is not left open


@pytest.mark.parametrize(
    ("module", "said"),
    [
        (None, "install python3-picamera2 (sudo apt install python3-picamera2) and make the "
         "gate's virtual environment with --system-site-packages"),
        ('raise ValueError("numpy.dtype size changed, may indicate binary incompatibility. '
         'Expected 96 from C header, got 88 from PyObject")',
         "clashes with the environment's numpy: pip install simplejpeg"),
    ],
)  # fmt: skip
def test_picamera2_that_does_not_import_is_one_line_saying_what_to_do(
    tmp_path: Path, pi: LgpioGPIO, monkeypatch: pytest.MonkeyPatch, module: str | None, said: str
) -> None:
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    if module is None:
        monkeypatch.setitem(sys.modules, "picamera2", None)  # not on the path at all
    else:  # the system's simplejpeg, built for numpy 1, under the environment's numpy 2
        folder = tmp_path / "dist-packages" / "picamera2"
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text(module, encoding="utf-8")
        monkeypatch.syspath_prepend(str(folder.parent))
    config = csi_config(tmp_path)
    with pytest.raises(DeviceError) as raised:
        PiDevices(model_file(tmp_path, PI5)).open_devices(config, Roster())
    message = str(raised.value)
    assert message.startswith(f'{config.source}: camera.device = 0 (camera.kind = "csi")')
    assert said in message and "\n" not in message
    sys.modules.pop("picamera2", None)


@pytest.mark.slow  # makes a virtual environment
def test_a_venv_with_system_site_packages_puts_its_own_packages_first(tmp_path: Path) -> None:
    """What docs/pi-devices.md relies on: in a venv made with --system-site-packages, the
    venv's own site-packages (its numpy, OpenCV, simplejpeg) come before the system's (where
    python3-picamera2 and Debian's numpy live), so the system's are seen only where the venv
    has nothing of that name."""
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run(
        [base, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
        check=True,
        timeout=120,
    )
    python = venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-c", "import json, site, sys; print(json.dumps(sys.path))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    path = json.loads(done.stdout)
    own = next(i for i, p in enumerate(path) if p.startswith(str(venv)) and "site-packages" in p)
    # the system interpreter's own (Debian's /usr/lib/python3/dist-packages on the Pi)
    system = [
        i
        for i, p in enumerate(path)
        if not p.startswith(str(venv)) and p.endswith(("site-packages", "dist-packages"))
    ]
    assert system, path  # --system-site-packages: they are seen
    assert all(own < i for i in system), path


# --- the config ---------------------------------------------------------------------------------
def test_the_example_names_a_usb_camera_by_its_stable_path(tmp_path: Path) -> None:
    config = load(example_gate_config(tmp_path))
    assert config.camera.kind == "usb"
    assert str(config.camera.device).startswith("/dev/v4l/by-id/usb-")


def test_the_example_with_a_csi_camera_loads(tmp_path: Path) -> None:
    text = example_gate_config_text().replace('kind = "usb"', 'kind = "csi"', 1)
    text = text.replace(f'device = "{BY_ID}"', "device = 0", 1)
    config = load(example_gate_config(tmp_path, text))
    assert config.camera.kind == "csi" and config.camera.device == 0


@pytest.mark.parametrize(
    ("camera", "said"),
    [
        (
            {"kind": "csi", "device": "/dev/video0"},
            'camera.device: Value error, a CSI camera (kind = "csi") is named by its number',
        ),
        ({"device": "video0"}, "camera.device: Value error, 'video0' is not a device path"),
        ({"kind": "ribbon"}, "camera.kind: Input should be 'usb' or 'csi'"),
    ],
)  # fmt: skip
def test_a_camera_of_the_wrong_kind_is_one_line_naming_the_key(
    tmp_path: Path, camera: dict, said: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        make_config(tmp_path, camera=camera)
    assert said in str(raised.value) and "\n" not in str(raised.value)


def test_a_usb_and_a_csi_camera_may_share_a_number(tmp_path: Path) -> None:
    """/dev/video0 and the first CSI camera are two cameras: a two-way gate may have both."""
    from tests.support.both_ways import EXIT_RELAY_PIN

    config = make_config(
        tmp_path,
        gate={"direction": "both"},
        camera={"kind": "usb", "device": 0},
        exit_side={"camera": {"kind": "csi", "device": 0}, "relay": {"pin": EXIT_RELAY_PIN}},
    )
    assert config.exit_side is not None and config.exit_side.camera.kind == "csi"


# --- frames -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((480, 640), np.uint8),
        np.zeros((480, 640, 1), np.uint8),
        np.zeros((480, 640, 3), np.uint8),
        np.zeros((480, 640, 4), np.uint8),
        np.zeros((960, 1280, 3), np.uint8),
    ],
)
def test_every_frame_comes_out_grey_at_size(frame: np.ndarray) -> None:
    assert grey_at_size(frame, 640, 480).shape == (480, 640)


def test_what_is_not_an_image_is_left_for_the_camera_to_refuse() -> None:
    class Source:
        def read(self) -> tuple[bool, np.ndarray]:
            return True, np.zeros((480, 640), np.float32)

        def release(self) -> None:
            pass

    assert Camera(GreyAtSize(Source(), 640, 480)).read_frame() is None


def test_the_decoder_reads_a_grey_frame_as_it_reads_a_colour_one() -> None:
    scene = qr_scene("HC1:visitor-7", 240)
    frame = np.full((480, 640), 255, np.uint8)
    frame[100 : 100 + scene.shape[0], 100 : 100 + scene.shape[1]] = scene
    colour = np.dstack([frame] * 3)
    decoder = make_decoder("zxing", 90)
    assert decoder.scan(grey_at_size(colour, 640, 480)).texts == decoder.scan(colour).texts
    assert decoder.scan(frame).texts == ["HC1:visitor-7"]
