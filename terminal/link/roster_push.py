"""A roster carried in a command: validated wholly, then installed atomically where the gate reads
its roster. The one seam between commands and the roster code: ``install_roster_text``.

A push is a whole workers or visitors CSV, exactly as ``gate-terminal roster import`` takes it:
checked against the config (its shift groups, ids unique against the other roster file), then
written where ``roster.workers`` or ``roster.visitors`` says (temporary file, fsync, rename). The
running gate then takes it as it takes any new roster file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from terminal.common.errors import GateError
from terminal.config import Config
from terminal.rules.roster import RosterError, read_people_file
from terminal.rules.roster_install import check_roster_file, configured_path, install_roster


class RosterPushError(GateError, ValueError):
    """One line: what is wrong with the pushed roster (line and field where it can)."""


def install_roster_text(config: Config, kind: str, csv_text: str) -> str:
    """Validate ``csv_text`` wholly; install it atomically; say what was installed."""
    if kind not in ("workers", "visitors"):
        raise RosterPushError(f"kind must be workers or visitors, got {kind!r}")
    target = configured_path(config, kind)
    if target is None:
        raise RosterPushError(f"roster.{kind}: not set in the config, nowhere to install it")
    label = f"pushed {kind} roster"
    try:
        # the roster's own checks read a file: the pushed text goes through one beside the target
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".roster-push-") as scratch:
            staged = Path(scratch) / f"{kind}.csv"
            staged.write_text(csv_text, encoding="utf-8")
            try:
                found = read_people_file(staged, config).kind  # known by its header
                if found != kind:
                    raise RosterError(f"{staged}: a {found} file, pushed as {kind}")
                checked, _ = check_roster_file(staged, config)
                install_roster(checked, target, config)
            except RosterError as exc:
                raise RosterPushError(str(exc).replace(str(staged), label)) from None
    except OSError as exc:  # the roster's folder is not writable by the gate, say
        raise RosterPushError(f"cannot install at {target}: {exc.strerror}") from None
    return f"installed {len(checked.people)} {kind} at {target}"
