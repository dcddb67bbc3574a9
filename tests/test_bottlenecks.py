"""Where the wait goes (bottlenecks.csv): the split of each moment's time into its causes.

The cases are worked out by hand (a chain of holds with fixed times), or checked against the
patients' own events (a tandem of two stations), or have nothing to wait for (no queue)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import patientflow as pf
from patientflow.moments.bottlenecks import concentrated_hours

from helpers import scenario

# Calls wait for the one ambulance; crews wait at the ED for the one cubicle; patients in the
# cubicle wait for the one ward bed. Fixed times, no ties: every minute below is worked out by hand.
CHAIN = """
name: A chain of holds
run: {length: 2000min, warm_up: 0min, replications: 1, seed: 1}
demand:
  calls: {at: [0, 2min, 40min, 45min], pathway: call}
resources:
  ambulance: {count: 1}
  cubicle: {count: 1}
  ward_bed: {count: 1}
pathways:
  call:
    - dispatch: {hold: ambulance, takes: 10min}
    - handover: {hold: cubicle, takes: 5min, release: ambulance}
    - treat: {takes: 12min}
    - bed_wait: {hold: ward_bed}
    - to_ward: {release: cubicle}
    - ward: {takes: 200min, release: ward_bed}
moments:
  response: {stage: s, from: arrived, to: dispatch.start}
  handover: {stage: s, from: handover.queued, to: handover.end}
"""


def _split(frame: pd.DataFrame, moment: str, group: str = "all") -> dict[tuple[str, str], float]:
    rows = frame[(frame["moment"] == moment) & (frame["group"] == group)]
    return {(r.cause, r.via): r.mean_minutes for r in rows.itertuples()}


def test_a_chain_of_holds_is_traced_to_its_root(tmp_path):
    # Call 1 (t=0) takes the ambulance; at the ED it gets the cubicle at 10, frees the ambulance
    # at 15, and the bed at 27 (in it until 227). Call 2 (t=2) waits 2-15 for the ambulance, in
    # service with call 1 (13 min, ambulance); at the ED 25-27 for the cubicle, in service (2 min);
    # then boards in the cubicle 44-227. Call 3 (t=40) has the ambulance at once and waits at the
    # ED 50-227 for the cubicle, held by call 2 waiting for the bed (177 min, ward_bed via
    # cubicle), then holds the ambulance until 232 while call 4 (t=45) waits for it: 45-50 and
    # 227-232 the crew is busy (10 min, ambulance), 50-227 it waits for the cubicle held by call 2
    # waiting for the bed (177 min, ward_bed via ambulance>cubicle). Call 4 waits at the ED
    # 242-244 (call 3 in treatment: cubicle) and 244-427 (call 3 boarding: ward_bed via cubicle).
    res = pf.simulate(scenario(tmp_path, CHAIN), cache=False)
    frame = res.bottlenecks()
    response = _split(frame, "response")
    assert response == pytest.approx({("ward_bed", "ambulance>cubicle"): 177 / 4, ("ambulance", ""): 23 / 4})
    handover = _split(frame, "handover")
    assert handover == pytest.approx({("ward_bed", "cubicle"): 360 / 4, ("service", ""): 20 / 4,
                                      ("cubicle", ""): 4 / 4})
    for _, rows in frame.groupby(["moment", "group"]):
        assert rows["share"].sum() == pytest.approx(1.0)
    assert list(frame.columns) == ["moment", "group", "cause", "via", "mean_minutes", "mean_minutes_ci_low",
                                   "mean_minutes_ci_high", "share", "hours"]


TANDEM = """
name: Two stations in tandem
run: {length: 20d, warm_up: 1d, replications: 3, seed: 5}
demand:
  arrivals: {per_day: 1000, pathway: visit}
resources:
  first: {count: 1}
  second: {count: 1}
pathways:
  visit:
    - one: {use: first, takes: exponential(1min)}
    - two: {use: second, takes: exponential(1.2min)}
moments:
  through: {stage: s, from: arrived, to: two.end}
"""


def test_in_a_tandem_each_station_s_share_is_its_own_wait(tmp_path):
    res = pf.simulate(scenario(tmp_path, TANDEM), keep_patients=3, cache=False)
    split = _split(res.bottlenecks(), "through")
    assert set(split) == {("first", ""), ("second", ""), ("service", "")}
    p = res.patients
    p = p[(p["arrived"] >= 1440) & p["two.end"].notna()]
    waits = {name: [] for name in ("first", "second", "service")}
    for _, rep in p.groupby("replication"):
        waits["first"].append((rep["one.start"] - rep["one.queued"]).mean())
        waits["second"].append((rep["two.start"] - rep["two.queued"]).mean())
        waits["service"].append(((rep["one.end"] - rep["one.start"]) + (rep["two.end"] - rep["two.start"])).mean())
    assert len(waits["first"]) == 3
    for name, values in waits.items():
        assert split[(name, "")] == pytest.approx(float(np.mean(values)), rel=1e-9)


NO_QUEUE = """
name: Nothing to wait for
run: {length: 3d, warm_up: 0min, replications: 2, seed: 3}
demand:
  arrivals: {per_day: 200, pathway: visit}
resources:
  desk: {count: 50}
pathways:
  visit:
    - see: {use: desk, takes: 10min}
    - after: {takes: exponential(5min)}
moments:
  visit: {stage: s, from: arrived, to: after.end}
"""


def test_without_a_queue_all_the_time_is_service(tmp_path):
    res = pf.simulate(scenario(tmp_path, NO_QUEUE), cache=False)
    frame = res.bottlenecks()
    assert list(zip(frame["cause"], frame["via"])) == [("service", "")]
    assert frame["share"].tolist() == [1.0]
    summary = res.summary()
    assert frame["mean_minutes"].iloc[0] == pytest.approx(float(summary.loc[summary["moment"] == "visit", "mean"].iloc[0]))


def test_the_hours_named_hold_at_least_half_the_minutes():
    by_hour = np.zeros(24)
    by_hour[[22, 23, 0, 1]] = 10.0
    by_hour[12] = 5.0
    assert concentrated_hours(by_hour) == "22:00-01:00"  # two hours hold 20 of 45, three 30
    by_hour[12] = 0.0
    assert concentrated_hours(by_hour) == "00:00-02:00"  # 20 of 40 is half: the earliest such run
    assert concentrated_hours(np.ones(24)) == "00:00-12:00"
    assert concentrated_hours(np.zeros(24)) == ""
