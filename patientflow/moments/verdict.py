"""Which way is better for a target, and the verdict on it: met, close or missed.

Every page, table and command judges a target with :func:`verdict` (or :func:`row_verdict` on a
summary row), so a target never reads "met" in one place and "close" in another:

* **met** — the estimate meets the target and its 95 % confidence interval lies wholly on the
  good side of it;
* **missed** — the interval lies wholly on the bad side;
* **close** — the interval straddles the target: more replications (or days of a log) would
  tell.

A tier is judged on one statistic: the share within its time ("95% within 15min", higher is
better), the mean ("mean 7min", lower is better), or the share itself ("at most 5%", lower;
"at least 80%", higher). summary.csv's ``met`` column is the point estimate's side alone.
"""

from __future__ import annotations

import math
from typing import Literal

Better = Literal["lower", "higher"]
Verdict = Literal["met", "close", "missed", "no target"]

VERDICTS: tuple[Verdict, ...] = ("missed", "close", "met", "no target")  # worst first
_TOLERANCE = 1e-12


def better(kind: str) -> Better:
    """Which way is better for a tier of ``kind`` (``within``, ``mean``, ``at_most``, ``at_least``)."""
    return "lower" if kind in ("mean", "at_most") else "higher"


def judged_on(kind: str) -> str:
    """The summary column a tier of ``kind`` is judged on (the target column holds its bound)."""
    return "mean" if kind == "mean" else "within_target"


def bound(kind: str, threshold: float, share: float) -> float:
    """The number a tier's statistic is held against: the mean's time, else the share."""
    return threshold if kind == "mean" else share


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x != x


def meets(value: float, target: float, way: Better) -> bool | None:
    """Whether ``value`` meets ``target`` (None when there is no value or no target)."""
    if _nan(value) or _nan(target):
        return None
    return bool(value <= target + _TOLERANCE) if way == "lower" else bool(value >= target - _TOLERANCE)


def verdict(value: float, low: float, high: float, target: float, way: Better) -> Verdict:
    """met, close or missed: the estimate and its interval against the target (an interval
    that cannot be computed, with one replication, counts as the estimate alone)."""
    if _nan(value) or _nan(target):
        return "no target"
    if _nan(low) or _nan(high):
        low = high = value
    good_side = (lambda x: x <= target + _TOLERANCE) if way == "lower" else (lambda x: x >= target - _TOLERANCE)
    if good_side(value) and good_side(low) and good_side(high):
        return "met"
    if not good_side(low) and not good_side(high):
        return "missed"
    return "close"


def row_verdict(row) -> Verdict:
    """The verdict on one summary row (a mapping with the summary's columns)."""
    kind = row["tier_kind"]
    if not kind:
        return "no target"
    column = judged_on(kind)
    return verdict(row[column], row[f"{column}_ci_low"], row[f"{column}_ci_high"],
                   bound(kind, row["target"], row["target_share"]), better(kind))


def worst(verdicts) -> Verdict:
    """The worst of several verdicts (a moment's, over its tiers)."""
    verdicts = list(verdicts)
    return next((v for v in VERDICTS if v in verdicts), "no target")
