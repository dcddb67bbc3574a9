"""The wait-time report: one self-contained HTML file (plotly.js inlined, no network needed).

It shows, stage by stage along the service cycle, how each moment of truth meets its target, and
the summary table with every number of summary.csv. All scenario text is HTML-escaped.
"""

from __future__ import annotations

import html
from pathlib import Path
from dataclasses import dataclass

import numpy as np


from ..moments.ranking import RULE, count_targets, misses
from .act import act_html
from ..moments.verdict import row_verdict
from ..units import SHARE, duration_text, group_label, interval_text, row_label
from ..clock import DAY
from .frame import cell_text, figure_html, page_start
from .palette import INK, STATUS_COLOUR

__all__ = ["group_label", "stage_figure", "planner_figures", "headline", "render"]


def stage_panels(rows) -> list[tuple[str, list]]:
    """A stage's summary rows in two panels: those read as a share of patients (a share within
    a time, an outcome's share) and those read in minutes (a mean target, or a wait with no
    target, shown by its mean). Every row is in one of them."""
    shares, minutes = [], []
    for _, r in rows.iterrows():
        in_minutes = r["tier_kind"] == "mean" or (not r["tier_kind"] and r["unit"] != SHARE)
        (minutes if in_minutes else shares).append(r)
    return [(name, panel) for name, panel in (("share", shares), ("minutes", minutes)) if panel]


def stage_value(r) -> tuple[float, float, float, float]:
    """What a stage chart shows for a row, in the panel's unit: (value, low, high, target)."""
    if r["tier_kind"] == "mean" or (not r["tier_kind"] and r["unit"] != SHARE):
        target = r["target"] if r["tier_kind"] == "mean" else np.nan
        return r["mean"], r["mean_ci_low"], r["mean_ci_high"], target
    key = "within_target" if r["tier_kind"] else "mean"
    return 100 * r[key], 100 * r[f"{key}_ci_low"], 100 * r[f"{key}_ci_high"], 100 * r["target_share"]


def stage_figure(stage_title: str, rows, legend: bool = True):
    """How each moment row of one stage meets its target: shares in % (within a time, or an
    outcome's share) and means in minutes, each with its 95 % CI and the target marked."""
    from plotly.subplots import make_subplots

    panels = stage_panels(rows)
    fig = make_subplots(rows=len(panels), cols=1, vertical_spacing=0.12,
                        row_heights=[max(len(p), 1) for _, p in panels])
    for k, (unit, panel) in enumerate(panels, start=1):
        labels, values, lows, highs, targets, colours, texts, symbols = [], [], [], [], [], [], [], []
        suffix = " %" if unit == "share" else " min"
        for r in panel:
            value, low, high, target = stage_value(r)
            labels.append(html.escape(row_label(r["title"], r["group"], r["tier"])))
            values.append(value)
            lows.append(value - low if low == low else 0)
            highs.append(high - value if high == high else 0)
            targets.append(target if target == target else None)
            colours.append(STATUS_COLOUR[row_verdict(r)])
            texts.append(f"{value:,.1f}{suffix}" if value == value else "–")
            symbols.append("triangle-left" if r["tier_kind"] in ("at_most", "mean") else "triangle-right")
        end = 109.0 if unit == "share" else 1.1 * max([v + h for v, h in zip(values, highs) if v == v]
                                                     + [t for t in targets if t is not None] + [1.0])
        fig.add_bar(y=labels, x=values, orientation="h", marker_color=colours, text=texts, textposition="none",
                    error_x={"type": "data", "symmetric": False, "array": highs, "arrayminus": lows, "color": INK},
                    name="estimate (95 % CI)", showlegend=legend and k == 1, row=k, col=1)
        if any(t is not None for t in targets):
            fig.add_scatter(y=labels, x=targets, mode="markers", marker={"symbol": symbols, "size": 13, "color": "black"},
                            name="target (▶ at least, ◀ at most)", showlegend=legend and k == 1, row=k, col=1)
        axes = ("x", "y") if k == 1 else (f"x{k}", f"y{k}")
        for label, text in zip(labels, texts):  # right of the panel, where no bar, interval or target covers it
            fig.add_annotation(x=1, xref=f"{axes[0]} domain", y=label, yref=axes[1], text=text, xanchor="left",
                               xshift=8, showarrow=False, font={"size": 12, "color": INK}, name="value")
        fig.update_xaxes(title_text="% of patients" if unit == "share" else "minutes", range=[0, end], row=k, col=1)
        fig.update_yaxes(automargin=True, autorange="reversed", ticklabelstandoff=6, row=k, col=1)
    n = sum(len(p) for _, p in panels)
    fig.update_layout(title=html.escape(stage_title), height=150 + 38 * n + 50 * (len(panels) - 1),
                      margin={"l": 10, "r": 90, "t": 40, "b": 10}, template="plotly_white",
                      legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"})
    return fig


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
    inside_at_end: str = "patients inside when a replication ended"
    sample_noun: str = "replication"  # what each statistic is computed over before it is averaged
    method_html: str = ""  # replaces the simulation's method table (already escaped)


SIMULATED = Wording()


def planner_figures(results, wording: Wording = SIMULATED) -> list[tuple[str, str]]:
    """The figures planners are judged on, as (label, value) pairs, each the mean over
    replications (or periods of a log) with its 95 % interval."""
    summary = results.summary()
    out: list[tuple[str, str]] = []
    duration = summary[(summary["kind"] == "duration") & summary["critical"]]
    for _, r in duration[duration["tier_kind"] == "within"].groupby(["moment", "group"], sort=False).head(1).iterrows():
        if r["group"] != "all":
            continue  # a moment by group has a target per group: its patients a day over it are below
        out.append((f"hours a day spent waiting beyond {duration_text(r['target'])}: {r['title']}",
                    interval_text(r["beyond_hours_per_day"], r["beyond_hours_per_day_ci_low"],
                                  r["beyond_hours_per_day_ci_high"], "h")))
    for _, r in duration[duration["tier_kind"] == "within"].iterrows():
        if r["target_share"] >= 0.999 or r["target"] >= 240:
            out.append((f"patients a day waiting over {duration_text(r['target'])}: {row_label(r['title'], r['group'])}",
                        interval_text(r["missed_per_day"], r["missed_per_day_ci_low"], r["missed_per_day_ci_high"])))
    for r in results.leaving().itertuples():
        if r.per_day > 0:
            out.append((f"patients a day leaving: {r.outcome.replace('_', ' ')}",
                        interval_text(r.per_day, r.ci_low, r.ci_high)))
    inside, low, high = results.inside_at_end()
    out.append((wording.inside_at_end, interval_text(inside, low, high, digits=0)))
    journey = summary[summary["moment"] == "journey"].iloc[0]
    out.append(("journeys meeting every critical moment",
                interval_text(journey["mean"], journey["mean_ci_low"], journey["mean_ci_high"], SHARE)))
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _by_moment(items) -> list[str]:
    """Misses grouped by moment, in the order of the first of each: ``Response: category 1 — mean
    7min, 90% within 15min; category 3 — 90% within 120min``."""
    grouped: dict[str, list] = {}
    for m in items:
        grouped.setdefault(m.title, []).append(m)
    lines = []
    for title, ms in grouped.items():
        parts = [(f"{group_label(m.group)} — " if m.group != "all" else "") + ", ".join(t for t, _ in m.tiers) for m in ms]
        lines.append(f"{title}: " + "; ".join(parts))
    return lines


def headline_lines(summary) -> list[str]:
    """The run's verdict in plain sentences: how many targets of critical moments (each tier of
    each group counts once) are missed or too close to call, every one named by moment, then the
    other targets and the journey outcome."""
    lines = []
    critical, other = count_targets(summary, True), count_targets(summary, False)
    ranked = misses(summary)
    missed = [m for m in ranked if any(v == "missed" for _, v in m.tiers)]
    for m in missed:
        m.tiers = [(t, v) for t, v in m.tiers if v == "missed"]
    close = [m for m in misses(summary) if all(v == "close" for _, v in m.tiers)]
    text = f"{critical.missed} of {_count(critical.targets, 'critical target')} missed"
    if critical.close:
        text += f", {critical.close} too close to call (the interval straddles the target)"
    if critical.missed + critical.close == 0:
        text = f"Every one of the {_count(critical.targets, 'critical target')} is met"
    lines.append(text + ".")
    lines += [f"Missed: {line}" for line in _by_moment([m for m in missed if m.critical])]
    lines += [f"Too close to call: {line}" for line in _by_moment([m for m in close if m.critical])]
    if other.targets:
        lines.append(f"Other targets: {other.missed} of {other.targets} missed"
                     + (f", {other.close} too close to call" if other.close else "") + ".")
        lines += [f"Missed: {line}" for line in _by_moment([m for m in missed if not m.critical])]
    journey = summary[summary["moment"] == "journey"]
    if len(journey):
        j = journey.iloc[0]
        target = f" (target {j['tier']}: {row_verdict(j)})" if j["tier"] else ""
        lines.append(f"Journeys meeting every critical moment that applied: "
                     f"{interval_text(j['mean'], j['mean_ci_low'], j['mean_ci_high'], SHARE)}{target}.")
    return lines


def headline(results) -> str:
    """The headline as HTML: the count in bold, then every miss by moment."""
    lines = headline_lines(results.summary())
    first, rest = lines[0], lines[1:]
    items = "".join(f"<li>{html.escape(line)}</li>" for line in rest)
    return f"<b>{html.escape(first)}</b><ul class='misses'>{items}</ul>"


def _sections(results, wording: Wording) -> dict[str, str]:
    """Each figure section of the report as HTML (plotly.js once, in the first)."""
    from . import figures

    summary = results.summary()
    model = results.scenario.model
    stage_figs = []
    for stage, title in model.stages:
        rows = summary[summary["stage"] == stage]
        if not rows.empty:
            stage_figs.append(stage_figure(title, rows, legend=not stage_figs))
    has_patients = len(results.patients_for_figures()) > 0
    moment_figs = [figures.moment(results, m.name) for m in model.moments] if has_patients else []
    day_figs = [figures.through_the_day(results)]
    if results.measured_days >= 7 and has_patients:
        day_figs.append(figures.through_the_week(results))
    day_figs.append(figures.staffing(results))
    path_figs = [figures.pathway(results, f"The pathway {wording.pathway}: steps by stage, arcs as wide as the patients who took them"),
                 figures.journey(results)] if has_patients else []

    def block(figs) -> str:
        return "".join(figure_html(f, False) for f in figs)
    fleet = ""
    if len(results.vehicles(by="station")):
        from .fleet_figure import fleet_figure, fleet_table
        fleet = ('<h2 id="fleet">The fleet</h2>'
                 "<p>Each unit is on duty when its station's roster has it, and works on "
                 "past the roster's end when a job runs over. Utilisation is the time serving a patient (mobilising to "
                 "clearing up) over rostered time; returning to the station, a unit is free to be sent.</p>"
                 + figure_html(fleet_figure(results), False) + fleet_table(results))
    return {"cycle": figure_html(figures.cycle_map(results), True), "weakest": figure_html(figures.weakest(results), False),
            "stages": block(stage_figs), "moments": block(moment_figs), "day": block(day_figs), "pathway": block(path_figs),
            "fleet": fleet}


def _warnings_html(results, run_meta: dict) -> str:
    """The run's warnings: replications stopped as overloaded, the scenario's own, the warm-up."""
    warnings = []
    if results.overloaded:
        from ..experiment.overload import overload_text
        warnings.append(overload_text(results.overloaded, results.overwhelmed))
    warnings += [f"Warning: {w}" for w in run_meta.get("warnings", [])]
    if run_meta.get("warm_up_warning"):
        warnings.append(run_meta["warm_up_warning"])
    return "".join(f"<p class='warn'>{html.escape(w)}</p>" for w in warnings)


def _utilisation_rows(results) -> str:
    mean_util = results.utilisation().groupby("resource", sort=False)["utilisation"].mean()
    return "".join(f"<tr><td>{html.escape(r)}</td><td>{'–' if u != u else f'{100 * u:.0f} %'}</td></tr>"
                   for r, u in mean_util.items())


def render(results, run_meta: dict, wording: Wording = SIMULATED, act: Path | None = None) -> str:
    """The wait-time report as one self-contained HTML string; its first screen says where to act
    first, with the ready experiments written to the folder ``act`` (and the commands testing them)."""
    scenario = results.scenario
    esc = html.escape
    blocks = _sections(results, wording)
    cards = "".join(f"<div class='card'><b>{esc(v)}</b>{esc(k)}</div>" for k, v in planner_figures(results, wording))
    return page_start(f"{scenario.name} — {wording.title}") + f"""<h1>{esc(scenario.name)}</h1>
{wording.intro_html}
<p>{esc(scenario.spec.description)}</p>
<nav><a href="#act">Act here first</a><a href="#cycle">Service cycle</a><a href="#weakest">Weakest moments</a>
<a href="#figures">Key figures</a><a href="#stages">Stage by stage</a><a href="#day">Through the day</a>
{'<a href="#fleet">Fleet</a>' if blocks['fleet'] else ''}<a href="#pathway">Pathway</a><a href="#summary">Summary table</a><a href="#method">Method</a></nav>
{act_html(results, act)}
<div class="headline">{headline(results)}</div>
{_warnings_html(results, run_meta)}
<h2 id="cycle">The service cycle</h2>
<p>Each moment of truth on its stage: <span class="met">met</span> (target met, confidence interval agrees),
<span class="close">close</span> (the interval straddles the target), <span class="missed">missed</span>;
diamonds are critical moments.</p>
{blocks['cycle']}
<h2 id="weakest">Weakest moments first</h2>
<p class="rule">{esc(RULE)}</p>
{blocks['weakest']}
<h2 id="figures">Key figures</h2>
<p>{esc(wording.per_day)}, {esc(wording.sample or _sample_text(results))}.</p>
<div class="cards">{cards}</div>
<h2 id="stages">Stage by stage</h2>
<p>{esc(wording.mean_over)}; the black mark is the target.</p>
{blocks['stages']}
{blocks['moments']}
<h2 id="day">Through the day</h2>
{blocks['day']}
<table style="width:auto"><tr><th>resource</th><th>busy share of rostered capacity</th></tr>{_utilisation_rows(results)}</table>
{blocks['fleet']}
<h2 id="pathway">The pathway {esc(wording.pathway)}</h2>
{blocks['pathway']}
<h2 id="summary">Summary table</h2>
{_table(results.summary(), wording.sample_noun)}
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
<tr><td>run length, warm-up</td><td>{run_meta['length_minutes'] / DAY:g} days after a warm-up of {run_meta['warm_up_minutes'] / DAY:g} days; time 0 is a Monday 00:00</td></tr>
<tr><td>replications, seed</td><td>{len(results.replications)}, seed {results.seed}</td></tr>
<tr><td>random streams</td><td>{esc(run_meta['random_streams'])}; common random numbers across scenarios</td></tr>
<tr><td>statistics</td><td>each statistic per replication, then the mean across replications with a 95 % t-interval; counted patients are those whose starting event falls after the warm-up; patients still waiting at the end count as misses once past the target</td></tr>
<tr><td>software</td><td>{esc(', '.join(f'{k} {v}' for k, v in run_meta['versions'].items()))}</td></tr>
<tr><td>run time, machine</td><td>{run_meta['run_seconds']:.1f} s; {esc(str(machine.get('system', '')))} {esc(str(machine.get('machine', '')))}, {esc(str(machine.get('cpus', '')))} cores</td></tr>
</table>
"""


def _table(summary, noun: str = "replication") -> str:
    esc = html.escape
    head = ["moment", "group", "tier", f"patients per {noun}", "open", "mean (95 % CI)", "p50", "p90", "p95",
            "within target (95 % CI)", "patients a day missing it (95 % CI)", "verdict"]
    lines = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for _, r in summary.iterrows():
        unit = r["unit"]
        verdict = r["verdict"]
        cells = [esc(str(r["title"])), esc(str(r["group"])), esc(str(r["tier"])), cell_text(r["n"]), cell_text(r["n_open"]),
                 interval_text(r["mean"], r["mean_ci_low"], r["mean_ci_high"], unit),
                 cell_text(r["p50"], unit), cell_text(r["p90"], unit), cell_text(r["p95"], unit),
                 interval_text(r["within_target"], r["within_target_ci_low"], r["within_target_ci_high"], SHARE),
                 interval_text(r["missed_per_day"], r["missed_per_day_ci_low"], r["missed_per_day_ci_high"]),
                 "–" if verdict == "no target" else f"<span class='{verdict}'>{verdict}</span>"]
        lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


