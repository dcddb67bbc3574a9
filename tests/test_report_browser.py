"""The HTML reports as a reader sees them: opened in headless Chromium (Debian's, driven by
Playwright), with no network, every figure drawn, scenario text escaped, and the numbers shown
equal to those in the CSV files.

Needs /usr/bin/chromium (``bash scripts/install-browser.sh``, which scripts/test.sh calls) and
Playwright for Python (the ``test`` extra). Without them these tests skip, except under CI=true,
where they fail. Full-page screenshots are left in reports/screenshots/ for review.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers import write

CHROMIUM = Path(os.environ.get("PATIENTFLOW_CHROMIUM", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "reports" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL = ("file:", "data:", "blob:", "about:")

INJECTION = "<script>window.__pwned=1</script>"
BASE = f"""
name: "Small ED {INJECTION}"
description: "Escaping check: <b>not bold</b> & {INJECTION}"
run: {{length: 3d, warm_up: 12h, replications: 3, seed: 4}}
stages: {{reception: "Emergency reception {INJECTION}", treatment: Treatment, outcome: Outcome}}
demand:
  walk_ins: {{per_day: 120, pathway: ed, mix: {{acuity: {{1: 0.1, 2: 0.3, 3: 0.6}}}}}}
resources:
  nurse:  {{roster: {{"08:00-20:00": 2, "20:00-08:00": 1}}, cost_per_hour: 30}}
  doctor: {{count: 3, queue: acuity, cost_per_hour: 90}}
pathways:
  ed:
    - triage: {{mark: ed_arrival, use: nurse, takes: exponential(4min)}}
    - assessment: {{use: doctor, takes: lognormal(mean 25min, sd 10min),
                   gives_up_after: exponential(6h), gives_up_as: left_without_being_seen}}
moments:
  to_triage: {{stage: reception, from: ed_arrival, to: triage.start, target: 95% within 15min,
              title: "Arrival to triage {INJECTION}"}}
  to_doctor: {{stage: treatment, from: ed_arrival, to: assessment.start, by: acuity, critical: true,
              target: {{1: 100% within 10min, 2: 90% within 60min, 3: 90% within 120min}}}}
  unseen: {{stage: treatment, kind: share, from: ed_arrival, outcome: left_without_being_seen,
           target: at most 5%}}
journey: {{stage: outcome, target: at least 80%}}
"""
MORE_DOCTORS = """
name: Five doctors
extends: base.yaml
resources:
  doctor: {count: 5}
"""
FASTER_TRIAGE = """
name: Faster triage
extends: base.yaml
pathways:
  ed: {triage: {takes: exponential(2min)}}
"""


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason}: under CI=true the browser tests must run "
                    "(scripts/test.sh installs Chromium with scripts/install-browser.sh)", pytrace=False)
    pytest.skip(f"{reason}: browser tests skipped (as root on Debian: bash scripts/install-browser.sh; "
                "and pip install -e '.[test]' for Playwright)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A persistent Chromium context with a fresh user data directory."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=ARGS, viewport={"width": 1280, "height": 900}, service_workers="block")
        # nothing may leave the machine: any network request is recorded (below) and refused here
        context.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())
        try:
            yield context
        finally:
            context.close()


def cli(*args, cwd):
    done = subprocess.run([sys.executable, "-m", "patientflow.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def reports(browser, tmp_path_factory):
    """report.html of the base scenario and comparison.html of two variants against it, with their CSVs."""
    folder = tmp_path_factory.mktemp("browser-reports")
    base = write(folder, BASE, "base.yaml")
    more = write(folder, MORE_DOCTORS, "more_doctors.yaml")
    faster = write(folder, FASTER_TRIAGE, "faster_triage.yaml")
    cli("run", base, "--out", folder / "run", "-r", 3, "--jobs", 1, cwd=folder)
    cli("compare", base, more, faster, "--out", folder / "compare", "-r", 3, "--jobs", 1, cwd=folder)
    cli("optimise", base, "--vary", "doctor=-1..+1", "--vary", "nurse=0..+1", "--out", folder / "optimise",
        "--jobs", 1, cwd=folder)
    return {"report": folder / "run" / "report.html", "comparison": folder / "compare" / "comparison.html",
            "optimisation": folder / "optimise" / "optimisation.html"}


class Opened:
    """A report open in the browser, with what happened while it loaded."""

    def __init__(self, context, path: Path):
        self.path = path
        self.page = context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.console: list[tuple[str, str]] = []  # every console message: (type, text)
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda w: self.requests.append(w.url))
        self.page.goto(path.as_uri(), wait_until="load", timeout=60_000)
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('.plotly-graph-div')]"
            ".every(d => d._fullLayout && d.querySelector('svg.main-svg'))", timeout=60_000)

    def figures(self) -> list[dict]:
        """Each plotly figure: its title, its traces and their points (decoded data), drawn marks."""
        return self.page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
            const count = t => Math.max(0, ...[t._length, t.x && t.x.length, t.y && t.y.length,
                t.z && t.z.length, t.values && t.values.length, t.link && t.link.value && t.link.value.length,
                t.node && t.node.label && t.node.label.length].filter(v => typeof v === 'number'));
            const title = gd._fullLayout.title && gd._fullLayout.title.text;
            return {title: title || '', data: (gd.data || []).length,
                    points: (gd._fullData || []).map(count), svg: gd.querySelectorAll('svg.main-svg').length};
        })""")

    def tables(self) -> list[dict]:
        """Every table: its header cells and the text of each row's cells."""
        return self.page.evaluate("""() => [...document.querySelectorAll('table')].map(t => ({
            head: [...t.querySelectorAll('tr')].slice(0, 1).flatMap(r => [...r.querySelectorAll('th')])
                  .map(c => c.innerText.trim()),
            rows: [...t.querySelectorAll('tr')].filter(r => r.querySelector('td'))
                  .map(r => [...r.querySelectorAll('td')].map(c => c.innerText.trim())),
        }))""")


@pytest.fixture(scope="module")
def pages(browser, reports):
    opened = {kind: Opened(browser, path) for kind, path in reports.items()}
    yield opened
    for o in opened.values():
        o.page.close()


KINDS = ["report", "comparison", "optimisation"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_report_opens_without_errors_and_draws_every_figure_with_data(pages, kind):
    opened = pages[kind]
    assert opened.errors == []
    figures = opened.figures()
    in_file = opened.path.read_text(encoding="utf-8").count('class="plotly-graph-div"')
    assert len(figures) == in_file, "every figure div in the file is a drawn plotly figure"
    expected = {"report": 3, "comparison": 2, "optimisation": 3}[kind]  # a figure per stage / variant; the search
    assert len(figures) >= expected
    for fig in figures:
        assert fig["svg"] > 0, f"figure {fig['title']!r} was not drawn"
        assert fig["data"] >= 1 and max(fig["points"], default=0) > 0, f"figure {fig['title']!r} has no data"
    print(f"{kind}: {len(figures)} figures, {sum(sum(f['points']) for f in figures)} points")


@pytest.mark.parametrize("kind", KINDS)
def test_the_report_makes_no_network_request(pages, kind):
    opened = pages[kind]
    assert opened.requests, "the page load itself is recorded"
    assert [url for url in opened.requests if not url.startswith(LOCAL)] == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_full_page_screenshot_is_left_for_review(pages, kind, capsys):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{kind}.png"
    pages[kind].page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    with capsys.disabled():
        print(f"\nscreenshot of {kind}.html: {path}")


@pytest.mark.parametrize("kind", KINDS)
def test_scenario_text_is_escaped(pages, kind):
    page = pages[kind].page
    assert page.evaluate("typeof window.__pwned") == "undefined"
    injected = page.evaluate("""() => [...document.querySelectorAll('script')]
        .filter(s => s.textContent.trim() === 'window.__pwned=1').length""")
    assert injected == 0
    text = page.evaluate("""() => document.body.innerText + '\\n' +
        [...document.querySelectorAll('svg text')].map(t => t.textContent).join('\\n')""")
    assert "&lt;" not in text and "&amp;" not in text, "scenario text is escaped twice"
    if kind == "report":
        assert page.title().startswith(f"Small ED {INJECTION}")
        assert page.inner_text("h1") == f"Small ED {INJECTION}"
        assert f"Escaping check: <b>not bold</b> & {INJECTION}" in text
        assert page.locator("b", has_text="not bold").count() == 0
        for line in (line for line in text.splitlines() if "__pwned" in line):
            assert INJECTION in line, f"a name shown broken: {line!r}"
        assert f"Arrival to triage {INJECTION}" in text  # a moment's title, as text
        assert f"Emergency reception {INJECTION}" in text  # a stage's title, as text
    if kind == "optimisation":
        assert page.title() == f"Optimised rosters for Small ED {INJECTION}"


# --- the numbers shown are those of the CSV files --------------------------------------------------

NUMBER = re.compile(r"[-+−]?\d[\d,]*(?:\.\d+)?")


def numbers(cell: str) -> list[str]:
    return NUMBER.findall(cell)


def same(shown: str, value: float, scale: float = 1.0) -> bool:
    """Whether a number as shown is the CSV value rounded to the decimals shown (the CSV keeps six
    significant digits, so its own rounding is allowed for)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    x = float(shown.replace(",", "").replace("−", "-"))
    return abs(x - value * scale) <= 0.5 * 10 ** -decimals * (1 + 1e-9) + abs(value * scale) * 1e-5


def table_with(opened: Opened, *patterns: str) -> tuple[dict, dict]:
    """The table whose header cells match every pattern, and the column of each pattern."""
    for table in opened.tables():
        columns = {}
        for pattern in patterns:
            hits = [i for i, h in enumerate(table["head"]) if re.search(pattern, h, re.I)]
            if hits:
                columns[pattern] = hits[0]
        if len(columns) == len(patterns):
            return table, columns
    raise AssertionError(f"no table with columns {patterns} in {opened.path.name}: "
                         f"{[t['head'] for t in opened.tables()]}")


def test_the_summary_table_shows_the_numbers_of_summary_csv(pages, reports):
    summary = pd.read_csv(reports["report"].parent / "summary.csv", dtype={"group": str, "tier": str, "title": str},
                          keep_default_na=False, na_values={c: [""] for c in ("n", "within_target",
                                                                                  "within_target_ci_low",
                                                                                  "within_target_ci_high")})
    table, col = table_with(pages["report"], "^moment", "^group", "^tier", r"^patients per", "^within target")
    rows = table["rows"]
    assert len(rows) == len(summary)
    checked = 0
    for _, r in summary.iterrows():
        match = [row for row in rows if row[col["^moment"]] in (r["title"], r["moment"])
                 and row[col["^group"]] == r["group"] and row[col["^tier"]] == r["tier"]]
        assert len(match) == 1, f"row {r['moment']} {r['group']} {r['tier']}: {match}"
        row = match[0]
        n = numbers(row[col[r"^patients per"]])
        assert len(n) == 1 and same(n[0], r["n"]), (r["moment"], r["group"], row[col[r"^patients per"]], r["n"])
        within = row[col["^within target"]]
        if math.isnan(r["within_target"]):
            assert numbers(within) == [], within
            continue
        shown = numbers(within)
        expected = [r["within_target"], r["within_target_ci_low"], r["within_target_ci_high"]]
        assert "%" in within and len(shown) == 3, within
        assert all(same(s, v, 100) for s, v in zip(shown, expected)), (r["moment"], r["group"], within, expected)
        checked += 1
    assert checked >= 5


def test_the_comparison_page_logs_no_warning(pages):
    """Plotly warns on the console (as a trace) when a figure gives it a colour it cannot use."""
    assert [m for m in pages["comparison"].console if m[0] in ("error", "warning", "trace")] == []


def test_the_comparison_tables_show_the_numbers_of_comparison_csv(pages, reports):
    folder = reports["comparison"].parent
    table = pd.read_csv(folder / "comparison.csv", dtype={"group": str, "tier": str}, keep_default_na=False,
                        na_values={c: [""] for c in ("baseline_value", "difference", "ci_low", "ci_high")})
    shown_rows = table[(table["counts"].astype(str) == "True") | (table["verdict"] == "too few patients")]
    assert len(shown_rows) >= 2, "the scenario with more doctors waits less, by more than the threshold"
    shown, col = table_with(pages["comparison"], "^scenario", "^moment", "^group", "^statistic", "^baseline",
                            "^difference", "^verdict")
    rows = shown["rows"]
    assert len(rows) == len(shown_rows)
    words = {"p90": "90th centile", "mean": "mean", "share": "share", "within_target": "within target"}
    for _, r in shown_rows.iterrows():
        match = [row for row in rows if row[col["^scenario"]] == r["scenario"] and row[col["^moment"]] == r["title"]
                 and row[col["^group"]] == r["group"] and row[col["^statistic"]].startswith(words[r["statistic"]])
                 and r["tier"] in row[col["^statistic"]]]
        assert len(match) == 1, f"{r['scenario']} {r['moment']} {r['group']} {r['statistic']} {r['tier']}: {match}"
        row = match[0]
        scale = 100 if r["unit"] == "share" else 1
        base = numbers(row[col["^baseline"]])
        assert len(base) == 1 and same(base[0], r["baseline_value"], scale), (row, r["baseline_value"])
        diff = numbers(row[col["^difference"]])
        expected = [r["difference"], r["ci_low"], r["ci_high"]]
        assert len(diff) == 3 and all(same(s, v, scale) for s, v in zip(diff, expected)), (row, expected)
        assert row[col["^verdict"]] == r["verdict"]
    costs = pd.read_csv(folder / "costs.csv")
    shown, col = table_with(pages["comparison"], "^scenario", "^staff cost", "^places cost", "^total cost", "^journeys")
    assert [row[col["^scenario"]] for row in shown["rows"]] == list(costs["scenario"])
    for row, r in zip(shown["rows"], costs.itertuples()):
        for pattern, value in (("^staff cost", r.staff_cost_per_week), ("^places cost", r.places_cost_per_week),
                               ("^total cost", r.cost_per_week)):
            assert [same(s, value) for s in numbers(row[col[pattern]])] == [True]
        journey = numbers(row[col["^journeys"]])
        expected = [r.journey, r.journey_ci_low, r.journey_ci_high]
        assert len(journey) == 3 and all(same(s, v, 100) for s, v in zip(journey, expected)), (row, expected)


def test_the_optimisation_tables_show_the_numbers_of_its_csv_files(pages, reports):
    folder = reports["optimisation"].parent
    candidates = pd.read_csv(folder / "candidates.csv", keep_default_na=False)
    table, col = table_with(pages["optimisation"], "^#", "^changes", "^cost per week", "^replications", "^verdict")
    assert len(table["rows"]) == len(candidates)
    for cells, (_, c) in zip(table["rows"], candidates.iterrows()):
        assert cells[col["^changes"]] == c["changes"]
        assert same(cells[col["^cost per week"]], c["cost_per_week"])
        assert int(cells[col["^replications"]]) == c["replications"]
        assert cells[col["^verdict"]] == c["verdict"]
    rosters = pd.read_csv(folder / "rosters.csv")
    changed = rosters[rosters.change != 0]
    table, col = table_with(pages["optimisation"], "^resource", "^shift", "^input", "^optimised", "^change")
    if changed.empty:
        assert table["rows"] == [["no change"]]
    else:
        assert [[r[col["^resource"]], int(r[col["^input"]]), int(r[col["^optimised"]])] for r in table["rows"]] == \
            [[r.resource, r.input, r.optimised] for r in changed.itertuples()]
