"""Staff let one person through, by the centre's command or with the staff button; and the
barrier lifts once for the vehicle of a held admission. Written down first, then moved."""

from __future__ import annotations

from collections.abc import Callable

from terminal.gate.actuators import Actuators
from terminal.link.topics import Messages, new_event_id
from terminal.record.store import PassageRow, Record
from terminal.rules.policy import Decision, Reason, Route

THROUGH = Decision(True, Reason.ADMITTED, Route.THROUGH)


class Override:
    def __init__(
        self,
        *,
        record: Record,
        messages: Messages,
        actuators: Actuators,
        now: Callable[[], float],
    ) -> None:
        self.record = record
        self.messages = messages
        self.actuators = actuators
        self._now = now

    def open_once(
        self, reason: str, by: str, command_id: str | None = None, source: str = "command"
    ) -> str:
        """The override (who, why) and its passage are recorded, then the turnstile releases
        once. Returns the override's event id. Raises when the record cannot be written: then
        it stays shut."""
        now = self._now()
        event_id = new_event_id()
        passages = self.actuators.passages
        message = self.messages.override(event_id, now, reason, by, command_id, source)
        row = {
            "event_id": event_id,
            "at_s": now,
            "source": source,
            "by": by,
            "reason": reason,
            "command_id": command_id,
        }
        passage = passages.opening(event_id, source, None, now)
        self.record.add_event(
            event_id,
            [message, *passages.opened_messages(passage)],
            now,
            table="overrides",
            rows=[row],
            passage=passage,
        )
        self.through(passage)
        return event_id

    def through(self, passage: PassageRow) -> None:
        """Once through, for a passage written down (a vehicle's lift too)."""
        self.actuators.lamps_off()
        self.actuators.act(THROUGH, passage)
