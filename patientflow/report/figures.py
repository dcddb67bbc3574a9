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
from .flows import links
from ..moments.ranking import misses
from ..moments.verdict import row_verdict, worst
from ..units import duration_text, row_label, share_text
from ..clock import MINUTES_PER_DAY

GREEN, AMBER, RED, GREY = "#2e7d32", "#f9a825", "#c62828", "#9aa5b1"
STATUS_COLOUR = {"met": GREEN, "close": AMBER, "missed": RED, "no target": GREY}
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


def cycle_map(results):
    """The service-cycle map: every moment of truth on its stage, coloured by how it meets its
    target (met / close: the CI straddles it / missed); critical moments drawn as diamonds. A
    moment measured by group (e.g. by category) shows one marker per group, labelled."""
    import textwrap

    import plotly.graph_objects as go

    summary = results.summary()
    stages = results.scenario.model.stages
    lines = moment_status(summary)
    fig = go.Figure()
    width = max(len(stages), 1)
    chars = max(14, int(130 / width))  # a column's width in characters
    deepest = 1.0
    for x, (stage, title) in enumerate(stages):
        moments = list(dict.fromkeys(m["moment"] for m in lines if m["stage"] == stage))
        y = 0.0
        for name in moments:
            groups = [m for m in lines if m["moment"] == name]
            first = groups[0]
            for g, m in enumerate(groups):
                gx = x - 0.40 + g * min(0.1, 0.8 / max(len(groups), 1))
                value = "" if m["group"] == "all" else m["group"].split("=", 1)[-1][:3]
                label = _esc(m["title"]) + ("" if m["group"] == "all" else f" ({_esc(m['group'].replace('=', ' '))})")
                fig.add_scatter(x=[gx], y=[-y], mode="markers+text" if value else "markers", text=[_esc(value)],
                                textposition="middle center", textfont={"size": 8, "color": "white"},
                                marker={"symbol": "diamond" if m["critical"] else "circle", "size": 17,
                                        "color": STATUS_COLOUR[m["status"]], "line": {"width": 1, "color": "#333"}},
                                hovertext=f"{label}<br>{_esc(m['text'])}<br>{m['status']}" + (" · critical" if m["critical"] else ""),
                                hoverinfo="text", showlegend=False)
            wrapped = textwrap.wrap(first["title"], chars)[:3]
            worst = max(groups, key=lambda m: STATUS_RANK[m["status"]])
            detail = textwrap.wrap(worst["text"] + ("" if worst["group"] == "all" else f" ({worst['group'].split('=', 1)[-1]})"), chars + 4)[:2]
            text = "<br>".join(_esc(t) for t in wrapped) + "<br><span style='font-size:9px;color:#555'>" + \
                "<br>".join(_esc(t) for t in detail) + "</span>"
            fig.add_annotation(x=x - 0.43, y=-y - 0.22, text=text, showarrow=False, xanchor="left", yanchor="top",
                               align="left", font={"size": 10})
            y += 0.55 + 0.27 * (len(wrapped) + len(detail))
        deepest = max(deepest, y)
        fig.add_shape(type="rect", x0=x - 0.47, x1=x + 0.47, y0=0.45, y1=-max(y, 0.8), line={"color": "#b0bec5"},
                      fillcolor="#f5f7f8", layer="below")
        fig.add_annotation(x=x, y=0.85, text="<br>".join(_esc(t) for t in textwrap.wrap(f"{x + 1}. {title}", chars)[:2]),
                           showarrow=False, font={"size": 11, "color": "#263238"})
        if x < width - 1:
            fig.add_annotation(x=x + 0.5, y=0.85, text="➜", showarrow=False, font={"size": 14, "color": "#607d8b"})
    for status, colour in STATUS_COLOUR.items():
        fig.add_scatter(x=[None], y=[None], mode="markers", marker={"color": colour, "size": 12}, name=status)
    fig.add_scatter(x=[None], y=[None], mode="markers", marker={"symbol": "diamond", "color": "white",
                    "line": {"width": 1, "color": "#333"}, "size": 12}, name="critical")
    fig.update_xaxes(visible=False, range=[-0.5, width - 0.5], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-deepest - 0.1, 1.2], fixedrange=True)
    fig.update_layout(title="The service cycle: where the journey breaks", template="plotly_white",
                      height=int(150 + 70 * deepest), margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      legend={"orientation": "h", "y": -0.02})
    return fig


def weakest(results, top: int = 12):
    """The targets not met, ranked by the patients a day beyond what each allows (critical
    first; :data:`~patientflow.moments.ranking.RULE`), with the tiers each misses."""
    import plotly.graph_objects as go

    items = misses(results.summary())[:top]
    labels = [_esc(row_label(m.title, m.group)) + (" ◆" if m.critical else "")
              + "<br><span style='font-size:10px;color:#555'>" + _esc(f"{m.verdict}: " + "; ".join(t for t, _ in m.tiers))
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


def moment(results, name: str):
    """The wait distribution of one moment (by group when grouped), against its target tiers."""
    import plotly.graph_objects as go

    model = results.scenario.model
    m = next((x for x in model.moments if x.name == name), None)
    if m is None:
        raise KeyError(f"no moment named {name!r}; moments: {', '.join(x.name for x in model.moments)}")
    summary = results.summary()
    rows = summary[summary["moment"] == name]
    fig = go.Figure()
    if m.kind == "share":
        fig.add_bar(x=[_esc(g) for g in rows["group"]], y=100 * rows["mean"],
                    error_y={"type": "data", "symmetric": False, "array": 100 * (rows["mean_ci_high"] - rows["mean"]),
                             "arrayminus": 100 * (rows["mean"] - rows["mean_ci_low"])})
        for _, r in rows[rows["tier"] != ""].iterrows():
            fig.add_hline(y=100 * r["target_share"], line_dash="dash", annotation_text=_esc(r["tier"]))
        fig.update_layout(yaxis_title="% of patients")
    else:
        patients = results.patients_for_figures()
        keep, waits, _began = moment_waits(model, m, patients)
        groups = [("all", waits)] if m.by < 0 else [
            (f"{model.attributes[m.by]}={v}", waits[(patients.loc[keep, model.attributes[m.by]] == v).to_numpy()])
            for v in model.values[m.by]]
        for label, values in groups:
            if len(values):
                fig.add_histogram(x=values, name=_esc(label), histnorm="percent", opacity=0.7,
                                  nbinsx=60, cumulative={"enabled": False})
        shown = set()
        for _, r in rows[rows["tier"] != ""].iterrows():
            if r["target"] == r["target"] and r["target"] not in shown:
                shown.add(r["target"])
                fig.add_vline(x=r["target"], line_dash="dash", line_color="#333",
                              annotation_text=_esc(str(r["tier"])), annotation_position="top")
        fig.update_layout(barmode="overlay", xaxis_title="minutes", yaxis_title="% of patients")
    fig.update_layout(title=_esc(m.title), template="plotly_white", height=340,
                      margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def through_the_day(results):
    """Arrivals, waits of the critical moments, queues and patients inside by hour of day."""
    from plotly.subplots import make_subplots

    model = results.scenario.model
    patients = results.patients_for_figures()
    days = results.figure_days
    fig = make_subplots(rows=2, cols=2, subplot_titles=(
        "Arrivals per hour", "Mean wait by hour the wait began (critical moments)",
        "Mean queue length by resource", "Patients inside (whole system)"))
    warm = model.warm_up
    hours = np.arange(24)
    arrived = patients[patients["arrived"] >= warm]
    for stream in model.streams:
        times = arrived.loc[arrived["stream"] == stream.name, "arrived"]
        counts = np.bincount(((times % MINUTES_PER_DAY) // 60).astype(int), minlength=24) / max(days, 1e-9)
        fig.add_scatter(x=hours, y=counts, name=_esc(stream.name), mode="lines+markers", row=1, col=1, legendgroup="a")
    for m in model.moments:
        if m.kind != "duration" or not m.critical:
            continue
        _keep, wait, began = moment_waits(model, m, patients)
        hour = ((began % MINUTES_PER_DAY) // 60).astype(int)
        total, count = np.bincount(hour, weights=wait, minlength=24), np.bincount(hour, minlength=24)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        fig.add_scatter(x=hours, y=mean, name=_esc(m.title), mode="lines+markers", row=1, col=2, legendgroup="b")
    util = results.utilisation()
    for resource, rows in util.groupby("resource", sort=False):
        fig.add_scatter(x=rows["hour"], y=rows["queue"], name=_esc(resource), mode="lines", row=2, col=1, legendgroup="c")
    inside = results.patients_inside()
    fig.add_scatter(x=inside["hour"], y=inside["inside"], name="inside", mode="lines+markers", row=2, col=2,
                    showlegend=False)
    fig.update_xaxes(title_text="hour of day", dtick=3)
    fig.update_layout(title="Through the day", template="plotly_white", height=640,
                      margin={"l": 10, "r": 10, "t": 70, "b": 10})
    return fig


def through_the_week(results):
    """Hour of day × weekday: arrivals per hour and the mean wait of each critical moment, for
    runs that cover whole weeks (weekends and Mondays differ from midweek)."""
    from plotly.subplots import make_subplots

    model = results.scenario.model
    patients = results.patients_for_figures()
    critical = [m for m in model.moments if m.kind == "duration" and m.critical]
    panels = 1 + len(critical)
    fig = make_subplots(rows=panels, cols=1, vertical_spacing=0.06,
                        subplot_titles=["Arrivals per hour"] + [f"Mean wait (min): {_esc(m.title)}" for m in critical])
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    weeks = max(results.figure_days / 7, 1e-9)
    warm = model.warm_up
    arrived = patients.loc[patients["arrived"] >= warm, "arrived"]
    grid = np.zeros((7, 24))
    np.add.at(grid, (((arrived // MINUTES_PER_DAY) % 7).astype(int), ((arrived % MINUTES_PER_DAY) // 60).astype(int)), 1)
    fig.add_heatmap(z=grid / weeks, x=list(range(24)), y=days, colorscale="Blues", showscale=False, row=1, col=1,
                    hovertemplate="%{y} %{x}:00 — %{z:.1f} arrivals<extra></extra>")
    for k, m in enumerate(critical, start=2):
        _keep, wait, t = moment_waits(model, m, patients)
        day, hour = ((t // MINUTES_PER_DAY) % 7).astype(int), ((t % MINUTES_PER_DAY) // 60).astype(int)
        total, count = np.zeros((7, 24)), np.zeros((7, 24))
        np.add.at(total, (day, hour), wait)
        np.add.at(count, (day, hour), 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            fig.add_heatmap(z=np.where(count > 0, total / count, np.nan), x=list(range(24)), y=days,
                            colorscale="Reds", showscale=False, row=k, col=1,
                            hovertemplate="%{y} %{x}:00 — mean %{z:.1f} min<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(dtick=2)
    fig.update_layout(title="Through the week: hour of day × weekday", template="plotly_white",
                      height=140 + 190 * panels, margin={"l": 10, "r": 10, "t": 70, "b": 10})
    return fig


def staffing(results):
    """Per resource: staff rostered and busy by hour of day, and utilisation against the roster."""
    from plotly.subplots import make_subplots

    util = results.utilisation()
    resources = list(dict.fromkeys(util["resource"]))
    cols = 3
    rows_n = math.ceil(len(resources) / cols) or 1
    fig = make_subplots(rows=rows_n, cols=cols, subplot_titles=[_esc(r) for r in resources])
    for i, resource in enumerate(resources):
        r = util[util["resource"] == resource]
        row, col = i // cols + 1, i % cols + 1
        rostered = r["rostered"].replace(np.inf, np.nan)
        fig.add_bar(x=r["hour"], y=rostered, name="rostered", marker_color="#cfd8dc", showlegend=i == 0,
                    legendgroup="rostered", row=row, col=col,
                    hovertext=[f"utilisation {u:.0%}" if u == u else "" for u in r["utilisation"]])
        fig.add_scatter(x=r["hour"], y=r["busy"], name="busy", mode="lines", line={"color": "#1565c0"},
                        showlegend=i == 0, legendgroup="busy", row=row, col=col)
    fig.update_layout(title="Staff and places: rostered against busy, by hour of day", template="plotly_white",
                      barmode="overlay", height=260 * rows_n + 60, margin={"l": 10, "r": 10, "t": 70, "b": 10})
    return fig


def pathway(results, title: str = "The pathway as simulated (link width: patients)"):
    """The pathway as simulated: a flow diagram of steps (with the resources they use) and
    outcomes, each link as wide as the patients who took it."""
    import plotly.graph_objects as go

    model = results.scenario.model
    patients = results.patients_for_figures()
    steps = model.steps
    names = [f"{s.name}" + (f" [{', '.join(model.resources[r].name for r in s.acquire)}]" if s.acquire else "") for s in steps]
    nodes = [_esc(n) for n in names] + [_esc(f"→ {o}") for o in model.outcomes] + ["→ still inside"]
    outcome_node = {o: len(steps) + i for i, o in enumerate(model.outcomes)}
    outcome_node["inside"] = len(nodes) - 1
    queued = np.column_stack([patients[f"{s.name}.queued"].to_numpy() for s in steps]) if steps else np.empty((len(patients), 0))
    flows = links(queued, patients["outcome"].astype(str).to_numpy(), outcome_node, len(nodes))
    total = max(len(patients), 1)
    fig = go.Figure(go.Sankey(
        node={"label": nodes, "pad": 12, "thickness": 14},
        link={"source": [a for a, _ in flows], "target": [b for _, b in flows], "value": list(flows.values()),
              "customdata": [f"{100 * v / total:.1f}% of patients" for v in flows.values()],
              "hovertemplate": "%{customdata}<extra></extra>"}))
    fig.update_layout(title=_esc(title), height=520,
                      margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def journey(results, patient: int | None = None, replication: int | None = None):
    """One patient's journey as a timeline: waiting and being served at each step."""
    import plotly.graph_objects as go

    model = results.scenario.model
    patients = results.patients_for_figures()
    if patient is None:  # a patient who went far: the most steps after the warm-up
        done = patients[(patients["arrived"] >= model.warm_up) & (patients["outcome"] != "inside")]
        steps_done = done[[f"{s.name}.start" for s in model.steps]].notna().sum(axis=1)
        row = done.loc[steps_done.idxmax()] if len(done) else patients.iloc[0]
    else:
        sel = patients[(patients["patient"] == patient) & ((patients["replication"] == replication) if replication is not None else True)]
        if sel.empty:
            raise KeyError(f"no patient {patient} among the kept replications")
        row = sel.iloc[0]
    t0 = row["arrived"] if row["arrived"] == row["arrived"] else 0.0
    fig = go.Figure()
    labels = []
    for s in model.steps:
        q, st, en = row[f"{s.name}.queued"], row[f"{s.name}.start"], row[f"{s.name}.end"]
        if q != q:
            continue
        labels.append(_esc(s.name))
        if st == st and st > q:
            fig.add_bar(y=[_esc(s.name)], x=[st - q], base=[q - t0], orientation="h", marker_color=AMBER,
                        name="waiting", showlegend="waiting" not in [t.name for t in fig.data])
        end = en if en == en else (row["left"] if row["left"] == row["left"] else results.run_length)
        if st == st and end > st:
            fig.add_bar(y=[_esc(s.name)], x=[end - st], base=[st - t0], orientation="h", marker_color="#1565c0",
                        name="at the step", showlegend="at the step" not in [t.name for t in fig.data])
    attrs = ", ".join(f"{a}={row[a]}" for a in model.attributes if str(row[a]) != "nan")
    where = (f"row {int(row['row'])} of the log" if "row" in row.index
             else f"replication {int(row['replication'])}")  # recorded patients have a row, simulated a replication
    who = row["id"] if "id" in row.index else int(row["patient"])
    fig.update_layout(title=_esc(f"Patient {who} ({where}, {row['stream']}; {attrs}; outcome {row['outcome']})"),
                      xaxis_title="minutes since first contact", template="plotly_white", barmode="overlay",
                      yaxis={"autorange": "reversed", "categoryorder": "array", "categoryarray": labels},
                      height=160 + 26 * len(labels), margin={"l": 10, "r": 10, "t": 50, "b": 10})
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

    def pathway(self):
        return pathway(self._results)

    def journey(self, patient: int | None = None, replication: int | None = None):
        return journey(self._results, patient, replication)
