"""The local worker pool: kept between calls, light (the engine, no pandas, not the program that
started it), the same results as one process, a task's error raised with the worker's traceback,
a worker's death an error naming it, and nothing left behind once the program ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import patientflow as pf
from helpers import CALLS, session, write
from patientflow.experiment import workers

SHORT = CALLS.replace("length: 4d, warm_up: 12h", "length: 2d, warm_up: 6h")
HEAVY = {"pandas", "scipy", "plotly", "joblib", "pytest"}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return pf.load_scenario(write(tmp_path_factory.mktemp("workers"), SHORT))


def test_successive_calls_reuse_the_same_workers_and_give_what_one_process_gives(scenario):
    one = pf.simulate(scenario, replications=6, seed=3, jobs=1, cache=False)
    first = pf.simulate(scenario, replications=6, seed=3, jobs=2, cache=False)
    pids = workers.worker_pids()
    second = pf.simulate(scenario, replications=6, seed=3, jobs=2, cache=False)
    assert len(pids) == 1 and os.getpid() not in pids  # jobs=2: this process and one worker
    assert workers.worker_pids() == pids, "the second call started new workers"
    for res in (first, second):
        assert res.replications == one.replications == list(range(6))
        assert np.array_equal(res.per_replication, one.per_replication, equal_nan=True)
        assert res.patient_counts == one.patient_counts


def test_a_worker_has_the_engine_but_neither_pandas_scipy_plotly_nor_the_program_that_started_it():
    import pandas  # noqa: F401  (this process has it: the workers must not)

    for info in workers.run([(), ()], 2, workers.about_this_process):
        modules = set(info["modules"])
        assert info["pid"] != os.getpid()
        assert {"numpy", "simpy", "patientflow.engine.replication", "patientflow.experiment.replications"} <= modules
        assert modules & HEAVY == set()


def test_with_here_this_process_is_one_of_the_jobs_and_the_worker_is_kept_busy_meanwhile():
    """jobs=3 with ``here``: two workers and this process share the tasks (of 0.3 s each),
    each a different process; workers started meanwhile take tasks as soon as they are up, and
    every task runs once."""
    workers._POOL.close()  # none running: they start while this process runs tasks
    seen = list(workers.run([(0.3,)] * 12, 3, workers.about_this_process, here=True))
    pids = [info["pid"] for info in seen]
    assert len(seen) == 12 and os.getpid() in pids
    assert set(pids) - {os.getpid()} == set(workers.worker_pids()) and len(workers.worker_pids()) == 2
    assert sorted(workers.run([(str(i),) for i in range(9)], 3, int, here=True)) == list(range(9))
    with pytest.raises(ValueError, match="invalid literal"):  # raised here, as in one process
        list(workers.run([("1",), ("x",), ("2",), ("3",)], 2, int, here=True))


def test_a_worker_gets_its_next_task_as_it_comes_back_while_this_process_is_busy():
    """This process runs the first task (long); the worker, already running, is handed each of the
    six short ones as it hands the last back, without waiting for this process to finish its own."""
    list(workers.run([(0.0,)] * 2, 2, workers.about_this_process))  # the worker already running
    seen = list(workers.run([(0.8,)] + [(0.05,)] * 6, 2, workers.about_this_process, here=True))
    here = [info["pid"] == os.getpid() for info in seen]
    assert len(seen) == 7 and sum(here) == 1


def test_the_last_tasks_are_not_queued_behind_a_worker_s_running_task():
    """A worker keeps a second task waiting only while more are left than processes to run them:
    of four tasks, this process runs the first (short), the worker the second (long), and the
    last two are this process's own as it comes back, not queued behind the worker's long one."""
    list(workers.run([(0.0,)] * 2, 2, workers.about_this_process))  # the worker already running
    seen = list(workers.run([(0.05,), (0.8,), (0.05,), (0.05,)], 2, workers.about_this_process, here=True))
    here = [info["pid"] == os.getpid() for info in seen]
    assert len(seen) == 4 and sum(here) == 3


def test_a_failing_task_raises_its_error_with_the_workers_traceback_and_the_pool_goes_on():
    with pytest.raises(ValueError, match="invalid literal") as raised:
        list(workers.run([("x",), ("1",)], 2, int))
    assert "In the worker process" in str(raised.value.__cause__)
    assert sorted(workers.run([("2",), ("1",), ("3",)], 2, int)) == [1, 2, 3]


def test_a_worker_that_dies_is_an_error_naming_it_and_the_next_call_has_new_workers():
    list(workers.run([(0,), (0,)], 2, time.sleep))
    before = workers.worker_pids()
    with pytest.raises(workers.WorkerDied, match=r"^worker process \d+ ended while running a replication "
                                                 r"\(killed by SIGKILL: out of memory, or killed from outside\)"):
        list(workers.run([(signal.SIGKILL,), (signal.SIGKILL,)], 2, signal.raise_signal))
    assert workers.worker_pids() == []
    assert list(workers.run([(0,), (0,)], 2, time.sleep)) == [None, None]
    after = workers.worker_pids()
    assert len(after) == 2 and not set(after) & set(before)


def test_a_call_made_while_the_pool_is_in_use_has_workers_of_its_own():
    outer = workers.run([(0.2,), (0.2,), (0.2,)], 2, time.sleep)
    next(outer)  # the shared pool is busy with this call
    shared = workers.worker_pids()
    assert sorted(workers.run([("1",), ("2",)], 2, int)) == [1, 2]
    assert list(outer) == [None, None]
    assert workers.worker_pids() == shared


def test_a_command_needing_workers_starts_their_server_early_and_one_process_starts_none():
    code = ("import patientflow.experiment.workers as w, patientflow.experiment.worker_start as s\n"
            "w.start_soon(1); none = s.server_pid()\n"
            "w.start_soon(2); server = s.server_pid()\n"
            "info = list(w.run([(), ()], 2, w.about_this_process))\n"
            "print(none, server is not None and {i['parent'] for i in info} == {server})")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["None", "True"], done.stdout + done.stderr


def test_importing_patientflow_and_its_api_starts_no_worker_pool():
    code = ("import sys, multiprocessing, patientflow as pf; pf.simulate; pf.load_scenario; "
            "print(sorted(m for m in ('patientflow.experiment.workers', 'multiprocessing.forkserver') if m in sys.modules), "
            "multiprocessing.active_children())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[] []"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_a_script_without_a_main_guard_runs_once_and_leaves_no_process_behind(tmp_path):
    """Workers do not import the script that started them (it would run again: it has no
    ``__main__`` guard; and pandas with it); the workers and their server end with the script."""
    path = write(tmp_path, SHORT)
    script = tmp_path / "script.py"
    script.write_text(
        "import json, sys\nimport pandas\nimport patientflow as pf\nfrom patientflow.experiment import workers\n"
        "print('the script ran', flush=True)\n"
        f"res = pf.simulate(pf.load_scenario({str(path)!r}), replications=4, seed=1, jobs=2, cache=False)\n"
        "info = list(workers.run([(), ()], 2, workers.about_this_process))\n"
        "print(json.dumps({'patients': res.patient_counts, 'modules': info[0]['modules']}), flush=True)\n"
        "input()  # until the test has looked at the processes\n")
    proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=tmp_path)
    try:
        assert proc.stdout.readline() == "the script ran\n"
        info = json.loads(proc.stdout.readline())
        assert len(session(proc.pid)) >= 3, "two workers and their server"
        _out, err = proc.communicate("\n", timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0 and err == "", err
    one = pf.simulate(pf.load_scenario(path), replications=4, seed=1, jobs=1, cache=False)
    assert info["patients"] == one.patient_counts
    assert set(info["modules"]) & HEAVY == set()
    deadline = time.time() + 5
    while session(proc.pid) and time.time() < deadline:
        time.sleep(0.05)
    assert session(proc.pid) == [], "processes outlived the script"


def test_large_tasks_and_results_both_ways_at_once_never_wait_on_each_other():
    """With this process among the jobs, a worker has a second task sent while it may be
    sending back a result; both larger than a pipe holds (as a new candidate's model and a
    replication's result are). Neither side may wait on the other: the call finishes."""
    code = ("from patientflow.experiment import workers\n"
            "list(workers.run([(0.0,)] * 2, 2, workers.about_this_process))  # the worker already running\n"
            "calls = [(bytes([i]) * 3_000_000,) for i in range(12)]\n"
            "out = list(workers.run(calls, 2, bytes, here=True))\n"
            "assert sorted(o[:1] for o in out) == [bytes([i]) for i in range(12)], 'lost or mixed'\n"
            "print('done', len(out))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0 and "done 12" in done.stdout, done.stderr
