"""One line per unexpected error in the gate's loop, without the message that may identify a
person."""

from __future__ import annotations

import logging
import traceback

log = logging.getLogger(__name__)


class ErrorLog:
    """Logs an unexpected error by its type and place; a repeat of the same one at debug, so a
    fault that recurs on every frame does not flood the log."""

    def __init__(self) -> None:
        self._last: tuple[str, str] | None = None

    def __call__(self, exc: Exception, where: str) -> None:
        """Never the exception's message: a message may quote a QR payload, which can identify
        a person."""
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        place = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else "?"
        key = (type(exc).__name__, place)
        level = logging.DEBUG if key == self._last else logging.ERROR
        self._last = key
        log.log(level, "internal error %s: %s at %s", where, type(exc).__name__, place)
