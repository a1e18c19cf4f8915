"""The root of every error the gate raises on purpose.

Each module names its own errors (``ConfigError``, ``RosterError``, ``CodeRejected``...); they all
derive from :class:`GateError`, so the command line catches them in one place and says each in one
line. A subclass keeps a second base (``ValueError``, ``RuntimeError``) where a caller already
catches it by that base.
"""

from __future__ import annotations

from typing import ClassVar

# the exit codes of the command line, as the README gives them
EXIT_REFUSED = 2  # a refusal of input: a config, roster or file to fix before running again
EXIT_FAILED = 1  # the command ran and failed, or found problems it listed


class GateError(Exception):
    """An error the gate raises on purpose, with a message meant for the person at the terminal.

    ``exit_code`` is what ``gate-terminal`` exits with when the error reaches the command line.
    """

    exit_code: ClassVar[int] = EXIT_REFUSED
