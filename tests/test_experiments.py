"""Experiments: the same numbers on every executor, common random numbers, resume, precision."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import patientflow as pf
from helpers import CALLS, write



def cli(*args):
    return subprocess.run([sys.executable, "-m", "patientflow.cli", *map(str, args)], capture_output=True, text=True)


@pytest.mark.slow
def test_summary_is_byte_identical_serial_two_processes_and_dask(tmp_path):
    path = write(tmp_path, CALLS)
    outputs = []
    for label, extra in (("serial", ["--jobs", 1]), ("two", ["--jobs", 2]), ("dask", ["--dask", "local", "--jobs", 2])):
        done = cli("run", path, "-r", 4, "--out", tmp_path / label, *extra)
        assert done.returncode == 0, done.stderr
        outputs.append((tmp_path / label / "summary.csv").read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


def test_scenarios_differing_only_in_staffing_see_the_same_patients(tmp_path):
    base = pf.load_scenario(write(tmp_path, CALLS))
    more = base.with_changes({"resources.handler.count": 3, "resources.clinician.count": 3})  # counts replace rosters
    a = pf.simulate(base, 2, 5, keep_patients=2).patients
    b = pf.simulate(more, 2, 5, keep_patients=2).patients
    for column in ("replication", "stream", "arrived", "urgency"):
        pd.testing.assert_series_equal(a[column], b[column])
    # branch outcomes and step durations of the patients answered in both
    answered = a["answer.end"].notna() & b["answer.end"].notna()
    assert answered.sum() > 1000
    pd.testing.assert_series_equal(a.loc[answered, "route"], b.loc[answered, "route"])
    np.testing.assert_allclose((a["answer.end"] - a["answer.start"])[answered], (b["answer.end"] - b["answer.start"])[answered])
    seen = a["consult.end"].notna() & b["consult.end"].notna()
    np.testing.assert_allclose((a["consult.end"] - a["consult.start"])[seen], (b["consult.end"] - b["consult.start"])[seen])
    # patience: those who gave up in both gave up after the same wait
    gave_up = (a["outcome"] == "abandoned") & (b["outcome"] == "abandoned")
    assert gave_up.sum() > 20
    np.testing.assert_allclose((a["left"] - a["answer.queued"])[gave_up], (b["left"] - b["answer.queued"])[gave_up])
    # and the waits differ: the staffing did change
    assert not np.allclose(a["answer.start"].fillna(0), b["answer.start"].fillna(0))


def test_paired_intervals_are_narrower_than_unpaired_ones(tmp_path):
    base = pf.load_scenario(write(tmp_path, CALLS))
    faster = base.with_changes({"pathways.call.consult.takes": "lognormal(mean 11min, sd 5.5min)"})
    cmp = pf.compare({"base": base, "faster consults": faster}, replications=8, seed=3)
    table = cmp.table()
    waits = table[(table.moment == "to_clinician") & (table.statistic == "mean")]
    assert len(waits) == 2
    assert ((waits.ci_high - waits.ci_low) < (waits.unpaired_ci_high - waits.unpaired_ci_low)).all()
    assert waits.significant.all() and (waits.difference < 0).all()
    # a shorter wait counts as improved only when it is at least the practical threshold (1 min)
    assert (waits.verdict == waits.difference.abs().ge(1).map({True: "improved", False: "too small to matter"})).all()
    # answering did not change at all: no significant change
    answer = table[(table.moment == "to_answer") & (table.statistic == "mean")].iloc[0]
    assert answer.difference == 0 and answer.verdict == "no significant change"


def test_comparison_reports_staff_cost_and_different_run_settings(tmp_path):
    base = pf.load_scenario(write(tmp_path, CALLS))
    more = base.with_changes({"resources.clinician.count": 3, "run.length": "5d"})
    cmp = pf.compare({"base": base, "three clinicians": more}, replications=3, seed=3)
    assert any("run settings differ" in w and "length" in w for w in cmp.warnings)
    assert cmp.results["three clinicians"].scenario.spec.run.length == base.spec.run.length
    costs = cmp.costs().set_index("scenario")
    assert costs.loc["three clinicians", "cost_per_week"] - costs.loc["base", "cost_per_week"] == pytest.approx(60 * 168)
    table = cmp.table()
    assert (table[(table.moment == "to_clinician") & (table.statistic == "mean")].difference < 0).all()


@pytest.mark.slow
def test_a_killed_run_resumes_with_only_the_missing_replications_and_ends_identical(tmp_path):
    path = write(tmp_path, CALLS.replace("length: 4d", "length: 14d"))
    # --fresh: the folder's own store resumes it, not replications the shared store holds
    whole = cli("run", path, "-r", 10, "--out", tmp_path / "whole", "--jobs", 1, "--patients", "--fresh")
    assert whole.returncode == 0, whole.stderr
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "patientflow.cli", "run", str(path), "-r", "10", "--out", str(out),
                             "--jobs", "1", "--patients", "--fresh"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / ".replications").glob("replication-*.npz"))) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = sorted(int(p.stem.split("-")[1]) for p in (out / ".replications").glob("replication-*.npz"))
    assert 3 <= len(done_before) < 10, "the run was killed part way"
    assert not (out / "summary.csv").exists()
    again = cli("run", path, "-r", 10, "--out", out, "--jobs", 1, "--patients", "--fresh")
    assert again.returncode == 0, again.stderr
    meta = json.loads((out / "run.json").read_text())
    ready = [r for r in done_before if (out / ".replications" / f"patients-{r:05d}.parquet").exists()]
    assert meta["replications_resumed"] == ready
    assert meta["replications_run"] == [r for r in range(10) if r not in ready]
    assert (out / "summary.csv").read_bytes() == (tmp_path / "whole" / "summary.csv").read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(out / "patients.parquet"), pd.read_parquet(tmp_path / "whole" / "patients.parquet"))


@pytest.mark.slow
def test_precision_stops_when_every_moment_is_precise_enough_whatever_the_workers(tmp_path):
    path = write(tmp_path, CALLS.replace("length: 4d", "length: 14d"))
    runs = []
    for jobs in (1, 2):
        done = cli("run", path, "--precision", 0.1, "--max-replications", 60, "--jobs", jobs, "--out", tmp_path / f"p{jobs}")
        assert done.returncode == 0, done.stderr
        meta = json.loads((tmp_path / f"p{jobs}" / "run.json").read_text())
        runs.append(meta)
        assert "precision 10% reached with" in done.stderr and "limited by: to_clinician" in done.stderr
    assert runs[0]["replications"] == runs[1]["replications"]
    assert runs[0]["precision"]["satisfied"] and 5 < runs[0]["replications"] < 60
    summary = pd.read_csv(tmp_path / "p1" / "summary.csv")
    durations = summary[(summary.unit == "min") & summary["mean"].notna()].drop_duplicates(["moment", "group"])
    half = (durations.mean_ci_high - durations.mean_ci_low) / 2
    assert (half <= np.maximum(0.1 * durations["mean"], 0.1) + 1e-9).all()
    # one batch fewer did not satisfy the criterion twice running: it would have stopped there
    from patientflow.experiment.precision import imprecise
    sc = pf.load_scenario(path)
    res = pf.simulate(sc, runs[0]["replications"] - 5, seed=11)
    res_short = pf.simulate(sc, runs[0]["replications"] - 10, seed=11) if runs[0]["replications"] > 10 else None
    assert imprecise(res.rows, res.per_replication, 0.1) or (res_short is not None and imprecise(res_short.rows, res_short.per_replication, 0.1))


def test_a_runs_split_of_the_wait_by_hour_is_held_compact_and_sums_to_the_same_bytes():
    """A run holds each replication's split of the wait by hour as its non-zero values (a
    hundred replications of the baseline held 157 KB each), and their sum, all the bottleneck
    table reads, is the same to the last bit as the sum of the full arrays."""
    from patientflow.experiment.replications import Sparse
    from patientflow.experiment.results import _pooled
    rng = np.random.default_rng(3)
    dense = []
    for _ in range(7):
        a = np.zeros((5, 9, 24))
        where = rng.random(a.shape) < 0.05
        a[where] = rng.exponential(30, where.sum())
        dense.append(a)
    compact = [Sparse.of(a) for a in dense]
    assert all(np.array_equal(c.dense(), a) for c, a in zip(compact, dense))
    assert sum(c.values.nbytes + c.index.nbytes for c in compact) < sum(a.nbytes for a in dense) / 5
    expected = np.zeros((5, 9, 24))
    for a in dense:  # added in order, replication by replication
        expected = expected + a
    assert _pooled(compact).tobytes() == _pooled(dense).tobytes() == expected[None].tobytes()


def test_a_batch_of_replications_sets_the_objects_alive_before_it_aside_and_hands_them_back(tmp_path):
    """While a batch runs, the objects alive before it are left out of the collector's passes
    (frozen), then handed back; objects someone else froze are left as they were."""
    import gc
    sc = pf.load_scenario(write(tmp_path, CALLS))
    assert gc.get_freeze_count() == 0
    seen = []
    pf.simulate(sc, 2, 5, jobs=1, cache=False, on_done=lambda _r, _resumed: seen.append(gc.get_freeze_count()))
    assert len(seen) == 2 and all(count > 0 for count in seen)
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        pf.simulate(sc, 2, 5, jobs=1, cache=False)
        # neither handed back nor frozen again (a frozen object whose last reference goes is freed)
        assert frozen - 100 <= gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()
