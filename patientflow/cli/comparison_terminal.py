"""What ``patientflow compare`` prints: a sentence per scenario (the targets it changes first),
then each scenario's targets that flip and its changes that count, as tables."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..experiment.comparison_text import STATISTIC_WORDS, flip_text, plain_lines
from ..report.comparison_page import changes_that_count, patients_text
from ..units import change_text, value_text

COLOUR = {"improved": "green", "worsened": "red", "better": "green", "worse": "red", "too few patients": "yellow"}


def print_comparison(comparison, tables) -> None:
    """A sentence per scenario, then its targets that flip and its changes that count
    (``tables``: the comparison's tables, as written to its folder)."""
    console = Console(width=140)
    for line in plain_lines(comparison, tables.table, tables.scorecard, tables.costs):
        console.print(escape(line))
    for name in comparison.names[1:]:
        flips = tables.scorecard[tables.scorecard.scenario == name]
        if len(flips):
            console.print(flips_table(flips, f"{name}: targets that flip against {comparison.baseline}"))
        console.print(changes_table(tables.table[tables.table.scenario == name],
                                    f"{name}: changes that count against {comparison.baseline} "
                                    f"(at least {comparison.threshold.text()})"))


def flips_table(flips, title: str) -> Table:
    t = Table(title=escape(title))
    for column in ("target", "baseline", "scenario", "difference (95 % CI)", "patients a replication"):
        t.add_column(column)
    for r in flips.itertuples():
        t.add_row(f"[{COLOUR[r.direction]}]{escape(flip_text(r))}[/]", value_text(r.baseline_value, r.unit),
                  value_text(r.value, r.unit), change_text(r.difference, r.ci_low, r.ci_high, r.unit),
                  patients_text(r.patients, r.small_group))
    return t


def changes_table(rows, title: str) -> Table:
    t = Table(title=escape(title))
    for column in ("moment", "group", "statistic", "baseline", "difference (95 % CI)", "verdict"):
        t.add_column(column)
    for r in changes_that_count(rows).itertuples():
        t.add_row(escape(r.title), escape(r.group), f"{STATISTIC_WORDS[r.statistic]} {r.tier}".strip(),
                  value_text(r.baseline_value, r.unit), change_text(r.difference, r.ci_low, r.ci_high, r.unit),
                  f"[{COLOUR.get(r.verdict, 'default')}]{r.verdict}[/]")
    return t
