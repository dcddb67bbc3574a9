"""A network's fleet on the report: where each station's unit-hours go (hours a day by state) and
what it costs, from ``Results.vehicles(by="station")``."""

from __future__ import annotations

import html

from ..model import RUN_OVER, VEHICLE_STATES
from ..units import SHARE, interval_text, number_text
from .palette import STATE_COLOUR

ACTIVITY = VEHICLE_STATES[:RUN_OVER]  # the states that cover every minute on duty


def state_label(state: str) -> str:
    """``to_patient`` as a reader reads it: ``to patient``."""
    return state.replace("_", " ")


def fleet_figure(results):
    """Per station: unit-hours a day in each state, stacked (they add up to rostered hours plus
    run-over)."""
    import plotly.graph_objects as go

    stations = results.vehicles(by="station")
    labels = [f"{f.replace('_', ' ')} · {s.replace('_', ' ')}" for f, s in zip(stations["fleet"], stations["station"])]
    fig = go.Figure()
    for state in ACTIVITY:
        hours = stations[f"{state}_hours_a_day"]
        fig.add_bar(y=labels, x=hours, orientation="h", name=state_label(state), marker_color=STATE_COLOUR[state],
                    hovertemplate="%{y}: %{x:.1f} h a day " + state_label(state) + "<extra></extra>")
    fig.update_layout(title="Where each station's unit-hours go: hours a day by state (mean over replications)",
                      template="plotly_white", barmode="stack", height=190 + 48 * len(labels),
                      xaxis_title="unit-hours a day",
                      legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "traceorder": "normal"},
                      margin={"l": 10, "r": 10, "t": 110, "b": 10})
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


def fleet_table(results) -> str:
    """Per station: rostered unit-hours, utilisation with its 95 % interval, run-over and cost a day."""
    esc = html.escape
    rows = []
    for _, s in results.vehicles(by="station").iterrows():
        rows.append(f"<tr><td>{esc(s['fleet'].replace('_', ' '))}</td><td>{esc(s['station'].replace('_', ' '))}</td>"
                    f"<td>{esc(number_text(s['rostered_hours_a_day']))}</td>"
                    f"<td>{esc(interval_text(s['utilisation'], s['utilisation_ci_low'], s['utilisation_ci_high'], SHARE))}</td>"
                    f"<td>{esc(number_text(s['run_over_hours_a_day']))}</td><td>{esc(number_text(s['cost_a_day'], 0))}</td></tr>")
    return ("<table style='width:auto'><tr><th>fleet</th><th>station</th><th>rostered unit-hours a day</th>"
            "<th>utilisation: serving patients, share of rostered (95 % CI)</th><th>run-over hours a day</th>"
            "<th>cost a day</th></tr>" + "".join(rows) + "</table>")
