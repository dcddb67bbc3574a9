"""The columnar per-patient log: what a replication recorded, or what an event log holds, as
numpy arrays (one row per patient). Simulated and recorded patients share it, so the moments
measure both by the same code. Its table form (pandas) is :mod:`patientflow.experiment.patients`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MISSING = -1  # an attribute a patient does not have
INSIDE = -1  # the outcome of a patient still inside at the end


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
