"""The numbers a page shows are the numbers the moments measured: in their own unit, for the
moment's own patients, every miss named, ranked by what it costs patients, one verdict
everywhere. Each test pins a defect a new user found on a page."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from helpers import CALLS, scenario
from oracle_report import counted_in_bars, finished_waits, named_steps, step_per_day_and_waiting
import patientflow as pf
from patientflow.report.figures import STATUS_COLOUR, weakest
from patientflow.moments.ranking import misses
from patientflow.moments.verdict import row_verdict, verdict
from patientflow.report.pages import headline_lines, planner_figures, stage_figure

FRONT_DOOR = """
name: Front door
run: {length: 1d, warm_up: 0, replications: 1}
stages: {reception: Reception, treatment: Treatment}
demand:
  walk_ins: {at: [0, 1min], pathway: ed}
  ambulances: {at: [2min], pathway: ed}
resources:
  triage_nurse: {count: 1}
  doctor: {count: 1}
pathways:
  ed:
    - triage: {use: triage_nurse, takes: 30min}
    - treat: {use: doctor, takes: 40min, then: exit discharged}
moments:
  arrival_to_triage: {stage: reception, from: arrived, to: triage.start, for: {stream: walk_ins},
                      critical: true, target: 95% within 15min}
  everyone_to_triage: {stage: reception, from: arrived, to: triage.start}
  triage_to_doctor: {stage: treatment, from: triage.end, to: treat.start}
  with_the_doctor: {stage: treatment, from: treat.start, to: treat.end, target: mean 5min}
"""
# Triage starts at 0, 30 and 60 min: walk-ins wait 0 and 29 min, the ambulance patient 58.
# The doctor sees them at 30-70, 70-110 and 110-150: waits after triage 0, 10 and 20 min.


@pytest.fixture(scope="module")
def front_door(tmp_path_factory):
    sc = scenario(tmp_path_factory.mktemp("front"), FRONT_DOOR)
    return pf.simulate(sc, replications=1, seed=1)


def bars(figure):
    """(label, value, text) of every bar of a figure, panel after panel: the value the bar draws and
    the text written beside it, in the column of values right of its panel."""
    out = []
    for bar in (t for t in figure.data if t.type == "bar"):
        written = {a.y: a.text for a in figure.layout.annotations if a.name == "value" and a.yref == (bar.yaxis or "y")}
        assert list(written) == list(bar.y)
        out += [(y, x, written[y]) for y, x in zip(bar.y, np.asarray(bar.x, dtype=float))]
    return out


def test_a_stage_chart_shows_a_wait_without_a_target_in_minutes_and_keeps_every_row(front_door):
    summary = front_door.summary()
    reception = bars(stage_figure("Reception", summary[summary.stage == "reception"]))
    treatment = bars(stage_figure("Treatment", summary[summary.stage == "treatment"]))
    # the walk-ins' share within 15 min (a %) and everyone's mean wait (minutes): neither dropped
    assert [(v, t) for _, v, t in reception] == [(pytest.approx(50.0), "50.0 %"), (pytest.approx(29.0), "29.0 min")]
    assert [(v, t) for _, v, t in treatment] == [(pytest.approx(10.0), "10.0 min"), (pytest.approx(40.0), "40.0 min")]


def test_hours_beyond_a_threshold_count_only_the_moments_own_patients(front_door):
    row = front_door.summary().set_index("moment").loc["arrival_to_triage"]
    # the second walk-in waited 29 min: 14 beyond 15 (the ambulance patient's 58 is not a walk-in's)
    assert row["beyond_hours_per_day"] == pytest.approx(14 / 60)
    cards = dict(planner_figures(front_door))
    assert cards["hours a day spent waiting beyond 15 min: arrival to triage"] == "0.2 h"


def test_an_open_patient_counts_the_time_it_has_already_waited_beyond(tmp_path):
    sc = scenario(tmp_path, FRONT_DOOR.replace("length: 1d", "length: 45min"))
    row = pf.simulate(sc, replications=1, seed=1).summary().set_index("moment").loc["arrival_to_triage"]
    # at 45 min the second walk-in has been in triage since 30: done, 29 min; nobody open yet
    assert row["beyond_hours_per_day"] == pytest.approx(14 / 60 * 1440 / 45)
    sc = scenario(tmp_path, FRONT_DOOR.replace("length: 1d", "length: 25min"), "short.yaml")
    row = pf.simulate(sc, replications=1, seed=1).summary().set_index("moment").loc["arrival_to_triage"]
    # at 25 min the second walk-in is still waiting, 24 min so far: 9 beyond, and a miss
    assert row["beyond_hours_per_day"] == pytest.approx(9 / 60 * 1440 / 25)
    assert row["n_open"] == 1 and row["missed_per_day"] == pytest.approx(1 * 1440 / 25)


def _summary(rows):
    """A summary table from a few fields per row (the rest as the summary writes them)."""
    defaults = {"stage": "s", "kind": "duration", "group": "all", "critical": True, "unit": "min", "tier": "",
                "tier_kind": "", "mean": np.nan, "mean_ci_low": np.nan, "mean_ci_high": np.nan, "target": np.nan,
                "target_share": np.nan, "within_target": np.nan, "within_target_ci_low": np.nan,
                "within_target_ci_high": np.nan, "excess_per_day": np.nan, "excess_per_day_ci_low": np.nan,
                "excess_per_day_ci_high": np.nan}
    frame = pd.DataFrame([{**defaults, "title": r["moment"].replace("_", " "), **r} for r in rows])
    frame["verdict"] = [row_verdict(r) for _, r in frame.iterrows()]
    return frame


def _within(moment, share, achieved, excess, group="all", critical=True, threshold=15.0):
    return {"moment": moment, "group": group, "critical": critical, "tier": f"{share:.0%} within {threshold:g}min",
            "tier_kind": "within", "target": threshold, "target_share": share, "within_target": achieved,
            "within_target_ci_low": achieved - 0.01, "within_target_ci_high": achieved + 0.01,
            "excess_per_day": excess, "excess_per_day_ci_low": excess - 0.5, "excess_per_day_ci_high": excess + 0.5}


BOARD = [
    *[_within("response", 0.9, 0.7, 5.0 + k, f"category={k}") for k in range(1, 5)],
    _within("handover", 0.65, 0.4, 60.0), _within("handover", 0.95, 0.8, 30.0),
    _within("time_to_clinician", 0.95, 0.3, 1.0, "acuity=1", threshold=0),
    _within("four_hours", 0.95, 0.6, 90.0, threshold=240),
    _within("decision_to_admission", 1.0, 0.8, 15.0, threshold=240),
    _within("arrival_to_triage", 0.95, 0.953, -1.0),            # met by its estimate, the interval straddles
    _within("time_to_answer", 0.9, 0.5, 200.0, critical=False),  # not critical: after every critical miss
    {"moment": "journey", "kind": "journey", "unit": "share", "tier": "at least 80%", "tier_kind": "at_least",
     "target": 0.8, "target_share": 0.8, "mean": 0.6, "mean_ci_low": 0.58, "mean_ci_high": 0.62,
     "within_target": 0.6, "within_target_ci_low": 0.58, "within_target_ci_high": 0.62},
]


def test_the_headline_counts_targets_and_names_every_miss_by_moment():
    lines = headline_lines(_summary(BOARD))
    # 10 targets of critical moments (the journey outcome is not one of them): 9 missed, 1 close
    assert lines[0] == "9 of 10 critical targets missed, 1 too close to call (the interval straddles the target)."
    missed = [line for line in lines if line.startswith("Missed:")]
    assert missed[:5] == [
        "Missed: four hours: 95% within 240min",
        "Missed: handover: 65% within 15min, 95% within 15min",
        "Missed: decision to admission: 100% within 240min",
        "Missed: response: category 4 — 90% within 15min; category 3 — 90% within 15min; "
        "category 2 — 90% within 15min; category 1 — 90% within 15min",
        "Missed: time to clinician: acuity 1 — 95% within 0min",
    ]
    assert "Too close to call: arrival to triage: 95% within 15min" in lines
    assert "Other targets: 1 of 1 missed." in lines and "Missed: time to answer: 90% within 15min" in lines
    assert lines[-1].startswith("Journeys meeting every critical moment that applied: 60.0 % (58.0 – 62.0)")


def test_misses_rank_by_patients_a_day_beyond_the_target_critical_first():
    ranked = [(m.moment, m.group) for m in misses(_summary(BOARD))]
    assert ranked[:3] == [("four_hours", "all"), ("handover", "all"), ("decision_to_admission", "all")]
    # acuity 1 ("95 % within 0 min", about 1 patient a day beyond) after the groups of response
    assert ranked.index(("time_to_clinician", "acuity=1")) > ranked.index(("response", "category=1"))
    assert ranked[-1] == ("time_to_answer", "all")  # the costliest miss, but not critical
    figure = weakest(type("R", (), {"summary": lambda self: _summary(BOARD)})())
    values = list(np.asarray(figure.data[0].x, dtype=float))
    assert values[:3] == [90.0, 60.0, 15.0]  # handover by its costliest tier


def test_one_verdict_for_a_mean_whose_interval_lies_below_its_target():
    # Cat 2 mean 17.1 (16.0-18.3) against "mean 18min" straddles: close, everywhere
    assert verdict(17.1, 16.0, 18.3, 18.0, "lower") == "close"
    assert verdict(17.1, 16.0, 17.9, 18.0, "lower") == "met"
    assert verdict(19.1, 18.2, 20.0, 18.0, "lower") == "missed"
    assert verdict(0.96, np.nan, np.nan, 0.95, "higher") == "met"  # one replication: the estimate alone


def test_the_stage_charts_the_table_and_the_terminal_give_the_same_verdict(front_door, tmp_path):
    summary = front_door.summary()
    for stage in ("reception", "treatment"):
        rows = summary[summary.stage == stage]
        figure = stage_figure(stage, rows)
        colours = [c for t in figure.data if t.type == "bar" for c in t.marker.color]
        assert colours == [STATUS_COLOUR[v] for v in rows["verdict"]]
    path = tmp_path / "front.yaml"
    path.write_text(FRONT_DOOR)
    result = CliRunner().invoke(pf_cli(), ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "missed" in result.output and " met " not in result.output.replace("│", " ").split("verdict")[0]
    written = pd.read_csv(tmp_path / "out" / "summary.csv", keep_default_na=False)
    assert list(written["verdict"]) == list(summary["verdict"])
    page = (tmp_path / "out" / "report.html").read_text()
    assert "<span class='missed'>missed</span>" in page and "n / rep" not in page


def pf_cli():
    from patientflow.cli.main import app
    return app


BRANCHING = """
name: Branching
run: {length: 2d, warm_up: 0, replications: 1}
demand:
  walk_ins: {per_hour: 6, pathway: ed}
resources:
  nurse: {count: 1}
  doctor: {count: 1}
pathways:
  ed:
    - triage: {use: nurse, takes: exponential(mean 8min)}
    - route:
        branch:
          home: {p: 0.3, then: exit discharged}
          doctor: {p: 0.7}
    - treat: {use: doctor, takes: exponential(mean 9min), then: exit admitted}
"""


def test_the_pathway_figure_counts_each_patient_once_along_each_link(tmp_path):
    """The flow diagram's links, counted again patient by patient from the patients table: each
    step that does something queued for, in order, to the next, and the last to the patient's
    outcome; the branch that only routes is folded in."""
    res = pf.simulate(scenario(tmp_path, BRANCHING), replications=1, seed=3)
    links = next(t for t in res.plot.pathway().data if t.name == "links")
    shown = {(a, b): v for a, b, v, _share in links.customdata}
    counted: dict[tuple[str, str], int] = {}
    for _, p in res.patients.iterrows():
        steps = sorted((p[f"{s}.queued"], k, s) for k, s in enumerate(("triage", "treat")) if p[f"{s}.queued"] == p[f"{s}.queued"])
        path = [s for _t, _k, s in steps]
        end = {"discharged": "discharged", "admitted": "admitted"}.get(str(p["outcome"]), "still inside")
        for link in zip(path, path[1:] + [end]):
            counted[link] = counted.get(link, 0) + 1
    assert shown == counted
    assert counted[("triage", "discharged")] > 0 and counted[("triage", "treat")] > 0
    assert sum(v for (_a, b), v in counted.items() if b in ("discharged", "admitted", "still inside")) == len(res.patients)


ROW_TEXT = re.compile(r"<b>(?P<step>[^<]+)</b>(?: \((?P<uses>[^)]*)\))? — (?P<per_day>[\d,.]+) a day"
                      r"(?:, (?P<waiting>[\d,.]+) waiting on average)?$")


def _same(shown: str, value: float) -> bool:
    decimals = len(shown.partition(".")[2])
    return abs(float(shown.replace(",", "")) - value) <= 0.5 * 10 ** -decimals + 1e-9


def test_the_pathway_shows_each_named_step_with_its_patients_a_day_and_the_number_waiting(tmp_path):
    """Recomputed from the patients table: patients a day queueing for each step after the warm-up,
    and the mean number waiting (each wait until served or until the patient left, over the
    minutes measured); the steps that only mark or route are not shown."""
    sc = scenario(tmp_path, CALLS)
    res = pf.simulate(sc, replications=2, seed=7)
    spec, patients = sc.spec.model_dump(), res.patients_for_figures()
    days = (spec["run"]["length"] - spec["run"]["warm_up"]) / 1440 * patients["replication"].nunique()
    texts = [a.text for a in res.plot.pathway().layout.annotations if a.text.startswith("<b>") and " a day" in a.text]
    rows = {m["step"]: m for m in (ROW_TEXT.match(t) for t in texts) if m}
    assert set(named_steps(spec)) == {"answer", "consult"} <= set(rows), texts
    assert "route" not in rows
    for step in named_steps(spec):
        per_day, waiting = step_per_day_and_waiting(patients, spec, step, days)
        assert _same(rows[step]["per_day"], per_day), (step, rows[step]["per_day"], per_day)
        assert rows[step]["waiting"] is not None and _same(rows[step]["waiting"], waiting), (step, waiting)
    advised = int(((patients["outcome"].astype(str) == "advised") & (patients["left"] >= spec["run"]["warm_up"])).sum())
    assert _same(rows["advised"]["per_day"], advised / days)


def test_a_moments_histogram_counts_its_own_patients_in_bars_from_zero_one_panel_a_group(tmp_path):
    """Each group's panel, recomputed from the patients table: bars of one width from 0, the last
    one open and beginning past the 95th centile of the group's waits and 1.2 times its target's
    time (by less than a bar), and in each bar the waits counted one by one, as a count and as a
    percentage of the group's waits; the group's target drawn at its time."""
    sc = scenario(tmp_path, CALLS)
    res = pf.simulate(sc, replications=2, seed=7)
    spec, patients = sc.spec.model_dump(), res.patients_for_figures()
    fig = res.plot.moment("to_clinician")
    titles = [a.text for a in fig.layout.annotations]
    bars = [t for t in fig.data if t.type == "bar"]
    assert titles == ["urgency 1", "urgency 2"] and len(bars) == 2, "one panel per group, never overlaid"
    for title, trace in zip(titles, bars):
        waits = finished_waits(patients, spec, "to_clinician", title.split()[-1])
        x = np.asarray(trace.x, dtype=float)
        width = x[1] - x[0]
        assert np.allclose(x, width * (np.arange(len(x)) + 0.5)), "bars of one width from 0"
        reach = max(np.quantile(waits, 0.95), 1.2 * 60)
        assert (len(x) - 2) * width <= reach < (len(x) - 1) * width
        expected = counted_in_bars(waits, width, len(x))
        assert [int(c) for c in np.asarray(trace.customdata)[:, 2]] == expected
        assert np.allclose(np.asarray(trace.y, dtype=float), 100 * np.array(expected) / len(waits))
        lines = [t for t in fig.data if t.type == "scatter" and t.xaxis == trace.xaxis]
        assert [list(t.x) for t in lines] == [[60.0, 60.0]] and lines[0].name == f"{title}: 90% within 60min"
