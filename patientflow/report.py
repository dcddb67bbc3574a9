"""The wait-time report: one self-contained HTML file (plotly.js inlined, no network needed).

It shows, stage by stage along the service cycle, how each moment of truth meets its target, and
the summary table with every number of summary.csv. All scenario text is HTML-escaped.
"""

from __future__ import annotations

import html
import math

import numpy as np


def _fmt(value, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "share":
        return f"{100 * value:.1f} %"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return f"{value:,.1f}"


def stage_figure(stage_title: str, rows):
    """Share within target (or mean against target) of each moment row of one stage."""
    import plotly.graph_objects as go

    labels, values, lows, highs, targets, colours, texts = [], [], [], [], [], [], []
    for _, r in rows.iterrows():
        label = r["title"] + ("" if r["group"] == "all" else f" ({r['group']})") + (f" · {r['tier']}" if r["tier"] else "")
        if r["kind"] == "duration" and r["tier"] and not str(r["tier"]).lower().startswith("mean"):
            value, low, high, target = r["within_target"], r["within_target_ci_low"], r["within_target_ci_high"], r["target_share"]
            text = f"{100 * value:.1f} % within {r['target']:g} min"
        elif r["kind"] == "duration":
            value, low, high, target = r["mean"], r["mean_ci_low"], r["mean_ci_high"], r["target"]
            text = f"mean {value:.1f} min"
        else:
            value, low, high, target = r["within_target"] if r["tier"] else r["mean"], r["mean_ci_low"], r["mean_ci_high"], r["target_share"]
            text = f"{100 * value:.1f} %" if value == value else "–"
        labels.append(html.escape(label))
        values.append(value)
        lows.append(value - low if low == low else 0)
        highs.append(high - value if high == high else 0)
        targets.append(target)
        met = r["met"]
        colours.append("#9aa5b1" if met is None or met is np.nan or str(met) == "<NA>" else ("#2e7d32" if bool(met) else "#c62828"))
        texts.append(text)
    fig = go.Figure()
    fig.add_bar(y=labels, x=values, orientation="h", marker_color=colours, text=texts, textposition="auto",
                error_x={"type": "data", "symmetric": False, "array": highs, "arrayminus": lows},
                name="estimate (95 % CI)")
    fig.add_scatter(y=labels, x=targets, mode="markers", marker={"symbol": "line-ns-open", "size": 18, "color": "black"},
                    name="target")
    fig.update_layout(title=html.escape(stage_title), height=120 + 40 * len(labels), margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      yaxis={"automargin": True, "autorange": "reversed"}, showlegend=True, template="plotly_white")
    return fig


def render(results, run_meta: dict) -> str:
    """The report as an HTML string."""
    import plotly.io as pio

    scenario = results.scenario
    summary = results.summary()
    model = scenario.model
    parts = []
    first = True
    for stage, title in model.stages:
        rows = summary[summary["stage"] == stage]
        if rows.empty:
            continue
        fig = stage_figure(title, rows)
        parts.append(pio.to_html(fig, include_plotlyjs=True if first else False, full_html=False,
                                 config={"displaylogo": False}))
        first = False
    table = _table(summary)
    overloaded = ""
    if results.overloaded:
        overloaded = (f"<p class='warn'>Replications {', '.join(map(str, results.overloaded))} stopped early: "
                      "more patients inside than the bound (the system is overloaded).</p>")
    esc = html.escape
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(scenario.name)} — wait-time report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.85em; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: right; }}
th:nth-child(-n+3), td:nth-child(-n+3) {{ text-align: left; }}
.met {{ color: #2e7d32; font-weight: 600; }} .missed {{ color: #c62828; font-weight: 600; }}
.warn {{ background: #fff3cd; padding: 0.5em; }}
</style></head><body>
<h1>{esc(scenario.name)}</h1>
<p>{esc(scenario.spec.description)}</p>
<p>{len(results.replications)} replications, seed {results.seed}, run length {run_meta['length_minutes'] / 1440:g} days
after a warm-up of {run_meta['warm_up_minutes'] / 1440:g} days; scenario hash {esc(run_meta['scenario_hash'])}.
Each figure is the mean over replications with its 95 % confidence interval; the black mark is the target.</p>
{overloaded}
<h2>Moments of truth, stage by stage</h2>
{''.join(parts)}
<h2>Summary</h2>
{table}
<h2>Method</h2>
<p>Discrete-event simulation (SimPy). Counted patients are those whose starting event falls after the warm-up.
Random streams: {esc(run_meta['random_streams'])}. Software: {esc(', '.join(f'{k} {v}' for k, v in run_meta['versions'].items()))}.
Run time {run_meta['run_seconds']:.1f} s.</p>
</body></html>
"""


def _table(summary) -> str:
    esc = html.escape
    head = ["moment", "group", "tier", "n / rep", "open", "mean (95 % CI)", "p50", "p90", "p95", "within target (95 % CI)", "met"]
    lines = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for _, r in summary.iterrows():
        unit = r["unit"]
        mean = f"{_fmt(r['mean'], unit)} ({_fmt(r['mean_ci_low'], unit)} – {_fmt(r['mean_ci_high'], unit)})"
        within = (f"{_fmt(r['within_target'], 'share')} ({_fmt(r['within_target_ci_low'], 'share')} – "
                  f"{_fmt(r['within_target_ci_high'], 'share')})") if r["within_target"] == r["within_target"] else "–"
        met = r["met"]
        met_text = "–" if str(met) == "<NA>" else ("<span class='met'>met</span>" if bool(met) else "<span class='missed'>missed</span>")
        cells = [esc(str(r["title"])), esc(str(r["group"])), esc(str(r["tier"])), _fmt(r["n"]), _fmt(r["n_open"]), mean,
                 _fmt(r["p50"]), _fmt(r["p90"]), _fmt(r["p95"]), within, met_text]
        lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


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


def render_comparison(comparison, table) -> str:
    """The comparison report as an HTML string."""
    import plotly.io as pio

    esc = html.escape
    parts = []
    for k, name in enumerate(comparison.names[1:]):
        parts.append(pio.to_html(forest_figure(table, name), include_plotlyjs=(k == 0), full_html=False,
                                 config={"displaylogo": False}))
    costs = comparison.costs()
    cost_rows = "".join(
        f"<tr><td>{esc(r.scenario)}</td><td>{r.cost_per_week:,.0f}</td><td>{_fmt(r.journey, 'share')} "
        f"({_fmt(r.journey_ci_low, 'share')} – {_fmt(r.journey_ci_high, 'share')})</td></tr>" for r in costs.itertuples())
    significant = table[table.significant]
    sig_rows = "".join(
        f"<tr><td>{esc(r.scenario)}</td><td>{esc(r.moment)}</td><td>{esc(r.group)}</td><td>{esc(r.statistic)} {esc(r.tier)}</td>"
        f"<td>{_diff(r.baseline_value, r.unit, False)}</td><td>{_diff(r.difference, r.unit)} ({_diff(r.ci_low, r.unit)} to {_diff(r.ci_high, r.unit)})</td>"
        f"<td class='{'met' if r.verdict == 'improved' else 'missed' if r.verdict == 'worsened' else ''}'>{esc(r.verdict)}</td></tr>"
        for r in significant.itertuples())
    warnings = "".join(f"<p class='warn'>{esc(w)}</p>" for w in comparison.warnings)
    replications = len(comparison.results[comparison.baseline].replications)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Comparison against {esc(comparison.baseline)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.85em; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left; }}
.met {{ color: #2e7d32; font-weight: 600; }} .missed {{ color: #c62828; font-weight: 600; }}
.warn {{ background: #fff3cd; padding: 0.5em; }}
</style></head><body>
<h1>Comparison against {esc(comparison.baseline)}</h1>
<p>{replications} replications of each scenario with common random numbers: replication <i>r</i> of every
scenario sees the same patients, so differences are paired. Intervals are 95 % t-intervals of the
per-replication differences.</p>
{warnings}
<h2>Cost and journey outcome</h2>
<table><tr><th>scenario</th><th>staff cost per week</th><th>journeys meeting every critical moment (95 % CI)</th></tr>{cost_rows}</table>
<h2>Differences from the baseline</h2>
{''.join(parts)}
<h2>Significant differences</h2>
<table><tr><th>scenario</th><th>moment</th><th>group</th><th>statistic</th><th>baseline</th><th>difference (95 % CI)</th><th>verdict</th></tr>{sig_rows}</table>
</body></html>
"""


def _diff(value, unit: str, signed: bool = True) -> str:
    if value != value:
        return "–"
    if unit == "share":
        return f"{100 * value:+.1f} pp" if signed else f"{100 * value:.1f} %"
    return f"{value:+.1f} min" if signed else f"{value:.1f} min"
