"""Who is at the desk: passwords hashed with argon2, sessions (a random token in the browser's
cookie, only its SHA-256 in the store, so a copy of the database opens no session), a CSRF token
bound to the session, a lockout after repeated failures, and what each role may do."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

Role = Literal["guard", "health_officer", "viewer"]
ROLES: tuple[Role, ...] = ("guard", "health_officer", "viewer")
Action = Literal[
    "take", "resolve", "escort", "command", "muster", "identify", "dismiss", "person_data"
]
# read-only pages and the export are open to every role; these are what changes something
RIGHTS: dict[str, frozenset[Action]] = {
    "guard": frozenset({"take", "resolve", "escort", "muster", "identify", "dismiss"}),
    # a person's own data (their copy, their erasure): the health officer's alone
    "health_officer": frozenset(
        {"take", "resolve", "escort", "command", "muster", "identify", "dismiss", "person_data"}
    ),
    "viewer": frozenset(),
}
SENDS_COMMANDS: frozenset[Action] = frozenset({"resolve", "command", "person_data"})
SESSION_COOKIE = "centre_session"
LOGIN_COOKIE = "centre_login"  # the login form's own CSRF token, before any session exists

_hasher = PasswordHasher()
# checked against when the name is unknown, so a wrong name takes as long as a wrong password
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def may(role: str, action: Action) -> bool:
    return action in RIGHTS.get(role, frozenset())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(session_token: str) -> str:
    """The token every form carries: derived from the session's secret, so a page of another
    site can neither read nor forge it, and it dies with the session."""
    return hmac.new(session_token.encode("utf-8"), b"csrf", hashlib.sha256).hexdigest()


def csrf_ok(session_token: str, submitted: str) -> bool:
    return hmac.compare_digest(csrf_token(session_token), submitted)


def same_token(expected: str, submitted: str) -> bool:
    return bool(expected) and hmac.compare_digest(expected.encode(), submitted.encode())


def check_password(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        verify_password(_UNKNOWN_USER_HASH, password)
        return False
    return verify_password(password_hash, password)


@dataclass
class _Failures:
    count: int
    first_s: float
    locked_until_s: float = 0.0


class Lockout:
    """``attempts`` failed logins for one name within ``window_s`` lock that name for
    ``lockout_s``, whatever the password then. Held in memory: a restart forgives, and at most
    ``names`` names are remembered, so a flood of invented names cannot fill the memory."""

    def __init__(
        self,
        attempts: int = 5,
        window_s: float = 900.0,
        lockout_s: float = 300.0,
        names: int = 10_000,
    ) -> None:
        self.attempts, self.window_s, self.lockout_s, self.names = (
            attempts,
            window_s,
            lockout_s,
            names,
        )
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    def locked_for_s(self, name: str, now_s: float) -> float:
        failures = self._failures.get(name)
        if failures is None:
            return 0.0
        return max(0.0, failures.locked_until_s - now_s)

    def failed(self, name: str, now_s: float) -> bool:
        """Count a failure; True when it locks the name."""
        failures = self._failures.get(name)
        if failures is None or now_s - failures.first_s > self.window_s:
            failures = _Failures(0, now_s)
        failures.count += 1
        locks = failures.count >= self.attempts
        if locks:
            failures.locked_until_s = now_s + self.lockout_s
            failures.count, failures.first_s = 0, now_s
        self._failures[name] = failures
        self._failures.move_to_end(name)
        while len(self._failures) > self.names:
            self._failures.popitem(last=False)
        return locks

    def succeeded(self, name: str) -> None:
        self._failures.pop(name, None)
