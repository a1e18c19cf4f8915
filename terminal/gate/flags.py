"""The secondary check's open flags: each person waiting at the check point for a guard, kept
across a restart (:func:`reopened`), and the buzzer that calls the guard."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from drivers.relay import DigitalOutput
from terminal.codes.healthcode import Colour, HealthCode
from terminal.config import Config
from terminal.record.store import Hold, Record
from terminal.rules.policy import CodeSeen
from terminal.rules.roster import (
    Person,
    Roster,
    RosterProblem,
    RosterRules,
    assess,
    hold_until,
    next_window,
)
from terminal.rules.shifts import Opening

log = logging.getLogger(__name__)
_STATUSES = {"none", "unreadable", "invalid", "multiple", "camera_fault"}


@dataclass
class OpenFlag:
    flag_id: str
    opened_s: float
    person_id: str | None
    code: CodeSeen
    roster_problem: RosterProblem | None  # what the roster said when they were flagged
    hold: Hold | None  # what admitting them holds against a replay of their code
    estimate_c: float | None
    last_alert_s: float
    alerts: int = 1
    # refused for their shift when flagged: their next window, told if the guard's reading is
    # normal and they are refused for it still
    window: Opening | None = None


def held_by(flags: dict[str, OpenFlag], fingerprint: str, person_id: str, now: float) -> str | None:
    """The open flag whose code or person this is, if any. Until the guard decides, the code of
    a person waiting at the check point is theirs: a screenshot of it, handed back to someone in
    the queue, must not be the first to be admitted on it."""
    for flag in flags.values():
        hold = flag.hold  # what admitting them will hold; None for a replay itself
        if (
            hold is not None
            and hold.until_s > now
            and (hold.fingerprint == fingerprint or hold.person_id == person_id)
        ):
            return flag.flag_id
    return None


def reopened(
    record: Record, roster: Roster | None, config: Config, rules: RosterRules, now: float
) -> dict[str, OpenFlag]:
    """Flags left open by an earlier run stay open: a restart does not forget a person waiting
    at the check point. Each is alerted again at once."""
    timezone = ZoneInfo(config.gate.timezone)
    flags: dict[str, OpenFlag] = {}
    for row in record.open_flags():
        seen = _code_of(row)
        person_id = row["person_id"]
        person = roster.get(person_id) if roster is not None and person_id else None
        flagged_at = datetime.fromtimestamp(row["opened_s"], timezone)
        problem = assess(person, flagged_at, rules)
        flags[row["event_id"]] = OpenFlag(
            row["event_id"],
            row["opened_s"],
            person_id,
            seen,
            problem,
            _hold_after_restart(seen, person, flagged_at, config, rules),
            row["temperature_c"],
            last_alert_s=now - config.secondary.realert_s,  # alert again at once
            window=next_window(person, flagged_at, rules) if problem else None,
        )
    if flags:
        log.warning("%d secondary checks still open from before", len(flags))
    return flags


def _code_of(row: dict) -> CodeSeen:
    """The code a flag was raised on, as far as the record keeps it."""
    code = row["code"]
    person_id = row["person_id"]
    if code in {c.value for c in Colour} and person_id:
        signed = HealthCode(
            person_id,
            Colour(code),
            0.0,
            0.0,
            row["code_issuer"] or "",
            row["code_fingerprint"] or "",
        )
        return CodeSeen("valid", signed, replay_of=row["replay_of"])
    return CodeSeen(code if code in _STATUSES else "invalid")


def _hold_after_restart(
    seen: CodeSeen, person: Person | None, flagged_at: datetime, config: Config, rules: RosterRules
) -> Hold | None:
    if seen.code is None or not seen.code.fingerprint or seen.replay_of:
        return None
    replay = config.healthcode.replay
    until_s = hold_until(person, flagged_at, rules, replay.hold_h, replay.any_time_hold_h)
    return Hold(seen.code.fingerprint, seen.code.person_id, until_s)


class Buzzer:
    """The gate's buzzer, on for ``seconds`` at each alert (none wired: silent)."""

    def __init__(
        self, output: DigitalOutput | None, seconds: float, now: Callable[[], float]
    ) -> None:
        self.output = output
        self.seconds = seconds
        self._now = now
        self._off_at: float | None = None

    def buzz(self) -> None:
        if self.output is not None:
            self.output.set(True)
            self._off_at = self._now() + self.seconds

    def off_when_due(self, now: float) -> None:
        if self._off_at is not None and now >= self._off_at and self.output:
            self.output.set(False)
            self._off_at = None
