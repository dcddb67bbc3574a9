"""One moment's waits as a picture: a histogram per group (small multiples: one panel per
category or acuity, never overlaid), each against its own target lines, named in the legend.

The waits are binned here, before the figure is made (:func:`wait_bins`, the one rule), so that a
report ships a few dozen bars per panel instead of every patient's wait.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np

from ..moments.frames import moment_waits
from ..units import group_label
from .palette import BLUE, INK, DASHES

BARS = 40  # about this many bars per panel
TAIL = 0.95  # the open last bar begins past this centile of the waits (and past every target)


@dataclass(frozen=True)
class Bins:
    """Waits counted in bars of equal width from 0: ``counts[k]`` waits in [k·width, (k+1)·width),
    the last bar also holding every longer wait (``open_above``: where that bar begins)."""

    width: float
    counts: np.ndarray
    total: int

    @property
    def open_above(self) -> float:
        return self.width * (len(self.counts) - 1)

    @property
    def percent(self) -> np.ndarray:
        return 100 * self.counts / max(self.total, 1)


def nice_width(span: float, bars: int = BARS) -> float:
    """A bar width of 1, 2, 2.5 or 5 times a power of ten, giving about ``bars`` bars over ``span``."""
    raw = max(span, 1e-9) / bars
    power = 10 ** math.floor(math.log10(raw))
    return next(k * power for k in (1, 2, 2.5, 5, 10) if k * power >= raw)


def wait_bins(waits: np.ndarray, thresholds=()) -> Bins:
    """The waits in bars: equal widths from 0 to past the 95th centile and 1.2 times every threshold,
    then one open-ended bar."""
    waits = np.asarray(waits, dtype=float)
    reach = max([float(np.quantile(waits, TAIL)) if waits.size else 0.0] + [1.2 * t for t in thresholds])
    width = nice_width(reach if reach > 0 else 1.0)
    n = int(math.floor(reach / width)) + 2  # past the reach, then the open bar
    index = np.minimum(np.floor(np.maximum(waits, 0) / width).astype(np.int64), n - 1)
    return Bins(width, np.bincount(index, minlength=n), int(waits.size))


def _groups(model, m, patients, keep, waits):
    if m.by < 0:
        return [("all", waits)]
    column = patients.loc[keep, model.attributes[m.by]].astype(str).to_numpy()
    return [(f"{model.attributes[m.by]}={v}", waits[column == str(v)]) for v in model.values[m.by]]


def duration_moment(results, m, rows):
    """A duration moment: one panel per group, its waits in % of the group's patients, with the
    group's target thresholds as dashed lines named in the legend."""
    from plotly.subplots import make_subplots

    model = results.scenario.model
    patients = results.patients_for_figures()
    keep, waits, _began = moment_waits(model, m, patients)
    groups = [(g, w) for g, w in _groups(model, m, patients, keep, waits) if w.size]
    tiers = rows[rows["tier_kind"].isin(["within", "mean"]) & (rows["target"] == rows["target"])]
    seconds = all(w.size == 0 or np.quantile(w, TAIL) < 2 for _, w in groups) and (tiers["target"] < 2).all()
    scale, unit = (60.0, "seconds") if seconds else (1.0, "minutes")
    fig = make_subplots(rows=max(len(groups), 1), cols=1, vertical_spacing=min(0.12, 0.5 / max(len(groups), 1)),
                        subplot_titles=[html.escape(group_label(g)) for g, _ in groups] if m.by >= 0 else None)
    longest = 0.0
    for k, (group, values) in enumerate(groups, start=1):
        mine = tiers[tiers["group"] == group]
        b = wait_bins(values * scale, list(mine["target"] * scale))
        x = b.width * (np.arange(len(b.counts)) + 0.5)
        fig.add_bar(x=x, y=b.percent, width=b.width * 0.95, marker_color=BLUE, showlegend=False, row=k, col=1,
                    customdata=np.column_stack([x - b.width / 2, x + b.width / 2, b.counts]),
                    hovertemplate="%{customdata[0]:g} to %{customdata[1]:g} " + unit
                                  + ": %{y:.1f} % (%{customdata[2]} patients)<extra></extra>")
        top = min(max(float(b.percent.max()), 1.0) * 1.08, 100.0)
        for d, (_, r) in enumerate(mine.iterrows()):
            where = f"{group_label(group)}: " if group != "all" else "target "
            fig.add_scatter(x=[r["target"] * scale] * 2, y=[0, top], mode="lines", row=k, col=1,
                            line={"color": INK, "width": 1.5, "dash": DASHES[(d + 1) % len(DASHES)]},
                            name=html.escape(f"{where}{r['tier']}"), legendgroup=group, hoverinfo="name")
        fig.update_xaxes(range=[-0.6 * b.width, b.width * len(b.counts)], row=k, col=1)  # "0" clear of "0 %"
        fig.update_yaxes(range=[0, top], ticksuffix=" %", title_text="% of waits", title_font={"size": 11}, row=k, col=1)
        longest = max(longest, b.open_above)
    fig.update_xaxes(title_text=f"{unit} waited (the last bar holds every longer wait)", row=max(len(groups), 1), col=1)
    fig.update_layout(height=150 + 170 * max(len(groups), 1), bargap=0,
                      legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"})
    return fig


def share_moment(rows):
    """A share moment: the share of each group with its 95 % CI, the target a dashed line."""
    import plotly.graph_objects as go

    fig = go.Figure()
    labels = [html.escape(group_label(g) or "all patients") for g in rows["group"]]
    fig.add_bar(x=labels, y=100 * rows["mean"], marker_color=BLUE, showlegend=False,
                error_y={"type": "data", "symmetric": False, "array": 100 * (rows["mean_ci_high"] - rows["mean"]),
                         "arrayminus": 100 * (rows["mean"] - rows["mean_ci_low"]), "color": INK})
    for d, (_, r) in enumerate(rows[rows["tier"] != ""].drop_duplicates("tier").iterrows()):
        fig.add_scatter(x=[-0.5, len(labels) - 0.5], y=[100 * r["target_share"]] * 2, mode="lines",
                        line={"color": INK, "dash": DASHES[(d + 1) % len(DASHES)]}, xaxis="x2",
                        name=html.escape(f"target {r['tier']}"), hoverinfo="name")
    fig.update_layout(yaxis={"title": "% of patients", "rangemode": "tozero"},
                      xaxis2={"overlaying": "x", "range": [-0.5, len(labels) - 0.5], "visible": False},
                      legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"})
    return fig


def moment(results, name: str):
    """The wait distribution of one moment (by group when grouped), against its target tiers."""
    model = results.scenario.model
    m = next((x for x in model.moments if x.name == name), None)
    if m is None:
        raise KeyError(f"no moment named {name!r}; moments: {', '.join(x.name for x in model.moments)}")
    summary = results.summary()
    rows = summary[summary["moment"] == name]
    fig = share_moment(rows) if m.kind == "share" else duration_moment(results, m, rows)
    fig.update_layout(title=html.escape(m.title), template="plotly_white", height=fig.layout.height or 340,
                      margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return fig
