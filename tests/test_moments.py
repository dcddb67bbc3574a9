"""The KPI rules of DESIGN §4, checked on a hand-made log."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import scenario
from patientflow.log import INSIDE, Log
from patientflow.moments import STATS, measure, summary_rows
from patientflow.moments.statistics import summary_table

CALLS = """
name: Calls
run: {length: 300min, warm_up: 60min}
demand:
  calls: {per_hour: 1, pathway: call}
resources:
  handler: {count: 1}
pathways:
  call:
    - answer: {use: handler, takes: 2min, gives_up_after: exponential(2min)}
    - advice: {takes: 5min, then: exit advised}
moments:
  time_to_answer: {stage: request, from: arrived, to: answer.start, critical: true,
                   target: [90% within 10min, mean 5min]}
  abandoned: {stage: request, kind: share, from: arrived, outcome: abandoned, critical: true,
              target: at most 5%}
journey: {target: at least 50%}
"""


def _log(model, rows):
    ev = {name: i for i, name in enumerate(model.events)}
    times = np.full((len(rows), len(model.events)), np.nan)
    outcome = np.full(len(rows), INSIDE, dtype=np.int16)
    position = np.zeros(len(rows), dtype=np.int32)
    for i, (events, result, at_step) in enumerate(rows):
        for name, t in events.items():
            times[i, ev[name]] = t
        if result is not None:
            outcome[i] = model.outcomes.index(result)
        position[i] = at_step
    return Log(replication=0, times=times, attributes=np.zeros((len(rows), 0), dtype=np.int16),
               stream=np.zeros(len(rows), dtype=np.int16), outcome=outcome, position=position,
               busy=np.zeros((1, 5)), rostered=np.zeros((1, 5)), queue=np.zeros((1, 5)),
               inside=np.zeros(5), length=300.0)


def test_open_abandoned_and_warm_up_patients_are_counted_as_the_design_says(tmp_path):
    sc = scenario(tmp_path, CALLS)
    model = sc.model
    log = _log(model, [
        ({"arrived": 100, "answer.start": 105, "left": 112}, "advised", 1),   # wait 5: within
        ({"arrived": 100, "answer.start": 130, "left": 137}, "advised", 1),   # wait 30: a miss
        ({"arrived": 100, "left": 150}, "abandoned", 0),                     # no time to answer
        ({"arrived": 200}, None, 0),                  # open, already waited 100 > 10: a miss
        ({"arrived": 295}, None, 0),                  # open, waited 5: left out of the share
        ({"arrived": 50, "answer.start": 90, "left": 97}, "advised", 1),     # before the warm-up
        ({"arrived": 250, "answer.start": 251}, None, 1),   # in advice: done, still inside
    ])
    rows = summary_rows(model)
    stats = measure(model, log, rows)
    col = {s: i for i, s in enumerate(STATS)}
    names = [(r.moment, r.tier.text if r.tier else "") for r in rows]
    within = stats[names.index(("time_to_answer", "90% within 10min"))]
    assert within[col["n"]] == 3 and within[col["n_open"]] == 2
    assert within[col["mean"]] == pytest.approx((5 + 30 + 1) / 3)
    assert within[col["within_target"]] == pytest.approx(2 / 4)  # 2 hits of 3 done + 1 open miss
    share = stats[names.index(("abandoned", "at most 5%"))]
    # decided: the three who left and the one in advice (it can no longer abandon)
    assert share[col["n"]] == 4 and share[col["n_open"]] == 2
    assert share[col["within_target"]] == pytest.approx(1 / 4)
    journey = stats[names.index(("journey", "at least 50%"))]
    # finished after the warm-up: patients 1-3; only patient 1 met every critical moment
    assert journey[col["n"]] == 3
    assert journey[col["within_target"]] == pytest.approx(1 / 3)

    table = summary_table(rows, stats[None, :, :])
    mean_tier = table[(table.moment == "time_to_answer") & (table.tier == "mean 5min")].iloc[0]
    assert mean_tier["target"] == 5 and not mean_tier["met"]
    assert not table[(table.moment == "abandoned")].iloc[0]["met"]
    assert table[(table.moment == "journey")].iloc[0]["unit"] == "share"


def test_summary_means_and_t_intervals_are_taken_across_replications(tmp_path):
    sc = scenario(tmp_path, CALLS)
    rows = summary_rows(sc.model)
    per_rep = np.full((4, len(rows), len(STATS)), np.nan)
    per_rep[:, :, 0] = 10
    per_rep[:, 0, STATS.index("mean")] = [1.0, 2.0, 3.0, 4.0]
    table = summary_table(rows, per_rep)
    first = table.iloc[0]
    assert first["mean"] == pytest.approx(2.5)
    # t(0.975, 3) = 3.182446; sd = 1.290994; half-width = 3.182446 * 1.290994 / 2
    assert first["mean_ci_high"] - first["mean"] == pytest.approx(3.182446 * 1.290994 / 2, rel=1e-5)
    assert first["replications"] == 4


def test_each_tier_says_patients_a_day_missing_it_beyond_what_it_allows_and_hours_beyond(tmp_path):
    sc = scenario(tmp_path, CALLS)
    model = sc.model
    log = _log(model, [
        ({"arrived": 100, "answer.start": 105, "left": 112}, "advised", 1),   # wait 5
        ({"arrived": 100, "answer.start": 130, "left": 137}, "advised", 1),   # wait 30: 20 min beyond 10
        ({"arrived": 100, "left": 150}, "abandoned", 0),
        ({"arrived": 200}, None, 0),                  # open, waited 100 so far: 90 min beyond
        ({"arrived": 295}, None, 0),                  # open, waited 5
        ({"arrived": 250, "answer.start": 251}, None, 1),   # wait 1
    ])
    rows = summary_rows(model)
    stats = measure(model, log, rows)
    col = {s: i for i, s in enumerate(STATS)}
    names = [(r.moment, r.tier.text if r.tier else "") for r in rows]
    days = (300 - 60) / 1440
    within = stats[names.index(("time_to_answer", "90% within 10min"))]
    # 2 misses (the wait of 30, the open one past 10) of 4 judged; the tier allows 10 % of 4
    assert within[col["missed_per_day"]] == pytest.approx(2 / days)
    assert within[col["excess_per_day"]] == pytest.approx((2 - 0.1 * 4) / days)
    assert within[col["beyond_hours_per_day"]] == pytest.approx((20 + 90) / 60 / days)
    mean = stats[names.index(("time_to_answer", "mean 5min"))]
    # waits 5, 30, 1: mean 12; cutting the 30 down to 5 brings it to 11/3 <= 5: one patient
    assert mean[col["excess_per_day"]] == pytest.approx(1 / days)
    assert np.isnan(mean[col["missed_per_day"]]) and np.isnan(mean[col["beyond_hours_per_day"]])
    share = stats[names.index(("abandoned", "at most 5%"))]
    assert share[col["missed_per_day"]] == pytest.approx(1 / days)
    assert share[col["excess_per_day"]] == pytest.approx((1 - 0.05 * 4) / days)
    journey = stats[names.index(("journey", "at least 50%"))]
    assert journey[col["missed_per_day"]] == pytest.approx(2 / days)
    assert journey[col["excess_per_day"]] == pytest.approx((0.5 * 3 - 1) / days)


def test_the_fewest_waits_to_cut_to_a_mean_target():
    from patientflow.moments.measure import fewest_to_mean
    assert fewest_to_mean(np.array([1.0, 2.0, 3.0]), 5) == 0
    assert fewest_to_mean(np.array([30.0, 5.0, 1.0]), 5) == 1
    # mean 10 against 4: the excess is 18; cutting 16 -> 4 saves 12, then 8 -> 4 saves 4, then 6 -> 4 saves 2
    assert fewest_to_mean(np.array([16.0, 8.0, 6.0]), 4) == 3
    assert fewest_to_mean(np.array([]), 4) == 0


def test_time_beyond_adds_only_the_minutes_past_the_threshold():
    from patientflow.moments import time_beyond
    assert time_beyond(np.array([5.0, 20.0, 45.0]), 15) == pytest.approx(5 + 30)
    assert time_beyond(np.array([]), 15) == 0
