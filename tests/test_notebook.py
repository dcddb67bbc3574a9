"""The students' notebook runs top to bottom, shows real tables (patients who arrived, a
comparison with rows), and exported to HTML with ``jupyter nbconvert --to html`` keeps its
figures: plotly.js embedded once, every figure drawn with no network."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"
CHROMIUM = Path(os.environ.get("PATIENTFLOW_CHROMIUM", "/usr/bin/chromium"))
PLOTLY = "application/vnd.plotly.v1+json"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook run top to bottom, saved beside its HTML export."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    folder = tmp_path_factory.mktemp("notebook")
    path = folder / "quickstart.ipynb"
    nbformat.write(notebook, path)
    return notebook, path


def outputs_of(notebook, needle: str) -> list[dict]:
    """The outputs of the one code cell whose source contains ``needle``."""
    cells = [c for c in notebook.cells if c.cell_type == "code" and needle in c.source]
    assert len(cells) == 1, needle
    return cells[0].get("outputs", [])


def html_table(outputs: list[dict]) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the DataFrame an output shows as HTML (the index as the first cell)."""
    table = next(o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {}))
    cells = lambda row, tag: [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", row, re.S)]
    head = cells(re.search(r"<thead>(.*?)</thead>", table, re.S).group(1), "th")
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    return head, [cells(row, "t[hd]") for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def shown_text(notebook, needle: str) -> str:
    return "\n".join(o.get("data", {}).get("text/plain", "") for o in outputs_of(notebook, needle))


@pytest.mark.slow
def test_the_quickstart_notebook_runs_top_to_bottom(executed):
    notebook, _path = executed
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    figures = [o for o in outputs if PLOTLY in o.get("data", {})]
    assert len(figures) >= 7
    assert all("text/html" in o["data"] for o in figures), "each figure also as HTML, for the export"


@pytest.mark.slow
def test_the_notebook_shows_patients_who_arrived_and_a_comparison_with_rows(executed):
    notebook, _path = executed
    head, rows = html_table(outputs_of(notebook, "arrived = patients["))
    assert len(rows) == 5 and "arrived" in head
    assert all(not r[head.index("stream")].startswith("initial:") for r in rows)
    assert all(float(r[head.index("arrived")]) >= 3 * 1440 for r in rows), "patients who arrived after the warm-up"
    for needle in ("table[table.counts]", "cmp.scorecard()", "costs = cmp.costs()"):
        text = shown_text(notebook, needle)
        assert text and not text.startswith("Empty DataFrame"), f"{needle}: {text[:200]}"
        assert len([line for line in text.splitlines() if re.match(r"^\d+\s", line)]) >= 1, needle
    counted = shown_text(notebook, "table[table.counts]")
    assert "evening triage nurse" in counted and "ED arrival to triage" in counted
    hours = [o for o in outputs_of(notebook, "hour_figure(") if PLOTLY in o.get("data", {})]
    assert len(hours) == 1 and len(hours[0]["data"][PLOTLY]["data"]) >= 2


@pytest.mark.slow
def test_the_notebook_exported_to_html_keeps_its_figures_offline(executed, tmp_path):
    pytest.importorskip("nbconvert")
    notebook, path = executed
    done = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", str(path), "--output-dir", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "quickstart.html").read_text(encoding="utf-8")
    figures = sum(PLOTLY in o.get("data", {}) for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert page.count("Plotly.newPlot(") == figures >= 7
    assert len(re.findall(r"plotly\.js v\d", page)) == 1, "plotly.js embedded once"
    assert not re.search(r"<script[^>]+src=[\"']https?://cdn\.plot\.ly", page), "no plotly.js from the network"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM}: the figures were not drawn")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context()
            context.route(re.compile(r"^(https?|wss?)://"), lambda route: route.abort())  # offline
            page_ = context.new_page()
            page_.goto((tmp_path / "quickstart.html").as_uri(), wait_until="load")
            page_.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {figures}",
                                    timeout=60_000)
            drawn = page_.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                                   ".filter(d => d._fullLayout && d.querySelector('svg.main-svg')).length")
        finally:
            browser.close()
    assert drawn == figures
