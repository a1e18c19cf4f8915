"""The secondary check: a flagged person waits at the check point beside the gate until a guard
has measured them with a clinical thermometer.

A flag is opened with the check that raised it (its ``event_id`` is the flag's id); security is
alerted at once on MQTT and by the buzzer at the gate, and again every ``secondary.realert_s``
while the flag is open. The guard's result comes as a command (:mod:`terminal.link.commands`):
normal, and the person is decided again with that reading and the tier and lockdown in force
(admitted by staff with one relay pulse, or still refused for their code, roster entry or a
lockdown); fever confirmed, and they go to the isolation room named in the configuration, with a
``fever`` alert. The command is the framework's (:mod:`terminal.link.commands`: signed, expiring,
nonce-checked); this desk registers its handler for ``resolve_secondary``. Every step is written
into the record's ``secondary_steps`` with who did it.

Also here: the thermometer's fault and recovery events, recorded and sent.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import replace

from drivers.relay import DigitalOutput
from terminal.config import Config
from terminal.gate.flags import Buzzer, OpenFlag, held_by, reopened
from terminal.gate.passage import PassageWatch
from terminal.link import contract
from terminal.link.commands import Command, CommandContext, CommandRefused, CommandRegistry
from terminal.link.topics import Messages
from terminal.record.store import CheckRow, Hold, OutboxMessage, PassageRow, Record
from terminal.rules.policy import (
    CodeRules,
    CodeSeen,
    Decision,
    Reason,
    ZoneState,
    resolve_secondary,
)
from terminal.rules.roster import (
    Roster,
    RosterProblem,
    RosterRules,
)
from terminal.rules.shifts import Opening

log = logging.getLogger(__name__)
GATE = "gate"  # who did a step the gate did by itself


class SecondaryDesk:
    def __init__(
        self,
        *,
        config: Config,
        record: Record,
        messages: Messages,
        passages: PassageWatch,
        buzzer: DigitalOutput | None,
        now: Callable[[], float],
        clock_trusted: Callable[[], bool],
        roster: Roster | None = None,
        roster_rules: RosterRules | None = None,
        code_rules: Callable[[], CodeRules] = CodeRules,
        lockdown: Callable[[], bool] = lambda: False,
        zone: Callable[[str | None], ZoneState] = lambda _person: ZoneState(),
        admitted: Callable[[str | None, float], None] | None = None,
    ) -> None:
        """``admitted``: told of a person the guard's reading admitted, and the end of their
        passage window (the worker's display tells them to pass now)."""
        self.config = config
        self._admitted = admitted
        self.record = record
        self.messages = messages
        self.passages = passages  # an admission by staff opens a passage, as any admission
        self.buzzer = Buzzer(buzzer, config.outputs.buzzer_s, now)
        self._now = now
        self._clock_trusted = clock_trusted
        self._roster_rules = roster_rules or RosterRules.from_config(config)
        self._code_rules = code_rules
        self._zone_state = zone  # the gate's zone for a person, when the guard answers
        self._lockdown = lockdown
        self.open = reopened(record, roster, config, self._roster_rules, now())

    # --- steps --------------------------------------------------------------------------------
    def _step(
        self, flag_id: str, step: str, by: str, clinical_c: float | None = None, detail: str = ""
    ) -> dict:
        return {
            "flag_id": flag_id,
            "at_s": self._now(),
            "step": step,
            "by": by,
            "clinical_c": clinical_c,
            "detail": detail,
        }

    def _write(
        self,
        rows: list[dict],
        messages: list[OutboxMessage],
        hold: Hold | None = None,
        passage: PassageRow | None = None,
    ) -> None:
        self.record.add_event(
            uuid.uuid4().hex,
            messages,
            rows[-1]["at_s"],
            table="secondary_steps",
            rows=rows,
            hold=hold,
            passage=passage,
        )

    # --- a flag -------------------------------------------------------------------------------
    def flagged(
        self,
        row: CheckRow,
        code: CodeSeen,
        roster_problem: RosterProblem | None,
        hold: Hold | None = None,
        window: Opening | None = None,
    ) -> None:
        """The check ``row`` (already recorded, with its alert) sent someone to the check point;
        ``window``: their next shift window, when the roster refuses them for their shift."""
        now = self._now()
        self.open[row.event_id] = OpenFlag(
            row.event_id,
            now,
            row.person_id,
            code,
            roster_problem,
            hold,
            row.temperature_c,
            last_alert_s=now,
            window=window,
        )
        self._write([self._step(row.event_id, "sent_to_secondary_check", GATE)], [])
        self.buzzer.buzz()

    def serve(self) -> None:
        """Between checks: re-alert open flags, silence the buzzer."""
        now = self._now()
        for flag in self.open.values():
            if now - flag.last_alert_s >= self.config.secondary.realert_s:
                flag.last_alert_s = now
                flag.alerts += 1
                message = self.messages.flag_alert(
                    flag.flag_id,
                    "secondary_check",
                    now,
                    {
                        "person_id": flag.person_id,
                        "temperature_c": flag.estimate_c,
                        "route": "secondary_check",
                        "open_s": round(now - flag.opened_s, 1),
                        "alerts": flag.alerts,
                    },
                )
                self._write(
                    [self._step(flag.flag_id, "realerted", GATE, detail=f"alert {flag.alerts}")],
                    [message],
                )
                log.warning(
                    "a secondary check is still open at gate %s: alerted again",
                    self.messages.topics.gate,
                )
                self.buzzer.buzz()
        self.buzzer.off_when_due(now)

    # --- the guard's command ------------------------------------------------------------------
    def register(self, registry: CommandRegistry) -> None:
        """This desk answers ``resolve_secondary`` (in place of the framework's refusal)."""
        registry.register("resolve_secondary", contract.ResolveSecondaryPayload, self.handle)

    def handle(self, command: Command, context: CommandContext | None = None) -> str:
        """The framework has checked the signature, expiry, nonce and the payload's fields;
        here: the flag must be open and the result must agree with the clinical threshold."""
        payload = command.payload
        assert isinstance(payload, contract.ResolveSecondaryPayload)
        flag = self.open.get(payload.flag_id)
        threshold = self.config.secondary.clinical_fever_c
        if flag is None:
            raise CommandRefused("flag_id: no open secondary check with this id")
        if (payload.result == "fever") != (payload.clinical_c >= threshold):
            raise CommandRefused(
                f"result: {payload.result!r} contradicts clinical_c against the clinical fever "
                "threshold secondary.clinical_fever_c"
            )
        return self._resolve(flag, payload, command.issued_by)

    def _resolve(
        self, flag: OpenFlag, payload: contract.ResolveSecondaryPayload, sender: str
    ) -> str:
        now = self._now()
        decision = resolve_secondary(
            payload.clinical_c,
            self.config.secondary.clinical_fever_c,
            self._held_now(flag.code, now),
            flag.roster_problem,
            clock_trusted=self._clock_trusted(),
            code_rules=self._code_rules(),
            lockdown=self._lockdown(),
            zone=self._zone_state(flag.person_id),
            next_window=flag.window,
        )
        steps = [
            self._step(
                flag.flag_id,
                "clinical_reading",
                payload.guard,
                payload.clinical_c,
                detail=f"sent by {sender}"[:200],
            )
        ]
        outcome, messages = self._outcome(flag, payload, decision, steps)
        # the record first: the turnstile never moves for a step that is not written down
        passage = None
        if decision.admit:
            passage = self.passages.opening(flag.flag_id, "guard", flag.person_id, now)
            messages.extend(self.passages.opened_messages(passage))
        self._write(steps, messages, flag.hold if decision.admit else None, passage)
        del self.open[flag.flag_id]
        if passage is not None:
            # the passage window runs from this resolution, not from the check that flagged
            self.passages.release(passage)
            if self._admitted is not None:
                window_s = passage.window_s or self.passages.pulse_s  # no contact: the pulse
                self._admitted(flag.person_id, passage.released_s + window_s)
        return f"flag {flag.flag_id}: {outcome} ({_reason_text(decision)})"

    def held_by(self, fingerprint: str, person_id: str, now: float) -> str | None:
        """The open flag whose code or person this is, if any (see :func:`flags.held_by`)."""
        return held_by(self.open, fingerprint, person_id, now)

    def _held_now(self, seen: CodeSeen, now: float) -> CodeSeen:
        """The code as it stands now: while the person waited, the same code (or person) may
        have been admitted, a screenshot handed back among those waiting at the check point."""
        if seen.code is None or seen.replay_of is not None or not seen.code.fingerprint:
            return seen
        held_by = self.record.held_by(seen.code.fingerprint, seen.code.person_id, now)
        return replace(seen, replay_of=held_by) if held_by else seen

    def _outcome(
        self,
        flag: OpenFlag,
        command: contract.ResolveSecondaryPayload,
        decision: Decision,
        steps: list[dict],
    ) -> tuple[str, list[OutboxMessage]]:
        now = self._now()
        common = {
            "person_id": flag.person_id,
            "clinical_c": command.clinical_c,
            "guard": command.guard,
            "reason": decision.reason.value,
            "route": decision.route.value,
        }
        window = {"next_window": decision.window.interval()} if decision.window else {}
        room = self.config.secondary
        isolation = {
            "isolation_room": room.isolation_room,
            "isolation_location": room.isolation_location,
        }
        routed = self._step(
            flag.flag_id,
            "routed_to_isolation",
            GATE,
            detail=f"{room.isolation_room}, {room.isolation_location}",
        )
        if decision.reason is Reason.FEVER and decision.alert is not None:  # a confirmed fever
            steps.append(
                self._step(flag.flag_id, "fever_confirmed", command.guard, command.clinical_c)
            )
            steps.append(routed)
            log.warning(
                "fever confirmed at gate %s: routed to the isolation room",
                self.messages.topics.gate,
            )
            fields = {**common, **isolation}
            return "fever", [
                self.messages.flag_alert(flag.flag_id, decision.alert.value, now, fields)
            ]
        step = "admitted_by_staff" if decision.admit else "refused_after_check"
        steps.append(self._step(flag.flag_id, step, command.guard, detail=_reason_text(decision)))
        outcome = "admitted" if decision.admit else "refused"
        messages = [
            self.messages.flag_alert(
                flag.flag_id, "secondary_resolved", now, {**common, "outcome": outcome, **window}
            )
        ]
        if decision.alert is not None:
            # no fever, but the code's colour or a positive test sends them to the isolation
            # room after all: that alert, as the gate would have sent it
            steps.append(routed)
            messages.append(
                self.messages.flag_alert(
                    flag.flag_id, decision.alert.value, now, {**common, **isolation}
                )
            )
        return outcome, messages


def _reason_text(decision: Decision) -> str:
    """The reason, and the next window of a worker refused for their shift."""
    if decision.window is None:
        return decision.reason.value
    return f"{decision.reason.value}; next window {decision.window.interval()}"


class SensorEvents:
    """The thermometer's fault and recovery: into the record's ``sensor_events`` and to
    security."""

    def __init__(self, record: Record, messages: Messages, now: Callable[[], float]) -> None:
        self.record = record
        self.messages = messages
        self._now = now

    def __call__(self, kind: str, detail: str) -> None:
        now = self._now()
        event_id = uuid.uuid4().hex
        log.warning("thermometer at gate %s: %s (%s)", self.messages.topics.gate, kind, detail)
        self.record.add_event(
            event_id,
            [self.messages.sensor(kind, now, detail, event_id)],
            now,
            table="sensor_events",
            rows=[{"at_s": now, "kind": kind, "detail": detail}],
        )
