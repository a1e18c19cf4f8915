"""Where a person went after a check or a secondary check: one answer for the printed record,
the centre's records page and its CSV, so that paper and screen agree.

An admission opens a passage through the turnstile; only the passage says whether the person
went through (``passed``), was let through but did not pass within the window (``not_passed``:
turned back), or is still inside the window (``waiting``). Without a passage contact the gate
only releases the turnstile (``unconfirmed``); a gate stopped during the window cannot tell
(``unknown``)."""

from __future__ import annotations

from dataclasses import dataclass

from terminal.common.printed.words import WENT_TO_WORDS, Language, word

# a passage's outcome -> where the admitted person went
_BY_PASSAGE = {
    "passed": "through",
    "not_passed": "turned_back",
    "waiting": "not_yet_through",
}


@dataclass(frozen=True)
class WentTo:
    """``where``: a key of :data:`WENT_TO_WORDS` (through, turned_back, not_yet_through,
    released, isolation_room, aside, secondary_check, wait, rest); ``room``: the isolation room
    and where it is, when known."""

    where: str
    room: str | None = None

    def words(self, language: Language) -> str:
        """As printed: the room by its name when it is known, otherwise the key's words."""
        if self.where == "isolation_room" and self.room:
            return self.room
        return word(WENT_TO_WORDS, self.where, language)


def went_to(
    outcome: str | None,
    route: str | None,
    isolation_room: str | None,
    passage: str | None,
) -> WentTo | None:
    """Where the person went, or None when that is not decided yet (a secondary check still
    open, or a check's route this software does not know).

    - ``outcome``: how the person's secondary check ended (``fever_confirmed``, ``admitted``,
      ``refused``, ``open``; the centre's flag state ``escorted`` too), or None for a check of
      its own;
    - ``route``: the policy's route of the decision (``through``, ``aside``,
      ``isolation_room``, ``secondary_check``, ``wait``, ``rest``), or None where not kept;
    - ``isolation_room``: the room (and where it is) the person was taken to, when they were
      ("": taken there, its name not known), else None;
    - ``passage``: the outcome of the admission's passage (``passed``, ``not_passed``,
      ``waiting``, ``unconfirmed``, ``unknown``), or None when none is known.

    A person taken to the isolation room went there, whatever else; an admission (by the gate,
    or by staff after a secondary check) went where its passage says: through the gate, turned
    back, not yet through, or released without a passage contact to tell."""
    if (
        isolation_room is not None
        or route == "isolation_room"
        or outcome in ("fever_confirmed", "escorted")
    ):
        return WentTo("isolation_room", isolation_room or None)
    if outcome == "admitted" or (outcome is None and route == "through"):
        return WentTo(_BY_PASSAGE.get(passage or "", "released"))
    if outcome == "refused":
        return WentTo("aside")
    if outcome is None and route in WENT_TO_WORDS:
        return WentTo(route)
    return None
