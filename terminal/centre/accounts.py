"""The centre's staff: their accounts (name, role, password hash) and their login sessions (a
token's hash and when it expires). Lockout after failed logins is the web's (terminal/centre/web/
auth.py): the store keeps no count of them."""

from __future__ import annotations

from datetime import datetime

from terminal.centre.errors import CentreError
from terminal.centre.guarded import Guarded
from terminal.centre.times import epoch, moment_or_none, utcnow
from terminal.centre.views import ROLES, UserView

_USER_COLUMNS = "name, role, password_hash, created_s"


class StoreError(CentreError):
    """A store that cannot be opened or used (bad URL, database unreachable), or a change it
    refuses (a user name taken)."""


class Accounts:
    def __init__(self, guarded: Guarded) -> None:
        self._guarded = guarded
        self._db = guarded.db
        self._sessions_swept_s = float("-inf")

    def add_user(self, name: str, role: str, password_hash: str) -> None:
        """Raises :class:`StoreError` when the name is taken or the role unknown."""
        if role not in ROLES:
            raise StoreError(f"role {role!r}: not one of {', '.join(ROLES)}")
        if self._guarded.read("SELECT 1 FROM users WHERE name = ?", (name,)):
            raise StoreError(f"user {name!r}: already exists")
        self._guarded.change(
            f"INSERT INTO users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?)",
            (name, role, password_hash, epoch(utcnow())),
        )

    def user(self, name: str) -> UserView | None:
        rows = self._guarded.read(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,))
        return (
            UserView(rows[0][0], rows[0][1], rows[0][2], moment_or_none(rows[0][3]))
            if rows
            else None
        )

    def set_password(self, name: str, password_hash: str) -> None:
        """Also ends the user's sessions: a changed password logs everyone out."""
        if self.user(name) is None:
            raise StoreError(f"user {name!r}: no such user")
        with self._guarded.lock:
            try:
                self._db.execute(
                    "UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name)
                )
                self._db.execute("DELETE FROM sessions WHERE username = ?", (name,))
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise
            self._db.bump_version()

    def list_users(self) -> list[UserView]:
        rows = self._guarded.read(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")
        return [UserView(r[0], r[1], r[2], moment_or_none(r[3])) for r in rows]

    def create_session(self, token_sha256: str, user: str, expires_at: datetime) -> None:
        self._guarded.change(
            "INSERT INTO sessions (token_sha256, username, expires_s) VALUES (?, ?, ?)",
            (token_sha256, user, epoch(expires_at)),
            bump=False,
        )

    def session(self, token_sha256: str, now: datetime) -> UserView | None:
        """The session's user while it has not expired (an expired one is deleted)."""
        now_s = epoch(now)
        with self._guarded.lock:
            try:
                # expired sessions are swept now and then: every page asks, a write each time
                # would queue the pages behind the collector's transactions
                if now_s - self._sessions_swept_s > 60:
                    self._db.execute("DELETE FROM sessions WHERE expires_s <= ?", (now_s,))
                    self._sessions_swept_s = now_s
                rows = self._db.query(
                    "SELECT u.name, u.role, u.password_hash, u.created_s FROM sessions s "
                    "JOIN users u ON u.name = s.username WHERE s.token_sha256 = ? "
                    "AND s.expires_s > ?",
                    (token_sha256, now_s),
                )
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise
        return (
            UserView(rows[0][0], rows[0][1], rows[0][2], moment_or_none(rows[0][3]))
            if rows
            else None
        )

    def delete_session(self, token_sha256: str) -> None:
        self._guarded.change(
            "DELETE FROM sessions WHERE token_sha256 = ?", (token_sha256,), bump=False
        )
