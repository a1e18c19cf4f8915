"""Where the command line's log lines go, and from what level.

Under systemd the service's stderr is the journal, and ``JOURNAL_STREAM`` names it (device and
inode): every line then starts with its priority as sd-daemon(3) writes it (``<3>`` an error,
``<4>`` a warning, ``<6>`` information, ``<7>`` debug), so ``journalctl -p err -u gate-terminal``
finds the errors; the journal stamps the time itself. Elsewhere (a terminal, a pipe) a line
carries its time in UTC and its level. Python's own journal handler (``systemd.journal``, from
python3-systemd) is not used: it would be one more dependency, and the prefix is all the journal
needs.

The level is ``gate.log_level`` for the service (``--verbose``: debug for any command). What the
gate logs never holds a reading, a person's code or a key: tests/test_logging.py runs a shift at
debug and looks.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import TextIO

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
# syslog priorities, from the highest level down
PRIORITIES = (
    (logging.CRITICAL, 2),
    (logging.ERROR, 3),
    (logging.WARNING, 4),
    (logging.INFO, 6),
)
DEBUG_PRIORITY = 7
HANDLER_NAME = "gate-terminal"
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JOURNAL_FORMAT = "%(name)s: %(message)s"


def priority(levelno: int) -> int:
    return next((p for level, p in PRIORITIES if levelno >= level), DEBUG_PRIORITY)


class JournalFormatter(logging.Formatter):
    """Each line of a record (a traceback's too) with the record's priority in front."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in (super().format(record).splitlines() or [""]))


def to_journal(stream: TextIO) -> bool:
    """Is ``stream`` the journal's stream that systemd gave this service?"""
    device, _, inode = os.environ.get("JOURNAL_STREAM", "").partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError):  # not a file (io.UnsupportedOperation is both)
        return False
    return (status.st_dev, status.st_ino) == (int(device), int(inode))


def configure(level: int, stream: TextIO | None = None) -> None:
    """Log lines to stderr from ``level`` on. Like ``logging.basicConfig``, a program that has
    set up logging of its own (a test runner) keeps its handlers; a second call replaces the
    first's handler."""
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if handler.get_name() == HANDLER_NAME]
    if ours or not root.handlers:
        for handler in ours:
            root.removeHandler(handler)
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.set_name(HANDLER_NAME)
        formatter: logging.Formatter
        if to_journal(handler.stream):
            formatter = JournalFormatter(JOURNAL_FORMAT)
        else:
            formatter = logging.Formatter(PLAIN_FORMAT)
            formatter.converter = time.gmtime
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)


def set_level(name: str) -> None:
    """The config's level (``gate.log_level``), once the config is read."""
    logging.getLogger().setLevel(LEVELS[name])
