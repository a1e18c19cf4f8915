"""The board the gate runs on, and its GPIO through the RPi.GPIO API on lgpio.

One code path for the Raspberry Pi 4 and the Pi 5: rpi-lgpio installs itself as the ``RPi.GPIO``
module and drives the pins through the kernel's gpiochip device (lgpio), which both boards have.
The original RPi.GPIO pokes the SoC's registers and cannot drive the Pi 5's RP1 chip ("Cannot
determine SOC peripheral base address" at ``GPIO.setup``), so it is refused here, at start, in
one line, rather than at the first pin.

The header's gpiochip is found by its label (``pinctrl-rp1`` on a Pi 5, ``pinctrl-bcm2711`` on a
Pi 4) and handed to rpi-lgpio as ``RPI_LGPIO_CHIP``: Pi 5 kernels before 6.6.45 number it 4 and
later ones 0. rpi-lgpio 0.6 searches too, but older ones (an apt package seen through
``--system-site-packages``) guess 4 on any Pi 5, so the choice is made here, whichever is
installed. ``RPI_LGPIO_CHIP`` set in the environment (the unit's ``Environment=``) overrides it.

lgpio makes its notification pipe (``.lgd-nfyN``) when it is imported, in the working directory,
or in ``LG_WD`` after changing the whole process's working directory to it: a service whose
working directory it may not write fails there ("xCreatePipe: Can't set permissions"). Unless the
environment names one, ``LG_WD`` is the service's runtime directory (systemd's
``RuntimeDirectory=``, /run/gate-terminal), or the temporary directory; the working directory is
given back afterwards (the gate reads its inputs by polling and opens no further pipe).
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from drivers.errors import DriverError

MODEL_PATH = Path("/proc/device-tree/model")
SUPPORTED_GENERATIONS = (4, 5)
SUPPORTED = "a Raspberry Pi 4 or 5 (or a 400, 500, CM4 or CM5)"

# "Raspberry Pi 5 Model B Rev 1.0", "Raspberry Pi 4 Model B Rev 1.5", "Raspberry Pi 400 Rev 1.1",
# "Raspberry Pi 500 Rev 1.0", "Raspberry Pi Compute Module 4 Rev 1.1"
_GENERATION = re.compile(r"^Raspberry Pi (?:Compute Module (\d)|(\d)00\b|(\d)\b)")

# struct gpiochip_info {char name[32]; char label[32]; __u32 lines;}: _IOR(0xB4, 0x01, 68)
_GPIOCHIP_INFO = struct.Struct("32s32sI")
GPIO_GET_CHIPINFO_IOCTL = (2 << 30) | (_GPIOCHIP_INFO.size << 16) | (0xB4 << 8) | 0x01
HEADER_LABELS = ("pinctrl-rp1", "pinctrl-bcm2712", "pinctrl-bcm2711", "pinctrl-bcm2835")


class BoardError(DriverError):
    pass


@dataclass(frozen=True)
class Board:
    model: str  # as the firmware names it: "Raspberry Pi 5 Model B Rev 1.0"
    generation: int | None  # 4, 5; None: not a Raspberry Pi this module knows

    @property
    def supported(self) -> bool:
        return self.generation in SUPPORTED_GENERATIONS


def read_board(model_path: Path = MODEL_PATH) -> Board | None:
    """The board named by the device tree; None where there is no model (not a Raspberry Pi,
    nor any device-tree board)."""
    try:
        raw = model_path.read_bytes()
    except OSError:
        return None
    text = raw.split(b"\0", 1)[0].decode("ascii", errors="replace")
    model = "".join(ch for ch in text if ch.isprintable()).strip()  # it reaches logs and status
    if not model:
        return None
    found = _GENERATION.match(model)
    generation = next((int(g) for g in found.groups() if g), None) if found else None
    return Board(model[:80], generation)


def supported_board(model_path: Path = MODEL_PATH) -> Board:
    """The board, if the gate supports it; otherwise :class:`BoardError` in one line."""
    board = read_board(model_path)
    if board is None:
        raise BoardError(
            f"this is not a Raspberry Pi (no board model in {model_path}); "
            f"the gate needs {SUPPORTED}"
        )
    if not board.supported:
        raise BoardError(
            f"{board.model!r} ({model_path}) is not supported; the gate needs {SUPPORTED}"
        )
    return board


def chip_label(path: Path) -> str | None:
    """The label the kernel gives the gpiochip at ``path`` (None: it cannot be asked)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        answer = fcntl.ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, bytes(_GPIOCHIP_INFO.size))
    except OSError:
        return None
    finally:
        os.close(fd)
    _name, label, _lines = _GPIOCHIP_INFO.unpack(answer)
    return label.split(b"\0", 1)[0].decode("ascii", errors="replace")


def header_gpiochip(
    dev: Path = Path("/dev"), label_of: Callable[[Path], str | None] = chip_label
) -> int | None:
    """The number of the gpiochip that drives the 40-pin header (None: none found). Symlinks
    (a Pi 5's ``gpiochip4 -> gpiochip0`` kept for old programs) are skipped."""
    chips: list[tuple[int, Path]] = []
    for path in dev.glob("gpiochip*"):
        digits = path.name.removeprefix("gpiochip")
        if digits.isdigit() and not path.is_symlink():
            chips.append((int(digits), path))
    for number, path in sorted(chips):
        if label_of(path) in HEADER_LABELS:
            return number
    return None


def is_lgpio_shim(gpio: ModuleType) -> bool:
    """Is this ``RPi.GPIO`` rpi-lgpio (which imports lgpio), not the original package?"""
    return getattr(getattr(gpio, "lgpio", None), "__name__", "") == "lgpio"


def import_gpio(
    environ: dict[str, str] | os._Environ[str] = os.environ,
    find_chip: Callable[[], int | None] | None = None,
) -> ModuleType:
    """``RPi.GPIO`` as rpi-lgpio provides it, told the header's gpiochip before its first
    ``setmode``. :class:`BoardError` in one line when it is missing or is the original package."""
    if "RPI_LGPIO_CHIP" not in environ:
        chip = (find_chip or header_gpiochip)()
        if chip is not None:
            environ["RPI_LGPIO_CHIP"] = str(chip)
    if "LG_WD" not in environ:
        runtime = environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
        environ["LG_WD"] = runtime or tempfile.gettempdir()
    here = os.getcwd()
    try:
        import RPi.GPIO as gpio
    except (ImportError, RuntimeError) as exc:
        raise BoardError(
            f"RPi.GPIO (rpi-lgpio) cannot be used here ({exc}); install it in the gate's "
            "virtual environment: pip install rpi-lgpio"
        ) from None
    finally:
        os.chdir(here)  # lgpio moved the process into LG_WD
    if not is_lgpio_shim(gpio):
        raise BoardError(
            "RPi.GPIO here is the original package, which cannot drive a Pi 5's pins; replace it "
            "with rpi-lgpio: pip uninstall -y RPi.GPIO && pip install rpi-lgpio"
        )
    return gpio
