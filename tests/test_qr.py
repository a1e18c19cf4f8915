"""Real QR codes, rendered as phones show them, through the real decoders."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from drivers.qr import PyzbarDecoder, ZxingDecoder, decode, make_decoder
from simulator.frames import FrameRenderer, Pose, damage, qr_modules

PAYLOAD = "HC1|W0042|green|1763856000|0123456789abcdef"


@pytest.fixture
def renderer() -> FrameRenderer:
    return FrameRenderer(np.random.default_rng(5))


def pose(**changes: object) -> Pose:
    base = {
        "module_px": 5,
        "angle_deg": 7.0,
        "centre_x": 300.0,
        "centre_y": 250.0,
        "inverted": False,
    }
    return Pose(**{**base, **changes})  # type: ignore[arg-type]


def test_decodes_a_phone_screen_in_a_bgr_frame(renderer: FrameRenderer) -> None:
    grey = renderer.noisy(renderer.place(qr_modules(PAYLOAD), pose()))
    frame = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)  # as a colour camera would give it
    assert frame.shape == (480, 640, 3)
    assert decode(frame) == [PAYLOAD]


def test_decodes_grayscale(renderer: FrameRenderer) -> None:
    frame = renderer.noisy(renderer.place(qr_modules(PAYLOAD), pose(angle_deg=-9.0)))
    assert frame.shape == (480, 640)  # grey, as the gate's cameras give it
    assert decode(frame) == [PAYLOAD]


def test_decodes_dark_mode_inverted_codes(renderer: FrameRenderer) -> None:
    frame = renderer.noisy(renderer.place(qr_modules(PAYLOAD), pose(inverted=True)))
    assert decode(frame) == [PAYLOAD]


def test_every_code_in_view_is_returned(renderer: FrameRenderer) -> None:
    other = "HC1|W0043|yellow|1763856000|fedcba9876543210"
    left = renderer.place(qr_modules(PAYLOAD), pose(module_px=4, angle_deg=0.0, centre_x=150.0))
    right = renderer.place(qr_modules(other), pose(module_px=4, angle_deg=0.0, centre_x=490.0))
    both = np.minimum(left, right)  # darker wins: both screens on the wall
    assert sorted(decode(renderer.noisy(both))) == sorted([PAYLOAD, other])


def test_empty_scene_has_no_codes(renderer: FrameRenderer) -> None:
    assert decode(renderer.noisy(renderer.background)) == []


def test_damaged_code_is_seen_but_unreadable(renderer: FrameRenderer) -> None:
    modules = damage(qr_modules(PAYLOAD), np.random.default_rng(3))
    scan = ZxingDecoder().scan(renderer.noisy(renderer.place(modules, pose(angle_deg=0.0))))
    assert scan.texts == []
    assert scan.unreadable >= 1


@pytest.mark.parametrize(
    "garbage",
    [
        np.zeros((0, 0), np.uint8),
        np.zeros((1, 1, 7), np.uint8),
        np.full((480, 640), np.nan, np.float32),
        np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8),
    ],
    ids=["empty", "seven-channels", "float-nan", "pure-noise"],
)
def test_a_frame_the_decoder_cannot_take_is_unreadable_not_a_crash(garbage: np.ndarray) -> None:
    for decoder in (ZxingDecoder(), PyzbarDecoder()):
        scan = decoder.scan(garbage)
        assert scan.texts == []
        if garbage.dtype != np.uint8 or garbage.size == 0 or garbage.shape[-1] == 7:
            assert scan.unreadable == 1  # not an image: an unreadable frame


def test_pyzbar_alternative_reads_plain_and_inverted(renderer: FrameRenderer) -> None:
    decoder = make_decoder("pyzbar")
    for inverted in (False, True):
        frame = renderer.noisy(
            renderer.place(qr_modules(PAYLOAD), pose(inverted=inverted, angle_deg=3.0))
        )
        assert decoder.scan(frame).texts == [PAYLOAD]


def test_unknown_decoder_name_is_refused() -> None:
    with pytest.raises(ValueError, match="zxing"):
        make_decoder("opencv")  # type: ignore[arg-type]


def test_a_code_too_far_away_is_not_taken_as_presented(renderer: FrameRenderer) -> None:
    near = renderer.place(qr_modules(PAYLOAD), pose(module_px=5, angle_deg=0.0, centre_x=200.0))
    other = "HC1|W0099|green|1763856000|fedcba9876543210"
    far = renderer.place(qr_modules(other), pose(module_px=2, angle_deg=0.0, centre_x=560.0))
    frame = renderer.noisy(np.minimum(near, far))
    for decoder in (ZxingDecoder(min_side_px=90), PyzbarDecoder(min_side_px=90)):
        scan = decoder.scan(frame)
        assert (scan.texts, scan.distant) == ([PAYLOAD], 1), decoder.name
    assert sorted(ZxingDecoder().scan(frame).texts) == sorted([PAYLOAD, other])


def test_camera_turns_a_frame_in_the_wrong_format_into_no_frame() -> None:
    from drivers.camera import Camera

    class WrongFormat:
        def read(self) -> tuple[bool, np.ndarray]:
            return True, np.zeros((480, 640), np.float32)

        def release(self) -> None:
            pass

    assert Camera(WrongFormat()).read_frame() is None
