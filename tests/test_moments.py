"""The KPI rules of DESIGN §4, checked on a hand-made log."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import scenario
from patientflow.engine import INSIDE, Log
from patientflow.moments import STATS, measure, summary_rows
from patientflow.stats import summary_table

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
