"""An independent recomputation of vehicles.csv from units.parquet and the scenario (README, "The
ambulance network"): per unit, hours a day in each state over the measured period (from the first
whole hour after the warm-up), rostered hours (activity less run-over), utilisation (serving a
patient, mobilising to clearing, over rostered time, per replication, with a 95 % t-interval) and
cost a day (rostered hours × cost per hour). Shares no code with the library."""

from __future__ import annotations

import math

import pandas as pd
from scipy import stats

STATES = ("at_station", "mobilising", "to_patient", "on_scene", "to_hospital", "at_hospital", "clearing", "returning")
SERVING = ("mobilising", "to_patient", "on_scene", "to_hospital", "at_hospital", "clearing")


def shift_hours(shift: dict) -> float:
    """Hours a day of one roster shift, as the scenario dict holds it (minutes from midnight)."""
    start, end = shift["start"], shift["end"]
    return ((end - start) % 1440 or 1440) / 60 * len(shift["days"]) / 7


def rostered_hours_a_day(spec: dict, fleet: str) -> dict[str, float]:
    """Unit-hours a day each station of a fleet is rostered, from its shifts or its count."""
    out = {}
    for station, given in spec["resources"][fleet]["fleet"].items():
        out[station] = 24.0 * given["count"] if given.get("count") else sum(shift_hours(s) * s["staff"] for s in given["roster"])
    return out


def oracle_vehicles(units: pd.DataFrame, spec: dict, by: tuple[str, ...] = ("fleet", "station", "unit")) -> pd.DataFrame:
    """vehicles.csv as the README defines it, one row per unit (or per station, ``by``: each
    station's units added up before its utilisation is taken, replication by replication)."""
    run = spec["run"]
    start, end = math.ceil(run["warm_up"] / 60) * 60.0, run["length"]
    days = (end - start) / 1440
    clipped = units.assign(minutes=(units["end"].clip(upper=end) - units["start"].clip(lower=start)).clip(lower=0))
    per = clipped.pivot_table(index=["replication", *by], columns="state", values="minutes",
                              aggfunc="sum", fill_value=0.0, observed=True)
    per = per.reindex(columns=[*STATES, "run_over"], fill_value=0.0)
    replications = sorted(units["replication"].unique())
    rows = []
    for key, mine in per.groupby(level=list(by), sort=False):
        mine = mine.droplevel(list(by)).reindex(replications, fill_value=0.0)
        hours = mine / 60 / days
        rostered = hours[list(STATES)].sum(axis=1) - hours["run_over"]
        utilisation = hours[list(SERVING)].sum(axis=1) / rostered
        n = len(utilisation)
        half = stats.t.ppf(0.975, n - 1) * utilisation.std(ddof=1) / math.sqrt(n)
        row = dict(zip(by, key))
        fleet = row["fleet"]
        row.update({f"{s}_hours_a_day": float(hours[s].mean()) for s in (*STATES, "run_over")})
        row.update(rostered_hours_a_day=float(rostered.mean()), utilisation=float(utilisation.mean()),
                   utilisation_ci_low=float(utilisation.mean() - half), utilisation_ci_high=float(utilisation.mean() + half),
                   cost_a_day=float(rostered.mean()) * spec["resources"][fleet]["cost_per_hour"])
        rows.append(row)
    return pd.DataFrame(rows)
