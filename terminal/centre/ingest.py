"""The collector's messages -> the store's rows.

A message is routed by its topic (``gate/v1/{park}/{gate}/{suffix}``), checked against the
contract and against the topic it came on (a payload naming another gate is refused and written
in the audit log), then written by :mod:`terminal.centre.gate_rows`. Events are deduplicated by
park, gate and ``event_id`` (a gate sends again what it is not sure arrived, and several
collectors may each see a message once); the latest status and metrics of a gate win by their
``occurred_at``. A batch is one transaction, so a message the collector acknowledges after
:meth:`Ingest.ingest_many` returns is stored, or was a duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from terminal.centre import gate_rows
from terminal.centre.audit import audit_row
from terminal.centre.errors import CentreError
from terminal.centre.guarded import Guarded
from terminal.centre.persons import PERSON_COMMANDS, person_answer_audited, store_page
from terminal.centre.times import epoch
from terminal.centre.views import GATE_ALERTS
from terminal.common.safetext import printable
from terminal.link import contract

log = logging.getLogger("terminal.centre.store")

# what a message changed, asked once the batch's statements are done
Answer = Callable[[], bool]


def _nothing() -> bool:
    return False


def _changed() -> bool:
    return True


class BadPayload(CentreError, ValueError):
    """A message the contract does not allow: counted and logged, never stored."""


class ForeignGate(BadPayload):
    """A payload naming another park or gate than the topic it came on: a gate speaking for
    another. Refused like any bad payload, and written in the audit log (someone must look at
    that gate)."""

    def __init__(self, claimed_park: str, claimed_gate: str) -> None:
        super().__init__(f"names {claimed_park}/{claimed_gate}, sent on another gate's topic")


_EVENT_MODELS: dict[str, type[contract.Envelope]] = {
    "event/check": contract.CheckEvent,
    "event/fault": contract.FaultEvent,
    "event/override": contract.OverrideEvent,
    # a passage through the turnstile is kept in the events table, for the record and search
    "event/passage": contract.PassageEvent,
    # so is a vehicle the guard entered at a vehicle gate, with its driver and purpose
    "event/vehicle": contract.VehicleEvent,
    "report/daily": contract.DailyReportEvent,
}


def parse(model: type[BaseModel], payload: bytes) -> Any:
    try:
        return model.model_validate_json(payload)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in error["loc"]) or "(top level)"
        raise BadPayload(f"{where}: {error['type']}") from None


def route(topic: str) -> tuple[str, str, str]:
    """(park, gate, suffix) of a gate topic ``gate/v1/{park}/{gate}/{suffix}``."""
    parts = topic.split("/")
    if len(parts) < 5 or parts[0] != "gate" or parts[1] != contract.VERSION:
        raise BadPayload("not a gate topic")
    return parts[2], parts[3], "/".join(parts[4:])


def same_gate(claimed_park: str, claimed_gate: str, park: str, gate: str) -> None:
    if (claimed_park, claimed_gate) != (park, gate):
        raise ForeignGate(claimed_park, claimed_gate)


def same_kind(event: contract.Envelope, suffix: str) -> None:
    """The topic names what the payload is: an alert's kind, a command result's name."""
    if isinstance(event, contract.AlertEvent):
        data = event.data
        if suffix != f"alert/{data.kind}":
            raise BadPayload(f"data.kind {data.kind!r} sent on {suffix}")
        flagless = data.kind in GATE_ALERTS
        if not flagless and data.check_event_id is None:
            raise BadPayload("data.check_event_id: missing for a flag")
    elif (
        isinstance(event, contract.CommandResultEvent) and suffix != f"cmd/{event.data.name}/result"
    ):
        raise BadPayload(f"data.name {event.data.name!r} sent on {suffix}")


class Ingest:
    """Stores the gates' messages; counts the ones it refuses (:attr:`bad_payloads`)."""

    def __init__(self, guarded: Guarded) -> None:
        self._guarded = guarded
        self._db = guarded.db
        self.bad_payloads = 0

    def ingest_many(self, messages: Sequence[tuple[str, bytes, datetime, bool]]) -> list[bool]:
        """Several messages in one transaction (the collector's batches): all are stored, or
        none (the exception is raised and nothing is acknowledged). True for each message that
        changed something.

        A message the database itself refuses (a NUL character in a text PostgreSQL will not
        store, a number out of its range) must not block the batch for ever: the batch is then
        taken again one message at a time, and that message alone is counted as bad."""
        items = [(t, p, epoch(at), retained) for t, p, at, retained in messages]
        with self._guarded.lock:
            bad_before = self.bad_payloads
            try:
                try:
                    with self._db.pipeline():
                        answers = [self._one(*item) for item in items]
                    results = [answer() for answer in answers]
                except self._db.data_errors:
                    self._db.rollback()
                    self.bad_payloads = bad_before  # counted again, one by one
                    results = [self._one(*item, alone=True)() for item in items]
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise
            if any(results):
                self._db.bump_version()
        return results

    def _one(
        self, topic: str, payload: bytes, received_s: float, retained: bool, alone: bool = False
    ) -> Answer:
        """What the message changed, to be asked once the batch's statements are done (see
        :meth:`_dispatch`)."""
        try:
            park, gate, suffix = route(topic)
            if suffix.startswith("cmd/") and not suffix.endswith("/result"):
                return _nothing  # a command to a gate, ours or another centre's: not an event
            if not alone:
                # every check of the payload comes before the first write: no savepoint needed
                return self._dispatch(park, gate, suffix, topic, payload, received_s, retained)
            with self._db.savepoint():
                return self._dispatch(park, gate, suffix, topic, payload, received_s, retained)
        except BadPayload as exc:
            self._refused(topic, str(exc))
            if isinstance(exc, ForeignGate):
                self._audit_refusal(topic, exc, received_s)
            return _nothing
        except (UnicodeDecodeError, ValueError, TypeError) as exc:
            self._refused(topic, type(exc).__name__)
            return _nothing
        except self._db.data_errors as exc:
            if not alone:
                raise  # the whole batch again, one by one
            self._refused(topic, f"the database refuses it: {type(exc).__name__}")
            return _nothing

    def _refused(self, topic: str, why: str) -> None:
        """Counted, and logged in one line that names the topic, never the content."""
        self.bad_payloads += 1
        log.warning("bad message on %s: %s", topic[:200], why)

    def _audit_refusal(self, topic: str, refusal: ForeignGate, received_s: float) -> None:
        """In the batch's transaction: written with it, or not at all (sent again, it is
        refused again). The topic names the gate that sent it (its own, by the broker's ACL)."""
        sender = "/".join(topic.split("/")[2:4])
        audit_row(
            self._db,
            received_s,
            printable(f"gate {sender}")[:100],
            "refused",
            printable(f"{topic}: {refusal}")[:500],
        )

    def _dispatch(
        self,
        park: str,
        gate: str,
        suffix: str,
        topic: str,
        payload: bytes,
        received_s: float,
        retained: bool,
    ) -> Answer:
        """Store one message; every effect is idempotent (a duplicate changes nothing), so the
        statements of a batch can go to the database without waiting for each answer, and
        whether the message was new is asked at the end."""
        if suffix == "status":
            status: contract.Status = parse(contract.Status, payload)
            same_gate(status.park, status.gate, park, gate)
            return self._status(status, received_s, retained)
        if suffix == "person/data":
            page: contract.PersonDataEvent = parse(contract.PersonDataEvent, payload)
            same_gate(page.park, page.gate, park, gate)
            kept = store_page(self._db, park, gate, page, received_s)
            return lambda: kept() > 0  # False: a page heard twice, or one nobody asked for
        if suffix == "metrics":
            metrics: contract.Metrics = parse(contract.Metrics, payload)
            same_gate(metrics.park, metrics.gate, park, gate)
            gate_rows.metrics(self._db, metrics, received_s)
            return _changed  # the gate was seen: its state may have changed
        model: type[contract.Envelope] | None = _EVENT_MODELS.get(suffix)
        if model is None and suffix.startswith("alert/"):
            model = contract.AlertEvent
        elif model is None and suffix.startswith("cmd/"):
            model = contract.CommandResultEvent
        if model is None:
            raise BadPayload("not a topic of the contract")
        event = parse(model, payload)
        same_gate(event.park, event.gate, park, gate)
        same_kind(event, suffix)
        stored = gate_rows.event(self._db, park, gate, topic, event, payload, received_s)
        self._event_rows(park, gate, event)
        occurred_s = event.occurred_at.timestamp()
        gate_rows.seen(
            self._db, park, gate, min(received_s, occurred_s) if retained else received_s
        )
        return lambda: stored() > 0  # False: this gate sent it before

    def _event_rows(self, park: str, gate: str, event: contract.Envelope) -> None:
        """What follows from an event besides its own row (an override: nothing)."""
        if isinstance(event, contract.CheckEvent):
            gate_rows.check(self._db, park, gate, event)
        elif isinstance(event, contract.AlertEvent):
            gate_rows.alert(self._db, park, gate, event)
        elif isinstance(event, contract.FaultEvent):
            data = event.data
            occurred_s = event.occurred_at.timestamp()
            gate_rows.fault(self._db, park, gate, data.kind, data.active, data.detail, occurred_s)
        elif isinstance(event, contract.DailyReportEvent):
            gate_rows.daily_report(self._db, park, gate, event)
        elif isinstance(event, contract.CommandResultEvent):
            gate_rows.command_result(self._db, park, gate, event)
            if event.data.name in PERSON_COMMANDS:
                person_answer_audited(self._db, park, gate, event)

    def _status(self, status: contract.Status, received_s: float, retained: bool) -> Answer:
        if status.occurred_at is None:
            will = gate_rows.last_will(self._db, status)
            return lambda: will() > 0
        occurred_s = status.occurred_at.timestamp()
        # a retained status is as old as it says, not as fresh as its delivery
        seen_s = min(received_s, occurred_s) if retained else received_s
        gate_rows.seen(self._db, status.park, status.gate, seen_s)
        changed = gate_rows.status(self._db, status, occurred_s)
        return lambda: changed() > 0
