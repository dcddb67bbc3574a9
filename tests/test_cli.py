"""The command line and the Python API, end to end on a small scenario."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

import patientflow as pf
from helpers import write

SMALL = """
name: Small ED
run: {length: 3d, warm_up: 12h, replications: 3, seed: 4}
stages: {reception: Emergency reception, treatment: Treatment}
demand:
  walk_ins: {per_day: 120, pathway: ed, mix: {acuity: {1: 0.1, 2: 0.3, 3: 0.6}}}
resources:
  nurse:  {roster: {"08:00-20:00": 2, "20:00-08:00": 1}, cost_per_hour: 30}
  doctor: {count: 3, queue: acuity, cost_per_hour: 90}
pathways:
  ed:
    - triage: {mark: ed_arrival, use: nurse, takes: exponential(4min)}
    - assessment: {use: doctor, takes: lognormal(mean 25min, sd 10min),
                   gives_up_after: exponential(6h), gives_up_as: left_without_being_seen}
moments:
  to_triage: {stage: reception, from: ed_arrival, to: triage.start, target: 95% within 15min}
  to_doctor: {stage: treatment, from: ed_arrival, to: assessment.start, by: acuity, critical: true,
              target: {1: 100% within 10min, 2: 90% within 60min, 3: 90% within 120min}}
  unseen: {stage: treatment, kind: share, from: ed_arrival, outcome: left_without_being_seen,
           target: at most 5%}
"""


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "patientflow.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def test_run_writes_the_summary_report_metadata_and_patients(tmp_path):
    path = write(tmp_path, SMALL)
    out = tmp_path / "out"
    done = cli("run", path, "--replications", 2, "--out", out, "--patients", "--jobs", 1)
    assert done.returncode == 0, done.stderr
    summary = pd.read_csv(out / "summary.csv")
    required = ("moment, stage, kind, group, critical, unit, n, n_open, mean, mean_ci_low, mean_ci_high, "
                "p50, p90, p90_ci_low, p90_ci_high, p95, target, within_target, within_target_ci_low, "
                "within_target_ci_high, met").split(", ")
    assert set(required) <= set(summary.columns)
    assert summary["group"].tolist()[:4] == ["all", "acuity=1", "acuity=2", "acuity=3"]
    assert list(summary["moment"]) == ["to_triage", "to_doctor", "to_doctor", "to_doctor", "unseen", "journey"]
    meta = json.loads((out / "run.json").read_text())
    assert meta["seed"] == 4 and meta["replications"] == 2 and len(meta["scenario_hash"]) == 16
    assert "numpy" in meta["versions"]
    patients = pd.read_parquet(out / "patients.parquet")
    assert set(patients["replication"]) == {0, 1}
    assert {"arrived", "ed_arrival", "triage.start", "left", "acuity", "outcome"} <= set(patients.columns)
    html = (out / "report.html").read_text()
    assert "Small ED" in html and "plotly" in html
    assert not list(out.glob(".*.tmp"))


def test_a_folder_holding_another_runs_results_is_not_mixed_with_the_new_run(tmp_path):
    path = write(tmp_path, SMALL)
    out = tmp_path / "out"
    assert cli("run", path, "-r", 1, "--out", out, "--patients", "--seed", 1).returncode == 0
    again = cli("run", path, "-r", 1, "--out", out, "--seed", 2)
    assert again.returncode == 0
    assert "another scenario or seed" in again.stderr
    assert not (out / "patients.parquet").exists()  # the old run's log is gone
    assert json.loads((out / "run.json").read_text())["seed"] == 2


def test_validate_accepts_a_good_file_and_bad_input_exits_2_without_a_traceback(tmp_path):
    path = write(tmp_path, SMALL)
    ok = cli("validate", path)
    assert ok.returncode == 0 and "ok" in ok.stdout
    bad = write(tmp_path, SMALL.replace("use: doctor", "use: doctr"), "bad.yaml")
    done = cli("run", bad, "--out", tmp_path / "o")
    assert done.returncode == 2
    assert f"{bad}:12: pathways.ed.1.assessment.use: no resource named 'doctr'; did you mean 'doctor'?" in done.stderr
    assert "Traceback" not in done.stderr
    missing = cli("run", tmp_path / "nope.yaml")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_the_api_returns_dataframes_and_variants_change_only_what_they_say(tmp_path):
    sc = pf.load_scenario(write(tmp_path, SMALL))
    more = sc.with_changes({"resources.doctor.count": 6, "pathways.ed.triage.takes": "exponential(2min)"})
    assert more.spec.resources["doctor"].count == 6
    assert sc.spec.resources["doctor"].count == 3  # the original is unchanged
    assert more.model.steps[0].takes.other.params == (2.0,)
    base = pf.simulate(sc, replications=2, seed=9)
    alt = pf.simulate(more, replications=2, seed=9)
    # common random numbers: the same patients arrive with the same acuity
    pd.testing.assert_series_equal(base.patients["arrived"], alt.patients["arrived"])
    pd.testing.assert_series_equal(base.patients["acuity"], alt.patients["acuity"])
    s_base, s_alt = base.summary(), alt.summary()
    to_doctor = lambda s: s[(s.moment == "to_doctor") & (s.group == "acuity=3")]["mean"].iloc[0]
    assert to_doctor(s_alt) < to_doctor(s_base)
    util = base.utilisation()
    assert set(util["resource"]) == {"nurse", "doctor"} and len(util) == 48
    assert (util["utilisation"].dropna().between(0, 1)).all()
    with pytest.raises(pf.ScenarioError, match="<with_changes>: pathways.ed.no_such_step"):
        sc.with_changes({"pathways.ed.no_such_step.takes": 3})


def test_results_do_not_depend_on_the_number_of_workers(tmp_path):
    sc = pf.load_scenario(write(tmp_path, SMALL))
    serial = pf.simulate(sc, replications=3, seed=2, jobs=1).summary()
    parallel = pf.simulate(sc, replications=3, seed=2, jobs=2).summary()
    pd.testing.assert_frame_equal(serial, parallel)


def test_a_step_needing_an_attribute_given_only_later_is_bad_input_not_a_crash(tmp_path):
    path = write(tmp_path, """
        name: An attribute assigned too late
        run: {length: 1d}
        demand:
          p: {per_hour: 5, pathway: a}
        pathways:
          a:
            - first: {takes: {by: acuity, 1: 5min, 2: 10min}}
            - second: {assign: {acuity: {1: 0.5, 2: 0.5}}}
        """)
    for jobs in (1, 2):
        done = cli("run", path, "-r", 2, "--jobs", jobs, "--out", tmp_path / f"o{jobs}")
        assert done.returncode == 2, done.stderr
        assert f"{path}:7: pathways.a.0.first: step 'first': a patient has no value" in done.stderr
        assert "Traceback" not in done.stderr


def test_excel_export_holds_the_summary_the_utilisation_the_bottlenecks_and_the_staff_cost(tmp_path):
    path = write(tmp_path, SMALL.replace("length: 3d", "length: 8d"))
    out = tmp_path / "out"
    done = cli("run", path, "-r", 2, "--out", out, "--excel")
    assert done.returncode == 0, done.stderr
    sheets = pd.read_excel(out / "summary.xlsx", sheet_name=None)
    assert list(sheets) == ["summary", "utilisation", "bottlenecks", "staff cost"]
    csv = pd.read_csv(out / "summary.csv")
    pd.testing.assert_series_equal(sheets["summary"]["n"], csv["n"], check_exact=False, rtol=1e-5)
    causes = pd.read_csv(out / "bottlenecks.csv", keep_default_na=False)
    assert len(causes) > 0
    pd.testing.assert_series_equal(sheets["bottlenecks"]["mean_minutes"], causes["mean_minutes"], check_exact=False, rtol=1e-5)
    assert set(sheets["staff cost"]["resource"]) == {"nurse", "doctor"}
    html = (out / "report.html").read_text()
    assert "Through the week" in html  # eight days: the weekday view is drawn
    again = cli("run", path, "-r", 2, "--out", out)
    assert again.returncode == 0 and not (out / "summary.xlsx").exists()
