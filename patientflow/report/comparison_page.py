"""The comparison page: paired differences against the first scenario, cost against the journey
outcome, and every significant change, as one self-contained HTML file.
"""

from __future__ import annotations

import html

from .frame import cell_text, figure_html, page_start


def forest_figure(table, scenario: str):
    """Paired differences against the baseline with their 95 % CIs, one line per moment row."""
    import plotly.graph_objects as go

    rows = table[(table.scenario == scenario) & table.statistic.isin(["mean", "share"])]
    labels = [html.escape(f"{r.moment} ({r.group})" if r.group != "all" else r.moment) for r in rows.itertuples()]
    scale = [100 if u == "share" else 1 for u in rows.unit]
    diff = rows.difference.to_numpy() * scale
    low = rows.ci_low.to_numpy() * scale
    high = rows.ci_high.to_numpy() * scale
    colours = ["#2e7d32" if v == "improved" else "#c62828" if v == "worsened" else "#607d8b" for v in rows.verdict]
    fig = go.Figure()
    fig.add_scatter(x=diff, y=labels, mode="markers", marker={"color": colours, "size": 9},
                    error_x={"type": "data", "symmetric": False, "array": high - diff, "arrayminus": diff - low},
                    name="difference (95 % CI)",
                    hovertext=[f"{d:+.2f} ({lo:+.2f} to {hi:+.2f}) {'pp' if s == 100 else 'min'}"
                               for d, lo, hi, s in zip(diff, low, high, scale)])
    fig.add_vline(x=0, line_color="black", line_width=1)
    fig.update_layout(title=html.escape(f"{scenario}: difference from the baseline (minutes; shares in points)"),
                      height=140 + 28 * len(labels), template="plotly_white", margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      yaxis={"automargin": True, "autorange": "reversed"})
    return fig


def cost_outcome_figure(comparison):
    """Each scenario's staff cost per week against its journey outcome (with its 95 % CI)."""
    import plotly.graph_objects as go

    costs = comparison.costs()
    fig = go.Figure()
    fig.add_scatter(x=costs.cost_per_week, y=100 * costs.journey, mode="markers+text",
                    text=[html.escape(n) for n in costs.scenario], textposition="top center",
                    marker={"size": 12, "color": ["#607d8b"] + ["#1565c0"] * (len(costs) - 1)},
                    error_y={"type": "data", "symmetric": False, "array": 100 * (costs.journey_ci_high - costs.journey),
                             "arrayminus": 100 * (costs.journey - costs.journey_ci_low)})
    fig.update_layout(title="Staff cost against journeys meeting every critical moment", template="plotly_white",
                      xaxis_title="staff cost per week", yaxis_title="% of journeys", height=420,
                      margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def render_comparison(comparison, table) -> str:
    """The comparison report as an HTML string."""
    from ..experiment.comparison import plain_lines

    esc = html.escape
    parts = [figure_html(cost_outcome_figure(comparison), True)]
    for name in comparison.names[1:]:
        parts.append(figure_html(forest_figure(table, name), False))
    sentences = "".join(f"<li>{esc(line)}</li>" for line in plain_lines(comparison, table))
    costs = comparison.costs()
    base_cost = costs.cost_per_week.iloc[0]
    cost_rows = "".join(
        f"<tr><td>{esc(r.scenario)}</td><td>{r.cost_per_week:,.0f}</td><td>{r.cost_per_week - base_cost:+,.0f}</td><td>{cell_text(r.journey, 'share')} "
        f"({cell_text(r.journey_ci_low, 'share')} – {cell_text(r.journey_ci_high, 'share')})</td></tr>" for r in costs.itertuples())
    significant = table[table.significant]
    sig_rows = "".join(
        f"<tr><td>{esc(r.scenario)}</td><td>{esc(r.moment)}</td><td>{esc(r.group)}</td><td>{esc(r.statistic)} {esc(r.tier)}</td>"
        f"<td>{difference_text(r.baseline_value, r.unit, False)}</td><td>{difference_text(r.difference, r.unit)} ({difference_text(r.ci_low, r.unit)} to {difference_text(r.ci_high, r.unit)})</td>"
        f"<td class='{'met' if r.verdict == 'improved' else 'missed' if r.verdict == 'worsened' else ''}'>{esc(r.verdict)}</td></tr>"
        for r in significant.itertuples())
    warnings = "".join(f"<p class='warn'>{esc(w)}</p>" for w in comparison.warnings)
    replications = len(comparison.results[comparison.baseline].replications)
    return page_start(f"Comparison against {comparison.baseline}") + f"""<h1>Comparison against {esc(comparison.baseline)}</h1>
<p>{replications} replications of each scenario with common random numbers: replication <i>r</i> of every
scenario sees the same patients, so differences are paired. Intervals are 95 % t-intervals of the
per-replication differences.</p>
{warnings}
<h2>In a sentence</h2>
<ul class="headline">{sentences}</ul>
<h2>Cost and journey outcome</h2>
<table><tr><th>scenario</th><th>staff cost per week</th><th>difference from the baseline</th><th>journeys meeting every critical moment (95 % CI)</th></tr>{cost_rows}</table>
<h2>Differences from the baseline</h2>
{''.join(parts)}
<h2>Significant differences</h2>
<table><tr><th>scenario</th><th>moment</th><th>group</th><th>statistic</th><th>baseline</th><th>difference (95 % CI)</th><th>verdict</th></tr>{sig_rows}</table>
</body></html>
"""


def difference_text(value, unit: str, signed: bool = True) -> str:
    if value != value:
        return "–"
    if unit == "share":
        return f"{100 * value:+.1f} pp" if signed else f"{100 * value:.1f} %"
    return f"{value:+.1f} min" if signed else f"{value:.1f} min"
