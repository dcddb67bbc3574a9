"""The columnar per-patient log: what a replication recorded, or what an event log holds, as
numpy arrays (one row per patient). Simulated and recorded patients share it, so the moments
measure both by the same code. Its table form (pandas) is :mod:`patientflow.experiment.patients`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MISSING = -1  # an attribute a patient does not have
INSIDE = -1  # the outcome of a patient still inside at the end


# the unit log's columns (a float array, one row per span): the fleet's resource, the unit's
# station and number there (its identity), its state (model.VEHICLE_STATES), the span, the patient
# it serves (the log's row, -1: none), and where it was and where it went (Network.places; the
# same place for a state spent in one place)
UNIT_COLUMNS = ("resource", "station", "number", "state", "start", "end", "patient", "origin", "destination")


def derived_times(times: np.ndarray, derived: list[tuple[int, list[tuple[int, float]]]]) -> None:
    """Fill each derived event (``Model.derived``) with the earliest of its sources that
    happened, plus its minutes; NaN when none did. In place, on simulated or recorded times."""
    for event, sources in derived:
        if not len(times):
            continue
        found = np.column_stack([times[:, e] + offset for e, offset in sources])
        known = ~np.isnan(found)
        earliest = np.where(known, found, np.inf).min(axis=1)
        times[:, event] = np.where(known.any(axis=1), earliest, np.nan)


@dataclass
class Log:
    """What one replication recorded, as numpy arrays (one row per patient)."""

    replication: int
    times: np.ndarray  # (patients, events) minutes since Monday 00:00; NaN: did not happen
    attributes: np.ndarray  # (patients, attributes) value codes; -1: not given
    stream: np.ndarray  # arrival stream (the initial occupants of resource r: len(streams) + r)
    outcome: np.ndarray  # outcome code; -1: still inside at the end
    position: np.ndarray  # the last step reached
    busy: np.ndarray  # (resources, hours) busy unit-minutes in each hour of the run
    rostered: np.ndarray  # (resources, hours) rostered unit-minutes (0 for unlimited resources)
    queue: np.ndarray  # (resources, hours) waiting patient-minutes
    inside: np.ndarray  # (hours,) patient-minutes inside the system
    length: float
    overloaded: bool = False  # stopped early: more patients inside than the bound
    waiting_at_end: np.ndarray | None = None  # (resources,) patients queueing for each resource at the end
    events_processed: int = 0
    # resource -> (changes, 2): each time its busy units changed and how many were busy after, for
    # the resources a patient may hold while queueing for another (Model.blocking); simulated only
    busy_changes: dict[int, np.ndarray] = field(default_factory=dict)
    # the unit log of a network's fleets: one row per span of a unit in one state (UNIT_COLUMNS);
    # None: no fleet (or recorded data)
    units: np.ndarray | None = None
