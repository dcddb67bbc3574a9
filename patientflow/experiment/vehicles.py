"""A fleet's units as tables: the unit log (one row per span of a unit in one state, written to
``units.parquet`` with ``--patients``) and vehicle time by state per unit or per station, averaged
over replications (``Results.vehicles()``, ``vehicles.csv``)."""

from __future__ import annotations

import numpy as np

from ..log import UNIT_COLUMNS, Log
from ..model import RUN_OVER, VEHICLE_STATES, Model
from ..moments.statistics import t_interval
from ..moments.vehicles import VEHICLE_COLUMNS, busy_minutes

_COLUMN = {name: i for i, name in enumerate(UNIT_COLUMNS)}


def unit_name(model: Model, resource: int, station: int, number: int) -> str:
    """A unit as planners name it: its station and its number there (``north 2``)."""
    return f"{model.network.fleets[resource].station_names[station]} {number}"


def units_frame(model: Model, log: Log):
    """The unit log of one replication as a DataFrame: fleet, station, unit, state, start, end,
    the patient served (the patients table's ``patient``; -1: none), and the places."""
    import pandas as pd

    rows = log.units if log.units is not None else np.zeros((0, len(UNIT_COLUMNS)))
    places = [p.name for p in model.network.places] if model.network is not None else []
    col = {name: rows[:, i] for name, i in _COLUMN.items()}
    resource, station, number = (col[k].astype(np.int64) for k in ("resource", "station", "number"))
    fleets = model.network.fleets if model.network is not None else {}

    def place(codes: np.ndarray):
        return pd.Categorical.from_codes(codes.astype(np.int64), places) if places else codes

    return pd.DataFrame({
        "replication": np.full(len(rows), log.replication, dtype=np.int32),
        "fleet": [model.resources[r].name for r in resource],
        "station": [fleets[r].station_names[s] for r, s in zip(resource, station)],
        "unit": [unit_name(model, r, s, n) for r, s, n in zip(resource, station, number)],
        "state": pd.Categorical.from_codes(col["state"].astype(np.int64), list(VEHICLE_STATES)),
        "start": col["start"], "end": col["end"], "patient": col["patient"].astype(np.int64),
        "origin": place(col["origin"]), "destination": place(col["destination"])})


def vehicles_table(model: Model, per_replication: list[np.ndarray], measured_days: np.ndarray, by: str = "unit"):
    """Hours a day in each state, rostered and run-over hours, utilisation (hours serving a
    patient over rostered hours, with a 95 % interval across replications) and cost a day (cost
    per hour × rostered hours), per unit or per station (``by``), mean over replications."""
    import pandas as pd

    if by not in ("unit", "station"):
        raise ValueError("by is 'unit' or 'station'")
    if not per_replication:
        return pd.DataFrame()
    keys = np.unique(np.concatenate([v[:, :3] for v in per_replication]), axis=0)
    if by == "station":
        keys = np.unique(keys[:, :2], axis=0)
    width = keys.shape[1]
    stacked = np.zeros((len(per_replication), len(keys), len(VEHICLE_COLUMNS) - 3 + 1))
    position = {tuple(key): k for k, key in enumerate(keys)}
    for i, v in enumerate(per_replication):
        at = [position[tuple(row[:width])] for row in v]
        np.add.at(stacked[i], at, np.column_stack([v[:, 3:], busy_minutes(v)]))
    hours = stacked / 60.0 / np.asarray(measured_days, dtype=float)[:, None, None]  # per day
    with np.errstate(invalid="ignore", divide="ignore"):
        utilisation = stacked[..., -1] / stacked[..., -2]
    mean, low, high = t_interval(utilisation, axis=0)
    rows = []
    for k, key in enumerate(keys):
        r, s = int(key[0]), int(key[1])
        row = {"fleet": model.resources[r].name, "station": model.network.fleets[r].station_names[s]}
        if by == "unit":
            row["unit"] = unit_name(model, r, s, int(key[2]))
        for j, state in enumerate(VEHICLE_STATES):
            row[f"{state}_hours_a_day"] = float(hours[:, k, j].mean())
        row["rostered_hours_a_day"] = float(hours[:, k, RUN_OVER + 1].mean())
        row["utilisation"], row["utilisation_ci_low"], row["utilisation_ci_high"] = float(mean[k]), float(low[k]), float(high[k])
        row["cost_a_day"] = row["rostered_hours_a_day"] * model.resources[r].cost_per_hour
        rows.append(row)
    return pd.DataFrame(rows)
