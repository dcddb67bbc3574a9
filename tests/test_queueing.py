"""The engine against exact results of queueing theory (DESIGN §5).

Every check runs replications from one experiment seed, chosen once and never changed to make a
test pass (a failing check here is investigated as a possible engine bug). Each statistic is
computed per replication, after a warm-up that removes the bias of the empty start; the exact
value must lie in the 99 % Student-t interval across replications, and each design has enough
replications and run length that the interval's half-width is within 5 % of the exact value (a
wider interval could hide a real error, so the width is asserted too).

The exact values are in ``tests/queueing_theory.py``. Times are in minutes.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import patientflow as pf
from patientflow.moments import STATS

from queueing_theory import (cobham_mean_waits, mm1_deterministic_patience_abandonment,
                             mm1_deterministic_patience_served_wait, mmc_mean_queue,
                             mmc_mean_wait, mmc_wait_probability, poisson_interval, t_interval)

SEED = 8128  # the experiment seed of every check in this file, fixed once: never re-seed to pass
CONFIDENCE = 0.99
MAX_RELATIVE_HALF_WIDTH = 0.05
JOBS = int(os.environ.get("PF_TEST_JOBS", "2"))  # results do not depend on it (DESIGN §5)

MEAN, WITHIN = STATS.index("mean"), STATS.index("within_target")  # columns of Results.per_replication


# ---------------------------------------------------------------- helpers
def _scenario(tmp_path: Path, name: str, text: str):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return pf.load_scenario(path)


def _row(res, moment: str, group: str = "all") -> int:
    for i, row in enumerate(res.rows):
        if row.moment == moment and row.group == group:
            return i
    raise KeyError((moment, group))


def _per_replication(res, moment: str, stat: int, group: str = "all") -> np.ndarray:
    values = res.per_replication[:, _row(res, moment, group), stat]
    assert np.all(np.isfinite(values)), f"{moment} {group}: a replication measured nothing"
    return values


def _check(label: str, values: np.ndarray, exact: float, scale: float | None = None) -> None:
    """The exact value lies in the 99 % t-interval of the per-replication ``values``, whose
    half-width is within 5 % of ``scale`` (the exact value unless given)."""
    mean, low, high = t_interval(values, CONFIDENCE)
    half = (high - low) / 2
    scale = abs(exact) if scale is None else scale
    print(f"{label}: estimate {mean:.5g}, 99% CI [{low:.5g}, {high:.5g}] "
          f"(half-width {half / scale:.1%} of {scale:.4g}), exact {exact:.5g}, {len(values)} replications")
    assert low <= exact <= high, (
        f"{label}: exact value {exact:.6g} outside the 99% interval [{low:.6g}, {high:.6g}] "
        f"(estimate {mean:.6g})")
    assert half <= MAX_RELATIVE_HALF_WIDTH * scale, (
        f"{label}: the 99% interval is too wide to test anything (half-width {half:.4g}, "
        f"{half / scale:.1%} of {scale:.4g}); run more replications")


def _mmc_text(servers: int, per_hour: float, service_mean: str, length: str, warm_up: str) -> str:
    # "0% within 0min": its within_target is the share of patients who did not wait at all
    # (a patient still waiting at the end counts as one who waited).
    return f"""
name: M/M/{servers}
run: {{length: {length}, warm_up: {warm_up}}}
demand:
  patients: {{per_hour: {per_hour}, pathway: clinic}}
resources:
  doctor: {{count: {servers}}}
pathways:
  clinic:
    - consult: {{use: doctor, takes: exponential({service_mean})}}
moments:
  wait: {{stage: clinic, from: consult.queued, to: consult.start, target: "0% within 0min"}}
"""


# ---------------------------------------------------------------- 1. M/M/c against Erlang C
@pytest.mark.slow
@pytest.mark.parametrize("servers, per_hour, service_minutes, length, warm_up, replications", [
    # c = 1, rho = 48/60 * 1 = 0.8: Wq = 4 min, P(wait) = 0.8            (~1.1 M patients)
    (1, 48, 1.0, "15d", "1d", 60),
    # c = 5, rho = 54/60 * 5 / 5 = 0.9: Wq = 7.62 min, P(wait) = 0.762   (~4.3 M patients)
    (5, 54, 5.0, "50d", "2d", 64),
])
def test_mmc_wait_matches_erlang_c(tmp_path, servers, per_hour, service_minutes, length, warm_up,
                                   replications):
    lam, mu = per_hour / 60, 1 / service_minutes
    sc = _scenario(tmp_path, f"mm{servers}", _mmc_text(servers, per_hour, f"{service_minutes}min", length, warm_up))
    res = pf.simulate(sc, replications=replications, seed=SEED, jobs=JOBS)

    _check(f"M/M/{servers} rho={lam / mu / servers:.2f} mean wait Wq",
           _per_replication(res, "wait", MEAN), mmc_mean_wait(lam, mu, servers))
    _check(f"M/M/{servers} rho={lam / mu / servers:.2f} P(wait > 0)",
           1 - _per_replication(res, "wait", WITHIN), mmc_wait_probability(lam, mu, servers))


# ---------------------------------------------------------------- 2. priority against Cobham
@pytest.mark.slow
def test_priority_mmc_matches_cobham(tmp_path):
    """Two classes, non-pre-emptive priority, M/M/2 at rho = 0.8; class 1 first. The same system
    twice, side by side: ordered by the resource's ``queue: cls`` and by the step's ``priority:
    cls``. First come, first served would give both classes Wq = 1.78 min (Erlang C) instead of
    0.52 and 2.61 min."""
    sc = _scenario(tmp_path, "priority", """
name: two-class priority M/M/2
run: {length: 30d, warm_up: 1d}
demand:
  a: {per_hour: 96, pathway: by_resource, mix: {cls: {1: 0.4, 2: 0.6}}}
  b: {per_hour: 96, pathway: by_step, mix: {cls: {1: 0.4, 2: 0.6}}}
resources:
  doctor_a: {count: 2, queue: cls}
  doctor_b: {count: 2}
pathways:
  by_resource:
    - see_a: {use: doctor_a, takes: exponential(1min)}
  by_step:
    - see_b: {use: doctor_b, takes: exponential(1min), priority: cls}
moments:
  wait_a: {stage: ed, from: see_a.queued, to: see_a.start, by: cls}
  wait_b: {stage: ed, from: see_b.queued, to: see_b.start, by: cls}
""")
    res = pf.simulate(sc, replications=30, seed=SEED, jobs=JOBS)
    lam, mu, c = 96 / 60, 1.0, 2
    exact = cobham_mean_waits([0.4 * lam, 0.6 * lam], mu, c)
    for moment, how in (("wait_a", "queue: cls"), ("wait_b", "priority: cls")):
        for k, group in enumerate(("cls=1", "cls=2")):
            _check(f"priority M/M/2 ({how}) class {k + 1} Wq",
                   _per_replication(res, moment, MEAN, group), exact[k])


# ---------------------------------------------------------------- 3. Little's law per step
@pytest.mark.slow
def test_littles_law_per_step(tmp_path):
    """A tandem of two queues (triage M/M/1 at rho = 0.7, then doctors M/M/2 at rho = 0.7). By
    Burke's theorem the second queue also sees Poisson arrivals, so each step is an M/M/c queue
    with exact Lq = lam Wq (Jackson network). Per step and replication: the time-average number
    waiting for the resource, as the engine records it, against lam times the mean wait."""
    sc = _scenario(tmp_path, "tandem", """
name: tandem
run: {length: 20d, warm_up: 1d}
demand:
  patients: {per_hour: 42, pathway: ed}
resources:
  nurse: {count: 1}
  doctor: {count: 2}
pathways:
  ed:
    - triage: {use: nurse, takes: exponential(1min)}
    - treat: {use: doctor, takes: exponential(2min)}
moments:
  wait_triage: {stage: ed, from: triage.queued, to: triage.start}
  wait_treat: {stage: ed, from: treat.queued, to: treat.start}
""")
    res = pf.simulate(sc, replications=40, seed=SEED, jobs=JOBS)
    lam = 42 / 60
    resources = [r.name for r in sc.model.resources]
    minutes = res._minutes.sum(axis=1)  # measured minutes of each replication
    utilisation = res.utilisation()
    for step, resource, mu, c in (("triage", "nurse", 1.0, 1), ("treat", "doctor", 0.5, 2)):
        r = resources.index(resource)
        queue = res._queue[:, r, :].sum(axis=1) / minutes  # time-average number waiting, per replication
        wait = _per_replication(res, f"wait_{step}", MEAN)
        exact_lq = mmc_mean_queue(lam, mu, c)
        # the public view agrees: mean queue by hour of day, averaged over the (equally measured) hours
        assert utilisation.loc[utilisation.resource == resource, "queue"].mean() == pytest.approx(queue.mean(), rel=1e-9)
        _check(f"Little {step}: Lq - lam * Wq", queue - lam * wait, 0.0, scale=exact_lq)
        _check(f"Little {step}: Lq", queue, exact_lq)
        _check(f"Little {step}: lam * Wq", lam * wait, exact_lq)

    # The queue record is exact on every sample path: the waiting patient-minutes in the measured
    # period equal the sum over patients of their time in that queue within the period.
    warm, end = sc.model.warm_up, sc.model.length
    patients = res.patients
    for step, resource in (("triage", "nurse"), ("treat", "doctor")):
        r = resources.index(resource)
        for rep, log in patients.groupby("replication"):
            queued = log[f"{step}.queued"].to_numpy()
            started = np.nan_to_num(log[f"{step}.start"].to_numpy(), nan=end)
            reached = ~np.isnan(queued)
            area = np.clip(np.minimum(started, end)[reached] - np.maximum(queued, warm)[reached], 0, None).sum()
            assert res._queue[rep, r, :].sum() == pytest.approx(area, rel=1e-9, abs=1e-6), (step, rep)


# ---------------------------------------------------------------- 4. patience
@pytest.mark.slow
def test_deterministic_patience_matches_mm1_plus_d(tmp_path):
    """M/M/1+D: one server, exponential 1 min services, 72 arrivals an hour (rho = 1.2, stable
    only because patients give up) and a fixed patience of 2 min. Exact (Baccelli, Boyer &
    Hebuterne 1984): P(abandon) = rho (1 - rho) e / (1 - rho^2 e), e = exp(-(mu - lam) tau) =
    0.3118; the served wait a mean of 0.797 min and never more than tau."""
    sc = _scenario(tmp_path, "patience", """
name: M/M/1+D
run: {length: 10d, warm_up: 1d}
demand:
  calls: {per_hour: 72, pathway: call}
resources:
  handler: {count: 1}
pathways:
  call:
    - answer: {use: handler, takes: exponential(1min), gives_up_after: fixed(2min), gives_up_as: abandoned}
moments:
  abandoned: {stage: call, kind: share, from: arrived, outcome: abandoned}
  wait: {stage: call, from: answer.queued, to: answer.start}
""")
    res = pf.simulate(sc, replications=20, seed=SEED, jobs=JOBS)
    lam, mu, tau = 72 / 60, 1.0, 2.0
    _check("M/M/1+D abandoned share", _per_replication(res, "abandoned", MEAN),
           mm1_deterministic_patience_abandonment(lam, mu, tau))
    _check("M/M/1+D mean wait of the served", _per_replication(res, "wait", MEAN),
           mm1_deterministic_patience_served_wait(lam, mu, tau))
    log = res.patients
    served = log["answer.start"].notna()
    assert (log.loc[served, "answer.start"] - log.loc[served, "answer.queued"]).max() <= tau + 1e-9
    gave_up = log["outcome"] == "abandoned"
    assert np.allclose(log.loc[gave_up, "left"] - log.loc[gave_up, "answer.queued"], tau)


# ---------------------------------------------------------------- 5. arrivals
BY_HOUR = [1, 1, 1, 1, 1, 1, 1, 1, 6, 6, 6, 6, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 1, 1]
BY_WEEKDAY = [1.3, 1, 1, 1, 1.1, 0.8, 0.4]


@pytest.mark.slow
def test_arrivals_follow_the_hour_of_week_profile(tmp_path):
    """A non-homogeneous Poisson stream (240 a day, an hour-of-day profile with six-fold jumps and
    a weekday profile): over 100 replications of one week, the arrivals in each of the 168 hours
    of the week — including each hour right after a rate change — match the expected counts.

    Family-wise error 1 %, split by Bonferroni: 0.3 % for the 168 per-hour Poisson tests
    (0.3 %/168 each), 0.3 % for Pearson's chi-square over the 168 hours, 0.2 % for the
    dispersion of the counts within replications (Poisson: variance = mean), and 0.1 % each for
    the first ten minutes of the hours right after a rise and after a fall of the rate."""
    per_day, replications = 240, 100
    sc = _scenario(tmp_path, "arrivals", f"""
name: arrivals
run: {{length: 7d, warm_up: 0}}
demand:
  walk_ins: {{per_day: {per_day}, by_hour: {BY_HOUR}, by_weekday: {BY_WEEKDAY}, pathway: visit}}
pathways:
  visit:
    - register: {{takes: 1min}}
""")
    # expected arrivals per hour of the week, from the profiles as DESIGN §3 defines them
    hours, days = np.asarray(BY_HOUR, float), np.asarray(BY_WEEKDAY, float)
    expected = (per_day * np.outer(days / days.mean(), hours / hours.sum())).ravel()
    assert np.allclose(sc.model.streams[0].rate_by_hour_of_week * 60, expected, rtol=1e-12)

    res = pf.simulate(sc, replications=replications, seed=SEED, jobs=JOBS, keep_patients=replications)
    log = res.patients
    arrived = log["arrived"].to_numpy()
    rep = log["replication"].to_numpy()
    assert np.all((arrived >= 0) & (arrived < 10080))
    how = (arrived // 60).astype(int)
    counts = np.zeros((replications, 168))
    np.add.at(counts, (rep, how), 1)
    total, mean_total = counts.sum(axis=0), expected * replications

    # every hour: an exact two-sided Poisson test of its total over the replications
    bad = []
    for h in range(168):
        low, high = poisson_interval(mean_total[h], 0.003 / 168)
        if not low <= total[h] <= high:
            bad.append(f"hour {h} ({'MTWTFSS'[h // 24]} {h % 24:02d}:00): {int(total[h])} arrivals, "
                       f"expected {mean_total[h]:.0f}, allowed {low}-{high}")
    changes = [h for h in range(168) if expected[h] != expected[h - 1]]
    print(f"arrivals: {int(total.sum())} in {replications} weeks (expected {mean_total.sum():.0f}); "
          f"hours right after a change: {[(h, int(total[h]), round(mean_total[h])) for h in changes]}")
    assert not bad, "arrivals per hour of the week off the profile:\n" + "\n".join(bad)

    chi2 = float(((total - mean_total) ** 2 / mean_total).sum())
    p = stats.chi2.sf(chi2, 168)
    print(f"arrivals: Pearson chi-square {chi2:.1f} on 168 df, p = {p:.3f}")
    assert p > 0.003

    # within replications each hour's count is Poisson: E (N - m)^2 / m = 1, Var = 2 + 1/m
    dispersion = ((counts - expected) ** 2 / expected).sum()
    z = (dispersion - counts.size) / math.sqrt(replications * (2 + 1 / expected).sum())
    print(f"arrivals: dispersion statistic {dispersion:.0f} for {counts.size} counts, z = {z:.2f}")
    assert abs(z) < stats.norm.isf(0.002 / 2)

    # the hour right after a change runs at its new rate from its first minute
    minute = arrived - how * 60
    for kind, hours_after in (("rise", [h for h in changes if expected[h] > expected[h - 1]]),
                              ("fall", [h for h in changes if expected[h] < expected[h - 1]])):
        in_hours = np.isin(how, hours_after)
        n, early = int(in_hours.sum()), int((in_hours & (minute < 10)).sum())
        p = stats.binomtest(early, n, 1 / 6).pvalue
        print(f"arrivals: first 10 minutes after a {kind}: {early} of {n} ({early / n:.4f}; 1/6 expected), p = {p:.3f}")
        assert p > 0.001, f"arrivals in the first 10 minutes after a {kind} of the rate: {early} of {n}, expected 1/6"
