"""The people beside the lane, in the simulated world: those the display told to rest, who wait
in the rest area and join the queue again; and those waiting at the secondary check point, whom
staff let through the turnstile after a guard's clinical reading.

The world hears of both only as real people would: the worker's display says ``rest`` to the
person in front, or ``staff_admitted:<person_id>`` (the person of that code may pass now). A
turnstile released for a staff admission is not the answer of whoever stands in front meanwhile:
the gate answers the person in front with the green lamp, and frees the turnstile without it
only for a fire alarm or for someone staff let through, whom the display names just before or
after the release.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, MutableSequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.crowd import SimPerson

if TYPE_CHECKING:
    from simulator.world import Visit, World

# the display's words the world acts on
REST = "rest"
STAFF_ADMITTED = "staff_admitted:"
# a relay release this soon after the display named a staff admission is that admission's
CLAIM_S = 0.5
# a release without the green lamp is a staff admission's, which the display names this soon
# after it (once the relay's pulse is over, at the longest)
NAMED_WITHIN_S = 15.0
# told to rest this often and still not let through: they give up and go home
MAX_RESTS = 3


def known_as(person: SimPerson, person_id: str) -> bool:
    """Does the gate know ``person`` as ``person_id``: the id of the code they show (their own,
    or the one the scenario gives them: a worker coming again, a code passed back)."""
    return person_id in (person.code_of, person.scenario_id, person.person_id)


def comes_back(person: SimPerson) -> bool:
    """Told to rest, whether they come back (the scenario's ``returns``; yes by default)."""
    return bool(getattr(person, "returns", True))


@dataclass
class Resting:
    """Someone told to rest: their approaches so far, and when they join the queue again."""

    approaches: list[Visit]
    back_at: float


class Aside:
    """Who is beside ``world``'s lane, and what the display's words make them do."""

    def __init__(self, world: World, rest_s: float) -> None:
        """``rest_s``: how long the display tells a person to rest (``screening.rest_min``)."""
        self.world = world
        self.rest_s = rest_s
        self.resting: dict[str, Resting] = {}  # by the simulation's person id
        # staff admissions the display named, whose release has not come yet
        self._claims: list[float] = []
        # releases for a staff admission the display has not named yet
        self._unnamed: list[float] = []
        # people a guard brings back to the turnstile, with the moment the staff release is due
        # (for a gate that does not tell its display of a staff admission)
        self._escorted: dict[str, float] = {}

    # --- rest and re-screen -------------------------------------------------------------------
    def told_to_rest(self, front: Visit) -> None:
        """The display told the person in front to rest: they read where and for how long, and
        step out of the lane (a red lamp may have sent them aside already)."""
        now = self.world.clock.time()
        if front.told_to_rest_at is None:
            front.told_to_rest_at = now
        if front.leave_at is None:
            front.reacted_at = now
            front.leave_at = now + self.world.pace.read_screen_s
        front.outcome = "told_to_rest"

    def leaves_to_rest(self, visit: Visit) -> bool:
        """The person told to rest has left the lane: True when they will come back (their
        approach is kept for when they do), False when this approach was their last."""
        if visit.told_to_rest_at is None or not comes_back(visit.person):
            return False
        earlier = [*visit.earlier, visit]
        if len(earlier) > MAX_RESTS:
            return False
        assert visit.leave_at is not None
        back_at = visit.leave_at + self.rest_s + self.world.pace.rest_walk_s
        self.resting[visit.person.person_id] = Resting(earlier, back_at)
        return True

    def back_at(self, person: SimPerson) -> float | None:
        """When a resting person joins the queue again (None: they are not resting)."""
        resting = self.resting.get(person.person_id)
        return None if resting is None else resting.back_at

    def back_from_rest(self, visit: Visit) -> None:
        """The person stands in front again after a rest (their forehead, longer indoors, is
        the world's to serve): their approaches so far go with this one."""
        resting = self.resting.pop(visit.person.person_id, None)
        if resting is not None:
            visit.earlier = resting.approaches
            visit.rejoined_at = resting.back_at

    # --- the secondary check point ------------------------------------------------------------
    def staff_admitted(self, person_id: str) -> None:
        """Staff let the person of ``person_id``'s code through: they walk over from the check
        point and through the turnstile. The release that follows is theirs, whoever is in
        front."""
        now = self.world.clock.time()
        visit = next(
            (
                v
                for v in self._everyone()
                if v.outcome == "turned_away"
                and not v.staff_pulses
                and known_as(v.person, person_id)
            ),
            None,
        )
        if visit is None:
            return  # nobody of that code waits there (a guard brought them over already)
        self._unnamed = [t for t in self._unnamed if now - t <= NAMED_WITHIN_S]
        if self._unnamed:
            self._unnamed.pop(0)  # the release that came just before is theirs
        else:
            self._claims.append(now)  # the release that comes next is
        self._escorted.pop(visit.person.person_id, None)
        self._through(visit, now + self.world.pace.from_check_point_s)

    def released(self, at_s: float, answer: bool) -> bool:
        """The turnstile released at ``at_s``; ``answer``: with the green lamp that answers the
        person in front (or on a side without one). True when it is theirs: an answer, or the
        fire alarm; not a staff admission (named by the display, or the release a guard
        brought someone over for)."""
        escorted = next((pid for pid, at in self._escorted.items() if at == at_s), None)
        if escorted is not None:
            self._staff_release(escorted)
            return False
        self._claims = [t for t in self._claims if at_s - t <= CLAIM_S]
        if self._claims:
            self._claims.pop(0)
            return False
        if answer or self.world.alarm_sounds(at_s):
            return True
        self._unnamed.append(at_s)  # someone staff let through: the display names them
        return False

    def escort(self, person_id: str, at: float) -> None:
        """A guard brings ``person_id`` to the turnstile: a release at ``at`` is theirs."""
        self._escorted[person_id] = at

    def escort_over(self, person_id: str, admitted: bool = False) -> None:
        """The guard's walk is over. An admitted person whose release the world did not see (the
        turnstile was held free for someone else already: no edge on the relay) goes through."""
        waiting = self._escorted.pop(person_id, None) is not None
        if waiting and admitted and self.world.turnstile_released:
            self._staff_release(person_id)

    def _staff_release(self, person_id: str) -> None:
        self._escorted.pop(person_id, None)
        at = self.world.clock.time() + self.world.pace.pass_s
        visit = next((v for v in self._everyone() if v.person.person_id == person_id), None)
        if visit is not None:
            self._through(visit, at)
        else:
            self.world.went_through(at)

    def _through(self, visit: Visit, at: float) -> None:
        visit.staff_pulses += 1
        visit.staff_through_at = at
        self.world.went_through(at)

    def _everyone(self) -> list[Visit]:
        """Everyone who has been to the gate, the one in front and then the last first."""
        front = self.world.front
        return [*([front] if front is not None else []), *reversed(self.world.visits)]


def rejoin(
    queue: MutableSequence[SimPerson], person: SimPerson, joins_at: Callable[[SimPerson], float]
) -> None:
    """``person`` joins ``queue`` (kept in the order people join it) at their time."""
    keys = [joins_at(p) for p in queue]
    queue.insert(bisect.bisect_right(keys, joins_at(person)), person)
