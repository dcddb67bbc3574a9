"""Calibration round trip: simulate a known scenario, write its patients as an event log in a
service's own column layout, calibrate from it on top of a deliberately wrong base, and recover
the arrival profile, mixes, branch shares and step-time parameters of the known scenario — each
within three standard errors computed from the log.

About 140 quantities are checked; were they independent, a correct calibration would pass them
all at 3 SE with probability ~0.7, so the seed is fixed (chosen once) and a failure is to be
investigated, not re-seeded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import patientflow as pf
from patientflow.eventlog.calibrate import calibrate
from patientflow.eventlog.calibration_file import calibration_text, rounded_shares
from patientflow.eventlog.reader import read_event_log
from patientflow.eventlog.writer import event_log_frame, write_event_log

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "event_log"
EVERYWHERE = Path("/")  # these files span the temporary folder and the repository: the root widened on purpose
SEED = 11  # chosen once
WRONG_BASE = """
name: A wrong first guess at Riverside
extends: {scenario}
demand:
  walk_ins: {{per_day: 200}}
  emergency_calls: {{mix: {{category: {{1: 0.4, 2: 0.3, 3: 0.3}}}}}}
pathways:
  emergency_call:
    travel: {{takes: {{by: category, 1: 20min, 2: 20min, 3: 20min}}}}
  ed:
    triage: {{takes: exponential(10min)}}
    decision: {{branch: {{admit: {{p: {{1: 0.5, 2: 0.5, 3: 0.5, 4: 0.5}}}}, home: {{p: {{1: 0.5, 2: 0.5, 3: 0.5, 4: 0.5}}}}}}}}
"""


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("round_trip")
    sys.path.insert(0, str(EXAMPLE))
    try:
        import make_log
    finally:
        sys.path.remove(str(EXAMPLE))
    patients = make_log.simulated_patients(EXAMPLE / "scenario.yaml", weeks=4, seed=SEED)
    write_event_log(event_log_frame(patients, make_log.LAYOUT, make_log.VALUES), folder / "log.csv")
    (folder / "wrong.yaml").write_text(WRONG_BASE.format(scenario=EXAMPLE / "scenario.yaml"))
    log = read_event_log(folder / "log.csv", folder / "wrong.yaml", EXAMPLE / "ed_attendances.yaml", root=EVERYWHERE)
    return log, calibrate(log), pf.load_scenario(EXAMPLE / "scenario.yaml").model, folder


class Checks:
    """Estimates against the truth, in standard errors; every miss reported at once."""

    def __init__(self):
        self.misses: list[str] = []
        self.count = 0

    def within(self, label: str, estimate: float, truth: float, se: float, k: float = 3.0) -> None:
        self.count += 1
        if se > 0 and abs(estimate - truth) <= k * se or se == 0 and abs(estimate - truth) < 1e-9:
            return
        self.misses.append(f"{label}: {estimate:.4g} against {truth:.4g} (se {se:.3g})")


def _shares(cumulative) -> np.ndarray:
    return np.diff(np.concatenate([[0.0], cumulative]))


def _sd(dist) -> float:
    return {"exponential": dist.params[0], "fixed": 0.0}.get(dist.name, dist.params[-1])


def test_calibration_recovers_the_arrival_profile_per_stream(round_trip):
    _, cal, truth, _ = round_trip
    checks = Checks()
    for fit in cal.arrivals:
        rate = next(s for s in truth.streams if s.name == fit.stream).rate_by_hour_of_week.reshape(7, 24) * 60
        n, e = fit.counts.reshape(7, 24), fit.exposure.reshape(7, 24)
        checks.within(f"{fit.stream} per day", fit.per_day, rate.sum() / 7, fit.per_day_se)
        for h in range(24):  # each hour of the day, over the weeks of the log
            checks.within(f"{fit.stream} {h:02d}:00", n[:, h].sum() / e[:, h].sum(),
                          (rate[:, h] * e[:, h]).sum() / e[:, h].sum(), np.sqrt(n[:, h].sum()) / e[:, h].sum())
            fitted = (fit.rate.reshape(7, 24)[:, h] * e[:, h]).sum() / e[:, h].sum()  # what the file says
            checks.within(f"{fit.stream} {h:02d}:00 as written", fitted, (rate[:, h] * e[:, h]).sum() / e[:, h].sum(),
                          np.sqrt(n[:, h].sum()) / e[:, h].sum())
        for d in range(7):  # each day of the week
            checks.within(f"{fit.stream} day {d}", n[d].sum() / e[d].sum() * 24, (rate[d] * e[d]).sum() / e[d].sum() * 24,
                          np.sqrt(n[d].sum()) / e[d].sum() * 24)
        assert fit.profile == "by_hour"  # the truth is hour of day x weekday: AIC prefers its 30 parameters
    assert {f.stream for f in cal.arrivals} == {"emergency_calls", "walk_ins"}
    assert not checks.misses, checks.misses


def test_calibration_recovers_mixes_and_branch_shares(round_trip):
    _, cal, truth, _ = round_trip
    checks = Checks()
    steps = {s.name: s for s in truth.steps}
    for fit in cal.shares:
        if fit.kind == "mix":
            stream = next(s for s in truth.streams if s.name == fit.where)
            mix = next(m for m in stream.mixes if truth.attributes[m.attribute] == fit.attribute).mix
            codes, cumulative = mix.other
        elif fit.kind == "assign":
            step = steps[fit.where]
            mix = next(a for a in step.assign if truth.attributes[a.attribute] == fit.attribute).mix
            codes, cumulative = mix.cases[truth.values[mix.attribute].index(fit.group)]
        else:
            step = steps[fit.where]
            table = step.branch.table
            cumulative = table.cases[truth.values[table.attribute].index(fit.group)] if fit.group is not None else table.other
            codes = step.branch.codes
        true = dict(zip([truth.values[truth.attributes.index(fit.attribute)][c] for c in codes], _shares(cumulative)))
        for value, share, se in zip(fit.values, fit.shares, fit.se):
            checks.within(f"{fit.kind} {fit.where} {fit.attribute}={value} ({fit.group})", share, true.get(value, 0.0), se)
    kinds = {(f.kind, f.where) for f in cal.shares}
    assert {("mix", "emergency_calls"), ("assign", "triage"), ("branch", "disposition"), ("branch", "scene_outcome"),
            ("branch", "decision")} <= kinds
    assert not checks.misses, checks.misses


def test_calibration_recovers_step_times_and_patience(round_trip):
    _, cal, truth, _ = round_trip
    checks = Checks()
    steps = {s.name: s for s in truth.steps}
    for d in cal.durations:
        step = steps[d.step]
        varying = step.takes if d.kind == "takes" else step.patience
        dist = varying.other if d.group in (None, "other") else varying.cases[truth.values[varying.attribute].index(d.group)]
        best = d.best
        checks.within(f"{d.step}.{d.kind} ({d.group}) mean", best.mean, dist.mean, best.se_mean)
        checks.within(f"{d.step}.{d.kind} ({d.group}) sd", best.sd, _sd(dist), best.se_sd)
        if d.kind == "takes" and d.n > 500:
            assert best.name == dist.name, f"{d.step} ({d.group}): AIC chose {best.name}, the truth is {dist.name}"
    fitted = {(d.kind, d.step) for d in cal.durations}
    assert {("takes", s) for s in ("answer", "travel", "on_scene", "to_hospital", "handover", "triage", "assessment",
                                   "treatment", "to_ward", "discharge")} <= fitted
    assert {("gives_up_after", "answer"), ("gives_up_after", "assessment")} <= fitted
    assert not checks.misses, checks.misses


def test_the_calibrated_file_is_a_commented_scenario_extending_the_base(round_trip, tmp_path):
    log, cal, truth, folder = round_trip
    out = tmp_path / "scenarios" / "calibrated.yaml"
    out.parent.mkdir()
    out.write_text(calibration_text(cal, out))
    sc = pf.load_scenario(out, root=EVERYWHERE)
    text = out.read_text()
    assert "extends:" in text and "# 1," in text or "AIC" in text
    assert text.count("AIC") >= 10 and "KS" in text and "± " in text
    model = sc.model
    assert [r.name for r in model.resources] == [r.name for r in truth.resources]  # rosters from the base
    triage = next(s for s in model.steps if s.name == "triage")
    assert triage.takes.other.name == "exponential" and triage.takes.other.mean == pytest.approx(4.0, rel=0.05)
    walk_ins = next(s for s in model.streams if s.name == "walk_ins")
    assert walk_ins.rate_by_hour_of_week.sum() * 60 / 7 == pytest.approx(100, rel=0.05)  # not the base's 200
    decision = next(s for s in model.steps if s.name == "decision")
    admit = {truth.values[truth.attributes.index("acuity")][code]: _shares(c)[0] for code, c in decision.branch.table.cases.items()}
    assert admit["1"] == pytest.approx(0.8, abs=0.12) and admit["4"] == pytest.approx(0.05, abs=0.02)


def test_shares_are_written_to_sum_to_exactly_one():
    for counts in ([1, 1, 1], [2, 0, 5, 7], [1, 2, 3, 4, 5, 6, 7]):
        assert sum(round(s * 10000) for s in rounded_shares(np.array(counts, float))) == 10000
