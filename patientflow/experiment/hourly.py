"""A roster change hour by hour: when in the day it helps.

A comparison keeps, for every replication, each resource's patient-minutes queueing and rostered
unit-minutes by hour of the week over the measured period (what a replication hands back anyway).
For each scenario whose roster differs from the first one's (:func:`roster_changes`: a resource on
a roster in either whose staff differs at some minute of the week), :func:`by_hour` gives, per
hour of day, the staff on duty in both and the paired difference in patients waiting for that
resource (its mean queue: queueing patient-minutes over the minutes measured), with a 95 %
t-interval across replications.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..clock import MINUTES_PER_DAY
from ..model import Model
from .pairing import paired

HOURS_PER_DAY = MINUTES_PER_DAY // 60


@dataclass
class HourlyRecords:
    """Per replication number: queueing patient-minutes and rostered unit-minutes (resources × 168
    hours of the week), and the minutes measured in each hour of the week."""

    queue: dict[int, np.ndarray] = field(default_factory=dict)
    rostered: dict[int, np.ndarray] = field(default_factory=dict)
    minutes: dict[int, np.ndarray] = field(default_factory=dict)

    def keep(self, result) -> None:
        """Keep one replication's records (a ``ReplicationResult``)."""
        self.queue[result.replication] = result.queue
        self.rostered[result.replication] = result.rostered
        self.minutes[result.replication] = result.measured_minutes

    def by_hour_of_day(self, resource: int) -> tuple[np.ndarray, np.ndarray]:
        """(replications × 24) patients waiting for ``resource`` and staff on duty, by hour of day."""
        numbers = sorted(self.queue)
        minutes = np.array([_fold(self.minutes[r]) for r in numbers])
        queue = np.array([_fold(self.queue[r][resource]) for r in numbers])
        rostered = np.array([_fold(self.rostered[r][resource]) for r in numbers])
        with np.errstate(invalid="ignore", divide="ignore"):
            return queue / minutes, rostered / minutes


def _fold(week: np.ndarray) -> np.ndarray:
    """168 hours of the week added up into the 24 hours of the day."""
    return np.asarray(week, dtype=float).reshape(-1, HOURS_PER_DAY).sum(axis=0)


def roster_changes(base: Model, alt: Model) -> list[str]:
    """The resources on a roster (in either model) whose staff differs at some minute of the week."""
    out = []
    others = {r.name: r for r in alt.resources}
    for r in base.resources:
        o = others.get(r.name)
        if o is None or (r.capacity_by_minute is None and o.capacity_by_minute is None):
            continue
        mine = r.capacity_by_minute if r.capacity_by_minute is not None else np.full_like(o.capacity_by_minute, r.count)
        theirs = o.capacity_by_minute if o.capacity_by_minute is not None else np.full_like(mine, o.count)
        if not np.array_equal(mine, theirs):
            out.append(r.name)
    return out


def by_hour(names: list[str], models: dict[str, Model], hourly: dict[str, HourlyRecords], confidence: float = 0.95):
    """One row per other scenario × changed resource × hour of day (see the module)."""
    import pandas as pd

    base = names[0]
    index = {r.name: r.index for r in models[base].resources}
    records = []
    for name in names[1:]:
        other = {r.name: r.index for r in models[name].resources}
        for resource in roster_changes(models[base], models[name]):
            waiting_a, staff_a = hourly[base].by_hour_of_day(index[resource])
            waiting_b, staff_b = hourly[name].by_hour_of_day(other[resource])
            for hour in range(HOURS_PER_DAY):
                p = paired(waiting_a[:, hour], waiting_b[:, hour], confidence)
                records.append({"scenario": name, "baseline": base, "resource": resource, "hour": hour,
                                "baseline_staff": float(np.nanmean(staff_a[:, hour])),
                                "staff": float(np.nanmean(staff_b[:, hour])),
                                "baseline_waiting": p.baseline, "waiting": p.value, "difference": p.difference,
                                "ci_low": p.low, "ci_high": p.high, "replications": p.n})
    columns = ["scenario", "baseline", "resource", "hour", "baseline_staff", "staff", "baseline_waiting", "waiting",
               "difference", "ci_low", "ci_high", "replications"]
    return pd.DataFrame.from_records(records, columns=columns)
