"""Results of an experiment, as pandas DataFrames for notebooks, files and reports.

``simulate(scenario, replications, seed)`` runs the replications and returns :class:`Results`:
``summary()`` is the summary.csv table, ``patients`` the patient-level log of the first
replications, ``utilisation()`` each resource's busy and rostered staff by hour.
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import Callable

import numpy as np

from .experiment import PATIENT_LOG_REPLICATIONS, ReplicationResult, run_replications
from .moments import summary_rows
from .scenario import Scenario


class Results:
    """Everything an experiment measured, gathered by replication number."""

    def __init__(self, scenario: Scenario, seed: int, results: list[ReplicationResult], seconds: float):
        self.scenario = scenario
        self.seed = seed
        self.replications = [r.replication for r in results]
        self.rows = summary_rows(scenario.model)
        self.per_replication = np.stack([r.stats for r in results]) if results else np.empty((0, len(self.rows), 7))
        self._busy = np.stack([r.busy for r in results])
        self._rostered = np.stack([r.rostered for r in results])
        self._queue = np.stack([r.queue for r in results])
        self._inside = np.stack([r.inside for r in results])
        self._minutes = np.stack([r.measured_minutes for r in results])
        self._logs = [r.log for r in results if r.log is not None]
        self.overloaded = [r.replication for r in results if r.overloaded]
        self.patient_counts = [r.patients for r in results]
        self.seconds = seconds

    def summary(self):
        """One row per moment × group × target tier (the columns of summary.csv)."""
        from .stats import summary_table
        return summary_table(self.rows, self.per_replication).copy()

    @cached_property
    def patients(self):
        """One row per patient of the first replications: stream, attributes, outcome, events."""
        import pandas as pd

        model = self.scenario.model
        frames = []
        streams = [s.name for s in model.streams] + [f"initial:{r.name}" for r in model.resources]
        outcomes = list(model.outcomes)
        for log in self._logs:
            n = log.times.shape[0]
            data = {"replication": np.full(n, log.replication, dtype=np.int32),
                    "patient": np.arange(n, dtype=np.int64),
                    "stream": pd.Categorical.from_codes(log.stream, streams)}
            for a, name in enumerate(model.attributes):
                codes = log.attributes[:, a].astype(np.int64)
                data[name] = pd.Categorical.from_codes(codes, model.values[a]) if model.values[a] else codes
            data["outcome"] = pd.Categorical.from_codes(log.outcome.astype(np.int64), outcomes)
            for e, event in enumerate(model.events):
                data[event] = log.times[:, e]
            frames.append(pd.DataFrame(data))
        if not frames:
            return pd.DataFrame()
        out = pd.concat(frames, ignore_index=True)
        out["outcome"] = out["outcome"].cat.add_categories(["inside"]).fillna("inside")
        return out

    def utilisation(self, by: str = "hour"):
        """Per resource and hour of day (or ``by="hour_of_week"``): mean rostered and busy staff,
        utilisation (busy over rostered) and mean queue length, over the measured period."""
        import pandas as pd

        if by not in ("hour", "hour_of_week"):
            raise ValueError("by is 'hour' or 'hour_of_week'")
        fold = (lambda a: a.reshape(a.shape[:-1] + (7, 24)).sum(axis=-2)) if by == "hour" else (lambda a: a)
        busy, rostered, queue, minutes = (fold(x) for x in (self._busy, self._rostered, self._queue, self._minutes))
        with np.errstate(invalid="ignore", divide="ignore"):
            per_rep_util = busy / rostered
            mean_minutes = minutes[:, None, :]
            frame_rows = []
            for r, res in enumerate(self.scenario.model.resources):
                for h in range(busy.shape[-1]):
                    m = mean_minutes[:, 0, h]
                    frame_rows.append({
                        "resource": res.name, by: h,
                        "rostered": float(np.mean(rostered[:, r, h] / m)) if res.count is None or np.isfinite(res.count) else np.inf,
                        "busy": float(np.mean(busy[:, r, h] / m)),
                        "utilisation": float(np.nanmean(per_rep_util[:, r, h])) if np.any(rostered[:, r, h] > 0) else np.nan,
                        "queue": float(np.mean(queue[:, r, h] / m)),
                    })
        return pd.DataFrame(frame_rows)

    def staff_cost(self):
        """Per resource: rostered hours and cost per week (cost per hour × rostered hours)."""
        import pandas as pd

        weeks = self._minutes.sum(axis=1) / 10080
        rows = []
        for r, res in enumerate(self.scenario.model.resources):
            hours = self._rostered[:, r, :].sum(axis=1) / 60 / weeks
            rows.append({"resource": res.name, "rostered_hours_per_week": float(np.mean(hours)),
                         "cost_per_hour": res.cost_per_hour,
                         "cost_per_week": float(np.mean(hours)) * res.cost_per_hour})
        return pd.DataFrame(rows)

    def patients_inside(self):
        """Mean patients inside the whole system by hour of day."""
        import pandas as pd

        inside = self._inside.reshape(-1, 7, 24).sum(axis=1)
        minutes = self._minutes.reshape(-1, 7, 24).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return pd.DataFrame({"hour": range(24), "inside": np.mean(inside / minutes, axis=0)})

    def __repr__(self) -> str:
        return f"Results({self.scenario.name!r}, {len(self.replications)} replications, seed {self.seed})"


def simulate(scenario: Scenario, replications: int | None = None, seed: int | None = None, *,
             jobs: int = 1, keep_patients: int = PATIENT_LOG_REPLICATIONS,
             on_done: Callable[[ReplicationResult], None] | None = None) -> Results:
    """Run ``replications`` (default: the scenario's) with ``seed`` (default: the scenario's)."""
    run = scenario.spec.run
    n = replications if replications is not None else run.replications
    if n < 1:
        raise ValueError("replications must be at least 1")
    seed = seed if seed is not None else run.seed
    started = time.perf_counter()
    results = run_replications(scenario.model, seed, list(range(n)), jobs=jobs, keep_logs=keep_patients,
                               on_done=on_done)
    return Results(scenario, seed, results, time.perf_counter() - started)
