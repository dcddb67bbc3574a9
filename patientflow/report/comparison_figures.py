"""The comparison's figures, each a plotly ``Figure`` (the page and notebooks draw the same ones):

* :func:`cost_outcome_figure` — each scenario's cost a week against its journey outcome, both as
  differences from the first scenario, with the *paired* 95 % interval of the journey's;
* :func:`hour_figure` — a roster change hour by hour: staff on duty and patients waiting for the
  changed resource, as differences from the first scenario with paired 95 % intervals;
* :func:`forest_figure` — every paired difference of one scenario, coloured by its verdict.

Scenario text is HTML-escaped before it reaches a label.
"""

from __future__ import annotations

import html

import numpy as np

from ..units import row_label

from .palette import DIFFERENCE_COLOUR as VERDICT_COLOUR, GREY, INK, colour


def _esc(text) -> str:
    return html.escape(str(text))


def forest_figure(table, scenario: str):
    """Paired differences against the baseline with their 95 % CIs, one line per moment row
    (means and shares; shares in percentage points), coloured by verdict."""
    import plotly.graph_objects as go

    rows = table[(table.scenario == scenario) & table.statistic.isin(["mean", "share"])]
    labels = [_esc(row_label(r.title, r.group)) for r in rows.itertuples()]
    scale = np.where(rows.unit.to_numpy() == "share", 100.0, 1.0)
    diff, low, high = (rows[c].to_numpy(dtype=float) * scale for c in ("difference", "ci_low", "ci_high"))
    colours = [VERDICT_COLOUR.get(v, GREY) for v in rows.verdict]
    fig = go.Figure()
    fig.add_scatter(x=diff, y=labels, mode="markers", marker={"color": colours, "size": 9},
                    error_x={"type": "data", "symmetric": False, "array": np.nan_to_num(high - diff),
                             "arrayminus": np.nan_to_num(diff - low), "color": INK, "thickness": 1.2},
                    name="difference (95 % CI)", showlegend=False,
                    hovertext=[f"{d:+.2f} ({lo:+.2f} to {hi:+.2f}) {'points' if s == 100 else 'min'}: {_esc(v)}"
                               for d, lo, hi, s, v in zip(diff, low, high, scale, rows.verdict)])
    fig.add_vline(x=0, line_color="black", line_width=1)
    fig.update_layout(title=_esc(f"{scenario}: difference from the baseline (minutes; shares in percentage points)"),
                      height=140 + 26 * len(labels), template="plotly_white",
                      margin={"l": 10, "r": 20, "t": 40, "b": 30}, yaxis={"automargin": True, "autorange": "reversed"})
    return fig


def cost_outcome_figure(costs):
    """Each scenario's cost a week and journeys meeting every critical moment, both against the
    baseline (the first row, at 0, 0): the journey's difference with its paired 95 % CI."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for k, r in enumerate(costs.itertuples()):
        first = k == 0
        y = 100 * (r.journey_difference if not first else 0.0)
        error = None if first else {"type": "data", "symmetric": False, "color": INK, "thickness": 1.5,
                                    "array": [100 * r.journey_difference_ci_high - y],
                                    "arrayminus": [y - 100 * r.journey_difference_ci_low]}
        fig.add_scatter(x=[r.cost_difference], y=[y], mode="markers", name=_esc(r.scenario) + (" (baseline)" if first and "baseline" not in r.scenario.lower() else ""),
                        marker={"size": 13, "color": GREY if first else colour(k - 1),
                                "symbol": "diamond" if first else "circle"},
                        error_y=error, hovertemplate=f"{_esc(r.scenario)}<br>cost %{{x:+,.0f}} a week<br>"
                                                     "journeys %{y:+.1f} points<extra></extra>")
    fig.add_hline(y=0, line_color="#b0bec5", line_width=1)
    fig.add_vline(x=0, line_color="#b0bec5", line_width=1)
    fig.update_layout(title="Cost against journeys meeting every critical moment, both from the baseline",
                      template="plotly_white", height=420 + 22 * len(costs),
                      xaxis={"title": {"text": "cost difference a week (staff and places)"}, "tickformat": "+,.0f"},
                      yaxis={"title": {"text": "journeys: points from the baseline"}, "tickformat": "+.1f",
                             "zeroline": False},
                      legend={"orientation": "h", "y": -0.2, "x": 0, "yanchor": "top"},
                      margin={"l": 10, "r": 20, "t": 50, "b": 10})
    return fig


def hour_figure(hours, scenario: str):
    """A roster change by hour of day (rows of ``Comparison.by_hour`` for ``scenario``): bars for
    the change in staff on duty, markers for the change in patients waiting for the resource,
    with paired 95 % CIs."""
    from plotly.subplots import make_subplots

    rows = hours[hours.scenario == scenario]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.3, 0.7])
    for k, resource in enumerate(dict.fromkeys(rows.resource)):
        r = rows[rows.resource == resource]
        tint = colour(k)
        fig.add_bar(x=r.hour, y=r.staff - r.baseline_staff, name=_esc(f"{resource}: staff on duty"),
                    marker_color=tint, opacity=0.45, row=1, col=1)
        diff = r.difference.to_numpy(dtype=float)
        fig.add_scatter(x=r.hour, y=diff, mode="lines+markers", name=_esc(f"{resource}: patients waiting"),
                        line={"color": tint}, marker={"size": 7},
                        error_y={"type": "data", "symmetric": False, "color": tint, "thickness": 1.2,
                                 "array": np.nan_to_num(r.ci_high.to_numpy(dtype=float) - diff),
                                 "arrayminus": np.nan_to_num(diff - r.ci_low.to_numpy(dtype=float))},
                        row=2, col=1)
    fig.add_hline(y=0, line_color="black", line_width=1, row=2, col=1)
    fig.update_yaxes(title_text="staff", row=1, col=1)
    fig.update_yaxes(title_text="patients waiting", row=2, col=1)
    fig.update_xaxes(title_text="hour of day", tickmode="linear", dtick=2, range=[-0.5, 23.5], row=2, col=1)
    fig.update_layout(title=_esc(f"{scenario}: when the roster change helps — difference from the baseline by hour of day"),
                      template="plotly_white", height=470, barmode="group",
                      legend={"orientation": "h", "y": -0.15, "x": 0, "yanchor": "top"},
                      margin={"l": 10, "r": 20, "t": 50, "b": 10})
    return fig
