"""Every number a run shows agrees with an independent recomputation from its patients (tests/oracle.py).

Each scenario (the bundled baseline and two of its variants, shortened to 9 days) runs once with
``patientflow run --patients``; summary.csv and the report's stage charts are then held against
the oracle, which shares no code with the library, and no percentage on the page may exceed 100.
The report's key figures, its headline and its "Weakest moments first" figure are held against
tests/oracle_report.py, which recomputes them from the patients, the scenario and the oracle's summary.
The numbers checked in each output are printed at the end of the module.
"""

from __future__ import annotations

import base64
import html
import json
import re
import subprocess
import sys
import textwrap
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import patientflow as pf
from oracle import PER_DAY, oracle_summary
from oracle_bottlenecks import oracle_bottlenecks
from oracle_vehicles import oracle_vehicles, rostered_hours_a_day
from oracle_report import WEAKEST_BARS, headline, key_figures, named_tiers, titled, weakest

BUNDLED = Path(__file__).resolve().parent.parent / "scenarios"
EVERYWHERE = Path("/")  # the shortened copies live in a temporary folder and extend the repository's: the root widened on purpose
SEED, REPLICATIONS = 2026, 3
SHORT_RUN = "run: {length: 9d, warm_up: 2d}"

# Moments the bundled file does not have, so that the report shows every kind of row: a duration
# without a target in a stage whose other rows have targets, a share without a target, a target
# for one group only, a critical "at least" share with two outcomes, and a mean tier that counts
# the ward's initial occupants.
EXTRA_MOMENTS = """
moments:
  crew_on_scene: {title: Call to crew on scene, stage: transfer, from: arrived, to: on_scene.start}
  advice_by_phone: {title: Advice by phone, stage: service_request, kind: share, from: arrived,
                    for: {stream: emergency_calls}, outcome: advice_only}
  handled_by_category: {title: Call handled by category, stage: service_request, from: arrived,
                        to: answer.end, by: category, target: {1: 90% within 2min}}
  seen_and_treated: {title: Attendances admitted or discharged, stage: hospitalisation, kind: share,
                     from: ed_arrival, outcome: [admitted, discharged], critical: true, target: at least 90%}
  ward_discharge_wait: {title: Ready to leave the ward to left, stage: discharge,
                        from: ward_discharge.queued, to: left, target: [mean 10h, 80% within 12h]}
"""
SCENARIOS = {
    "baseline": ("baseline.yaml", ""),
    "more_ward_beds": ("more_ward_beds.yaml", EXTRA_MOMENTS),
    "earlier_discharges": ("earlier_discharges.yaml", ""),
    "network": ("network/network.yaml", ""),  # places, a fleet, travel by band, the ARP clock start, by zone
}
COUNT_COLUMNS = ("n", "n_open", "replications")
CONTRACT_COLUMNS = ("moment", "stage", "kind", "group", "critical", "unit", "n", "n_open", "mean", "mean_ci_low",
                    "mean_ci_high", "p50", "p90", "p90_ci_low", "p90_ci_high", "p95", "target", "within_target",
                    "within_target_ci_low", "within_target_ci_high", "met")
PER_DAY_COLUMNS = tuple(f"{name}{end}" for name in PER_DAY for end in ("", "_ci_low", "_ci_high"))

CHECKED: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # output -> scenario -> numbers


@dataclass
class Run:
    """One scenario's run: its scenario dict, summary.csv as written, the oracle's summary, report.html
    and patients.parquet."""

    name: str
    spec: dict
    csv: pd.DataFrame
    oracle: pd.DataFrame
    page: str
    patients: pd.DataFrame
    bottlenecks: pd.DataFrame  # bottlenecks.csv as written
    folder: Path  # the run's output folder


@pytest.fixture(scope="module", autouse=True)
def numbers_checked(request):
    """Print, after the module, how many numbers the oracle checked in each output."""
    yield CHECKED
    lines = ["numbers checked against the oracle:"]
    for output, by_scenario in CHECKED.items():
        detail = ", ".join(f"{name} {count}" for name, count in by_scenario.items())
        lines.append(f"  {output}: {sum(by_scenario.values())} ({detail})")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():  # shown even when pytest captures output
        print("\n" + "\n".join(lines))


@pytest.fixture(scope="module", params=list(SCENARIOS))
def run(request, tmp_path_factory) -> Run:
    """Run a shortened copy of a bundled scenario once, with its patients, and recompute its summary."""
    name = request.param
    bundled, extra = SCENARIOS[name]
    folder = tmp_path_factory.mktemp(name)
    scenario = folder / f"{name}_short.yaml"
    scenario.write_text(f"extends: {BUNDLED / bundled}\n{SHORT_RUN}\n{textwrap.dedent(extra)}")
    out = folder / "out"
    done = subprocess.run([sys.executable, "-m", "patientflow.cli", "run", str(scenario), "--replications",
                           str(REPLICATIONS), "--seed", str(SEED), "--patients", "--out", str(out), "--jobs", "2",
                           "--root", str(EVERYWHERE)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    spec = pf.load_scenario(scenario, root=EVERYWHERE).spec.model_dump()
    csv = pd.read_csv(out / "summary.csv", dtype=str, keep_default_na=False)
    patients = pd.read_parquet(out / "patients.parquet")
    oracle = oracle_summary(patients, spec)
    return Run(name, spec, csv, oracle, (out / "report.html").read_text(encoding="utf-8"), patients,
               pd.read_csv(out / "bottlenecks.csv", dtype=str, keep_default_na=False), out)


def row_key(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Each summary row's identity: moment, group and tier."""
    return list(zip(frame["moment"], frame["group"], frame["tier"]))


def half_unit_of_last_digit(text: str) -> float:
    """Half a unit in the last significant digit of a number written with ``%.6g``."""
    value = abs(float(text))
    return 0.0 if value == 0 else 0.5 * 10.0 ** (np.floor(np.log10(value)) - 5)


def cell_agrees(text: str, expected, column: str) -> bool:
    """Whether a summary.csv cell shows the oracle's value (the file writes numbers with 6 digits)."""
    if expected is None or (isinstance(expected, float) and np.isnan(expected)):
        return text == ""
    if isinstance(expected, (bool, np.bool_)):
        return text == str(bool(expected))
    if isinstance(expected, str):
        return text == expected
    if column in COUNT_COLUMNS:
        return text == f"{expected:.6g}"
    return text != "" and abs(float(text) - expected) <= max(1e-6 * abs(expected), half_unit_of_last_digit(text))


def disagreements(run: Run, columns) -> list[str]:
    """Every cell of ``columns`` in summary.csv that differs from the oracle, counting those checked."""
    csv = run.csv.set_index(pd.MultiIndex.from_tuples(row_key(run.csv)))
    oracle = run.oracle.set_index(pd.MultiIndex.from_tuples(row_key(run.oracle)))
    problems = []
    for key in oracle.index:
        for column in columns:
            expected, shown = oracle.at[key, column], csv.at[key, column]
            if isinstance(expected, (int, float, np.number)) and not isinstance(expected, (bool, np.bool_)):
                CHECKED[f"summary.csv {'per-day columns' if column in PER_DAY_COLUMNS else 'columns'}"][run.name] += 1
            if not cell_agrees(shown, expected, column):
                problems.append(f"{'/'.join(key)} {column}: summary.csv {shown!r}, oracle {expected!r}")
    return problems


def test_summary_csv_equals_an_independent_recomputation(run):
    assert set(CONTRACT_COLUMNS) <= set(run.csv.columns), "summary.csv lacks columns of the contract (DESIGN §4)"
    unknown = set(run.csv.columns) - set(run.oracle.columns)
    assert not unknown, f"summary.csv has columns the oracle does not recompute: {sorted(unknown)}"
    assert sorted(row_key(run.csv)) == sorted(row_key(run.oracle)), "summary.csv rows differ from the oracle's"
    assert run.csv["moment"].iloc[-1] == "journey", "the last row is the journey outcome"
    columns = [c for c in run.csv.columns if c not in PER_DAY_COLUMNS]
    problems = disagreements(run, columns)
    assert not problems, f"{len(problems)} cells differ:\n" + "\n".join(problems[:40])


def test_summary_csv_per_day_columns_equal_an_independent_recomputation(run):
    missing = [c for c in PER_DAY_COLUMNS if c not in run.csv.columns]
    if missing:
        pytest.skip(f"summary.csv has no {', '.join(missing)} yet (being added to the library)")
    problems = disagreements(run, PER_DAY_COLUMNS)
    assert not problems, f"{len(problems)} cells differ:\n" + "\n".join(problems[:40])


def test_bottlenecks_csv_equals_an_independent_recomputation(run):
    oracle = oracle_bottlenecks(run.patients, run.spec)
    shown = run.bottlenecks
    key = ["moment", "group", "cause", "via"]
    assert list(shown.columns) == [*key, "mean_minutes", "mean_minutes_ci_low", "mean_minutes_ci_high", "share", "hours"]
    assert sorted(map(tuple, shown[key].to_numpy())) == sorted(map(tuple, oracle[key].to_numpy())), \
        "bottlenecks.csv rows differ from the oracle's"
    expected = oracle.set_index(key)
    problems = []
    for _, row in shown.iterrows():
        want = expected.loc[tuple(row[key])]
        for column in ("mean_minutes", "mean_minutes_ci_low", "mean_minutes_ci_high", "share", "hours"):
            if column != "hours":
                CHECKED["bottlenecks.csv"][run.name] += 1
            if not cell_agrees(row[column], want[column], column):
                problems.append(f"{'/'.join(row[key])} {column}: bottlenecks.csv {row[column]!r}, oracle {want[column]!r}")
    assert not problems, f"{len(problems)} cells differ:\n" + "\n".join(problems[:40])
    for _, rows in shown.groupby(["moment", "group"]):  # a moment's causes add up to its time
        assert abs(rows["share"].astype(float).sum() - 1) < 1e-4


# --- the report ------------------------------------------------------------------------------

def plotly_figures(page: str) -> list[dict]:
    """Every plotly figure embedded in a page, as ``{"data": [...], "layout": {...}, "at": offset}``."""
    decoder = json.JSONDecoder()
    figures = []
    for call in re.finditer(r"Plotly\.newPlot\(\s*", page):
        arguments, position = [], call.end()
        for _ in range(3):  # the div's id, the traces, the layout
            value, position = decoder.raw_decode(page, position)
            arguments.append(value)
            position = re.compile(r"\s*,\s*").match(page, position).end()
        figures.append({"data": arguments[1], "layout": arguments[2], "at": call.start()})
    return figures


def plotly_array(values) -> list:
    """A plotly array as a list: base64 typed arrays (``{"dtype", "bdata", "shape"}``) decoded."""
    if isinstance(values, dict) and "bdata" in values:
        array = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        if "shape" in values:
            shape = values["shape"]
            array = array.reshape([int(s) for s in shape.split(",")] if isinstance(shape, str) else shape)
        return array.tolist()
    return list(values) if values is not None else []


def title_text(item: dict) -> str:
    """The text of a layout or axis title, unescaped."""
    title = item.get("title") or ""
    return html.unescape(title.get("text") or "" if isinstance(title, dict) else title)


@dataclass
class Bar:
    """One bar of a stage chart: its label, its value and the text printed beside it."""

    label: str
    value: float
    text: str


def stage_charts(page: str, stages: dict) -> dict[str, list[Bar]]:
    """The bars of each stage chart in the page's "Stage by stage" section, by stage title."""
    start = page.index('<h2 id="stages"')
    end = page.index("<h2", start + 1)
    charts: dict[str, list[Bar]] = {}
    for figure in plotly_figures(page):
        title = title_text(figure["layout"])
        if not start < figure["at"] < end or title not in stages.values():
            continue
        bars = charts.setdefault(title, [])
        for trace in figure["data"]:
            if trace.get("type") != "bar":
                continue
            horizontal = trace.get("orientation") == "h"
            labels = plotly_array(trace.get("y" if horizontal else "x"))
            values = plotly_array(trace.get("x" if horizontal else "y"))
            texts = plotly_array(trace.get("text")) or [""] * len(values)
            bars += [Bar(html.unescape(str(label)), np.nan if v is None else float(v), str(text))
                     for label, v, text in zip(labels, values, texts)]
    return charts


def shown_as(row) -> tuple[float, str]:
    """What a summary row's bar shows: a share in % (0-100), or minutes for means and untargeted durations."""
    if row["kind"] != "duration" or row["tier_kind"] in ("within", "at_most", "at_least"):
        return 100 * (row["within_target"] if row["tier"] else row["mean"]), "%"
    return row["mean"], "min"


def labels_row(label: str, row) -> bool:
    """Whether a bar's label names the row: its moment's title, its group and its tier."""
    if row["title"] not in label or (row["tier"] and row["tier"] not in label):
        return False
    if row["group"] == "all":
        return True
    attribute, value = row["group"].split("=", 1)
    value = "[ _]".join(re.escape(word) for word in value.split("_"))  # a page writes old_town as "old town"
    return re.search(rf"\b{re.escape(attribute)}\W{{0,3}}{value}\b", label) is not None


def text_shows(text: str, value: float, unit: str) -> bool:
    """Whether a bar's text label shows ``value`` (to its printed decimals) with the right unit."""
    number = re.search(r"-?\d[\d,]*(?:\.(\d+))?", text)
    if number is None or (unit == "%") != ("%" in text) or (unit == "min" and "min" not in text):
        return False
    decimals = len(number.group(1) or "")
    return abs(float(number.group(0).replace(",", "")) - value) <= 0.5 * 10.0 ** -decimals + 1e-9


def test_stage_charts_show_every_row_with_its_value_and_unit(run):
    stages = run.spec["stages"]
    charts = stage_charts(run.page, stages)
    problems = []
    for stage, title in stages.items():
        rows = run.oracle[run.oracle["stage"] == stage]
        bars = charts.get(title, [])
        if len(bars) != len(rows):
            problems.append(f"{title}: {len(bars)} bars for {len(rows)} summary rows")
        for _, row in rows.iterrows():
            name = f"{title}: {row['moment']}/{row['group']}/{row['tier'] or 'no target'}"
            matching = [bar for bar in bars if labels_row(bar.label, row)]
            if len(matching) != 1:
                problems.append(f"{name}: {len(matching)} bars labelled for it")
                continue
            bar = matching[0]
            value, unit = shown_as(row)
            CHECKED["report stage charts"][run.name] += 2
            if np.isnan(value):
                if not np.isnan(bar.value):
                    problems.append(f"{name}: bar shows {bar.value}, the oracle has no value")
                continue
            if not np.isclose(bar.value, value, rtol=1e-6, atol=1e-9):
                problems.append(f"{name}: bar at {bar.value}, oracle {value} {unit}")
            if not text_shows(bar.text, value, unit):
                problems.append(f"{name}: text {bar.text!r}, oracle {value:.1f} {unit}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


PERCENTAGE = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*%")


def page_text_without_utilisation(page: str) -> str:
    """The page's visible text: scripts, styles and the utilisation table left out."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    text = re.sub(r"<table\b(?:(?!</table>).)*?(utilisation|rostered capacity).*?</table>", " ", text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def strings_in(item) -> list[str]:
    """Every string inside a figure's JSON."""
    if isinstance(item, str):
        return [item]
    if isinstance(item, dict):
        return [s for key, value in item.items() if key != "template" for s in strings_in(value)]
    if isinstance(item, list):
        return [s for value in item for s in strings_in(value)]
    return []


def values_on_percent_axes(figure: dict) -> list[float]:
    """The numbers bars and markers plot on an axis of percentages ("% of patients"), with their error bars' ends."""
    layout, numbers = figure["layout"], []
    for trace in figure["data"]:
        if trace.get("type") not in ("bar", "scatter"):
            continue
        for axis in ("x", "y"):
            name = trace.get(f"{axis}axis", axis)
            if not re.search(r"%\s*of\b", title_text(layout.get(f"{axis}axis{name[1:]}", {}))):
                continue
            values = [v for v in plotly_array(trace.get(axis)) if isinstance(v, (int, float))]
            errors = plotly_array((trace.get(f"error_{axis}") or {}).get("array"))
            numbers += values + [v + e for v, e in zip(values, errors) if e is not None]
    return numbers


def test_no_percentage_on_the_report_is_over_100(run):
    shown = [float(p.replace(",", "")) for p in PERCENTAGE.findall(page_text_without_utilisation(run.page))]
    for figure in plotly_figures(run.page):
        texts = strings_in(figure["data"]) + strings_in(figure["layout"])
        shown += [float(p.replace(",", "")) for t in texts if "utilisation" not in t for p in PERCENTAGE.findall(t)]
        shown += values_on_percent_axes(figure)
    CHECKED["report percentages"][run.name] += len(shown)
    over = sorted({round(p, 1) for p in shown if p > 100 + 1e-6})
    assert not over, f"percentages over 100 on the page: {over[:20]}"


# --- the key figures, the headline and "Weakest moments first" (tests/oracle_report.py) --------

NUMBER = r"-?\d[\d,]*(?:\.\d+)?"
INTERVAL = re.compile(rf"(?P<value>{NUMBER})(?P<unit>(?: h| %)?)(?: \((?P<low>{NUMBER}) – (?P<high>{NUMBER})\))?")


def section(page: str, anchor: str) -> tuple[int, int]:
    """Where a section of the page runs: from its ``<h2 id=...>`` to the next heading."""
    start = page.index(f'<h2 id="{anchor}"')
    return start, page.index("<h2", start + 1)


def interval_problems(text: str, expected: tuple[float, float, float], unit: str, digits: int = 1,
                      numbers: dict | None = None) -> list[str]:
    """How ``X unit (LOW – HIGH)`` (or ``X unit`` without an interval) differs from the expected numbers,
    each to its printed precision; adds the numbers compared to ``numbers["compared"]``."""
    numbers = {} if numbers is None else numbers
    value, low, high = expected
    if np.isnan(value):
        return [] if text == "–" else [f"shows {text!r}, the oracle has no value"]
    match = INTERVAL.fullmatch(text)
    if match is None:
        return [f"{text!r} is not written 'X{' ' + unit if unit else ''} (LOW – HIGH)'"]
    problems = []
    if match["unit"].strip() != unit:
        problems.append(f"{text!r}: unit {match['unit'].strip()!r}, expected {unit!r}")
    has_interval = not (np.isnan(low) or np.isnan(high))
    if (match["low"] is not None) != has_interval:
        problems.append(f"{text!r}: {'no interval' if has_interval else 'an interval'} expected")
    for name, shown, number in (("value", match["value"], value), ("low", match["low"], low),
                                ("high", match["high"], high)):
        if shown is None or np.isnan(number):
            continue
        numbers["compared"] = numbers.get("compared", 0) + 1
        decimals = len(shown.partition(".")[2])
        if decimals != digits or abs(float(shown.replace(",", "")) - number) > 0.5 * 10.0 ** -digits + 1e-9:
            problems.append(f"{text!r}: {name} {shown}, oracle {number:.{digits + 3}f} ({digits} decimals)")
    return problems


def test_key_figures_equal_an_independent_recomputation(run):
    start, end = section(run.page, "figures")
    cards = [(html.unescape(label), html.unescape(value))
             for value, label in re.findall(r"<div class='card'><b>(.*?)</b>(.*?)</div>", run.page[start:end])]
    expected = key_figures(run.oracle, run.patients, run.spec)
    shown_labels, expected_labels = Counter(label for label, _ in cards), Counter(f.label for f in expected)
    problems = [f"missing card: {label}" for label in expected_labels - shown_labels]
    problems += [f"card the rule does not give: {label}" for label in shown_labels - expected_labels]
    by_label: dict[str, list] = defaultdict(list)
    for figure in expected:
        by_label[figure.label].append(figure)
    kinds, numbers = [], {"compared": 0}
    for label, value in cards:
        if not by_label.get(label):
            continue
        figure = by_label[label].pop(0)
        kinds.append(figure.kind)
        problems += [f"{label}: {p}" for p in interval_problems(value, (figure.value, figure.low, figure.high),
                                                                figure.unit, figure.digits, numbers)]
    if kinds != sorted(kinds):
        problems.append(f"cards out of order (kinds of figure in the page's order: {kinds})")
    CHECKED["report key figures"][run.name] += numbers["compared"]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def headline_lines(page: str) -> tuple[str, list[str]]:
    """The headline's bold first line and the lines of its list, unescaped."""
    block = re.search(r'<div class="headline">(.*?)</div>', page, flags=re.S).group(1)
    first = re.search(r"<b>(.*?)</b>", block, flags=re.S).group(1)
    return html.unescape(first), [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", block, flags=re.S)]


JOURNEY_LINE = re.compile(r"Journeys meeting every critical moment that applied: (?P<share>.+?)"
                          r"(?: \(target (?P<target>[^()]+)\))?\.")


def placement_problems(name: str, expected: set, shown: list, moments: list) -> list[str]:
    """How the tiers a kind of headline line names differ from those it must name (and each moment once)."""
    problems = [f"{name}: {'/'.join(item)} not named" for item in sorted(expected - set(shown))]
    problems += [f"{name}: {'/'.join(item)} named, but it is not {name.lower()} by the rule"
                 for item in sorted(set(shown) - expected)]
    problems += [f"{name}: {m} on {n} lines" for m, n in Counter(moments).items() if n > 1]
    return problems


def test_headline_counts_and_names_every_target_by_its_verdict(run):
    first, lines = headline_lines(run.page)
    expected = headline(run.oracle)
    problems = [] if first == expected.count_line else [f"first line {first!r}, expected {expected.count_line!r}"]
    numbers = {"compared": 0}
    journey = JOURNEY_LINE.fullmatch(lines[-1]) if lines else None
    if journey is None:
        problems.append(f"the last line is not the journey's: {lines[-1:]!r}")
    else:
        problems += [f"journey: {p}" for p in interval_problems(journey["share"], expected.journey, "%", 1, numbers)]
        if (journey["target"] or "") != expected.journey_target:
            problems.append(f"journey target {journey['target']!r}, expected {expected.journey_target!r}")
        lines = lines[:-1]
    other = next((i for i, line in enumerate(lines) if line.startswith("Other targets:")), len(lines))
    if expected.other_line is None and other < len(lines):
        problems.append(f"{lines[other]!r}, but no moment that is not critical has a target")
    if expected.other_line is not None and lines[other:other + 1] != [expected.other_line]:
        problems.append(f"other targets line {lines[other:other + 1]!r}, expected {expected.other_line!r}")
    shown: dict[str, list] = defaultdict(list)
    moments: dict[str, list] = defaultdict(list)
    for position, line in enumerate(lines):
        kind, _, rest = line.partition(": ")
        if position == other:
            continue
        name = kind if position < other else f"Other {kind}"
        if name not in ("Missed", "Too close to call", "Other Missed"):
            problems.append(f"a line the rule does not give: {line!r}")
            continue
        moment, items = named_tiers(rest, run.oracle)
        if moment is None:
            problems.append(f"{line!r} does not start with a moment's title")
        shown[name] += items
        moments[name].append(moment)
    for name, tiers in (("Missed", expected.missed), ("Too close to call", expected.close),
                        ("Other Missed", expected.other_missed)):
        problems += placement_problems(name, tiers, shown[name], moments[name])
    targets = run.oracle[(run.oracle["tier"] != "") & (run.oracle["kind"] != "journey")]
    counts = len(re.findall(r"\d+", expected.count_line + (expected.other_line or "")))
    CHECKED["report headline"][run.name] += counts + numbers["compared"] + len(targets)  # each tier's place too
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def weakest_bars(page: str) -> list[tuple[str, float]]:
    """The bars of the figure right after the "Weakest moments first" heading: (label, value)."""
    start, _ = section(page, "weakest")
    figure = next(f for f in plotly_figures(page) if f["at"] > start)
    bars = []
    for trace in figure["data"]:
        if trace.get("type") == "bar":
            bars += [(html.unescape(str(label)), np.nan if value is None else float(value))
                     for label, value in zip(plotly_array(trace.get("y")), plotly_array(trace.get("x")))]
    return bars


def labelled(label: str, candidates: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """The moment-group a bar's label names: the longest title (with its group) it starts with, followed
    by nothing, a space (not a bracket) or a ``<br>``."""
    head = label.split("<br>")[0]
    fits = [c for c in candidates if head.startswith(c) and (head == c or (head[len(c)] == " " and
                                                                            not head[len(c):].startswith(" (")))]
    return candidates[max(fits, key=len)] if fits else None


def test_weakest_moments_figure_ranks_the_tiers_not_met(run):
    expected = weakest(run.oracle)
    by_group = {(w.moment, w.group): w for w in expected}
    rows = run.oracle[run.oracle["kind"] != "journey"].drop_duplicates(["moment", "group"])
    candidates = {titled(r["title"], r["group"]): (r["moment"], r["group"]) for _, r in rows.iterrows()}
    bars = weakest_bars(run.page)
    problems = []
    if len(bars) != min(WEAKEST_BARS, len(expected)):
        problems.append(f"{len(bars)} bars, the rule gives {min(WEAKEST_BARS, len(expected))} "
                        f"({len(expected)} moment-groups with a tier not met, at most {WEAKEST_BARS})")
    shown = []
    for label, value in bars:
        group = labelled(label, candidates)
        if group not in by_group:
            problems.append(f"bar {label!r}: {'no moment-group' if group is None else '/'.join(group)} with a "
                            "tier not met")
            continue
        weak = by_group[group]
        shown.append(weak)
        CHECKED["report weakest figure"][run.name] += 2  # its value and its place
        if not np.isclose(value, weak.value, rtol=1e-6, atol=1e-9):
            problems.append(f"{weak.label}: bar at {value}, oracle {weak.value}")
    if len(set(shown)) != len(shown):
        problems.append(f"a moment-group has several bars: {[w.label for w in shown]}")

    def before(a, b) -> bool:  # a ranks strictly before b (values equal to a millionth are ties)
        return a.critical > b.critical or (a.critical == b.critical and
                                           a.value > b.value + 1e-6 * max(1.0, abs(b.value)))

    problems += [f"{b.label} ({b.value:.3f}) shown before {a.label} ({a.value:.3f})"
                 for b, a in zip(shown, shown[1:]) if before(a, b)]
    if shown:
        problems += [f"{w.label} ({w.value:.3f}) left out, but it ranks before {shown[-1].label}"
                     for w in expected if w not in shown and before(w, shown[-1])]
    else:
        problems += [f"{w.label} left out" for w in expected[:WEAKEST_BARS]]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def test_vehicles_csv_equals_an_independent_recomputation_from_the_unit_log(run):
    if "places" not in run.spec or not run.spec.get("places"):
        assert not (run.folder / "vehicles.csv").exists() and not (run.folder / "units.parquet").exists()
        return
    written = pd.read_csv(run.folder / "vehicles.csv")
    expected = oracle_vehicles(pd.read_parquet(run.folder / "units.parquet"), run.spec)
    assert list(written["unit"]) == list(expected["unit"])
    numbers = [c for c in written.columns if c not in ("fleet", "station", "unit")]
    assert set(numbers) == set(expected.columns) - {"fleet", "station", "unit"}
    np.testing.assert_allclose(written[numbers].to_numpy(float), expected[numbers].to_numpy(float), rtol=1e-5, atol=1e-9)
    by_station = expected.groupby("station", sort=False)["rostered_hours_a_day"].sum()
    assert by_station.to_dict() == pytest.approx(rostered_hours_a_day(run.spec, "ambulance"))
    CHECKED["vehicles.csv"][run.name] += written[numbers].size


def test_the_reports_fleet_figure_and_table_equal_an_independent_recomputation(run):
    if not run.spec.get("places"):
        assert "id='fleet'" not in run.page
        return
    stations = oracle_vehicles(pd.read_parquet(run.folder / "units.parquet"), run.spec, by=("fleet", "station"))
    figure = next(f for f in plotly_figures(run.page) if title_text(f["layout"]).startswith("Where each station"))
    labels = [f"{f.replace('_', ' ')} · {s.replace('_', ' ')}" for f, s in zip(stations["fleet"], stations["station"])]
    states = ("at station", "mobilising", "to patient", "on scene", "to hospital", "at hospital", "clearing", "returning")
    assert [t["name"] for t in figure["data"]] == list(states)
    for trace in figure["data"]:
        shown = dict(zip(plotly_array(trace["y"]), plotly_array(trace["x"])))
        expected = stations[f"{trace['name'].replace(' ', '_')}_hours_a_day"]
        assert [shown[label] for label in labels] == pytest.approx(list(expected), rel=1e-9, abs=1e-9)
        CHECKED["report fleet figure"][run.name] += len(labels)
    start, end = section(run.page, "fleet")
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>",
                      run.page[start:end])
    assert len(rows) == len(stations)
    for cells, (_, s) in zip(rows, stations.iterrows()):
        cells = [html.unescape(c) for c in cells]
        assert cells[1] == s["station"].replace("_", " ")
        assert float(cells[2].replace(",", "")) == pytest.approx(s["rostered_hours_a_day"], abs=0.05)
        assert not interval_problems(cells[3], (100 * s["utilisation"], 100 * s["utilisation_ci_low"],
                                                100 * s["utilisation_ci_high"]), "%")
        assert float(cells[4].replace(",", "")) == pytest.approx(s["run_over_hours_a_day"], abs=0.05)
        assert float(cells[5].replace(",", "")) == pytest.approx(s["cost_a_day"], abs=0.5)
        CHECKED["report fleet table"][run.name] += 6

