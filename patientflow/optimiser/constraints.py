"""What the optimiser must meet, and the statistical verdict on a candidate.

A :class:`Constraint` is one target tier of a summary row and the statistic it is judged on.
:func:`judge` says, from a candidate's replications, whether each constraint is met, missed or
still open: its one-sided bound against the target, with a Bonferroni correction over them all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..moments import STATS, summary_rows
from ..moments.verdict import better, bound, judged_on


@dataclass(frozen=True)
class Constraint:
    """One target the optimiser must meet: a summary row and the statistic checked."""

    row: int
    moment: str
    group: str
    tier: str
    column: str  # "within_target" or "mean"
    higher_is_better: bool
    target: float
    unit: str  # "share" or "min"

    @property
    def label(self) -> str:
        group = "" if self.group == "all" else f" ({self.group})"
        return f"{self.moment}{group}: {self.tier}"


def constraint_of(i: int, row) -> Constraint:
    """The constraint of summary row ``i`` (which has a tier): its statistic, direction and target."""
    tier = row.tier
    return Constraint(i, row.moment, row.group, tier.text, judged_on(tier.kind), better(tier.kind) == "higher",
                      float(bound(tier.kind, tier.threshold, tier.share)), "min" if tier.kind == "mean" else "share")


def unshowable(tier) -> bool:
    """Whether no sample can show the tier met: 100 % within a time (or at least), or at most 0 %."""
    return (tier.kind in ("within", "at_least") and tier.share >= 1) or (tier.kind == "at_most" and tier.share <= 0)


def constraints_of(model, names: Iterable[str] | None) -> tuple[list[Constraint], list[Constraint], list[Constraint]]:
    """(constrained, others, reported): the targets of the named moments (default: every
    critical moment's), every other target (candidates to be kept met), and the tiers no sample
    can show — 100 % within a time, or at most 0 % — which are reported, not constrained."""
    wanted = None if names is None else set(names)
    constrained, others, reported = [], [], []
    for i, row in enumerate(summary_rows(model)):
        if row.tier is None:
            continue
        c = constraint_of(i, row)
        chosen = row.moment in wanted if wanted is not None else (row.critical and row.kind != "journey")
        if unshowable(row.tier):
            if chosen:
                reported.append(c)
        else:
            (constrained if chosen else others).append(c)
    return constrained, others, reported


def journey_row(model) -> int:
    """The summary row of the whole journey (the outcome a budget search improves)."""
    return next(i for i, r in enumerate(summary_rows(model)) if r.kind == "journey")


def meets(values: np.ndarray, c: Constraint) -> bool:
    """Whether the mean of ``values`` (per replication) meets the constraint's target."""
    mean = float(np.nanmean(values)) if np.any(~np.isnan(values)) else math.nan
    return mean >= c.target if c.higher_is_better else mean <= c.target


def bounds(values: np.ndarray, alpha: float, at: int | None = None) -> tuple[float, float, float]:
    """Mean and one-sided (1 − alpha) lower and upper bounds, ignoring NaN replications (with
    ``at``, the bounds the same mean and spread would have on ``at`` replications)."""
    from scipy import stats
    v = values[~np.isnan(values)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    mean = float(v.mean())
    if len(v) < 2:
        return mean, -math.inf, math.inf
    n = at or len(v)
    half = float(stats.t.ppf(1 - alpha, n - 1) * v.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def confirmation_margin(values: np.ndarray, alpha: float, confirm: int) -> float:
    """The half-width a confirmation of ``confirm`` replications will have, from this sample's spread."""
    from scipy import stats
    return float(stats.t.ppf(1 - alpha, confirm - 1) * np.nanstd(values, ddof=1) / math.sqrt(confirm))


def verdict_of(c: Constraint, mean: float, low: float, high: float, target: float) -> str:
    """``met`` when the good-side bound is on the right side of ``target``, ``missed`` when the
    opposite bound is on the wrong side, ``open`` otherwise (or with no estimate)."""
    good, bad = (low, high) if c.higher_is_better else (high, low)
    if math.isnan(mean):
        return "open"
    if (good >= target) if c.higher_is_better else (good <= target):
        return "met"
    if (bad < target) if c.higher_is_better else (bad > target):
        return "missed"
    return "open"


def _judged(c: Constraint, mean: float, low: float, high: float, target: float) -> dict:
    """A constraint's verdict row, from its estimate and bounds against ``target`` (moved or not:
    ``needed``, beside the constraint's own ``target``)."""
    behind = not math.isnan(mean) and ((mean < target) if c.higher_is_better else (mean > target))
    return {"constraint": c.label, "mean": mean, "low": low, "high": high, "target": c.target, "needed": target,
            "verdict": verdict_of(c, mean, low, high, target), "behind": behind}


def judge(per_replication: np.ndarray, constraints: list[Constraint], confidence: float,
          confirm: int | None = None, at: int | None = None) -> list[dict]:
    """Each constraint's verdict on a (replications, rows, STATS) array: ``met`` when its
    one-sided bound is on the right side of the target, ``missed`` when the opposite bound is on
    the wrong side, ``open`` otherwise; at confidence ``1 − (1 − confidence)/k`` (Bonferroni).

    With ``confirm`` (the search's rule), the target moves by the half-width a confirmation of
    that many replications will have (from this sample's spread): a candidate the search
    accepts must be as far inside the target as the confirmation will ask, or it would pass the
    search by the luck of the shared replications and fail on fresh ones about half the time.
    With ``at``: the verdicts the same means and spreads would have on ``at`` replications."""
    alpha = (1 - confidence) / max(len(constraints), 1)
    out = []
    for c in constraints:
        values = per_replication[:, c.row, STATS.index(c.column)]
        mean, low, high = bounds(values, alpha, at)
        target = c.target
        if confirm is not None and np.count_nonzero(~np.isnan(values)) >= 2:
            margin = confirmation_margin(values, alpha, confirm)
            target = target + margin if c.higher_is_better else target - margin
        out.append(_judged(c, mean, low, high, target))
    return out


def paired(candidate: np.ndarray, parent: np.ndarray, parent_first: np.ndarray) -> np.ndarray:
    """A candidate's replications as predicted from its first few paired with a ``parent``'s:
    the parent's (replications, rows, STATS) array ``parent`` moved by the mean paired change,
    ``candidate`` minus ``parent_first`` (the parent's values on the candidate's replications).
    Common random numbers make that change far steadier than the candidate's own mean."""
    difference = candidate - parent_first
    counted = np.sum(~np.isnan(difference), axis=0)
    change = np.where(counted > 0, np.nansum(difference, axis=0) / np.maximum(counted, 1), np.nan)
    return parent + np.where(np.isnan(change), 0.0, change)


def paired_behind(predicted: np.ndarray, constraints: list[Constraint], confidence: float, confirm: int) -> list[str]:
    """The constraints a candidate predicted by :func:`paired` is behind: its mean against the
    target moved by the confirmation's half-width, as :func:`judge` has the search ask."""
    return [v["constraint"] for v in judge(predicted, constraints, confidence, confirm=confirm) if v["behind"]]


def judge_paired(candidate: np.ndarray, parent: np.ndarray, constraints: list[Constraint], confidence: float,
                 confirm: int, at: int | None = None) -> list[dict]:
    """:func:`judge` (the search's rule, targets moved by the confirmation's half-width) of a
    candidate from its replications paired with those of a ``parent`` that has more: its mean
    is the parent's moved by the mean paired change, and its bounds are as wide as the two
    intervals together (the parent's mean, on all its replications, and the change, on the
    candidate's: a sum of half-widths, which no correlation between them can exceed). With
    common random numbers the change is steady, so a candidate is known about as well as its
    parent after a few replications of its own.

    With ``at``, the verdict the same estimate and spreads would have on ``at`` replications of
    the candidate: the change's half-width shrinks with them, the parent's does not."""
    from scipy import stats
    alpha = (1 - confidence) / max(len(constraints), 1)
    k = candidate.shape[0]
    out = []
    for c in constraints:
        col = STATS.index(c.column)
        theirs = parent[:, c.row, col]
        change = candidate[:, c.row, col] - theirs[:k]
        theirs, change = theirs[~np.isnan(theirs)], change[~np.isnan(change)]
        if len(theirs) < 2 or len(change) < 2:
            mean, low, high, target = math.nan, -math.inf, math.inf, c.target
        else:
            mean = float(theirs.mean() + change.mean())
            half = sum(float(stats.t.ppf(1 - alpha, n - 1) * v.std(ddof=1) / math.sqrt(n))
                       for v, n in ((theirs, len(theirs)), (change, at or len(change))))
            low, high = mean - half, mean + half
            margin = confirmation_margin(theirs, alpha, confirm)
            target = c.target + margin if c.higher_is_better else c.target - margin
        out.append(_judged(c, mean, low, high, target))
    return out


def shortfall(per_replication: np.ndarray, constraints: list[Constraint], confidence: float | None = None,
              confirm: int | None = None) -> float:
    """How far a candidate falls short of its constraints, summed (shares in points, means
    relative): the means against the targets; with ``confidence``, what the search's verdict asks
    (:func:`judge`): the one-sided bounds, Bonferroni over the constraints, against the targets
    moved by the half-width a confirmation of ``confirm`` replications will have. (A candidate
    whose means meet every target can still be short of that.)"""
    alpha = None if confidence is None else (1 - confidence) / max(len(constraints), 1)
    total = 0.0
    for c in constraints:
        values = per_replication[:, c.row, STATS.index(c.column)]
        if np.isnan(values).all():  # no patient counted (replications stopped early as overloaded)
            continue
        target = c.target
        if alpha is None:
            stat = np.nanmean(values)
        else:
            _mean, low, high = bounds(values, alpha)
            stat = low if c.higher_is_better else high
            if confirm is not None and np.count_nonzero(~np.isnan(values)) >= 2:
                margin = confirmation_margin(values, alpha, confirm)
                target = target + margin if c.higher_is_better else target - margin
        if not np.isfinite(stat):
            continue
        gap = (target - stat) if c.higher_is_better else (stat - target)
        total += max(0.0, gap / (c.target if c.unit == "min" and c.target > 0 else 1.0))
    return total
