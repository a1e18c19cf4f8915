"""What a page holds between "prepare" and "confirm" (a command to send, an erasure): bound to
the session that prepared it, good for a few minutes, and never more than a page's limit of them
at once (the oldest go first)."""

from __future__ import annotations

import time
from typing import Protocol, TypeGuard, TypeVar

from terminal.centre.web import auth
from terminal.centre.web.context import Visitor

CONFIRM_WITHIN_S = 300.0


class Held(Protocol):
    @property
    def session(self) -> str: ...  # digest of the session that prepared it

    @property
    def made_s(self) -> float: ...  # time.monotonic() when it was prepared


H = TypeVar("H", bound=Held)


def may_confirm(held: H | None, visitor: Visitor) -> TypeGuard[H]:
    """Whether ``visitor`` may confirm ``held``: their own, and not too old."""
    return (
        held is not None
        and held.session == auth.token_digest(visitor.token)
        and time.monotonic() - held.made_s <= CONFIRM_WITHIN_S
    )


def forget_stale(pending: dict[str, H], most: int) -> None:
    """Drop what is too old to confirm, then the oldest until there is room for one more."""
    now = time.monotonic()
    for key in [k for k, held in pending.items() if now - held.made_s > CONFIRM_WITHIN_S]:
        del pending[key]
    while len(pending) >= most:
        del pending[next(iter(pending))]
