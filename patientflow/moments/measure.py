"""Moments of truth and the journey outcome, measured in one replication's log.

The rules (DESIGN §4), applied per replication:

* A patient counts for a moment when its from-event falls at or after the warm-up and it passes
  the moment's ``for`` filter; with ``by``, each value of that attribute is a group.
* Duration moments: a patient with both events is *done*. One still inside that can still reach
  the to-event is *open*: left out of the mean and centiles; in a tier's share within target it
  counts as a miss once it has already waited longer than the tier's time, and is left out
  otherwise. A patient who can no longer reach the to-event (an abandoned call has no time to
  answer) is not in the moment at all: share moments count such outcomes.
* Share moments: the share of decided patients with one of the outcomes. A patient still inside
  who can still end with one of them is undecided (``n_open``); one whose step has started can
  no longer give up at that step (a patient with the doctor cannot leave unseen).
* The journey outcome: of the patients whose first contact fell after the warm-up and who have
  left, the share for whom every critical moment that applied met its target — for a duration
  moment, the time of its first "within" tier; for a share moment, not ending with an outcome
  an "at most" target counts against (or, for "at least", ending with one it counts for).

Beside the share within target, each tier says what its misses cost patients, per day of the
measured period (``days``: after the warm-up, or a period of a recorded log):

* ``missed_per_day`` — patients a day who miss the tier: done patients past its time and open
  ones already past it; for a share moment, decided patients with the outcome an "at most"
  target counts against (or without the one an "at least" target asks for);
* ``excess_per_day`` — patients a day beyond what the tier allows: the misses less the share the
  tier allows (negative while there is room to spare); for a mean tier, the fewest patients whose
  waits, cut down to the target's time, would bring the mean to it (0 when the mean meets it);
* ``beyond_hours_per_day`` — hours a day the moment's patients spend waiting beyond the tier's
  time (:func:`time_beyond`), open patients' time so far included.
"""

from __future__ import annotations

import math
import weakref

from dataclasses import dataclass

import numpy as np

from ..log import INSIDE, Log
from ..model import Model, Moment
from ..targets import Tier
from ..clock import DAY

STATS = ("n", "n_open", "mean", "p50", "p90", "p95", "within_target", "missed_per_day", "excess_per_day",
         "beyond_hours_per_day")
_EPS = 1e-9  # minutes: a wait equal to a tier's time is within it


@dataclass(frozen=True)
class Row:
    """One row of the summary: a moment, a group and a target tier."""

    moment: str
    stage: str
    kind: str
    group: str
    critical: bool
    unit: str
    tier: Tier | None
    title: str


def summary_rows(model: Model) -> list[Row]:
    """The rows every replication fills, in a fixed order."""
    rows = []
    for m in model.moments:
        unit = "min" if m.kind == "duration" else "share"
        for code, group in groups(model, m):
            tiers = m.tiers.get(code, m.tiers.get(None, ()))
            for tier in tiers or (None,):
                rows.append(Row(m.name, m.stage, m.kind, group, m.critical, unit, tier, m.title))
    for tier in model.journey_tiers or (None,):
        rows.append(Row("journey", model.journey_stage, "journey", "all", True, "share", tier, model.journey_title))
    return rows


def groups(model: Model, m: Moment) -> list[tuple[int | None, str]]:
    if m.by < 0:
        return [(None, "all")]
    name = model.attributes[m.by]
    return [(code, f"{name}={label}") for code, label in enumerate(model.values[m.by])]


_REACHES: dict[int, tuple] = {}  # id(model) -> (a weak reference to the model, its _Reach)


class _Reach:
    """Which patients can still reach an event or an outcome from where they are."""

    def __init__(self, model: Model):
        self.left = model.event("left")  # (no reference to the model: the cache below holds it weakly)
        self.rows = summary_rows(model)  # the rows every replication is measured on
        n_steps = len(model.steps)
        self.step_reach = np.zeros((max(n_steps, 1), max(n_steps, 1)), dtype=bool)
        for i, reach in enumerate(model.reachable_steps):
            self.step_reach[i, list(reach)] = True
        self.outcome_reach = np.zeros((max(n_steps, 1), len(model.outcomes)), dtype=bool)
        for i, reach in enumerate(model.reachable_outcomes):
            self.outcome_reach[i, list(reach)] = True
        # once a patient's step has started it can no longer give up there: what it can still
        # reach is the step's exits and what its next steps reach
        self.after_start = np.zeros_like(self.outcome_reach)
        for s in model.steps:
            for target in (s.branch.targets if s.branch is not None else [s.then]):
                if target >= 0:
                    self.after_start[s.index] |= self.outcome_reach[target]
                else:
                    self.after_start[s.index, -2 - target] = True
        self.start_event = np.array([s.start for s in model.steps] or [0], dtype=np.int64)
        self.event_steps: dict[int, list[int]] = {}
        for s in model.steps:
            for e in (s.queued, s.start, s.end, *s.marks):
                self.event_steps.setdefault(e, []).append(s.index)

        self.by_event: dict[int, np.ndarray] = {}  # event -> whether each step can still reach it

    @classmethod
    def of(cls, model: Model) -> "_Reach":
        """The reach of ``model``, built once per model (every replication measures with it)."""
        found = _REACHES.get(id(model))
        if found is None or found[0]() is not model:
            for key in [key for key, (ref, _) in _REACHES.items() if ref() is None]:
                del _REACHES[key]  # models gone (an optimiser makes many)
            found = (weakref.ref(model), cls(model))
            _REACHES[id(model)] = found
        return found[1]

    def event(self, event: int, position: np.ndarray) -> np.ndarray:
        if event == self.left:
            return np.ones(position.shape, dtype=bool)
        steps = self.event_steps.get(event, [])
        if not steps:
            return np.zeros(position.shape, dtype=bool)
        if event not in self.by_event:
            self.by_event[event] = self.step_reach[:, steps].any(axis=1)
        return self.by_event[event][position]

    def outcomes(self, outcomes: list[int], position: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Whether each patient (at step ``position``, with its event ``times``) can still end
        with one of ``outcomes``."""
        started = ~np.isnan(times[np.arange(len(position)), self.start_event[position]]) if len(position) else \
            np.zeros(0, dtype=bool)
        table = np.where(started[:, None], self.after_start[position], self.outcome_reach[position])
        return table[:, outcomes].any(axis=1)


def measured_days(model: Model, log: Log) -> float:
    """Days of a replication's measured period: from the warm-up to the end of the run."""
    return max(log.length - model.warm_up, 1e-9) / DAY


def time_beyond(waits: np.ndarray, threshold: float) -> float:
    """Minutes spent waiting beyond ``threshold``, added up over ``waits`` (finished waits, or an
    open patient's wait so far)."""
    return float(np.maximum(np.asarray(waits, dtype=float) - threshold, 0.0).sum())


def fewest_to_mean(waits: np.ndarray, target: float) -> int:
    """The fewest waits that, cut down to ``target`` (the longest first), bring the mean of
    ``waits`` to at most ``target``: 0 when it is already there."""
    excess = float(waits.sum()) - target * waits.size
    if waits.size == 0 or excess <= _EPS:
        return 0
    cuts = np.cumsum(np.sort(waits)[::-1] - target)
    return int(np.searchsorted(cuts, excess - _EPS) + 1)


def members(model: Model, m: Moment, start: np.ndarray, stream: np.ndarray, attributes: np.ndarray) -> np.ndarray:
    """Which patients count for moment ``m``: its from-event (``start``) falls at or after the
    warm-up and they pass its ``for`` filter (``stream`` codes, ``attributes`` codes by column)."""
    keep = ~np.isnan(start) & (start >= model.warm_up)
    if m.streams is not None:
        keep &= np.isin(stream, m.streams)
    for attr, codes in m.filters:
        keep &= np.isin(attributes[:, attr], codes)
    return keep


def counted(model: Model, m: Moment, log: Log, code: int | None = None) -> np.ndarray:
    """The patients of ``log`` who count for moment ``m`` (and its group ``code``)."""
    keep = members(model, m, log.times[:, m.start_event], log.stream, log.attributes)
    return keep if code is None else keep & (log.attributes[:, m.by] == code)


def counted_by_group(model: Model, log: Log) -> dict[tuple[str, int | None], np.ndarray]:
    """:func:`counted` for every moment and group of ``log`` at once: ``(moment, code) -> mask``
    (measured once, read by the statistics and by the split of the wait)."""
    return {(m.name, code): counted(model, m, log, code) for m in model.moments for code, _ in groups(model, m)}


def measure(model: Model, log: Log, rows: list[Row] | None = None, days: float | None = None,
            counts_by_group: dict | None = None) -> np.ndarray:
    """A (rows, STATS) array of one replication's statistics, in :func:`summary_rows` order;
    per-day figures are per day of ``days`` (default: the measured period); ``counts_by_group``:
    :func:`counted_by_group` of ``log``, when already known."""
    reach = _Reach.of(model)
    rows = rows if rows is not None else reach.rows
    days = days if days is not None else measured_days(model, log)
    out = np.full((len(rows), len(STATS)), np.nan)
    end = log.length
    inside = log.outcome == INSIDE
    r = 0
    applies_by_moment = {}
    met_by_moment = {}
    for m in model.moments:
        start = log.times[:, m.start_event]
        if m.kind == "duration":  # what every group of the moment shares, worked out once
            stop = log.times[:, m.end_event]
            stopped = ~np.isnan(stop)
            can_stop = ~stopped & inside & reach.event(m.end_event, log.position)
            all_waits, all_waited = stop - start, end - start
        for code, _group in groups(model, m):
            counts = counts_by_group[(m.name, code)] if counts_by_group is not None else counted(model, m, log, code)
            tiers = m.tiers.get(code, m.tiers.get(None, ()))
            if m.kind == "duration":
                done = counts & stopped
                open_ = counts & can_stop
                waits = all_waits[done]
                waited = all_waited[open_]
                stats = [np.count_nonzero(done), np.count_nonzero(open_), *_describe(waits)]
                for tier in tiers or (None,):
                    out[r, :len(stats)] = stats
                    out[r, len(stats):] = _duration_tier(tier, waits, waited, days)
                    r += 1
                first = next((t for t in tiers if t.kind == "within"), None)
                if m.critical and first is not None:
                    ok = np.ones(log.outcome.shape, dtype=bool)
                    ok[done] = waits <= first.threshold + _EPS
                    applies_by_moment[(m.name, code)] = done
                    met_by_moment[(m.name, code)] = ok
            else:
                has = np.isin(log.outcome, m.outcomes)
                decided = counts & (~inside | ~reach.outcomes(m.outcomes, log.position, log.times))
                n = np.count_nonzero(decided)
                n_has = np.count_nonzero(has & decided)
                share = n_has / n if n else np.nan
                stats = [n, np.count_nonzero(counts & ~decided), share, np.nan, np.nan, np.nan]
                for tier in tiers or (None,):
                    out[r] = [*stats, share, *_share_tier(tier, n, n_has, days), np.nan]
                    r += 1
                if m.critical and tiers:
                    bad_when_has = tiers[0].kind == "at_most"
                    applies_by_moment[(m.name, code)] = decided
                    met_by_moment[(m.name, code)] = ~has if bad_when_has else has
    n, n_open, n_good = _journey(log, model.warm_up, applies_by_moment, met_by_moment)
    share = n_good / n if n else np.nan
    for row in rows[r:]:
        out[r] = [n, n_open, share, np.nan, np.nan, np.nan, share, *_share_tier(row.tier, n, n_good, days), np.nan]
        r += 1
    return out


def _duration_tier(tier: Tier | None, waits: np.ndarray, waited: np.ndarray, days: float) -> list[float]:
    """within_target, missed_per_day, excess_per_day, beyond_hours_per_day of one duration tier."""
    if tier is None:
        return [np.nan] * 4
    if tier.kind == "mean":
        excess = fewest_to_mean(waits, tier.threshold) if waits.size else np.nan
        return [np.nan, np.nan, excess / days, np.nan]
    hits = np.count_nonzero(waits <= tier.threshold + _EPS)
    misses_open = np.count_nonzero(waited > tier.threshold + _EPS)
    total = waits.size + misses_open
    if not total:
        return [np.nan] * 4
    missed = total - hits
    beyond = time_beyond(waits, tier.threshold) + time_beyond(waited, tier.threshold)
    return [hits / total, missed / days, (missed - (1 - tier.share) * total) / days, beyond / 60 / days]


def _share_tier(tier: Tier | None, n: int, n_has: int, days: float) -> list[float]:
    """missed_per_day and excess_per_day of a share tier: ``n_has`` of ``n`` decided patients
    have the outcome (the journey: met every critical moment)."""
    if tier is None or not n:
        return [np.nan, np.nan]
    if tier.kind == "at_most":
        return [n_has / days, (n_has - tier.share * n) / days]
    return [(n - n_has) / days, (tier.share * n - n_has) / days]


def leaving_per_day(model: Model, log: Log, days: float | None = None) -> np.ndarray:
    """Patients a day leaving with each outcome (in ``model.outcomes`` order) during the measured
    period, whenever they arrived."""
    days = days if days is not None else measured_days(model, log)
    left = log.times[:, model.event("left")]
    gone = ~np.isnan(left) & (left >= model.warm_up) & (log.outcome >= 0)
    return np.bincount(log.outcome[gone].astype(np.int64), minlength=len(model.outcomes)) / days


def _journey(log: Log, warm: float, applies: dict, met: dict) -> tuple[int, int, int]:
    """Journeys finished, still open, and finished meeting every critical moment that applied."""
    arrived = log.times[:, 0]
    counted_ = ~np.isnan(arrived) & (arrived >= warm)
    finished = counted_ & (log.outcome != INSIDE)
    good = finished.copy()
    for key, mask in applies.items():
        good &= ~mask | met[key]
    return np.count_nonzero(finished), np.count_nonzero(counted_ & (log.outcome == INSIDE)), np.count_nonzero(good)


def _describe(waits: np.ndarray) -> list[float]:
    if waits.size == 0:
        return [np.nan, np.nan, np.nan, np.nan]
    ordered = np.sort(waits)
    return [float(waits.sum() / waits.size), *(centile(ordered, q) for q in (0.5, 0.9, 0.95))]  # = waits.mean()


def centile(ordered: np.ndarray, q: float) -> float:
    """The ``q`` quantile of sorted values, exactly as ``np.percentile`` (linear) gives it, at a
    fraction of its cost on the small arrays of one replication."""
    at = q * (ordered.size - 1)
    low = int(math.floor(at))
    a, b = float(ordered[low]), float(ordered[min(low + 1, ordered.size - 1)])
    t = at - low
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t
