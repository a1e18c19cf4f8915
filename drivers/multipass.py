"""zxing-cpp, then a few more tries on the frames its first read cannot decode.

Most frames are read by the first pass, or have nothing to read; both cost what plain zxing-cpp
costs. When the first pass finds no code at all it reads the frame once more with a global
threshold (low contrast, moire), which costs about a third of the first pass. When it finds a
code but cannot decode it (zxing-cpp reports where it saw one: a checksum or format error), the
passes below run on that code's region only, a few hundred pixels square, in the order of reads
gained per millisecond on the simulator's degraded frames (simulator/degrade.py, development
seeds; docs/decoding.md), and stop at the first that decodes it or when the frame's time budget
is spent.

Only what zxing-cpp decodes with its error correction satisfied is returned: a pass changes the
pixels, never the text, so it cannot produce a partial or made-up payload.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from drivers.qr import Scan, _is_image, _side_px

log = logging.getLogger(__name__)

REGION_MARGIN = 0.15  # of the code's side, around its quadrilateral: the quiet zone and a bit
SCALED_SIDE_PX = 300  # a region is scaled to this side before thresholding: modules ~6 px
DEFAULT_BUDGET_MS = 8.0  # a quarter of a frame's time at 30 frames a second


def _scaled_adaptive(region: np.ndarray) -> np.ndarray:
    """Scaled to a known size, then thresholded against the mean of each pixel's neighbourhood
    (about three modules): a glare's slope or a dim corner no longer hides the modules."""
    import cv2

    scale = SCALED_SIDE_PX / max(region.shape)
    scaled = cv2.resize(region, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    return cv2.adaptiveThreshold(scaled, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 21, 2)


def _sharpened(region: np.ndarray) -> np.ndarray:
    """An unsharp mask: a defocused code's edges made steep again."""
    import cv2

    blurred = cv2.GaussianBlur(region, (0, 0), 2.5)
    return cv2.addWeighted(region, 2.5, blurred, -1.5, 0)


def _as_seen(region: np.ndarray) -> np.ndarray:
    """The region alone: zxing-cpp's binarizer and scales see it without the rest of the frame."""
    return region


def _upscaled_adaptive(region: np.ndarray) -> np.ndarray:
    """Twice the size by cubic interpolation, then thresholded: small modules get whole pixels."""
    import cv2

    upscaled = cv2.resize(region, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    return cv2.adaptiveThreshold(
        upscaled, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 31, 2
    )


RegionPass = Callable[[np.ndarray], np.ndarray]
# by reads gained per millisecond on the development frames (docs/decoding.md)
REGION_PASSES: tuple[tuple[str, RegionPass], ...] = (
    ("scaled_adaptive", _scaled_adaptive),
    ("sharpened", _sharpened),
    ("as_seen", _as_seen),
    ("upscaled_adaptive", _upscaled_adaptive),
)


@dataclass(frozen=True)
class _Seen:
    """A code zxing-cpp decoded (``text``) or only saw (``text`` None), with its corners."""

    text: str | None
    corners: list[tuple[float, float]]

    @property
    def side(self) -> float:
        return _side_px(self.corners)


class MultipassDecoder:
    """``min_side_px`` as for :class:`drivers.qr.ZxingDecoder`: a code that looks smaller is not
    the one presented, and no further pass is spent on it. ``budget_ms`` bounds the extra passes
    on one frame (the first two always run)."""

    name = "multipass"

    def __init__(
        self,
        min_side_px: float = 0.0,
        budget_ms: float = DEFAULT_BUDGET_MS,
        region_passes: tuple[tuple[str, RegionPass], ...] = REGION_PASSES,
    ) -> None:
        import cv2
        import zxingcpp

        self.min_side_px = min_side_px
        self.budget_s = budget_ms / 1000
        self.region_passes = region_passes
        self._cv2 = cv2
        self._zxing = zxingcpp
        self._formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

    def _read(self, image: np.ndarray, global_threshold: bool = False) -> list[_Seen]:
        binarizer = (
            self._zxing.Binarizer.GlobalHistogram
            if global_threshold
            else self._zxing.Binarizer.LocalAverage
        )
        found = self._zxing.read_barcodes(
            image, formats=self._formats, binarizer=binarizer, return_errors=True
        )
        seen = []
        for code in found:
            p = code.position
            corners = [
                (float(c.x), float(c.y))
                for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
            ]
            seen.append(_Seen(code.text if code.valid else None, corners))
        return seen

    def _region(self, frame: np.ndarray, corners: list[tuple[float, float]]) -> np.ndarray:
        """The grey pixels around a code's quadrilateral, with a margin."""
        xs = [x for x, _ in corners]
        ys = [y for _, y in corners]
        margin = REGION_MARGIN * max(max(xs) - min(xs), max(ys) - min(ys))
        height, width = frame.shape[:2]
        x0, x1 = max(int(min(xs) - margin), 0), min(int(max(xs) + margin) + 1, width)
        y0, y1 = max(int(min(ys) - margin), 0), min(int(max(ys) + margin) + 1, height)
        region = frame[y0:y1, x0:x1]
        if region.ndim == 3:  # a BGR frame: only the region is made grey
            region = self._cv2.cvtColor(region, self._cv2.COLOR_BGR2GRAY)
        return np.ascontiguousarray(region)

    def _retry(self, frame: np.ndarray, seen: _Seen, deadline: float) -> list[str]:
        """The texts the region passes decode where ``seen`` was, until one decodes or the
        budget is spent."""
        region = self._region(frame, seen.corners)
        if min(region.shape) < 8:
            return []
        for _name, make in self.region_passes:
            if time.perf_counter() > deadline:
                break
            texts = [s.text for s in self._read(make(region)) if s.text is not None]
            if texts:
                return texts
        return []

    def _scan(self, frame: np.ndarray) -> Scan:
        deadline = time.perf_counter() + self.budget_s
        seen = self._read(frame)
        if not seen:  # nothing at all: a global threshold finds low-contrast or moire codes
            seen = self._read(frame, global_threshold=True)
        decoded = [(s.text, s.side) for s in seen if s.text is not None]
        unreadable = 0
        for undecoded in (s for s in seen if s.text is None):
            side = undecoded.side
            if side < self.min_side_px:
                continue  # too far away to be the one presented: not worth a pass
            texts = self._retry(frame, undecoded, deadline)
            decoded += [(text, side) for text in texts]
            unreadable += not texts
        texts = list(dict.fromkeys(text for text, side in decoded if side >= self.min_side_px))
        distant = len({text for text, side in decoded if side < self.min_side_px} - set(texts))
        return Scan(texts=texts, unreadable=unreadable, distant=distant)

    def scan(self, frame: np.ndarray) -> Scan:
        if not _is_image(frame):
            return Scan(unreadable=1)
        if frame.ndim == 3 and frame.shape[2] == 1:
            frame = frame[:, :, 0]
        try:
            return self._scan(np.ascontiguousarray(frame))
        except Exception as exc:  # a decoder fault is an unreadable frame, not a crash
            log.warning("QR decoding failed on a frame: %s", type(exc).__name__)
            return Scan(unreadable=1)
