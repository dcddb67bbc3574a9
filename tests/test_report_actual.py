"""report-actual: waits measured from real timestamps equal the waits worked out by hand, by the
same rules (and the same code) as a simulated run."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from eventlog_cases import write_case
from patientflow.eventlog.actual import actual_results
from patientflow.eventlog.reader import read_event_log


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "patientflow.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def row(summary, moment, group="all", tier=None):
    rows = summary[(summary.moment == moment) & (summary.group == group)]
    if tier is not None:
        rows = rows[rows.tier == tier]
    return rows.iloc[0]


def test_report_actual_gives_the_waits_worked_out_by_hand(tmp_path):
    log = write_case(tmp_path)
    out = tmp_path / "out"
    done = cli("report-actual", log, "--out", out)
    assert done.returncode == 0, done.stderr
    s = pd.read_csv(out / "summary.csv", keep_default_na=True)
    # arrival to triage: A 5, B 20, C 0, D 2, E 1 minutes
    waits = np.array([5, 20, 0, 2, 1])
    r = row(s, "to_triage")
    assert r.n == 5 and r.n_open == 0
    assert r["mean"] == pytest.approx(5.6)
    assert r.p90 == pytest.approx(np.percentile(waits, 90)) and r.p90 == pytest.approx(14.0)
    assert r.within_target == pytest.approx(4 / 5)  # B waited 20 > 15
    # triage to doctor, acuity 2: A 20, D 10 (target 15 min: one of two)
    r = row(s, "to_doctor", "acuity=2")
    assert (r.n, r["mean"], r.within_target) == (2, pytest.approx(15.0), pytest.approx(0.5))
    # acuity 3: B 60 done; C left without being seen (no wait to count); E still waiting at the
    # log's end (11:06), 31 min after triage: open, and already past the 30-min target, so a miss
    r = row(s, "to_doctor", "acuity=3")
    assert (r.n, r.n_open, r["mean"], r.within_target) == (1, 1, pytest.approx(60.0), pytest.approx(0.0))
    # left without being seen: C of A-D (E is still inside and may yet go)
    r = row(s, "unseen")
    assert (r.n, r.n_open, r["mean"]) == (4, 1, pytest.approx(0.25))
    # door to door: A 50, B 100, C 126, D 40; E open for 36 min, under the 2 h target: left out
    r = row(s, "door_to_door")
    assert (r.n, r.n_open, r["mean"], r.within_target) == (4, 1, pytest.approx(79.0), pytest.approx(3 / 4))
    # every critical moment met: only D (A and B waited too long for a doctor, C too long in all)
    r = row(s, "journey")
    assert (r.n, r["mean"]) == (4, pytest.approx(0.25))
    assert r.replications == 1 and np.isnan(r.mean_ci_low)  # one period: no interval
    meta = json.loads((out / "actual.json").read_text())
    assert (meta["rows"], meta["patients_used"], meta["rows_excluded"]) == (5, 5, 0)
    html = (out / "report.html").read_text()
    assert "actual waits" in html.lower() and "as simulated" not in html and "Rows and fields not used" in html


def test_actual_results_feed_the_same_summary_and_figures_as_a_run(tmp_path):
    found = read_event_log(write_case(tmp_path))
    res = actual_results(found)
    assert list(res.summary().columns)[:6] == ["moment", "stage", "kind", "group", "critical", "unit"]
    assert set(res.patients["id"]) == set("ABCDE")
    assert res.patients.loc[res.patients["id"] == "E", "outcome"].astype(str).item() == "inside"
    for figure in (res.plot.cycle_map(), res.plot.moment("to_doctor"), res.plot.through_the_day(), res.plot.pathway()):
        assert figure.data
    util = res.utilisation().set_index(["resource", "hour"])
    # the nurse triaged A 08:05-08:10 and B 08:40-08:45 in the 8 o'clock hour: 10 busy minutes
    assert util.loc[("nurse", 8), "busy"] == pytest.approx(10 / 60)


def test_waits_are_averaged_over_whole_days_with_an_interval_when_the_log_spans_several(tmp_path):
    rows = []
    for day in range(6, 11):  # one patient a day, waiting as many minutes for triage as the day of the month
        rows.append(f"P{day},2025-01-{day:02d} 08:00,2025-01-{day:02d} 08:{day:02d},2025-01-{day:02d} 08:30,2,"
                    f"2025-01-{day:02d} 08:40,2025-01-{day:02d} 09:00,2025-01-{day:02d} 09:00,Discharged")
    res = actual_results(read_event_log(write_case(tmp_path, rows)))
    # 4 days and an hour from the first arrival: four whole days, the last one taking the extra hour
    # (and the patient of 10 January); each day's mean, then their mean
    r = row(res.summary(), "to_triage")
    assert r.replications == 4 and r["mean"] == pytest.approx((6 + 7 + 8 + (9 + 10) / 2) / 4)
    assert r.mean_ci_low < r["mean"] < r.mean_ci_high
    assert res.period_name == "day" and len(res.bounds) == 4
