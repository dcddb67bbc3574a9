"""Where the wait goes: each duration moment's time split into its causes, in one replication.

For every duration moment and group, the time of its done patients between the from-event and
the to-event is split into:

* ``service`` — the patient is being served (a step's ``takes``), or between steps;
* ``time_of_day`` — the patient waits for a time of day (``wait_until``);
* queueing for a resource, attributed to the **root** of the chain of holds behind it.

**The attribution rule.** A patient queueing for resource *r* at time *t* waits because every
unit of *r* is busy. Each busy unit is doing one of two things: serving (its holder is in
service, waiting for a time of day, or the unit is being turned round after a release), or being
held by a patient who is itself queueing for another resource *s* (a cubicle held by a patient
waiting for a ward bed), or for a time of day (a bed held by a patient waiting for the hour of
discharge). At each instant the wait is split in proportion to the busy units of *r* in each
state: the serving share stays with *r*; the share held by patients queueing for *s* passes to
*s*, where it is split again the same way, and so on to the root. A chain never visits a
resource twice and is at most :data:`~.holds.MAX_CHAIN` resources long; what would go further stays with
the last resource. The result of a wait is a path: ``cause`` is its root (a resource, or
``time_of_day``), ``via`` the resources it acts through, in order (``ambulance>cubicle``: calls
wait for ambulances held at the ED by crews waiting for a cubicle, held by patients waiting for a
ward bed). The parts of a wait add up to the wait, and the causes of a moment to its time.

**Where the numbers come from.** The log records when each resource of a step is taken
(``STEP.got_<resource>`` for steps taking two or more; otherwise ``STEP.start``), when a time of
day came (``STEP.time_reached``), and, for each resource that a patient may hold while queueing
(:attr:`~patientflow.model.Model.blocking`), every change of its busy units. Who holds what is
rebuilt from the pathways: a resource taken with ``use`` is freed when its step ends; one taken
with ``hold``, when the step releasing it ends, else when the patient leaves.

**Hours.** A wait's minutes are counted in the hour of the day in which that wait (the part
within the moment) began; service minutes in the hour the moment began.
:func:`concentrated_hours` names the shortest run of hours holding at least half of them (of
several, the one holding the most).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..log import Log
from ..model import Model
from .holds import SERVICE, WAITING_TIME_OF_DAY, Cause, Structure, Weights, patient_waits
from .measure import counted_by_group

HOURS = 24
CONCENTRATED = 0.5  # the share of a cause's minutes its named hours hold at least
NEGLIGIBLE = 1e-9  # a cause with less than this share of a moment's time took none (rounding)


def columns(model: Model) -> list[Cause]:
    """The causes a replication's split has, in order (the same for every replication)."""
    return Structure.of(model).columns


def rowgroups(model: Model) -> list[tuple[str, str]]:
    """The (moment, group) rows of the split, in order: the duration moments' groups."""
    return [(m.name, group) for m, _code, group in Structure.of(model).rowgroups]


def split(model: Model, log: Log, counts_by_group: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One replication's split: ``(minutes, by_hour)``; ``minutes`` is (rowgroups, causes), the
    mean minutes per done patient (NaN: no done patient), ``by_hour`` (rowgroups, causes, 24) the
    minutes in all, by the hour of the day they began (see the module's rules).
    ``counts_by_group``: :func:`~.measure.counted_by_group` of ``log``, when already known.

    Every moment and group at once: ``row[k, p]`` is the row of the split patient ``p`` counts
    in as a done patient of the ``k``-th duration moment (a moment's groups, the values of its
    ``by`` attribute, never share a patient), and each (moment, wait) pair of such a patient is
    clipped to the moment and added to its row's cells."""
    counts = counts_by_group if counts_by_group is not None else counted_by_group(model, log)
    st = Structure.of(model)
    n_rows, n_cols = len(st.rowgroups), len(st.columns)
    minutes = np.full((n_rows, n_cols), np.nan)
    by_hour = np.zeros((n_rows, n_cols, HOURS))
    if not n_rows:
        return minutes, by_hour
    start = log.times[:, [m.start_event for m in st.moments]].T  # (moments, patients)
    stop = log.times[:, [m.end_event for m in st.moments]].T
    finished = ~np.isnan(stop)
    row = np.full(start.shape, -1, dtype=np.int64)
    for g, (k, key) in enumerate(zip(st.row_moment, st.row_key)):
        row[k, counts[key] & finished[k]] = g
    waits = patient_waits(st, log)
    weights = Weights(st, log, waits)
    k, w = np.nonzero(row[:, waits.patient] >= 0)  # each done patient's waits, moment by moment
    patient = waits.patient[w]
    lo = np.maximum(waits.begins[w], start[k, patient])  # within the moment
    hi = np.minimum(waits.ends[w], stop[k, patient])
    ok = hi > lo
    k, w, patient, lo, hi = k[ok], w[ok], patient[ok], lo[ok], hi[ok]
    length = hi - lo
    hour = _hour_of_day(lo)
    g = row[k, patient]
    cell = (g * n_cols) * HOURS + hour  # the wait's cell in column 0
    cells = by_hour.reshape(-1)
    chained = {path[0] for path in weights.cumulative if len(path) > 1}  # resources whose waits split along chains
    column = _whole_column(model, st, chained)[waits.resource[w] + 1]
    whole = column >= 0
    cells += np.bincount(cell[whole] + column[whole] * HOURS, weights=length[whole], minlength=cells.size)
    resource = waits.resource[w]
    for r in chained:
        of = resource == r
        for path in st.paths[r]:
            cells += np.bincount(cell[of] + st.column_of[path] * HOURS, weights=weights.minutes(path, lo[of], hi[of]),
                                 minlength=cells.size)
    kc, pc = np.nonzero(row >= 0)  # the done patients, moment by moment
    gc = row[kc, pc]
    span = stop[kc, pc] - start[kc, pc]
    served = np.bincount(gc * HOURS + _hour_of_day(start[kc, pc]), weights=span, minlength=n_rows * HOURS)
    waited = np.bincount(g * HOURS + hour, weights=length, minlength=n_rows * HOURS)
    by_hour[:, 0] = (served - waited).reshape(n_rows, HOURS)
    n = np.bincount(gc, minlength=n_rows)
    has = n > 0
    minutes[has] = by_hour[has].sum(axis=2) / n[has, None]
    minutes[has, 0] = (np.bincount(gc, weights=span, minlength=n_rows)[has]
                       - np.bincount(g, weights=length, minlength=n_rows)[has]) / n[has]
    return minutes, by_hour


def _whole_column(model: Model, st: Structure, chained: set[int]) -> np.ndarray:
    """The column a wait goes to whole, by its resource (+1; 0: a time of day); -1: split along
    the chains of holds behind it (the resources ``chained``)."""
    whole = np.full(len(model.resources) + 1, -1, dtype=np.int64)
    whole[0] = 1
    for r in st.paths:
        if r not in chained:
            whole[r + 1] = st.column_of[(r,)]
    return whole


def _hour_of_day(t: np.ndarray) -> np.ndarray:
    """The hour of the day of times at or after 0 (minutes since Monday 00:00)."""
    return (np.asarray(t) * (1 / 60)).astype(np.int64) % HOURS


def concentrated_hours(by_hour: np.ndarray) -> str:
    """The shortest run of hours of the day (wrapping past midnight) holding at least half of
    ``by_hour``'s minutes (of several, the one holding the most; the earliest of equals), as
    ``14:00-02:00``; ``all day`` when it takes all 24; empty with none."""
    values = np.clip(np.asarray(by_hour, dtype=float), 0.0, None)
    total = values.sum()
    if not total > 0:
        return ""
    doubled = np.concatenate([values, values])
    sums = np.concatenate([[0.0], np.cumsum(doubled)])
    for length in range(1, HOURS + 1):
        held = sums[length:length + HOURS] - sums[:HOURS]
        best = int(np.argmax(held))
        if held[best] >= CONCENTRATED * total - 1e-9 * total:
            if length == HOURS:
                return "all day"
            return f"{best:02d}:00-{(best + length) % HOURS:02d}:00"
    return "all day"


BOTTLENECK_COLUMNS = ["moment", "group", "cause", "via", "mean_minutes", "mean_minutes_ci_low",
                      "mean_minutes_ci_high", "share", "hours"]


def bottleneck_table(model: Model, minutes: np.ndarray, by_hour: np.ndarray):
    """bottlenecks.csv (DESIGN §7) from every replication's split: ``minutes`` (replications,
    rowgroups, causes) and ``by_hour`` (replications, rowgroups, causes, 24). A cause's
    ``mean_minutes`` is the mean over replications of its mean minutes per done patient, with a 95 %
    t-interval (not below 0); ``share`` its part of the row group's time (they add to 1); causes
    that took none of it (less than :data:`NEGLIGIBLE`: rounding) are left out; the rest go from the most minutes to the least."""
    import pandas as pd

    from .statistics import t_interval

    cols = columns(model)
    records = []
    if minutes.size:
        mean, low, high = t_interval(minutes, axis=0)
        pooled = by_hour.sum(axis=0)
        for g, (moment, group) in enumerate(rowgroups(model)):
            total = np.nansum(mean[g])
            if not np.isfinite(mean[g]).any() or not total > 0:
                continue
            for c in sorted(range(len(cols)), key=lambda c: (-mean[g, c], c)):
                if not mean[g, c] > NEGLIGIBLE * total:
                    continue
                records.append({"moment": moment, "group": group, "cause": cols[c].cause, "via": cols[c].via_text,
                                "mean_minutes": mean[g, c], "mean_minutes_ci_low": max(low[g, c], 0.0),
                                "mean_minutes_ci_high": high[g, c], "share": mean[g, c] / total,
                                "hours": concentrated_hours(pooled[g, c])})
    return pd.DataFrame.from_records(records, columns=BOTTLENECK_COLUMNS)


@dataclass(frozen=True)
class MainCause:
    """The main cause of a moment's time (:func:`main_cause`): a root and the ways it acts."""

    cause: str  # the root: a resource, or time_of_day
    share: float  # of the moment's time, every way together
    hours: str  # those of its largest way
    ways: tuple[tuple[tuple[str, ...], float], ...]  # (via, share of the moment's time), largest first

    @property
    def root_is_resource(self) -> bool:
        return self.cause != WAITING_TIME_OF_DAY


def main_cause(table, moment: str, group: str) -> MainCause | None:
    """The root cause with the most minutes of a moment and group's time, every chain it acts
    through together (service apart; None when all of it is service): the cause to act on
    first. ``table``: :func:`bottleneck_table`."""
    rows = table[(table["moment"] == moment) & (table["group"] == group) & (table["cause"] != SERVICE)]
    if rows.empty:
        return None
    by_root = rows.groupby("cause", sort=False)["mean_minutes"].sum()
    root = str(by_root.idxmax())
    mine = rows[rows["cause"] == root].sort_values("mean_minutes", ascending=False, kind="stable")
    ways = tuple((tuple(v for v in str(r.via).split(">") if v), float(r.share)) for r in mine.itertuples())
    return MainCause(root, float(mine["share"].sum()), str(mine["hours"].iloc[0]), ways)
