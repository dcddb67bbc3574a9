"""Enough replications, and a long enough warm-up.

``simulate_to_precision`` adds replications in batches (of a size that does not depend on the
number of workers) until every moment's 95 % confidence half-width is within the precision asked
— relative to the mean for durations (absolute 0.1 min for means under a minute), an absolute
1 percentage point for shares — and the criterion still holds one batch later (the look-ahead of
Hoad, Robinson and Davies' replication algorithm), or a cap is reached. It reports which
moments limited it.

``mser5`` is the MSER-5 warm-up heuristic: the truncation point minimising the marginal standard
error of batch means of five observations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..moments.statistics import t_interval

SHARE_HALF_WIDTH = 0.01
SHORT_MEAN = 1.0  # minutes: below it, an absolute half-width
SHORT_HALF_WIDTH = 0.1


@dataclass
class PrecisionReport:
    """How a precision run ended."""

    precision: float
    replications: int
    satisfied: bool
    limiting: list[dict] = field(default_factory=list)  # the moments still too imprecise, or last to settle

    def describe(self) -> str:
        head = (f"precision {self.precision:.0%} reached with {self.replications} replications" if self.satisfied
                else f"precision {self.precision:.0%} not reached: stopped at the cap of {self.replications} replications")
        lines = [head]
        if not self.satisfied and not self.limiting:
            lines.append("  every moment was precise enough at the last batch, but the cap came before the look-ahead confirmed it")
        for item in self.limiting[:8]:
            lines.append(f"  {'limited by' if self.satisfied else 'still short'}: {item['moment']} ({item['group']}): "
                         f"half-width {item['half_width']:.3g} {item['unit']}, allowed {item['allowed']:.3g}")
        return "\n".join(lines)


def imprecise(rows, per_replication: np.ndarray, precision: float) -> list[dict]:
    """The moment rows whose mean's half-width exceeds what ``precision`` allows, worst first."""
    from ..moments import STATS

    mean_col = STATS.index("mean")
    values = per_replication[:, :, mean_col]
    mean, low, _high = t_interval(values, axis=0)
    out, seen = [], set()
    for i, row in enumerate(rows):
        key = (row.moment, row.group)
        if key in seen:
            continue
        seen.add(key)
        valid = np.sum(~np.isnan(values[:, i]))
        if valid == 0:
            continue  # no patient ever reached this moment: nothing to estimate
        if row.unit == "share":
            allowed = SHARE_HALF_WIDTH
        else:
            allowed = precision * abs(mean[i]) if abs(mean[i]) >= SHORT_MEAN else SHORT_HALF_WIDTH
        half = mean[i] - low[i]
        if valid < 2 or not half <= allowed:
            out.append({"moment": row.moment, "group": row.group, "unit": "share" if row.unit == "share" else "min",
                        "half_width": float(half) if valid >= 2 else float("inf"), "allowed": float(allowed),
                        "ratio": float(half / allowed) if valid >= 2 and allowed > 0 else float("inf")})
    return sorted(out, key=lambda item: -item["ratio"])


def simulate_to_precision(scenario, precision: float, seed: int | None = None, *, batch: int = 5,
                          max_replications: int = 200, jobs: int = 1, dask: str | None = None, store=None,
                          patients: bool = False, keep_patients: int = 5, on_done=None):
    """Run batches of replications until the precision holds twice running; (Results, report)."""
    from .replications import run_replications
    from ..moments import summary_rows
    from .cache import chosen_cache
    from .results import Results

    if not 0 < precision < 1:
        raise ValueError("precision is a fraction of the mean, e.g. 0.05")
    _n, seed = scenario.run_defaults(None, seed)
    rows = summary_rows(scenario.model)
    started = time.perf_counter()
    cache = chosen_cache(True)
    results = []
    held_before = False
    last_limiting: list[dict] = []
    satisfied = False
    while len(results) < max_replications:
        numbers = list(range(len(results), min(len(results) + batch, max_replications)))
        results += run_replications(scenario.model, seed, numbers, jobs=jobs, dask=dask, keep_logs=keep_patients,
                                    store=store, patients=patients, cache=cache, on_done=on_done)
        per_rep = np.stack([r.stats for r in results])
        short = imprecise(rows, per_rep, precision)
        if not short and held_before:
            satisfied = True
            break
        if short:
            last_limiting = short
        held_before = not short
    else:
        per_rep = np.stack([r.stats for r in results])
        last_limiting = imprecise(rows, per_rep, precision)
    numbers = [r.replication for r in results]
    parts, units = (store.patients_parts(numbers), store.patients_parts(numbers, "units")) if store is not None else (None, None)
    res = Results(scenario, seed, results, time.perf_counter() - started, parts, units)
    return res, PrecisionReport(precision, len(results), satisfied, last_limiting)


def mser5(series: np.ndarray) -> int:
    """MSER-5 truncation point, in observations of ``series`` (a multiple of 5)."""
    values = np.asarray(series, dtype=float)
    values = values[~np.isnan(values)]
    n_batches = len(values) // 5
    if n_batches < 4:
        return 0
    batches = values[: n_batches * 5].reshape(n_batches, 5).mean(axis=1)
    best, best_d = np.inf, 0
    for d in range(n_batches // 2 + 1):
        rest = batches[d:]
        k = len(rest)
        stat = np.sum((rest - rest.mean()) ** 2) / (k * k)
        if stat < best:
            best, best_d = stat, d
    return best_d * 5


def warm_up_advice(results) -> str | None:
    """A warning when MSER-5, on the hourly count of patients inside, truncates past the warm-up."""
    series = results.inside_by_hour_of_run()
    cut_hours = mser5(series)
    warm_up_hours = results.scenario.spec.run.warm_up / 60
    if cut_hours > warm_up_hours + 5:
        return (f"the warm-up looks too short: the number of patients inside is still settling after it "
                f"(MSER-5 truncates {cut_hours / 24:.1f} days; the scenario has {warm_up_hours / 24:.1f}): "
                f"set run.warm_up: {max(1, int(np.ceil(cut_hours / 24)))}d, or start resources partly occupied (initial:)")
    return None
