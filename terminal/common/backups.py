"""Backups of a database file into a folder off the machine's own disk, the gate's record and the
centre's database alike: a copy made into a hidden partial file in the target folder (private to
its owner), flushed to the disk, renamed into place in one step (a copy is there whole or not at
all), then the oldest beyond ``keep`` removed.

"Off the disk": a gate's backup on its own SD card is lost with the card, so a target folder on
the same filesystem as the database is refused unless asked for (``allow_same_disk``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

from terminal.common.errors import EXIT_FAILED, GateError

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"  # UTC: names sort by time whatever the park's zone or DST
_STAMP = r"\d{8}T\d{6}Z"
PARTIAL = ".partial"
T = TypeVar("T")


class BackupRefused(GateError):
    """A backup that cannot start as asked: no such folder, the same disk, a copy of that
    second already there. Nothing was written."""


class BackupFailed(GateError):
    """A backup that started and failed (the copy unreadable, the disk full): nothing kept."""

    exit_code = EXIT_FAILED


@dataclass(frozen=True)
class BackupNames:
    """``{prefix}{UTC stamp}{suffix}``: ``record-gate-1-20261206T023000Z.sqlite``."""

    prefix: str
    suffix: str

    def name(self, at: datetime) -> str:
        return f"{self.prefix}{at.astimezone(UTC).strftime(STAMP_FORMAT)}{self.suffix}"

    def matches(self, name: str) -> bool:
        pattern = f"{re.escape(self.prefix)}{_STAMP}{re.escape(self.suffix)}"
        return re.fullmatch(pattern, name) is not None

    def partial(self, final: Path) -> Path:
        return final.with_name(f".{final.name}{PARTIAL}")


def disk_of(device: int, sys_root: Path = Path("/sys")) -> str:
    """The disk a filesystem's device is on, as the kernel names it: a partition's whole disk
    (``/sys/dev/block/179:2`` is ``.../mmcblk0/mmcblk0p2``: ``.../mmcblk0``); a device that is no
    block device (a share, a tmpfs) is only itself."""
    node = sys_root / "dev" / "block" / f"{os.major(device)}:{os.minor(device)}"
    try:
        real = node.resolve(strict=True)
    except OSError:
        return f"device {os.major(device)}:{os.minor(device)}"
    return str(real.parent if (real / "partition").exists() else real)


def check_target(source: Path, target: Path, *, allow_same_disk: bool) -> None:
    """The target folder exists, and is not on the source's disk unless allowed."""
    if not target.is_dir():
        raise BackupRefused(f"{target}: no such folder (is the share mounted?)")
    if not allow_same_disk and disk_of(os.stat(target).st_dev) == disk_of(os.stat(source).st_dev):
        raise BackupRefused(
            f"{target}: on the same disk as {source}, so lost with it: mount a share there "
            "(docs/record.md#the-share), or give --allow-same-disk"
        )


def take_backup(
    target: Path,
    names: BackupNames,
    copy: Callable[[Path], None],
    *,
    keep: int,
    now: datetime | None = None,
) -> tuple[Path, list[Path]]:
    """``copy(path)`` writes the copy into ``path`` (an empty file, mode 0600, already made);
    then it is flushed, renamed into place, and the oldest backups beyond ``keep`` removed.
    Returns the backup and the backups removed."""
    final = target / names.name(now or datetime.now(UTC))
    if final.exists():
        raise BackupRefused(f"{final}: a backup of this second is there already")
    partial = names.partial(final)
    try:
        # O_EXCL: two backups at once do not write into one file; 0600: it holds health data
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise BackupRefused(f"{target}: cannot write here: {exc.strerror}") from None
    try:
        copy(partial)
        _flush(partial)
        os.replace(partial, final)
        _flush_folder(target)
    except OSError as exc:
        raise BackupFailed(f"{final}: {exc.strerror or type(exc).__name__}") from None
    finally:
        partial.unlink(missing_ok=True)
    return final, rotate(target, names, keep)


class Rows(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class SQLiteDatabase(Protocol):
    """What a copy needs of an SQLite connection (the caller's module opens it: the record's
    and the centre's database are each reached through their own package)."""

    def execute(self, sql: str, /) -> Rows: ...

    def backup(self, target: Any, /) -> None: ...

    def close(self) -> None: ...


def copy_sqlite(
    source: Path,
    destination: Path,
    *,
    connect: Callable[..., SQLiteDatabase],
    database_error: type[Exception],
    timeout_s: float,
    what: str,
    read: Callable[[SQLiteDatabase], T],
) -> T:
    """Copy the SQLite database at ``source`` into ``destination`` (an empty file) with SQLite's
    online backup API, check the copy page by page, and return ``read(copy)``. ``connect`` and
    ``database_error``: sqlite3's; ``what``: the database as its owner names it ("record")."""
    try:
        # mode=rw: a missing file is an error, never a new empty database; query_only: nothing
        # this connection does can change the one being copied
        live = connect(f"file:{quote(str(source.resolve()))}?mode=rw", uri=True, timeout=timeout_s)
    except database_error as exc:
        raise BackupRefused(f"{source}: cannot open the {what}: {exc}") from None
    try:
        live.execute("PRAGMA query_only = 1")
        copy = connect(destination)
        try:
            live.backup(copy)  # all pages in one step: one snapshot, writers not held up (WAL)
            copy.execute("PRAGMA journal_mode = DELETE")  # one file, whole
            verdict = [row[0] for row in copy.execute("PRAGMA integrity_check").fetchall()]
            if verdict != ["ok"]:
                raise BackupFailed(f"{destination}: the copy is damaged: {verdict[0][:200]}")
            return read(copy)
        finally:
            copy.close()
    except database_error as exc:
        raise BackupFailed(f"{source}: the copy failed: {exc}") from None
    finally:
        live.close()


def rotate(target: Path, names: BackupNames, keep: int) -> list[Path]:
    """Remove the oldest backups of these names beyond the newest ``keep`` (by their stamps);
    other files in the folder are never touched."""
    if keep < 1:
        raise ValueError("keep at least one backup")
    ours = sorted(p for p in target.iterdir() if names.matches(p.name) and p.is_file())
    removed = ours[:-keep]
    for path in removed:
        path.unlink()
    return removed


def kept(target: Path, names: BackupNames, keep: int) -> str:
    """How many backups of these names the folder holds, out of the most kept:
    ``1 backup kept (up to 14)``."""
    count = sum(1 for p in target.iterdir() if names.matches(p.name) and p.is_file())
    return f"{count} backup{'' if count == 1 else 's'} kept (up to {keep})"


def _flush(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _flush_folder(folder: Path) -> None:
    """The rename itself made durable (a share may refuse to sync a folder: that is its own)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
