"""check-fit: a scenario calibrated from the bundled log reproduces it, moment by moment; a
scenario that does not match the log is caught."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from patientflow.eventlog.checkfit import check_fit
from patientflow.eventlog.reader import read_event_log

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "event_log"
EVERYWHERE = Path("/")  # these files span the temporary folder and the repository: the root widened on purpose
LOG = EXAMPLE / "ed_attendances.csv"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "patientflow.cli", *map(str, args)], capture_output=True, text=True)


def test_the_cli_round_trip_on_the_bundled_log_agrees_within_its_intervals(tmp_path):
    calibrated = tmp_path / "scenarios" / "riverside_calibrated.yaml"
    done = cli("calibrate", LOG, "--out", calibrated)
    assert done.returncode == 0, done.stderr
    assert "walk_ins: " in done.stdout and calibrated.is_file()
    assert cli("validate", calibrated, "--root", EVERYWHERE).returncode == 0
    out = tmp_path / "check"
    done = cli("check-fit", LOG, calibrated, "--replications", 10, "--jobs", 2, "--out", out, "--root", EVERYWHERE)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "check_fit.csv")
    compared = table[table["agrees"].notna()]
    assert len(compared) >= 25 and compared["agrees"].astype(bool).all(), compared[~compared["agrees"].astype(bool)]
    assert {"time_to_answer", "response", "handover", "time_to_clinician", "left_without_being_seen", "four_hours",
            "journey"} <= set(compared["moment"])
    assert "The scenario reproduces the log" in done.stdout
    html = (out / "check_fit.html").read_text()
    assert "Does the scenario reproduce the log?" in html and "the log (solid) and the simulation (dashed)" in html


def test_check_fit_catches_a_scenario_that_does_not_match_the_log(tmp_path):
    wrong = tmp_path / "fewer_doctors.yaml"
    wrong.write_text(f"""
name: Riverside with a slower triage and fewer doctors than it has
extends: {EXAMPLE / 'scenario.yaml'}
resources:
  doctor: {{roster: {{"08:00-20:00": 2, "12:00-24:00": 1, "20:00-08:00": 1}}}}
pathways:
  ed: {{triage: {{takes: exponential(7min)}}}}
""")
    cf = check_fit(read_event_log(LOG, wrong, root=EVERYWHERE), replications=5, seed=3, jobs=2)
    bad = set(cf.disagreeing["moment"])
    assert {"arrival_to_triage", "time_to_clinician", "four_hours"} <= bad, cf.table
    assert cf.statement().startswith(f"{len(cf.disagreeing)} of {cf.compared} statistics disagree")


def test_report_actual_on_the_bundled_log(tmp_path):
    done = cli("report-actual", LOG, "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert summary["replications"].max() == 28  # four weeks, per day
    assert (tmp_path / "report.html").stat().st_size > 100_000
    assert pd.read_csv(tmp_path / "exclusions.csv").empty
