"""Where the wait goes (bottlenecks.csv): the split of each moment's time into its causes.

The cases are worked out by hand (a chain of holds with fixed times), or checked against the
patients' own events (a tandem of two stations), or have nothing to wait for (no queue)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import patientflow as pf
from patientflow.moments.bottlenecks import concentrated_hours

from helpers import cli, scenario

ROOT = Path(__file__).resolve().parents[1]

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


CHAIN_TARGETS = CHAIN.replace(
    "response: {stage: s, from: arrived, to: dispatch.start}",
    "response: {stage: s, from: arrived, to: dispatch.start, target: mean 10min, critical: true}").replace(
    "handover: {stage: s, from: handover.queued, to: handover.end}",
    "handover: {stage: s, from: handover.queued, to: handover.end, target: 90% within 15min, critical: true}")


def test_run_says_where_to_act_first_and_writes_the_experiment_that_tests_it(tmp_path, monkeypatch):
    from helpers import write

    from patientflow.report.run_folder import run_to_folder

    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, CHAIN_TARGETS)
    done = run_to_folder(pf.load_scenario(path), tmp_path / "out")
    written = (tmp_path / "out" / "bottlenecks.csv")
    frame = pd.read_csv(written, keep_default_na=False)
    assert _split(frame.assign(via=frame["via"].astype(str)), "response") == pytest.approx(
        {("ward_bed", "ambulance>cubicle"): 177 / 4, ("ambulance", ""): 23 / 4})
    # both moments miss; the handover's 90 % within 15 min: 2 of 4 within, so 50 %; its mean wait
    # of 96 min is 94 % ward beds (through cubicles); the response's mean of 50 min, 88 %
    variant = tmp_path / "out" / "try-ward_bed.yaml"
    text = variant.read_text()
    assert "count: 2" in text and 'extends: "../scenario.yaml"' in text
    html = (tmp_path / "out" / "report.html").read_text()
    first = html.index("Act here first</h2>")
    assert first < html.index("critical targets missed")
    assert ("94 % of the time is waiting on ward beds, mostly 04:00 to 05:00: queueing for cubicles held by "
            "patients waiting for a ward bed (94 %)") in html  # call 3 began its wait at 00:50, call 4 at 04:04
    assert ("88 % of the time is waiting on ward beds, mostly 00:00 to 01:00: queueing for ambulances held by "
            "patients waiting for a cubicle, held by patients waiting for a ward bed (88 %)") in html
    assert "try-ward_bed.yaml" in html and "1 → 2 ward beds" in html
    # the variant is a scenario the tool reads, and the command printed for it runs as printed
    shown = cli("run", path.name, "--out", "out", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "Act here first:" in lines
    assert any(line.startswith("1. ") and "ward beds" in line and "Try out/try-ward_bed.yaml (1 → 2 ward beds)" in line
               for line in lines)
    command = next(line.strip() for line in lines if line.strip().startswith("patientflow compare"))
    assert command == "patientflow compare scenario.yaml out/try-ward_bed.yaml"
    compared = cli(*command.split()[1:], "--out", "cmp", cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    better = pf.simulate(pf.load_scenario(variant), cache=False).summary()
    # a second bed from 44 frees call 2's cubicle for call 3; call 4 still finds both beds taken
    assert float(better.loc[better["moment"] == "handover", "within_target"].iloc[0]) == 0.75
    assert done.folder == tmp_path / "out"


@pytest.mark.slow
def test_on_the_baseline_the_top_cause_s_experiment_moves_its_target_more_than_the_same_money_elsewhere():
    from patientflow.experiment.costs import weekly_cost
    from patientflow.report.act import actions

    baseline = pf.load_scenario(ROOT / "scenarios" / "baseline.yaml").with_changes({"run.length": "35d"})
    res = pf.simulate(baseline, replications=8, seed=3, jobs=2)
    top = actions(res)[0]
    tried = top.experiment
    assert tried is not None and tried.resource == top.cause.cause
    # the same money on staff that the top miss's split names nowhere, on duty all day
    rows = res.bottlenecks()
    rows = rows[(rows["moment"] == top.miss.moment) & (rows["group"] == top.miss.group)]
    named = set(rows["cause"]) | {r for via in rows["via"] for r in str(via).split(">") if r}
    other = next(r for r in baseline.model.resources
                 if r.cost_per_hour > 0 and r.capacity_by_minute is not None and r.name not in named)
    units = int(np.ceil(tried.extra_cost_per_week / (other.cost_per_hour * 168)))
    elsewhere = baseline.with_changes({f"resources.{other.name}.roster": {"00:00-24:00": units}})
    assert weekly_cost(elsewhere.model) - weekly_cost(baseline.model) >= tried.extra_cost_per_week
    cmp = pf.compare({"baseline": baseline, "top cause": baseline.with_changes(tried.changes), "elsewhere": elsewhere},
                     replications=8, seed=3, jobs=2)
    table = cmp.table()
    tier = table[(table["moment"] == top.miss.moment) & (table["group"] == top.miss.group)
                 & (table["tier"] == top.miss.tier) & (table["statistic"] == "within_target")]
    moved, spent = (tier[tier["scenario"] == name].iloc[0] for name in ("top cause", "elsewhere"))
    assert moved["ci_low"] > 0, moved  # the share within the target rises, and the interval excludes 0
    assert moved["difference"] > spent["difference"] and moved["difference"] > spent["ci_high"], (moved, spent)
