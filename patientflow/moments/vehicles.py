"""A fleet's vehicle time by state, measured from the unit log of one replication.

Each unit's rows of the unit log (:data:`patientflow.log.UNIT_COLUMNS`) are clipped to the
measured period (from the first whole hour after the warm-up to the end) and added up by state.
The eight activity states cover every minute a unit is on duty; ``run_over`` rows overlap them
(the time worked past the roster), so a unit's rostered time is its activity less its run-over.
"""

from __future__ import annotations

import numpy as np

from ..log import Log
from ..model import BUSY_STATES, RUN_OVER, VEHICLE_STATES, Model
from ..clock import measured_start

# the columns of vehicle_minutes: the unit's identity, minutes in each state, rostered minutes
VEHICLE_COLUMNS = ("resource", "station", "number", *VEHICLE_STATES, "rostered")


def vehicle_minutes(model: Model, log: Log) -> np.ndarray | None:
    """Per unit of every fleet (rows ordered by resource, station, number): its identity and the
    minutes it spent in each state over the measured period, and its rostered minutes. Units a
    roster has but that were never on duty in the period are rows of zeros. None: no fleet."""
    network = model.network
    if network is None or not network.fleets or log.units is None:
        return None
    known = [(r, s, n) for r in sorted(network.fleets) for s, n in network.units(r)]
    rows = log.units
    keys = np.unique(np.concatenate([np.asarray(known, dtype=float).reshape(-1, 3), rows[:, :3]]), axis=0)
    out = np.zeros((len(keys), len(VEHICLE_COLUMNS)))
    out[:, :3] = keys
    if len(rows):
        start = np.maximum(rows[:, 4], measured_start(model.warm_up))
        minutes = np.clip(np.minimum(rows[:, 5], log.length) - start, 0.0, None)
        at = np.searchsorted(_key(keys), _key(rows[:, :3]))
        np.add.at(out, (at, 3 + rows[:, 3].astype(int)), minutes)
    activity = out[:, 3:3 + RUN_OVER].sum(axis=1)
    out[:, -1] = activity - out[:, 3 + RUN_OVER]
    return out


def busy_minutes(vehicles: np.ndarray) -> np.ndarray:
    """Per row of :func:`vehicle_minutes`: minutes serving a patient (mobilising to clearing)."""
    return vehicles[:, [3 + s for s in BUSY_STATES]].sum(axis=1)


def _key(identity: np.ndarray) -> np.ndarray:
    """A unit's (resource, station, number) as one sortable number, in the order of np.unique."""
    return identity[:, 0] * 1e12 + identity[:, 1] * 1e6 + identity[:, 2]
