"""Which camera frames are decoded: only those that can show a code not read already.

Decoding is most of the software's time per check, and most frames repeat the one before (an
empty lane, a phone held still). A frame is decoded when:

- nothing has been decoded yet, or the last decode is ``RECHECK_S`` old (whatever else is said
  here, a frame is decoded at this low rate: a slow drift, a sensor that is wrong);
- someone may be within reach (the distance sensor sees something, or cannot tell) and the
  frame changed since the one before, or it is the first still frame since a change: a phone
  moved into view is read on the frame it shows sharp, even when the frames of its movement
  were a blur.

Otherwise the frame shows what the last decoded frame showed, and its scan stands for it. With
nobody within reach (the distance sensor sees nothing in its range) a changing frame is someone
passing behind, not a code presented; it is looked at only at the low rate. A distance sensor
that fails leaves the decision to the frames alone: codes are still read.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from drivers.qr import QRDecoder, Scan

# frames are compared on blocks of this many pixels a side, each the sum of every other pixel of
# every other row in it (a quarter of the pixels is plenty to see a phone move, and four times
# cheaper): a camera's noise averages out, a phone moved into view does not
BLOCK_PX = 8
SAMPLED = BLOCK_PX // 2  # pixels summed per block, a side
# a block whose average grey level moved by this much is a change (sensor noise moves one by
# about a level; a code's module, a hand or a phone by tens of levels)
CHANGE_LEVELS = 12
RECHECK_S = 0.5


def thumbnail(frame: np.ndarray) -> np.ndarray:
    """The frame's blocks, each the sum of its sampled grey pixels (a colour frame by its green
    channel, which carries most of the brightness). Sums of a few explicit slices: numpy's
    reductions over several axes are much slower on a Pi's frames."""
    grey = frame if frame.ndim == 2 else frame[:, :, min(1, frame.shape[2] - 1)]
    rows, cols = grey.shape[0] // BLOCK_PX, grey.shape[1] // BLOCK_PX
    sampled = grey[: rows * BLOCK_PX : 2, : cols * BLOCK_PX : 2].astype(np.int16)
    across = sampled.reshape(rows * SAMPLED, cols, SAMPLED)
    row_sums = sum((across[:, :, i] for i in range(1, SAMPLED)), across[:, :, 0])
    down = row_sums.reshape(rows, SAMPLED, cols)
    return sum((down[:, i] for i in range(1, SAMPLED)), down[:, 0])


class FrameTriage:
    """Decodes a frame when it may show a code not read already; else the last scan stands."""

    def __init__(
        self,
        decoder: QRDecoder,
        now: Callable[[], float],
        within_reach: Callable[[], bool | None] = lambda: None,
    ) -> None:
        """``within_reach``: does the distance sensor see anyone in its range (None: it cannot
        tell)."""
        self.decoder = decoder
        self._now = now
        self._within_reach = within_reach
        self._previous: np.ndarray | None = None
        self._last = Scan()
        self._decoded_at: float | None = None
        self._still_owed = False  # a change since the last still frame decoded
        # whether the last scan handed out was decoded from its own frame (not the last one's
        # again): a sighting counts once, not once for every still frame after it
        self.fresh = False

    def forget(self) -> None:
        """The camera gave no frame: the next one is decoded, whatever it shows."""
        self._previous = None
        self._decoded_at = None

    def _changed(self, frame: np.ndarray) -> bool:
        blocks = thumbnail(frame)
        previous, self._previous = self._previous, blocks
        if previous is None or previous.shape != blocks.shape:
            return True
        most = int(np.abs(blocks - previous).max()) if blocks.size else 0
        return most > CHANGE_LEVELS * SAMPLED * SAMPLED

    def scan(self, frame: np.ndarray) -> Scan:
        """What ``frame`` shows: decoded, or the last decoded frame's scan when it cannot show
        more."""
        now = self._now()
        self.fresh = True
        if frame.ndim not in (2, 3) or frame.size == 0:
            return self.decoder.scan(frame)  # not an image: the decoder says what it is
        changed = self._changed(frame)
        self._still_owed |= changed
        due = self._decoded_at is None or now - self._decoded_at >= RECHECK_S
        if not due and (changed or self._still_owed):
            due = self._within_reach() is not False
        if not due:
            self.fresh = False
            return self._last
        self._last = self.decoder.scan(frame)
        self._decoded_at = now
        if not changed:
            self._still_owed = False
        return self._last
