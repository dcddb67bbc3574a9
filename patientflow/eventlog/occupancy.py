"""Busy resources, queues and patients inside, hour by hour, from recorded times.

A simulation records these as it runs; a log only has each patient's times. Along the scenario's
steps they say the same: a resource a step ``use``-s is busy from the step's start to its end; one
it ``hold``-s, from the start until the step that releases it ends (plus the mean of ``after``,
the crew's clear-up), or until the patient leaves. A patient queues for a step's resources from
``queued`` to ``start`` (or until giving up); a step taking several resources counts its wait
against the first. Times the log does not give leave their interval out, so busy time is what the
log shows, never more.
"""

from __future__ import annotations

import numpy as np

from ..timeline import hourly_area
from ..clock import MINUTES_PER_WEEK


def rostered_by_hour(resource, n_hours: int) -> np.ndarray:
    """Rostered unit-minutes in each hour (0 for an unlimited resource, as the engine counts)."""
    if resource.capacity_by_minute is None:
        count = float(resource.count)
        return np.zeros(n_hours) if not np.isfinite(count) else np.full(n_hours, count * 60.0)
    minutes = np.arange(n_hours * 60) % MINUTES_PER_WEEK
    return resource.capacity_by_minute[minutes].reshape(n_hours, 60).sum(axis=1).astype(float)


def occupancy(model, times: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(busy, rostered, queue) per resource and hour, and patients inside per hour, from the
    times of every patient (``times`` is patients × events, minutes)."""
    n_hours = max(int(np.ceil(length / 60)), 1)
    n_res = len(model.resources)
    busy = np.zeros((n_res, n_hours))
    queue = np.zeros((n_res, n_hours))
    left = times[:, model.event("left")]
    until = np.where(np.isnan(left), length, left)
    for s in model.steps:
        if not s.acquire:
            continue
        start = times[:, s.start]
        queued = times[:, s.queued]
        waited_to = np.where(np.isnan(start), until, start)
        queue[s.acquire[0]] += hourly_area(queued, waited_to, n_hours)
        for r in s.acquire:
            busy[r] += hourly_area(start, _released(model, s, r, times, until), n_hours)
    rostered = np.array([rostered_by_hour(r, n_hours) for r in model.resources]).reshape(n_res, n_hours)
    inside = hourly_area(times[:, model.event("arrived")], until, n_hours)
    return busy, rostered, queue, inside


def _released(model, step, r: int, times: np.ndarray, until: np.ndarray) -> np.ndarray:
    """When resource ``r``, taken at ``step``, is free again, per patient."""
    if r in step.release_after_use:
        end = times[:, step.end]
        return np.where(np.isnan(end), until, end)
    out = np.full(times.shape[0], np.nan)
    for j in sorted(model.reachable_steps[step.index]):
        later = model.steps[j]
        if r in later.release:
            end = times[:, later.end] + (later.after.mean if later.after is not None else 0.0)
            out = np.where(np.isnan(out), end, out)
    return np.where(np.isnan(out), until, out)
