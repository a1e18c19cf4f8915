"""Camera frames from an OpenCV ``VideoCapture`` (a USB camera on the Pi) or anything with the
same ``read()``, such as the simulator's frame source."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from drivers.errors import DriverError


class FrameSource(Protocol):
    def read(self) -> tuple[bool, Any]: ...

    def release(self) -> None: ...


class CameraError(DriverError):
    pass


class Camera:
    def __init__(self, capture: FrameSource) -> None:
        self.capture = capture

    @classmethod
    def open_device(cls, device: int | str, width: int, height: int) -> Camera:
        import cv2

        capture = cv2.VideoCapture(device)
        if not capture.isOpened():
            raise CameraError(f"camera {device!r} could not be opened")
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        return cls(capture)

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
