"""Checking a scenario against reality: simulate the log's period and set every moment side by side.

The scenario is run over the same weeks the log covers, aligned to the same hours of the week,
after a warm-up of whole weeks (the scenario's own, at least one) so that the simulated service
is as full as the real one when the period begins — never empty. Each replication is then
measured over exactly the log's period, by the same rules as the log itself
(:mod:`patientflow.eventlog.actual`, the whole period pooled).

For every moment (and group) the check sets the log's mean and 90th centile (or share) against
the simulated ones. If the scenario is right, the log is one more replication: its value should
fall within the spread of the replications' values. The 95 % prediction interval is
``mean ± t·sd·√(1 + 1/R)`` over the R replications; the p-value says how far outside it the log
lies. A statistic *agrees* when its p-value is at least 0.05 divided by the number of statistics
compared (Bonferroni), so "every moment agrees" is a statement at the 95 % level for the whole
family, not for each moment alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..moments import STATS, measure
from ..clock import WEEK

COMPARED = {"duration": ("mean", "p90"), "share": ("mean",), "journey": ("mean",)}


@dataclass
class CheckFit:
    scenario: object  # the scenario as run (the log's period after the warm-up)
    eventlog: object
    actual: object  # ActualResults (per period: the intervals of the log's values)
    observed: np.ndarray  # (rows, STATS): the log measured over its whole period
    simulated: object  # Results
    warm_up: float
    table: object  # DataFrame: one row per moment, group and statistic

    @property
    def compared(self) -> int:
        return int(self.table["agrees"].notna().sum())

    @property
    def disagreeing(self):
        return self.table[self.table["agrees"].eq(False)]

    def statement(self) -> str:
        """The goodness of fit in a sentence or two."""
        m, bad = self.compared, self.disagreeing
        level = f"(p ≥ 0.05/{m}: 95 % for all {m} together, Bonferroni)"
        if not m:
            return "No statistic could be compared (no patients in the moments, or no variation between replications)."
        if bad.empty:
            return (f"The scenario reproduces the log: all {m} statistics compared agree {level} — every moment's mean, "
                    f"90th centile or share lies within the spread of {len(self.simulated.replications)} simulated "
                    "replications of the same period.")
        listed = "; ".join(f"{r.title}{'' if r.group == 'all' else ' (' + r.group + ')'} {r.statistic}: "
                           f"log {r.actual:.3g} against {r.simulated:.3g} (p {r.p_value:.2g})" for r in bad.itertuples())
        return f"{len(bad)} of {m} statistics disagree {level}: {listed}."


def check_warm_up(scenario, warm_up: float | None) -> float:
    """Whole weeks before the log's first week: the scenario's warm-up, at least one week."""
    asked = scenario.spec.run.warm_up if warm_up is None else warm_up
    return max(1.0, math.ceil(asked / WEEK - 1e-9)) * WEEK


def check_fit(eventlog, replications: int = 20, seed: int | None = None, jobs: int = 1,
              warm_up: float | None = None, period: str | float = "auto", on_done=None) -> CheckFit:
    """Simulate the scenario the log was read onto over the log's period and compare every
    moment with the log."""
    from .actual import ActualResults
    from ..experiment.results import simulate

    scenario = eventlog.scenario
    actual = ActualResults(eventlog, period)
    model = actual.scenario.model
    observed = measure(model, actual.log)
    warm = check_warm_up(scenario, warm_up)
    first = math.floor(eventlog.start / 60) * 60
    run = scenario.with_changes({"run.length": warm + max(eventlog.end, first + 60), "run.warm_up": warm + first})
    simulated = simulate(run, replications, seed, jobs=jobs, keep_patients=3, on_done=on_done)
    table = comparison_table(actual, observed, simulated)
    return CheckFit(run, eventlog, actual, observed, simulated, warm, table)


def comparison_table(actual, observed: np.ndarray, simulated):
    """One row per moment, group and statistic: the log against the replications."""
    import pandas as pd
    from scipy import stats

    col = {name: i for i, name in enumerate(STATS)}
    per_rep = simulated.per_replication
    periods = actual.per_replication
    r = per_rep.shape[0]
    records, seen = [], set()
    for i, row in enumerate(simulated.rows):
        if (row.moment, row.group) in seen:
            continue
        seen.add((row.moment, row.group))
        for statistic in COMPARED[row.kind]:
            c = col[statistic]
            a = float(observed[i, c])
            values = per_rep[:, i, c]
            values = values[~np.isnan(values)]
            period_values = periods[:, i, c]
            period_values = period_values[~np.isnan(period_values)]
            half_actual = (stats.t.ppf(0.975, len(period_values) - 1) * period_values.std(ddof=1) / math.sqrt(len(period_values))
                           if len(period_values) > 1 else math.nan)
            mean = float(values.mean()) if values.size else math.nan
            sd = float(values.std(ddof=1)) if values.size > 1 else math.nan
            t = stats.t.ppf(0.975, values.size - 1) if values.size > 1 else math.nan
            spread = sd * math.sqrt(1 + 1 / values.size) if values.size > 1 else math.nan
            p = math.nan
            if not math.isnan(a) and spread == spread:
                if spread > 1e-12:
                    p = float(2 * stats.t.sf(abs(a - mean) / spread, values.size - 1))
                else:  # every replication alike (say, nobody waits): the log agrees only by being alike too
                    p = 1.0 if abs(a - mean) <= 1e-9 else 0.0
            records.append({
                "moment": row.moment, "stage": row.stage, "group": row.group, "title": row.title,
                "statistic": "share" if row.unit == "share" else statistic, "unit": row.unit,
                "n_actual": float(observed[i, col["n"]]), "n_simulated": float(np.nanmean(per_rep[:, i, col["n"]])) if r else math.nan,
                "actual": a, "actual_ci_low": a - half_actual, "actual_ci_high": a + half_actual,
                "simulated": mean, "simulated_ci_low": mean - t * sd / math.sqrt(values.size) if values.size > 1 else math.nan,
                "simulated_ci_high": mean + t * sd / math.sqrt(values.size) if values.size > 1 else math.nan,
                "prediction_low": mean - t * spread, "prediction_high": mean + t * spread, "p_value": p,
            })
    table = pd.DataFrame.from_records(records)
    compared = table["p_value"].notna()
    m = int(compared.sum())
    table["agrees"] = pd.array([None] * len(table), dtype="boolean")
    if m:
        table.loc[compared, "agrees"] = table.loc[compared, "p_value"] >= 0.05 / m
    return table


def moment_waits(model, patients, moment, warm: float, end: float | None = None):
    """The waits of a duration moment in a patients frame (from-event at or after ``warm``), by
    group label (``all`` when the moment has no ``by``)."""
    start, stop = model.events[moment.start_event], model.events[moment.end_event]
    keep = patients[start].notna() & (patients[start] >= warm) & patients[stop].notna()
    if end is not None:
        keep &= patients[start] < end
    if moment.streams is not None:
        keep &= patients["stream"].astype(str).isin([model.streams[i].name for i in moment.streams])
    for attr, codes in moment.filters:
        keep &= patients[model.attributes[attr]].astype(str).isin([model.values[attr][c] for c in codes])
    waits = (patients.loc[keep, stop] - patients.loc[keep, start]).to_numpy(dtype=float)
    if moment.by < 0:
        return {"all": waits}
    name = model.attributes[moment.by]
    labels = patients.loc[keep, name].astype(str).to_numpy()
    return {f"{name}={v}": waits[labels == v] for v in model.values[moment.by]}
