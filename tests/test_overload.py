"""An overloaded service neither eats memory nor hangs: it stops at a bound and says why."""

from __future__ import annotations

import json
import subprocess
import sys

import patientflow as pf
from helpers import write

OVERLOADED = """
name: Too few doctors
run: {length: 60d, replications: 2, max_inside: 400}
demand:
  walk_ins: {per_day: 300, pathway: ed}
resources:
  nurse:  {count: 3}
  doctor: {count: 2}
pathways:
  ed:
    - triage: {use: nurse, takes: exponential(5min)}
    - see_doctor: {use: doctor, takes: exponential(20min)}
"""


def test_an_overloaded_run_stops_at_its_bound_and_names_the_resource(tmp_path):
    sc = pf.load_scenario(write(tmp_path, OVERLOADED))
    res = pf.simulate(sc, 2, 1, keep_patients=2)
    assert res.overloaded == [0, 1]
    assert res.overwhelmed and all(o.startswith("doctor (") for o in res.overwhelmed)
    p = res.patients
    for _, one in p.groupby("replication"):
        inside = (one["outcome"] == "inside").sum()
        assert inside == 401  # stopped as the 401st patient came in, not after 60 days
        assert one["arrived"].max() < 60 * 1440 / 4
    warnings = sc.warnings()
    assert any(w.key == "resources.doctor" and "overloaded" in w.message for w in warnings)
    assert not any(w.key == "resources.nurse" for w in warnings)


def test_the_cli_and_the_report_name_the_overwhelmed_resource(tmp_path):
    path = write(tmp_path, OVERLOADED)
    done = subprocess.run([sys.executable, "-m", "patientflow.cli", "run", str(path), "-r", "1", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "overloaded" in done.stderr and "doctor" in done.stderr
    meta = json.loads((tmp_path / "o" / "run.json").read_text())
    assert meta["overloaded_replications"] == [0] and meta["overwhelmed_resources"][0].startswith("doctor")
    assert "The longest queue: doctor" in (tmp_path / "o" / "report.html").read_text()
    valid = subprocess.run([sys.executable, "-m", "patientflow.cli", "validate", str(path)], capture_output=True, text=True)
    assert valid.returncode == 0 and "resources.doctor: doctor overloaded" in valid.stderr
