"""The pathway as patients took it, and one patient's journey through it.

:func:`pathway` draws the steps a planner names, one row each, grouped by stage in the order of the
service cycle: what each step uses, how many patients a day reach it and how many wait at it on
average. Plumbing — steps that only mark a time or route patients on (no resource, no duration) —
is folded into the links, which run as arcs on the left, as wide as the patients who took them.
"""

from __future__ import annotations

import html
import textwrap

import numpy as np

from ..clock import MINUTES_PER_DAY
from ..moments.frames import moment_patients
from .flows import links
from .palette import BLUE, CLOSE, GREY, INK

ROW = 26  # pixels a row
LABEL_X = 0.03  # where the labels begin (the arcs use the axis left of 0)


def is_plumbing(step) -> bool:
    """A step that only marks a time, assigns or routes (a branch): no resource, no duration, no
    patience, no time of day to wait for and nothing released."""
    return not (step.acquire or step.takes is not None or step.patience is not None or step.wait_until is not None
                or step.release or step.release_after_use or step.after is not None)


def step_stages(model, patients, flows: dict[tuple[int, int], int], kept: list) -> dict[int, str]:
    """The stage of each kept step: that of the duration moment most of the step's patients are
    inside when they reach it (the one that ends soonest after, the earliest stage on a tie), the
    moments of the journey's own stage apart (they span it all); a step inside none takes the stage
    of the step most of its patients come from."""
    rank = {s: k for k, (s, _title) in enumerate(model.stages)}
    moments = [(m, moment_patients(model, m, patients, done=False)) for m in model.moments
               if m.kind == "duration" and m.stage in rank and m.stage != model.journey_stage]
    times = {e: patients[model.events[e]].to_numpy(dtype=float) for m, _ in moments for e in (m.start_event, m.end_event)}
    found: dict[int, str] = {}
    for k, s in enumerate(kept):
        reached = patients[f"{s.name}.queued"].to_numpy(dtype=float)
        best = None
        for m, mine in moments:
            began, ended = times[m.start_event], times[m.end_event]
            inside = mine & (began <= reached) & ((reached < ended) | (began == reached) & (reached == ended))
            if np.count_nonzero(inside) * 2 > np.count_nonzero(mine & ~np.isnan(reached)) > 0:
                key = (float(np.median(ended[inside] - reached[inside])), rank[m.stage])
                best = min(best or (key, m.stage), (key, m.stage))
        if best is not None:
            found[k] = best[1]
    for k in range(len(kept)):  # in the pathway's order: a step's sources come before it
        if k not in found:
            sources = sorted(((v, a) for (a, b), v in flows.items() if b == k and a in found), reverse=True)
            found[k] = found[sources[0][1]] if sources else (model.stages[0][0] if model.stages else "")
    return found


def step_numbers(model, patients, days: float, step) -> tuple[float, float]:
    """(patients a day reaching ``step`` after the warm-up, the mean number waiting at it): the
    waits that began after the warm-up, each until the patient was served or left (a wait still
    open at the end is left out), summed and divided by the minutes measured."""
    queued = patients[f"{step.name}.queued"].to_numpy(dtype=float)
    counted = queued >= model.warm_up
    per_day = np.count_nonzero(counted) / max(days, 1e-9)
    start = patients[f"{step.name}.start"].to_numpy(dtype=float)
    until = np.where(np.isnan(start), patients["left"].to_numpy(dtype=float), start)
    waited = (until - queued)[counted & ~np.isnan(until)]
    return per_day, float(waited.sum()) / max(days * MINUTES_PER_DAY, 1e-9)


def _name(text: str) -> str:
    return text.replace("_", " ")


def _rows(results, kept: list, stages: dict[int, str]):
    """The diagram's rows, in order: (kind, label, numbers shown, kept step's number or outcome);
    kinds 'stage', 'step', 'outcome'. Steps by stage in the service cycle, then in the pathways' order."""
    model = results.scenario.model
    patients = results.patients_for_figures()
    days = results.figure_days
    titles = dict(model.stages)
    rank = {s: k for k, (s, _t) in enumerate(model.stages)}
    order = sorted(range(len(kept)), key=lambda k: (rank.get(stages[k], 0), k))
    rows, current = [], None
    for k in order:
        s = kept[k]
        if stages[k] != current:
            current = stages[k]
            rows.append(("stage", html.escape(titles.get(current, _name(current))), "", None))
        per_day, waiting = step_numbers(model, patients, days, s)
        uses = ", ".join(_name(model.resources[r].name) for r in s.acquire)
        text = f"<b>{html.escape(_name(s.name))}</b>" + (f" ({html.escape(uses)})" if uses else "")
        text += f" — {per_day:,.1f} a day"
        if s.acquire:
            text += f", {waiting:,.{1 if waiting >= 0.95 else 2}f} waiting on average"
        rows.append(("step", text, f"{per_day:.6g}|{waiting:.6g}", k))
    rows.append(("stage", "How journeys end", "", None))
    left = patients["left"].to_numpy(dtype=float)
    outcome = patients["outcome"].astype(str).to_numpy()
    for o in [*model.outcomes, "inside"]:
        if not np.count_nonzero(outcome == o):
            continue
        if o == "inside":
            rows.append(("outcome", "<b>still inside</b> at the end", "", o))
            continue
        value = np.count_nonzero((outcome == o) & (left >= model.warm_up)) / max(days, 1e-9)
        rows.append(("outcome", f"<b>{html.escape(_name(o))}</b> — {value:,.1f} a day", f"{value:.6g}", o))
    return rows


def _arc(fig, y0: float, y1: float, span: float, width: float, colour: str) -> None:
    bulge = 0.06 + 0.9 * abs(y1 - y0) / max(span, 1)
    fig.add_shape(type="path", path=f"M 0,{y0} C {-bulge},{y0} {-bulge},{y1} 0,{y1}", xref="x", yref="y",
                  line={"color": colour, "width": width}, layer="below")


def pathway(results, title: str = "The pathway as simulated"):
    """The pathway as a list of the steps a planner names, grouped by stage, with arcs as wide as
    the patients who went from one to the next (plumbing steps folded in)."""
    import plotly.graph_objects as go

    model = results.scenario.model
    patients = results.patients_for_figures()
    kept = [s for s in model.steps if not is_plumbing(s)]
    outcome_node = {o: len(kept) + i for i, o in enumerate([*model.outcomes, "inside"])}
    queued = (np.column_stack([patients[f"{s.name}.queued"].to_numpy(dtype=float) for s in kept]) if kept
              else np.empty((len(patients), 0)))
    flows = links(queued, patients["outcome"].astype(str).to_numpy(), outcome_node, len(outcome_node) + len(kept))
    rows = _rows(results, kept, step_stages(model, patients, flows, kept))
    y = {(r[0], r[3]): -k for k, r in enumerate(rows)}
    node_y = [y[("step", k)] for k in range(len(kept))] + [y.get(("outcome", o), 0) for o in outcome_node]
    names = [_name(s.name) for s in kept] + [_name(o) for o in model.outcomes] + ["still inside"]
    fig = go.Figure()
    for k, r in enumerate(rows):  # the stages' bands first, under the arcs
        if r[0] == "stage":
            fig.add_shape(type="rect", x0=-1, x1=2, y0=-k - 0.45, y1=-k + 0.45, fillcolor="#F5F7F8",
                          line={"width": 0}, layer="below")
    most, total = max(flows.values(), default=1), max(len(patients), 1)
    mids = []
    for (a, b), v in flows.items():
        colour = GREY if b >= len(kept) else BLUE
        _arc(fig, node_y[a], node_y[b], len(rows), 1 + 11 * v / most, colour)
        mids.append((-0.75 * (0.06 + 0.9 * abs(node_y[b] - node_y[a]) / max(len(rows), 1)), (node_y[a] + node_y[b]) / 2,
                     names[a], names[b], v, 100 * v / total))
    fig.add_scatter(x=[m[0] for m in mids], y=[m[1] for m in mids], mode="markers", marker={"size": 8, "opacity": 0},
                    customdata=[list(m[2:]) for m in mids], showlegend=False, name="links",
                    hovertemplate="%{customdata[0]} → %{customdata[1]}: %{customdata[2]:,} patients "
                                  "(%{customdata[3]:.1f} %)<extra></extra>")
    steps = [(k, r) for k, r in enumerate(rows) if r[0] != "stage"]
    fig.add_scatter(x=[0] * len(steps), y=[-k for k, _ in steps], mode="markers", showlegend=False, name="steps",
                    marker={"symbol": ["square" if r[0] == "step" else "circle" for _, r in steps], "size": 9,
                            "color": [INK if r[0] == "step" else GREY for _, r in steps]},
                    customdata=[[r[0], r[2]] for _, r in steps], hoverinfo="skip")
    for k, r in enumerate(rows):
        fig.add_annotation(x=LABEL_X, y=-k, text=r[1] if r[0] != "stage" else f"<b>{r[1]}</b>", showarrow=False,
                           xanchor="left", font={"size": 12, "color": INK})
    fig.update_xaxes(visible=False, range=[-1, 1.6], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-len(rows) + 0.4, 0.6], fixedrange=True)
    fig.update_layout(title=html.escape(title), template="plotly_white", height=90 + ROW * len(rows),
                      margin={"l": 10, "r": 10, "t": 50, "b": 10}, plot_bgcolor="white")
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
    labels, bars = [], []  # (step, start, length, waiting or not)
    for s in model.steps:
        q, st, en = row[f"{s.name}.queued"], row[f"{s.name}.start"], row[f"{s.name}.end"]
        if q != q or is_plumbing(s):
            continue
        labels.append(html.escape(_name(s.name)))
        if st == st and st > q:
            bars.append((labels[-1], q - t0, st - q, True))
        end = en if en == en else (row["left"] if row["left"] == row["left"] else results.run_length)
        if st == st and end > st:
            bars.append((labels[-1], st - t0, end - st, False))
    scale, unit = (60.0, "hours") if max((b + n for _, b, n, _ in bars), default=0) > 2 * MINUTES_PER_DAY else (1.0, "minutes")
    fig = go.Figure()
    for waiting in (True, False):
        mine = [b for b in bars if b[3] == waiting]
        fig.add_bar(y=[b[0] for b in mine], x=[b[2] / scale for b in mine], base=[b[1] / scale for b in mine],
                    orientation="h", marker_color=CLOSE if waiting else BLUE, name="waiting" if waiting else "at the step",
                    hovertemplate="%{y}: %{x:.1f} " + unit + "<extra></extra>")
    attrs = ", ".join(f"{_name(a)} {_name(str(row[a]))}" for a in model.attributes if str(row[a]) != "nan")
    where = (f"row {int(row['row'])} of the log" if "row" in row.index
             else f"replication {int(row['replication'])}")  # recorded patients have a row, simulated a replication
    who = row["id"] if "id" in row.index else int(row["patient"])
    detail = f"{where}; {_name(str(row['stream']))}; {attrs}; outcome {_name(str(row['outcome']))}"
    lines = "<br>".join(html.escape(t) for t in textwrap.wrap(detail, 95))
    fig.add_annotation(text=lines, x=0, y=1, xref="paper", yref="paper", xanchor="left", yanchor="bottom", yshift=8,
                       showarrow=False, align="left", font={"size": 12})
    fig.update_layout(title={"text": html.escape(f"A patient's journey: patient {who}", quote=False), "x": 0.01,
                             "xanchor": "left", "y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 12}},
                      xaxis_title=f"{unit} since first contact", template="plotly_white", barmode="overlay",
                      yaxis={"autorange": "reversed", "categoryorder": "array", "categoryarray": labels,
                             "automargin": True},
                      height=190 + 26 * len(labels) + 14 * lines.count("<br>"),
                      margin={"l": 10, "r": 10, "t": 70 + 16 * lines.count("<br>"), "b": 10})
    return fig
