"""The store's one connection, and the lock every part of the store takes around it: the
collector's thread and the web application's share them."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from terminal.centre.database import Database


class Guarded:
    """A :class:`Database` behind a re-entrant lock. Reads and single changes are one call each;
    a part that needs several statements in one transaction takes :attr:`lock` itself."""

    def __init__(self, database: Database) -> None:
        self.db = database
        self.lock = threading.RLock()

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one query, its read transaction ended (a page must not hold a snapshot)."""
        with self.lock:
            rows = self.db.query(sql, params)
            self.db.commit()
        return rows

    def change(self, sql: str, params: Sequence[Any], *, bump: bool = True) -> int:
        """One statement in its own transaction; the change counter grows when it changed a row
        (``bump=False``: a change no page shows, like a session)."""
        with self.lock:
            try:
                count = self.db.execute(sql, params)
                self.db.commit()
            except BaseException:
                self.db.rollback()
                raise
            if bump and count:
                self.db.bump_version()
            return count
