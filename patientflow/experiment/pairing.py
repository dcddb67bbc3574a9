"""Paired differences: the same replication number of two scenarios sees the same patients
(common random numbers), so their per-replication values pair, and the t-interval of the
differences is far narrower than the unpaired one (Welch's, kept beside it for comparison).
A replication that has no value in either scenario is left out of the pair.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Paired:
    """Means of the two samples, the mean difference (second minus first), its paired and
    unpaired intervals, and the number of pairs."""

    baseline: float
    value: float
    difference: float
    low: float
    high: float
    unpaired_low: float
    unpaired_high: float
    n: int


def paired(a, b, confidence: float = 0.95) -> Paired:
    """The paired difference ``b - a`` of two per-replication samples (in replication order)."""
    from scipy import stats

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both = ~np.isnan(a) & ~np.isnan(b)
    a, b = a[both], b[both]
    diff = b - a
    low = high = ulow = uhigh = np.nan
    if len(diff) >= 2:
        if np.allclose(diff, diff[0]):
            low = high = float(diff[0])
        else:
            low, high = stats.ttest_rel(b, a).confidence_interval(confidence)
        if np.var(a) + np.var(b) > 0:
            with warnings.catch_warnings():  # near-identical samples: scipy warns, the CI stands
                warnings.simplefilter("ignore", RuntimeWarning)
                ulow, uhigh = stats.ttest_ind(b, a, equal_var=False).confidence_interval(confidence)
    mean = (lambda x: float(x.mean()) if len(x) else np.nan)
    return Paired(mean(a), mean(b), mean(diff), float(low), float(high), float(ulow), float(uhigh), int(len(diff)))
