"""A CSI (ribbon-cable) camera through Picamera2 and libcamera, as a frame source.

Picamera2 comes from Raspberry Pi OS's archive (``sudo apt install python3-picamera2``), not
from pip: it is tied to the system's libcamera. The gate's virtual environment sees it when made
with ``--system-site-packages``; the environment's own numpy and OpenCV still come first on the
path, and its own simplejpeg (the ``pi`` extra) shadows the system's, which is built for the
system's numpy 1 and would not import beside numpy 2 (docs/pi-devices.md).

The main stream is YUV420 at the configured size: its first ``height`` rows are the grey image
the QR decoder reads, so no colour conversion is made per frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from drivers.camera import CameraError

INSTALL_HINT = (
    "install python3-picamera2 (sudo apt install python3-picamera2) and make the gate's "
    "virtual environment with --system-site-packages (docs/pi-devices.md)"
)


def _picamera2_class() -> Any:
    try:
        from picamera2 import Picamera2
    except ModuleNotFoundError as exc:
        raise CameraError(
            f"Picamera2 is not visible to this Python ({exc}); {INSTALL_HINT}"
        ) from None
    except (ImportError, ValueError, RuntimeError) as exc:
        # the system's simplejpeg (or another binary module under picamera2) built for numpy 1,
        # beside the environment's numpy 2: "numpy.dtype size changed"
        raise CameraError(
            f"Picamera2 does not import ({type(exc).__name__}: {exc}); if numpy is named, the "
            "system's picamera2 stack clashes with the environment's numpy: pip install "
            "simplejpeg in the gate's virtual environment (docs/pi-devices.md)"
        ) from None
    return Picamera2


class PicameraFrames:
    """Grey frames from a started Picamera2; ``read()`` and ``release()`` as VideoCapture."""

    def __init__(self, camera: Any, width: int, height: int) -> None:
        self.camera = camera
        self.width = width
        self.height = height
        self.released = False

    def read(self) -> tuple[bool, np.ndarray | None]:
        try:
            array = self.camera.capture_array("main")
        except Exception:  # a camera that fails mid-shift is a missing frame, as with OpenCV
            return False, None
        frame = np.asarray(array)
        if frame.ndim != 2:
            return False, None
        # YUV420 as Picamera2 gives it: height rows of Y, then the chroma; the Y plane is grey
        return True, frame[: self.height, : self.width]

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        try:
            self.camera.stop()
        finally:
            self.camera.close()


def open_picamera(number: int, width: int, height: int) -> PicameraFrames:
    Picamera2 = _picamera2_class()
    try:
        cameras = list(Picamera2.global_camera_info())
    except Exception as exc:
        raise CameraError(f"libcamera cannot list the cameras ({exc})") from None
    if number >= len(cameras):
        found = ", ".join(str(c.get("Model", "?")) for c in cameras) or "none"
        raise CameraError(
            f"no CSI camera {number} (libcamera found: {found}); is the ribbon cable seated, "
            "contacts the right way round? rpicam-hello --list-cameras lists them"
        )
    try:
        camera = Picamera2(number)
    except Exception as exc:
        raise CameraError(f"CSI camera {number} does not open ({exc}); is it in use?") from None
    try:
        config = camera.create_video_configuration(
            main={"size": (width, height), "format": "YUV420"}, buffer_count=2, queue=False
        )
        camera.configure(config)
        camera.start()
    except Exception as exc:
        camera.close()
        raise CameraError(
            f"CSI camera {number} does not start at {width}x{height} ({exc})"
        ) from None
    # libcamera may have aligned the size: the Y plane is as configured, GreyAtSize scales it
    applied = getattr(camera, "camera_config", None) or config
    size = applied.get("main", {}).get("size", (width, height))
    return PicameraFrames(camera, int(size[0]), int(size[1]))
