"""What became of the clinical readings a guard sent from the desk: "waiting for the gate" until
the gate answers, then the gate's answer itself, shown on the live desk as soon as the store has
it (a note on the next page would say "waiting" long after the gate had confirmed)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

from terminal.centre.store import Store

ANSWER_SHOWN_S = 60.0  # an answer stays on the desk this long, then the row says it
PER_SESSION = 5
MAX_SESSIONS = 1000
RESULTS_LOOKED_AT = 100  # the newest commands: a reading's answer comes within seconds

Stage = Literal["waiting", "confirmed", "refused"]


@dataclass
class Sent:
    command_id: str
    flag_id: str
    gate: str
    person: str
    result: str  # what the guard sent: fever or normal
    flag_ref: str = ""  # park/gate/id: how the store finds this gate's flag
    answered_s: float | None = None  # when the desk first saw the gate's answer


@dataclass(frozen=True)
class Receipt:
    flag_id: str
    stage: Stage
    text: str


class Receipts:
    def __init__(self) -> None:
        self._sent: OrderedDict[str, list[Sent]] = OrderedDict()
        self._lock = threading.Lock()  # the event loop adds, the pages' worker threads read

    def sent(self, session: str, reading: Sent) -> None:
        """``session`` (its token's digest) sent ``reading``."""
        with self._lock:
            readings = self._sent.setdefault(session, [])
            readings.append(reading)
            del readings[:-PER_SESSION]
            self._sent.move_to_end(session)
            while len(self._sent) > MAX_SESSIONS:
                self._sent.popitem(last=False)

    def of(self, session: str, store: Store, t: Any) -> list[Receipt]:
        """Each reading the session sent, as the store now says it went (in a worker thread);
        an answer seen longer than ANSWER_SHOWN_S ago is forgotten."""
        with self._lock:
            readings = list(self._sent.get(session, []))
        if not readings:
            return []
        outcomes = {r.command_id: r for r in store.command_results(RESULTS_LOOKED_AT)}
        now_s = time.monotonic()
        shown: list[Receipt] = []
        for reading in readings:
            flag = store.flag(reading.flag_ref or reading.flag_id)
            receipt = self._receipt(reading, flag, outcomes, t)
            if receipt.stage != "waiting":
                reading.answered_s = reading.answered_s or now_s
                if now_s - reading.answered_s > ANSWER_SHOWN_S:
                    self._forget(session, reading)
                    continue
            shown.append(receipt)
        return shown

    def _forget(self, session: str, reading: Sent) -> None:
        with self._lock:
            readings = self._sent.get(session, [])
            if reading in readings:
                readings.remove(reading)

    @staticmethod
    def _receipt(reading: Sent, flag: Any, outcomes: dict[str, Any], t: Any) -> Receipt:
        command = outcomes.get(reading.command_id)
        if command is not None and command.outcome in ("refused", "failed", "expired"):
            text = t("reading_not_taken", gate=reading.gate, detail=command.detail)
            return Receipt(reading.flag_id, "refused", text)
        if flag is not None and flag.state != "open":
            text = t("reading_confirmed", gate=reading.gate, person=reading.person,
                     state=t("state_" + flag.state))  # fmt: skip
            return Receipt(reading.flag_id, "confirmed", text)
        text = t("sent_reading", result=t(f"result_{reading.result}"))
        return Receipt(reading.flag_id, "waiting", text)
