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
  who can still end with one of them is undecided (``n_open``).
* The journey outcome: of the patients whose first contact fell after the warm-up and who have
  left, the share for whom every critical moment that applied met its target — for a duration
  moment, the time of its first "within" tier; for a share moment, not ending with an outcome
  an "at most" target counts against (or, for "at least", ending with one it counts for).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import INSIDE, Log
from .model import Model, Moment
from .targets import Tier

STATS = ("n", "n_open", "mean", "p50", "p90", "p95", "within_target")


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
        for code, group in _groups(model, m):
            tiers = m.tiers.get(code, m.tiers.get(None, ()))
            for tier in tiers or (None,):
                rows.append(Row(m.name, m.stage, m.kind, group, m.critical, unit, tier, m.title))
    journey = model.spec.journey
    tiers = _journey_tiers(model)
    for tier in tiers or (None,):
        rows.append(Row("journey", journey.stage, "journey", "all", True, "share", tier, journey.title))
    return rows


def _journey_tiers(model: Model) -> tuple[Tier, ...]:
    from .targets import parse_tiers
    target = model.spec.journey.target
    return parse_tiers(target, "share") if target is not None else ()


def _groups(model: Model, m: Moment) -> list[tuple[int | None, str]]:
    if m.by < 0:
        return [(None, "all")]
    name = model.attributes[m.by]
    return [(code, f"{name}={label}") for code, label in enumerate(model.values[m.by])]


class _Reach:
    """Which patients can still reach an event or an outcome from where they are."""

    def __init__(self, model: Model):
        self.model = model
        n_steps = len(model.steps)
        self.step_reach = np.zeros((max(n_steps, 1), max(n_steps, 1)), dtype=bool)
        for i, reach in enumerate(model.reachable_steps):
            self.step_reach[i, list(reach)] = True
        self.outcome_reach = np.zeros((max(n_steps, 1), len(model.outcomes)), dtype=bool)
        for i, reach in enumerate(model.reachable_outcomes):
            self.outcome_reach[i, list(reach)] = True
        self.event_steps: dict[int, list[int]] = {}
        for s in model.steps:
            for e in (s.queued, s.start, s.end, *s.marks):
                self.event_steps.setdefault(e, []).append(s.index)

    def event(self, event: int, position: np.ndarray) -> np.ndarray:
        if event == self.model.event("left"):
            return np.ones(position.shape, dtype=bool)
        steps = self.event_steps.get(event, [])
        if not steps:
            return np.zeros(position.shape, dtype=bool)
        return self.step_reach[position][:, steps].any(axis=1)

    def outcomes(self, outcomes: list[int], position: np.ndarray) -> np.ndarray:
        return self.outcome_reach[position][:, outcomes].any(axis=1)


def measure(model: Model, log: Log, rows: list[Row] | None = None) -> np.ndarray:
    """A (rows, STATS) array of one replication's statistics, in :func:`summary_rows` order."""
    rows = rows if rows is not None else summary_rows(model)
    out = np.full((len(rows), len(STATS)), np.nan)
    reach = _Reach(model)
    warm = model.warm_up
    end = log.length
    inside = log.outcome == INSIDE
    r = 0
    applies_by_moment = {}
    met_by_moment = {}
    for m in model.moments:
        start = log.times[:, m.start_event]
        base = ~np.isnan(start) & (start >= warm) & _filter(m, log)
        for code, _group in _groups(model, m):
            counted = base if code is None else base & (log.attributes[:, m.by] == code)
            tiers = m.tiers.get(code, m.tiers.get(None, ()))
            if m.kind == "duration":
                stop = log.times[:, m.end_event]
                done = counted & ~np.isnan(stop)
                open_ = counted & np.isnan(stop) & inside & reach.event(m.end_event, log.position)
                waits = (stop - start)[done]
                waited = (end - start)[open_]
                stats = [done.sum(), open_.sum(), *_describe(waits)]
                for tier in tiers or (None,):
                    within = np.nan
                    if tier is not None and tier.kind == "within":
                        hits = np.count_nonzero(waits <= tier.threshold + 1e-9)
                        misses_open = np.count_nonzero(waited > tier.threshold + 1e-9)
                        total = waits.size + misses_open
                        within = hits / total if total else np.nan
                    out[r] = [*stats, within]
                    r += 1
                first = next((t for t in tiers if t.kind == "within"), None)
                if m.critical and first is not None:
                    ok = np.ones(log.outcome.shape, dtype=bool)
                    ok[done] = (stop - start)[done] <= first.threshold + 1e-9
                    applies_by_moment[(m.name, code)] = done
                    met_by_moment[(m.name, code)] = ok
            else:
                has = np.isin(log.outcome, m.outcomes)
                decided = counted & (~inside | ~reach.outcomes(m.outcomes, log.position))
                n = decided.sum()
                share = (has & decided).sum() / n if n else np.nan
                stats = [n, (counted & ~decided).sum(), share, np.nan, np.nan, np.nan]
                for tier in tiers or (None,):
                    out[r] = [*stats, share]
                    r += 1
                if m.critical and tiers:
                    bad_when_has = tiers[0].kind == "at_most"
                    applies_by_moment[(m.name, code)] = decided
                    met_by_moment[(m.name, code)] = ~has if bad_when_has else has
    journey = _journey(log, warm, applies_by_moment, met_by_moment)
    for _ in range(len(rows) - r):
        out[r] = journey
        r += 1
    return out


def _journey(log: Log, warm: float, applies: dict, met: dict) -> list[float]:
    arrived = log.times[:, 0]
    finished = ~np.isnan(arrived) & (arrived >= warm) & (log.outcome != INSIDE)
    good = finished.copy()
    for key, mask in applies.items():
        good &= ~mask | met[key]
    n = finished.sum()
    share = good.sum() / n if n else np.nan
    return [n, ((~np.isnan(arrived)) & (arrived >= warm) & (log.outcome == INSIDE)).sum(),
            share, np.nan, np.nan, np.nan, share]


def _filter(m: Moment, log: Log) -> np.ndarray:
    keep = np.ones(log.outcome.shape, dtype=bool)
    if m.streams is not None:
        keep &= np.isin(log.stream, m.streams)
    for attr, codes in m.filters:
        keep &= np.isin(log.attributes[:, attr], codes)
    return keep


def _describe(waits: np.ndarray) -> list[float]:
    if waits.size == 0:
        return [np.nan, np.nan, np.nan, np.nan]
    p50, p90, p95 = np.percentile(waits, [50, 90, 95])
    return [float(waits.mean()), float(p50), float(p90), float(p95)]
