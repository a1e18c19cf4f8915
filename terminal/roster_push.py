"""A roster carried in a command: validated wholly, then installed atomically where the gate reads
its roster. The one seam between commands and the roster code: ``install_roster_text``.

Here the roster is one CSV (``person_id,kind,windows``) holding staff and visitors; a push of
``workers`` replaces the staff rows and keeps the visitors, ``visitors`` the other way round.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from terminal.config import Config
from terminal.roster import Roster, RosterError

ROW_KIND = {"workers": "staff", "visitors": "visitor"}


class RosterPushError(ValueError):
    """One line: what is wrong with the pushed roster (line and field where it can)."""


def _validated(text: str, folder: Path, label: str) -> Roster:
    """The roster's own parser on the pushed text, through a file as an import would read it."""
    with tempfile.TemporaryDirectory(dir=folder, prefix=".roster-push-") as scratch:
        path = Path(scratch) / label
        path.write_text(text, encoding="utf-8")
        try:
            return Roster.load(path)
        except RosterError as exc:
            raise RosterPushError(str(exc).replace(str(path), label)) from None


def install_roster_text(config: Config, kind: str, csv_text: str) -> str:
    """Validate ``csv_text`` wholly; install it atomically; say what was installed."""
    try:
        return _install(config, kind, csv_text)
    except OSError as exc:  # the roster's folder is not writable by the gate, say
        where = config.resolved(config.roster.path)
        raise RosterPushError(f"cannot install at {where}: {exc.strerror}") from None


def _install(config: Config, kind: str, csv_text: str) -> str:
    if kind not in ROW_KIND:
        raise RosterPushError(f"kind must be workers or visitors, got {kind!r}")
    target = config.resolved(config.roster.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    pushed = _validated(csv_text, target.parent, f"pushed {kind} roster")
    wrong = [e.person_id for e in pushed.entries() if e.kind != ROW_KIND[kind]]
    if wrong:
        raise RosterPushError(
            f"pushed {kind} roster: {wrong[0]} is not {ROW_KIND[kind]} (and {len(wrong) - 1} more)"
        )
    kept = []
    if target.exists():
        try:
            kept = [e for e in Roster.load(target).entries() if e.kind != ROW_KIND[kind]]
        except RosterError:
            kept = []  # the installed file is broken: the push replaces it wholly
    clash = {e.person_id for e in kept} & {e.person_id for e in pushed.entries()}
    if clash:
        raise RosterPushError(f"pushed {kind} roster: {sorted(clash)[0]} is already listed as "
                              "the other kind")  # fmt: skip
    merged = Roster([*kept, *pushed.entries()])
    with tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=".roster-", suffix=".csv", delete=False
    ) as handle:
        staged = Path(handle.name)
    try:
        merged.save(staged)
        with staged.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(staged, target)  # the gate reads the old roster or the new, never half
    finally:
        staged.unlink(missing_ok=True)
    return f"installed {len(pushed)} {kind}; the roster now lists {len(merged)} people"
