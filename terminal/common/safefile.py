"""Reading files that come from outside (configs, rosters, calibrations, keys), bounded and safe.

Only a regular file is read: a FIFO would block the gate for ever and a device such as /dev/zero
never ends. The size is checked before reading and again while reading (a file can grow between
the two), so a mistaken path costs at most ``max_bytes`` of memory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from terminal.common.errors import GateError

# a PEM key is a few hundred bytes; a password file a line
MAX_KEY_BYTES = 16 * 1024


class UnreadableFile(GateError, ValueError):
    """A file that is not there, not a regular file, too large or unreadable; one line names it."""


def read_regular_file(path: Path, *, max_bytes: int, what: str) -> bytes:
    """The bytes of ``path``, or UnreadableFile saying what ``what`` is and why it was refused."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not block; a regular file ignores it
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read {what}: {exc.strerror}") from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"{path}: {what} is not a regular file")
        if info.st_size > max_bytes:
            raise UnreadableFile(f"{path}: {what} is larger than {_size(max_bytes)}")
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(handle, 1 << 20):
            total += len(chunk)
            if total > max_bytes:
                raise UnreadableFile(f"{path}: {what} is larger than {_size(max_bytes)}")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read {what}: {exc.strerror}") from None
    finally:
        os.close(handle)


def read_regular_text(path: Path, *, max_bytes: int, what: str) -> str:
    """The UTF-8 text of ``path`` (a byte-order mark dropped), refused in one line otherwise."""
    data = read_regular_file(path, max_bytes=max_bytes, what=what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{path}: {what} is not UTF-8 text (byte {exc.start})") from None


def _size(max_bytes: int) -> str:
    if max_bytes >= 1 << 20:
        return f"{max_bytes / (1 << 20):g} MiB"
    return f"{max_bytes / 1024:g} KiB"
