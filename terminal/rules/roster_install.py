"""Checking a roster file against the config and installing it where the gate reads its roster,
for `gate-terminal roster import` and for a roster pushed by the centre alike.

A file is checked whole (its shift groups, ids unique against the other roster file) before
anything changes, then written atomically (a temporary file in the same folder, flushed to disk,
renamed over the old one) in the config's ``roster.encoding``, keeping only the columns the gate
reads.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from pathlib import Path

from terminal.config import Config
from terminal.rules.roster import PeopleFile, RosterError, check_unique, read_people_file

DEFAULT_MODE = 0o640  # the gate's group reads it; names and health data are nobody else's


def configured_path(config: Config, kind: str) -> Path | None:
    path = config.roster.workers if kind == "workers" else config.roster.visitors
    return None if path is None else config.resolved(path)


def check_roster_file(
    path: Path, config: Config, encoding: str | None = None
) -> tuple[PeopleFile, Path]:
    checked = read_people_file(path, config, encoding)
    target = configured_path(config, checked.kind)
    if target is None:
        raise RosterError(
            f"{config.source}: roster.{checked.kind}: not set, so the gate has no {checked.kind} "
            f"file to take {path}"
        )
    other_kind = "visitors" if checked.kind == "workers" else "workers"
    other_path = configured_path(config, other_kind)
    if other_path is not None and other_path.exists():
        how = f"set roster.encoding in {config.source}"
        other = read_people_file(other_path, config, config.roster.encoding, how=how)
        check_unique(other, checked)
    return checked, target


def install_roster(checked: PeopleFile, target: Path, config: Config) -> None:
    folder = target.parent
    if not folder.is_dir():
        raise RosterError(f"{target}: folder {folder} does not exist")
    _check_encodable(checked, config)
    try:
        old = target.stat()
    except FileNotFoundError:
        old = None
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", newline="", encoding=config.roster.encoding) as out:
            writer = csv.writer(out)
            writer.writerow(checked.columns)
            writer.writerows(checked.rows)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, (old.st_mode & 0o777) if old else DEFAULT_MODE)
        if old is not None:
            with contextlib.suppress(PermissionError):  # only root can give it away
                os.chown(temp, old.st_uid, old.st_gid)
        # what the gate will read is what was checked
        if read_people_file(temp, config, config.roster.encoding).people != checked.people:
            raise RosterError(f"{target}: the written copy differs from {checked.path}")
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise RosterError(f"{target}: cannot install: {exc.strerror}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)


def _check_encodable(checked: PeopleFile, config: Config) -> None:
    """Every cell can be written in the encoding the gate reads its roster files in."""
    encoding = config.roster.encoding
    problems = []
    for person, cells in zip(checked.people, checked.rows, strict=True):
        for column, cell in zip(checked.columns, cells, strict=True):
            try:
                cell.encode(encoding)
            except UnicodeEncodeError:
                problems.append(
                    f"{checked.path}:{checked.lines[person.person_id]}: {column}: cannot be "
                    f"written in {encoding} (roster.encoding in {config.source})"
                )
    if problems:
        raise RosterError(*problems)
