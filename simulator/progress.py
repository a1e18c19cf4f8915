"""What a person watching ``simulate`` sees while the shift runs: one progress bar, and no log
line in the middle of it. During the shift every log record goes into the shift's log file, beside
the simulated record; on the screen only errors, each printed above the bar after clearing it. The
flags and faults the log tells of one by one are counted in the summary."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

# the first line of a shift's log: only a file beginning with it is replaced by the next run
LOG_HEADER = "# gate-terminal simulate: the log of one simulated shift"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# clears the terminal's current line (the bar) before a line is printed over it
CLEAR_LINE = "\r\x1b[K"


class Progress:
    """How many of the shift's people the gate has answered (went through, refused, or left
    waiting): drawn in place on a terminal, every tenth otherwise."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total = total
        self.out = out
        self.interactive = out.isatty()
        self._last_drawn = -1
        self._on_screen = False  # a bar is drawn and no newline ended it

    def update(self, done: int) -> None:
        step = max(1, self.total // 10)
        if done == self._last_drawn:
            return  # the last few wait for the guard: nothing new to draw
        if not self.interactive and done // step == self._last_drawn // step and done != self.total:
            return
        self._last_drawn = done
        width = 30
        filled = width * done // max(self.total, 1)
        bar = "#" * filled + "-" * (width - filled)
        end = "\r" if self.interactive and done < self.total else "\n"
        self.out.write(f"  [{bar}] {done}/{self.total} people checked{end}")
        self._on_screen = end == "\r"
        self.out.flush()

    def clear(self) -> None:
        """Takes the bar off the screen, for a line to be printed where it was; the next update
        draws it again below that line."""
        if self._on_screen:
            self.out.write(CLEAR_LINE)
            self.out.flush()
            self._on_screen = False
            self._last_drawn = -1


@dataclass
class ShiftLog:
    """The shift's log file and what went into it."""

    path: Path
    warnings: int = 0
    errors: int = 0

    def line(self) -> str:
        return f"{self.warnings} warnings, {self.errors} errors during the shift: {self.path}"


class _Counter(logging.Handler):
    def __init__(self, log: ShiftLog) -> None:
        super().__init__(logging.WARNING)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.log.errors += 1
        else:
            self.log.warnings += 1


class _AboveTheBar(logging.Filter):
    """On a screen handler: errors only, each printed above the bar; the rest is in the file."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            return False
        self.progress.clear()
        return True


def _on_the_screen(handler: logging.Handler, out: TextIO) -> bool:
    """A handler that writes where the bar is drawn (not a file, not a test's capture)."""
    if isinstance(handler, logging.FileHandler) or not isinstance(handler, logging.StreamHandler):
        return False
    return handler.stream in (out, sys.stderr, sys.stdout)


class LogsBesideTheBar:
    """From :meth:`start` to :meth:`stop`, the log goes to ``log.path`` (replaced), and the
    screen shows only errors, above the bar."""

    def __init__(self, progress: Progress, path: Path) -> None:
        self.progress = progress
        self.log = ShiftLog(path)
        self._file: logging.FileHandler | None = None
        self._counter = _Counter(self.log)
        self._filter = _AboveTheBar(progress)
        self._screens: list[logging.Handler] = []

    def start(self) -> None:
        root = logging.getLogger()
        self.log.path.parent.mkdir(parents=True, exist_ok=True)
        self.log.path.write_text(LOG_HEADER + "\n", encoding="utf-8")
        self._file = logging.FileHandler(self.log.path, mode="a", encoding="utf-8")
        self._file.setFormatter(logging.Formatter(LOG_FORMAT))
        self._screens = [h for h in root.handlers if _on_the_screen(h, self.progress.out)]
        for handler in self._screens:
            handler.addFilter(self._filter)
        root.addHandler(self._file)
        root.addHandler(self._counter)

    def stop(self) -> None:
        root = logging.getLogger()
        for handler in self._screens:
            handler.removeFilter(self._filter)
        root.removeHandler(self._counter)
        if self._file is not None:
            root.removeHandler(self._file)
            self._file.close()
            self._file = None


def shift_log_path(record_path: Path) -> Path:
    """The shift's log, beside its record (resolved: the summary prints it)."""
    return record_path.resolve().with_name(f"{record_path.stem}.log")


def is_shift_log(path: Path) -> bool:
    """Read-only: does the file at ``path`` begin as a shift's log does?"""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            return handle.readline().rstrip("\n") == LOG_HEADER
    except OSError:
        return False
