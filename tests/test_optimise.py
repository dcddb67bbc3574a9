"""The staffing optimiser against exact answers (issue: staffing optimiser).

On M/M/c queues the smallest number of servers for which P(wait <= t) meets a target is known
exactly from Erlang C: P(W <= t) = 1 - C(c, a) exp(-(c mu - lam) t). The optimiser must find that
c from below (adding staff) and from above (removing it). In a tandem of two M/M/c stations the
second also sees Poisson arrivals (Burke's theorem), so the cheapest pair is known too. The cases
are chosen so that the target lies well between the exact values at c* - 1 and c*: the test
checks the search, not luck at a knife edge. The seed of each case is fixed once.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import patientflow as pf
from patientflow.cli.main import app
from patientflow.moments import STATS
from patientflow.optimiser.confirmation import confirmation_numbers
from patientflow.optimiser.search import optimise
from patientflow.experiment.results import run_numbers

from helpers import write

ROOT = Path(__file__).resolve().parents[1]
from queueing_theory import erlang_c

SEED = 4242  # fixed once for every case in this file


def tail_within(lam: float, mean_service: float, c: int, t: float) -> float:
    """Exact P(W <= t) in M/M/c (0 when unstable)."""
    mu = 1 / mean_service
    a = lam / mu
    if a >= c:
        return 0.0
    return 1 - erlang_c(c, a) * math.exp(-(c * mu - lam) * t)


def smallest_c(lam: float, mean_service: float, t: float, target: float) -> int:
    return next(c for c in range(1, 200) if tail_within(lam, mean_service, c, t) >= target)


def mmc_text(per_minute: float, mean_service: float, servers: int, t: float, target: float, minutes: float) -> str:
    return f"""
        name: M/M/{servers}
        run: {{length: {minutes}min, warm_up: {minutes / 10}min, seed: {SEED}}}
        demand:
          patients: {{per_hour: {per_minute * 60}, pathway: care}}
        resources:
          server: {{count: {servers}, cost_per_hour: 30}}
        pathways:
          care:
            - serve: {{use: server, takes: exponential(mean {mean_service}min)}}
        moments:
          wait: {{stage: care, from: serve.queued, to: serve.start, critical: true, target: {target * 100:g}% within {t}min}}
        """


# (arrivals per minute, mean service, t, target share, starting servers)
CASES = [
    (1.0, 4.0, 2.0, 0.80, 3),  # c* = 6: P = 0.664 at 5, 0.895 at 6 — start below (unstable)
    (2.0, 3.0, 1.0, 0.87, 12),  # c* = 9: 0.817 at 8, 0.928 at 9 — start above
    (0.5, 10.0, 5.0, 0.80, 7),  # c* = 7: 0.644 at 6, 0.881 at 7 — start at the answer
    (1.0, 12.0, 3.0, 0.885, 14),  # c* = 16: 0.849 at 15, 0.925 at 16 — start below (stable)
]


@pytest.mark.slow
@pytest.mark.parametrize("lam,mean_service,t,target,start", CASES)
def test_finds_the_smallest_c_meeting_the_erlang_c_tail(tmp_path, lam, mean_service, t, target, start):
    best = smallest_c(lam, mean_service, t, target)
    below, at = tail_within(lam, mean_service, best - 1, t), tail_within(lam, mean_service, best, t)
    assert below < target - 0.03 and at > target + 0.025, "the case must not sit on a knife edge"
    sc = pf.load_scenario(write(tmp_path, mmc_text(lam, mean_service, start, t, target, 3000 / lam)))  # ~3000 patients
    result = optimise(sc, vary=["server=-6..+6"], jobs=1)
    assert result.status == "met", result.message
    assert result.winner_scenario.spec.resources["server"].count == best, result.candidates().to_string()
    # the confirmation run agrees with the exact value: within its 99 % interval
    values = result.comparison.results["optimised"].per_replication[:, 0, STATS.index("within_target")]
    mean, half = values.mean(), 2.861 * values.std(ddof=1) / math.sqrt(len(values))
    assert abs(mean - at) <= half, (mean, half, at)


def tandem_text(a: int, b: int) -> str:
    return f"""
        name: Two stations in tandem
        run: {{length: 4000min, warm_up: 400min, seed: {SEED}}}
        demand:
          patients: {{per_hour: 60, pathway: care}}
        resources:
          nurse:  {{count: {a}, cost_per_hour: 30}}
          doctor: {{count: {b}, cost_per_hour: 20}}
        pathways:
          care:
            - first:  {{use: nurse, takes: exponential(mean 4min)}}
            - second: {{use: doctor, takes: exponential(mean 3min)}}
        moments:
          wait_first:  {{stage: care, from: first.queued, to: first.start, critical: true, target: 80% within 2min}}
          wait_second: {{stage: care, from: second.queued, to: second.start, critical: true, target: 85% within 2min}}
        """


@pytest.fixture(scope="module")
def tandem_search(tmp_path_factory):
    """The tandem's search from too many nurses and too few doctors (shared by the tests below)."""
    sc = pf.load_scenario(write(tmp_path_factory.mktemp("tandem"), tandem_text(8, 3)))
    return optimise(sc, vary=["nurse=-4..+3", "doctor=-2..+4"], jobs=2)


@pytest.mark.slow
def test_tandem_finds_the_known_cheapest_combination(tandem_search):
    best = (smallest_c(1.0, 4.0, 2.0, 0.80), smallest_c(1.0, 3.0, 2.0, 0.85))
    assert best == (6, 5)
    result = tandem_search
    resources = result.winner_scenario.spec.resources
    assert (resources["nurse"].count, resources["doctor"].count) == best, result.candidates().to_string()
    assert result.status == "met"
    assert result.space.cost(result.winner) == pytest.approx((6 * 30 + 5 * 20) * 168)
    assert result.saving > 0  # cheaper than the input, whose doctors could not keep up anyway


def test_confirmation_replications_are_disjoint_from_the_search(tmp_path):
    sc = pf.load_scenario(write(tmp_path, mmc_text(1.0, 4.0, 4, 2.0, 0.8, 2000)))
    result = optimise(sc, vary=["server=-2..+4"], jobs=1)
    search, confirm = set(result.search_replications), set(result.confirmation_replications)
    assert search and confirm and not search & confirm
    assert confirm == set(confirmation_numbers(result.settings))
    # every candidate the search judged used only search replications
    for ev in result.evaluations:
        assert set(ev.stats) - confirm <= search
    # the confirmation's numbers are those of an independent run of the same replication numbers,
    # and differ from every search replication's (different random streams)
    again = run_numbers(result.winner_scenario, sorted(confirm), result.settings.seed)
    confirmed = result.comparison.results["optimised"].per_replication
    np.testing.assert_array_equal(again.per_replication, confirmed)
    searched = result.evaluations[[e.point for e in result.evaluations].index(result.winner)].array(sorted(search))
    assert not any(np.array_equal(s, c) for s in searched for c in confirmed)


def test_a_budget_buys_the_best_journey_it_can(tmp_path):
    sc = pf.load_scenario(write(tmp_path, mmc_text(1.0, 4.0, 5, 2.0, 0.8, 2000)))
    per_server = 30 * 168
    result = optimise(sc, vary=["server=-3..+5"], budget=7.5 * per_server, jobs=1)
    assert result.status == "budget"
    assert result.winner_scenario.spec.resources["server"].count == 7  # 8 would cost too much
    assert result.space.cost(result.winner) <= 7.5 * per_server
    over = optimise(sc, vary=["server=-3..+5"], budget=4.5 * per_server, jobs=1)
    assert over.winner_scenario.spec.resources["server"].count == 4  # cut to fit, however bad


def test_a_constraint_out_of_reach_is_shown_with_its_numbers(tmp_path):
    text = tandem_text(6, 5).replace("85% within 2min", "99% within 0.01min")
    sc = pf.load_scenario(write(tmp_path, text))
    result = optimise(sc, vary=["nurse=-1..+1", "doctor=-1..+1"], jobs=1)
    assert result.status == "unattainable"
    assert [v["constraint"] for v in result.unattainable] == ["wait_second: 99% within 0.01min"]
    assert result.unattainable[0]["high"] < 0.99  # shown, not merely not shown
    assert result.winner_scenario.spec.resources["nurse"].count == 6  # the attainable one still holds
    assert "cannot be met" in result.message


def test_cli_writes_a_variant_that_extends_the_input_and_resumes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a planner's project folder: the variant extends ../queue.yaml inside it
    path = write(tmp_path, mmc_text(1.0, 4.0, 4, 2.0, 0.8, 2000), "queue.yaml")
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(app, ["optimise", str(path), "--vary", "server=-2..+4", "--out", str(out), "--jobs", "1"])
    assert first.exit_code == 0, first.output
    assert "Cheapest rosters found" in first.output
    variant = out / "queue-optimised.yaml"
    data = yaml.safe_load(variant.read_text())
    assert data["extends"] == "../queue.yaml" and data["resources"] == {"server": {"count": 6}}
    assert pf.load_scenario(variant).spec.resources["server"].count == 6
    meta = json.loads((out / "optimisation.json").read_text())
    assert meta["status"] == "met" and meta["replications_run"] > 0
    assert not set(meta["search_replications"]) & set(meta["confirmation_replications"])
    html = (out / "optimisation.html").read_text()
    assert "server" in html and "<script" in html and "http://" not in html.split("<script")[0]
    candidates = (out / "candidates.csv").read_text().splitlines()
    assert len(candidates) - 1 == meta["candidates_evaluated"]
    again = runner.invoke(app, ["optimise", str(path), "--vary", "server=-2..+4", "--out", str(out), "--jobs", "1"])
    assert again.exit_code == 0, again.output
    resumed = json.loads((out / "optimisation.json").read_text())
    assert resumed["replications_run"] == 0  # every replication came back from the folder
    assert resumed["changes"] == meta["changes"]


def test_bad_optimiser_input_is_located(tmp_path):
    runner = CliRunner()
    path = write(tmp_path, mmc_text(1.0, 4.0, 6, 2.0, 0.8, 500), "queue.yaml")
    bad = runner.invoke(app, ["optimise", str(path), "--vary", "sever"])
    assert bad.exit_code == 2 and "--vary: no resource named 'sever'; did you mean 'server'?" in bad.output
    bad = runner.invoke(app, ["optimise", str(path), "--vary", "server=3..1"])
    assert bad.exit_code == 2 and "empty" in bad.output
    bad = runner.invoke(app, ["optimise", str(path), "--constraint", "wiat"])
    assert bad.exit_code == 2 and "did you mean 'wait'" in bad.output
    text = path.read_text() + "optimise:\n  vary: {sever: -1..+1}\n  constraints: [wiat]\n"
    bad_file = write(tmp_path, text, "bad.yaml")
    result = runner.invoke(app, ["validate", str(bad_file)])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert any(line.startswith(f"{bad_file}:") and "optimise.vary.sever: no resource named 'sever'" in line for line in lines)
    assert any("optimise.constraints" in line and "no moment named 'wiat'" in line for line in lines)


def test_the_search_space_of_rosters(tmp_path):
    from patientflow.optimiser.space import SearchSpace, block_hours, weekly_cost
    sc = pf.load_scenario(write(tmp_path, """
        name: rostered
        run: {length: 7d}
        demand:
          patients: {per_hour: 2, pathway: care}
        resources:
          nurse: {roster: {"08:00-20:00": 2, "mon-fri 20:00-08:00": 1}, cost_per_hour: 10}
          bed: {count: 4, cost_per_hour: 1}
        pathways:
          care:
            - serve: {use: [nurse, bed], takes: 20min}
        """))
    assert block_hours("mon-fri 20:00-08:00") == 60 and block_hours("00:00-24:00") == 168
    space = SearchSpace(sc, {"nurse": (-2, 3), "bed": (-5, 1)})
    assert [d.label for d in space.dims] == ["nurse 08:00-20:00", "nurse mon-fri 20:00-08:00", "bed"]
    assert space.lows == (-2, -1, -3) and space.highs == (3, 3, 1)  # never below 0 staff or 1 bed
    assert space.base_cost == weekly_cost(sc.model) == 10 * (2 * 84 + 60) + 4 * 168
    x = (1, -1, 1)
    assert space.cost(x) == pytest.approx(weekly_cost(space.candidate(x).model))
    assert not space.contains((-2, -1, 0))  # nobody would ever be on duty
    text = space.variant_text(x, tmp_path / "v.yaml", "variant", ["a note"])
    variant = pf.load_scenario(write(tmp_path, text, "v.yaml"))
    assert weekly_cost(variant.model) == pytest.approx(space.cost(x))


def test_other_targets_the_input_meets_are_kept(tmp_path):
    text = tandem_text(6, 7).replace("wait_second: {stage: care, from: second.queued, to: second.start, critical: true,",
                                     "wait_second: {stage: care, from: second.queued, to: second.start,")
    sc = pf.load_scenario(write(tmp_path, text))
    assert [m.name for m in sc.model.moments if m.critical] == ["wait_first"]
    kept = optimise(sc, vary=["doctor=-3..+1"], jobs=2)
    assert [c.label for c in kept.kept] == ["wait_second: 85% within 2min"]
    assert kept.winner_scenario.spec.resources["doctor"].count == smallest_c(1.0, 3.0, 2.0, 0.85)  # 5
    assert "keep the 1 other target" in kept.message
    broken = optimise(sc, vary=["doctor=-3..+1"], keep_met=False, jobs=2)
    assert broken.kept == [] and broken.winner_scenario.spec.resources["doctor"].count == 4  # as low as allowed


def test_a_winner_that_fails_confirmation_gives_way_to_the_next_cheapest(tmp_path):
    from patientflow.optimiser.confirmation import confirm as _confirm
    from patientflow.optimiser.evaluator import Evaluator
    from patientflow.optimiser.search import Search
    from patientflow.optimiser.settings import settings_for
    from patientflow.optimiser.space import SearchSpace
    sc = pf.load_scenario(write(tmp_path, mmc_text(1.0, 4.0, 6, 2.0, 0.8, 500)))
    settings = settings_for(sc, vary=["server=-1..+2"])
    space = SearchSpace(sc, settings.vary)
    search = Search(sc, settings, Evaluator(space, settings.seed))
    rows = len(search.ev.space.scenario.model.moments) + 1
    numbers = confirmation_numbers(settings)
    rng = np.random.default_rng(0)
    for x, share in (((0,), 0.70), ((1,), 0.90), ((2,), 0.97)):  # the cheapest was lucky in the search
        ev = search.ev.record(x, "remove")
        ev.verdict = "meets"
        for r in numbers:
            stats = np.full((rows, len(STATS)), np.nan)
            stats[0, STATS.index("within_target")] = share + rng.normal(0, 0.01)
            ev.stats[r] = stats
    status, message, verdicts, chosen = _confirm(search, (0,))
    assert chosen == (1,) and status == "met"
    assert [x for x, _ in search.confirm_looks] == [(0,), (1,)]
    assert "1 cheaper candidate(s) of the search were not confirmed" in message and "wait: 80% within 2.0min" in message


def test_a_constraint_no_varied_resource_can_meet_is_named_with_what_binds(tmp_path):
    # four doctors miss "85 % within 2 min" (five are needed); varying nurses cannot help it
    path = write(tmp_path, tandem_text(6, 4))
    done = subprocess.run([sys.executable, "-m", "patientflow.cli", "optimise", str(path), "--vary", "nurse=-1..+1",
                           "--out", str(tmp_path / "out"), "--jobs", "1"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stdout.splitlines() if line.startswith("What binds: ")]
    assert said == ["What binds: wait_second: 85% within 2min cannot be met by varying nurses: "
                    "100 % of the time is queueing for doctors. Try --vary doctor."], done.stdout
    meta = json.loads((tmp_path / "out" / "optimisation.json").read_text())
    (lost,) = meta["unattainable"]
    assert lost["binds"]["cause"] == "doctor" and lost["binds"]["vary"] == "doctor" and lost["binds"]["share"] == 1.0
    assert "What binds" in (tmp_path / "out" / "optimisation.html").read_text()
    # nothing varied can help: the search stops at the most generous corner's first replications,
    # chooses nothing, confirms nothing, and writes no variant (an empty one would mislead)
    assert meta["status"] == "unattainable" and "not varied" in meta["stopped"]
    assert meta["candidates_evaluated"] == 1 and meta["replications_run"] == 5 and meta["confirmation"] == []
    assert meta["confirmation_replications"] == [] and meta["variant"] is None
    assert not (tmp_path / "out" / "scenario-optimised.yaml").exists()
    assert not (tmp_path / "out" / "comparison.csv").exists() and (tmp_path / "out" / "candidates.csv").exists()
    assert "no rosters chosen" in done.stdout


def test_a_constraint_bound_by_a_place_without_a_cost_is_left_out_and_the_rest_searched_for(tmp_path):
    # the doctors' wait is for rooms, which have no cost: no search can vary them, so the nurses'
    # constraint is still searched for (rather than the search stopping at the corner)
    text = tandem_text(8, 9).replace("doctor: {count: 9, cost_per_hour: 20}",
                                     "doctor: {count: 9, cost_per_hour: 20}\n          room: {count: 4}") \
        .replace("- second: {use: doctor,", "- second: {use: [doctor, room],")
    opt = optimise(pf.load_scenario(write(tmp_path, text)), vary=["nurse=-3..+1"], jobs=1)
    (lost,) = opt.unattainable
    assert lost["constraint"] == "wait_second: 85% within 2min" and lost["binds"]["cause"] == "room"
    assert "have no cost per hour" in lost["binds"]["text"] and not opt.stopped
    assert opt.comparison is not None and opt.status == "unattainable"
    assert opt.winner_scenario.spec.resources["nurse"].count == 6  # the cheapest meeting wait_first (Erlang C)


PLACES = """
    name: beds and nurses
    run: {length: 2d, warm_up: 6h, seed: 3}
    demand:
      patients: {per_hour: 4, pathway: stay}
    resources:
      nurse: {count: 3, cost_per_hour: 30}
      bed: {count: 200, cost_per_hour: 15}
      chair: {count: 12, cost_per_hour: 2}
      trolley: {count: 40, cost_per_hour: 1}
    pathways:
      stay:
        - admit: {use: nurse, hold: [bed, chair], takes: 10min}
        - rest: {use: trolley, takes: 20min, release: [chair]}
        - ward: {takes: 2d, release: [bed]}
    moments:
      to_bed: {stage: stay, from: admit.queued, to: admit.start, target: 90% within 30min}
    """


def test_a_place_varies_in_steps_of_its_size_and_staff_one_by_one(tmp_path):
    from patientflow.optimiser.settings import settings_for
    from patientflow.optimiser.space import SearchSpace, default_vary
    sc = pf.load_scenario(write(tmp_path, PLACES))
    space = SearchSpace(sc, {"nurse": (-2, 3), "bed": (-2, 3), "chair": (-2, 3), "trolley": (-2, 3)})
    dims = {d.resource: d for d in space.dims}
    # beds and chairs are held across steps (places); trolleys and nurses serve a step (staff)
    assert {name: d.step for name, d in dims.items()} == {"nurse": 1, "bed": 5, "chair": 1, "trolley": 1}
    assert dims["bed"].unit_cost == 15 * 168 * 5  # one change: five beds open all week
    x = (1, 2, -1, 0)
    assert space.changes(x) == {"resources.nurse.count": 4, "resources.bed.count": 210, "resources.chair.count": 11}
    assert space.describe(x) == "nurse 3→4, bed 200→210, chair 12→11"
    assert space.cost(x) == pytest.approx((4 * 30 + 210 * 15 + 11 * 2 + 40 * 1) * 168)
    assert "bed 190..215 in steps of 5 (was 200)" in space.ranges_text()
    text = space.variant_text(x, tmp_path / "v.yaml", "variant", ["a note"])
    assert "    count: 210    # was 200 (+10)" in text
    variant = pf.load_scenario(write(tmp_path, text, "v.yaml"))
    assert variant.spec.resources["bed"].count == 210
    # the scenario can say what a resource is: a trolley kept as a place, beds counted as staff
    said = PLACES.replace("trolley: {count: 40, cost_per_hour: 1}", "trolley: {count: 40, cost_per_hour: 1, kind: place}") \
                 .replace("bed: {count: 200, cost_per_hour: 15}", "bed: {count: 200, cost_per_hour: 15, kind: staff}")
    space = SearchSpace(pf.load_scenario(write(tmp_path, said, "said.yaml")), {"bed": (-2, 3), "trolley": (-2, 3)})
    assert [(d.resource, d.step) for d in space.dims] == [("bed", 1), ("trolley", 1)]  # 40 × 2.5 % = 1
    # the README's example: cubicles, which the baseline gives no cost, varied once they have one
    example = pf.load_scenario(ROOT / "examples" / "optimise" / "cubicles.yaml")
    space = SearchSpace(example, settings_for(example).vary)
    assert [(d.resource, d.base, d.step) for d in space.dims] == [("cubicle", 40, 1), ("ward_bed", 406, 10)]
    assert "cubicle" not in default_vary(pf.load_scenario(ROOT / "scenarios" / "baseline.yaml"))
    bad = PLACES.replace("nurse: {count: 3, cost_per_hour: 30}", 'nurse: {roster: {"08:00-20:00": 3}, kind: place}')
    with pytest.raises(pf.ScenarioError, match="kind: place needs a count"):
        pf.load_scenario(write(tmp_path, bad, "bad.yaml"))


def test_candidates_whose_replications_are_overloaded_are_warned_of_everywhere(tmp_path):
    # two nurses for 60 patients an hour of 4 minutes each: the queue grows without end at the
    # input, and its replications stop at 150 patients inside; six nurses keep up (two workers:
    # the search's folder store stays in the main process)
    text = tandem_text(2, 6).replace("seed: ", "max_inside: 150, seed: ")
    path = write(tmp_path, text)
    done = subprocess.run([sys.executable, "-m", "patientflow.cli", "optimise", str(path), "--vary", "nurse=0..+4",
                           "--constraint", "wait_first", "--out", str(tmp_path / "out"), "--jobs", "2"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    meta = json.loads((tmp_path / "out" / "optimisation.json").read_text())
    first = meta["overloaded"][0]
    assert first["changes"] == "no change" and first["replications"] == list(range(first["of"]))
    assert first["longest_queue"] and first["longest_queue"][0].startswith("nurse (")
    warning = f"warning: candidate no change: Replications {', '.join(map(str, first['replications']))} stopped early"
    assert warning in done.stderr
    assert "stopped early: more patients inside than the bound" in (tmp_path / "out" / "optimisation.html").read_text()
    # a candidate that keeps up is not warned of
    frame = pf.optimise(pf.load_scenario(path), vary=["nurse=0..+4"], constraints=["wait_first"]).candidates()
    keeping_up = set(frame.changes[frame.nurse >= 5])
    assert keeping_up and not keeping_up & {c["changes"] for c in meta["overloaded"]}


@pytest.mark.slow
def test_the_search_path_figure_shows_every_candidate_and_the_steps_in_readable_units(tandem_search):
    from patientflow.report.optimisation_page import path_figure
    opt = tandem_search
    frame = opt.candidates()
    base = (8 * 30 + 3 * 20) * 168
    expected = {int(r.candidate) + 1: (r.nurse * 30 + r.doctor * 20) * 168 - base for r in frame.itertuples()}
    fig = path_figure(opt)
    shown = {}
    for trace in fig.data:
        if trace.mode == "markers" and trace.name not in ("input", "most generous", "answer"):
            shown.update(zip(trace.x, trace.y))
    assert shown == pytest.approx(expected)
    (steps,) = [tr for tr in fig.data if tr.name == "steps taken"]
    assert len(steps.x) == len(opt.path) >= 2 and list(steps.x) == sorted(steps.x)
    low, high = fig.layout.yaxis.range
    assert low < min(expected.values()) and high > max(expected.values()) and fig.layout.yaxis.tickformat == "+,.0f"


def test_a_search_that_goes_nowhere_still_draws_a_readable_path(tmp_path):
    from patientflow.report.optimisation_page import path_figure
    opt = optimise(pf.load_scenario(write(tmp_path, tandem_text(6, 4))), vary=["nurse=-1..+1"], jobs=1)
    assert opt.comparison is None and len(opt.evaluations) == 1
    fig = path_figure(opt)
    low, high = fig.layout.yaxis.range
    corner = (7 * 30 + 4 * 20) * 168 - (6 * 30 + 4 * 20) * 168  # one more nurse
    assert low < 0 < corner < high and high - low >= 200  # not a range of a few pounds around one point
    assert [tr.name for tr in fig.data if tr.name == "most generous"] == ["most generous"]
    from patientflow.report.optimisation_page import candidates_figure
    low, high = candidates_figure(opt).layout.xaxis.range
    cost = (7 * 30 + 4 * 20) * 168  # the one candidate: the most generous corner
    assert low < cost < high and high - low >= 0.039 * (6 * 30 + 4 * 20) * 168  # ticks of pounds, not of pennies


def test_the_suggested_optimise_command_varies_only_resources_with_a_cost():
    from patientflow.experiment.ready import optimise_command
    baseline = pf.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    command = optimise_command(baseline, ["ward_bed", "cubicle", "ambulance"])
    assert command.startswith("patientflow optimise ") and command.endswith(" --vary ward_bed --vary ambulance")
    assert optimise_command(baseline, ["cubicle"]) == ""  # cubicles cost nothing: the search cannot weigh them


EVENING_TEXT = """
name: evening peak
run: {length: 6d, warm_up: 1d, seed: 4242}
demand:
  patients: {per_day: 240, by_hour: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 4, 4, 4, 4, 4, 4, 4], pathway: care}
resources:
  nurse: {roster: {"00:00-16:00": 3, "16:00-24:00": 6}, cost_per_hour: 30}
pathways:
  care:
    - see: {use: nurse, takes: exponential(mean 15min)}
moments:
  wait: {stage: care, from: see.queued, to: see.start, critical: true, target: 85% within 5min}
"""


def test_hours_a_roster_block_covers_and_the_wait_by_hour_add_up_to_the_split(tmp_path):
    from patientflow.optimiser.binds import wait_by_hour, where_the_wait_goes
    from patientflow.scenario.roster import hours_of_day_covered
    expected = np.zeros(24)
    expected[[22, 23, 0, 1]] = 2 / 7  # sat and sun 22:00 to 02:00 of the next day (sun night wraps to mon)
    assert np.allclose(hours_of_day_covered("sat,sun 22:00-02:00"), expected)
    sc = pf.load_scenario(write(tmp_path, EVENING_TEXT))
    res = pf.simulate(sc, replications=1, seed=SEED)
    by_hour = wait_by_hour(sc.model, res._cause_hours, "wait", "all")
    shares = where_the_wait_goes(sc.model, res._causes, "wait", "all")
    assert set(by_hour) == set(shares) == {"nurse"}
    assert by_hour["nurse"].sum() == pytest.approx(shares["nurse"], rel=1e-9)
    # the wait falls in the evening peak (and as its queue drains after midnight), little by day
    assert by_hour["nurse"][16:].sum() > 0.5 and by_hour["nurse"][4:16].sum() < 0.1


def test_the_first_step_adds_a_nurse_where_the_wait_is_without_screening(tmp_path):
    """The evening block waits most: the search adds there first, judged once, and the
    day block is never screened for it."""
    from patientflow.optimiser.constraints import judge
    sc = pf.load_scenario(write(tmp_path, EVENING_TEXT))
    start = sc.with_changes({"resources.nurse.roster": {"00:00-16:00": 3, "16:00-24:00": 5}})
    opt = optimise(start, vary=["nurse=-1..+3"], seed=SEED)
    cand = opt.candidates()
    first_add = cand[cand["phase"] == "add"].iloc[0]
    assert (first_add["nurse 00:00-16:00"], first_add["nurse 16:00-24:00"]) == (3, 6), cand
    assert opt.path[1] == (0, 1)
    # the start misses on its first replications, as the search saw it
    ev = next(e for e in opt.evaluations if e.point == (0, 0))
    assert any(v["verdict"] != "met" for v in judge(ev.array(range(5)), opt.active, 0.95, confirm=20))


def test_a_constraint_the_most_generous_rosters_miss_on_fresh_replications_is_out_of_reach_not_a_failure(tmp_path):
    """The search's replications let the corner meet ``long`` by their luck; on the fresh ones
    the choice and the corner both miss it: it is named out of reach (with what binds), and the
    choice is confirmed on the rest instead of every candidate failing in turn."""
    from patientflow.optimiser.confirmation import confirm as _confirm
    from patientflow.optimiser.evaluator import Evaluator
    from patientflow.optimiser.search import Search
    from patientflow.optimiser.settings import settings_for
    from patientflow.optimiser.space import SearchSpace
    text = mmc_text(1.0, 4.0, 6, 2.0, 0.8, 500).rstrip() + \
        "\n          long: {stage: care, from: serve.queued, to: serve.end, critical: true, target: 95% within 10min}\n"
    sc = pf.load_scenario(write(tmp_path, text))
    settings = settings_for(sc, vary=["server=-1..+2"])
    search = Search(sc, settings, Evaluator(SearchSpace(sc, settings.vary), settings.seed))
    rows = {c.moment: c.row for c in search.constraints}
    assert set(rows) == {"wait", "long"}
    n_rows = max(rows.values()) + 2
    rng = np.random.default_rng(0)
    for x, wait, long in (((0,), 0.90, 0.93), ((1,), 0.93, 0.93), ((2,), 0.97, 0.935)):
        ev = search.ev.record(x, "remove")
        ev.verdict = "meets"
        for r in confirmation_numbers(settings):
            stats = np.full((n_rows, len(STATS)), np.nan)
            stats[rows["wait"], STATS.index("within_target")] = wait + rng.normal(0, 0.01)
            stats[rows["long"], STATS.index("within_target")] = long + rng.normal(0, 0.01)
            ev.stats[r] = stats
    status, message, verdicts, chosen = _confirm(search, (0,))
    assert chosen == (0,) and status == "unattainable"
    assert [v["constraint"] for v in search.unattainable] == ["long: 95% within 10min"]
    assert search.unattainable[0]["binds"]["text"]
    assert [c.moment for c in search.active] == ["wait"] and [v["constraint"] for v in verdicts] == ["wait: 80% within 2.0min"]
    assert [(x, [v["constraint"] for v in failed]) for x, failed in search.confirm_looks] == \
        [((0,), ["long: 95% within 10min"]), ((0,), [])]
    assert "1 constraint(s) cannot be met" in message


def test_a_cut_is_judged_on_its_change_paired_with_the_candidate_it_comes_from():
    """Two replications of a cut, paired with its parent's: the parent's mean moved by the mean
    paired change, against the target moved by the confirmation's half-width. Common random
    numbers make the change steady where the cut's own two values are not: a cut whose own mean
    looks behind but whose paired change is small is not called a miss, and one whose paired
    change crosses the target is, whatever its own values."""
    from patientflow.optimiser.constraints import Constraint, paired, paired_behind
    c = Constraint(0, "wait", "all", "80% within 4min", "within_target", True, 0.80, "share")
    col = STATS.index("within_target")
    rng = np.random.default_rng(1)
    days = rng.normal(0, 0.03, 10)  # the replications' shared luck (busy or quiet days)
    parent = np.full((10, 1, len(STATS)), np.nan)
    parent[:, 0, col] = 0.86 + days  # meets: mean 0.86 ± the days' spread

    def cut(change: float) -> np.ndarray:
        out = np.full((2, 1, len(STATS)), np.nan)
        out[:, 0, col] = parent[:2, 0, col] + change + rng.normal(0, 0.001, 2)
        return out

    def behind(candidate: np.ndarray) -> list[str]:
        predicted = paired(candidate, parent, parent[:2])
        # the prediction is the parent's replications moved by the mean paired change
        change = (candidate[:, 0, col] - parent[:2, 0, col]).mean()
        assert np.allclose(predicted[:, 0, col], parent[:, 0, col] + change)
        return paired_behind(predicted, [c], 0.95, 20)

    from scipy import stats as st  # what the target moves by, worked out here without the library
    alpha = (1 - 0.95) / 1
    margin = st.t.ppf(1 - alpha, 20 - 1) * parent[:, 0, col].std(ddof=1) / math.sqrt(20)
    predicted_gap = parent[:, 0, col].mean() - (0.80 + margin)  # room the parent leaves
    assert predicted_gap > 0.02
    assert behind(cut(-predicted_gap / 2)) == []
    assert behind(cut(-predicted_gap - 0.01)) == ["wait: 80% within 4min"]
    # the first two replications were busy days: the cut's own mean is behind, its change is not
    parent[:2, 0, col] = 0.78
    assert cut(-0.005)[:, 0, col].mean() < 0.80
    assert behind(cut(-0.005)) == []


def test_a_cut_paired_with_the_candidate_it_comes_from_is_known_as_well_as_that_candidate():
    """Five replications of a cut whose own spread (the days' luck) leaves its bound open are
    enough paired with a parent met on twenty: the parent's mean moved by the mean paired
    change, bounds as wide as the parent's interval and the change's together (recomputed here
    from the t quantiles, without the library)."""
    from scipy import stats as st

    from patientflow.optimiser.constraints import Constraint, judge, judge_paired
    c = Constraint(0, "wait", "all", "80% within 4min", "within_target", True, 0.80, "share")
    col = STATS.index("within_target")
    rng = np.random.default_rng(7)
    days = np.concatenate([[-0.1, 0.1, -0.08, 0.08, 0.0], rng.normal(0, 0.03, 15)])  # five unlike days first
    parent = np.full((20, 1, len(STATS)), np.nan)
    parent[:, 0, col] = 0.90 + days
    cut = np.full((5, 1, len(STATS)), np.nan)
    cut[:, 0, col] = parent[:5, 0, col] - 0.04 + rng.normal(0, 0.002, 5)
    alone = judge(cut, [c], 0.95, confirm=20)[0]
    assert alone["verdict"] == "open"  # its own five replications cannot tell
    found = judge_paired(cut, parent, [c], 0.95, 20)[0]
    assert found["verdict"] == "met" and not found["behind"]
    theirs, change = parent[:, 0, col], cut[:, 0, col] - parent[:5, 0, col]
    half = sum(st.t.ppf(0.95, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)) for v in (theirs, change))
    assert found["mean"] == pytest.approx(theirs.mean() + change.mean())
    assert found["low"] == pytest.approx(found["mean"] - half)
    # a cut that costs more than the parent's room is missed, paired or not
    cut[:, 0, col] = parent[:5, 0, col] - 0.2
    assert judge_paired(cut, parent, [c], 0.95, 20)[0]["verdict"] == "missed"


def test_a_cut_the_parents_own_interval_leaves_in_doubt_is_left_after_its_first_stage():
    """The bound of a cut judged paired is the parent's half-width plus the change's, and only
    the change's shrinks with the cut's replications. A cut whose paired estimate leaves less
    room than the parent's half-width is in doubt on any number of them: judge_paired ``at``
    the cap says so after five (recomputed here from the t quantiles, without the library),
    while a cut with room to spare is projected met."""
    from scipy import stats as st

    from patientflow.optimiser.constraints import Constraint, judge_paired
    c = Constraint(0, "wait", "all", "80% within 4min", "within_target", True, 0.80, "share")
    col = STATS.index("within_target")
    rng = np.random.default_rng(11)
    parent = np.full((20, 1, len(STATS)), np.nan)
    parent[:, 0, col] = 0.86 + rng.normal(0, 0.03, 20)
    theirs = parent[:, 0, col]
    alpha = 0.05
    margin = st.t.ppf(1 - alpha, 20 - 1) * theirs.std(ddof=1) / math.sqrt(20)
    parent_half = st.t.ppf(1 - alpha, 20 - 1) * theirs.std(ddof=1) / math.sqrt(20)
    room = theirs.mean() - (0.80 + margin) - parent_half  # what a cut may cost and still be shown, at best

    noise = rng.normal(0, 0.004, 5)
    noise -= noise.mean()  # the mean change is exactly the one asked for

    def cut(change: float) -> np.ndarray:
        out = np.full((5, 1, len(STATS)), np.nan)
        out[:, 0, col] = parent[:5, 0, col] + change + noise
        return out

    def by_hand(candidate: np.ndarray, at: int) -> bool:
        change = candidate[:, 0, col] - parent[:5, 0, col]
        half = parent_half + st.t.ppf(1 - alpha, at - 1) * change.std(ddof=1) / math.sqrt(at)
        return theirs.mean() + change.mean() - half >= 0.80 + margin

    assert room > 0.01
    half_100 = st.t.ppf(1 - alpha, 99) * noise.std(ddof=1) / 10
    spent = cut(-room + half_100 / 2)  # leaves less room than the change's half-width on 100: never shown
    for at in (5, 10, 100):
        found = judge_paired(spent, parent, [c], 0.95, 20, at=at)[0]
        assert (found["verdict"] == "met") == by_hand(spent, at) == False  # noqa: E712
    spare = cut(-room / 3)
    now = judge_paired(spare, parent, [c], 0.95, 20)[0]["verdict"]
    later = judge_paired(spare, parent, [c], 0.95, 20, at=10)[0]["verdict"]
    assert later == "met" and by_hand(spare, 10)
    assert now in ("met", "open") and (now == "met") == by_hand(spare, 5)


def test_a_constraint_the_corner_meets_by_less_than_the_confirmations_margin_is_out_of_reach_from_the_start(tmp_path):
    """The search asks every candidate to clear a target by the half-width a confirmation on
    fresh replications will have. The most generous corner is judged the same way: ``long``,
    met there on average and by its one-sided bound, but by less than that margin (worked out
    here from the t quantiles, without the library), is out of reach before any candidate is
    run, with what binds it, instead of being chased on the luck of the shared replications."""
    from scipy import stats as st

    from patientflow.optimiser.evaluator import Evaluator
    from patientflow.optimiser.search import Search
    from patientflow.optimiser.settings import settings_for
    from patientflow.optimiser.space import SearchSpace
    text = mmc_text(1.0, 4.0, 6, 2.0, 0.8, 500).rstrip() + \
        "\n          long: {stage: care, from: serve.queued, to: serve.end, critical: true, target: 95% within 10min}\n"
    sc = pf.load_scenario(write(tmp_path, text))
    settings = settings_for(sc, vary=["server=-1..+2"])
    search = Search(sc, settings, Evaluator(SearchSpace(sc, settings.vary), settings.seed))
    top, n = search.space.highs, settings.max_replications
    search.ev.record(top, "most generous")
    search.ev.ensure({top: list(range(n))})
    long = next(c for c in search.constraints if c.moment == "long")
    alpha = (1 - settings.confidence) / len(search.active)
    sd = 0.004
    half = st.t.ppf(1 - alpha, n - 1) * sd / math.sqrt(n)  # the bound's half-width and the margin alike
    values = np.random.default_rng(3).normal(0, 1, n)
    values = 0.95 + 1.5 * half + sd * (values - values.mean()) / values.std(ddof=1)  # mean and spread exact
    for r in range(n):
        search.ev.evaluations[top].stats[r][long.row, STATS.index("within_target")] = values[r]
    assert values.mean() - half > 0.95  # met by the bound alone
    search._drop_unattainable(set(search.active))
    found = {v["constraint"]: v for v in search.most_generous}[long.label]
    assert found["verdict"] == "open" and found["needed"] == pytest.approx(0.95 + half)
    assert [v["constraint"] for v in search.unattainable] == [long.label]
    assert search.unattainable[0]["binds"]["text"]
    assert long not in search.active and [c.moment for c in search.active] == ["wait"]



def test_the_pages_constraint_rows_show_the_corners_mean_bound_and_what_the_search_needs(tandem_search):
    """Each constraint's cell at the most generous rosters: its mean, one-sided bound and, where
    it differs at the precision shown, the target moved by the confirmation's margin the search
    asks of every candidate, all recomputed here from the corner's replications (t quantiles,
    Bonferroni over the constraints) without the library's verdicts."""
    import re

    from scipy import stats as st

    from patientflow.report.optimisation_page import constraint_row
    opt = tandem_search
    corner = next(e for e in opt.evaluations if e.point == opt.space.highs)
    values = corner.array()
    n, k = len(values), len(opt.active) + len(opt.unattainable)
    alpha = (1 - opt.settings.confidence) / k
    for c in opt.constraints:
        v = values[:, c.row, STATS.index(c.column)]
        half = st.t.ppf(1 - alpha, n - 1) * v.std(ddof=1) / math.sqrt(n)
        margin = st.t.ppf(1 - alpha, opt.settings.confirm_replications - 1) * v.std(ddof=1) / math.sqrt(
            opt.settings.confirm_replications)
        scale = 100 if c.unit == "share" else 1
        needed = c.target + margin if c.higher_is_better else c.target - margin
        bound = v.mean() - half if c.higher_is_better else v.mean() + half
        cell = re.findall(r"<td>([^<]*one-sided bound[^<]*)</td>", constraint_row(opt, c, "constraint"))[0]
        assert cell.startswith(f"{v.mean() * scale:.1f}")
        assert f"one-sided bound {bound * scale:.1f}" in cell
        shows_needed = f"{needed * scale:.1f}" != f"{c.target * scale:.1f}"
        assert (f"needs {'≥' if c.higher_is_better else '≤'} {needed * scale:.1f}" in cell) == shows_needed
