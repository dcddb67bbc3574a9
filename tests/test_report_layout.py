"""Pages fit for a board paper: in every figure of every page, at 1400 and 1024 px, no visible
text overlaps another and none runs past its figure's edge; no page logs an error; every line and
bar takes its colour from the one palette; the baseline's report at 20 replications stays small.

The texts are measured in Chromium (Debian's, driven by Playwright): each visible SVG text of a
plotly figure as the rectangle it covers on the screen, turned with the text (a y-axis title is
upright). Hover labels and hidden text (no characters, ``display: none``, ``visibility: hidden``,
opacity 0) are left out. Two rectangles overlap when they share more than ``TOLERANCE`` pixels
each way (a glyph's box is a little taller than its ink); a text is clipped when a corner lies
more than ``TOLERANCE`` pixels outside its figure. A planted overlap and a planted clipped label
show that the measure catches them, and each page must have a least number of texts measured.

``python tests/test_report_layout.py PAGE.html ... [--figures]`` prints each page's counts (and
with ``--figures`` leaves a picture of every figure beside the page).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from test_report_browser import browser  # noqa: F401  (headless Chromium, the network refused)

TOLERANCE = 1.0  # pixels
WIDTHS = (1400, 1024)

PROBE = """(tolerance) => {
  const hidden = (el, gd) => {
    for (let e = el; e && e !== gd; e = e.parentElement) {
      if (e.classList && (e.classList.contains('hoverlayer') || e.classList.contains('hovertext'))) return true;
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return true;
    }
    const s = getComputedStyle(el);
    return parseFloat(s.fillOpacity) === 0 || s.fill === 'none' && !parseFloat(s.strokeWidth);
  };
  const rect = t => {  // the text's own box, its corners on the screen
    const b = t.getBBox(), m = t.getScreenCTM();
    const at = (x, y) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f];
    return [at(b.x, b.y), at(b.x + b.width, b.y), at(b.x + b.width, b.y + b.height), at(b.x, b.y + b.height)];
  };
  const shape = c => {  // centre, unit axes and half-lengths, each shrunk by the tolerance
    const u = [c[1][0] - c[0][0], c[1][1] - c[0][1]], v = [c[3][0] - c[0][0], c[3][1] - c[0][1]];
    const lu = Math.hypot(...u) || 1, lv = Math.hypot(...v) || 1;
    return {c: [(c[0][0] + c[2][0]) / 2, (c[0][1] + c[2][1]) / 2], u: [u[0] / lu, u[1] / lu],
            v: [v[0] / lv, v[1] / lv], hu: lu / 2 - tolerance, hv: lv / 2 - tolerance};
  };
  const overlap = (p, q) => {  // separating axes of two rectangles
    if (p.hu <= 0 || p.hv <= 0 || q.hu <= 0 || q.hv <= 0) return false;
    const d = [q.c[0] - p.c[0], q.c[1] - p.c[1]], dot = (a, b) => Math.abs(a[0] * b[0] + a[1] * b[1]);
    return [p.u, p.v, q.u, q.v].every(a =>
      dot(d, a) < p.hu * dot(p.u, a) + p.hv * dot(p.v, a) + q.hu * dot(q.u, a) + q.hv * dot(q.v, a));
  };
  return [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
    const box = gd.getBoundingClientRect();
    const texts = [...gd.querySelectorAll('svg.main-svg text')]
      .filter(t => t.textContent.trim() && !hidden(t, gd))
      .map(t => ({text: t.textContent.trim().slice(0, 80), corners: rect(t)}))
      .filter(t => t.corners.some(([x, y]) => x !== t.corners[0][0] || y !== t.corners[0][1]));
    const shapes = texts.map(t => shape(t.corners));
    const overlaps = [];
    for (let i = 0; i < texts.length; i++)
      for (let j = i + 1; j < texts.length; j++)
        if (overlap(shapes[i], shapes[j])) overlaps.push([texts[i].text, texts[j].text]);
    const clipped = texts.filter(t => t.corners.some(([x, y]) =>
      x < box.left - tolerance || x > box.right + tolerance || y < box.top - tolerance || y > box.bottom + tolerance))
      .map(t => t.text);
    const title = gd._fullLayout && gd._fullLayout.title && gd._fullLayout.title.text || '';
    return {title: title.replace(/<[^>]+>/g, ' ').slice(0, 90), texts: texts.length, overlaps, clipped,
            width: box.width};
  });
}"""

RESIZE = """async () => {
  await Promise.all([...document.querySelectorAll('.js-plotly-plot')].map(gd => Plotly.Plots.resize(gd)));
}"""


def at_width(page, width: int, height: int = 900) -> None:
    """The page drawn for a window ``width`` pixels wide (every figure resized to its container)."""
    page.set_viewport_size({"width": width, "height": height})
    page.evaluate(RESIZE)


def probe(page) -> list[dict]:
    """Every figure's visible texts on the page as drawn now: their number, the overlapping pairs and
    the clipped ones."""
    return page.evaluate(PROBE, TOLERANCE)


def counts(found: list[dict]) -> tuple[int, int, int]:
    """(texts, overlapping pairs, clipped texts) over a page's figures."""
    return (sum(f["texts"] for f in found), sum(len(f["overlaps"]) for f in found),
            sum(len(f["clipped"]) for f in found))



# --- the tests ---

PAGES = ("report", "comparison", "optimisation", "actual", "check_fit")
LEAST_TEXTS = {"report": 150, "comparison": 30, "optimisation": 30, "actual": 150, "check_fit": 80}  # per page
LEAST_PER_FIGURE = 3  # a figure drawn with fewer texts than this was not measured
EXAMPLE_LOG = Path(__file__).resolve().parents[1] / "examples" / "event_log"
BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
SIZE_LIMIT = 6_000_000  # bytes of report.html at 20 replications of the baseline, plotly.js inlined
LOADED = ("() => [...document.querySelectorAll('.plotly-graph-div')]"
          ".every(d => d._fullLayout && d.querySelector('svg.main-svg'))")


def cli(*args, cwd=None) -> None:
    done = subprocess.run([sys.executable, "-m", "patientflow.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def page_files(tmp_path_factory) -> dict[str, Path]:
    """One page of each kind: a small run, its comparison and optimisation (the browser tests'
    scenarios), and the example event log's report and check-fit."""
    from helpers import write
    from test_report_browser import BASE, FASTER_TRIAGE, MORE_DOCTORS

    folder = tmp_path_factory.mktemp("layout-pages")
    base = write(folder, BASE, "base.yaml")
    more, faster = write(folder, MORE_DOCTORS, "more_doctors.yaml"), write(folder, FASTER_TRIAGE, "faster_triage.yaml")
    cli("run", base, "--out", folder / "run", "-r", 3, "--jobs", 1, cwd=folder)
    cli("compare", base, more, faster, "--out", folder / "compare", "-r", 3, "--jobs", 1, cwd=folder)
    cli("optimise", base, "--vary", "doctor=-1..+1", "--vary", "nurse=0..+1", "--out", folder / "optimise",
        "--jobs", 1, cwd=folder)
    log = EXAMPLE_LOG / "ed_attendances.csv"
    cli("report-actual", log, "--out", folder / "actual", cwd=EXAMPLE_LOG.parents[1])
    cli("check-fit", log, EXAMPLE_LOG / "scenario.yaml", "-r", 3, "--jobs", 1, "--out", folder / "check_fit",
        cwd=EXAMPLE_LOG.parents[1])
    return {"report": folder / "run" / "report.html", "comparison": folder / "compare" / "comparison.html",
            "optimisation": folder / "optimise" / "optimisation.html", "actual": folder / "actual" / "report.html",
            "check_fit": folder / "check_fit" / "check_fit.html"}


class Shown:
    """A page open in the browser, with every console message and page error while it loaded."""

    def __init__(self, context, path: Path):
        self.page = context.new_page()
        self.console: list[tuple[str, str]] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.console.append(("pageerror", str(e))))
        self.page.goto(path.as_uri(), wait_until="load", timeout=120_000)
        self.page.wait_for_function(LOADED, timeout=120_000)
        self.measured = {width: self.measure(width) for width in WIDTHS}

    def measure(self, width: int) -> list[dict]:
        at_width(self.page, width)
        return probe(self.page)


@pytest.fixture(scope="module")
def shown(browser, page_files) -> dict[str, Shown]:
    pages = {kind: Shown(browser, path) for kind, path in page_files.items()}
    yield pages
    for p in pages.values():
        p.page.close()


def problems(found: list[dict]) -> list[str]:
    return [f"{f['title']!r}: overlapping {pair}" for f in found for pair in f["overlaps"]] + \
        [f"{f['title']!r}: clipped {text!r}" for f in found for text in f["clipped"]]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", PAGES)
def test_no_text_of_any_figure_overlaps_another_or_runs_past_its_edge(shown, kind, width):
    found = shown[kind].measured[width]
    assert found, f"no figure on the {kind} page"
    texts, _pairs, _clipped = counts(found)
    assert texts >= LEAST_TEXTS[kind], f"only {texts} texts measured on the {kind} page"
    assert [f["title"] for f in found if f["texts"] < LEAST_PER_FIGURE] == []
    assert problems(found) == []


def test_the_measure_catches_a_planted_overlap_and_a_planted_clipped_label(browser, page_files):
    """The negative control: labels planted on a figure of the report, one on its title and one
    past its right edge; and a label turned upright, with one beside it that only its unturned box
    would hit and one above it that only its turned box hits."""
    page = Shown(browser, page_files["report"]).page
    at_width(page, 1024)
    before = probe(page)
    page.evaluate("""() => {
        const gd = [...document.querySelectorAll('.js-plotly-plot')].find(d => d._fullLayout.title.text);
        const notes = [...(gd.layout.annotations || []),
            {text: 'PLANTED OVER THE TITLE', xref: 'paper', yref: 'container', x: 0.02, y: 0.98, xanchor: 'left',
             yanchor: 'top', showarrow: false, font: {size: 16}},
            {text: 'PLANTED PAST THE EDGE', xref: 'paper', yref: 'paper', x: 1.3, y: 0.5, showarrow: false},
            {text: 'TURNED', xref: 'paper', yref: 'paper', x: 0.5, y: 0.5, textangle: -90, showarrow: false,
             font: {size: 14}},
            {text: 'BESIDE', xref: 'paper', yref: 'paper', x: 0.5, y: 0.5, xshift: 40, showarrow: false,
             font: {size: 14}},
            {text: 'ABOVE', xref: 'paper', yref: 'paper', x: 0.5, y: 0.5, yshift: 24, showarrow: false,
             font: {size: 14}}];
        return Plotly.relayout(gd, {annotations: notes, 'margin.r': 10});
    }""")
    after = probe(page)
    pairs = [pair for f in after for pair in f["overlaps"]]
    clipped = [text for f in after for text in f["clipped"]]
    assert any("PLANTED OVER THE TITLE" in pair for pair in pairs), pairs
    assert "PLANTED PAST THE EDGE" in clipped
    assert not any({"TURNED", "BESIDE"} <= set(pair) for pair in pairs), "a turned label measured upright"
    assert any({"TURNED", "ABOVE"} <= set(pair) for pair in pairs), "a turned label measured upright"
    assert counts(after)[0] == counts(before)[0] + 5
    page.close()


@pytest.mark.parametrize("kind", PAGES)
def test_no_page_logs_an_error_or_a_warning(shown, kind):
    assert [m for m in shown[kind].console if m[0] in ("error", "warning", "trace", "pageerror")] == []


def palette_colours() -> set[str]:
    from patientflow.report import palette
    return {v.lower() for v in vars(palette).values() if isinstance(v, str) and v.startswith("#")} | \
        {c.lower() for v in vars(palette).values() if isinstance(v, (tuple, dict))
         for c in (v.values() if isinstance(v, dict) else v) if isinstance(c, str) and c.startswith("#")}


COLOURS = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(gd => (gd.data || [])
    .filter(t => ['scatter', 'bar'].includes(t.type || 'scatter') && t.visible !== false
                 && !(t.marker && t.marker.opacity === 0))
    .map(t => ({figure: (gd._fullLayout.title.text || '').slice(0, 60), trace: t.name || '',
                colours: [].concat(t.marker && t.marker.color || [], t.line && t.line.color || [],
                                  t.textfont && t.textfont.color || [])
                           .filter(c => typeof c === 'string')})))"""


@pytest.mark.parametrize("kind", PAGES)
def test_every_line_and_bar_takes_its_colour_from_the_one_palette(shown, kind):
    allowed = palette_colours() | {"white", "black"}
    traces = shown[kind].page.evaluate(COLOURS)
    assert len(traces) >= 3
    wrong = [t for t in traces if not t["colours"] or any(c.lower() not in allowed for c in t["colours"])]
    assert wrong == []


@pytest.mark.slow
def test_the_baselines_report_at_20_replications_is_small_and_every_text_is_clear(browser, tmp_path_factory, shared_store):
    """The issue's bound: report.html of 20 replications of the baseline at most 6 MB with
    plotly.js inlined (histograms ship binned), and its figures clear at both widths. Its
    replications are the baseline's of tests/test_baseline.py (the same seed), from the
    session's store when that ran first."""
    folder = tmp_path_factory.mktemp("baseline-report")
    cli("run", BASELINE, "--out", folder, "-r", 20, cwd=BASELINE.parents[1])
    report = folder / "report.html"
    size = report.stat().st_size
    assert size <= SIZE_LIMIT, f"report.html is {size:,} bytes"
    page = Shown(browser, report)
    for width in WIDTHS:
        found = page.measured[width]
        assert counts(found)[0] >= 600
        assert problems(found) == [], f"at {width} px"
    assert [m for m in page.console if m[0] in ("error", "warning", "pageerror")] == []
    page.page.close()

def main(paths: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        for path in paths:
            page.goto(Path(path).resolve().as_uri(), wait_until="load", timeout=120_000)
            page.wait_for_function("() => [...document.querySelectorAll('.plotly-graph-div')]"
                                   ".every(d => d._fullLayout && d.querySelector('svg.main-svg'))", timeout=120_000)
            for width in WIDTHS:
                at_width(page, width)
                found = probe(page)
                texts, pairs, clipped = counts(found)
                print(f"{path} at {width}px: {len(found)} figures, {texts} texts, {pairs} overlapping pairs, "
                      f"{clipped} clipped, console errors {len(errors)}")
                for f in found:
                    if f["overlaps"] or f["clipped"]:
                        print(f"   {f['title']!r}: {len(f['overlaps'])} pairs {f['overlaps'][:4]}; "
                              f"clipped {f['clipped'][:4]}")
                if "--shot" in sys.argv:
                    page.screenshot(path=f"{Path(path).with_suffix('')}-{width}.png", full_page=True)
                if "--figures" in sys.argv:  # each figure on its own, to look at
                    for k, div in enumerate(page.query_selector_all(".js-plotly-plot")):
                        div.screenshot(path=f"{Path(path).with_suffix('')}-{width}-fig{k:02d}.png")
        browser.close()


if __name__ == "__main__":
    main([a for a in sys.argv[1:] if not a.startswith("--")])
