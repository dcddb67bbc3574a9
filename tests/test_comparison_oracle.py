"""Every number a comparison shows agrees with an independent recomputation (tests/comparison_oracle.py).

A small emergency department and a variant (an evening triage nurse, two more cubicles, an
assessment one per cent longer) are simulated with their patients kept (for the oracle) and
compared with ``patientflow compare`` (same seed and replications, so the same patients):
comparison.csv, scorecard.csv, costs.csv and by_hour.csv, the page's sentences, tables and
figures, and the terminal's sentences and tables are held against the oracle, which shares no
code with the library.
"""

from __future__ import annotations

import html
import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import patientflow as pf
import comparison_oracle as oracle
from helpers import write
from test_oracle import plotly_array, plotly_figures, title_text

REPLICATIONS, SEED = 3, 2  # a seed whose 90th centile of arrival to triage changes enough to count (coverage, not a statistical test)
BASE = """
name: Small ED
run: {length: 4d, warm_up: 12h, replications: 3, seed: 2}
stages: {reception: Reception, treatment: Treatment, outcome: Outcome}
demand:
  walk_ins: {per_day: 110, by_hour: [1,1,1,1,1,1,2,3,4,4,4,4,4,4,4,4,5,6,6,5,4,3,2,1], pathway: ed,
             mix: {acuity: {1: 0.03, 2: 0.3, 3: 0.67}}}
resources:
  nurse: {roster: {"08:00-20:00": 1, "20:00-08:00": 1}, cost_per_hour: 32}
  doctor: {roster: {"08:00-20:00": 4, "20:00-08:00": 2}, queue: acuity, cost_per_hour: 85}
  cubicle: {count: 6, cost_per_hour: 6}
pathways:
  ed:
    - triage: {mark: ed_arrival, use: nurse, takes: exponential(8min)}
    - assessment: {hold: cubicle, use: doctor, takes: lognormal(mean 30min, sd 15min), release: cubicle,
                   gives_up_after: exponential(6h), gives_up_as: left_without_being_seen}
moments:
  to_triage: {stage: reception, from: ed_arrival, to: triage.start, target: [95% within 15min, mean 5min],
              critical: true, title: Arrival to triage}
  to_doctor: {stage: treatment, from: triage.end, to: assessment.start, by: acuity, critical: true,
              target: {1: 100% within 10min, 2: 90% within 60min, 3: 90% within 120min}, title: Triage to doctor}
  unseen: {stage: treatment, kind: share, from: ed_arrival, outcome: left_without_being_seen, target: at most 5%}
  assessed: {stage: treatment, from: assessment.start, to: assessment.end, title: In assessment}
journey: {stage: outcome, target: at least 80%}
"""
EVENING = """
name: Evening nurse and two more cubicles
extends: base.yaml
resources:
  nurse: {roster: {"16:00-24:00": 1}}
  cubicle: {count: 8}
pathways:
  ed: {assessment: {takes: lognormal(mean 30.3min, sd 15.15min)}}   # one per cent longer: real, and too small to matter
"""
KEY = ["scenario", "moment", "group", "tier", "statistic"]


def cli(*args, cwd):
    done = subprocess.run([sys.executable, "-m", "patientflow.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    folder = tmp_path_factory.mktemp("comparison-oracle")
    paths = [write(folder, BASE, "base.yaml"), write(folder, EVENING, "evening.yaml")]
    scenarios = []
    for path in paths:  # every replication's patients, for the oracle: the same seed, so the same patients
        sc = pf.load_scenario(path)
        patients = pf.simulate(sc, REPLICATIONS, SEED, keep_patients=REPLICATIONS, jobs=2).patients
        scenarios.append(oracle.Scenario(sc.name, sc.spec.model_dump(), sc.to_dict(), patients))
    done = cli("compare", *paths, "-r", REPLICATIONS, "--seed", SEED, "--out", "cmp", "--jobs", 2, cwd=folder)
    out = folder / "cmp"
    read = {name: pd.read_csv(out / f"{name}.csv", dtype={"group": str, "tier": str}, keep_default_na=False,
                              na_values=[""]).fillna({"tier": ""}) for name in ("comparison", "scorecard", "costs", "by_hour")}
    base, other = scenarios
    expected = {"comparison": oracle.comparison_table(base, other), "scorecard": oracle.scorecard(base, other),
                "costs": oracle.costs(scenarios), "by_hour": oracle.by_hour(base, other, "nurse", "triage")}
    return {"csv": read, "oracle": expected, "page": (out / "comparison.html").read_text(encoding="utf-8"),
            "stdout": done.stdout, "scenarios": scenarios}


def agree(got, expected) -> bool:
    """A CSV cell (six significant digits) or a shown number against the oracle's value."""
    if isinstance(expected, (bool, np.bool_, str)):
        return str(got) == str(expected)
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return got is None or (isinstance(got, float) and math.isnan(got))
    return abs(float(got) - float(expected)) <= 1e-5 * max(abs(float(expected)), 1e-3)


def differences(got: pd.DataFrame, expected: pd.DataFrame, key: list[str]) -> list[str]:
    assert len(got) == len(expected) and len(expected), (len(got), len(expected))
    g, e = got.set_index(key), expected.set_index(key)
    assert list(g.index) == list(e.index), "the same rows, in the same order"
    columns = [c for c in e.columns if c in g.columns]
    return [f"{k} {c}: shown {g.at[k, c]!r}, oracle {e.at[k, c]!r}" for k in e.index for c in columns
            if not agree(g.at[k, c], e.at[k, c])]


@pytest.mark.parametrize("name, key", [("comparison", KEY), ("scorecard", ["scenario", "moment", "group", "tier"]),
                                       ("costs", ["scenario"]), ("by_hour", ["scenario", "resource", "hour"])])
def test_each_csv_equals_an_independent_recomputation(case, name, key):
    problems = differences(case["csv"][name], case["oracle"][name], key)
    assert not problems, f"{len(problems)} cells differ:\n" + "\n".join(problems[:30])


def test_the_case_exercises_every_decision(case):
    table, card = case["oracle"]["comparison"], case["oracle"]["scorecard"]
    assert {"improved", "too small to matter", "no significant change"} <= set(table.verdict)
    assert table.small_group.any() and len(card) >= 1 and ((table.statistic == "p90") & table.counts).any()
    assert (case["oracle"]["by_hour"].difference < 0).any()


NUMBER = re.compile(r"[-+−]?\d[\d,]*(?:\.\d+)?")


def shown(text: str) -> list[float]:
    return [float(n.replace(",", "").replace("−", "-")) for n in NUMBER.findall(text)]


def close_to(values: list[float], expected: list[float], text: str) -> bool:
    """Numbers as shown (rounded to their decimals) against the oracle's."""
    decimals = [len(n.split(".")[1]) if "." in n else 0 for n in NUMBER.findall(text)]
    return len(values) == len(expected) and all(
        abs(v - e) <= 0.5 * 10 ** -d + 1e-9 + 1e-6 * abs(e) for v, e, d in zip(values, expected, decimals))


def page_table(page: str, section: str) -> list[list[str]]:
    """The cells of each row of the first table after ``<h2 id='section'>``."""
    start = page.index(f"<h2 id='{section}'>")
    table = page[page.index("<table>", start):page.index("</table>", start)]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<td" in row]


def test_the_page_tables_show_the_oracles_numbers(case):
    page, o = case["page"], case["oracle"]
    costs = page_table(page, "cost")
    assert [r[0] for r in costs] == list(o["costs"].scenario)
    for cells, r in zip(costs, o["costs"].itertuples()):
        assert close_to(shown(" ".join(cells[1:5])), [r.staff_cost_per_week, r.places_cost_per_week, r.cost_per_week,
                                                      r.cost_difference], " ".join(cells[1:5]))
        journey = [100 * r.journey_difference, 100 * r.journey_difference_ci_low, 100 * r.journey_difference_ci_high]
        assert cells[6] == "–" if math.isnan(journey[1]) else close_to(shown(cells[6]), journey, cells[6])
    card = page_table(page, "scorecard")
    assert len(card) == len(o["scorecard"])
    for cells, r in zip(card, o["scorecard"].itertuples()):
        scale = 100 if r.unit == "share" else 1
        assert cells[3] == f"{r.before} → {r.after}"
        numbers = " ".join(cells[4:8])
        assert close_to(shown(numbers), [scale * v for v in (r.baseline_value, r.value, r.difference, r.ci_low,
                                                            r.ci_high, r.target)], numbers)
    counted = o["comparison"][o["comparison"].counts | (o["comparison"].verdict == "too few patients")]
    changes = page_table(page, "changes")
    assert len(changes) == len(counted)
    for r in counted.itertuples():
        scale = 100 if r.unit == "share" else 1
        rows = [c for c in changes if c[2] == r.group and c[6] == r.verdict
                and close_to(shown(c[5]), [scale * r.difference, scale * r.ci_low, scale * r.ci_high], c[5])]
        assert len(rows) >= 1, (r.moment, r.group, r.statistic)


def test_the_figures_draw_the_oracles_paired_differences(case):
    o = case["oracle"]
    figures = {title_text(f["layout"]): f for f in plotly_figures(case["page"])}
    cost = next(f for t, f in figures.items() if t.startswith("Cost against journeys"))
    for trace, r in zip(cost["data"], o["costs"].itertuples()):
        assert agree(plotly_array(trace["x"])[0], r.cost_difference)
        assert agree(plotly_array(trace["y"])[0] / 100, r.journey_difference)
        if trace.get("error_y"):
            y = plotly_array(trace["y"])[0]
            assert agree((y + plotly_array(trace["error_y"]["array"])[0]) / 100, r.journey_difference_ci_high)
            assert agree((y - plotly_array(trace["error_y"]["arrayminus"])[0]) / 100, r.journey_difference_ci_low)
    hours = next(f for t, f in figures.items() if "when the roster change helps" in t)
    bars, lines = (next(t for t in hours["data"] if t["type"] == kind) for kind in ("bar", "scatter"))
    expected = o["by_hour"]
    assert np.allclose(plotly_array(bars["y"]), expected.staff - expected.baseline_staff)
    assert np.allclose(plotly_array(lines["y"]), expected.difference, atol=1e-9)
    assert np.allclose(np.add(plotly_array(lines["y"]), plotly_array(lines["error_y"]["array"])), expected.ci_high, atol=1e-9)
    forest = next(f for t, f in figures.items() if "difference from the baseline (minutes" in t)
    rows = o["comparison"][o["comparison"].statistic.isin(["mean", "share"])]
    scale = np.where(rows.unit == "share", 100, 1)
    assert np.allclose(plotly_array(forest["data"][0]["x"]), rows.difference * scale, atol=1e-9)


def test_the_sentences_on_the_page_and_in_the_terminal_show_the_oracles_numbers(case):
    o, page = case["oracle"], case["page"]
    sentence = html.unescape(re.findall(r"<li>(.*?)</li>", page[page.index('class="headline"'):])[0])
    assert " ".join(sentence.split()) in " ".join(case["stdout"].split()), "the terminal prints the page's sentence"
    base, other = o["costs"].iloc[0], o["costs"].iloc[1]
    cost = re.search(r"cost (\S+) a week \(staff (\S+), places (\S+)\)", sentence)
    assert close_to(shown(" ".join(cost.groups())), [other.cost_difference, other.staff_cost_per_week - base.staff_cost_per_week,
                                                     other.places_cost_per_week - base.places_cost_per_week], " ".join(cost.groups()))
    journey = o["comparison"].query("moment == 'journey'").iloc[0]
    text = re.search(r"journeys meeting every critical moment ([^;]*)", sentence).group(1)
    assert close_to(shown(text), [100 * journey.difference, 100 * journey.ci_low, 100 * journey.ci_high], text)
    titles = {m: spec.get("title") or m.replace("_", " ") for m, spec in case["scenarios"][0].spec["moments"].items()}
    card = o["scorecard"][~o["scorecard"].small_group].head(3)
    named = [f"{titles.get(r.moment, 'Every critical moment met')}" for r in card.itertuples()]
    assert all(name in sentence for name in named) and sentence.index(": targets: ") > 0
    table = o["comparison"]
    ranked = table[table.counts & table.statistic.isin(["p90", "share"]) & (table.moment != "journey")]
    ranked = ranked.assign(size=(ranked.difference / ranked.baseline_value).abs()).sort_values(
        ["critical", "size"], ascending=[False, False], kind="stable").head(2)
    if ranked.empty:
        assert "no change that counts in a 90th centile or a share" in sentence
        return
    largest = sentence.split("largest changes: ")[1].split("; journeys")[0].split("; ")
    assert len(largest) == len(ranked)
    for part, r in zip(largest, ranked.itertuples()):
        scale = 100 if r.unit == "share" else 1
        numbers = part.split(" centile " if r.statistic == "p90" else " share ")[1]
        assert titles[r.moment] in part and close_to(shown(numbers), [scale * r.difference, scale * r.ci_low,
                                                                      scale * r.ci_high], numbers), part


def terminal_tables(stdout: str) -> dict[str, dict[str, str]]:
    """Each table the command prints, by its title: the text of each column, its rows' cells (which
    wrap over several lines) read top to bottom."""
    lines = stdout.splitlines()
    tables = {}
    for i, line in enumerate(lines):
        if not line.startswith("┏"):
            continue
        title = " ".join(" ".join(lines[max(i - 2, 0):i]).split())
        head = [c.strip() for c in lines[i + 1].split("┃")[1:-1]]
        end = next(k for k in range(i, len(lines)) if lines[k].startswith("└"))
        body = [[c.strip() for c in row.split("│")[1:-1]] for row in lines[i + 3:end]]
        tables[title] = {h: " ".join(row[k] for row in body) for k, h in enumerate(head)}
    return tables


def test_the_terminal_tables_show_the_oracles_numbers(case):
    o = case["oracle"]
    tables = terminal_tables(case["stdout"])
    flips = next(t for title, t in tables.items() if "targets that flip" in title)
    card = o["scorecard"]
    scale = np.where(card.unit == "share", 100, 1)
    for column, values in (("baseline", [card.baseline_value * scale]), ("scenario", [card.value * scale]),
                           ("difference (95 % CI)", [card.difference * scale, card.ci_low * scale, card.ci_high * scale])):
        expected = [v for row in zip(*values) for v in row]
        assert close_to(shown(flips[column]), expected, flips[column]), column
    changes = next(t for title, t in tables.items() if "changes that count" in title)
    table = o["comparison"]
    rows = pd.concat([table[table.counts].sort_values("critical", ascending=False, kind="stable"),
                      table[table.verdict == "too few patients"]])
    scale = np.where(rows.unit == "share", 100, 1)
    expected = [v for row in zip(rows.difference * scale, rows.ci_low * scale, rows.ci_high * scale) for v in row]
    assert close_to(shown(changes["difference (95 % CI)"]), expected, changes["difference (95 % CI)"])
    assert close_to(shown(changes["baseline"]), list(rows.baseline_value * scale), changes["baseline"])
    assert changes["verdict"].split() == " ".join(rows.verdict).split()
