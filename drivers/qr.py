"""QR codes in camera frames.

The default decoder, ``multipass``, is zxing-cpp with a few more tries when its first read fails:
on the simulator's degraded phone screens it reads more codes under glare, blur and combinations
of faults for the same time on a frame with nothing in it (docs/decoding.md). ``zxing`` (one pass)
and ``pyzbar`` (zbar) stay available as configured alternatives. Frames are 8-bit grey (the
camera's own) or BGR. A decoder failure on a frame makes that frame unreadable; it never
propagates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

log = logging.getLogger(__name__)

DecoderName = Literal["multipass", "zxing", "pyzbar"]
DECODER_NAMES: tuple[DecoderName, ...] = ("multipass", "zxing", "pyzbar")


@dataclass(frozen=True)
class Scan:
    """What one frame showed: the text of each decoded QR code, and how many QR codes were seen
    but could not be decoded (damaged, glare, a cracked screen)."""

    texts: list[str] = field(default_factory=list)
    unreadable: int = 0  # undecodable detections (near enough); one code may count more than once
    distant: int = 0  # codes decoded but smaller than the decoder's ``min_side_px``: not presented


class QRDecoder(Protocol):
    name: str

    def scan(self, frame: np.ndarray) -> Scan: ...


def is_image(frame: np.ndarray) -> bool:
    """8-bit grayscale or BGR with some pixels: anything else is not a camera frame."""
    return (
        frame.dtype == np.uint8
        and frame.size > 0
        and (frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] in (1, 3)))
    )


def _as_gray(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 1:
        return frame[:, :, 0]
    import cv2

    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def side_px(corners: list[tuple[float, float]]) -> float:
    """The longest edge of a code's quadrilateral in the image."""
    return max(
        float(np.hypot(x2 - x1, y2 - y1))
        for (x1, y1), (x2, y2) in zip(corners, corners[1:] + corners[:1], strict=True)
    )


def _split_by_size(found: list[tuple[str, float]], min_side_px: float) -> tuple[list[str], int]:
    near = [text for text, side in found if side >= min_side_px]
    return near, len(found) - len(near)


class ZxingDecoder:
    """``min_side_px`` ignores codes that look smaller than a phone held at the camera: the next
    person in the queue holding theirs up must not be read as the one in front."""

    name = "zxing"

    def __init__(self, min_side_px: float = 0.0) -> None:
        import zxingcpp

        self.min_side_px = min_side_px

        self._zxing = zxingcpp
        self._formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

    def scan(self, frame: np.ndarray) -> Scan:
        if not is_image(frame):
            return Scan(unreadable=1)
        try:
            found = self._zxing.read_barcodes(
                np.ascontiguousarray(frame), formats=self._formats, return_errors=True
            )
        except Exception as exc:  # a decoder fault is an unreadable frame, not a crash
            log.warning("zxing-cpp failed on a frame: %s", type(exc).__name__)
            return Scan(unreadable=1)
        decoded, unreadable = [], 0
        for code in found:
            p = code.position
            side = side_px(
                [(c.x, c.y) for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]
            )
            if code.valid:
                decoded.append((code.text, side))
            elif side >= self.min_side_px:
                unreadable += 1
        texts, distant = _split_by_size(decoded, self.min_side_px)
        return Scan(texts=texts, unreadable=unreadable, distant=distant)


class PyzbarDecoder:
    """zbar through pyzbar. It cannot report a code it saw but failed to decode, and cannot read
    inverted codes unless asked; we try the inverted frame when the plain one shows nothing."""

    name = "pyzbar"

    def __init__(self, min_side_px: float = 0.0) -> None:
        from pyzbar import pyzbar

        self._pyzbar = pyzbar
        self.min_side_px = min_side_px

    def _decode(self, gray: np.ndarray) -> list[tuple[str, float]]:
        symbols = self._pyzbar.decode(gray, symbols=[self._pyzbar.ZBarSymbol.QRCODE])
        return [
            (
                symbol.data.decode("utf-8", errors="replace"),
                side_px([(float(pt.x), float(pt.y)) for pt in symbol.polygon]),
            )
            for symbol in symbols
        ]

    def scan(self, frame: np.ndarray) -> Scan:
        if not is_image(frame):
            return Scan(unreadable=1)
        try:
            gray = _as_gray(np.ascontiguousarray(frame))
            texts, distant = _split_by_size(
                self._decode(gray) or self._decode(255 - gray), self.min_side_px
            )
            return Scan(texts=texts, distant=distant)
        except Exception as exc:
            log.warning("pyzbar failed on a frame: %s", type(exc).__name__)
            return Scan(unreadable=1)


def make_decoder(name: DecoderName = "multipass", min_side_px: float = 0.0) -> QRDecoder:
    if name == "multipass":
        from drivers.multipass import MultipassDecoder

        return MultipassDecoder(min_side_px)
    if name == "zxing":
        return ZxingDecoder(min_side_px)
    if name == "pyzbar":
        return PyzbarDecoder(min_side_px)
    raise ValueError(
        f"unknown QR decoder {name!r}; choose one of {', '.join(map(repr, DECODER_NAMES))}"
    )


_default: QRDecoder | None = None


def decode(frame: np.ndarray, decoder: QRDecoder | None = None) -> list[str]:
    """Text of every QR code in a BGR or grayscale image (empty when there is none)."""
    global _default
    if decoder is None:
        if _default is None:
            _default = make_decoder()
        decoder = _default
    return decoder.scan(frame).texts
