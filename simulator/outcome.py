"""How the shift ended for its people, from the record: who went in and on whose word (the gate's
check, or staff after a secondary check), who was refused and why, whoever was left undecided.
The summary says this first; the checks, flags and timings that led there come after it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from simulator.world import Visit
from terminal.record.store import CheckRow

# the steps of the secondary check that end a flag, with the reason the person was given
RESOLVING_STEPS = ("admitted_by_staff", "refused_after_check", "fever_confirmed")

# who let a person through the turnstile, in the record's passages
ADMITTED_BY = {
    "check": "on the gate's check",
    "guard": "let in by staff after a secondary check",
    "command": "let in by the centre's command",
    "staff_button": "let in by the staff button",
}


def guard_decisions(secondary_steps: list[dict]) -> dict[str, tuple[str, str]]:
    """Each resolved flag (by the check that raised it): the step that ended it and the reason
    the person was given. The step's detail may add the next window of a worker refused for
    their shift ("shift_late; next window 08:00-08:15"): the reason is what comes before it. A
    confirmed fever's step carries the clinical reading, not a reason: its reason is fever."""
    return {
        step["flag_id"]: (
            step["step"],
            "fever" if step["step"] == "fever_confirmed" else step["detail"].split(";")[0].strip(),
        )
        for step in secondary_steps
        if step["step"] in RESOLVING_STEPS
    }


@dataclass
class FinalOutcome:
    """The shift's people by how it ended for them (a person checked twice, e.g. after showing
    no code, counts once: by their last check)."""

    people: int
    went_in: dict[str, int] = field(default_factory=dict)  # admitted_by -> passages through
    passage_contact: bool = True  # without one, whether an admitted person went in is unknown
    admitted_at_gate: int = 0
    admitted_by_staff: int = 0
    turned_back: int = 0  # admitted, and did not go through (by the passage contact)
    refused_at_gate: dict[str, int] = field(default_factory=dict)  # reason -> people
    refused_after_check: dict[str, int] = field(default_factory=dict)  # reason -> people
    still_open: int = 0  # flagged, and no guard has decided yet
    no_answer: int = 0  # stood at the gate and got no decision
    freed: int = 0  # in front when the fire alarm freed the turnstile: through, unchecked
    not_back: int = 0  # told to rest and scan again, and did not come back

    @property
    def refused(self) -> int:
        return sum(self.refused_at_gate.values()) + sum(self.refused_after_check.values())


def final_outcome(
    visits: list[Visit],
    rows_by_person: dict[str, list[CheckRow]],
    decisions: dict[str, tuple[str, str]],
    passages: list[dict],
) -> FinalOutcome:
    """``visits``: the people as they came to the gate; ``rows_by_person``: each person's
    checks in order (the simulator's truth of who stood in front); ``decisions``:
    :func:`guard_decisions`; ``passages``: the gate's own, of this way."""
    final = FinalOutcome(people=len(visits))
    at_gate: Counter[str] = Counter()
    after_check: Counter[str] = Counter()
    for visit in visits:
        rows = rows_by_person.get(visit.person.person_id)
        if not rows:
            if visit.outcome == "freed":
                final.freed += 1
            else:
                final.no_answer += 1
            continue
        last = rows[-1]
        if last.reason == "secondary_check":
            if last.event_id not in decisions:
                final.still_open += 1
                continue
            step, reason = decisions[last.event_id]
            if step == "admitted_by_staff":
                final.admitted_by_staff += 1
            else:
                after_check[reason] += 1
        elif last.reason == "rest":
            final.not_back += 1
        elif last.decision == "admit":
            final.admitted_at_gate += 1
        else:
            at_gate[last.reason] += 1
    final.refused_at_gate = dict(at_gate.most_common())
    final.refused_after_check = dict(after_check.most_common())
    final.passage_contact = any(p["outcome"] != "unconfirmed" for p in passages)
    through = Counter(p["admitted_by"] for p in passages if p["outcome"] == "passed")
    final.went_in = dict(through.most_common())
    final.turned_back = sum(1 for p in passages if p["outcome"] == "not_passed")
    return final


def format_outcome(final: FinalOutcome) -> list[str]:
    """The summary's first lines."""
    admitted = final.admitted_at_gate + final.admitted_by_staff
    by_whom = (
        f"{final.admitted_at_gate} on the gate's check,"
        f" {final.admitted_by_staff} by staff after a secondary check"
    )
    if final.passage_contact:
        order = list(ADMITTED_BY)  # the gate's own checks first
        ways = [
            f"{n} {ADMITTED_BY.get(k, k)}"
            for k, n in sorted(
                final.went_in.items(), key=lambda kn: order.index(kn[0]) if kn[0] in order else 9
            )
        ]
        if final.freed:  # no admission, no passage: the alarm held the turnstile free
            ways.append(f"{final.freed} freed by the fire alarm, unchecked")
        went = sum(final.went_in.values()) + final.freed
        lines = [
            f"  went in                {went} of {final.people} people"
            + (f": {', '.join(ways)}" if ways else "")
        ]
        if admitted != went or final.turned_back:  # the admissions, where they differ
            lines.append(
                f"  admitted               {admitted} people: {by_whom}"
                + (f"; {final.turned_back} did not go through" if final.turned_back else "")
            )
    else:
        lines = [
            f"  admitted               {admitted} of {final.people} people: {by_whom}"
            " (no passage contact: whether they went in is not known)"
        ]
    refused_at_gate = sum(final.refused_at_gate.values())
    lines.append(
        f"  refused                {final.refused} people: {refused_at_gate} at the gate,"
        f" {final.refused - refused_at_gate} by staff after a secondary check"
    )
    reasons = Counter(final.refused_at_gate) + Counter(final.refused_after_check)
    for reason, count in reasons.most_common():
        after = final.refused_after_check.get(reason, 0)
        lines.append(
            f"    {reason:<20} {count}" + (f" ({after} after a secondary check)" if after else "")
        )
    if final.still_open or final.no_answer or final.not_back:
        lines.append(
            f"  undecided              {final.still_open} flags still open,"
            f" {final.no_answer} people without an answer"
            + (f", {final.not_back} told to rest and not back" if final.not_back else "")
        )
    return lines
