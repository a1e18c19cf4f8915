"""The approach: who is standing in front of the gate, from their check until they are gone.

After its check, an approach lasts while its person is still there: while the code it was decided
on is in view, or the thermometer still feels a face. It ends when a face comes back after
``timing.clear_s`` without one (the next person), or when its code has been out of view that long
and either the face has been gone as long or a different code is shown (a person refused for
showing no code may show it then; that is a new check). Nothing else that happens during an
approach starts another check, so a code left in view, or held up by the next person in the queue,
is not checked against the wrong forehead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from drivers.qr import Scan
from terminal.display.state import DisplayState
from terminal.gate.codes import CodesInView
from terminal.rules.policy import Reason, Route


@dataclass
class Approach:
    """The person in front after their check, until they are gone."""

    codes: frozenset[str]  # every code seen during the check
    codes_seen_at: float
    face_gone_since: float | None = None  # first "no face" reading since a face was last felt
    face_gone_long: bool = False  # "no face" readings (not sensor faults) spanned clear_s
    face_gone_since_code: bool = False  # a "no face" reading since the codes were last in view
    waiting: bool = False  # told to wait for room in the zone: checked again when there is

    def over(
        self,
        scan: Scan,
        face: bool | None,
        now: float,
        clear_s: float,
        other_code: Callable[[], bool],
    ) -> bool:
        """Is this person gone, as of ``scan`` and the presence reading ``face``?
        ``other_code``: a code this approach was not decided on is in view, unspent."""
        if face is False:
            if self.face_gone_since is None:
                self.face_gone_since = now
            self.face_gone_long |= now - self.face_gone_since >= clear_s
            self.face_gone_since_code = True
        elif face:
            if self.face_gone_long:
                return True  # the face was gone a while and a face is back: the next person
            self.face_gone_since = None
        # face None: the sensor cannot tell, which neither starts nor ends an absence
        if self.codes & set(scan.texts) or (not self.codes and scan.unreadable):
            self.codes_seen_at = now  # an unreadable code stands for the unreadable one
            self.face_gone_since_code = face is False
        if now - self.codes_seen_at < clear_s:
            return False  # its code is still (or was just) in view
        if other_code():
            return True  # someone shows a code this approach was not decided on
        # its code is gone, and so was the face at some moment since (with the thermometer
        # failing, only the code can tell)
        return face is None or self.face_gone_since_code


class InFront:
    """Who stands in front now: the approach under way, or nobody since the last one ended."""

    def __init__(
        self,
        *,
        codes: CodesInView,
        presence: Callable[[], bool | None],
        clear_s: float,
        display: DisplayState | None,
    ) -> None:
        """``presence``: is a face in front (None when the sensor cannot tell)."""
        self.codes = codes
        self._presence = presence
        self.clear_s = clear_s
        self.display = display
        self.approach: Approach | None = None

    def look(self, scan: Scan, now: float, zone_full: Callable[[], bool]) -> bool | None:
        """Ends the approach whose person is gone; the presence reading, for who comes next."""
        face = self._presence()
        approach = self.approach
        if approach is not None and approach.waiting and not zone_full():
            # someone left: the person waiting is checked again, without showing their code
            # anew (its codes stay unspent, so the frame in view starts their check)
            self.approach = None
        elif approach is not None and approach.over(
            scan, face, now, self.clear_s, lambda: self._other_code(approach, scan)
        ):
            self.codes.spend(approach.codes, approach.codes_seen_at)
            self.approach = None
            if self.display is not None:
                self.display.approach_over()  # their answer leaves the screen with them
        if self.approach is not None and self.approach.waiting and self.display is not None:
            # their answer stays on screen while they wait: no "show your code" meanwhile
            self.display.decided(Reason.ZONE_FULL, Route.WAIT)
        return face

    def _other_code(self, approach: Approach, scan: Scan) -> bool:
        return bool(self.codes.unspent(Scan([t for t in scan.texts if t not in approach.codes])))

    def checked(self, codes: list[str], now: float, waiting: bool) -> None:
        """A check was decided on ``codes``: its person stands here until they are gone."""
        self.approach = Approach(frozenset(codes), codes_seen_at=now, waiting=waiting)
