"""zxing-cpp, then a few more tries on the frames its first read cannot decode.

Most frames are read by the first pass, or have nothing in them that looks like a code; both
cost what plain zxing-cpp costs, and nothing more is tried on them. When the first pass saw a
code (zxing-cpp reports where: a checksum or format error, or a code seen only in part) but
decoded none, the frame is read once more with a global threshold (low contrast, moire), about a
third of the first pass; then the passes below run on each undecoded code's region only, a few
hundred pixels square, in the order of reads gained per millisecond on the simulator's degraded
frames (simulator/degrade.py, development seeds; docs/decoding.md), and stop at the first that
decodes it. When that leaves the code undecoded, the whole frame is smoothed and thresholded
once.

The budget is counted in passes, not read off a clock: at most ``MAX_REGIONS`` regions, the
largest first, get the region passes, and the whole frame one pass more, which bounds a frame's
cost at about ten times the first pass and keeps a frame's result the same whatever else the
machine is doing.

Only what zxing-cpp decodes with its error correction satisfied is returned: a pass changes the
pixels, never the text, so it cannot produce a partial or made-up payload.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from drivers.qr import Scan, is_image, side_px

log = logging.getLogger(__name__)

REGION_MARGIN = 0.15  # of the code's side, around its quadrilateral: the quiet zone and a bit
# the adaptive threshold's block is about twice the region's side over this: a region around a
# 49-module health code, with its margin, is about 64 modules, so the block is about three
ADAPTIVE_BLOCK_DIVISOR = 42
ADAPTIVE_BLOCK_HALF_MIN = 7  # a block of at least 15 px: a code seen only in part, or a small one
UPSCALED_SIDE_PX = 400  # modules of 1.5 to 3 px become 3 to 6 px; larger ones are left
MAX_REGIONS = 2  # undecoded codes given the region passes on one frame, the largest first


def _adaptive(region: np.ndarray) -> np.ndarray:
    """Thresholded against the mean of each pixel's neighbourhood, about three modules wide for a
    code held close (at least 15 px): a glare's slope or a dim corner no longer hides the
    modules."""
    import cv2

    block = max(max(region.shape) // ADAPTIVE_BLOCK_DIVISOR, ADAPTIVE_BLOCK_HALF_MIN) * 2 + 1
    return cv2.adaptiveThreshold(
        region, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 2
    )


def _sharpened(region: np.ndarray) -> np.ndarray:
    """An unsharp mask: a defocused code's edges made steep again."""
    import cv2

    blurred = cv2.GaussianBlur(region, (0, 0), 2.5)
    return cv2.addWeighted(region, 2.5, blurred, -1.5, 0)


def _as_seen(region: np.ndarray) -> np.ndarray:
    """The region alone: zxing-cpp's binarizer and scales see it without the rest of the frame."""
    return region


def _upscaled_adaptive(region: np.ndarray) -> np.ndarray:
    """Larger by cubic interpolation (twice, up to ``UPSCALED_SIDE_PX``), then thresholded:
    small modules get whole pixels, and a large code's region is not made larger for nothing."""
    import cv2

    scale = max(min(2.0, UPSCALED_SIDE_PX / max(region.shape)), 1.0)
    upscaled = cv2.resize(region, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return cv2.adaptiveThreshold(
        upscaled, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 31, 2
    )


def _smoothed_adaptive(frame: np.ndarray) -> np.ndarray:
    """The whole frame smoothed (sensor noise averaged over about a module) and thresholded
    against each pixel's neighbourhood: a dim or noisy code whose finder patterns zxing-cpp
    found only in part."""
    import cv2

    smoothed = cv2.GaussianBlur(frame, (0, 0), 1.0)
    return cv2.adaptiveThreshold(
        smoothed, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 25, 2
    )


RegionPass = Callable[[np.ndarray], np.ndarray]
# by reads gained per millisecond on the development frames (docs/decoding.md)
REGION_PASSES: tuple[tuple[str, RegionPass], ...] = (
    ("adaptive", _adaptive),
    ("as_seen", _as_seen),
    ("upscaled_adaptive", _upscaled_adaptive),
    ("sharpened", _sharpened),
)


@dataclass(frozen=True)
class _Seen:
    """A code zxing-cpp decoded (``text``) or only saw (``text`` None), with its corners."""

    text: str | None
    corners: list[tuple[float, float]]

    @property
    def side(self) -> float:
        return side_px(self.corners)


def _distinct(seen: list[_Seen]) -> list[_Seen]:
    """One of each code: zxing-cpp may report the same undecoded code at several scales or
    both ways round, and a region is tried once."""
    kept: list[_Seen] = []
    for candidate in seen:
        cx = sum(x for x, _ in candidate.corners) / 4
        cy = sum(y for _, y in candidate.corners) / 4
        if not any(_inside(cx, cy, other.corners) for other in kept):
            kept.append(candidate)
    return kept


def _inside(x: float, y: float, corners: list[tuple[float, float]]) -> bool:
    xs = [cx for cx, _ in corners]
    ys = [cy for _, cy in corners]
    return min(xs) <= x <= max(xs) and min(ys) <= y <= max(ys)


class MultipassDecoder:
    """``min_side_px`` as for :class:`drivers.qr.ZxingDecoder`: a code that looks smaller is not
    the one presented, and no further pass is spent on it."""

    name = "multipass"

    def __init__(
        self,
        min_side_px: float = 0.0,
        region_passes: tuple[tuple[str, RegionPass], ...] = REGION_PASSES,
        max_regions: int = MAX_REGIONS,
    ) -> None:
        import cv2
        import zxingcpp

        self.min_side_px = min_side_px
        self.region_passes = region_passes
        self.max_regions = max_regions
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
        return np.ascontiguousarray(self._grey(frame[y0:y1, x0:x1]))

    def _grey(self, image: np.ndarray) -> np.ndarray:
        """A grey frame as it is; a BGR one (or only its region) made grey when a pass needs
        it."""
        if image.ndim == 2:
            return image
        return self._cv2.cvtColor(image, self._cv2.COLOR_BGR2GRAY)

    def _retry(self, frame: np.ndarray, seen: _Seen) -> list[str]:
        """The texts the first region pass that decodes anything where ``seen`` was finds."""
        region = self._region(frame, seen.corners)
        if min(region.shape) < 8:
            return []
        for _name, make in self.region_passes:
            texts = [s.text for s in self._read(make(region)) if s.text is not None]
            if texts:
                return texts
        return []

    def _scan(self, frame: np.ndarray) -> Scan:
        seen = self._read(frame)
        if seen and all(s.text is None for s in seen):
            # a code seen, none decoded: a global threshold reads some low-contrast or moire
            # codes and finds some the local one saw only in part. Not on a frame where nothing
            # was seen: most frames are those, and it would cost them half as much again.
            seen += self._read(frame, global_threshold=True)
        decoded = [(s.text, s.side) for s in seen if s.text is not None]
        undecoded = sorted(
            (s for s in seen if s.text is None and s.side >= self.min_side_px),
            key=lambda s: s.side,
            reverse=True,
        )
        unreadable = len(undecoded)
        if not decoded:  # a code decoded is the one presented: no pass is spent on the others
            for retried in _distinct(undecoded)[: self.max_regions]:
                texts = self._retry(frame, retried)
                decoded += [(text, retried.side) for text in texts]
                unreadable -= bool(texts)
        if not decoded and any(s.text is None for s in seen):
            # part of a code was seen (even one too small to retry: a finder pattern or two),
            # and no region gave it up: once over the whole frame
            found = [s for s in self._read(_smoothed_adaptive(self._grey(frame))) if s.text]
            decoded += [(s.text, s.side) for s in found if s.text is not None]
            unreadable = max(unreadable - len(found), 0)
        texts = list(dict.fromkeys(text for text, side in decoded if side >= self.min_side_px))
        distant = len({text for text, side in decoded if side < self.min_side_px} - set(texts))
        return Scan(texts=texts, unreadable=unreadable, distant=distant)

    def scan(self, frame: np.ndarray) -> Scan:
        if not is_image(frame):
            return Scan(unreadable=1)
        if frame.ndim == 3 and frame.shape[2] == 1:
            frame = frame[:, :, 0]
        try:
            return self._scan(np.ascontiguousarray(frame))
        except Exception as exc:  # a decoder fault is an unreadable frame, not a crash
            log.warning("QR decoding failed on a frame: %s", type(exc).__name__)
            return Scan(unreadable=1)
