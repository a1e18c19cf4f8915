"""A record that cannot be written (a full disk, above all) keeps the gate shut: no check is
recorded, so nobody is admitted. This says so once when it starts (log, status) and, when the
record takes a check again, ends the fault and records when it started and ended."""

from __future__ import annotations

import logging
from collections.abc import Callable

from terminal.link.topics import Messages, iso_utc, new_event_id
from terminal.record.store import FaultRow, Record, is_full
from terminal.rules.policy import Reason
from terminal.state import GateState

log = logging.getLogger(__name__)
RECORD_FAULTS = ("record_full", "record_unwritable")


def record_fault(
    record: Record, messages: Messages, kind: str, active: bool, detail: str, now_s: float
) -> None:
    """A fault starting or ending: its row in the faults table and its event, together."""
    event_id = new_event_id()
    message = messages.fault(kind, now_s, detail, active=active, event_id=event_id)
    record.add_faults(event_id, [message], now_s, [FaultRow(event_id, kind, active, now_s)])


class RecordFaultWatch:
    def __init__(
        self,
        state: GateState,
        record: Record,
        messages: Messages,
        status_changed: Callable[[], None],
    ) -> None:
        self.state = state
        self.record = record
        self.messages = messages
        self._status_changed = status_changed
        self._since_s: float | None = None

    def failed(self, exc: Exception, now_s: float) -> Reason:
        """A check could not be written: the reason the person is refused."""
        kind = "record_full" if is_full(exc) else "record_unwritable"
        if kind not in self.state.faults:
            self.state.faults[kind] = f"since {iso_utc(now_s)}"
            self._since_s = now_s if self._since_s is None else self._since_s
            log.error(
                "the record cannot be written (%s): the turnstile stays shut for everyone "
                "until it can",
                "disk full" if kind == "record_full" else type(exc).__name__,
            )
            self._status_changed()
        else:
            log.debug("the record still cannot be written: %s", type(exc).__name__)
        return Reason.RECORD_FULL if kind == "record_full" else Reason.INTERNAL_ERROR

    def written(self, now_s: float) -> None:
        """A check was written: a fault, if there was one, is over."""
        ended = [kind for kind in RECORD_FAULTS if kind in self.state.faults]
        if not ended:
            return
        started = self._since_s if self._since_s is not None else now_s
        self._since_s = None
        messages = []
        for kind in ended:
            detail = f"the record could not be written {self.state.faults.pop(kind)}"
            messages.append(self.messages.fault(kind, started, detail, active=True))
            messages.append(self.messages.fault(kind, now_s, detail, active=False))
        log.warning("the record can be written again; the gate checks people again")
        rows = [FaultRow(new_event_id(), kind, True, started) for kind in ended]
        try:
            self.record.add_faults(new_event_id(), messages, now_s, rows)
        except Exception as exc:  # full again at once: the next check says so
            log.error("cannot record the end of the fault: %s", type(exc).__name__)
        self._status_changed()
