"""Camera frames with real QR codes rendered as a phone screen shows them to the gate's camera:
scaled, slightly rotated, anywhere in view, with sensor noise, sometimes inverted (dark mode),
sometimes damaged beyond error correction (a cracked screen, glare)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import segno

QUIET_ZONE_MODULES = 4
FINDER_MODULES = 9  # a finder pattern with its separator and format information
NOISE_SIGMA = 3.0
# the phone screen's code with its margin, as a 640x480 camera sees it 10 to 20 cm away
PHONE_CODE_SIDE_PX = (200.0, 300.0)


@dataclass(frozen=True)
class Pose:
    """Where a phone is held in front of the camera for one approach."""

    module_px: float  # one module's side on the camera's image
    angle_deg: float
    centre_x: float
    centre_y: float
    inverted: bool


def qr_modules(payload: str) -> np.ndarray:
    """The QR symbol's modules (1 = dark), as a phone app would encode the payload."""
    return np.array(segno.make_qr(payload, error="m").matrix, dtype=np.uint8)


# centres of the alignment patterns by version (ISO/IEC 18004, annex E), up to version 10
ALIGNMENT_CENTRES = {
    2: (6, 18), 3: (6, 22), 4: (6, 26), 5: (6, 30), 6: (6, 34),
    7: (6, 22, 38), 8: (6, 24, 42), 9: (6, 26, 46), 10: (6, 28, 50),
}  # fmt: skip


def damage(modules: np.ndarray, rng: np.random.Generator, fraction: float = 0.3) -> np.ndarray:
    """Flip data modules beyond what error correction level M repairs, keeping the patterns a
    decoder finds a code by (finders, timing, alignment, version information), so that it sees a
    QR code but cannot read it: a cracked screen, glare."""
    n = modules.shape[0]
    data = np.ones_like(modules, dtype=bool)
    f = FINDER_MODULES
    data[:f, :f] = data[:f, n - f :] = data[n - f :, :f] = False
    data[6, :] = data[:, 6] = False  # timing patterns
    centres = ALIGNMENT_CENTRES.get((n - 17) // 4, ())
    for row in centres:
        for col in centres:
            data[row - 2 : row + 3, col - 2 : col + 3] = False
    if n >= 45:  # version 7 and up: two version information blocks
        data[:6, n - 11 : n - 8] = data[n - 11 : n - 8, :6] = False
    flipped = modules.copy()
    flipped[data & (rng.random(modules.shape) < fraction)] ^= 1
    return flipped


class FrameRenderer:
    def __init__(self, rng: np.random.Generator, width: int = 640, height: int = 480) -> None:
        self.width = width
        self.height = height
        self._rng = rng
        # a softly lit wall behind the gate, and a pool of sensor noise to draw from: a USB
        # webcam in a lit entrance shows a few grey levels of noise (sigma 3 of 255)
        ys = np.linspace(0, 1, height, dtype=np.float32)[:, None]
        xs = np.linspace(0, 1, width, dtype=np.float32)[None, :]
        self.background = (95 + 40 * xs + 25 * ys).astype(np.uint8)
        self._noise = [
            rng.normal(0, NOISE_SIGMA, (height, width)).astype(np.int16) for _ in range(8)
        ]

    def random_pose(self, modules: int = 29, inverted: bool = False) -> Pose:
        """A phone held up to the camera. The app draws the code at about the same size on the
        screen whatever its version, so a longer payload means smaller modules."""
        rng = self._rng
        symbol_px = float(rng.uniform(*PHONE_CODE_SIDE_PX))
        return Pose(
            module_px=symbol_px / (modules + 2 * (QUIET_ZONE_MODULES + 2)),
            angle_deg=float(rng.uniform(-10, 10)),
            centre_x=float(rng.uniform(0.35, 0.65) * self.width),
            centre_y=float(rng.uniform(0.35, 0.65) * self.height),
            inverted=inverted,
        )

    def place(self, modules: np.ndarray, pose: Pose) -> np.ndarray:
        """A noiseless grayscale frame with the phone screen showing ``modules`` at ``pose``."""
        return self.place_screen(modules, pose)[0]

    def place_screen(self, modules: np.ndarray, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
        """The frame, and where in it the phone's screen is (a phone held up hides what is
        behind it)."""
        light, dark = (40, 215) if pose.inverted else (235, 25)
        symbol = np.where(modules == 1, dark, light).astype(np.uint8)
        symbol = np.pad(symbol, QUIET_ZONE_MODULES + 2, constant_values=light)
        side = round(symbol.shape[0] * pose.module_px)
        screen = cv2.resize(symbol, (side, side), interpolation=cv2.INTER_NEAREST)
        if side > min(self.width, self.height) - 8:
            raise ValueError(f"a {side}px code does not fit a {self.width}x{self.height} frame")
        rotation = cv2.getRotationMatrix2D((side / 2, side / 2), pose.angle_deg, 1.0)
        # keep the rotated screen inside the frame
        half = (
            side
            * (
                abs(math.cos(math.radians(pose.angle_deg)))
                + abs(math.sin(math.radians(pose.angle_deg)))
            )
            / 2
        )
        cx = min(max(pose.centre_x, half), self.width - half)
        cy = min(max(pose.centre_y, half), self.height - half)
        rotation[0, 2] += cx - side / 2
        rotation[1, 2] += cy - side / 2
        frame = self.background.copy()
        cv2.warpAffine(
            screen,
            rotation,
            (self.width, self.height),
            dst=frame,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_TRANSPARENT,
        )
        covered = cv2.warpAffine(
            np.ones_like(screen), rotation, (self.width, self.height), flags=cv2.INTER_NEAREST
        ).astype(bool)
        return frame, covered

    def noisy(self, gray: np.ndarray) -> np.ndarray:
        """One camera frame of a still scene, grey as the gate's camera gives it (the Y plane
        of a CSI camera's YUV, or a USB camera's frame converted once)."""
        noise = self._noise[int(self._rng.integers(len(self._noise)))]
        return np.clip(gray.astype(np.int16) + noise, 0, 255).astype(np.uint8)
