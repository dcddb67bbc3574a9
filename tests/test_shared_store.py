"""No replication is computed twice: the shared replication store (patientflow/experiment/cache.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest

import patientflow as pf
from helpers import CALLS, write
from patientflow.experiment.cache import ReplicationCache, engine_identity


def _summary_bytes(res) -> bytes:
    return res.summary().to_csv(index=False).encode()


def test_the_engine_identity_ignores_what_only_measuring_reads(tmp_path):
    base = pf.load_scenario(write(tmp_path, CALLS))
    same = [base.with_changes({"name": "Renamed", "description": "another note"}),
            base.with_changes({"moments.to_answer.target": "80% within 5min", "run.replications": 9}),
            base.with_changes({"run.warm_up": "1d", "resources.clinician.cost_per_hour": 99})]
    assert {engine_identity(sc.model) for sc in same} == {engine_identity(base.model)}
    other = [base.with_changes({"resources.clinician.count": 3}), base.with_changes({"run.length": "5d"}),
             base.with_changes({"pathways.call.consult.takes": "lognormal(mean 13min, sd 6min)"})]
    assert len({engine_identity(sc.model) for sc in other} | {engine_identity(base.model)}) == 4


def test_a_replication_computed_once_is_measured_again_with_the_same_numbers(tmp_path):
    base = pf.load_scenario(write(tmp_path, CALLS))
    store = ReplicationCache(tmp_path / "store")
    first = pf.simulate(base, 4, 3, cache=store)
    again = pf.simulate(base, 4, 3, cache=store)
    fresh = pf.simulate(base, 4, 3, cache=False)
    assert (first.reused, again.reused, fresh.reused) == (0, 4, 0)
    assert _summary_bytes(first) == _summary_bytes(again) == _summary_bytes(fresh)
    retargeted = base.with_changes({"moments.to_answer.target": "80% within 5min", "name": "Retargeted"})
    measured = pf.simulate(retargeted, 6, 3, cache=store)
    assert measured.reused == 4  # replications 4 and 5 are new
    assert _summary_bytes(measured) == _summary_bytes(pf.simulate(retargeted, 6, 3, cache=False))
    assert pf.simulate(base, 4, 4, cache=store).reused == 0  # another seed: other replications


def test_logs_of_an_earlier_engine_revision_are_not_served(tmp_path, monkeypatch):
    """An engine change that alters its sample paths raises its revision; logs stored by the
    earlier engine are then computed again, not measured as if the new engine had made them."""
    import patientflow.engine as engine
    base = pf.load_scenario(write(tmp_path, CALLS))
    store = ReplicationCache(tmp_path / "store")
    assert pf.simulate(base, 2, 5, cache=store).reused == 0
    assert pf.simulate(base, 2, 5, cache=store).reused == 2
    monkeypatch.setattr(engine, "REVISION", engine.REVISION + 1)
    assert pf.simulate(base, 2, 5, cache=store).reused == 0
    assert pf.simulate(base, 2, 5, cache=store).reused == 2


def test_a_damaged_stored_replication_is_removed_warned_about_and_computed_again(tmp_path):
    base = pf.load_scenario(write(tmp_path, CALLS))
    store = ReplicationCache(tmp_path / "store", on_warning=lambda m: warnings.warn(m, RuntimeWarning))
    clean = _summary_bytes(pf.simulate(base, 3, 1, cache=store))
    files = sorted(store.dir.glob("*/*.npz"))
    assert len(files) == 3
    files[0].write_bytes(files[0].read_bytes()[: len(files[0].read_bytes()) // 2])  # cut short
    files[1].write_bytes(files[2].read_bytes())  # another replication's file under its name
    with pytest.warns(RuntimeWarning) as caught:
        again = pf.simulate(base, 3, 1, cache=store)
    assert len(caught) == 2 and all("computed again" in str(w.message) for w in caught)
    assert again.reused == 1 and _summary_bytes(again) == clean


def test_the_store_stays_within_its_bound_dropping_what_was_used_longest_ago(tmp_path):
    base = pf.load_scenario(write(tmp_path, CALLS))
    store = ReplicationCache(tmp_path / "store")
    pf.simulate(base, 3, 1, cache=store)
    sizes = sorted(p.stat().st_size for p in store.dir.glob("*/*.npz"))
    store.max_bytes = sum(sizes[-2:]) + 10  # room for two
    pf.simulate(base, 1, 1, cache=store)  # replication 0 used again: the newest
    pf.simulate(base.with_changes({"resources.clinician.count": 3}), 1, 1, cache=store)
    assert len(list(store.dir.glob("*/*.npz"))) <= 2
    assert pf.simulate(base, 1, 1, cache=store).reused == 1  # the one used last was kept


@pytest.mark.slow
def test_run_reuses_replications_another_command_computed_and_fresh_ignores_them(tmp_path):
    base = write(tmp_path, CALLS, "calls.yaml")
    retargeted = write(tmp_path, CALLS.replace("90% within 2min", "80% within 3min")
                       .replace("Call centre and clinic", "Call centre, new target"), "retargeted.yaml")

    def run(path, out, *extra):
        done = subprocess.run([sys.executable, "-m", "patientflow.cli", "run", str(path), "-r", "4", "--jobs", "2",
                               "--out", str(tmp_path / out), *extra], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout, json.loads((tmp_path / out / "run.json").read_text())

    said, meta = run(base, "a")
    assert "0 replications reused, 4 run" in said and meta["replications_reused"] == 0
    said, meta = run(retargeted, "b")
    assert "4 replications reused, 0 run" in said and meta["replications_reused"] == 4
    said, meta = run(retargeted, "c", "--fresh")
    assert "0 replications reused, 4 run" in said
    assert (tmp_path / "b" / "summary.csv").read_bytes() == (tmp_path / "c" / "summary.csv").read_bytes()
    assert (tmp_path / "b" / "report.html").stat().st_size > 0


@pytest.mark.slow
def test_the_optimiser_measures_candidates_another_search_computed(tmp_path):
    from patientflow.optimiser.search import optimise
    base = pf.load_scenario(write(tmp_path, CALLS))
    first = optimise(base, vary=["clinician=-1..+1"], constraints=["to_clinician"], max_evaluations=4, jobs=1)
    again = optimise(base.with_changes({"name": "Renamed"}), vary=["clinician=-1..+1"], constraints=["to_clinician"],
                     max_evaluations=4, jobs=1)
    assert first.replications_run > 0 and again.replications_run == 0
    assert again.winner == first.winner and again.status == first.status
