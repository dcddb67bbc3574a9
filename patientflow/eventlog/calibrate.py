"""Calibrating a scenario from an event log: demand, mixes, branch shares and step times.

The base scenario gives the structure — resources, rosters, pathways, moments; the log gives the
numbers, each estimated where the base puts it and in the same shape (by the same attribute):

* **arrivals** per stream by hour of the week: Poisson counts over the hours the log covers,
  fitted both as hour-of-day × weekday (30 parameters, what ``by_hour`` and ``by_weekday`` say)
  and as 168 separate hours (``by_week``); the lower AIC is written.
* **mixes** (a stream's ``mix``, a step's ``assign``) and **branch shares**: the shares observed
  among the patients who reached that point, by the attribute the base splits them by.
* **step times** (``takes``) and **patience** (``gives_up_after``): the best of the candidate
  distributions by AIC (:mod:`patientflow.eventlog.fitting`), times still running at the end of the log
  (or, for patience, ended by being served) counting as censored.
* **times of day** a step waits for (``wait_until``): the share of the step's ends in each hour.

Every estimate carries its standard error from the log. What the log cannot tell (a crew's
clear-up ``after``, a group nobody was in) stays as the base says, and the written file says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .fitting import CANDIDATES, Fit, fit_durations
from ..clock import HOURS_PER_WEEK, MINUTES_PER_DAY

MIN_TIMES = 5  # fewer completed times than this: keep the base's distribution


@dataclass
class ArrivalFit:
    stream: str
    counts: np.ndarray  # (168,) arrivals in each hour of the week
    exposure: np.ndarray  # (168,) hours of each hour of the week the log covers
    rate: np.ndarray  # (168,) fitted arrivals per hour (the chosen model)
    profile: str  # "by_hour" (hour of day × weekday) or "by_week"
    aic: dict[str, float]
    deviance: float  # of the hour × weekday model against the 168 hours
    df: int

    @property
    def per_day(self) -> float:
        return float(self.rate.sum() / 7)

    @property
    def per_day_se(self) -> float:
        with np.errstate(invalid="ignore", divide="ignore"):
            return float(math.sqrt(np.nansum(np.where(self.exposure > 0, self.counts / self.exposure ** 2, 0))) / 7)

    @property
    def by_weekday(self) -> np.ndarray:
        daily = self.rate.reshape(7, 24).sum(axis=1)
        return daily / daily.mean()

    @property
    def by_hour(self) -> np.ndarray:
        hourly = self.rate.reshape(7, 24).sum(axis=0)
        return hourly / hourly.sum()


@dataclass
class ShareFit:
    """Shares of values (or branch options) among ``n`` patients, in one group."""

    kind: str  # "mix", "assign", "branch" or "wait_until"
    where: str  # the stream or step
    attribute: str
    group: str | None  # the value of the attribute the shares depend on; None: everyone
    values: list[str]
    counts: np.ndarray
    by: str | None = None  # the attribute ``group`` is a value of

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def shares(self) -> np.ndarray:
        return self.counts / max(self.n, 1)

    @property
    def se(self) -> np.ndarray:
        p = self.shares
        return np.sqrt(p * (1 - p) / max(self.n, 1))


@dataclass
class DurationFit:
    kind: str  # "takes" or "gives_up_after"
    step: str
    group: str | None  # an attribute value, "other", or None (everyone)
    by: str | None
    fits: list[Fit]
    n: int
    censored: int

    @property
    def best(self) -> Fit | None:
        return self.fits[0] if self.fits else None


@dataclass
class Calibration:
    """Everything estimated from a log, to be written on top of the base scenario."""

    base: object  # Scenario
    log: object  # EventLog
    arrivals: list[ArrivalFit] = field(default_factory=list)
    shares: list[ShareFit] = field(default_factory=list)
    durations: list[DurationFit] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # what stays as the base says, and why


def calibrate(log, base=None) -> Calibration:
    """Estimate demand, mixes, branch shares and step times from ``log`` (an EventLog) in the
    shape of ``base`` (a Scenario; default: the scenario the log was read onto)."""
    base = base if base is not None else log.scenario
    model = base.model
    patients = log.patients
    cal = Calibration(base, log)
    times = patients[model.events].to_numpy(dtype=float) if len(patients) else np.zeros((0, len(model.events)))
    cal.arrivals = _arrivals(model, patients, cal)
    _mixes(model, patients, cal)
    for s in model.steps:
        if s.assign:
            for a in s.assign:
                _shares_by(model, patients, ~np.isnan(times[:, s.end]), a.attribute, a.mix, "assign", s.name, cal)
        if s.branch is not None and s.name in model.attributes:
            _shares_by(model, patients, ~np.isnan(times[:, s.end]), model.attributes.index(s.name),
                       s.branch.table, "branch", s.name, cal)
        if s.takes is not None and s.wait_until is None:
            _durations(model, patients, times, log.end, s, "takes", cal)
        elif s.takes is not None:
            cal.kept.append(f"{s.name}: takes is kept: the step also waits for a time of day, so its times mix the two")
        if s.patience is not None:
            _durations(model, patients, times, log.end, s, "gives_up_after", cal)
        if s.wait_until is not None and s.takes is None:
            _wait_until(model, times, s, cal)
        if s.after is not None:
            cal.kept.append(f"{s.name}: after is kept: a log does not record when a released resource is free again")
    return cal


# arrivals ------------------------------------------------------------------------------
def _arrivals(model, patients, cal: Calibration) -> list[ArrivalFit]:
    arrived = patients["arrived"].to_numpy(dtype=float)
    if not arrived.size:
        return []
    first, last = math.floor(np.nanmin(arrived) / 60), math.floor(np.nanmax(arrived) / 60) + 1
    hours = np.arange(first, last)
    exposure = np.bincount(hours % HOURS_PER_WEEK, minlength=HOURS_PER_WEEK).astype(float)
    out = []
    for s in model.streams:
        if s.rate_by_hour_of_week is None:
            cal.kept.append(f"{s.name}: arrivals are kept: the base gives them at fixed times, not as a rate")
            continue
        mine = arrived[(patients["stream"] == s.name).to_numpy()]
        counts = np.bincount((np.floor(mine / 60).astype(np.int64)) % HOURS_PER_WEEK, minlength=HOURS_PER_WEEK).astype(float)
        out.append(_arrival_fit(s.name, counts, exposure))
    return out


def _arrival_fit(stream: str, counts: np.ndarray, exposure: np.ndarray) -> ArrivalFit:
    seen = exposure > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        saturated = np.where(seen, counts / np.maximum(exposure, 1e-12), 0.0)
    n, e = counts.reshape(7, 24), exposure.reshape(7, 24)
    day, hour = np.ones(7), np.maximum(n.sum(axis=0) / np.maximum(e.sum(axis=0), 1e-12), 1e-12)
    for _ in range(200):  # iterative proportional fitting of rate = day × hour
        day = n.sum(axis=1) / np.maximum((e * hour[None, :]).sum(axis=1), 1e-12)
        hour = n.sum(axis=0) / np.maximum((e * day[:, None]).sum(axis=0), 1e-12)
    product = (day[:, None] * hour[None, :]).ravel()

    def loglik(rate: np.ndarray) -> float:
        mu = rate[seen] * exposure[seen]
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.sum(np.where(counts[seen] > 0, counts[seen] * np.log(np.maximum(mu, 1e-300)), 0.0) - mu))

    k_product = int((n.sum(axis=1) > 0).sum() + (n.sum(axis=0) > 0).sum() - 1)
    aic = {"by_hour": 2 * k_product - 2 * loglik(product), "by_week": 2 * int(seen.sum()) - 2 * loglik(saturated)}
    deviance = 2 * (loglik(saturated) - loglik(product))
    profile = min(aic, key=aic.get)
    return ArrivalFit(stream, counts, exposure, product if profile == "by_hour" else saturated, profile, aic,
                      deviance, int(seen.sum()) - k_product)


# shares --------------------------------------------------------------------------------
def _mixes(model, patients, cal: Calibration) -> None:
    for s in model.streams:
        mine = (patients["stream"] == s.name).to_numpy()
        for a in s.mixes:
            _shares_by(model, patients, mine, a.attribute, None, "mix", s.name, cal)


def _groups(model, patients, varying) -> list[tuple[str | None, np.ndarray]]:
    """The patients of each case of a value that depends on an attribute (``other``: the rest)."""
    everyone = np.ones(len(patients), dtype=bool)
    if varying is None or varying.attribute < 0:
        return [(None, everyone)]
    by = varying.attribute
    given = patients[model.attributes[by]].to_numpy(dtype=object)
    cases = [model.values[by][code] for code in sorted(varying.cases)]
    groups = [(label, given == label) for label in cases]
    if varying.other is not None:
        groups.append(("other", ~np.isin(given.astype(str), cases)))
    return groups


def _shares_by(model, patients, reached: np.ndarray, attribute: int, varying, kind: str, where: str,
               cal: Calibration) -> None:
    """Shares of ``attribute``'s values among the patients ``reached``, in the groups ``varying``
    (the base's mix or branch table) splits them into."""
    name = model.attributes[attribute]
    labels = patients[name].to_numpy(dtype=object)
    known = reached & np.array([v is not None for v in labels], dtype=bool)
    values = model.values[attribute]
    by = varying.attribute if varying is not None else -1
    for group, mask in _groups(model, patients, varying):
        mask = mask & known
        counts = np.array([np.sum(labels[mask] == v) for v in values], dtype=float)
        if counts.sum() == 0:
            if group is not None:
                cal.kept.append(f"{where}: {name} for {model.attributes[by]} {group} is kept: no patient in the log")
            continue
        cal.shares.append(ShareFit(kind, where, name, group, list(values), counts, model.attributes[by] if by >= 0 else None))


def _wait_until(model, times: np.ndarray, step, cal: Calibration) -> None:
    end = times[:, step.end]
    done = ~np.isnan(end) & ~np.isnan(times[:, step.start])
    if not done.any():
        cal.kept.append(f"{step.name}: wait_until is kept: the log has no end times for the step")
        return
    counts = np.bincount(((end[done] % MINUTES_PER_DAY) // 60).astype(int), minlength=24).astype(float)
    cal.shares.append(ShareFit("wait_until", step.name, "hour", None, [str(h) for h in range(24)], counts))


# durations -----------------------------------------------------------------------------
def _durations(model, patients, times: np.ndarray, end_of_log: float, step, kind: str, cal: Calibration) -> None:
    varying = step.takes if kind == "takes" else step.patience
    outcome = patients["outcome"].to_numpy(dtype=object)
    inside = outcome == "inside"
    if kind == "takes":
        start, stop = times[:, step.start], times[:, step.end]
        done = ~np.isnan(start) & ~np.isnan(stop)
        running = ~np.isnan(start) & np.isnan(stop) & inside
        values, censored_at = stop - start, end_of_log - start
        candidates = CANDIDATES
    else:
        queued, started, left = times[:, step.queued], times[:, step.start], times[:, model.event("left")]
        later = np.zeros(len(patients), dtype=bool)
        for j in model.reachable_steps[step.index] - {step.index}:
            s = model.steps[j]
            later |= ~np.isnan(times[:, [s.queued, s.start, s.end]]).all(axis=1)
        done = ~np.isnan(queued) & np.isnan(started) & ~later & (outcome == model.outcomes[step.gives_up_as]) & ~np.isnan(left)
        served = ~np.isnan(queued) & ~np.isnan(started)
        waiting = ~np.isnan(queued) & np.isnan(started) & inside
        running = served | waiting
        values = left - queued
        censored_at = np.where(served, started - queued, end_of_log - queued)
        candidates = ("exponential", "lognormal", "gamma")
    by = varying.attribute
    for group, mask in _groups(model, patients, varying):
        n, c = int((done & mask).sum()), int((running & mask).sum())
        label = f"{step.name}.{kind}" + (f" for {model.attributes[by]} {group}" if group is not None else "")
        if kind == "takes" and n < MIN_TIMES or kind == "gives_up_after" and n == 0:
            cal.kept.append(f"{label} is kept: {n} {'completed times' if kind == 'takes' else 'patients gave up'} in the log")
            continue
        fits = fit_durations(values[done & mask], censored_at[running & mask], candidates)
        cal.durations.append(DurationFit(kind, step.name, group, model.attributes[by] if by >= 0 else None, fits, n, c))
