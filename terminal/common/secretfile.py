"""Files that hold a secret (a broker's or a database's password, a private key): the gate and
the centre take them only when nobody but their owner can read or change them."""

from __future__ import annotations

import stat
from pathlib import Path

# any right for the group or for others: a password readable by another account on the machine
# (or replaceable by one) is no longer the service's alone
_SHARED_BITS = stat.S_IRWXG | stat.S_IRWXO


def check_secret_file(path: Path, what: str) -> None:
    """ValueError in one line, with the chmod to run, unless ``path`` is a regular file that its
    owner alone may read or write."""
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & _SHARED_BITS:
        raise ValueError(f"{path}: {what} readable by others (mode {mode:o}); chmod 600 it")
