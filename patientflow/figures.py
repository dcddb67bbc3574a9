"""Figures: every picture of the report as a function returning a plotly ``Figure``.

The same functions serve the HTML report and notebooks (``res.plot.cycle_map()``). Each takes
results (or a comparison) and returns a figure; none writes files. Scenario text is HTML-escaped
before it reaches a label, so a name can never inject markup into a report.
"""

from __future__ import annotations

import html
import math

import numpy as np

GREEN, AMBER, RED, GREY = "#2e7d32", "#f9a825", "#c62828", "#9aa5b1"
STATUS_COLOUR = {"met": GREEN, "close": AMBER, "missed": RED, "no target": GREY}
STATUS_RANK = {"missed": 3, "close": 2, "met": 1, "no target": 0}


def _esc(text) -> str:
    return html.escape(str(text))


def row_status(r) -> str:
    """met (the target is met and its CI agrees), missed (missed and the CI agrees), or close."""
    if not r["tier"]:
        return "no target"
    kind = _tier_kind(r)
    if kind == "mean":
        value, low, high, target, better = r["mean"], r["mean_ci_low"], r["mean_ci_high"], r["target"], "lower"
    else:
        value, low, high = r["within_target"], r["within_target_ci_low"], r["within_target_ci_high"]
        target = r["target_share"]
        better = "lower" if kind == "at_most" else "higher"
    if value != value:
        return "no target"
    if low != low:
        low = high = value
    if better == "lower":
        if high <= target:
            return "met"
        return "missed" if low > target else "close"
    if low >= target:
        return "met"
    return "missed" if high < target else "close"


def _tier_kind(r) -> str:
    tier = str(r["tier"]).lower()
    if r["kind"] in ("share", "journey"):
        return "at_most" if tier.startswith(("at most", "<=", "≤")) else "at_least"
    return "mean" if tier.startswith("mean") else "within"


def _row_text(r) -> str:
    kind = _tier_kind(r) if r["tier"] else None
    if kind == "mean":
        return f"mean {r['mean']:.1f} min (target {r['target']:g})"
    if kind == "within":
        return f"{100 * r['within_target']:.0f}% within {_minutes(r['target'])} (target {100 * r['target_share']:.0f}%)"
    if kind in ("at_most", "at_least"):
        return f"{100 * r['within_target']:.1f}% (target {r['tier']})"
    if r["unit"] == "share":
        return f"{100 * r['mean']:.1f}%"
    return f"mean {r['mean']:.1f} min"


def _minutes(value: float) -> str:
    if value >= 120 and value % 60 == 0:
        return f"{value / 60:g} h"
    if value < 1:
        return f"{value * 60:g} s"
    return f"{value:g} min"


def moment_status(summary):
    """One line per moment and group: its worst row's status and the text of that row."""
    out = []
    for (moment, group), rows in summary.groupby(["moment", "group"], sort=False):
        statuses = [row_status(r) for _, r in rows.iterrows()]
        worst = max(range(len(statuses)), key=lambda i: STATUS_RANK[statuses[i]])
        r = rows.iloc[worst]
        out.append({"moment": moment, "group": group, "stage": r["stage"], "title": r["title"],
                    "critical": bool(r["critical"]), "status": statuses[worst], "text": _row_text(r)})
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
    """Moments ranked by their gap to target, with the patients a day who miss it."""
    import plotly.graph_objects as go

    summary = results.summary()
    days = results.measured_days
    items = []
    for _, r in summary[summary["tier"] != ""].iterrows():
        kind = _tier_kind(r)
        if kind == "within":
            gap = r["target_share"] - r["within_target"]
            affected = r["n"] * (1 - r["within_target"]) / days
        elif kind == "mean":
            continue  # a mean has no share to fall short by: the cycle map and stage charts show it
        elif kind == "at_most":
            gap = r["within_target"] - r["target_share"]
            affected = r["n"] * r["within_target"] / days
        else:
            gap = r["target_share"] - r["within_target"]
            affected = r["n"] * (1 - r["within_target"]) / days
        if gap == gap and gap > 0:
            label = r["title"] + ("" if r["group"] == "all" else f" ({r['group'].replace('=', ' ')})") + f" · {r['tier']}"
            items.append((gap, affected, label, r["critical"]))
    items.sort(key=lambda i: -i[0])
    items = items[:top]
    fig = go.Figure()
    fig.add_bar(x=[100 * g for g, *_ in items], y=[_esc(lbl) + (" ◆" if c else "") for _, _, lbl, c in items],
                orientation="h", marker_color=[RED if c else AMBER for *_, c in items],
                text=[f"{a:,.1f} patients/day miss it" for _, a, _, _ in items], textposition="auto")
    fig.update_layout(title="Weakest moments first: how far each share falls short of its target (percentage points)",
                      template="plotly_white", height=140 + 30 * max(len(items), 1),
                      yaxis={"autorange": "reversed", "automargin": True}, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      xaxis={"title": "percentage points short of the target"})
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
        start, stop = model.events[m.start_event], model.events[m.end_event]
        warm = model.warm_up
        keep = patients[start].notna() & (patients[start] >= warm) & patients[stop].notna()
        if m.streams is not None:
            keep &= patients["stream"].isin([model.streams[i].name for i in m.streams])
        for attr, codes in m.filters:
            keep &= patients[model.attributes[attr]].isin([model.values[attr][c] for c in codes])
        waits = patients.loc[keep, stop] - patients.loc[keep, start]
        groups = [("all", waits)] if m.by < 0 else [
            (f"{model.attributes[m.by]}={v}", waits[patients.loc[keep, model.attributes[m.by]] == v]) for v in model.values[m.by]]
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
        counts = np.bincount(((times % 1440) // 60).astype(int), minlength=24) / max(days, 1e-9)
        fig.add_scatter(x=hours, y=counts, name=_esc(stream.name), mode="lines+markers", row=1, col=1, legendgroup="a")
    for m in model.moments:
        if m.kind != "duration" or not m.critical:
            continue
        start, stop = model.events[m.start_event], model.events[m.end_event]
        ok = patients[start].notna() & (patients[start] >= warm) & patients[stop].notna()
        if m.streams is not None:
            ok &= patients["stream"].isin([model.streams[i].name for i in m.streams])
        hour = ((patients.loc[ok, start] % 1440) // 60).astype(int)
        wait = patients.loc[ok, stop] - patients.loc[ok, start]
        mean = wait.groupby(hour).mean().reindex(hours)
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
    np.add.at(grid, (((arrived // 1440) % 7).astype(int), ((arrived % 1440) // 60).astype(int)), 1)
    fig.add_heatmap(z=grid / weeks, x=list(range(24)), y=days, colorscale="Blues", showscale=False, row=1, col=1,
                    hovertemplate="%{y} %{x}:00 — %{z:.1f} arrivals<extra></extra>")
    for k, m in enumerate(critical, start=2):
        start, stop = model.events[m.start_event], model.events[m.end_event]
        ok = patients[start].notna() & (patients[start] >= warm) & patients[stop].notna()
        t = patients.loc[ok, start]
        wait = (patients.loc[ok, stop] - t).to_numpy()
        day, hour = ((t // 1440) % 7).astype(int).to_numpy(), ((t % 1440) // 60).astype(int).to_numpy()
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
    flows: dict[tuple[int, int], int] = {}
    order = np.argsort(np.where(np.isnan(queued), np.inf, queued), axis=1, kind="stable")
    visited = ~np.isnan(queued)
    counts = visited.sum(axis=1)
    outcomes = patients["outcome"].astype(str).to_numpy()
    for i in range(len(patients)):
        path = order[i, : counts[i]]
        for a, b in zip(path[:-1], path[1:]):
            flows[(int(a), int(b))] = flows.get((int(a), int(b)), 0) + 1
        if counts[i]:
            key = (int(path[-1]), outcome_node[outcomes[i]])
            flows[key] = flows.get(key, 0) + 1
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
    fig.update_layout(title=_esc(f"Patient {int(row['patient'])} (replication {int(row['replication'])}, "
                                 f"{row['stream']}; {attrs}; outcome {row['outcome']})"),
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
