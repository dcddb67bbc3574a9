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

from .replications import PATIENT_LOG_REPLICATIONS, ReplicationResult, Sparse, run_replications
from ..moments import summary_rows
from ..moments.statistics import summary_table, t_interval
from ..scenario.scenario import Scenario
from ..clock import MINUTES_PER_DAY, MINUTES_PER_WEEK


class Results:
    """Everything an experiment measured, gathered by replication number."""

    def __init__(self, scenario: Scenario, seed: int, results: list[ReplicationResult], seconds: float,
                 patients_parts: list | None = None, units_parts: list | None = None):
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
        self._patients_parts = patients_parts or []
        self._units_parts = units_parts or []
        self._vehicles = [r.vehicles for r in results if r.vehicles is not None]
        self._vehicle_tables: dict = {}
        self._figure_patients = None  # patients_for_figures(), once read
        series = np.stack([r.inside_series for r in results])
        counted = np.sum(~np.isnan(series), axis=0)
        self._inside_series = np.where(counted > 0, np.nansum(series, axis=0) / np.maximum(counted, 1), np.nan)
        self.overloaded = [r.replication for r in results if r.overloaded]
        self.overwhelmed = sorted({r.overwhelmed for r in results if r.overloaded and r.overwhelmed})
        self.patient_counts = [r.patients for r in results]
        self._leaving = np.stack([r.leaving for r in results]) if results else np.empty((0, len(scenario.model.outcomes)))
        self._causes = np.stack([r.causes for r in results]) if results else np.empty((0, 0, 0))
        self._cause_hours = _pooled([r.cause_hours for r in results])  # the hours are only ever used pooled
        self._inside_at_end = np.array([r.inside_at_end for r in results], dtype=float)
        self.seconds = seconds
        self.reused = sum(r.reused for r in results)  # replications measured from one computed before

    def summary(self):
        """One row per moment × group × target tier (the columns of summary.csv); a fresh copy
        each call, of a table computed once (a page asks for it many times)."""
        return self._summary.copy()

    @cached_property
    def _summary(self):
        return summary_table(self.rows, self.per_replication)

    def bottlenecks(self):
        """Where the wait goes (bottlenecks.csv): each duration moment and group's time split
        into service, waiting for a time of day, and queueing by the cause at the root of the
        chain of holds behind it (``via`` the resources it acts through), with 95 % intervals
        and the hours it concentrates in. See :mod:`patientflow.moments.bottlenecks`."""
        return self._bottlenecks.copy()

    @cached_property
    def _bottlenecks(self):
        from ..moments.bottlenecks import bottleneck_table
        return bottleneck_table(self.scenario.model, self._causes, self._cause_hours)

    @cached_property
    def patients(self):
        """One row per patient: stream, attributes, outcome and the time of every event — for the
        first replications (or every one written to Parquet with ``--patients``)."""
        import pandas as pd

        from .patients import patients_frame, read_parts
        if self._patients_parts:
            return read_parts(self._patients_parts)
        frames = [patients_frame(self.scenario.model, log) for log in self._logs]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @property
    def unit_parts(self) -> list:
        """The Parquet parts holding every replication's unit log (when written, with fleets)."""
        return list(self._units_parts)

    @cached_property
    def units(self):
        """A network's unit log: one row per span of a unit in one state (fleet, station, unit,
        state, start, end, the patient served, the places) — for the first replications (or
        every one written to Parquet with ``--patients``); empty without fleets."""
        import pandas as pd

        from .patients import read_parts
        from .vehicles import units_frame
        if self._units_parts:
            return read_parts(self._units_parts)
        frames = [units_frame(self.scenario.model, log) for log in self._logs if log.units is not None]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def vehicles(self, by: str = "unit"):
        """A network's vehicle time by state, per unit (or ``by="station"``): hours a day in each
        state, rostered hours, utilisation with its 95 % interval, and cost a day, over the
        measured period, mean over replications; empty without fleets."""
        from .vehicles import vehicles_table
        if by not in self._vehicle_tables:  # a page asks for it several times
            days = self._minutes.sum(axis=1) / MINUTES_PER_DAY
            self._vehicle_tables[by] = vehicles_table(self.scenario.model, self._vehicles, days, by)
        return self._vehicle_tables[by].copy()

    FIGURE_REPLICATIONS = 3

    @property
    def patient_parts(self) -> list:
        """The Parquet parts holding every replication's patients (when they were written)."""
        return list(self._patients_parts)

    def leaving(self):
        """Patients a day leaving with each outcome in the measured period, with 95 % CIs."""
        import pandas as pd
        mean, low, high = t_interval(self._leaving, axis=0)
        return pd.DataFrame({"outcome": self.scenario.model.outcomes, "per_day": mean,
                             "ci_low": np.maximum(low, 0), "ci_high": high})

    def inside_at_end(self) -> tuple[float, float, float]:
        """Patients still inside when a replication ended: the mean and its 95 % CI."""
        mean, low, high = t_interval(self._inside_at_end)
        return float(mean), float(max(low, 0)) if low == low else float("nan"), float(high)

    def patients_for_figures(self):
        """The patients of at most three replications: enough for distributions, bounded in size
        (made once: every figure of a report draws on them)."""
        if self._figure_patients is None:
            if self._patients_parts:
                from .patients import read_parts
                self._figure_patients = read_parts(self._patients_parts[: self.FIGURE_REPLICATIONS])
            else:
                patients = self.patients
                first = sorted(set(patients["replication"]))[: self.FIGURE_REPLICATIONS] if not patients.empty else []
                self._figure_patients = patients if patients.empty else patients[patients["replication"].isin(first)]
        return self._figure_patients

    @property
    def run_length(self) -> float:
        return self.scenario.spec.run.length

    @property
    def measured_days(self) -> float:
        """Days measured in each replication (after the warm-up)."""
        return float(self._minutes[0].sum()) / MINUTES_PER_DAY if len(self._minutes) else 0.0

    @property
    def figure_days(self) -> float:
        """Measured days covered by :meth:`patients_for_figures` (all its replications together)."""
        frame = self.patients_for_figures()
        reps = frame["replication"].nunique() if len(frame) else 0
        return self.measured_days * reps

    @property
    def plot(self):
        """The report's figures, each a plotly Figure: ``res.plot.cycle_map()``, ``.weakest()``,
        ``.moment(name)``, ``.through_the_day()``, ``.staffing()``, ``.pathway()``, ``.journey()``."""
        from ..report.figures import Plots
        return Plots(self)

    def inside_by_hour_of_run(self) -> np.ndarray:
        """Mean patients inside in each hour of the run, averaged over replications."""
        return self._inside_series.copy()

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

        weeks = self._minutes.sum(axis=1) / MINUTES_PER_WEEK
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
             jobs: int = 1, dask: str | None = None, keep_patients: int = PATIENT_LOG_REPLICATIONS,
             store=None, patients: bool = False, cache=True,
             on_done: Callable[[ReplicationResult, bool], None] | None = None) -> Results:
    """Run ``replications`` (default: the scenario's) with ``seed`` (default: the scenario's).

    ``jobs`` local processes (0: all cores) or a Dask cluster (``dask="local"`` or a scheduler
    address). With a ``store`` (see :mod:`patientflow.experiment.store`) finished replications are kept on
    disk and reused; with ``patients`` too, every replication's patient log is written there.
    ``cache``: the shared replication store (:mod:`patientflow.experiment.cache`; True: where the
    environment says, False: none), so a replication computed before is measured, not run again;
    ``Results.reused`` counts them. The results are the same either way."""
    n, seed = scenario.run_defaults(replications, seed)
    if n < 1:
        raise ValueError("replications must be at least 1")
    return run_numbers(scenario, list(range(n)), seed, jobs=jobs, dask=dask, keep_patients=keep_patients,
                       store=store, patients=patients, cache=cache, on_done=on_done)


def run_numbers(scenario: Scenario, numbers: list[int], seed: int, *, jobs: int = 1, dask: str | None = None,
                keep_patients: int = PATIENT_LOG_REPLICATIONS, store=None, patients: bool = False,
                cache=True, on_done=None) -> Results:
    """Results of the given replication numbers (see :func:`simulate`)."""
    from .cache import chosen_cache
    started = time.perf_counter()
    results = run_replications(scenario.model, seed, numbers, jobs=jobs, dask=dask, keep_logs=keep_patients,
                               store=store, patients=patients, cache=chosen_cache(cache), on_done=on_done)
    parts, units = (store.patients_parts(numbers), store.patients_parts(numbers, "units")) if store is not None else (None, None)
    return Results(scenario, seed, results, time.perf_counter() - started, parts, units)


def _pooled(arrays: list[np.ndarray | Sparse]) -> np.ndarray:
    """The sum of the replications' arrays, added in order (what ``np.stack(arrays).sum(axis=0)``
    gives, without holding every replication twice), as one leading replication."""
    if not arrays:
        return np.empty((0, 0, 0, 24))
    first = arrays[0]
    total = np.zeros(first.shape, dtype=first.values.dtype if isinstance(first, Sparse) else first.dtype)
    for a in arrays:
        if isinstance(a, Sparse):
            a.add_to(total)
        else:
            total += a
    return total[None]
