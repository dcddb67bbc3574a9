"""Statistics across replications: means with t-intervals, and the summary table.

Every statistic is first computed per replication; the summary gives the mean of the
per-replication values and a 95 % t-interval across replications (DESIGN §4, §5).
"""

from __future__ import annotations

import numpy as np

from .measure import STATS
from .verdict import better, bound, judged_on, meets, row_verdict

SUMMARY_COLUMNS = [
    "moment", "stage", "kind", "group", "critical", "unit", "n", "n_open", "mean", "mean_ci_low",
    "mean_ci_high", "p50", "p90", "p90_ci_low", "p90_ci_high", "p95", "tier", "tier_kind", "target",
    "target_share", "within_target", "within_target_ci_low", "within_target_ci_high", "met", "verdict",
    "missed_per_day", "missed_per_day_ci_low", "missed_per_day_ci_high",
    "excess_per_day", "excess_per_day_ci_low", "excess_per_day_ci_high",
    "beyond_hours_per_day", "beyond_hours_per_day_ci_low", "beyond_hours_per_day_ci_high",
    "replications", "title",
]
PER_DAY = ("missed_per_day", "excess_per_day", "beyond_hours_per_day")


def t_interval(values: np.ndarray, confidence: float = 0.95, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and two-sided t-interval of ``values`` along ``axis``, ignoring NaN."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    count = np.sum(~np.isnan(values), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, np.nansum(values, axis=axis) / np.maximum(count, 1), np.nan)
        dev = values - np.expand_dims(mean, axis)
        var = np.nansum(dev * dev, axis=axis) / np.maximum(count - 1, 1)
        half = stats.t.ppf(0.5 + confidence / 2, np.maximum(count - 1, 1)) * np.sqrt(var / np.maximum(count, 1))
    half = np.where(count > 1, half, np.nan)
    return mean, mean - half, mean + half


def summary_table(rows, per_replication: np.ndarray):
    """The summary DataFrame from the rows and a (replications, rows, STATS) array."""
    import pandas as pd

    col = {name: i for i, name in enumerate(STATS)}
    mean, low, high = t_interval(per_replication, axis=0)
    # a share's interval cannot leave [0, 1]: clip the t-interval there (the mean is untouched)
    shares = np.array([r.unit == "share" for r in rows], dtype=bool)
    for name in ("mean", "within_target"):
        c = col[name]
        clip = shares if name == "mean" else np.ones(len(rows), dtype=bool)
        low[clip, c] = np.clip(low[clip, c], 0, 1)
        high[clip, c] = np.clip(high[clip, c], 0, 1)
    for name in ("missed_per_day", "beyond_hours_per_day"):  # counts and hours cannot fall below 0
        low[:, col[name]] = np.maximum(low[:, col[name]], 0)
    valid = np.sum(~np.isnan(per_replication[:, :, col["n"]]), axis=0)
    records = []
    for i, row in enumerate(rows):
        tier = row.tier
        kind = tier.kind if tier is not None else ""
        record = {
            "moment": row.moment, "stage": row.stage, "kind": row.kind, "group": row.group,
            "critical": row.critical, "unit": row.unit,
            "n": mean[i, col["n"]], "n_open": mean[i, col["n_open"]],
            "mean": mean[i, col["mean"]], "mean_ci_low": low[i, col["mean"]], "mean_ci_high": high[i, col["mean"]],
            "p50": mean[i, col["p50"]], "p90": mean[i, col["p90"]],
            "p90_ci_low": low[i, col["p90"]], "p90_ci_high": high[i, col["p90"]],
            "p95": mean[i, col["p95"]],
            "tier": tier.text if tier is not None else "", "tier_kind": kind,
            "target": tier.target_value if tier is not None else np.nan,
            "target_share": tier.share if tier is not None and tier.share is not None else np.nan,
            "within_target": mean[i, col["within_target"]] if tier is not None else np.nan,
            "within_target_ci_low": low[i, col["within_target"]] if tier is not None else np.nan,
            "within_target_ci_high": high[i, col["within_target"]] if tier is not None else np.nan,
            "replications": int(valid[i]), "title": row.title,
        }
        for name in PER_DAY:
            c = col[name]
            record.update({name: mean[i, c], f"{name}_ci_low": low[i, c], f"{name}_ci_high": high[i, c]})
        record["met"] = (meets(record[judged_on(kind)], bound(kind, record["target"], record["target_share"]),
                               better(kind)) if kind else None)
        record["verdict"] = row_verdict(record)
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=SUMMARY_COLUMNS)
    frame["met"] = frame["met"].astype("boolean")
    return frame
