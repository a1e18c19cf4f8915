"""QR decoding side by side: pyzbar, OpenCV, zxing-cpp (each called as a program would call it)
and the terminal's own decoding (``drivers.qr.make_decoder`` with the camera's configured
decoder), on a directory of photos and on the simulator's frames.

A photo directory holds ``x.jpg`` beside ``x.txt`` (the code's text; an empty ``x.txt``: a photo
with no code, where reading anything is a false read). Each photo is scaled into a 640x480 frame,
as the gate's camera gives them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from drivers.qr import make_decoder
from simulator.bench.report import Row, Section
from simulator.benchmark import frames
from terminal.common.errors import GateError
from terminal.config import CameraConfig

FRAME_W, FRAME_H = 640, 480

Decode = Callable[[np.ndarray], list[str]]


class PhotosUnusable(GateError, ValueError):
    pass


@dataclass(frozen=True)
class Photo:
    name: str
    expected: str | None  # None: no code in the photo
    frame: np.ndarray


def as_frame(image: np.ndarray) -> np.ndarray:
    """The image scaled to fit 640x480 (its proportions kept), on mid grey where it does not
    fill the frame: a grey frame, as the gate's camera gives them."""
    height, width = image.shape[:2]
    scale = min(FRAME_W / width, FRAME_H / height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    scaled = cv2.resize(
        image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    frame = np.full((FRAME_H, FRAME_W), 128, np.uint8)
    top, left = (FRAME_H - size[1]) // 2, (FRAME_W - size[0]) // 2
    frame[top : top + size[1], left : left + size[0]] = scaled
    return frame


def load_photos(folder: Path) -> list[Photo]:
    if not folder.is_dir():
        raise PhotosUnusable(f"--images {folder}: not a directory")
    photos = []
    jpegs = [p for p in sorted(folder.iterdir()) if p.suffix.lower() in (".jpg", ".jpeg")]
    for image_path in jpegs:
        text_path = image_path.with_suffix(".txt")
        if not text_path.is_file():
            # a photo without its text cannot be judged: said, so a typo is not a silent gap
            print(
                f"bench: {image_path.name}: no {text_path.name} beside it, left out",
                file=sys.stderr,
            )
            continue
        image = cv2.imread(str(image_path), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise PhotosUnusable(f"{image_path}: not a JPEG OpenCV can read")
        try:
            expected = text_path.read_text(encoding="utf-8").strip() or None
        except UnicodeDecodeError:
            raise PhotosUnusable(f"{text_path}: not UTF-8 text") from None
        photos.append(Photo(image_path.name, expected, as_frame(image)))
    if not photos:
        raise PhotosUnusable(f"--images {folder}: no x.jpg with an x.txt beside it")
    return photos


def simulated_frames(count: int, seed: int) -> list[Photo]:
    """The simulator's phone-screen frames (light, dark mode, empty, damaged in turn); a damaged
    code is expected unread, like an empty frame."""
    return [
        Photo(f"{kind}-{index}", payload, frame)
        for index, (kind, payload, frame) in enumerate(frames(count, seed))
    ]


def _pyzbar() -> Decode:
    from pyzbar import pyzbar

    def decode(frame: np.ndarray) -> list[str]:
        gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        found = pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])
        return [symbol.data.decode("utf-8", errors="replace") for symbol in found]

    return decode


def _opencv() -> Decode:
    detector = cv2.QRCodeDetector()

    def decode(frame: np.ndarray) -> list[str]:
        text, _, _ = detector.detectAndDecode(frame)
        return [text] if text else []

    return decode


def _zxing() -> Decode:
    import zxingcpp

    formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

    def decode(frame: np.ndarray) -> list[str]:
        return [code.text for code in zxingcpp.read_barcodes(frame, formats=formats)]

    return decode


def _terminal(camera: CameraConfig) -> Decode:
    decoder = make_decoder(camera.decoder, camera.min_code_px)
    return lambda frame: decoder.scan(frame).texts


def decoders(camera: CameraConfig | None = None) -> dict[str, Decode]:
    """The libraries called plainly, once each (pyzbar without the terminal's retry of an
    inverted frame, so it reads no dark-mode screen), and the terminal's decoding as ``camera``
    (the gate's config) sets it."""
    camera = camera or CameraConfig()
    return {
        "pyzbar (plain)": _pyzbar(),
        "OpenCV (plain)": _opencv(),
        "zxing-cpp (plain)": _zxing(),
        f"terminal ({camera.decoder}, min {camera.min_code_px} px)": _terminal(camera),
    }


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the value at or below which ``share`` of the values lie."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def measure(name: str, decode: Decode, photos: list[Photo]) -> Row:
    times_ms, read, false_reads = [], 0, 0
    with_code = sum(photo.expected is not None for photo in photos)
    for photo in photos:
        started = time.perf_counter()
        try:
            texts = decode(photo.frame)
        except Exception:  # a library failing on a photo has not read it
            texts = []
        times_ms.append((time.perf_counter() - started) * 1000)
        if photo.expected is None:
            false_reads += bool(texts)
        elif photo.expected in texts:
            read += 1
        elif texts:
            false_reads += 1
    return {
        "decoder": name,
        "frames": len(photos),
        "with a code": with_code,
        "read rate": round(read / with_code, 3) if with_code else None,
        "false reads": false_reads,
        "p50 ms": round(percentile(times_ms, 0.5), 2),
        "p95 ms": round(percentile(times_ms, 0.95), 2),
    }


def section(
    title: str, photos: list[Photo], note: str, camera: CameraConfig | None = None
) -> Section:
    rows = [measure(name, decode, photos) for name, decode in decoders(camera).items()]
    return Section(
        title,
        rows,
        [
            note,
            "time per 640x480 grey frame (as the gate's camera gives), the decoder's call alone",
        ],
    )
