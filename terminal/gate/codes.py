"""The codes in view: the camera's frames read by the decoder, which codes may start or join a
check, and the spent ones.

A code whose approach is over is spent while it stays in view and ``timing.clear_s`` after: a
phone left lying in front of the camera must not be taken for the next person's code. Vehicle
permits are the vehicle desk's: each is handed over once while it stays in view.

While a check waits (on the sensor settling, or for a second code), the camera is still read:
a second code shown meanwhile must be seen, and so must one that only shows as an unreadable
code (overlapping the first, say).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from drivers.camera import Camera
from drivers.qr import QRDecoder, Scan
from terminal.devices import Clock
from terminal.gate.frames import FrameTriage
from terminal.gate.vehicles import VehicleDesk

log = logging.getLogger(__name__)
CAMERA_RETRY_S = 0.5
# frames showing an unreadable code beside a readable one, during one check, before the check
# counts two codes: one such frame may be a blur of the person's own phone; several are not
AMBIGUOUS_FRAMES = 3


class CodesInView:
    """Reads frames, keeps the spent codes, and collects every code seen during one check."""

    def __init__(
        self,
        *,
        camera: Camera,
        decoder: QRDecoder,
        clock: Clock,
        clear_s: float,
        vehicles: VehicleDesk,
        each_frame: Callable[[], None],
        camera_health: Callable[[bool], None],
        within_reach: Callable[[], bool | None] = lambda: None,
    ) -> None:
        """``each_frame``: the contacts, read as of every frame; ``camera_health``: who hears
        whether the camera gives frames; ``within_reach``: does the distance sensor see anyone
        in its range (None: it cannot tell), so that frames of an empty lane are not decoded."""
        self.camera = camera
        self.decoder = decoder
        self.triage = FrameTriage(decoder, clock.time, within_reach)
        self.clock = clock
        self.clear_s = clear_s
        self.vehicles = vehicles
        self._each_frame = each_frame
        self._camera_health = camera_health
        self.camera_failing = False
        self.waited_s = 0.0  # time spent waiting on the camera or the sensor, not computing
        # codes of finished approaches, with when each was last in view
        self.spent: dict[str, float] = {}
        self.in_check: set[str] = set()  # every code seen during the check under way
        self.unreadable_frames = 0  # frames with an unreadable code, since the code was read

    # --- frames -------------------------------------------------------------------------------
    def next_frame(self) -> Scan:
        started = time.perf_counter()
        frame = self.camera.read_frame()
        self._each_frame()  # as of this frame
        if frame is None:
            # an unplugged camera fails at once: do not spin, and say so once
            if not self.camera_failing:
                log.error("camera gives no frames; codes cannot be read until it does")
            self.camera_failing = True
            self._camera_health(False)
            self.triage.forget()
            self.clock.sleep(CAMERA_RETRY_S)
        elif self.camera_failing:
            log.warning("camera gives frames again")
            self.camera_failing = False
            self._camera_health(True)
        self.waited_s += time.perf_counter() - started
        return Scan() if frame is None else self.triage.scan(frame)

    def wait(self, seconds: float) -> None:
        """Wait, reading frames: every code seen meanwhile joins the check under way."""
        deadline = self.clock.time() + seconds
        while self.clock.time() < deadline and not self.camera_failing:
            scan = self.next_frame()
            self.in_check.update(self.unspent(scan))
            # a still frame answered with the last one's scan is not a second sighting
            self.unreadable_frames += scan.unreadable > 0 and self.triage.fresh
        remaining = deadline - self.clock.time()
        if remaining > 0:
            started = time.perf_counter()
            self.clock.sleep(remaining)
            self.waited_s += time.perf_counter() - started

    # --- which codes count --------------------------------------------------------------------
    def unspent(self, scan: Scan) -> list[str]:
        """The codes in view that may start or join a check: not spent, and not a vehicle
        permit (the vehicle desk reads those)."""
        return [
            text for text in scan.texts if text not in self.spent and not self.vehicles.claims(text)
        ]

    def between_checks(self, scan: Scan, now: float) -> None:
        """Spent codes age out of view; vehicle permits newly in view go to the vehicle desk."""
        for text in list(self.spent):
            if text in scan.texts:
                self.spent[text] = now
            elif now - self.spent[text] >= self.clear_s:
                del self.spent[text]
        for text in scan.texts:
            if text not in self.spent and self.vehicles.claims(text):
                self.spent[text] = now
                self.vehicles.permit_shown(text)

    def spend(self, codes: frozenset[str], last_seen_at: float) -> None:
        self.spent.update(dict.fromkeys(codes, last_seen_at))

    # --- one check ----------------------------------------------------------------------------
    def start_check(self, texts: list[str]) -> None:
        self.in_check = set(texts)
        self.unreadable_frames = 0

    def wait_for_code(
        self, started_at: float, scan: Scan, code_wait_s: float
    ) -> tuple[list[str], bool]:
        """The codes in the first frame that shows any; and whether an unreadable code was seen
        while waiting."""
        unreadable = scan.unreadable > 0
        texts = self.unspent(scan)
        while not texts:
            if self.clock.time() - started_at >= code_wait_s:
                return [], unreadable
            scan = self.next_frame()
            unreadable = unreadable or scan.unreadable > 0
            texts = self.unspent(scan)
        return sorted(set(texts)), unreadable

    def watched(
        self, texts: list[str], code_seen_at: float, code_watch_s: float
    ) -> tuple[list[str], bool]:
        """Every code seen, after watching the camera ``code_watch_s`` from the first one for a
        second code; and whether a second, unreadable code was seen."""
        if texts:
            self.wait(code_seen_at + code_watch_s - self.clock.time())
            texts = sorted(self.in_check)
        # a second code we cannot read is still a second code
        return texts, self.unreadable_frames >= AMBIGUOUS_FRAMES
