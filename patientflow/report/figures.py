"""Figures: every picture of the report as a function returning a plotly ``Figure``.

The same functions serve the HTML report and notebooks (``res.plot.cycle_map()``). Each takes
results (or a comparison) and returns a figure; none writes files. Scenario text is HTML-escaped
before it reaches a label, so a name can never inject markup into a report.
"""

from __future__ import annotations

import html
import math

import numpy as np

from ..moments.frames import moment_waits
from ..moments.ranking import misses
from ..moments.verdict import row_verdict, worst
from ..units import duration_text, group_label, row_label, share_text
from ..clock import MINUTES_PER_DAY
from .moment_figure import moment
from .palette import BLUE, COUNT_SCALE, INK, PALE, STATUS_COLOUR, WAIT_SCALE, series
from .pathway_figure import journey, pathway

__all__ = ["cycle_map", "weakest", "moment", "through_the_day", "through_the_week", "staffing", "pathway",
           "journey", "Plots", "STATUS_COLOUR"]

STATUS_RANK = {"missed": 3, "close": 2, "met": 1, "no target": 0}


def _esc(text) -> str:
    return html.escape(str(text))


def row_text(r) -> str:
    """One summary row in a few words: its estimate against its target."""
    kind = r["tier_kind"]
    if kind == "mean":
        return f"mean {r['mean']:.1f} min (target {duration_text(r['target'])})"
    if kind == "within":
        return (f"{share_text(r['within_target'], 0)} within {duration_text(r['target'])} "
                f"(target {share_text(r['target_share'], 0)})")
    if kind in ("at_most", "at_least"):
        return f"{share_text(r['within_target'])} (target {r['tier']})"
    if r["unit"] == "share":
        return share_text(r["mean"])
    return f"mean {r['mean']:.1f} min"


def moment_status(summary):
    """One line per moment and group: its worst tier's verdict and the text of that tier."""
    out = []
    for (moment, group), rows in summary.groupby(["moment", "group"], sort=False):
        verdicts = [row_verdict(r) for _, r in rows.iterrows()]
        status = worst(verdicts)
        r = rows.iloc[verdicts.index(status)]
        out.append({"moment": moment, "group": group, "stage": r["stage"], "title": r["title"],
                    "critical": bool(r["critical"]), "status": status, "text": row_text(r)})
    return out


def _short_values(model, lines) -> bool:
    """Whether every group of the map's grouped moments has a value short enough to write inside
    its marker (``1``, ``12``); longer values are told by hover and by the moment's text."""
    return all(len(m["group"].split("=", 1)[-1]) <= 2 for m in lines if m["group"] != "all")


def _cycle_moment(fig, x: float, y: float, groups: list[dict], chars: int, short: bool) -> float:
    """One moment on the map at (x, -y): a marker per group, its title and its worst verdict's text
    below; returns the depth it takes."""
    import textwrap

    first = groups[0]
    step = min(0.17, 0.84 / max(len(groups), 1))
    for g, m in enumerate(groups):
        value = "" if m["group"] == "all" or not short else m["group"].split("=", 1)[-1]
        label = _esc(row_label(m["title"], m["group"]))
        fig.add_scatter(x=[x - 0.38 + g * step], y=[-y], mode="markers+text" if value else "markers", text=[_esc(value)],
                        textposition="middle center", textfont={"size": 11, "color": "white"},
                        marker={"symbol": "diamond" if m["critical"] else "circle", "size": 21,
                                "color": STATUS_COLOUR[m["status"]], "line": {"width": 1, "color": "#333"}},
                        hovertext=f"{label}<br>{_esc(m['text'])}<br>{m['status']}" + (" · critical" if m["critical"] else ""),
                        hoverinfo="text", showlegend=False)
    by = "" if first["group"] == "all" else f" — by {first['group'].split('=', 1)[0].replace('_', ' ')}"
    wrapped = textwrap.wrap(first["title"] + by, chars)[:4]
    worst = max(groups, key=lambda m: STATUS_RANK[m["status"]])
    detail = textwrap.wrap((f"{group_label(worst['group'])}: " if worst["group"] != "all" else "") + worst["text"], chars)[:3]
    text = "<br>".join(_esc(t) for t in wrapped) + "<br><span style='font-size:11px;color:#455a64'>" + \
        "<br>".join(_esc(t) for t in detail) + "</span>"
    fig.add_annotation(x=x - 0.44, y=-y - 0.24, text=text, showarrow=False, xanchor="left", yanchor="top",
                       align="left", font={"size": 12})
    return 0.62 + 0.3 * (len(wrapped) + len(detail))


def cycle_map(results):
    """The service-cycle map: every moment of truth on its stage, coloured by how it meets its
    target (met / close: the CI straddles it / missed); critical moments drawn as diamonds. A
    moment measured by group (e.g. by category) shows one marker per group, labelled with the
    group's value when it is short."""
    import textwrap

    import plotly.graph_objects as go

    summary = results.summary()
    stages = results.scenario.model.stages
    lines = moment_status(summary)
    short = _short_values(results.scenario.model, lines)
    fig = go.Figure()
    width = max(len(stages), 1)
    chars = max(12, int(880 / width / 7.2))  # a column's width in characters, for a page 1024 px wide
    deepest = 1.0
    for x, (stage, title) in enumerate(stages):
        y = 0.0
        for name in dict.fromkeys(m["moment"] for m in lines if m["stage"] == stage):
            y += _cycle_moment(fig, x, y, [m for m in lines if m["moment"] == name], chars, short)
        deepest = max(deepest, y)
        fig.add_shape(type="rect", x0=x - 0.47, x1=x + 0.47, y0=0.5, y1=-max(y, 0.8), line={"color": "#b0bec5"},
                      fillcolor="#f5f7f8", layer="below")
        fig.add_annotation(x=x, y=0.58, yanchor="bottom", showarrow=False, font={"size": 12, "color": "#263238"},
                           text="<br>".join(_esc(t) for t in textwrap.wrap(f"{x + 1}. {title}", chars)[:3]))
    for status, colour in STATUS_COLOUR.items():
        fig.add_scatter(x=[None], y=[None], mode="markers", marker={"color": colour, "size": 12}, name=status)
    fig.add_scatter(x=[None], y=[None], mode="markers", marker={"symbol": "diamond", "color": "white",
                    "line": {"width": 1, "color": "#333"}, "size": 12}, name="critical")
    fig.update_xaxes(visible=False, range=[-0.5, width - 0.5], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-deepest - 0.1, 1.35], fixedrange=True)
    fig.update_layout(title="The service cycle: where the journey breaks", template="plotly_white",
                      height=int(170 + 64 * deepest), margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      legend={"orientation": "h", "y": -0.02})
    return fig


def weakest(results, top: int = 12):
    """The targets not met, ranked by the patients a day beyond what each allows (critical
    first; :data:`~patientflow.moments.ranking.RULE`), with the tiers each misses."""
    import plotly.graph_objects as go

    items = misses(results.summary())[:top]
    labels = [_esc(row_label(m.title, m.group)) + (" ◆" if m.critical else "")
              + "<br><span style='font-size:11px;color:#455a64'>" + _esc(f"{m.verdict}: " + "; ".join(t for t, _ in m.tiers))
              + "</span>" for m in items]
    values = [m.excess if m.excess == m.excess else 0.0 for m in items]
    highs = [max(m.excess_high - m.excess, 0) if m.excess_high == m.excess_high else 0 for m in items]
    lows = [max(m.excess - max(m.excess_low, 0), 0) if m.excess_low == m.excess_low else 0 for m in items]
    fig = go.Figure()
    fig.add_bar(x=values, y=labels, orientation="h", marker_color=[STATUS_COLOUR[m.verdict] for m in items],
                error_x={"type": "data", "symmetric": False, "array": highs, "arrayminus": lows, "color": "#37474f"},
                customdata=[[m.excess_low, m.excess_high] for m in items],
                hovertemplate="%{x:.1f} patients a day beyond the target (%{customdata[0]:.1f} to %{customdata[1]:.1f})"
                              "<extra></extra>")
    longest = max(values, default=0) + max(highs, default=0)
    fig.update_layout(title="Weakest moments first: patients a day beyond what the target allows",
                      template="plotly_white", height=160 + 44 * max(len(items), 1),
                      yaxis={"autorange": "reversed", "automargin": True}, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      xaxis={"title": "patients a day beyond what the target allows (95 % CI)",
                             "range": [0, max(longest, 1) * 1.05]})
    if not items:
        fig.add_annotation(text="every moment with a target meets it", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper")
    return fig


def panel_top(fig, k: int) -> tuple[float, float]:
    """(top, height) of panel ``k`` (from 1) of a one-column grid, in the figure's paper units."""
    low, high = fig.layout["yaxis" if k == 1 else f"yaxis{k}"].domain
    return high, high - low


def _legend(fig, k: int) -> str:
    """Panel ``k`` (from 1) of stacked panels gets a legend of its own, at its right: its name."""
    key = "legend" if k == 1 else f"legend{k}"
    fig.update_layout({key: {"x": 1.01, "xanchor": "left", "y": panel_top(fig, k)[0], "yanchor": "top",
                             "font": {"size": 11}}})
    return key


def through_the_day(results):
    """Arrivals, waits of the critical moments, queues and patients inside by hour of day: four
    panels, each with its own legend (a colour means one thing in a panel)."""
    from plotly.subplots import make_subplots

    model = results.scenario.model
    patients = results.patients_for_figures()
    days = results.figure_days
    fig = make_subplots(rows=4, cols=1, vertical_spacing=0.07, subplot_titles=(
        "Arrivals per hour, by stream", "Mean wait (minutes) by the hour the wait began: critical moments",
        "Mean number waiting, by resource", "Patients inside (whole system)"))
    hours = np.arange(24)
    arrived = patients[patients["arrived"] >= model.warm_up]
    legend = _legend(fig, 1)
    for k, stream in enumerate(model.streams):
        times = arrived.loc[arrived["stream"] == stream.name, "arrived"]
        counts = np.bincount(((times % MINUTES_PER_DAY) // 60).astype(int), minlength=24) / max(days, 1e-9)
        fig.add_scatter(x=hours, y=counts, name=_esc(stream.name.replace("_", " ")), mode="lines+markers", line=series(k),
                        row=1, col=1, legend=legend)
    legend = _legend(fig, 2)
    for k, m in enumerate(m for m in model.moments if m.kind == "duration" and m.critical):
        _keep, wait, began = moment_waits(model, m, patients)
        hour = ((began % MINUTES_PER_DAY) // 60).astype(int)
        total, count = np.bincount(hour, weights=wait, minlength=24), np.bincount(hour, minlength=24)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        fig.add_scatter(x=hours, y=mean, name=_esc(m.title), mode="lines+markers", line=series(k), row=2, col=1,
                        legend=legend)
    legend = _legend(fig, 3)
    util = results.utilisation()
    for k, (resource, rows) in enumerate(util.groupby("resource", sort=False)):
        fig.add_scatter(x=rows["hour"], y=rows["queue"], name=_esc(resource.replace("_", " ")), mode="lines",
                        line=series(k), row=3, col=1, legend=legend)
    inside = results.patients_inside()
    fig.add_scatter(x=inside["hour"], y=inside["inside"], name="inside", mode="lines+markers", row=4, col=1,
                    line={"color": INK}, showlegend=False)
    fig.update_xaxes(title_text="hour of day", dtick=3, range=[-0.5, 23.5])
    fig.update_layout(title="Through the day", template="plotly_white", height=1100,
                      margin={"l": 10, "r": 10, "t": 70, "b": 10})
    return fig


def _week_grid(times: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Times as a weekday × hour-of-day grid of counts (or sums of ``weights``)."""
    grid = np.zeros((7, 24))
    day, hour = ((times // MINUTES_PER_DAY) % 7).astype(int), ((times % MINUTES_PER_DAY) // 60).astype(int)
    np.add.at(grid, (day, hour), 1 if weights is None else weights)
    return grid


def through_the_week(results):
    """Hour of day × weekday: arrivals per hour and the mean wait of each critical moment, for
    runs that cover whole weeks (weekends and Mondays differ from midweek); each panel with its
    colour scale and unit."""
    from plotly.subplots import make_subplots

    model = results.scenario.model
    patients = results.patients_for_figures()
    critical = [m for m in model.moments if m.kind == "duration" and m.critical]
    panels = 1 + len(critical)
    gap = 0.06
    fig = make_subplots(rows=panels, cols=1, vertical_spacing=gap,
                        subplot_titles=["Arrivals per hour"] + [f"Mean wait (minutes): {_esc(m.title)}" for m in critical])
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    weeks = max(results.figure_days / 7, 1e-9)
    arrived = patients.loc[patients["arrived"] >= model.warm_up, "arrived"].to_numpy(dtype=float)

    def bar(k: int, unit: str) -> dict:
        top, height = panel_top(fig, k)
        return {"title": {"text": unit, "side": "right"}, "len": height, "y": top, "yanchor": "top", "x": 1.01,
                "thickness": 14}
    fig.add_heatmap(z=_week_grid(arrived) / weeks, x=list(range(24)), y=days, colorscale=COUNT_SCALE, row=1, col=1,
                    colorbar=bar(1, "arrivals an hour"), hovertemplate="%{y} %{x}:00 — %{z:.1f} arrivals<extra></extra>")
    for k, m in enumerate(critical, start=2):
        _keep, wait, t = moment_waits(model, m, patients)
        total, count = _week_grid(t, wait), _week_grid(t)
        with np.errstate(invalid="ignore", divide="ignore"):
            fig.add_heatmap(z=np.where(count > 0, total / count, np.nan), x=list(range(24)), y=days,
                            colorscale=WAIT_SCALE, row=k, col=1, colorbar=bar(k, "minutes"),
                            hovertemplate="%{y} %{x}:00 — mean %{z:.1f} min<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(dtick=2, title_text="hour of day")
    fig.update_layout(title="Through the week: hour of day × weekday", template="plotly_white",
                      height=140 + 230 * panels, margin={"l": 10, "r": 10, "t": 70, "b": 10})
    return fig


def staffing(results):
    """Per resource: staff rostered and busy by hour of day, and utilisation against the roster."""
    from plotly.subplots import make_subplots

    util = results.utilisation()
    resources = list(dict.fromkeys(util["resource"]))
    cols = 3
    rows_n = math.ceil(len(resources) / cols) or 1
    fig = make_subplots(rows=rows_n, cols=cols, subplot_titles=[_esc(r.replace("_", " ")) for r in resources],
                        vertical_spacing=min(0.3 / rows_n, 0.12))
    for i, resource in enumerate(resources):
        r = util[util["resource"] == resource]
        row, col = i // cols + 1, i % cols + 1
        rostered = r["rostered"].replace(np.inf, np.nan)
        fig.add_bar(x=r["hour"], y=rostered, name="rostered", marker_color=PALE, showlegend=False, row=row, col=col,
                    hovertext=[f"utilisation {u:.0%}" if u == u else "" for u in r["utilisation"]])
        fig.add_scatter(x=r["hour"], y=r["busy"], name="busy", mode="lines", line={"color": BLUE},
                        showlegend=False, row=row, col=col)
    fig.update_xaxes(dtick=6, range=[-0.5, 23.5])
    fig.update_layout(title="Staff and places by hour of day: rostered (grey bars) against busy (blue line)",
                      template="plotly_white", barmode="overlay", height=260 * rows_n + 60,
                      margin={"l": 10, "r": 10, "t": 70, "b": 10})
    return fig


class Plots:
    """``res.plot``: the report's figures for a notebook."""

    def __init__(self, results):
        self._results = results

    def cycle_map(self):
        return cycle_map(self._results)

    def weakest(self, top: int = 12):
        return weakest(self._results, top)

    def moment(self, name: str):
        return moment(self._results, name)

    def through_the_day(self):
        return through_the_day(self._results)

    def through_the_week(self):
        return through_the_week(self._results)

    def staffing(self):
        return staffing(self._results)

    def fleet(self):
        """A network's fleet: each station's unit-hours a day by state."""
        from .fleet_figure import fleet_figure
        return fleet_figure(self._results)

    def pathway(self):
        return pathway(self._results)

    def journey(self, patient: int | None = None, replication: int | None = None):
        return journey(self._results, patient, replication)
