"""Resources: pools of staff or places with a capacity that follows a roster.

A pool serves requests first come, first served, or ordered by a priority (lower first; ties
first come, first served), never pre-empting. When a shift ends and the capacity drops below the
number busy, nobody is interrupted: those in service finish, and no one new starts until a unit
is free under the new capacity.

A pool also records, per hour of the run, the time-weighted busy units, rostered units and queue
length, so utilisation is busy time over rostered (not maximum) capacity.
"""

from __future__ import annotations

import math
from heapq import heappop, heappush

import numpy as np
import simpy
from ..clock import MINUTES_PER_WEEK, WEEK


class Pool:
    """A resource with a changeable capacity, a priority queue and hourly time-weighted records."""

    __slots__ = ("env", "capacity", "busy", "waiting", "_queue", "_seq", "_last", "_bin", "_bin_end",
                 "busy_area", "capacity_area", "queue_area", "_n_bins", "infinite", "track")

    def __init__(self, env: simpy.Environment, capacity: float, n_hours: int, track: bool = False):
        self.env = env
        self.capacity = capacity
        self.infinite = math.isinf(capacity)
        self.busy = 0
        self.waiting = 0
        self._queue: list[list] = []
        self._seq = 0
        self._last = 0.0
        self._bin, self._bin_end = 0, 60.0
        self._n_bins = n_hours
        self.busy_area = [0.0] * n_hours
        self.capacity_area = [0.0] * n_hours
        self.queue_area = [0.0] * n_hours
        self.track: list[float] | None = [] if track else None  # with track: time, busy after, time, ...

    # time-weighted records ---------------------------------------------------------
    def _account(self) -> None:
        now = self.env._now  # the property costs a call on the hottest path
        last = self._last
        if now <= last:
            return
        if now <= self._bin_end:  # the usual case: still within the same hour of the run
            b = self._bin
            if b < self._n_bins:
                span = now - last
                self.busy_area[b] += self.busy * span
                if not self.infinite:
                    self.capacity_area[b] += self.capacity * span
                if self.waiting:
                    self.queue_area[b] += self.waiting * span
            self._last = now
            return
        busy, waiting = self.busy, self.waiting
        cap = 0.0 if self.infinite else self.capacity
        t = last
        b = int(last // 60)
        while t < now:
            end = min(now, (b + 1) * 60.0)
            if b < self._n_bins:
                span = end - t
                self.busy_area[b] += busy * span
                self.capacity_area[b] += cap * span
                self.queue_area[b] += waiting * span
            t, b = end, b + 1
        self._bin = int(now // 60)
        self._bin_end = (self._bin + 1) * 60.0
        self._last = now

    def finish(self) -> None:
        """Close the records at the end of the run."""
        self._account()

    # requests -------------------------------------------------------------------
    def request(self, priority: float = 0.0) -> simpy.Event | None:
        """``None`` when a unit is free now (taken at once); otherwise an event to wait for."""
        if self.waiting == 0 and self.busy < self.capacity:
            self._account()
            self.busy += 1
            if self.track is not None:
                self.track += (self.env._now, self.busy)
            return None
        self._account()
        event = simpy.Event(self.env)
        self._seq += 1
        entry = [priority, self._seq, event]
        event.entry = entry  # type: ignore[attr-defined]
        heappush(self._queue, entry)
        self.waiting += 1
        return event

    def cancel(self, event: simpy.Event) -> None:
        """Withdraw a request still waiting (the patient gave up)."""
        entry = event.entry  # type: ignore[attr-defined]
        if entry[2] is not None:
            self._account()
            entry[2] = None
            self.waiting -= 1

    def release(self) -> None:
        self._account()
        self.busy -= 1
        if self.track is not None:
            self.track += (self.env._now, self.busy)
        if self.waiting:
            self._serve()

    def set_capacity(self, capacity: float) -> None:
        self._account()
        self.capacity = capacity
        if self.waiting:
            self._serve()

    def adjust(self, busy: int = 0, waiting: int = 0, capacity: float | None = None) -> None:
        """Change the counts of a pool whose units another object hands out (a fleet's records)."""
        self._account()
        self.busy += busy
        self.waiting += waiting
        if capacity is not None:
            self.capacity = capacity
        if busy and self.track is not None:
            self.track += (self.env._now, self.busy)

    def occupy(self, units: int) -> None:
        """Start with ``units`` already busy (the initial state)."""
        self._account()
        self.busy += units
        if self.track is not None:
            self.track += (self.env._now, self.busy)

    def _serve(self) -> None:
        queue = self._queue
        while self.waiting and self.busy < self.capacity:
            entry = heappop(queue)
            event = entry[2]
            if event is None:
                continue
            entry[2] = None
            self.waiting -= 1
            self.busy += 1
            if self.track is not None:
                self.track += (self.env._now, self.busy)
            event.succeed()

    def changes(self) -> np.ndarray:
        """With ``track``: a (changes, 2) array of each time the busy count changed and the count
        after it, in time order (several at one time: the last is the count from then on)."""
        return np.asarray(self.track if self.track is not None else [], dtype=float).reshape(-1, 2)

    def records(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Busy, rostered and queue minutes in each hour of the run (time-weighted)."""
        return (np.asarray(self.busy_area), np.asarray(self.capacity_area), np.asarray(self.queue_area))


def roster_changes(capacity_by_minute: np.ndarray, length: float) -> list[tuple[float, float]]:
    """Every (time, capacity) change of a weekly roster in ``(0, length)``."""
    cap = capacity_by_minute
    points = np.flatnonzero(cap != np.roll(cap, 1))
    changes = []
    weeks = int(length // MINUTES_PER_WEEK) + 1
    for week in range(weeks):
        for p in points:
            t = week * WEEK + float(p)
            if 0 < t < length:
                changes.append((t, float(cap[p])))
    return changes


def run_roster(env: simpy.Environment, pool: Pool, changes: list[tuple[float, float]]):
    """A SimPy process setting a pool's capacity at each roster change."""
    for t, capacity in changes:
        yield env.timeout(t - env.now)
        pool.set_capacity(capacity)
