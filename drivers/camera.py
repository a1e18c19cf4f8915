"""Camera frames, as the QR decoder takes them: 8-bit grey at the configured size.

Two kinds of camera on a Pi, chosen by ``camera.kind``: a USB camera through OpenCV's V4L2 backend
(named by its stable path under ``/dev/v4l/by-id/``, which survives a reboot and a replug where
``/dev/video0`` may not), and a CSI (ribbon-cable) camera through Picamera2 and libcamera
(drivers/picamera.py), which OpenCV's V4L2 cannot open on Bookworm. Either is wrapped in
:class:`GreyAtSize`, so the decoder always sees the size ``camera.min_code_px`` was set for. The
simulator's frame source, or anything else with ``read()`` and ``release()``, goes in as it is.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

import numpy as np

from drivers.errors import DriverError

CameraKind = Literal["usb", "csi"]


class FrameSource(Protocol):
    def read(self) -> tuple[bool, Any]: ...

    def release(self) -> None: ...


class CameraError(DriverError):
    pass


def grey_at_size(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """``frame`` (BGR, BGRA or grey, 8-bit) as grey at ``width`` x ``height``; anything that is
    not such an image is returned as it is, for :meth:`Camera.read_frame` to refuse."""
    if frame.dtype != np.uint8 or frame.size == 0 or frame.ndim not in (2, 3):
        return frame
    import cv2

    if frame.ndim == 3:
        channels = frame.shape[2]
        if channels == 1:
            frame = frame[:, :, 0]
        elif channels == 3:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        elif channels == 4:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
        else:
            return frame
    if frame.shape != (height, width):
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(frame)


class GreyAtSize:
    """A frame source whose frames come out grey at the configured size, whatever the camera
    gave (a USB camera may pick the nearest mode it has; libcamera may align a size)."""

    def __init__(self, source: FrameSource, width: int, height: int) -> None:
        self.source = source
        self.width = width
        self.height = height

    def read(self) -> tuple[bool, Any]:
        ok, frame = self.source.read()
        if not ok or frame is None:
            return False, None
        return True, grey_at_size(np.asarray(frame), self.width, self.height)

    def release(self) -> None:
        self.source.release()


def open_v4l2(device: int | str, width: int, height: int) -> FrameSource:
    """A USB camera through OpenCV's V4L2 backend (never GStreamer's or another guess)."""
    import cv2

    capture = cv2.VideoCapture(device, cv2.CAP_V4L2)
    if not capture.isOpened():
        capture.release()
        raise CameraError(f"V4L2 could not open {device!r}")
    capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
    capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
    # one buffer: the frame read is the one just taken, not one from before the person stepped up
    capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return capture


class Camera:
    def __init__(self, capture: FrameSource) -> None:
        self.capture = capture

    @classmethod
    def open_device(
        cls, device: int | str, width: int, height: int, kind: CameraKind = "usb"
    ) -> Camera:
        """The camera ``device`` of ``kind``: for "usb" a V4L2 path or index, for "csi" the
        camera's number (0, or 1 for a Pi 5's second connector). :class:`CameraError` when it
        cannot be opened."""
        if kind == "csi":
            if not isinstance(device, int):
                raise CameraError(f"a CSI camera is named by its number, not {device!r}")
            from drivers.picamera import open_picamera

            source: FrameSource = open_picamera(device, width, height)
        elif kind == "usb":
            source = open_v4l2(device, width, height)
        else:
            raise CameraError(f"unknown camera kind {kind!r}; 'usb' or 'csi'")
        return cls(GreyAtSize(source, width, height))

    def read_frame(self) -> np.ndarray | None:
        """The next frame (8-bit BGR or grayscale), or None when the camera gave none, or gave
        something that is not such an image (a wrong pixel format is a camera fault)."""
        ok, frame = self.capture.read()
        if not ok or frame is None:
            return None
        image = np.asarray(frame)
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or image.size == 0:
            return None
        return image

    def close(self) -> None:
        self.capture.release()
