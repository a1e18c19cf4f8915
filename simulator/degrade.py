"""Phone screens as a gate's camera sees them on a bad day: 640x480 grey frames of real signed
health codes, each with one kind of degradation (or a mix) at a graded severity, and frames with
nothing to read at all.

Each severity is a quantity of the scene (grey levels, pixels per module, degrees), not a
decoder's read rate: a glare spot grows from a small highlight to a saturated patch over a third
of the code; contrast falls to what a dimmed screen at an angle shows; modules shrink to 1.5 px
(a phone held at arm's length); the phone tilts up to 45 degrees in perspective; dark mode crops
the quiet zone into a dark app; JPEG and the screen's own pixel grid leave blocks and moire.
Every frame is made from a seed alone, so a development set and a held-out set are two seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

import cv2
import numpy as np

from simulator.frames import qr_modules
from terminal.codes.healthcode import issue, simulator_issuer_key

Kind = Literal[
    "clean",
    "glare",
    "low_contrast",
    "small",
    "tilted",
    "dark_mode",
    "inverted",
    "blur",
    "noise",
    "moire_jpeg",
    "combined",
    "empty",
]
KINDS: tuple[Kind, ...] = get_args(Kind)
SEVERITIES = (1, 2, 3)  # mild, moderate, severe
WIDTH, HEIGHT = 640, 480
SUPERSAMPLE = 3  # the scene is drawn larger and shrunk, as a lens and sensor average it
CAMERA_NOISE_SIGMA = 3.0  # a USB webcam in a lit entrance (grey levels of 255)
ISSUED_S = 1_763_856_000
KEY = simulator_issuer_key()


@dataclass(frozen=True)
class DegradedFrame:
    kind: Kind
    severity: int  # 1 mild, 2 moderate, 3 severe; 0 for clean and empty frames
    payload: str | None  # what a decoder should read; None when there is nothing to read
    frame: np.ndarray  # 480x640 uint8 grey


@dataclass
class Scene:
    """How one phone is shown to the camera: every degradation changes some of these."""

    module_px: float = 4.0
    angle_deg: float = 0.0  # rotation in the image plane
    tilt_deg: float = 0.0  # the phone leaning away from the camera (perspective)
    tilt_axis_deg: float = 0.0  # which way it leans
    dark: int = 20  # grey level of a dark module on the screen
    light: int = 235  # and of a light one
    inverted: bool = False  # light modules on a dark ground
    quiet_modules: float = 4.0  # the light margin the app leaves around the code
    screen_level: int | None = None  # the app's background around the margin (None: light)
    glare: float = 0.0  # 0 none; up to 1, a saturated patch about a third of the code wide
    blur_modules: float = 0.0  # defocus, its sigma in modules
    noise_sigma: float = CAMERA_NOISE_SIGMA
    jpeg_quality: int = 0  # 0: not compressed
    moire: float = 0.0  # amplitude of the beat between the screen's pixels and the sensor's


def health_code(index: int, seed: int) -> str:
    return issue(
        KEY, "bench", f"W{seed % 1000:03d}{index:05d}", "green", ISSUED_S, ISSUED_S + 86400
    )


def _background(rng: np.random.Generator) -> np.ndarray:
    """A wall behind the gate with light falling across it and some clutter: a poster's edges,
    a door frame, the stripes of a jacket."""
    ys = np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None]
    xs = np.linspace(0, 1, WIDTH, dtype=np.float32)[None, :]
    base = rng.uniform(60, 150)
    wall = base + rng.uniform(-40, 40) * xs + rng.uniform(-30, 30) * ys
    wall = np.broadcast_to(wall, (HEIGHT, WIDTH)).copy()
    for _ in range(int(rng.integers(2, 7))):
        x0, y0 = int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT))
        w, h = int(rng.integers(20, 260)), int(rng.integers(20, 200))
        wall[y0 : y0 + h, x0 : x0 + w] = rng.uniform(10, 245)
    if rng.random() < 0.5:  # stripes or text-like marks: edges a finder search must reject
        x0, y0 = int(rng.integers(0, WIDTH - 200)), int(rng.integers(0, HEIGHT - 120))
        period = int(rng.integers(3, 12))
        stripes = (np.arange(200) // period) % 2
        wall[y0 : y0 + 120, x0 : x0 + 200] = np.where(stripes[None, :] == 1, 30.0, 220.0)
    return wall


def _phone_image(modules: np.ndarray, scene: Scene, px: int) -> tuple[np.ndarray, int]:
    """The phone's face at ``px`` pixels per module: bezel, screen, margin and code. Returns the
    image and the offset (in pixels) of the code's first module from the image's corner."""
    dark_level, light_level = scene.dark, scene.light
    ground, ink = (dark_level, light_level) if scene.inverted else (light_level, dark_level)
    symbol = np.where(modules == 1, ink, ground).astype(np.float32)
    quiet = max(round(scene.quiet_modules * px), 0)
    code = cv2.resize(
        symbol, (symbol.shape[1] * px, symbol.shape[0] * px), interpolation=cv2.INTER_NEAREST
    )
    code = np.pad(code, quiet, constant_values=ground)
    screen_level = ground if scene.screen_level is None else scene.screen_level
    screen_margin = 3 * px  # the app's own screen around its margin
    screen = np.pad(code, screen_margin, constant_values=screen_level)
    bezel = max(2 * px, 6)
    phone = np.pad(screen, bezel, constant_values=12.0)
    return phone, bezel + screen_margin + quiet


def _homography(
    scene: Scene, source_side: float, side: float, rng: np.random.Generator
) -> np.ndarray:
    """Where the phone's face (an image ``source_side`` px square, ``side`` px on the
    supersampled frame when held flat) lands in the frame: its
    rotation, its lean away from the camera, and a place in view."""
    half = side / 2
    corners = np.array([[-half, -half], [half, -half], [half, half], [-half, half]], np.float64)
    # lean about an axis through the phone's centre in its own plane, seen by a camera about
    # two and a half phone widths away: the far side shrinks, the near side grows
    tilt = math.radians(scene.tilt_deg)
    axis = np.array(
        [math.cos(math.radians(scene.tilt_axis_deg)), math.sin(math.radians(scene.tilt_axis_deg))]
    )
    along = corners @ axis
    across = corners - along[:, None] * axis
    across_len = across @ np.array([-axis[1], axis[0]])
    depth = across_len * math.sin(tilt)
    flat = along[:, None] * axis + across * math.cos(tilt)
    distance = 2.5 * side
    projected = flat * (distance / (distance + depth))[:, None]
    turn = math.radians(scene.angle_deg)
    rotation = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    projected = projected @ rotation.T
    span = projected.max(axis=0) - projected.min(axis=0)
    s = SUPERSAMPLE
    room_x = max(WIDTH * s - span[0], 0.0)
    room_y = max(HEIGHT * s - span[1], 0.0)
    offset = np.array([rng.uniform(0.15, 0.85) * room_x, rng.uniform(0.15, 0.85) * room_y])
    placed = projected - projected.min(axis=0) + offset
    source = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float64) * source_side
    return cv2.getPerspectiveTransform(source.astype(np.float32), placed.astype(np.float32))


def _glare(
    frame: np.ndarray,
    code_box: tuple[float, float, float],
    strength: float,
    rng: np.random.Generator,
) -> None:
    """A lamp's reflection on the phone's glass: a bright spot whose core saturates, over part
    of the code, in place."""
    cx, cy, side = code_box
    spot_x = cx + rng.uniform(-0.3, 0.3) * side
    spot_y = cy + rng.uniform(-0.3, 0.3) * side
    radius = side * (0.06 + 0.16 * strength)
    ellipse = rng.uniform(0.6, 1.6)
    # drawn out to five radii along its longer axis, where it adds less than a grey level
    reach = 5 * radius * max(ellipse, 1 / ellipse)
    x0, x1 = max(int(spot_x - reach), 0), min(int(spot_x + reach) + 1, frame.shape[1])
    y0, y1 = max(int(spot_y - reach), 0), min(int(spot_y + reach) + 1, frame.shape[0])
    if x0 >= x1 or y0 >= y1:
        return
    ys, xs = np.ogrid[y0:y1, x0:x1]
    falloff = np.exp(
        -(((xs - spot_x) / ellipse) ** 2 + ((ys - spot_y) * ellipse) ** 2) / (2 * radius**2)
    )
    frame[y0:y1, x0:x1] += (180 + 200 * strength) * falloff.astype(np.float32)


def _moire(frame: np.ndarray, amplitude: float, rng: np.random.Generator) -> None:
    """The beat between the screen's pixel grid and the sensor's: slanted bands of brightness."""
    ys, xs = np.mgrid[: frame.shape[0], : frame.shape[1]].astype(np.float32)
    angle = rng.uniform(0, math.pi)
    period = rng.uniform(5, 14) * SUPERSAMPLE
    phase = (xs * math.cos(angle) + ys * math.sin(angle)) * (2 * math.pi / period)
    frame += amplitude * np.sin(phase)


def render(payload: str, scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """One 480x640 grey frame of ``payload`` shown on a phone as ``scene`` says."""
    modules = qr_modules(payload)
    s = SUPERSAMPLE
    px = max(math.ceil(scene.module_px * s), 4)  # drawn sharp, then scaled to module_px
    phone, code_offset = _phone_image(modules, scene, px)
    scale = scene.module_px * s / px
    homography = _homography(scene, float(phone.shape[0]), phone.shape[0] * scale, rng)
    frame = cv2.resize(_background(rng), (WIDTH * s, HEIGHT * s), interpolation=cv2.INTER_LINEAR)
    cv2.warpPerspective(
        phone,
        homography,
        (WIDTH * s, HEIGHT * s),
        dst=frame,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_TRANSPARENT,
    )
    code_side = modules.shape[0] * px
    centre = np.array([[[code_offset + code_side / 2, code_offset + code_side / 2]]], np.float32)
    cx, cy = cv2.perspectiveTransform(centre, homography)[0, 0]
    if scene.moire:
        _moire(frame, scene.moire, rng)
    if scene.glare:
        _glare(frame, (float(cx), float(cy), code_side * scale), scene.glare, rng)
    if scene.blur_modules:
        sigma = scene.blur_modules * scene.module_px * s
        frame = cv2.GaussianBlur(frame, (0, 0), sigma)
    grey = _through_the_camera(frame, scene.noise_sigma, rng)
    if scene.jpeg_quality:
        ok, encoded = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, scene.jpeg_quality])
        decoded = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE) if ok else None
        grey = grey if decoded is None else decoded
    return grey


def _through_the_camera(
    scene: np.ndarray, noise_sigma: float, rng: np.random.Generator
) -> np.ndarray:
    """The lens and the sensor's pixels average the supersampled scene down to the frame; the
    sensor adds its noise."""
    shrunk = cv2.resize(scene, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
    noise = rng.normal(0.0, noise_sigma, size=(HEIGHT, WIDTH))
    return np.clip(shrunk + noise, 0, 255).astype(np.uint8)


def _base_scene(rng: np.random.Generator) -> Scene:
    """A phone held up well: what every degradation starts from."""
    return Scene(
        module_px=float(rng.uniform(3.0, 5.0)),
        angle_deg=float(rng.uniform(-12, 12)),
        tilt_deg=float(rng.uniform(0, 8)),
        tilt_axis_deg=float(rng.uniform(0, 360)),
        dark=int(rng.integers(10, 40)),
        light=int(rng.integers(200, 245)),
    )


def degrade(scene: Scene, kind: Kind, severity: int, rng: np.random.Generator) -> Scene:
    """``scene`` with one degradation at ``severity`` (1 mild, 2 moderate, 3 severe)."""
    grade = severity - 1  # 0, 1, 2
    if kind == "glare":
        scene.glare = (0.35, 0.65, 1.0)[grade]
    elif kind == "low_contrast":
        spread = (40, 20, 10)[grade]  # grey levels between dark and light modules
        middle = int(rng.integers(70, 180))
        scene.dark, scene.light = middle - spread // 2, middle + spread // 2
    elif kind == "small":
        scene.module_px = (2.0, 1.75, 1.5)[grade]
    elif kind == "tilted":
        scene.angle_deg = float(rng.choice([-1, 1]) * rng.uniform(10, 45))
        scene.tilt_deg = (20.0, 35.0, 45.0)[grade]
    elif kind == "dark_mode":
        # a dark app around a code whose light margin shrinks, on a dimmed screen
        scene.screen_level = int(rng.integers(15, 35))
        scene.quiet_modules = (2.0, 1.0, 0.5)[grade]
        scene.light = (200, 160, 120)[grade]
    elif kind == "inverted":
        # light modules on a dark ground, the way some apps draw a code in dark mode
        scene.inverted = True
        scene.dark = int(rng.integers(15, 45))
        scene.light = (220, 170, 130)[grade]
        scene.quiet_modules = (4.0, 2.0, 1.0)[grade]
    elif kind == "blur":
        scene.blur_modules = (0.3, 0.45, 0.6)[grade]
    elif kind == "noise":
        scene.noise_sigma = (10.0, 18.0, 28.0)[grade]
    elif kind == "moire_jpeg":
        scene.moire = (8.0, 16.0, 28.0)[grade]
        scene.jpeg_quality = (40, 20, 10)[grade]
    elif kind == "combined":
        # two or three of the others, each a step milder than the combination's own severity
        others: list[Kind] = [
            "glare",
            "low_contrast",
            "small",
            "tilted",
            "dark_mode",
            "blur",
            "noise",
        ]
        chosen = rng.choice(len(others), size=2 if severity < 3 else 3, replace=False)
        for index in chosen:
            scene = degrade(scene, others[int(index)], max(severity - 1, 1), rng)
    return scene


def empty_frame(rng: np.random.Generator) -> np.ndarray:
    """Nothing to read: the wall, or a phone showing something else (a dark or bright screen,
    a page of text-like stripes), under the camera's noise."""
    s = SUPERSAMPLE
    frame = cv2.resize(_background(rng), (WIDTH * s, HEIGHT * s), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        x0, y0 = int(rng.integers(0, WIDTH * s // 2)), int(rng.integers(0, HEIGHT * s // 2))
        w, h = int(rng.integers(150, 600)), int(rng.integers(250, 700))
        frame[y0 : y0 + h, x0 : x0 + w] = 12.0
        inner = frame[y0 + 15 : y0 + h - 15, x0 + 15 : x0 + w - 15]
        inner[:] = rng.uniform(20, 240)
        if rng.random() < 0.5 and inner.size:  # lines of text
            rows = (np.arange(inner.shape[0]) // 12) % 3 == 0
            inner[rows, :] = 30.0
    return _through_the_camera(frame, CAMERA_NOISE_SIGMA, rng)


def degraded_frame(kind: Kind, severity: int, index: int, seed: int) -> DegradedFrame:
    """One frame of ``kind`` at ``severity``, made from ``(seed, index)`` alone."""
    rng = np.random.default_rng([seed, index, KINDS.index(kind), severity])
    if kind == "empty":
        return DegradedFrame(kind, 0, None, empty_frame(rng))
    payload = health_code(index, seed)
    scene = _base_scene(rng)
    if kind != "clean":
        scene = degrade(scene, kind, severity, rng)
    return DegradedFrame(
        kind, severity if kind != "clean" else 0, payload, render(payload, scene, rng)
    )


def degraded_frames(count: int, seed: int) -> list[DegradedFrame]:
    """``count`` frames going through every kind at every severity in turn (clean and empty
    frames once a round), the same frames for the same seed."""
    plan: list[tuple[Kind, int]] = [("clean", 0), ("empty", 0)]
    plan += [
        (kind, severity)
        for severity in SEVERITIES
        for kind in KINDS
        if kind not in ("clean", "empty")
    ]
    return [
        degraded_frame(*plan[index % len(plan)], index=index, seed=seed) for index in range(count)
    ]
