"""What the backup tests share: the folder a backup is sent to."""

from __future__ import annotations

from pathlib import Path


def empty_share(folder: Path, name: str = "share") -> Path:
    """An empty folder ``name`` under ``folder``, where a backup is sent: it stands for a mounted
    share, but is on the tests' own disk (a backup into it needs ``--allow-same-disk``)."""
    share = folder / name
    share.mkdir()
    return share
