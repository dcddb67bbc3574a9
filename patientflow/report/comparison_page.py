"""The comparison page: a decision page, as one self-contained HTML file.

In order: a sentence per scenario (the targets it changes first), the target scorecard (targets
whose verdict flips against the first scenario, critical first), cost — staff apart from places
— against the journey outcome with paired intervals, roster changes hour by hour, the changes
that count (paired interval and practical threshold; groups too small to judge flagged, not
ranked), and every paired difference. The rules are those of
:mod:`patientflow.moments.decision`.
"""

from __future__ import annotations

import html

from ..experiment.comparison_text import STATISTIC_WORDS, plain_lines
from ..moments.decision import COUNTING, RULE, SMALL_GROUP
from ..units import change_text, row_label, value_text
from .comparison_figures import cost_outcome_figure, forest_figure, hour_figure
from .frame import cell_text, figure_html, page_start

__all__ = ["render_comparison", "difference_text", "forest_figure", "changes_that_count"]
CLASS = {"improved": "met", "worsened": "missed", "better": "met", "worse": "missed", "too few patients": "close"}


def _esc(text) -> str:
    return html.escape(str(text))


def _cell(text: str, css: str = "") -> str:
    return f"<td class='{css}'>{_esc(text)}</td>" if css else f"<td>{_esc(text)}</td>"


def patients_text(patients: float, small: bool) -> str:
    """Patients a replication in a row, flagged when too few to judge."""
    return ("–" if patients != patients else f"{patients:,.0f}") + (" · too few to judge" if small else "")


def changes_that_count(table):
    """The rows of the table shown as changes, scenario by scenario: those that count (critical
    moments first, then in the table's order), then those of groups too small to judge, flagged."""
    import pandas as pd

    parts = []
    for _name, rows in table.groupby("scenario", sort=False):
        counting = rows[rows.verdict.isin(COUNTING)].sort_values("critical", ascending=False, kind="stable")
        parts += [counting, rows[rows.verdict == "too few patients"]]
    return pd.concat(parts) if parts else table.iloc[:0]


def scorecard_section(scorecard) -> str:
    if scorecard.empty:
        return "<h2 id='scorecard'>Target scorecard</h2><p>No target changes its verdict in any scenario.</p>"
    rows = "".join(
        "<tr>" + _cell(r.scenario) + _cell(row_label(r.title, r.group, r.tier)) + _cell(cell_text(r.critical))
        + _cell(f"{r.before} → {r.after}", CLASS[r.direction]) + _cell(value_text(r.baseline_value, r.unit))
        + _cell(value_text(r.value, r.unit)) + _cell(change_text(r.difference, r.ci_low, r.ci_high, r.unit))
        + _cell(value_text(r.target, r.unit)) + _cell(patients_text(r.patients, r.small_group)) + "</tr>"
        for r in scorecard.itertuples())
    return f"""<h2 id='scorecard'>Target scorecard</h2>
<p class="rule">Targets whose verdict differs from the baseline's (met: the 95 % interval wholly on the good side
of the target; missed: wholly on the bad side; close: it straddles it), critical moments first. The difference is
paired, in the statistic the target is judged on.</p>
<table><tr><th>scenario</th><th>target</th><th>critical</th><th>verdict (baseline → scenario)</th><th>baseline</th>
<th>scenario value</th><th>difference (95 % CI)</th><th>target value</th><th>patients a replication</th></tr>{rows}</table>"""


def cost_section(costs) -> str:
    rows = "".join(
        "<tr>" + _cell(r.scenario) + _cell(f"{r.staff_cost_per_week:,.0f}") + _cell(f"{r.places_cost_per_week:,.0f}")
        + _cell(f"{r.cost_per_week:,.0f}") + _cell(f"{r.cost_difference:+,.0f}")
        + _cell(f"{cell_text(r.journey, 'share')} ({cell_text(r.journey_ci_low, 'share')} – {cell_text(r.journey_ci_high, 'share')})")
        + _cell("–" if k == 0 else change_text(r.journey_difference, r.journey_difference_ci_low,
                                                r.journey_difference_ci_high, "share")) + "</tr>"
        for k, r in enumerate(costs.itertuples()))
    return f"""<h2 id='cost'>Cost and journey outcome</h2>
<p class="rule">Cost a week of the staff (resources on a roster, or counted people a step uses) apart from the
places (a fixed count that patients keep: beds, cubicles, a fixed fleet). The journey's difference is paired.</p>
<table><tr><th>scenario</th><th>staff cost per week</th><th>places cost per week</th><th>total cost per week</th>
<th>cost difference from the baseline</th><th>journeys meeting every critical moment (95 % CI)</th>
<th>journey difference (paired 95 % CI)</th></tr>{rows}</table>
{figure_html(cost_outcome_figure(costs), True)}"""


def hours_section(comparison, hours) -> str:
    changed = [n for n in comparison.names[1:] if (hours.scenario == n).any()]
    if not changed:
        return ("<h2 id='hours'>Roster changes by hour of day</h2><p>No scenario changes a roster"
                + ("" if comparison.hourly else " (the hourly records were not kept)") + ".</p>")
    figures = "".join(figure_html(hour_figure(hours, n), False) for n in changed)
    return f"""<h2 id='hours'>Roster changes by hour of day: when the change helps</h2>
<p class="rule">For each resource whose roster differs from the baseline's: the change in staff on duty, and the
paired difference in patients waiting for it (its mean queue in that hour of the day, over the measured period).</p>
{figures}"""


def changes_section(table) -> str:
    shown = changes_that_count(table)
    rows = "".join(
        "<tr>" + _cell(r.scenario) + _cell(r.title) + _cell(r.group)
        + _cell(f"{STATISTIC_WORDS[r.statistic]} {r.tier}".strip()) + _cell(value_text(r.baseline_value, r.unit))
        + _cell(change_text(r.difference, r.ci_low, r.ci_high, r.unit)) + _cell(r.verdict, CLASS.get(r.verdict, ""))
        + _cell(patients_text(r.patients, r.small_group)) + "</tr>"
        for r in shown.itertuples())
    return f"""<h2 id='changes'>Changes that count</h2>
<table><tr><th>scenario</th><th>moment</th><th>group</th><th>statistic</th><th>baseline</th>
<th>difference (95 % CI)</th><th>verdict</th><th>patients a replication</th></tr>
{rows or "<tr><td colspan='8'>no change counts</td></tr>"}</table>"""


def render_comparison(comparison, table=None, scorecard=None, costs=None, hours=None) -> str:
    """The comparison page as an HTML string (the tables are computed when not given)."""
    table = comparison.table() if table is None else table
    scorecard = comparison.scorecard() if scorecard is None else scorecard
    costs = comparison.costs() if costs is None else costs
    hours = comparison.by_hour() if hours is None else hours
    sentences = "".join(f"<li>{_esc(line)}</li>" for line in plain_lines(comparison, table, scorecard, costs))
    warnings = "".join(f"<p class='warn'>{_esc(w)}</p>" for w in comparison.warnings)
    forests = "".join(figure_html(forest_figure(table, name), False) for name in comparison.names[1:])
    replications = len(comparison.results[comparison.baseline].replications)
    rule = RULE.format(threshold=comparison.threshold.text())
    return page_start(f"Comparison against {comparison.baseline}") + f"""<h1>Comparison against {_esc(comparison.baseline)}</h1>
<nav><a href="#scorecard">scorecard</a><a href="#cost">cost</a><a href="#hours">by hour</a><a href="#changes">changes that count</a><a href="#all">every difference</a></nav>
<p>{replications} replications of each scenario with common random numbers: replication <i>r</i> of every scenario
sees the same patients, so differences are paired; intervals are 95 % t-intervals of the per-replication
differences. {_esc(rule)}</p>
{warnings}
<h2>In a sentence</h2>
<ul class="headline">{sentences}</ul>
{scorecard_section(scorecard)}
{cost_section(costs)}
{hours_section(comparison, hours)}
{changes_section(table)}
<h2 id='all'>Every difference from the baseline</h2>
<p class="rule">Means and shares of every moment row, paired 95 % intervals; green improved, red worsened, amber a
group too small to judge (fewer than {SMALL_GROUP} patients a replication), grey no change that counts.</p>
{forests}
</body></html>
"""


def difference_text(value, unit: str, signed: bool = True) -> str:
    if value != value:
        return "–"
    if unit == "share":
        return f"{100 * value:+.1f} pp" if signed else f"{100 * value:.1f} %"
    return f"{value:+.1f} min" if signed else f"{value:.1f} min"
