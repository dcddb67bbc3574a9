"""An independent recomputation of a comparison (comparison.csv, scorecard.csv, costs.csv,
by_hour.csv) from each scenario's patients.parquet and its merged dictionary.

It shares no code with the library: the per-replication statistics come from tests/oracle.py,
and the pairing, the intervals, the practical threshold, the small-group flag, the target flips,
the split of costs into staff and places and the queues by hour are rebuilt here from the rules
README.md states:

* a paired difference is the mean of the per-replication differences (second scenario minus
  the first) with its 95 % t-interval; when every difference is the same, the interval is that
  value; the unpaired interval is Welch's;
* a change counts when its interval excludes 0 and it is at least 1 min (a time) or 1 point (a
  share); a row with fewer than 100 patients a replication in either scenario is too small to
  judge;
* a target flips when its verdict differs and the paired change of the statistic it is judged
  on counts the same way; critical first, small groups after, met ↔ missed before flips through
  close, then in the order of the summary;
* a place is a resource with a count that some step holds (``hold:``) or that starts occupied;
* patients waiting for a resource in an hour of the day: the patient-minutes spent queueing for
  it in that hour over the measured period, over the minutes measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from oracle import Pathways, oracle_summary, replication_rows

MINUTES, SHARE, SMALL = 1.0, 0.01, 100
ORDER = ["missed", "close", "met"]


@dataclass
class Scenario:
    """One scenario as the oracle sees it: its name, spec (validated, dumped), merged dictionary and patients."""

    name: str
    spec: dict
    raw: dict
    patients: pd.DataFrame

    def per_replication(self) -> list[dict]:
        """Each replication's statistics by summary row (computed once)."""
        if not hasattr(self, "_reps"):
            graph = Pathways(self.spec["pathways"])
            self._reps = [replication_rows(p, self.spec, graph) for _, p in self.patients.groupby("replication", sort=True)]
        return self._reps


def interval(x: np.ndarray) -> tuple[float, float]:
    if x.size < 2:
        return math.nan, math.nan
    if np.allclose(x, x[0]):
        return float(x[0]), float(x[0])
    half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
    return float(x.mean() - half), float(x.mean() + half)


def welch(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    if a.size < 2 or va + vb == 0:
        return math.nan, math.nan
    df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    d = b.mean() - a.mean()
    return float(d - half), float(d + half)


def pair(a: list[float], b: list[float]) -> dict:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = ~np.isnan(a) & ~np.isnan(b)
    a, b = a[keep], b[keep]
    low, high = interval(b - a)
    ulow, uhigh = welch(a, b)
    return {"baseline_value": a.mean(), "value": b.mean(), "difference": (b - a).mean(), "ci_low": low, "ci_high": high,
            "unpaired_ci_low": ulow, "unpaired_ci_high": uhigh, "replications": int(keep.sum())}


def judge(d: dict, unit: str, way: str | None, patients: float) -> dict:
    """The verdict on a paired difference ``d`` (the rules of the module docstring)."""
    threshold = SHARE if unit == "share" else MINUTES
    significant = bool(d["ci_low"] > 0 or d["ci_high"] < 0)
    small = bool(math.isnan(patients) or patients < SMALL)
    if not significant:
        verdict = "no significant change"
    elif abs(d["difference"]) < threshold:
        verdict = "too small to matter"
    elif small:
        verdict = "too few patients"
    elif way is None:
        verdict = "changed"
    else:
        verdict = "improved" if (d["difference"] < 0) == (way == "lower") else "worsened"
    return {"significant": significant, "threshold": threshold, "small_group": small,
            "counts": verdict in ("improved", "worsened", "changed"), "verdict": verdict}


def statistics(row, first: bool) -> list[tuple[str, str, str | None]]:
    """(statistic, per-replication column, better way) compared for one summary row."""
    if row.kind == "journey":
        return [("share", "mean", "higher")] if first else []
    if row.kind == "share":
        way = None if row.tier is None else ("lower" if row.tier.kind == "at_most" else "higher")
        return [("share", "mean", way)] if first else []
    out = [("mean", "mean", "lower"), ("p90", "p90", "lower")] if first else []
    if row.tier is not None and row.tier.kind == "within":
        out.append(("within_target", "within_target", "higher"))
    return out


def patients_of(reps: list[dict], row) -> float:
    return float(np.nanmean([r[row]["n"] for r in reps]))


def comparison_table(base: Scenario, other: Scenario) -> pd.DataFrame:
    """comparison.csv's rows of ``other`` against ``base``."""
    a, b = base.per_replication(), other.per_replication()
    rows_b = {row.key: row for row in b[0]}
    records, seen = [], set()
    for row in a[0]:
        if row.key not in rows_b:
            continue
        first = (row.moment, row.group) not in seen
        seen.add((row.moment, row.group))
        for statistic, column, way in statistics(row, first):
            unit = "share" if column == "within_target" or row.kind != "duration" else "min"
            d = pair([r[row][column] for r in a], [r[rows_b[row.key]][column] for r in b])
            patients = min(patients_of(a, row), patients_of(b, rows_b[row.key]))
            records.append({"scenario": other.name, "moment": row.moment, "group": row.group,
                            "tier": row.tier.text if row.tier and column == "within_target" else "",
                            "statistic": statistic, "unit": unit, "critical": row.critical, "patients": patients,
                            **d, **judge(d, unit, way, patients)})
    return pd.DataFrame.from_records(records)


def scorecard(base: Scenario, other: Scenario) -> pd.DataFrame:
    """scorecard.csv's rows of ``other``: the targets that flip, in their order."""
    sa, sb = oracle_summary(base.patients, base.spec), oracle_summary(other.patients, other.spec)
    a, b = base.per_replication(), other.per_replication()
    keys_b = {row.key: row for row in b[0]}
    summary_b = sb.set_index(["moment", "group", "tier"])
    flips = []
    for i, row in enumerate(a[0]):
        if row.tier is None or row.key not in keys_b:
            continue
        before, after = sa.iloc[i]["verdict"], summary_b.loc[row.key, "verdict"]
        if before == after or before not in ORDER or after not in ORDER:
            continue
        direction = "better" if ORDER.index(after) > ORDER.index(before) else "worse"
        column = "mean" if row.tier.kind == "mean" else "within_target"
        unit = "min" if row.tier.kind == "mean" else "share"
        way = "lower" if row.tier.kind in ("mean", "at_most") else "higher"
        d = pair([r[row][column] for r in a], [r[keys_b[row.key]][column] for r in b])
        change = judge(d, unit, way, patients=math.inf)["verdict"]
        if change != {"better": "improved", "worse": "worsened"}[direction]:
            continue
        small = min(sa.iloc[i]["n"], summary_b.loc[row.key, "n"]) < SMALL
        flips.append({"scenario": other.name, "moment": row.moment, "group": row.group, "tier": row.tier.text,
                      "critical": row.critical, "before": before, "after": after, "direction": direction,
                      "unit": unit, "target": row.tier.target if row.tier.kind != "within" else row.tier.share,
                      "small_group": bool(small), "full": {before, after} == {"met", "missed"}, "row": i,
                      **{k: d[k] for k in ("baseline_value", "value", "difference", "ci_low", "ci_high")}})
    flips.sort(key=lambda f: (not f["critical"], f["small_group"], not f["full"], f["row"]))
    return pd.DataFrame.from_records(flips)


def staff_on_duty(roster: dict) -> np.ndarray:
    """Staff on duty in each hour of the day of an every-day roster (shifts on the hour)."""
    staff = np.zeros(24)
    for shift, n in roster.items():
        start, end = (int(t.split(":")[0]) for t in shift.split("-"))
        hours = range(start, end) if end > start else [*range(start, 24), *range(0, end)]
        for h in hours:
            staff[h] += n
    return staff


def measured_hours(spec: dict) -> np.ndarray:
    """Minutes measured in each clock hour of the run (after the warm-up)."""
    length, warm = spec["run"]["length"], spec["run"]["warm_up"]
    hours = np.arange(math.ceil(length / 60))
    return np.where(hours >= math.ceil(warm / 60), np.clip(length - hours * 60, 0, 60), 0.0)


def costs(scenarios: list[Scenario]) -> pd.DataFrame:
    """costs.csv: staff and places a week, the journey and its paired difference."""
    records, journeys = [], []
    for sc in scenarios:
        minutes = measured_hours(sc.spec)
        weeks = minutes.sum() / 10080
        held = {r for items in sc.raw["pathways"].values() for item in items for spec in item.values()
                for r in ([spec["hold"]] if isinstance(spec.get("hold"), str) else spec.get("hold") or [])}
        split = {"staff": 0.0, "places": 0.0}
        for name, r in sc.raw["resources"].items():
            if "roster" in r:
                staff = staff_on_duty(r["roster"])[np.arange(minutes.size) % 24]
            else:
                staff = np.full(minutes.size, float(r["count"]))
            hours = (staff * minutes).sum() / 60 / weeks
            place = "roster" not in r and (name in held or "initial" in r)
            split["places" if place else "staff"] += hours * r.get("cost_per_hour", 0)
        journey = [next(v["mean"] for row, v in rep.items() if row.moment == "journey") for rep in sc.per_replication()]
        journeys.append(journey)
        records.append({"scenario": sc.name, "staff_cost_per_week": split["staff"], "places_cost_per_week": split["places"],
                        "cost_per_week": split["staff"] + split["places"], "journey": float(np.mean(journey))})
    frame = pd.DataFrame.from_records(records)
    frame["cost_difference"] = frame.cost_per_week - frame.cost_per_week.iloc[0]
    paired = [pair(journeys[0], j) for j in journeys]
    frame["journey_difference"] = [p["difference"] for p in paired]
    frame["journey_difference_ci_low"] = [math.nan] + [p["ci_low"] for p in paired[1:]]
    frame["journey_difference_ci_high"] = [math.nan] + [p["ci_high"] for p in paired[1:]]
    return frame


def waiting_by_hour(sc: Scenario, step: str) -> np.ndarray:
    """(replications × 24) patients waiting at ``step`` (one resource, no other queue) by hour of day."""
    minutes = measured_hours(sc.spec)
    length = sc.spec["run"]["length"]
    edges = np.arange(minutes.size + 1) * 60.0
    out = []
    for _, p in sc.patients.groupby("replication", sort=True):
        queued = p[f"{step}.queued"].to_numpy()
        until = p[f"{step}.start"].fillna(p["left"]).fillna(length).to_numpy()
        keep = ~np.isnan(queued)
        queued, until = queued[keep], until[keep]
        area = np.array([np.clip(np.minimum(until, edges[h + 1]) - np.maximum(queued, edges[h]), 0, None).sum()
                         for h in range(minutes.size)])
        area = np.where(minutes > 0, area, 0.0)
        by_day = np.bincount(np.arange(minutes.size) % 24, weights=area, minlength=24)
        out.append(by_day / np.bincount(np.arange(minutes.size) % 24, weights=minutes, minlength=24))
    return np.array(out)


def by_hour(base: Scenario, other: Scenario, resource: str, step: str) -> pd.DataFrame:
    """by_hour.csv's rows of ``other`` for ``resource`` (queued for at ``step`` alone)."""
    wa, wb = waiting_by_hour(base, step), waiting_by_hour(other, step)
    staff_a = staff_on_duty(base.raw["resources"][resource]["roster"])
    staff_b = staff_on_duty(other.raw["resources"][resource]["roster"])
    records = [{"scenario": other.name, "resource": resource, "hour": h, "baseline_staff": staff_a[h],
                "staff": staff_b[h], **pair(wa[:, h], wb[:, h])} for h in range(24)]
    frame = pd.DataFrame.from_records(records).rename(columns={"baseline_value": "baseline_waiting", "value": "waiting"})
    return frame.drop(columns=["unpaired_ci_low", "unpaired_ci_high"])
