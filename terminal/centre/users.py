"""The centre's staff names and passwords, checked before anything is stored or asked."""

from __future__ import annotations

import re

from terminal.centre.store import StoreError
from terminal.common.safetext import check_plain_text, printable

# the contract's id pattern: a user's name travels as the `guard` of a resolve_secondary command
USER_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
MIN_PASSWORD_CHARS = 8


def check_user_name(name: str) -> str:
    """``name`` unchanged, or :class:`StoreError` in one line. The whole name must match: a
    trailing newline is refused, not taken for the end of the name."""
    try:
        check_plain_text(name, f"user name {printable(name)!r}")
    except ValueError as exc:
        raise StoreError(str(exc)) from None
    if not USER_NAME.fullmatch(name):
        raise StoreError(
            f"user name {printable(name)!r}: letters, digits and _ . : - only, 1 to 64"
        )
    return name


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise StoreError(f"password: at least {MIN_PASSWORD_CHARS} characters")
    return password
