"""What a comparison decides, checked on rules and on a hand-made pair of scenarios whose every
difference is known.

The pair has fixed arrivals and fixed durations, so each replication is the same and every
difference is known by hand: three patients arrive together on the hour from 08:00 to 15:00 and
a rare patient at 09:05; one triage nurse takes 10 minutes each (waits 0, 10, 20; the rare one
25), and the change adds a second nurse from 08:00 to 16:00 (waits 0, 0, 10; the rare one 5),
ten more beds, and makes the consultation half a minute longer (20 → 20.5 min: real, but below
the 1-minute threshold).
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import patientflow as pf
from helpers import write
from patientflow.experiment.comparison import ThresholdError, folder_name, resolve_threshold
from patientflow.experiment.costs import is_place
from patientflow.moments.decision import SMALL_GROUP, Threshold, change_verdict, flip_direction, too_small

DAYS, WARM_DAYS = 6, 1
BURSTS = [d * 1440 + h * 60 for d in range(DAYS) for h in range(8, 16) for _ in range(3)]
RARE = [d * 1440 + 9 * 60 + 5 for d in range(DAYS)]
BASE = f"""
name: Hand-made base
run: {{length: {DAYS}d, warm_up: {WARM_DAYS}d, replications: 3, seed: 7}}
stages: {{reception: Reception, treatment: Treatment, outcome: Outcome}}
demand:
  bursts: {{at: {BURSTS}, pathway: ed, set: {{kind: common}}}}
  rare: {{at: {RARE}, pathway: ed, set: {{kind: rare}}}}
resources:
  nurse: {{roster: {{"00:00-12:00": 1, "12:00-00:00": 1}}, cost_per_hour: 30}}
  doctor: {{roster: {{"00:00-12:00": 5, "12:00-00:00": 5}}, cost_per_hour: 90}}
  bed: {{count: 200, cost_per_hour: 4}}
pathways:
  ed:
    - triage: {{use: nurse, takes: 10min}}
    - consult: {{hold: bed, use: doctor, takes: 20min, release: bed}}
moments:
  to_triage: {{stage: reception, from: arrived, to: triage.start, by: kind, critical: true,
              target: [mean 5min, 90% within 15min]}}
  consult_time: {{stage: treatment, from: consult.start, to: consult.end, target: [mean 20.25min, 95% within 20min]}}
journey: {{stage: outcome, target: at least 80%}}
"""
CHANGE = """
name: Hand-made change
extends: base.yaml
resources:
  nurse: {roster: {"08:00-16:00": 1}}
  bed: {count: 210}
pathways:
  ed: {consult: {takes: 20.5min}}
"""
OTHER = """
name: Only more beds
extends: base.yaml
resources:
  bed: {count: 220}
"""
MEASURED = (DAYS - WARM_DAYS) * 8 * 3  # patients of the bursts a replication
EXPECTED_FLIPS = [  # (moment, group, tier, before, after, direction, difference): critical first, small groups after
    ("to_triage", "kind=common", "mean 5min", "missed", "met", "better", 10 / 3 - 10),
    ("to_triage", "kind=common", "90% within 15min", "missed", "met", "better", 1 / 3),
    ("journey", "all", "at least 80%", "missed", "met", "better", 1 - 80 / 125),
    ("to_triage", "kind=rare", "mean 5min", "missed", "met", "better", -20.0),
    ("to_triage", "kind=rare", "90% within 15min", "missed", "met", "better", 1.0),
    ("consult_time", "all", "95% within 20min", "met", "missed", "worse", -1.0),
]


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "patientflow.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def read(path):
    return pd.read_csv(path, dtype={"group": str, "tier": str}, keep_default_na=False,
                       na_values={c: [""] for c in ("ci_low", "ci_high", "difference", "journey_difference_ci_low",
                                                    "journey_difference_ci_high", "patients")})


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hand-made")
    write(folder, BASE, "base.yaml")
    write(folder, CHANGE, "change.yaml")
    write(folder, OTHER, "other.yaml")
    done = cli("compare", "base.yaml", "change.yaml", "--jobs", 1, cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder, folder / "reports" / "compare-base-change", done.stdout


# --- the rules --------------------------------------------------------------------------------

def test_a_change_counts_when_its_interval_excludes_zero_and_it_reaches_the_threshold():
    assert change_verdict(-1.0, -1.2, -0.8, 1.0, "lower") == "improved"  # exactly the threshold counts
    assert change_verdict(1.5, 0.2, 2.8, 1.0, "lower") == "worsened"
    assert change_verdict(-0.99, -1.2, -0.8, 1.0, "lower") == "too small to matter"
    assert change_verdict(-3.0, -6.0, 0.1, 1.0, "lower") == "no significant change"
    assert change_verdict(0.02, 0.01, 0.03, 0.01, "higher") == "improved"
    assert change_verdict(0.02, 0.01, 0.03, 0.01, None) == "changed"
    assert change_verdict(-3.0, -4.0, -2.0, 1.0, "lower", small=True) == "too few patients"
    assert change_verdict(-0.5, -0.6, -0.4, 1.0, "lower", small=True) == "too small to matter"
    assert change_verdict(math.nan, math.nan, math.nan, 1.0, "lower") == "no significant change"


def test_a_group_is_too_small_to_judge_below_the_patients_a_replication_it_needs():
    assert too_small(SMALL_GROUP - 1) and not too_small(SMALL_GROUP) and too_small(math.nan)


def test_a_target_flips_only_when_its_change_counts_the_same_way():
    assert flip_direction("missed", "met", "improved") == "better"
    assert flip_direction("met", "close", "worsened") == "worse"
    assert flip_direction("close", "missed", "improved") == ""  # a narrower interval, not a worse service
    assert flip_direction("met", "missed", "too small to matter") == ""
    assert flip_direction("met", "met", "improved") == ""


def test_the_threshold_comes_from_the_caller_then_the_scenario_then_the_defaults(tmp_path):
    base = pf.load_scenario(write(tmp_path, BASE, "base.yaml"))
    assert resolve_threshold(base) == Threshold(1.0, 0.01)
    set_ = base.with_changes({"compare.threshold_wait": "30s", "compare.threshold_share": "0.5%"})
    assert resolve_threshold(set_) == Threshold(0.5, 0.005)
    assert resolve_threshold(set_, "2min", "0.02") == Threshold(2.0, 0.02)
    with pytest.raises(ThresholdError) as caught:
        resolve_threshold(base, share="1")
    assert caught.value.key == "threshold_share" and "1%" in caught.value.message
    with pytest.raises(ThresholdError):
        resolve_threshold(base, wait="soon")


def test_places_are_fixed_counts_that_patients_keep_and_staff_everything_else(tmp_path):
    sc = pf.load_scenario(write(tmp_path, BASE.replace("doctor: {roster: {\"00:00-12:00\": 5, \"12:00-00:00\": 5}",
                                                       "doctor: {count: 5"), "base.yaml"))
    kinds = {r.name: is_place(sc.model, r) for r in sc.model.resources}
    assert kinds == {"nurse": False, "doctor": False, "bed": True}  # a counted doctor used for a step is staff
    bundled = pf.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml")
    assert [r.name for r in bundled.model.resources if is_place(bundled.model, r)] == ["cubicle", "ward_bed"]


def test_a_comparison_folder_is_named_after_every_scenario():
    assert folder_name(["scenarios/baseline.yaml", "scenarios/more_ward_beds.yaml"]) == "compare-baseline-more_ward_beds"
    assert folder_name(["a/x.yaml", "b/x.yaml"]) != folder_name(["b/x.yaml", "a/x.yaml"])
    long = [f"scenario_with_a_long_name_{i}.yaml" for i in range(8)]
    assert len(folder_name(long)) <= 120 and folder_name(long) != folder_name(long[:7] + ["other.yaml"])


# --- the hand-made pair -----------------------------------------------------------------------

def test_the_scorecard_lists_the_targets_that_flip_with_their_known_differences(pair):
    _folder, out, _stdout = pair
    card = read(out / "scorecard.csv")
    got = list(zip(card.moment, card.group, card.tier, card.before, card.after, card.direction))
    assert got == [e[:6] for e in EXPECTED_FLIPS]
    np.testing.assert_allclose(card.difference, [e[6] for e in EXPECTED_FLIPS], rtol=1e-5, atol=1e-6)  # CSV: six significant digits
    np.testing.assert_allclose(card.ci_low, card.difference, rtol=1e-5, atol=1e-6)  # the same every replication
    assert list(card.small_group) == [False, False, False, True, True, False]
    # the consultation's mean moves 0.5 min past its target: real, but under the threshold, so no flip
    assert not ((card.moment == "consult_time") & (card.tier == "mean 20.25min")).any()


def test_the_threshold_decides_which_real_changes_count(pair):
    _folder, out, _stdout = pair
    table = read(out / "comparison.csv").set_index(["moment", "group", "statistic", "tier"])
    consult = table.loc[("consult_time", "all", "mean", "")]
    assert consult.difference == pytest.approx(0.5) and consult.significant and consult.verdict == "too small to matter"
    p90 = table.loc[("to_triage", "kind=common", "p90", "")]
    assert p90.difference == pytest.approx(-10) and p90.verdict == "improved" and p90.counts
    rare = table.loc[("to_triage", "kind=rare", "mean", "")]
    assert rare.small_group and rare.patients == DAYS - WARM_DAYS and rare.verdict == "too few patients" and not rare.counts
    assert table.loc[("to_triage", "kind=common", "mean", "")].patients == MEASURED


def test_a_threshold_set_on_the_command_line_or_in_the_scenario_makes_a_small_change_count(pair):
    folder, _out, _stdout = pair
    done = cli("compare", "base.yaml", "change.yaml", "--jobs", 1, "--threshold-wait", "0.25min", "--out", "low", cwd=folder)
    assert done.returncode == 0, done.stderr
    card = read(folder / "low" / "scorecard.csv")
    flip = card[(card.moment == "consult_time") & (card.tier == "mean 20.25min")]
    assert list(zip(flip.before, flip.after, flip.direction)) == [("met", "missed", "worse")]
    assert flip.difference.iloc[0] == pytest.approx(0.5)
    assert "at least 0.25 min or 1 percentage point" in done.stdout
    base = pf.load_scenario(folder / "base.yaml").with_changes({"compare.threshold_wait": "0.25min"})
    cmp = pf.compare({"base": base, "change": pf.load_scenario(folder / "change.yaml")}, replications=2, seed=7)
    assert cmp.threshold == Threshold(0.25, 0.01)
    assert "consult_time" in set(cmp.scorecard().moment) and any("compare: threshold differs" in w for w in cmp.warnings)


def test_costs_show_staff_apart_from_places(pair):
    _folder, out, _stdout = pair
    costs = read(out / "costs.csv").set_index("scenario")
    base, change = costs.loc["Hand-made base"], costs.loc["Hand-made change"]
    assert base.staff_cost_per_week == pytest.approx(168 * (30 + 5 * 90))
    assert base.places_cost_per_week == pytest.approx(168 * 200 * 4)
    assert change.staff_cost_per_week - base.staff_cost_per_week == pytest.approx(8 * 7 * 30)  # the nurse 08:00-16:00
    assert change.places_cost_per_week - base.places_cost_per_week == pytest.approx(168 * 10 * 4)  # ten beds
    assert change.cost_difference == pytest.approx(8 * 7 * 30 + 168 * 10 * 4)
    assert (base.journey, change.journey, change.journey_difference) == pytest.approx((80 / 125, 1.0, 1 - 80 / 125))


def test_a_roster_change_is_shown_hour_by_hour(pair):
    _folder, out, _stdout = pair
    hours = read(out / "by_hour.csv")
    assert list(hours.resource.unique()) == ["nurse"] and list(hours.hour) == list(range(24))
    day = hours.hour.between(8, 15)
    assert (hours.staff - hours.baseline_staff).tolist() == [1.0 if d else 0.0 for d in day]
    # waiting patient-minutes in the hour over 60: the burst's 10 + 20 (and at 09:00 the rare patient's 25)
    expected_base = np.where(day, 30 / 60, 0.0) + np.where(hours.hour == 9, 25 / 60, 0.0)
    expected_change = np.where(day, 10 / 60, 0.0) + np.where(hours.hour == 9, 5 / 60, 0.0)
    np.testing.assert_allclose(hours.baseline_waiting, expected_base, rtol=1e-5, atol=1e-6)  # CSV: six significant digits
    np.testing.assert_allclose(hours.difference, expected_change - expected_base, rtol=1e-5, atol=1e-6)  # CSV: six significant digits


def test_each_comparison_has_its_own_folder_and_bad_thresholds_exit_2(pair):
    folder, out, stdout = pair
    done = cli("compare", "base.yaml", "other.yaml", "--jobs", 1, "-r", 2, cwd=folder)
    assert done.returncode == 0, done.stderr
    assert (folder / "reports" / "compare-base-other" / "comparison.html").is_file()
    assert (out / "comparison.html").is_file(), "the first comparison's folder is still there"
    assert "Hand-made change: targets: to triage (kind common) · mean 5min missed → met" in stdout.replace("\n", " ")
    for flag, value in (("--threshold-share", "1"), ("--threshold-share", "lots"), ("--threshold-wait", "-2min")):
        bad = cli("compare", "base.yaml", "change.yaml", flag, value, cwd=folder)
        assert bad.returncode == 2 and bad.stderr.startswith(f"{flag}: ") and "Traceback" not in bad.stderr, bad.stderr


def test_the_readme_compare_section_is_valid(tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, flags=re.S) if b.startswith("compare:"))
    sc = pf.load_scenario(write(tmp_path, BASE + block, "base.yaml"))
    assert resolve_threshold(sc) == Threshold(2.0, 0.005)
