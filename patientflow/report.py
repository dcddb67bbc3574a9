"""The wait-time report: one self-contained HTML file (plotly.js inlined, no network needed).

It shows, stage by stage along the service cycle, how each moment of truth meets its target, and
the summary table with every number of summary.csv. All scenario text is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np


def _fmt(value, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "share":
        return f"{100 * value:.1f} %"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return f"{value:,.1f}"


def group_label(group: str) -> str:
    """``acuity=1`` as a planner reads it: ``acuity 1``."""
    return "" if group == "all" else group.replace("=", " ").replace("_", " ")


def stage_figure(stage_title: str, rows, legend: bool = True):
    """How each moment row of one stage meets its target: shares within target (or the share
    itself, or the mean in minutes for mean targets), with the 95 % CI and the target marked."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from .figures import STATUS_COLOUR, _tier_kind, row_status

    share_rows = [r for _, r in rows.iterrows() if not (r["kind"] == "duration" and r["tier"] and _tier_kind(r) == "mean")
                  and r["tier"]]
    mean_rows = [r for _, r in rows.iterrows() if r["kind"] == "duration" and r["tier"] and _tier_kind(r) == "mean"]
    panels = [p for p in (share_rows, mean_rows) if p]
    if not panels:
        panels = [[r for _, r in rows.iterrows()]]
    fig = make_subplots(rows=len(panels), cols=1, vertical_spacing=0.12,
                        row_heights=[max(len(p), 1) for p in panels])
    for k, panel in enumerate(panels, start=1):
        labels, values, lows, highs, targets, colours, texts, symbols = [], [], [], [], [], [], [], []
        for r in panel:
            label = r["title"] + (f" ({group_label(r['group'])})" if r["group"] != "all" else "") + (f" · {r['tier']}" if r["tier"] else "")
            kind = _tier_kind(r) if r["tier"] else None
            if kind == "mean":
                value, low, high, target, unit = r["mean"], r["mean_ci_low"], r["mean_ci_high"], r["target"], " min"
                scale = 1
            else:
                key = "within_target" if r["tier"] else "mean"
                value, low, high = r[key], r[f"{key}_ci_low"], r[f"{key}_ci_high"]
                target, unit, scale = r["target_share"], " %", 100
            labels.append(html.escape(label))
            values.append(value * scale)
            lows.append((value - low) * scale if low == low else 0)
            highs.append((high - value) * scale if high == high else 0)
            targets.append(target * scale if target == target else None)
            colours.append(STATUS_COLOUR[row_status(r)])
            texts.append(f"{value * scale:.1f}{unit}" if value == value else "–")
            symbols.append("triangle-left" if kind == "at_most" or kind == "mean" else "triangle-right")
        fig.add_bar(y=labels, x=values, orientation="h", marker_color=colours, text=texts, textposition="outside",
                    cliponaxis=False, error_x={"type": "data", "symmetric": False, "array": highs, "arrayminus": lows,
                                               "color": "#37474f"},
                    name="estimate (95 % CI)", showlegend=legend and k == 1, row=k, col=1)
        fig.add_scatter(y=labels, x=targets, mode="markers", marker={"symbol": symbols, "size": 13, "color": "black"},
                        name="target (▶ at least, ◀ at most)", showlegend=legend and k == 1, row=k, col=1)
        is_share = panel is share_rows
        fig.update_xaxes(title_text="% of patients" if is_share else "minutes",
                         range=[0, 109] if is_share else None, row=k, col=1)
        fig.update_yaxes(automargin=True, autorange="reversed", row=k, col=1)
    n = sum(len(p) for p in panels)
    fig.update_layout(title=html.escape(stage_title), height=150 + 38 * n + 50 * (len(panels) - 1),
                      margin={"l": 10, "r": 40, "t": 40, "b": 10}, template="plotly_white",
                      legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"})
    return fig


STYLE = """
body { font-family: system-ui, -apple-system, sans-serif; margin: 1.5em auto; max-width: 1180px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #eceff1; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: right; }
th:nth-child(-n+3), td:nth-child(-n+3) { text-align: left; }
.met { color: #2e7d32; font-weight: 600; } .missed { color: #c62828; font-weight: 600; } .close { color: #b26a00; font-weight: 600; }
.warn { background: #fff3cd; padding: 0.5em; } .headline { font-size: 1.1em; background: #f5f7f8; padding: 0.6em 0.8em; }
.cards { display: flex; flex-wrap: wrap; gap: 0.6em; } .card { background: #f5f7f8; padding: 0.5em 0.8em; min-width: 12em; }
.card b { display: block; font-size: 1.4em; }
nav a { margin-right: 1em; } .fig { page-break-inside: avoid; }
@media print { nav { display: none; } body { max-width: none; } }
"""


def _figure_html(fig, first: bool) -> str:
    import plotly.io as pio
    return "<div class='fig'>" + pio.to_html(fig, include_plotlyjs=True if first else False, full_html=False,
                                              config={"displaylogo": False, "responsive": True}) + "</div>"


@dataclass(frozen=True)
class Wording:
    """The report's words about where its numbers come from: a simulated run by default; the
    report of an event log (``actual_report``) says periods of the log and "as recorded"."""

    title: str = "wait-time report"
    intro_html: str = ""  # already escaped
    sample: str = ""  # how the key figures were counted; default: from the replications
    per_day: str = "Per day of the measured period (after the warm-up)"
    mean_over: str = "Mean over replications with its 95 % confidence interval"
    pathway: str = "as simulated"
    inside_at_end: str = "patients inside when the run ended (a replication)"
    method_html: str = ""  # replaces the simulation's method table (already escaped)


SIMULATED = Wording()


def planner_figures(results, wording: Wording = SIMULATED) -> list[tuple[str, str]]:
    """The figures planners are judged on, as (label, value) pairs."""
    model = results.scenario.model
    summary = results.summary()
    days = max(results.measured_days, 1e-9)
    out: list[tuple[str, str]] = []
    patients = results.patients_for_figures()
    fig_days = max(results.figure_days, 1e-9)
    if len(patients):
        for m in model.moments:
            first = next((t for tiers in m.tiers.values() for t in tiers if t.kind == "within"), None)
            if m.kind != "duration" or not m.critical or first is None or m.by >= 0:
                continue  # a moment by group has a target per group: its patients a day over it are below
            start, stop = model.events[m.start_event], model.events[m.end_event]
            ok = patients[start].notna() & (patients[start] >= model.warm_up) & patients[stop].notna()
            beyond = (patients.loc[ok, stop] - patients.loc[ok, start] - first.threshold).clip(lower=0)
            out.append((f"hours a day spent waiting beyond {_minutes(first.threshold)}: {m.title}",
                        f"{beyond.sum() / 60 / fig_days:,.1f} h"))
    for _, r in summary[(summary["kind"] == "duration") & (summary["tier"] != "")].iterrows():
        if str(r["tier"]).lower().startswith("mean") or not r["critical"]:
            continue
        if r["target_share"] >= 0.999 or r["target"] >= 240:
            group = "" if r["group"] == "all" else f" ({r['group']})"
            out.append((f"patients a day waiting over {_minutes(r['target'])}: {r['title']}{group_label(group)}",
                        f"{r['n'] * (1 - r['within_target']) / days:,.1f}"))
    if len(patients):
        left = patients[(patients["left"] >= model.warm_up)]
        for outcome, count in left["outcome"].astype(str).value_counts().items():
            out.append((f"patients a day leaving: {outcome.replace('_', ' ')}", f"{count / fig_days:,.1f}"))
        reps = max(patients["replication"].nunique(), 1)
        out.append((wording.inside_at_end,
                    f"{(patients['outcome'].astype(str) == 'inside').sum() / reps:,.0f}"))
    journey = summary[summary["moment"] == "journey"].iloc[0]
    out.append(("journeys meeting every critical moment", f"{100 * journey['mean']:.1f} % "
                f"({100 * journey['mean_ci_low']:.1f} – {100 * journey['mean_ci_high']:.1f})"))
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _minutes(value: float) -> str:
    from .figures import _minutes as minutes
    return minutes(value)


def headline(results) -> str:
    from .figures import moment_status
    lines = moment_status(results.summary())
    critical = [m for m in lines if m["critical"] and m["status"] != "no target"]
    missed = [m for m in critical if m["status"] == "missed"]
    close = [m for m in critical if m["status"] == "close"]
    text = f"{len(missed)} of {len(critical)} critical moments miss their target"
    if missed:
        text += ": " + "; ".join(html.escape(m["title"] + ("" if m["group"] == "all" else f" ({m['group']})")) for m in missed[:6])
    if close:
        text += f". {len(close)} more are too close to call (the interval straddles the target)"
    return text + "."


def render(results, run_meta: dict, wording: Wording = SIMULATED) -> str:
    """The wait-time report as one self-contained HTML string."""
    from . import figures

    scenario = results.scenario
    summary = results.summary()
    model = scenario.model
    esc = html.escape
    figs = [("cycle", "The service cycle", figures.cycle_map(results)),
            ("weakest", "Weakest moments first", figures.weakest(results))]
    stage_figs = []
    for stage, title in model.stages:
        rows = summary[summary["stage"] == stage]
        if not rows.empty:
            stage_figs.append(stage_figure(title, rows, legend=not stage_figs))
    moment_figs = [figures.moment(results, m.name) for m in model.moments] if len(results.patients_for_figures()) else []
    day_figs = [figures.through_the_day(results)]
    if results.measured_days >= 7 and len(results.patients_for_figures()):
        day_figs.append(figures.through_the_week(results))
    day_figs.append(figures.staffing(results))
    path_figs = [figures.pathway(results, f"The pathway {wording.pathway} (link width: patients)"),
                 figures.journey(results)] if len(results.patients_for_figures()) else []
    first = True
    blocks = {}
    for key, _title, fig in figs:
        blocks[key] = _figure_html(fig, first)
        first = False
    stage_html = "".join(_figure_html(f, False) for f in stage_figs)
    moment_html = "".join(_figure_html(f, False) for f in moment_figs)
    day_html = "".join(_figure_html(f, False) for f in day_figs)
    path_html = "".join(_figure_html(f, False) for f in path_figs)
    cards = "".join(f"<div class='card'><b>{esc(v)}</b>{esc(k)}</div>" for k, v in planner_figures(results, wording))
    warnings = []
    if results.overloaded:
        warnings.append(f"Replications {', '.join(map(str, results.overloaded))} stopped early: more patients inside "
                        f"than the bound — the system is overloaded. The longest queue: {', '.join(results.overwhelmed)}.")
    if run_meta.get("warm_up_warning"):
        warnings.append(run_meta["warm_up_warning"])
    warning_html = "".join(f"<p class='warn'>{esc(w)}</p>" for w in warnings)
    util = results.utilisation()
    mean_util = util.groupby("resource", sort=False)["utilisation"].mean()
    util_rows = "".join(f"<tr><td>{esc(r)}</td><td>{'–' if u != u else f'{100 * u:.0f} %'}</td></tr>"
                        for r, u in mean_util.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(scenario.name)} — {esc(wording.title)}</title><style>{STYLE}</style></head><body>
<h1>{esc(scenario.name)}</h1>
{wording.intro_html}
<p>{esc(scenario.spec.description)}</p>
<nav><a href="#cycle">Service cycle</a><a href="#weakest">Weakest moments</a><a href="#figures">Key figures</a>
<a href="#stages">Stage by stage</a><a href="#day">Through the day</a><a href="#pathway">Pathway</a>
<a href="#summary">Summary table</a><a href="#method">Method</a></nav>
<p class="headline">{headline(results)}</p>
{warning_html}
<h2 id="cycle">The service cycle</h2>
<p>Each moment of truth on its stage: <span class="met">met</span> (target met, confidence interval agrees),
<span class="close">close</span> (the interval straddles the target), <span class="missed">missed</span>;
diamonds are critical moments.</p>
{blocks['cycle']}
<h2 id="weakest">Weakest moments first</h2>
{blocks['weakest']}
<h2 id="figures">Key figures</h2>
<p>{esc(wording.per_day)}, {esc(wording.sample or _sample_text(results))}.</p>
<div class="cards">{cards}</div>
<h2 id="stages">Stage by stage</h2>
<p>{esc(wording.mean_over)}; the black mark is the target.</p>
{stage_html}
{moment_html}
<h2 id="day">Through the day</h2>
{day_html}
<table style="width:auto"><tr><th>resource</th><th>busy share of rostered capacity</th></tr>{util_rows}</table>
<h2 id="pathway">The pathway {esc(wording.pathway)}</h2>
{path_html}
<h2 id="summary">Summary table</h2>
{_table(summary)}
{wording.method_html or _simulation_method(results, run_meta)}
</body></html>
"""


def _sample_text(results) -> str:
    n = len(results.replications)
    return f"from {_count(n, 'replication')} (distributions from the first {min(n, results.FIGURE_REPLICATIONS)})"


def _simulation_method(results, run_meta: dict) -> str:
    """The method appendix of a simulated run (in the spirit of STRESS-DES)."""
    esc = html.escape
    model = results.scenario.model
    machine = run_meta.get("machine", {})
    return f"""<h2 id="method">Method</h2>
<table>
<tr><td>scenario file</td><td>{esc(str(run_meta.get('scenario_file', '')))}</td></tr>
<tr><td>scenario hash</td><td>{esc(run_meta['scenario_hash'])}</td></tr>
<tr><td>model</td><td>discrete-event simulation (SimPy); {_count(len(model.streams), 'arrival stream')} (non-homogeneous Poisson by thinning), {_count(len(model.resources), 'resource')}, {_count(len(model.steps), 'step')}</td></tr>
<tr><td>run length, warm-up</td><td>{run_meta['length_minutes'] / 1440:g} days after a warm-up of {run_meta['warm_up_minutes'] / 1440:g} days; time 0 is a Monday 00:00</td></tr>
<tr><td>replications, seed</td><td>{len(results.replications)}, seed {results.seed}</td></tr>
<tr><td>random streams</td><td>{esc(run_meta['random_streams'])}; common random numbers across scenarios</td></tr>
<tr><td>statistics</td><td>each statistic per replication, then the mean across replications with a 95 % t-interval; counted patients are those whose starting event falls after the warm-up; patients still waiting at the end count as misses once past the target</td></tr>
<tr><td>software</td><td>{esc(', '.join(f'{k} {v}' for k, v in run_meta['versions'].items()))}</td></tr>
<tr><td>run time, machine</td><td>{run_meta['run_seconds']:.1f} s; {esc(str(machine.get('system', '')))} {esc(str(machine.get('machine', '')))}, {esc(str(machine.get('cpus', '')))} cores</td></tr>
</table>
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
    from .comparison import plain_lines

    esc = html.escape
    parts = [_figure_html(cost_outcome_figure(comparison), True)]
    for name in comparison.names[1:]:
        parts.append(_figure_html(forest_figure(table, name), False))
    sentences = "".join(f"<li>{esc(line)}</li>" for line in plain_lines(comparison, table))
    costs = comparison.costs()
    base_cost = costs.cost_per_week.iloc[0]
    cost_rows = "".join(
        f"<tr><td>{esc(r.scenario)}</td><td>{r.cost_per_week:,.0f}</td><td>{r.cost_per_week - base_cost:+,.0f}</td><td>{_fmt(r.journey, 'share')} "
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
<style>{STYLE}</style></head><body>
<h1>Comparison against {esc(comparison.baseline)}</h1>
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


def _diff(value, unit: str, signed: bool = True) -> str:
    if value != value:
        return "–"
    if unit == "share":
        return f"{100 * value:+.1f} pp" if signed else f"{100 * value:.1f} %"
    return f"{value:+.1f} min" if signed else f"{value:.1f} min"
