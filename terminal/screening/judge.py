"""From a forehead reading to the screening's word: pass, rest and scan again, or the guard.

One forehead reading cannot tell 37.0 from 37.5 °C in a cold lobby (docs/screening.md has the
figures), so the gate uses everything else it knows, and keeps the guards' load where the park set
it (``secondary_budget``: the share of people without fever the guards can check):

- **Who it is.** A returning worker's reading is held against their own usual reading (their
  residual against the crowd in similar air, from the record's earlier screenings); anyone else
  against the crowd: the median of the recent people screened here in similar air. Before the
  crowd is known, against a published forehead-by-air table.
- **Rest and re-screen.** Skin just in from the weather reads far from its indoor value and
  settles over minutes. A first reading among the highest ``rest_share`` of the gate's recent
  scores (not clearly high) tells the person to rest ``rest_min`` minutes and scan again; that
  second reading, from settled skin, decides: pass or the guard. Its threshold is the quantile of
  the recent rested scores that sends about ``secondary_budget`` of all people to the guard.
- **Clearly high.** A reading whose estimated core is ``clearly_high_c`` or more by the table goes
  to the guard at once, whatever the crowd. The thresholds come from several days of scores, so
  on an outbreak's day many people reading high are all sent on, not kept to the budget.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Literal

from terminal.config import ScreeningConfig
from terminal.record.checks import ForeheadReading
from terminal.rules.policy import Temperature, Verdict
from terminal.screening.crowd import Baselines, Crowd, Scores, quantile
from terminal.screening.estimators import (
    FOREHEAD_PER_CORE,
    NORMAL_CORE_C,
    Reading,
    table_core_c,
)
from terminal.screening.estimators import normal_forehead_c as table_forehead_c

Stage = Literal["first", "rested"]
Basis = Literal["baseline", "crowd", "table"]
FIRST_SCORES = 2000  # several days of first readings at a gate of a few hundred people
RESTED_SCORES = 800
MIN_SCORES = 20  # fewer: the thresholds come from the crowd's own spread
MIN_RESTED_CROWD = 5
RESTED_CROWD_AGE_S = 7 * 86400.0
LOWER_QUARTILE_Z = 0.6745  # a normal distribution's lower quartile, in standard deviations
# until enough rested readings are known, those who rested are held against the upper part of
# the first readings' crowd (rested skin has settled to where the people long inside read)
RESTED_FROM_FIRST_QUANTILE = 0.75
# a rested reading this far above the expected, before enough scores are known, goes to the guard
WARMUP_RESTED_SCORE_C = 0.35
# the forehead rises of fevers whose catch ``estimated_catch`` averages: cores of 37.5 to 39 °C
# against a normal 36.8 °C, seen on the forehead at FOREHEAD_PER_CORE
FEVER_RISES_C = tuple(
    FOREHEAD_PER_CORE * (core - NORMAL_CORE_C) for core in (37.5, 37.8, 38.2, 39.0)
)


@dataclass(frozen=True)
class RestTaken:
    """The first reading of a person told to rest, and when: their scan after the rest is
    judged as the rested stage."""

    first_object_c: float
    first_ambient_c: float
    told_at_s: float


@dataclass(frozen=True)
class Expected:
    reference_c: float  # the reading expected of this person here
    crowd_c: float | None  # the crowd's median in similar air (None: the table)
    basis: Basis
    # the stage's own crowd gave it (not the table, nor the first readings for a rested one)
    own_crowd: bool = True


class Screening:
    """The screening's judgement and its memory of the gate's people."""

    def __init__(self, config: ScreeningConfig) -> None:
        self.config = config

        def crowd(max_age_s: float) -> Crowd:
            return Crowd(
                window_people=config.reference_people,
                min_people=config.reference_min_people,
                max_age_s=max_age_s,
                ambient_band_c=config.reference_ambient_band_c,
            )

        # first readings carry the morning's weather: the last half hour's people; rested skin
        # has settled, and the people rested in similar air on earlier days still say what it
        # reads, so one morning's first few resting (an outbreak's ill) do not set it
        self.crowds: dict[Stage, Crowd] = {
            "first": crowd(config.reference_max_age_s),
            "rested": crowd(max(config.reference_max_age_s, RESTED_CROWD_AGE_S)),
        }
        self.baselines = Baselines(config.baseline_min_readings)
        # whether each recent first reading went to the guard at once
        self._first_verdicts: deque[bool] = deque(maxlen=FIRST_SCORES)
        # the first reading's residual of each person resting now, for their baseline once the
        # reading after the rest has passed
        self._resting: dict[str, float] = {}
        self.scores: dict[tuple[Stage, bool], Scores] = {
            ("first", False): Scores(FIRST_SCORES),
            ("first", True): Scores(FIRST_SCORES),
            ("rested", False): Scores(RESTED_SCORES),
            ("rested", True): Scores(RESTED_SCORES),
        }

    # --- what is expected -----------------------------------------------------------------------
    def expected(self, reading: Reading, person_id: str | None, stage: Stage) -> Expected:
        crowd_c = self.crowds[stage].reference_c(
            reading, MIN_RESTED_CROWD if stage == "rested" else None
        )
        own_crowd = crowd_c is not None
        if crowd_c is None and stage == "rested":
            similar = self.crowds["first"].similar(reading)
            if len(similar) >= self.config.reference_min_people:
                crowd_c = quantile(similar, RESTED_FROM_FIRST_QUANTILE)
        if crowd_c is None:
            return Expected(table_forehead_c(reading.ambient_c), None, "table", own_crowd=False)
        own = self.baselines.offset_c(person_id) if self.config.baseline else None
        if own is not None:
            return Expected(crowd_c + own, crowd_c, "baseline", own_crowd)
        return Expected(crowd_c, crowd_c, "crowd", own_crowd)

    def _window(self, stage: Stage, basis: Basis) -> Scores:
        """The scores of people held against the same kind of reference: a baseline's scores are
        tighter than the crowd's. Until a baseline's window is known, the crowd's."""
        own = self.scores[(stage, basis == "baseline")]
        return own if len(own) >= MIN_SCORES else self.scores[(stage, False)]

    def _guard_share_of_rested(self) -> float:
        """The share of rested people the guard may see: what is left of the budget once the
        first readings sent at once are counted, over the share that rests."""
        budget = self.config.secondary_budget
        first = self._first_verdicts
        sent_at_once = sum(first) / len(first) if first else 0.0
        left = max(budget - sent_at_once, budget / 4)
        return min(1.0, left / self.config.rest_share)

    # --- the judgement ----------------------------------------------------------------------------
    def judge(
        self,
        measured: Temperature,
        person_id: str | None,
        rested: RestTaken | None = None,
        *,
        learn: bool = True,
    ) -> Temperature:
        """The measured temperature judged: a fault or no reading is returned as it is.
        ``learn`` false: judged only, not taken into the crowd or the person's own usual (a
        return before the rest was over is neither a first reading nor a rested one)."""
        if measured.fault is not None or measured.object_c is None or measured.ambient_c is None:
            return measured
        reading = Reading(measured.object_c, measured.ambient_c, measured.at_s or 0.0)
        stage: Stage = "rested" if rested is not None and self.config.rest else "first"
        expected = self.expected(reading, person_id, stage)
        score = reading.object_c - expected.reference_c
        core_c = round(NORMAL_CORE_C + score / FOREHEAD_PER_CORE, 2)
        verdict, threshold, why = self._verdict(reading, stage, expected, score)
        if learn:
            self.learn(reading, person_id, stage, expected, score, verdict)
        return replace(
            measured,
            first_c=core_c,
            verdict=verdict,
            stage=stage,
            mode=expected.basis,
            reference_c=round(expected.reference_c, 2),
            threshold_c=None if threshold is None else round(expected.reference_c + threshold, 2),
            why=why,
        )

    def _verdict(
        self, reading: Reading, stage: Stage, expected: Expected, score: float
    ) -> tuple[Verdict, float | None, str]:
        """The verdict, the score at or above which it sends on, and why, in one line."""
        config = self.config
        table_core = table_core_c(reading)
        seen = f"screened {reading.object_c:.1f} °C" + (
            " after a rest" if stage == "rested" else ""
        )
        if reading.object_c > config.plausible_max_c:
            return "guard", None, f"{seen}: hotter than any forehead"
        # high whatever the crowd: never a pass
        high = table_core >= config.clearly_high_c
        against = _against(expected, score)
        if high:
            against = f"estimated core {table_core:.1f} °C by the table, {against}"
        if expected.basis == "table":
            # the crowd is not known yet (a gate just switched on, the first people of a
            # morning): the table alone; a raised reading rests, and the crowd is known by the
            # time they are back
            raised = high or table_core >= config.fever_threshold_c
            if raised and config.rest and stage == "first" and not high:
                return "rest", None, f"{seen}: {against}, rest and scan again"
            return ("guard" if raised else "pass"), None, f"{seen}: {against}"
        if stage == "rested":
            threshold = self._rested_threshold(expected)
            if score >= threshold or high:
                return "guard", threshold, f"{seen}: {against}, sends on at +{threshold:.2f}"
            return "pass", threshold, f"{seen}: {against}"
        share = config.rest_share if config.rest else config.secondary_budget
        threshold = self._first_threshold(reading, expected, 1 - share)
        above = score >= threshold
        if not config.rest:
            verdict: Verdict = "guard" if above or high else "pass"
            return verdict, threshold, f"{seen}: {against}, sends on at +{threshold:.2f}"
        if above and high:
            return "guard", threshold, f"{seen}: clearly high, {against}"
        if above or high:
            return "rest", threshold, f"{seen}: {against}, rests from +{threshold:.2f}"
        return "pass", threshold, f"{seen}: {against}"

    def _first_threshold(self, reading: Reading, expected: Expected, share: float) -> float:
        window = self._window("first", expected.basis)
        if len(window) >= MIN_SCORES:
            return window.quantile(share)
        # a gate just switched on: the crowd's own spread in similar air
        similar = self.crowds["first"].similar(reading)
        crowd_c = expected.crowd_c if expected.crowd_c is not None else expected.reference_c
        return quantile(similar, share) - crowd_c

    def _rested_threshold(self, expected: Expected) -> float:
        window = self._window("rested", expected.basis)
        if len(window) >= MIN_SCORES:
            return healthy_upper(window, self._guard_share_of_rested())
        return WARMUP_RESTED_SCORE_C

    # --- memory -----------------------------------------------------------------------------------
    def learn(
        self,
        reading: Reading,
        person_id: str | None,
        stage: Stage,
        expected: Expected,
        score: float,
        verdict: Verdict,
    ) -> None:
        """Take a judged reading into the crowd, the scores and the person's baseline. A reading
        hotter than any forehead is not a number to learn from; one sent to the guard is kept out
        of the crowd and of the person's baseline (it may be a fever), and so is the first
        reading of a visit that rested: it joins the baseline only once the reading after the
        rest has passed (a fever that rests must not lift the usual it is then held against)."""
        if reading.object_c > self.config.plausible_max_c:
            return
        if stage == "first":
            self._first_verdicts.append(verdict == "guard")
        if verdict != "guard" or not expected.own_crowd:
            # what the crowd is expected to read: those sent to the guard may have a fever, and
            # on an outbreak's day most people told to rest do. Kept in, they would lift the
            # rested crowd's median until the ill were held against the ill. Until a stage's
            # crowd is known, everyone counts: a site the table (or, after a rest, the first
            # readings' upper part) holds high must still get its crowd
            self.crowds[stage].add(reading)
        if expected.basis == "table":
            return
        self.scores[(stage, expected.basis == "baseline")].add(score)
        if person_id is None or expected.crowd_c is None:
            return
        residual_c = reading.object_c - expected.crowd_c
        if stage == "first":
            self._resting.pop(person_id, None)  # a rest never come back from: not taken
            if verdict == "rest":
                self._resting[person_id] = residual_c
            elif verdict == "pass":
                self.baselines.add(person_id, residual_c)
            return
        first_c = self._resting.pop(person_id, None)
        if verdict == "pass":
            if first_c is not None:
                self.baselines.add(person_id, first_c)
            self.baselines.add(person_id, residual_c)

    def resume(self, history: Iterable[ForeheadReading]) -> None:
        """Take the record's earlier screenings again, oldest first, as they were judged."""
        for row in history:
            reading = Reading(row.object_c, row.ambient_c, row.epoch_s)
            stage: Stage = "rested" if row.stage == "rested" else "first"
            said = row.screening
            verdict: Verdict = (
                "guard" if said in ("guard", "rest_guard") else "rest" if said == "rest" else "pass"
            )
            expected = self.expected(reading, row.person_id, stage)
            score = row.object_c - expected.reference_c
            self.learn(reading, row.person_id, stage, expected, score, verdict)

    def estimated_catch(self) -> float | None:
        """An estimate from the gate's own model, never a count: the share of fevers (cores of
        37.5 to 39 °C) that the thresholds in force send to the guard, were those fevers among
        the people the gate has seen. None until it has seen enough."""
        first = self.scores[("first", False)]
        if len(first) < MIN_SCORES:
            return None
        config = self.config
        rested = self.scores[("rested", False)]
        if not config.rest or len(rested) < MIN_SCORES:
            threshold = first.quantile(1 - config.secondary_budget)
            return _mean(first.share_at_or_above(threshold - rise) for rise in FEVER_RISES_C)
        rest_from = first.quantile(1 - config.rest_share)
        guard_from = healthy_upper(rested, self._guard_share_of_rested())
        return _mean(
            first.share_at_or_above(rest_from - rise) * rested.share_at_or_above(guard_from - rise)
            for rise in FEVER_RISES_C
        )


def healthy_upper(window: Scores, share: float) -> float:
    """The score above which ``share`` of the people without fever lie, from the window's median
    and its lower half's spread: rested skin has settled, and the scores of people without fever
    spread about evenly around their median; people with a fever lie above it, and however many
    there are (an outbreak's day) they move neither the median much nor the lower half at all, so
    they do not lift the threshold, and each is sent on."""
    median = window.quantile(0.5)
    spread = (median - window.quantile(0.25)) / LOWER_QUARTILE_Z
    return median + NormalDist().inv_cdf(1.0 - share) * spread


def _against(expected: Expected, score: float) -> str:
    sign = "+" if score >= 0 else "-"
    what = {
        "baseline": "their own usual",
        "crowd": "the crowd's",
        "table": "the table's",
    }[expected.basis]
    return f"{sign}{abs(score):.2f} against {what} {expected.reference_c:.1f} in this air"


def _mean(values: Iterable[float]) -> float:
    taken = list(values)
    return round(sum(taken) / len(taken), 3)
