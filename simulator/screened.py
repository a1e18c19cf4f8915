"""How the screening went for a simulated shift's people: how each person's screening ended (by
the record's ``screening`` column), the load it put on the guards against the park's
``screening.secondary_budget``, and the people told to rest: back, resting still, not returned.

The gate's own figures come from its record; beside them, what only the simulator knows (who
really had a fever, who really did not come back)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from simulator.crowd import SimPerson
from simulator.world import Visit
from terminal.record.store import CheckRow, Record

# how a visit's screening ended, in the order the summary names them; ``rest``: told to rest
# and not back (yet)
OUTCOMES = ("pass", "rest_pass", "rest_guard", "guard", "fault", "not_measured")
SCREENED = ("pass", "rest", "rest_pass", "rest_guard", "guard")  # a reading was judged
SENT_ON = ("guard", "rest_guard")  # the screening's word: to the secondary check
# the screening said rest, and no rested reading followed: told to rest and not back, or
# refused for their code, roster or shift whatever the screening said
OUTCOME_WORDS = {
    "rest": "rest not followed by a rested reading (refused for another reason, or not back)"
}
FEVER_CORE_C = 37.5  # the simulator's truth: a fever, whatever the gate's thresholds


@dataclass
class ScreeningTally:
    budget: float  # screening.secondary_budget: the share of people without fever to check
    outcomes: dict[str, int] = field(default_factory=dict)  # each person's last word
    screened: int = 0  # people whose reading the screening judged
    sent_to_guard: int = 0  # of them, sent to the secondary check
    healthy_screened: int = 0  # by the simulator's truth: no fever
    healthy_sent: int = 0
    fevers_screened: int = 0
    # of them, those the screening sent on (guard, rest_guard), whether or not their code,
    # roster or shift refused them anyway
    fevers_sent: int = 0
    told_to_rest: int = 0  # people the gate told to rest at least once
    came_back: int = 0  # of them, screened again after the rest
    resting_at_end: int | None = None  # by the record's rests (None: the record has none)
    not_returned: int | None = None
    did_not_come_back: int = 0  # by the simulator's truth: told to rest, never came back

    @property
    def load(self) -> float:
        return self.sent_to_guard / self.screened if self.screened else 0.0


def screening_word(check: dict[str, Any]) -> str | None:
    """What the screening said at a check: the record's ``screening`` column; for a record
    without it, what its reason and reading tell (an exit: None, nobody screens there)."""
    if "screening" in check:
        return check["screening"]
    if check.get("direction") == "exit":
        return None
    reason = check.get("reason")
    if reason in ("sensor_fault", "not_measured"):
        return "fault" if reason == "sensor_fault" else "not_measured"
    if reason == "secondary_check":
        return "guard"
    return "pass" if check.get("temperature_c") is not None else None


def rests_in(record: Record) -> list[dict[str, Any]] | None:
    """The record's rests, read by their columns' names (None for a record that keeps none)."""
    return record.rests()


def screening_tally(
    visits: list[Visit],
    rows_by_person: dict[str, list[CheckRow]],
    checks: list[dict[str, Any]],
    rests: list[dict[str, Any]] | None,
    budget: float,
) -> ScreeningTally:
    """``visits``: the people of the way in (each once, by their last approach);
    ``rows_by_person``: their checks in order, by the simulator's truth of who stood there;
    ``checks``: the record's; ``rests``: :func:`rests_in`."""
    by_event = {c["event_id"]: c for c in checks}
    tally = ScreeningTally(budget)
    outcomes: Counter[str] = Counter()
    for visit in visits:
        rows = [by_event[r.event_id] for r in rows_by_person.get(visit.person.person_id, [])]
        words = [w for w in map(screening_word, rows) if w is not None]
        if not words:
            continue
        outcomes[words[-1]] += 1
        _count_person(tally, visit.person, words, rows)
    tally.outcomes = {w: outcomes[w] for w in (*OUTCOMES, "rest") if outcomes[w] or w != "rest"}
    tally.did_not_come_back = sum(1 for v in visits if v.outcome == "told_to_rest")
    if rests is not None:
        tally.resting_at_end = sum(1 for r in rests if r.get("status") == "open")
        tally.not_returned = sum(1 for r in rests if r.get("status") == "not_returned")
    return tally


def _count_person(
    tally: ScreeningTally, person: SimPerson, words: list[str], rows: list[dict[str, Any]]
) -> None:
    if any(r["reason"] == "rest" for r in rows):
        tally.told_to_rest += 1
        tally.came_back += rows[-1]["reason"] != "rest"
    if words[-1] not in SCREENED:
        return
    sent = any(r["reason"] == "secondary_check" for r in rows)
    fever = person.core_c >= FEVER_CORE_C
    tally.screened += 1
    tally.sent_to_guard += sent
    tally.fevers_screened += fever
    tally.fevers_sent += fever and words[-1] in SENT_ON
    tally.healthy_screened += not fever
    tally.healthy_sent += not fever and sent


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({100.0 * part / whole:.1f} %)" if whole else f"{part} of 0"


def format_screening(tally: ScreeningTally) -> list[str]:
    """The summary's lines on the screening."""
    said = ", ".join(f"{OUTCOME_WORDS.get(word, word)} {n}" for word, n in tally.outcomes.items())
    lines = [
        f"  screening              {tally.screened} people screened; how it ended: {said}",
        f"  guard load             {_share(tally.sent_to_guard, tally.screened)} sent to the"
        f" guard, budget {100.0 * tally.budget:g} %; without a fever"
        f" {_share(tally.healthy_sent, tally.healthy_screened)}; fevers the screening sent on"
        f" {tally.fevers_sent} of {tally.fevers_screened} (by the simulator's truth)",
    ]
    by_record = (
        f"{tally.resting_at_end} resting at the end, {tally.not_returned} not returned"
        if tally.resting_at_end is not None
        else "the record keeps no rests"
    )
    lines.append(
        f"  rest and re-screen     {tally.told_to_rest} told to rest, {tally.came_back} came"
        f" back; {by_record}; {tally.did_not_come_back} did not come back (by the"
        " simulator's truth)"
    )
    return lines
