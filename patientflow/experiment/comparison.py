"""Comparing scenarios with common random numbers: paired differences against the first one.

Every scenario runs with the first one's run settings (length, warm-up, seed, replications) and
the same replication numbers, so replication *r* of each sees the same patients: the per-
replication differences are paired, and their t-interval is far narrower than the unpaired one.
A difference is significant when its 95 % interval excludes 0; whether it is an improvement
depends on the statistic (shorter waits, more within target, fewer left unseen).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..moments import STATS
from ..moments.verdict import better as better_way


@dataclass
class Comparison:
    """The results of several scenarios run alike, and their differences from the first."""

    names: list[str]
    results: dict  # name -> Results
    warnings: list[str] = field(default_factory=list)

    @property
    def baseline(self) -> str:
        return self.names[0]

    def table(self, confidence: float = 0.95):
        """One row per other scenario × moment row × statistic: the paired difference and its CI."""
        import pandas as pd
        from scipy import stats

        base = self.results[self.baseline]
        base_index = _row_index(base.rows)
        records = []
        for name in self.names[1:]:
            alt = self.results[name]
            seen: set = set()
            for i, row in enumerate(alt.rows):
                j = base_index.get(_key(row))
                if j is None:
                    continue
                first = (row.moment, row.group) not in seen
                seen.add((row.moment, row.group))
                for statistic, column, better in _statistics(row, first):
                    a = base.per_replication[:, j, STATS.index(column)]
                    b = alt.per_replication[:, i, STATS.index(column)]
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
                    mean_diff = float(diff.mean()) if len(diff) else np.nan
                    significant = bool(low > 0 or high < 0) if low == low else False
                    verdict = "no significant change"
                    if significant and better is not None:
                        improved = (mean_diff < 0) == (better == "lower")
                        verdict = "improved" if improved else "worsened"
                    elif significant:
                        verdict = "changed"
                    records.append({
                        "scenario": name, "baseline": self.baseline, "moment": row.moment, "stage": row.stage,
                        "group": row.group, "tier": row.tier.text if row.tier and column == "within_target" else "",
                        "statistic": statistic,
                        "unit": "share" if column == "within_target" or row.unit == "share" else "min",
                        "critical": row.critical,
                        "baseline_value": float(a.mean()) if len(a) else np.nan,
                        "value": float(b.mean()) if len(b) else np.nan,
                        "difference": mean_diff, "ci_low": float(low), "ci_high": float(high),
                        "unpaired_ci_low": float(ulow), "unpaired_ci_high": float(uhigh),
                        "replications": int(len(diff)), "significant": significant, "verdict": verdict,
                    })
        return pd.DataFrame.from_records(records)

    def costs(self):
        """Per scenario: staff cost per week and the journey outcome (mean, 95 % CI)."""
        import pandas as pd

        from ..moments.statistics import t_interval
        records = []
        for name in self.names:
            res = self.results[name]
            journey = [i for i, r in enumerate(res.rows) if r.moment == "journey"][0]
            values = res.per_replication[:, journey, STATS.index("mean")]
            mean, low, high = t_interval(values[:, None], axis=0)
            records.append({"scenario": name, "cost_per_week": float(res.staff_cost()["cost_per_week"].sum()),
                            "journey": float(mean[0]), "journey_ci_low": float(low[0]), "journey_ci_high": float(high[0])})
        return pd.DataFrame.from_records(records)


def _key(row) -> tuple:
    return (row.moment, row.group, row.tier.text if row.tier else "")


def _row_index(rows) -> dict:
    return {_key(r): i for i, r in enumerate(rows)}


def _statistics(row, first: bool) -> list[tuple[str, str, str | None]]:
    """(statistic name, STATS column, which direction is better) compared for a row; the mean
    and 90th centile of a duration once per moment and group (``first``), its share within
    target for every tier."""
    tier = row.tier
    if row.kind == "journey":
        return [("share", "mean", better_way("at_least"))]  # more journeys meeting every critical moment
    if row.kind == "share":
        return [("share", "mean", None if tier is None else better_way(tier.kind))]
    out = [("mean", "mean", better_way("mean")), ("p90", "p90", better_way("mean"))] if first else []
    if tier is not None and tier.kind == "within":
        out.append(("within_target", "within_target", better_way("within")))
    return out


def compare(scenarios: dict, replications: int | None = None, seed: int | None = None, *, jobs: int = 1,
            dask: str | None = None, on_done=None) -> Comparison:
    """Run every scenario with the first one's run settings; compare with paired differences."""
    from .results import simulate

    names = list(scenarios)
    if len(names) < 2:
        raise ValueError("compare needs at least two scenarios")
    first = scenarios[names[0]]
    run = first.to_dict().get("run", {})
    warnings = []
    aligned = {names[0]: first}
    for name in names[1:]:
        sc = scenarios[name]
        if sc.spec.run != first.spec.run:
            differs = [k for k in type(sc.spec.run).model_fields
                       if getattr(sc.spec.run, k) != getattr(first.spec.run, k)]
            warnings.append(f"{name}: run settings differ from {names[0]} ({', '.join(differs)}); "
                            f"{names[0]}'s were used")
            sc = sc.with_changes({"run": run})
        aligned[name] = sc
    n, seed = first.run_defaults(replications, seed)
    results = {name: simulate(sc, n, seed, jobs=jobs, dask=dask, keep_patients=0, on_done=on_done)
               for name, sc in aligned.items()}
    return Comparison(names, results, warnings)


def plain_lines(comparison: Comparison, table=None) -> list[str]:
    """One sentence per scenario: its largest significant change in a 90th centile (critical
    moments first), the journey outcome and the staff cost, against the baseline."""
    table = comparison.table() if table is None else table
    costs = comparison.costs().set_index("scenario")
    base_cost = costs.loc[comparison.baseline, "cost_per_week"]
    lines = []
    for name in comparison.names[1:]:
        rows = table[(table.scenario == name) & (table.statistic == "p90") & table.significant]
        rows = rows.assign(size=(rows.difference / rows.baseline_value.where(rows.baseline_value > 0)).abs())
        critical = rows[rows.critical]
        pick = (critical if len(critical) else rows).sort_values("size", ascending=False)
        parts = []
        for r in pick.head(2).itertuples():
            group = "" if r.group == "all" else f" ({r.group})"
            parts.append(f"{r.moment.replace('_', ' ')}{group} 90th centile {r.difference:+.0f} min "
                         f"({r.ci_low:+.0f} to {r.ci_high:+.0f})")
        if not parts:
            parts.append("no significant change in any 90th centile")
        journey = table[(table.scenario == name) & (table.moment == "journey")]
        if len(journey):
            j = journey.iloc[0]
            parts.append(f"journeys meeting every critical moment {100 * j.difference:+.1f} points "
                         f"({100 * j.ci_low:+.1f} to {100 * j.ci_high:+.1f})")
        cost = costs.loc[name, "cost_per_week"] - base_cost
        parts.append(f"cost {cost:+,.0f} a week")
        lines.append(f"{name}: " + "; ".join(parts))
    return lines

