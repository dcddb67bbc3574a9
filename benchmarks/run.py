#!/usr/bin/env python
"""patientflow's performance figures, measured in one run.

    .venv/bin/python benchmarks/run.py            # the full run (several minutes)
    .venv/bin/python benchmarks/run.py --quick    # a smoke run of every figure (seconds; not figures to quote)
    .venv/bin/python benchmarks/run.py --profile  # also print a cProfile of the engine on the walk-in model
    .venv/bin/python benchmarks/run.py --only walk_in,import   # some parts: walk_in, baseline, import, parallel, memory

It prints a table, PASS/MISS per goal, and one JSON line per figure:
``{"name": ..., "value": ..., "unit": ...}``. Figures that are ratios are measured by alternating
the things compared, repetition by repetition, and taking the median of the per-repetition
ratios, so that a busy machine slows both sides alike; single-process timings are CPU seconds
(``time.process_time``), which other processes competing for the cores do not lengthen. See
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import simpy

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # a fresh clone works without the editable install too
    sys.path.insert(0, str(ROOT))

WALK_IN = HERE / "walk_in.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
NETWORK = ROOT / "scenarios" / "network" / "network.yaml"

# ---------------------------------------------------------------------------------------------
# The walk-in model, as the hand-written versions read it. It must say what walk_in.yaml says:
# check_same_parameters() compares the two before anything is timed.
# ---------------------------------------------------------------------------------------------
ARRIVALS_PER_MINUTE = 288 / 1440
ACUITY = (1, 2, 3, 4, 5)
ACUITY_SHARES = (0.05, 0.15, 0.40, 0.30, 0.10)
COUNTS = {"triage_nurse": 2, "clerk": 1, "doctor": 4, "nurse": 5, "porter": 3}
# step: (resource or None, priority by acuity, distribution, parameters)
STEPS = {
    "triage": ("triage_nurse", False, "exponential", (6.0,)),
    "registration": ("clerk", False, "lognormal", (3.0, 1.5)),
    "assessment": ("doctor", True, "lognormal", (17.0, 8.0)),
    "treatment": ("nurse", True, "exponential", (15.0,)),
    "decision": (None, False, "lognormal", (10.0, 5.0)),
    "discharge": ("porter", False, "exponential", (8.0,)),
}
EVENTS = ["arrived"] + [f"{s}.{e}" for s in STEPS for e in ("queued", "start", "end")] + ["left"]
COL = {name: i for i, name in enumerate(EVENTS)}
N_EVENTS = len(EVENTS)

BUSY_CEILING = 1.6  # a parallel_ceiling below this: the second core was not free, run again
GOALS = {  # name: (comparison, bound)
    "short_replication_ratio": (">=", 0.9),
    "compare_after_run_ratio": ("<=", 1.2),
    "generality_ratio": (">=", 1.3),
    "expert_ratio": (">=", 0.8),
    "import_seconds": ("<=", 0.3),
    "parallel_efficiency": (">=", 0.95),  # parallel_speedup / parallel_ceiling: what the machine allowed
    "memory_growth": ("<=", 0.20),
    "optimise_baseline_seconds": ("<=", 300.0),
    "network_time_ratio": ("<=", 1.5),  # the network example's engine time per patient against the baseline's  # the baseline's default search within 5 minutes on 2 cores
}


def lognormal_parameters(mean: float, sd: float) -> tuple[float, float]:
    """mu and sigma of the underlying normal, from the mean and sd of the variable itself."""
    sigma2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2, math.sqrt(sigma2)


def check_same_parameters(model) -> None:
    """Refuse to time anything if walk_in.yaml and the constants above disagree."""
    problems = []
    if model.events != EVENTS:
        problems.append(f"events {model.events} != {EVENTS}")
    if model.attributes != ["acuity"] or model.values[0] != [str(a) for a in ACUITY]:
        problems.append("the only attribute must be acuity 1..5")
    (stream,) = model.streams
    if not np.allclose(stream.rate_by_hour_of_week, ARRIVALS_PER_MINUTE):
        problems.append("arrivals are not a constant 288 a day")
    (mix,) = model.steps[0].assign
    codes, cumulative = mix.mix.other
    if not np.allclose(np.diff(np.concatenate([[0.0], cumulative])), ACUITY_SHARES):
        problems.append(f"acuity shares {cumulative} != {ACUITY_SHARES}")
    resources = {r.name: r for r in model.resources}
    for name, count in COUNTS.items():
        if name not in resources or resources[name].count != count:
            problems.append(f"resource {name} is not a count of {count}")
    for step, (name, (resource, by_acuity, dist, params)) in zip(model.steps, STEPS.items()):
        acquire = [model.resources[r].name for r in step.acquire]
        takes = step.takes.other if step.takes is not None else None
        if (step.name != name or acquire != ([resource] if resource else []) or (step.priority >= 0) != by_acuity
                or takes is None or takes.name != dist or tuple(takes.params) != params):
            problems.append(f"step {step.name} differs from STEPS[{name!r}]")
    if problems:
        raise SystemExit("benchmarks/walk_in.yaml and benchmarks/run.py describe different models:\n  "
                         + "\n  ".join(problems))


# ---------------------------------------------------------------------------------------------
# The walk-in model written by hand in SimPy: idiomatic (treat-sim's style)
# ---------------------------------------------------------------------------------------------
class Exponential:
    def __init__(self, mean, seed):
        self.mean = mean
        self.rng = np.random.default_rng(seed)

    def sample(self):
        return self.rng.exponential(self.mean)


class Lognormal:
    def __init__(self, mean, sd, seed):
        self.mu, self.sigma = lognormal_parameters(mean, sd)
        self.rng = np.random.default_rng(seed)

    def sample(self):
        return self.rng.lognormal(self.mu, self.sigma)


class Discrete:
    # rng.choice(values, p=shares) would be the obvious line, but costs ~16 µs a draw; a uniform
    # and a bisect (~1 µs) gives the hand-written model the benefit of the doubt.
    def __init__(self, values, shares, seed):
        self.values = list(values)
        self.cumulative = [float(c) for c in np.cumsum(shares)]
        self.cumulative[-1] = 1.0
        self.rng = np.random.default_rng(seed)

    def sample(self):
        return self.values[bisect.bisect_right(self.cumulative, self.rng.random())]


def _distribution(dist, params, seed):
    return Exponential(params[0], seed) if dist == "exponential" else Lognormal(*params, seed)


class IdiomaticModel:
    """A process per patient, a Generator draw per sample, timestamps appended to lists."""
    def __init__(self, seed: int, replication: int):
        self.env = simpy.Environment()
        seeds = np.random.SeedSequence(seed, spawn_key=(replication,)).generate_state(8)
        self.arrival_dist = Exponential(1 / ARRIVALS_PER_MINUTE, seeds[0])
        self.acuity_dist = Discrete(ACUITY, ACUITY_SHARES, seeds[1])
        d = {name: _distribution(dist, params, seeds[2 + i]) for i, (name, (_, _, dist, params)) in enumerate(STEPS.items())}
        self.triage_dist, self.registration_dist, self.assessment_dist = d["triage"], d["registration"], d["assessment"]
        self.treatment_dist, self.decision_dist, self.discharge_dist = d["treatment"], d["decision"], d["discharge"]
        self.triage_nurse = simpy.Resource(self.env, COUNTS["triage_nurse"])
        self.clerk = simpy.Resource(self.env, COUNTS["clerk"])
        self.doctor = simpy.PriorityResource(self.env, COUNTS["doctor"])
        self.nurse = simpy.PriorityResource(self.env, COUNTS["nurse"])
        self.porter = simpy.Resource(self.env, COUNTS["porter"])
        self.patients = []  # (acuity holder, timestamps) per patient, in arrival order

    def arrivals(self):
        env = self.env
        while True:
            yield env.timeout(self.arrival_dist.sample())
            record = [None, [env.now]]
            self.patients.append(record)
            env.process(self.patient(record))

    def patient(self, record):
        env = self.env
        times = record[1]
        # triage
        times.append(env.now)
        with self.triage_nurse.request() as req:
            yield req
            times.append(env.now)
            yield env.timeout(self.triage_dist.sample())
        times.append(env.now)
        acuity = record[0] = self.acuity_dist.sample()
        # registration
        times.append(env.now)
        with self.clerk.request() as req:
            yield req
            times.append(env.now)
            yield env.timeout(self.registration_dist.sample())
        times.append(env.now)
        # assessment, acuity first
        times.append(env.now)
        with self.doctor.request(priority=acuity) as req:
            yield req
            times.append(env.now)
            yield env.timeout(self.assessment_dist.sample())
        times.append(env.now)
        # treatment, acuity first
        times.append(env.now)
        with self.nurse.request(priority=acuity) as req:
            yield req
            times.append(env.now)
            yield env.timeout(self.treatment_dist.sample())
        times.append(env.now)
        # decision (no queue)
        times.append(env.now)
        times.append(env.now)
        yield env.timeout(self.decision_dist.sample())
        times.append(env.now)
        # discharge
        times.append(env.now)
        with self.porter.request() as req:
            yield req
            times.append(env.now)
            yield env.timeout(self.discharge_dist.sample())
        times.append(env.now)
        times.append(env.now)  # left

    def run(self, length: float) -> None:
        self.env.process(self.arrivals())
        self.env.run(until=length)

    def arrays(self):
        """(times, acuity) as arrays shaped like patientflow's log (after the timing)."""
        times = np.full((len(self.patients), N_EVENTS), np.nan)
        acuity = np.zeros(len(self.patients), dtype=np.int16)
        for i, (a, t) in enumerate(self.patients):
            times[i, :len(t)] = t
            acuity[i] = a if a is not None else 0
        return times, acuity


# ---------------------------------------------------------------------------------------------
# The walk-in model written by hand in SimPy: expert (batched draws, preallocated arrays)
# ---------------------------------------------------------------------------------------------
class ExpertModel:
    """The same processes; every stream's numbers drawn in one batch, timestamps into numpy rows."""
    def __init__(self, seed: int, replication: int, length: float):
        self.env = simpy.Environment()
        rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed, spawn_key=(replication, 1)).spawn(8)]
        expected = ARRIVALS_PER_MINUTE * length
        n = int(expected + 8 * math.sqrt(expected) + 64)
        gaps = rngs[0].exponential(1 / ARRIVALS_PER_MINUTE, n)
        arrivals = np.cumsum(gaps)
        while arrivals[-1] < length:  # (never in practice) draw more until past the end
            arrivals = np.concatenate([arrivals, arrivals[-1] + np.cumsum(rngs[0].exponential(1 / ARRIVALS_PER_MINUTE, n))])
        self.arrival_times = arrivals[arrivals < length].tolist()
        n = len(self.arrival_times)
        cumulative = np.cumsum(ACUITY_SHARES)
        cumulative[-1] = 1.0
        self.acuity = (np.searchsorted(cumulative, rngs[1].random(n), side="right") + 1).astype(np.int16)
        self._acuity = self.acuity.tolist()
        durations = []
        for i, (_, _, dist, params) in enumerate(STEPS.values()):
            rng = rngs[2 + i]
            durations.append((rng.exponential(params[0], n) if dist == "exponential"
                              else rng.lognormal(*lognormal_parameters(*params), n)).tolist())
        (self._triage, self._registration, self._assessment, self._treatment, self._decision,
         self._discharge) = durations
        self.times = np.full((n, N_EVENTS), np.nan)
        self.triage_nurse = simpy.Resource(self.env, COUNTS["triage_nurse"])
        self.clerk = simpy.Resource(self.env, COUNTS["clerk"])
        self.doctor = simpy.PriorityResource(self.env, COUNTS["doctor"])
        self.nurse = simpy.PriorityResource(self.env, COUNTS["nurse"])
        self.porter = simpy.Resource(self.env, COUNTS["porter"])

    def arrivals(self):
        env = self.env
        timeout, process, patient = env.timeout, env.process, self.patient
        for i, t in enumerate(self.arrival_times):
            yield timeout(t - env.now)
            process(patient(i))

    def patient(self, i):
        env = self.env
        timeout = env.timeout
        row = self.times[i]
        acuity = self._acuity[i]
        row[0] = now = env.now
        row[1] = now
        with self.triage_nurse.request() as req:
            yield req
            row[2] = env.now
            yield timeout(self._triage[i])
        row[3] = row[4] = env.now
        with self.clerk.request() as req:
            yield req
            row[5] = env.now
            yield timeout(self._registration[i])
        row[6] = row[7] = env.now
        with self.doctor.request(priority=acuity) as req:
            yield req
            row[8] = env.now
            yield timeout(self._assessment[i])
        row[9] = row[10] = env.now
        with self.nurse.request(priority=acuity) as req:
            yield req
            row[11] = env.now
            yield timeout(self._treatment[i])
        row[12] = row[13] = row[14] = env.now
        yield timeout(self._decision[i])
        row[15] = row[16] = env.now
        with self.porter.request() as req:
            yield req
            row[17] = env.now
            yield timeout(self._discharge[i])
        row[18] = row[19] = env.now

    def run(self, length: float) -> None:
        self.env.process(self.arrivals())
        self.env.run(until=length)

    def arrays(self):
        return self.times, self.acuity


# ---------------------------------------------------------------------------------------------
# A bare SimPy loop of timeouts (the ceiling for any SimPy model on this machine)
# ---------------------------------------------------------------------------------------------
def bare_simpy(events: int, processes: int = 50) -> tuple[int, float]:
    """Run ``processes`` loops of ``yield env.timeout(1)``; (events scheduled, seconds)."""
    env = simpy.Environment()
    per = events // processes

    def loop(env, n, offset):
        yield env.timeout(offset)
        for _ in range(n):
            yield env.timeout(1.0)

    started = time.process_time()
    before = next(env._eid)
    for p in range(processes):
        env.process(loop(env, per, p / processes))
    env.run()
    seconds = time.process_time() - started
    return next(env._eid) - before - 1, seconds  # the same counter as Log.events_processed


# ---------------------------------------------------------------------------------------------
# Statistics helpers
# ---------------------------------------------------------------------------------------------
def t_interval(values: list[float]) -> tuple[float, float]:
    """Mean and 95 % t half-width."""
    from scipy import stats

    n = len(values)
    mean = statistics.fmean(values)
    if n < 2:
        return mean, math.inf
    return mean, float(stats.t.ppf(0.975, n - 1)) * statistics.stdev(values) / math.sqrt(n)


def wait_measures(times, acuity, warm_up: float) -> dict[str, float]:
    """Mean waits (minutes) of one replication, counted like patientflow counts a moment: from-event
    after the warm-up, patients still waiting at the end left out."""

    out = {}
    for step, label in (("triage", "wait triage"), ("registration", "wait registration"),
                        ("assessment", "wait doctor"), ("treatment", "wait nurse"), ("discharge", "wait porter")):
        q, s = times[:, COL[f"{step}.queued"]], times[:, COL[f"{step}.start"]]
        ok = (q >= warm_up) & ~np.isnan(s)
        out[label] = float(np.mean(s[ok] - q[ok]))
        if step == "assessment":
            for a in (1, 5):
                sel = ok & (acuity == a)
                out[f"wait doctor, acuity {a}"] = float(np.mean(s[sel] - q[sel]))
    a, left = times[:, COL["arrived"]], times[:, COL["left"]]
    ok = (a >= warm_up) & ~np.isnan(left)
    out["time in department"] = float(np.mean(left[ok] - a[ok]))
    return out


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def parallel_ceiling(n: int) -> float:
    """What two processes can gain on this machine right now: pure-Python CPU work, two tasks run
    one after the other vs by two warm worker processes. On an idle 2-core machine about 2."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_burn, [1000, 1000]))  # start both workers
        started = time.perf_counter()
        _burn(n)
        _burn(n)
        serial = time.perf_counter() - started
        started = time.perf_counter()
        list(pool.map(_burn, [n, n]))
        return serial / (time.perf_counter() - started)


def source_fingerprint() -> str:
    """The commit and a hash of patientflow/**/*.py as they are now, so figures can be traced to code."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((ROOT / "patientflow").rglob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip() or "no git"
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "patientflow"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "no git", ""
    return f"commit {commit}{' + uncommitted changes in patientflow/' if dirty else ''}, source {digest.hexdigest()[:12]}"


def load_average() -> str:
    """A speed-up needs an idle second core: say how busy the machine was."""
    if not hasattr(os, "getloadavg"):
        return ""
    return "Load average now: " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores."


def median(values):
    return statistics.median(values) if values else math.nan


# ---------------------------------------------------------------------------------------------
# Child processes (fresh interpreters for import time, parallel speed-up and peak memory)
# ---------------------------------------------------------------------------------------------
def peak_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / (1024 if sys.platform == "darwin" else 1)


def child(task: dict) -> None:
    """Run one measurement in this fresh interpreter and print its result as JSON: the seconds of
    each of ``repeat`` calls of pf.simulate (the first pays for starting a worker pool), the peak RSS."""
    import patientflow as pf

    sc = pf.load_scenario(task["scenario"])
    sc = sc.with_changes(task["changes"])
    seconds = []
    on_done = (lambda _result, _resumed: gc.collect()) if task.get("collect") else None
    for _ in range(task.get("repeat", 1)):
        started = time.perf_counter()
        res = pf.simulate(sc, replications=task["replications"], seed=task["seed"], jobs=task["jobs"], on_done=on_done,
                          cache=False)
        seconds.append(time.perf_counter() - started)
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_rss_mib(),
                      "patients": int(sum(res.patient_counts))}))


def run_child(task: dict) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(task)],
                          capture_output=True, text=True, env=env, cwd=str(ROOT))
    if done.returncode != 0:
        raise RuntimeError(f"child {task} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def interpreter_seconds(code: str) -> float:
    """CPU seconds (user + system) of a fresh interpreter running ``code``: unlike wall-clock time,
    not lengthened by other processes competing for the cores."""
    import resource

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=str(ROOT))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


# ---------------------------------------------------------------------------------------------
# The figures
# ---------------------------------------------------------------------------------------------
class Figures:
    def __init__(self):
        self.rows: list[dict] = []

    def add(self, name, value, unit, note=""):
        self.rows.append({"name": name, "value": value, "unit": unit, "note": note})
        shown = "skipped" if value is None else (f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}")
        print(f"  {name:<36} {shown:>14} {unit:<14} {note}", flush=True)


def measure_walk_in(fig: Figures, quick: bool) -> dict:
    import patientflow as pf
    from patientflow.engine.replication import simulate_replication

    sc = pf.load_scenario(WALK_IN)
    if quick:
        sc = sc.with_changes({"run.length": "5d", "run.warm_up": "1d"})
    model = sc.model
    check_same_parameters(model)
    length, warm_up, seed = model.length, model.warm_up, sc.spec.run.seed
    repetitions = 3 if quick else 7
    bare_events = 60_000 if quick else 1_500_000

    print(f"\nWalk-in pathway ({length / 1440:.0f} days, {repetitions} alternating repetitions; "
          f"each repetition is a different replication; times are CPU seconds of this process)", flush=True)

    def run_pf(i):
        t = time.process_time()
        log = simulate_replication(model, seed, i)
        s = time.process_time() - t
        return s, log

    def run_simulate(i):
        t = time.process_time()
        res = pf.simulate(sc, replications=1, seed=seed + 1000 + i, jobs=1, cache=False)
        return time.process_time() - t, int(res.patient_counts[0])

    def run_idiomatic(i):
        t = time.process_time()
        m = IdiomaticModel(seed, i)
        m.run(length)
        return time.process_time() - t, m

    def run_expert(i):
        t = time.process_time()
        m = ExpertModel(seed, i, length)
        m.run(length)
        return time.process_time() - t, m

    rates = {k: [] for k in ("patientflow", "idiomatic", "expert", "simulate", "pf_events", "bare_events")}
    ratios = {k: [] for k in ("generality", "expert", "engine_share")}
    waits = {k: [] for k in ("patientflow", "idiomatic", "expert")}
    patients, events_pf, events_id = [], [], []
    tasks = ["patientflow", "idiomatic", "expert", "bare", "simulate"]
    for i in range(repetitions):
        order = tasks[i % len(tasks):] + tasks[:i % len(tasks)]
        got = {}
        for task in order:
            gc.collect()
            if task == "patientflow":
                got[task] = run_pf(i)
            elif task == "idiomatic":
                got[task] = run_idiomatic(i)
            elif task == "expert":
                got[task] = run_expert(i)
            elif task == "simulate":
                got[task] = run_simulate(i)
            else:
                events, s = bare_simpy(bare_events)
                got[task] = (s, events)
        s_pf, log = got["patientflow"]
        n_pf = log.times.shape[0]
        patients.append(n_pf)
        waits["patientflow"].append(wait_measures(log.times, log.attributes[:, 0].astype(int) + 1, warm_up))
        rate_pf = n_pf / s_pf
        s_id, m_id = got["idiomatic"]
        times_id, acuity_id = m_id.arrays()
        waits["idiomatic"].append(wait_measures(times_id, acuity_id, warm_up))
        rate_id = len(times_id) / s_id
        events_id.append(next(m_id.env._eid) / len(times_id))
        events_pf.append(log.events_processed / n_pf)
        s_ex, m_ex = got["expert"]
        waits["expert"].append(wait_measures(*m_ex.arrays(), warm_up))
        rate_ex = len(m_ex.times) / s_ex
        s_bare, n_bare = got["bare"]
        s_sim, n_sim = got["simulate"]
        rates["patientflow"].append(rate_pf)
        rates["idiomatic"].append(rate_id)
        rates["expert"].append(rate_ex)
        rates["simulate"].append(n_sim / s_sim)
        rates["pf_events"].append(log.events_processed / s_pf)
        rates["bare_events"].append(n_bare / s_bare)
        ratios["generality"].append(rate_pf / rate_id)
        ratios["expert"].append(rate_pf / rate_ex)
        ratios["engine_share"].append((log.events_processed / s_pf) / (n_bare / s_bare))
        print(f"  repetition {i + 1}: patientflow {s_pf:.2f} s, idiomatic {s_id:.2f} s, expert {s_ex:.2f} s, "
              f"pf.simulate {s_sim:.2f} s ({n_pf:,} patients); bare SimPy {n_bare:,} events in {s_bare:.2f} s",
              flush=True)
        del got, log, m_id, m_ex

    # the same model? ---------------------------------------------------------------------
    print(f"\nSame model? Mean waits (min), mean ± 95 % t half-width over {repetitions} replications each:")
    labels = list(waits["patientflow"][0])
    print(f"  {'measure':<26} {'patientflow':>16} {'idiomatic':>16} {'expert':>16}  verdict")
    all_ok = True
    for label in labels:
        cis = {k: t_interval([w[label] for w in waits[k]]) for k in waits}
        (m0, h0) = cis["patientflow"]
        ok = all(abs(m - m0) <= h + h0 for m, h in (cis["idiomatic"], cis["expert"]))
        all_ok &= ok
        cells = " ".join(f"{m:>8.2f} ± {h:<5.2f}" for m, h in cis.values())
        print(f"  {label:<26} {cells}  {'same' if ok else 'DIFFERENT'}")
    verdict = "PASS" if all_ok else "FAIL"
    if quick:
        verdict += " (quick: runs too short and too few to judge)"
    print(f"  CHECK same model (every interval of idiomatic and expert overlaps patientflow's): {verdict}",
          flush=True)

    print("\nFigures")
    n = int(median(patients))
    fig.add("walk_in_patients", n, "patients", "per replication (median)")
    fig.add("patientflow_patients_per_second", median(rates["patientflow"]), "patients/s",
            "simulate_replication: engine, full per-patient log")
    fig.add("idiomatic_patients_per_second", median(rates["idiomatic"]), "patients/s", "hand-written SimPy, idiomatic")
    fig.add("expert_patients_per_second", median(rates["expert"]), "patients/s", "hand-written SimPy, expert")
    def spread(values):
        return f" (repetitions: {min(values):.2f}–{max(values):.2f})"

    fig.add("generality_ratio", median(ratios["generality"]), "x", "patientflow ÷ idiomatic" + spread(ratios["generality"]))
    fig.add("expert_ratio", median(ratios["expert"]), "x", "patientflow ÷ expert" + spread(ratios["expert"]))
    fig.add("simulate_patients_per_second", median(rates["simulate"]), "patients/s",
            "pf.simulate, 1 replication: engine + moments + results")
    fig.add("patientflow_events_per_second", median(rates["pf_events"]), "events/s", "SimPy events, walk-in model")
    fig.add("bare_simpy_events_per_second", median(rates["bare_events"]), "events/s", "loops of env.timeout(1)")
    fig.add("engine_share", median(ratios["engine_share"]), "x",
            "patientflow events/s ÷ bare SimPy events/s" + spread(ratios["engine_share"]))
    fig.add("patientflow_events_per_patient", median(events_pf), "events", "SimPy events scheduled per patient")
    fig.add("idiomatic_events_per_patient", median(events_id), "events", "the same, hand-written (simpy.Resource)")
    return {"same_model": all_ok}


def measure_baseline_year(fig: Figures, quick: bool) -> None:
    if not BASELINE.exists():
        print(f"\n{BASELINE.relative_to(ROOT)} does not exist yet: skipping baseline_year_seconds", flush=True)
        fig.add("baseline_year_seconds", None, "s", "skipped: no scenarios/baseline.yaml")
        fig.add("baseline_year_patients_per_second", None, "patients/s", "skipped")
        return
    import patientflow as pf

    days = 3 if quick else 365
    changes = {"run.length": f"{days}d"}
    if quick:
        changes["run.warm_up"] = "1d"
    sc = pf.load_scenario(BASELINE).with_changes(changes)
    print(f"\nBaseline, one replication of {days} days with pf.simulate (jobs=1)", flush=True)
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    res = pf.simulate(sc, replications=1, seed=sc.spec.run.seed, jobs=1, cache=False)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    n = int(res.patient_counts[0])
    note = f"CPU s ({wall:.1f} s wall); {n:,} patients" + (f"; quick: {days} days scaled to a year" if quick else "")
    fig.add("baseline_year_seconds", cpu * 365 / days, "s", note)
    fig.add("baseline_year_patients_per_second", n / cpu, "patients/s", "per CPU second")


def measure_import(fig: Figures, quick: bool) -> None:
    repetitions = 2 if quick else 9
    print(f"\nImport time: CPU time of fresh interpreters, {repetitions} alternating repetitions", flush=True)
    bare, light, api = [], [], []
    for _ in range(repetitions):
        bare.append(interpreter_seconds("pass"))
        light.append(interpreter_seconds("import patientflow"))
        api.append(interpreter_seconds("import patientflow as pf; pf.load_scenario; pf.simulate"))
    fig.add("import_seconds", median(light) - median(bare), "s", "import patientflow − bare interpreter")
    fig.add("import_api_seconds", median(api) - median(bare), "s",
            "… and resolving pf.load_scenario, pf.simulate (first use)")


def measure_parallel(fig: Figures, quick: bool) -> None:
    if not BASELINE.exists():
        print(f"\n{BASELINE.relative_to(ROOT)} does not exist yet: skipping parallel_speedup", flush=True)
        for name in ("parallel_speedup", "parallel_speedup_warm", "parallel_ceiling", "parallel_efficiency"):
            fig.add(name, None, "fraction" if name == "parallel_efficiency" else "x",
                    "skipped: no scenarios/baseline.yaml")
        return
    replications = 4 if quick else 20
    length, warm_up = ("2d", "1d") if quick else ("14d", "2d")
    repetitions, repeat = (1, 1) if quick else (5, 2)  # 5: the median stands a passing load on the host
    print(f"\nParallel: {replications} replications of the baseline ({length}, warm-up {warm_up}), jobs=1 vs jobs=2, "
          f"each in a fresh interpreter; {repetitions} repetitions, the order alternating, each between two measures of "
          f"the ceiling. Cold: the first pf.simulate (pool start-up included); warm: a second one in the same "
          f"interpreter. {load_average()}", flush=True)
    base = {"scenario": str(BASELINE), "changes": {"run.length": length, "run.warm_up": warm_up}, "seed": 7,
            "replications": replications, "repeat": repeat}
    size = 2_000_000 if quick else 10_000_000
    cold, warm, ceiling = [], [], []
    before = parallel_ceiling(size)
    for i in range(repetitions):
        seconds = {jobs: run_child({**base, "jobs": jobs})["seconds"] for jobs in ((1, 2) if i % 2 == 0 else (2, 1))}
        one, two = seconds[1], seconds[2]
        after = parallel_ceiling(size)
        ceiling.append((before + after) / 2)  # what the machine allowed around this repetition
        before = after
        cold.append(one[0] / two[0])
        if repeat > 1:
            warm.append(one[1] / two[1])
        print(f"  repetition {i + 1}: jobs=1 {', '.join(f'{s:.2f}' for s in one)} s; "
              f"jobs=2 {', '.join(f'{s:.2f}' for s in two)} s; ceiling (pure CPU, 2 processes) {ceiling[-1]:.2f}x",
              flush=True)
    fig.add("parallel_speedup", median(cold), "x",
            f"jobs=2 over jobs=1, {replications} replications, cold (as patientflow run), {os.cpu_count()} cores")
    fig.add("parallel_speedup_warm", median(warm) if warm else None, "x",
            "the same with the worker pool already started" if warm else "skipped in quick mode")
    fig.add("parallel_ceiling", median(ceiling), "x",
            "pure-Python CPU work in 2 processes over 1: what this machine allowed (idle 2 cores: ~2)")
    fig.add("parallel_efficiency", median(cold) / median(ceiling), "fraction",
            "parallel_speedup / parallel_ceiling: the share of what the machine allowed that jobs=2 got, cold")
    if median(ceiling) < BUSY_CEILING:
        print(f"  the ceiling was {median(ceiling):.2f}x: the second core was busy; run again on an idle machine",
              flush=True)


def measure_memory(fig: Figures, quick: bool) -> None:
    if not BASELINE.exists():
        print(f"\n{BASELINE.relative_to(ROOT)} does not exist yet: skipping peak memory", flush=True)
        for name in ("peak_rss_10_mib", "peak_rss_100_mib"):
            fig.add(name, None, "MiB", "skipped: no scenarios/baseline.yaml")
        fig.add("peak_rss_100_collected_mib", None, "MiB", "skipped: no scenarios/baseline.yaml")
        fig.add("memory_growth", None, "fraction", "skipped: no scenarios/baseline.yaml")
        return
    few, many = (2, 6) if quick else (10, 100)
    length, warm_up = ("1d", "6h") if quick else ("3d", "1d")
    print(f"\nPeak memory (VmHWM) of a fresh interpreter running {few} vs {many} replications "
          f"({length}, warm-up {warm_up}, jobs=1)", flush=True)
    mem = {"scenario": str(BASELINE), "changes": {"run.length": length, "run.warm_up": warm_up}, "seed": 7, "jobs": 1}
    a = run_child({**mem, "replications": few})
    b = run_child({**mem, "replications": many})
    c = run_child({**mem, "replications": many, "collect": True})
    fig.add("peak_rss_10_mib", a["peak_rss_mib"], "MiB", f"{few} replications" + (" (quick)" if quick else ""))
    fig.add("peak_rss_100_mib", b["peak_rss_mib"], "MiB", f"{many} replications" + (" (quick)" if quick else ""))
    fig.add("memory_growth", b["peak_rss_mib"] / a["peak_rss_mib"] - 1, "fraction", f"{many} vs {few} replications")
    fig.add("peak_rss_100_collected_mib", c["peak_rss_mib"], "MiB",
            f"{many} replications, gc.collect() after each: the rest of peak_rss_100 is cyclic garbage")


def profile_walk_in(top: int = 25) -> None:
    import cProfile
    import pstats

    import patientflow as pf
    from patientflow.engine.replication import simulate_replication

    sc = pf.load_scenario(WALK_IN).with_changes({"run.length": "60d"})
    profiler = cProfile.Profile()
    profiler.runcall(simulate_replication, sc.model, sc.spec.run.seed, 0)
    print(f"\ncProfile of simulate_replication on the walk-in model (60 days), top {top} by own time:")
    pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats("tottime").print_stats(top)


def measure_short(fig: Figures, quick: bool) -> None:
    """Short replications: pf.simulate(jobs=1) against the engine alone, on a one-day model of
    about 230 patients a replication, alternating the two, repetition by repetition (CPU time)."""
    import patientflow as pf
    from patientflow.engine.replication import simulate_replication

    import pandas  # noqa: F401  (as a notebook has them: what a full collection would walk)
    import scipy.stats  # noqa: F401
    sc = pf.load_scenario(WALK_IN).with_changes({"run.length": "1d", "run.warm_up": 0, "demand.walk_ins.per_day": 230})
    n, repetitions = (20, 2) if quick else (200, 5)
    print(f"\nShort replications: {n} one-day replications (~230 patients each), pf.simulate(jobs=1) vs the "
          f"engine alone, {repetitions} alternating repetitions. {load_average()}", flush=True)
    ratios, patients = [], 0
    for i in range(repetitions):
        started = time.process_time()
        patients = sum(simulate_replication(sc.model, 1, r).times.shape[0] for r in range(n))
        engine = time.process_time() - started
        started = time.process_time()
        pf.simulate(sc, replications=n, seed=1, jobs=1, cache=False)  # the store off: every replication simulated
        whole = time.process_time() - started
        ratios.append(engine / whole)
        print(f"  repetition {i + 1}: engine {engine:.2f} s, pf.simulate {whole:.2f} s CPU", flush=True)
    fig.add("short_replication_ratio", median(ratios), "x",
            f"engine alone ÷ pf.simulate(jobs=1), {patients / n:.0f} patients a replication")


def measure_reuse(fig: Figures, quick: bool) -> None:
    """compare right after run: ``compare base variant`` once ``run base`` has filled the shared
    store, over ``run variant`` alone with an empty store (wall time of whole commands)."""
    import tempfile

    if not BASELINE.exists():
        fig.add("compare_after_run_ratio", None, "x", "skipped: no scenarios/baseline.yaml")
        return
    n, repetitions = (4, 1) if quick else (20, 2)
    length = "3d" if quick else "14d"
    print(f"\nReuse: compare baseline+variant right after run baseline, over run variant alone; {n} replications "
          f"of {length}, jobs 2, {repetitions} alternating repetitions. {load_average()}", flush=True)
    ratios = []
    with tempfile.TemporaryDirectory() as top:
        top = Path(top)
        base = top / "base.yaml"
        base.write_text(f"extends: {BASELINE}\nrun: {{length: {length}, warm_up: 1d}}\n")
        variant = top / "variant.yaml"
        variant.write_text("extends: base.yaml\nname: Two more ward beds\nresources:\n  ward_bed: {count: 482}\n")

        def timed(store: str, *args) -> float:
            env = {**os.environ, "PATIENTFLOW_CACHE": str(top / store)}
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "patientflow.cli", *args, "-r", str(n), "--jobs", "2",
                                   "--root", str(ROOT.anchor)], capture_output=True, text=True, env=env, cwd=top)
            if done.returncode != 0:
                raise RuntimeError(done.stderr)
            return time.perf_counter() - started

        for i in range(repetitions):
            timed(f"shared{i}", "run", str(base), "--out", str(top / f"base{i}"))
            compare = timed(f"shared{i}", "compare", str(base), str(variant), "--out", str(top / f"cmp{i}"))
            alone = timed(f"empty{i}", "run", str(variant), "--out", str(top / f"variant{i}"))
            ratios.append(compare / alone)
            print(f"  repetition {i + 1}: compare after run {compare:.1f} s, run variant alone {alone:.1f} s", flush=True)
    fig.add("compare_after_run_ratio", median(ratios), "x", f"{n} replications of the baseline ({length})")


def measure_optimise(fig: Figures, quick: bool) -> None:
    """The baseline's default search (every resource with a cost varied, every critical moment
    constrained): ``patientflow optimise`` with 2 jobs from an empty store, wall time of the whole
    command, with the answer's cost and whether the confirmation passed beside it."""
    import tempfile

    if not BASELINE.exists():
        fig.add("optimise_baseline_seconds", None, "s", "skipped: no scenarios/baseline.yaml")
        return
    with tempfile.TemporaryDirectory() as top:
        top = Path(top)
        scenario = BASELINE
        extra: list[str] = []
        if quick:  # a smoke run: three days of the baseline, two candidates
            scenario = top / "short.yaml"
            scenario.write_text(f"extends: {BASELINE}\nrun: {{length: 3d, warm_up: 1d}}\n")
            extra = ["--max-evaluations", "2"]
        print(f"\nOptimise: {scenario.name}'s default search, jobs 2, an empty store. {load_average()}", flush=True)
        env = {**os.environ, "PATIENTFLOW_CACHE": str(top / "store")}
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "patientflow.cli", "optimise", str(scenario), "--jobs", "2",
                               "--out", str(top / "out"), "--root", str(ROOT.anchor), *extra],
                              capture_output=True, text=True, env=env, cwd=top)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        meta = json.loads((top / "out" / "optimisation.json").read_text())
    print(f"  {meta['message']}", flush=True)
    print(f"  status {meta['status']}; cost per week {meta['cost_per_week']:,.0f} (input {meta['input_cost_per_week']:,.0f}); "
          f"{meta['candidates_evaluated']} candidates, {meta['replications_run']} replications", flush=True)
    fig.add("optimise_baseline_seconds", seconds, "s",
            f"status {meta['status']}, cost/week {meta['cost_per_week']:,.0f}, {meta['candidates_evaluated']} candidates, "
            f"{meta['replications_run']} replications")


def measure_network(fig: Figures, quick: bool) -> None:
    """The network example (stations, zones, a travel matrix, a fleet sent by nearest arrival)
    against the single-site baseline it extends: engine CPU time per patient, alternating the
    two repetition by repetition."""
    import patientflow as pf
    from patientflow.engine.replication import simulate_replication

    days, repetitions = (3, 2) if quick else (28, 5)
    changes = {"run.length": f"{days}d", "run.warm_up": "1d"}
    network = pf.load_scenario(NETWORK).with_changes(changes)
    baseline = pf.load_scenario(BASELINE).with_changes(changes)
    print(f"\nThe network example against the baseline: one {days}-day replication each, engine alone, "
          f"{repetitions} alternating repetitions (CPU time). {load_average()}", flush=True)
    per_patient = {"network": [], "baseline": []}
    for i in range(repetitions):
        for name, sc in (("network", network), ("baseline", baseline)):
            gc.collect()
            started = time.process_time()
            n = simulate_replication(sc.model, 1, i).times.shape[0]
            per_patient[name].append((time.process_time() - started) / n)
        print(f"  repetition {i + 1}: network {1e6 * per_patient['network'][-1]:.1f} µs, baseline "
              f"{1e6 * per_patient['baseline'][-1]:.1f} µs a patient", flush=True)
    ratios = [a / b for a, b in zip(per_patient["network"], per_patient["baseline"])]
    fig.add("network_patients_per_second", 1 / median(per_patient["network"]), "patients/s",
            f"scenarios/network/network.yaml, engine alone, {days}-day replications")
    fig.add("network_time_ratio", median(ratios), "x", "network ÷ baseline engine time per patient "
            f"(repetitions: {min(ratios):.2f}–{max(ratios):.2f})")


PARTS = {"walk_in": measure_walk_in, "baseline": measure_baseline_year, "import": measure_import,
         "parallel": measure_parallel, "memory": measure_memory, "short": measure_short, "reuse": measure_reuse,
         "optimise": measure_optimise, "network": measure_network}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run of every figure (not figures to quote)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the engine on the walk-in model")
    parser.add_argument("--only", metavar="PARTS", help="comma-separated parts to run: " + ", ".join(PARTS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return 0

    started = time.perf_counter()
    print(f"patientflow benchmarks{' (QUICK: smoke run, figures not to quote)' if args.quick else ''} — "
          f"{time.strftime('%Y-%m-%d %H:%M')}, Python {platform.python_version()}, SimPy {simpy.__version__}, "
          f"numpy {np.__version__}. {load_average()}\npatientflow: {source_fingerprint()}", flush=True)
    source_at_start = source_fingerprint()
    parts = list(PARTS) if not args.only else [p.strip() for p in args.only.split(",")]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    fig = Figures()
    checks = {}
    for part in parts:
        found = PARTS[part](fig, args.quick)
        if found:
            checks.update(found)

    print(f"\n{'figure':<36} {'value':>14} {'unit':<10} {'goal':<10} verdict")
    for row in fig.rows:
        value = row["value"]
        goal = GOALS.get(row["name"])
        shown = "skipped" if value is None else (f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}")
        verdict, goal_text = "", ""
        if goal:
            goal_text = f"{goal[0]} {goal[1]}"
            op, bound = goal
            verdict = "SKIPPED" if value is None else (
                "PASS" if (value >= bound if op == ">=" else value <= bound) else "MISS")
            ceiling = next((r["value"] for r in fig.rows if r["name"] == "parallel_ceiling"), None)
            if row["name"] == "parallel_efficiency" and ceiling is not None and ceiling < BUSY_CEILING:
                verdict += f" (a busy machine: it allowed {ceiling:.2f}x; run again when it is idle)"
        print(f"{row['name']:<36} {shown:>14} {row['unit']:<10} {goal_text:<10} {verdict}")
    if "same_model" in checks:
        print(f"same-model check: {'PASS' if checks['same_model'] else 'FAIL'}")
    print(f"(benchmark run took {time.perf_counter() - started:.0f} s)")
    if source_fingerprint() != source_at_start:
        print("WARNING: patientflow/ changed during the run; the figures mix versions of the code.")
    print()
    for row in fig.rows:
        line = {"name": row["name"], "value": row["value"], "unit": row["unit"]}
        if args.quick:
            line["quick"] = True
        print(json.dumps(line))
    if args.profile:
        profile_walk_in()
    return 0


if __name__ == "__main__":
    sys.exit(main())
