"""The check-fit report: the scenario against the log, moment by moment, in one HTML file.

A statement of fit first; then every statistic standardised on one chart (how many simulated
spreads the log lies from the replications' mean, against the band inside which it agrees); each
duration moment's distribution in the log and in the simulation, overlaid as cumulative curves;
each share side by side; and the table with every number and interval.
"""

from __future__ import annotations

import html

import numpy as np

from .frame import page_start
from .palette import BLUE, GREY, MET, MISSED, colour as series_colour
from ..clock import DAY
from ..experiment.comparison_text import STATISTIC_WORDS
from ..units import group_label, row_label


def _figure(fig, first: bool) -> str:
    import plotly.io as pio
    return "<div class='fig'>" + pio.to_html(fig, include_plotlyjs=first, full_html=False,
                                              config={"displaylogo": False, "responsive": True}) + "</div>"


def standardised_figure(cf):
    """Each statistic as (log − simulated mean) / simulated spread, with the agreement band."""
    import plotly.graph_objects as go
    from scipy import stats

    table = cf.table[cf.table["agrees"].notna()]
    m = max(len(table), 1)
    r = len(cf.simulated.replications)
    band = stats.t.ppf(1 - 0.025 / m, max(r - 1, 1))
    spread = (table["prediction_high"] - table["simulated"]) / stats.t.ppf(0.975, max(r - 1, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(spread > 1e-12, (table["actual"] - table["simulated"]) / spread, 0.0)
    labels = [html.escape(row_label(t.title, t.group, STATISTIC_WORDS.get(t.statistic, t.statistic))) for t in table.itertuples()]
    fig = go.Figure()
    fig.add_vrect(x0=-band, x1=band, fillcolor="#e8f5e9", line_width=0, layer="below")
    fig.add_scatter(x=z, y=labels, mode="markers", marker={"size": 10, "color": [MET if a else MISSED for a in table["agrees"]]},
                    hovertext=[f"log {a:.3g}, simulated {s:.3g} (p {p:.2g})" for a, s, p in
                               zip(table["actual"], table["simulated"], table["p_value"])], name="the log")
    fig.add_vline(x=0, line_color="#333", line_width=1)
    fig.update_layout(title=f"Where the log lies among {r} simulated replications (green band: agreement, Bonferroni for {m})",
                      xaxis_title="simulated spreads from the simulated mean", template="plotly_white",
                      height=140 + 24 * len(labels), yaxis={"autorange": "reversed", "automargin": True},
                      margin={"l": 10, "r": 10, "t": 50, "b": 10}, showlegend=False)
    return fig


def _quantiles(values: np.ndarray, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    q = np.linspace(0, 1, min(points, max(values.size, 2)))
    return np.quantile(values, q), q * 100


def distribution_figure(cf, moment):
    """A duration moment's waits in the log and in the simulation: cumulative curves per group."""
    import plotly.graph_objects as go
    from scipy import stats

    from ..eventlog.checkfit import moment_waits

    model = cf.actual.scenario.model
    actual = moment_waits(model, cf.actual.patients, moment, 0.0)
    sim_model = cf.scenario.model
    simulated = moment_waits(sim_model, cf.simulated.patients_for_figures(), next(m for m in sim_model.moments if m.name == moment.name),
                             cf.scenario.spec.run.warm_up)
    fig = go.Figure()
    for k, group in enumerate(actual):
        a, s = actual[group], simulated.get(group, np.empty(0))
        if not a.size and not s.size:
            continue
        colour = series_colour(k)
        name = "" if group == "all" else f"{group_label(group)}: "
        d = f" (KS {stats.ks_2samp(a, s).statistic:.3f})" if a.size and s.size else ""
        if a.size:
            x, y = _quantiles(a)
            fig.add_scatter(x=x, y=y, mode="lines", line={"color": colour}, name=html.escape(f"{name}log, {a.size:,}{d}"))
        if s.size:
            x, y = _quantiles(s)
            fig.add_scatter(x=x, y=y, mode="lines", line={"color": colour, "dash": "dash"},
                            name=html.escape(f"{name}simulated, {s.size:,}"))
    fig.update_layout(title=html.escape(f"{moment.title}: the log (solid) and the simulation (dashed)"),
                      xaxis_title="minutes", yaxis_title="% of patients waiting at most this long", template="plotly_white",
                      height=360, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def shares_figure(cf):
    """Share moments and the journey outcome: the log against the simulation."""
    import plotly.graph_objects as go

    rows = cf.table[cf.table["statistic"] == "share"]
    labels = [html.escape(row_label(t.title, t.group)) for t in rows.itertuples()]
    fig = go.Figure()
    fig.add_bar(y=labels, x=100 * rows["actual"], orientation="h", name="log (95 % CI over periods)", marker_color=BLUE,
                error_x={"type": "data", "symmetric": False, "array": 100 * (rows["actual_ci_high"] - rows["actual"]).fillna(0),
                         "arrayminus": 100 * (rows["actual"] - rows["actual_ci_low"]).fillna(0)})
    fig.add_bar(y=labels, x=100 * rows["simulated"], orientation="h", name="simulated (95 % prediction interval)",
                marker_color=GREY,
                error_x={"type": "data", "symmetric": False, "array": 100 * (rows["prediction_high"] - rows["simulated"]).fillna(0),
                         "arrayminus": 100 * (rows["simulated"] - rows["prediction_low"]).fillna(0)})
    fig.update_layout(title="Shares: the log against the simulation", barmode="group", xaxis_title="% of patients",
                      template="plotly_white", height=160 + 50 * len(labels), yaxis={"autorange": "reversed", "automargin": True},
                      margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def _value(v: float, unit: str) -> str:
    if v != v:
        return "–"
    return f"{100 * v:.1f} %" if unit == "share" else f"{v:,.1f}"


def _table(cf) -> str:
    esc = html.escape
    head = ("moment", "group", "statistic", "log (95 % CI)", "simulated (95 % CI)", "95 % prediction interval", "p", "agrees")
    lines = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for r in cf.table.itertuples():
        u = r.unit
        verdict = "–" if r.agrees is None or str(r.agrees) == "<NA>" else (
            "<span class='met'>yes</span>" if r.agrees else "<span class='missed'>no</span>")
        cells = (esc(r.title), esc(r.group), esc(r.statistic),
                 f"{_value(r.actual, u)} ({_value(r.actual_ci_low, u)} – {_value(r.actual_ci_high, u)})",
                 f"{_value(r.simulated, u)} ({_value(r.simulated_ci_low, u)} – {_value(r.simulated_ci_high, u)})",
                 f"{_value(r.prediction_low, u)} – {_value(r.prediction_high, u)}",
                 "–" if r.p_value != r.p_value else f"{r.p_value:.2g}", verdict)
        lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "\n".join(lines + ["</table>"])


def render_check_fit(cf) -> str:
    """The check-fit report as one self-contained HTML string."""
    esc = html.escape
    log, run = cf.eventlog, cf.scenario.spec.run
    figures = [_figure(standardised_figure(cf), True)]
    if (cf.table["statistic"] == "share").any():
        figures.append(_figure(shares_figure(cf), False))
    for m in cf.actual.scenario.model.moments:
        if m.kind == "duration":
            figures.append(_figure(distribution_figure(cf, m), False))
    bad = cf.disagreeing
    headline_class = "headline" if bad.empty else "warn"
    method = [
        ("event log", f"{log.source}: {log.rows:,} rows, {len(log.patients):,} patients used, {len(log.excluded_rows):,} rows not used"),
        ("period", f"{log.time_text(log.start)} to {log.time_text(log.end)} ({(log.end - log.start) / DAY:.1f} days)"),
        ("scenario", f"{cf.scenario.name} ({cf.scenario.path})"),
        ("simulation", f"{len(cf.simulated.replications)} replications, seed {cf.simulated.seed}; a warm-up of "
                       f"{cf.warm_up / DAY:g} days (whole weeks, so hours of the week line up) before the log's first week, "
                       f"from the scenario's initial state; measured from minute {run.warm_up:,.0f} to {run.length:,.0f}"),
        ("the log's value", "the log measured over its whole period, by the rules of a simulated run; its interval is "
                            f"the 95 % t-interval over its {len(cf.actual.bounds)} {cf.actual.period_name}s"),
        ("agreement", "the log's value lies within mean ± t·sd·√(1 + 1/R) of the replications' values, at the 95 % "
                      "level for all the statistics together (Bonferroni); KS: the two-sample Kolmogorov-Smirnov distance "
                      "between the log's waits and those of the first three replications"),
    ]
    method_html = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in method)
    return page_start(f"{cf.scenario.name} against {log.source.name}") + f"""<h1>Does the scenario reproduce the log?</h1>
<p><i>{esc(cf.scenario.name)}</i> simulated over the period of <b>{esc(log.source.name)}</b>.</p>
<p class="{headline_class}">{esc(cf.statement())}</p>
<h2>Moment by moment</h2>
{''.join(figures)}
<h2>Every statistic</h2>
{_table(cf)}
<h2>Method</h2>
<table>{method_html}</table>
</body></html>
"""
