"""The choices a health officer last made on each command form (the gate, lockdown on or off,
the tier, the roster's kind), kept per session so the page shows them again after a command is
sent or refused, instead of every gate and lockdown on."""

from __future__ import annotations

from collections import OrderedDict

from starlette.datastructures import FormData

REMEMBERED_FIELDS = ("target", "on", "tier", "kind")
MAX_SESSIONS = 1000
MAX_VALUE_CHARS = 64

Chosen = dict[str, dict[str, str]]  # command -> field -> value


class Choices:
    def __init__(self, sessions: int = MAX_SESSIONS) -> None:
        self.sessions = sessions
        self._made: OrderedDict[str, Chosen] = OrderedDict()

    def remember(self, session: str, command: str, form: FormData) -> None:
        """What ``form`` chose for ``command``; ``session`` is the session token's digest."""
        chosen = {
            name: str(form.get(name, ""))[:MAX_VALUE_CHARS]
            for name in REMEMBERED_FIELDS
            if isinstance(form.get(name), str)
        }
        made = self._made.setdefault(session, {})
        made[command[:MAX_VALUE_CHARS]] = chosen
        self._made.move_to_end(session)
        while len(self._made) > self.sessions:  # sessions that left long ago
            self._made.popitem(last=False)

    def of(self, session: str) -> Chosen:
        return self._made.get(session, {})
