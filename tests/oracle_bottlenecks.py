"""An independent recomputation of bottlenecks.csv from patients.parquet and the scenario (DESIGN §7,
README "bottlenecks.csv").

It shares no code with the library. From each patient's events and the scenario's steps it
rebuilds who waited for what (``STEP.queued`` → ``STEP.got_R`` → … → ``STEP.start``, ``STEP.start``
→ ``STEP.time_reached``), who held which resource (from taking it until the step that frees it
ends, else until leaving) and how many units of each resource were busy (held, or being cleared
until ``STEP.cleared``; an initial occupant from time 0). A sweep over every instant where a count
changes then applies the README's rule: a wait for a resource is split in proportion to what its
busy units are doing, a unit held by a patient queueing for another resource passing the wait on
to that one, up to five resources, never visiting one twice.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from oracle import for_filter, mean_and_interval, moment_groups

CHAIN = 5
TIME_OF_DAY = "time_of_day"
SERVICE = "service"


def _steps(spec: dict) -> list[tuple[str, dict]]:
    return [next(iter(item.items())) for items in spec["pathways"].values() for item in items]


def _waits(p: pd.DataFrame, spec: dict, length: float) -> list[tuple[int, str, float, float]]:
    """(row, resource or time_of_day, from, to) of every wait with a positive length."""
    out = []
    times = {c: p[c].to_numpy(dtype=float) for c in p.columns if "." in c or c in ("arrived", "left")}
    left = times["left"]
    for step, s in _steps(spec):
        taken = [*s.get("hold", ()), *s.get("use", ())]
        ended = ~np.isnan(times[f"{step}.end"])
        before = times[f"{step}.queued"]
        for r in taken:
            raw = times[f"{step}.got_{r}"] if len(taken) > 1 else times[f"{step}.start"]
            end = np.where(np.isnan(raw), np.where(ended, times[f"{step}.start"],
                                                   np.where(np.isnan(left), length, left)), raw)
            for i in np.flatnonzero(~np.isnan(before) & (end > before)):
                out.append((int(i), r, float(before[i]), float(end[i])))
            before = raw  # the next resource is waited for once this one is taken
        if s.get("wait_until") is not None:
            a, b = times[f"{step}.start"], times[f"{step}.time_reached"]
            b = np.where(np.isnan(b), np.where(ended, a, np.where(np.isnan(left), length, left)), b)
            for i in np.flatnonzero(~np.isnan(a) & (b > a)):
                out.append((int(i), TIME_OF_DAY, float(a[i]), float(b[i])))
    return out


def _holds(p: pd.DataFrame, spec: dict, length: float) -> tuple[list, list]:
    """(row, resource, from, to) held by a patient, and (resource, from, to) of busy units."""
    steps = _steps(spec)
    left = p["left"].to_numpy(dtype=float)
    held, busy = [], []

    def freed(i: int, r: str, taken: float, own_step: str | None) -> tuple[float, float]:
        """When row ``i`` frees ``r`` taken at ``taken``, and when the unit is free again."""
        if own_step is not None:
            end = p[f"{own_step}.end"].iat[i]
            if not np.isnan(end):
                return end, end
        best, clear = np.inf, np.inf
        for step, s in steps:
            if r in s.get("release", ()):
                end = p[f"{step}.end"].iat[i]
                if not np.isnan(end) and end >= taken and end < best:
                    best = end
                    clear = p[f"{step}.cleared"].iat[i] if s.get("after") is not None else end
        if best == np.inf:
            best = clear = left[i] if not np.isnan(left[i]) else length
        return best, clear

    for step, s in steps:
        taken = [*s.get("hold", ()), *s.get("use", ())]
        for r in taken:
            at = p[f"{step}.got_{r}"] if len(taken) > 1 else p[f"{step}.start"]
            for i in np.flatnonzero(at.notna().to_numpy()):
                own = step if r in s.get("use", ()) else None
                t = float(at.iat[i])
                end, clear = freed(int(i), r, t, own)
                held.append((int(i), r, t, float(end)))
                busy.append((r, t, float(clear)))
    stream = p["stream"].astype(str).to_numpy()
    for r in spec["resources"]:
        for i in np.flatnonzero(stream == f"initial:{r}"):
            end, clear = freed(int(i), r, 0.0, None)
            held.append((int(i), r, 0.0, float(end)))
            busy.append((r, 0.0, float(clear)))
    return held, busy


def _weights(waits, held, busy, length: float):
    """The sweep: the instants where a count changes, and for each wait's resource the
    cumulative minutes of each chain (per minute waited) at those instants."""
    holds_of = defaultdict(list)
    for row, r, a, b in held:
        holds_of[row].append((r, a, b))
    blocking = []  # (held resource, waited resource, from, to)
    for row, x, a, b in waits:
        for r, h0, h1 in holds_of[row]:
            if r != x and h0 <= a and h1 >= b:
                blocking.append((r, x, a, b))
    passing = {r for r, _, _, _ in blocking}
    points = sorted({0.0, length, *(t for _, _, a, b in blocking for t in (a, b)),
                     *(t for r, a, b in busy if r in passing for t in (a, b))})
    grid = np.asarray(points)

    def counts(intervals) -> np.ndarray:
        delta = np.zeros(grid.size + 1)
        for a, b in intervals:
            delta[np.searchsorted(grid, a)] += 1
            delta[np.searchsorted(grid, min(b, length) if b == b else length)] -= 1
        return np.cumsum(delta)[:-1]

    n = {r: counts([(a, b) for q, a, b in busy if q == r]) for r in {r for r, _, _, _ in blocking}}
    b_ = {key: counts([(a, b) for r, x, a, b in blocking if (r, x) == key]) for key in {(r, x) for r, x, _, _ in blocking}}
    spans = np.diff(grid)

    def chains(path: tuple[str, ...], k: int, weight: float, out: dict) -> None:
        last = path[-1]
        rest = weight
        if last != TIME_OF_DAY and len(path) < CHAIN:
            for (r, x), count in b_.items():
                if r == last and x not in path and n[r][k] > 0 and count[k] > 0:
                    part = weight * count[k] / n[r][k]
                    rest -= part
                    chains((*path, x), k, part, out)
        out[path] = out.get(path, 0.0) + rest

    starts = {r for r, _ in b_}  # a wait for any other resource stays with it
    cumulative: dict[tuple[str, ...], np.ndarray] = {}
    for r0 in starts:
        per = defaultdict(lambda: np.zeros(grid.size))
        for k in range(grid.size - 1):
            out: dict = {}
            chains((r0,), k, 1.0, out)
            for path, w in out.items():
                per[path][k] = w
        for path, w in per.items():
            cumulative[path] = np.concatenate([[0.0], np.cumsum(w[:-1] * spans)])
    return grid, cumulative


def _hour(t) -> np.ndarray:
    return (np.floor((np.asarray(t, dtype=float) % 1440) / 60)).astype(int).clip(0, 23)


def replication_split(p: pd.DataFrame, spec: dict) -> dict:
    """(moment, group) -> {(cause, via): (minutes per done patient, minutes by hour of day)}."""
    run = spec["run"]
    length, warm_up = run["length"], run["warm_up"]
    p = p.reset_index(drop=True)
    waits = _waits(p, spec, length)
    held, busy = _holds(p, spec, length)
    grid, cumulative = _weights(waits, held, busy, length)
    out = {}
    for name, m in spec["moments"].items():
        if m["kind"] != "duration":
            continue
        start, stop = p[m["from_"]].to_numpy(dtype=float), p[m["to"]].to_numpy(dtype=float)
        applies = ~np.isnan(start) & (start >= warm_up) & for_filter(p, m.get("for_")).to_numpy()
        for group, value in moment_groups(spec, m):
            done = applies & ~np.isnan(stop)
            if value is not None:
                done &= (p[m["by"]].astype(str) == value).to_numpy()
            n = int(done.sum())
            causes: dict = defaultdict(lambda: [0.0, np.zeros(24)])
            if not n:
                out[(name, group)] = None
                continue
            waited_by_hour, waited = np.zeros(24), 0.0
            for row, x, a, b in waits:
                if not done[row]:
                    continue
                lo, hi = max(a, start[row]), min(b, stop[row])
                if hi <= lo:
                    continue
                hour = _hour(lo)
                waited += hi - lo
                waited_by_hour[hour] += hi - lo
                if x == TIME_OF_DAY:
                    parts = {(TIME_OF_DAY, ""): hi - lo}
                else:
                    parts = {}
                    for path, w in cumulative.items():
                        if path[0] == x:
                            minutes = np.interp(hi, grid, w) - np.interp(lo, grid, w)
                            key = (path[-1], ">".join(path[:-1]))
                            parts[key] = parts.get(key, 0.0) + minutes
                    if not any(path[0] == x for path in cumulative):
                        parts = {(x, ""): hi - lo}
                for key, minutes in parts.items():
                    causes[key][0] += minutes
                    causes[key][1][hour] += minutes
            span = (stop - start)[done]
            service_hours = np.bincount(_hour(start[done]), weights=span, minlength=24)[:24] - waited_by_hour
            causes[(SERVICE, "")] = [float(span.sum()) - waited, service_hours]
            out[(name, group)] = {key: (total / n, hours) for key, (total, hours) in causes.items()}
    return out


def concentrated(by_hour: np.ndarray) -> str:
    """The shortest run of hours (past midnight too) holding at least half the minutes; of
    several, the one holding the most (the earliest of equals)."""
    total = float(np.clip(by_hour, 0, None).sum())
    if total <= 0:
        return ""
    values = np.clip(by_hour, 0, None)
    for length in range(1, 25):
        held = [sum(values[(first + k) % 24] for k in range(length)) for first in range(24)]
        first = max(range(24), key=lambda f: (held[f], -f))
        if held[first] >= 0.5 * total - 1e-9 * total:
            return "all day" if length == 24 else f"{first:02d}:00-{(first + length) % 24:02d}:00"
    return "all day"


def oracle_bottlenecks(patients: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """bottlenecks.csv as README and DESIGN §7 define it, from the patients and the scenario dict."""
    per_rep = [replication_split(p, spec) for _, p in patients.groupby("replication", sort=True)]
    records = []
    for key in per_rep[0]:
        causes = sorted({c for rep in per_rep if rep.get(key) for c in rep[key]})
        stats = {}
        for cause in causes:
            values = [rep[key][cause][0] if rep.get(key) and cause in rep[key] else
                      (0.0 if rep.get(key) else np.nan) for rep in per_rep]
            hours = sum((rep[key][cause][1] for rep in per_rep if rep.get(key) and cause in rep[key]), np.zeros(24))
            stats[cause] = (*mean_and_interval(values), hours)
        total = sum(s[0] for s in stats.values())
        for (cause, via), (mean, low, high, hours) in stats.items():
            if mean > 1e-9 * total:  # less is rounding: no time at all
                records.append({"moment": key[0], "group": key[1], "cause": cause, "via": via, "mean_minutes": mean,
                                "mean_minutes_ci_low": max(low, 0.0) if low == low else low,
                                "mean_minutes_ci_high": high, "share": mean / total, "hours": concentrated(hours)})
    return pd.DataFrame.from_records(records)
