"""What ``patientflow compare`` writes, from Python: one folder per comparison, its outputs all
together or none (:func:`compare_to_folder`).

The folder holds ``comparison.html`` and the tables it shows: ``comparison.csv`` (every paired
difference and its verdict), ``scorecard.csv`` (the targets that flip), ``costs.csv`` (staff and
places a week, the journey outcome) and ``by_hour.csv`` (roster changes by hour of day).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..experiment import output
from ..experiment.lock import locked
from .comparison_page import render_comparison

FILES = ("comparison.html", "comparison.csv", "scorecard.csv", "costs.csv", "by_hour.csv")


@dataclass
class ComparisonTables:
    """The tables of a comparison, computed once for the files, the page and the terminal."""

    table: object
    scorecard: object
    costs: object
    hours: object


def comparison_tables(comparison) -> ComparisonTables:
    return ComparisonTables(comparison.table(), comparison.scorecard(), comparison.costs(), comparison.by_hour())


def compare_to_folder(comparison, folder: Path) -> ComparisonTables:
    """Write the comparison's page and tables into ``folder`` (locked while it writes)."""
    t = comparison_tables(comparison)
    with locked(folder), output.staged(folder) as stage:  # one run at a time; every output together, or none
        output.csv_to(stage.path("comparison.csv"), t.table)
        output.csv_to(stage.path("scorecard.csv"), t.scorecard)
        output.csv_to(stage.path("costs.csv"), t.costs)
        output.csv_to(stage.path("by_hour.csv"), t.hours)
        page = render_comparison(comparison, t.table, t.scorecard, t.costs, t.hours)
        stage.path("comparison.html").write_text(page, encoding="utf-8")
    return t
