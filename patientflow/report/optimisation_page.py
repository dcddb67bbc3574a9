"""The optimiser's report page: one self-contained HTML file.

It says what was found in a sentence, then shows the numbers behind it: each constraint at the
most generous rosters and for the winner on fresh replications, the rosters changed, cost
against journey outcome for every candidate evaluated, the search path, and the winner against
the input moment by moment with paired confidence intervals. All scenario text is escaped.
"""

from __future__ import annotations

import html

from .comparison_page import changes_that_count, difference_text, forest_figure
from .frame import cell_text, figure_html, page_start
from .palette import BLUE, CANDIDATE_COLOUR as VERDICT_COLOUR, GREY, INK, PURPLE



def candidates_figure(opt):
    """Every candidate evaluated: staff cost per week against the journey outcome (first
    replications), coloured by its verdict; the search path joins the steps taken."""
    import plotly.graph_objects as go

    frame = opt.candidates()
    fig = go.Figure()
    for verdict, rows in frame.groupby("verdict", sort=False):
        fig.add_scatter(x=rows.cost_per_week, y=100 * rows.journey, mode="markers", name=verdict or "screened",
                        marker={"color": VERDICT_COLOUR.get(verdict, INK), "size": 8, "opacity": 0.8},
                        hovertext=[html.escape(c) for c in rows.changes])
    path = [frame[frame.changes == opt.space.describe(p)].iloc[0] for p in opt.path]
    if path:
        fig.add_scatter(x=[p.cost_per_week for p in path], y=[100 * p.journey for p in path], mode="lines",
                        name="search path", line={"color": INK, "width": 1, "dash": "dot"})
    for label, point, symbol in (("input", opt.space.origin, "square"), ("optimised", opt.winner, "star")):
        row = frame[frame.changes == opt.space.describe(point)]
        if len(row):
            fig.add_scatter(x=row.cost_per_week, y=100 * row.journey, mode="markers", name=label,  # named in the legend:
                            marker={"symbol": symbol, "size": 16, "color": BLUE if label == "input" else PURPLE,
                                    "line": {"width": 1, "color": "white"}})  # the two may coincide
    fig.update_layout(title="Every candidate evaluated: staff cost against journeys meeting every critical moment",
                      xaxis_title="staff cost per week", yaxis_title="% of journeys (search replications)",
                      template="plotly_white", height=460, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    costs, journeys = frame.cost_per_week, 100 * frame.journey.dropna()
    fig.update_xaxes(range=padded(float(costs.min()), float(costs.max()), 0.02 * opt.space.base_cost), tickformat=",.0f")
    if len(journeys):
        fig.update_yaxes(range=padded(float(journeys.min()), float(journeys.max()), 2.0), ticksuffix=" %")
    return fig


def padded(low: float, high: float, least: float) -> list[float]:
    """An axis range around ``low`` … ``high`` with room on each side, at least ``least`` wide each
    way, so that one point (a search that went nowhere) has readable ticks, not a range of pennies."""
    pad = max(0.08 * (high - low), least)
    return [low - pad, high + pad]


def path_figure(opt):
    """The search, candidate by candidate in the order evaluated: each one's change in cost per
    week from the input, coloured by its verdict, with the steps the search took joined up (from
    the most generous rosters and the input to the answer), so that a search that goes nowhere
    still shows where it looked."""
    import plotly.graph_objects as go

    frame = opt.candidates()
    fig = go.Figure()
    order = {ev.point: ev.index + 1 for ev in opt.evaluations}
    change = frame.cost_change
    for verdict, rows in frame.groupby("verdict", sort=False):
        fig.add_scatter(x=rows.candidate + 1, y=rows.cost_change, mode="markers", name=verdict or "screened",
                        marker={"color": VERDICT_COLOUR.get(verdict, INK), "size": 8, "opacity": 0.8},
                        hovertext=[html.escape(c) for c in rows.changes], hoverinfo="text+y")
    steps = [p for p in opt.path if p in order]
    if steps:
        fig.add_scatter(x=[order[p] for p in steps], y=[opt.space.cost(p) - opt.space.base_cost for p in steps],
                        mode="lines", name="steps taken", line={"color": INK, "width": 1.5},
                        hovertext=[html.escape(opt.space.describe(p)) for p in steps], hoverinfo="text")
    for label, point, symbol in (("input", opt.space.origin, "square"), ("most generous", opt.space.highs, "triangle-up"),
                                 ("answer", opt.winner, "star")):
        if point in order and (label != "answer" or opt.chosen):
            fig.add_scatter(x=[order[point]], y=[opt.space.cost(point) - opt.space.base_cost], mode="markers",
                            name=label, cliponaxis=False, hoverinfo="skip",  # named in the legend: points may coincide
                            marker={"symbol": symbol, "size": 14, "color": {"input": BLUE, "answer": PURPLE}.get(label, INK),
                                    "line": {"width": 1, "color": "white"}})
    fig.add_hline(y=0, line_dash="dot", line_color=GREY)
    low, high = float(min(change.min(), 0)), float(max(change.max(), 0))
    fig.update_layout(title="The search, candidate by candidate: change in cost per week from the input",
                      xaxis_title="candidate, in the order evaluated", yaxis_title="change in cost per week",
                      template="plotly_white", height=360, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      legend={"orientation": "h", "y": -0.25})
    fig.update_xaxes(range=[0.5, max(len(frame), 1) + 0.5], dtick=1 if len(frame) <= 20 else None, tickformat="d")
    fig.update_yaxes(range=padded(low, high, max(0.02 * opt.space.base_cost, 100.0)), tickformat="+,.0f", zeroline=False)
    return fig


def render_optimisation(opt, meta: dict) -> str:
    """The report page as an HTML string."""
    compared = [comparison_section(opt, opt.comparison.table())] if opt.chosen else []
    sections = [headline_section(opt), constraints_section(opt), rosters_section(opt, meta), search_section(opt),
                *compared, candidates_section(opt), method_section(opt, meta)]
    return page_start(f"Optimised rosters for {opt.scenario.name}") + "\n".join(sections) + "\n</body></html>\n"


def headline_section(opt) -> str:
    """The title, the answer in a sentence, why the search stopped early (if it did) and the cards."""
    esc = html.escape
    s = opt.settings
    cost, base = opt.space.cost(opt.winner), opt.space.base_cost
    stopped = f"<p class='warn'>The search stopped early: {esc(opt.stopped)}.</p>" if opt.stopped else ""
    stopped += "".join(f"<p class='warn'>Candidate {esc(c['changes'])}: {esc(c['text'])}</p>" for c in opt.overloaded())
    chosen = opt.chosen
    cost_card = (f"<b>{cost:,.0f}</b>cost per week (input {base:,.0f}, {cost - base:+,.0f})" if chosen else
                 f"<b>none chosen</b>cost per week of the input: {base:,.0f}")
    judged = len(opt.active) if chosen else len(opt.most_generous)
    return f"""<h1>Optimised rosters for {esc(opt.scenario.name)}</h1>
<p class="headline">{esc(opt.message)}</p>
{stopped}
<div class="cards">
<div class='card'>{cost_card}</div>
<div class='card'><b>{len(opt.evaluations)}</b>candidate{'s' if len(opt.evaluations) != 1 else ''} evaluated ({opt.replications_run} replications run, {opt.seconds:.0f} s)</div>
<div class='card'><b>{100 * s.confidence:g} %</b>confidence, one-sided, Bonferroni over {max(judged, 1)} constraint{'s' if judged != 1 else ''}</div>
</div>"""


def constraint_row(opt, c, kind: str) -> str:
    """One constraint's row: its goal, at the most generous rosters, for the chosen rosters on the
    confirmation run, and its status."""
    esc = html.escape
    confirm = {v["constraint"]: v for v in opt.confirmation}
    lost = {v["constraint"]: v for v in opt.unattainable}
    generous = {v["constraint"]: v for v in opt.most_generous}
    scale, suffix = (100, " %") if c.unit == "share" else (1, " min")
    side = "≥" if c.higher_is_better else "≤"

    def show(v):
        if v is None:
            return "–"
        bound = v["low"] if c.higher_is_better else v["high"]
        needed = f"{v.get('needed', c.target) * scale:.1f}"
        asked = f"; needs {side} {needed}{suffix} with the confirmation's margin" \
            if needed != f"{c.target * scale:.1f}" else ""
        return f"{v['mean'] * scale:.1f}{suffix} (one-sided bound {bound * scale:.1f}{suffix}{asked})"
    status = ("cannot be met in the space" if c.label in lost else
              "met" if confirm.get(c.label, {}).get("verdict") == "met" else
              "not confirmed" if c.label in confirm else "–")
    css = "met" if status == "met" else "missed" if status != "–" else ""
    return (f"<tr><td>{esc(c.label)}</td><td>{esc(kind)}</td><td class='nowrap'>{side} {c.target * scale:g}{suffix}</td>"
            f"<td>{show(generous.get(c.label))}</td><td>{show(confirm.get(c.label))}</td>"
            f"<td class='{css}'>{esc(status)}</td></tr>")


def constraints_section(opt) -> str:
    """Each constraint (and target kept) at the most generous rosters and for the chosen ones,
    the tiers reported but not constrained, and the candidates checked on the confirmation run."""
    esc = html.escape
    s = opt.settings
    held = [*((c, "constraint") for c in opt.constraints), *((c, "kept: the input meets it") for c in opt.kept)]
    rows = [constraint_row(opt, c, kind) for c, kind in held]
    reported = "".join(f"<li>{esc(c.label)}</li>" for c in opt.reported)
    looks = "".join(
        f"<tr><td>{esc(opt.space.describe(x))}</td><td>{opt.space.cost(x):,.0f}</td>"
        f"<td class='{'missed' if failed else 'met'}'>"
        f"{esc('not confirmed: ' + '; '.join(v['constraint'] for v in failed)) if failed else 'confirmed'}</td></tr>"
        for x, failed in opt.confirm_looks)
    binds = "".join(f"<li>{esc(v['binds']['text'])}</li>" for v in opt.unattainable if v.get("binds"))
    return f"""<h2>Constraints</h2>
{f"<div class='headline'><b>What binds</b> (at the most generous rosters, where each wait goes: see bottlenecks.csv of a run):<ul>{binds}</ul></div>" if binds else ""}
<p>Each constraint at the most generous rosters of the search space (every level at its highest){
f", and for the chosen rosters on {len(opt.confirmation_replications)} fresh replications that the search never used"
if opt.confirmation_replications else " (no rosters were chosen, so none were confirmed)"}.
A constraint is met when its one-sided {100 * s.confidence:g} % bound (Bonferroni-adjusted) is on the right
side of its target. At the most generous rosters, as for every candidate of the search, the bound
must clear the target by the half-width a confirmation on {s.confirm_replications} fresh replications
will have: a constraint met there by less cannot be shown met by any rosters of the space. Targets of other moments that the input already meets are kept: the chosen
rosters may not break them (so no saving comes from, say, leaving calls unanswered).</p>
<table><tr><th>target</th><th>held as</th><th>goal</th><th>most generous rosters</th>
<th>chosen rosters, confirmation run</th><th>status</th></tr>{''.join(rows)}</table>
{f"<p>Reported, not constrained (a 100 % tier cannot be shown by sampling):</p><ul>{reported}</ul>" if reported else ""}
{f"<p>Checked on the confirmation replications, cheapest first (candidates share the search's replications, so the cheapest that met the constraints there may owe it to their luck):</p><table><tr><th>candidate (changes from the input)</th><th>cost per week</th><th>confirmation</th></tr>{looks}</table>" if looks else ""}"""


def rosters_section(opt, meta: dict) -> str:
    """The rosters changed, and the variant scenario file that holds them."""
    esc = html.escape
    if not meta.get("variant"):
        return """<h2>Rosters changed</h2>
<p>None: no rosters in the search space can meet every constraint (see what binds above), so no
variant scenario file was written.</p>"""
    roster_rows = "".join(
        f"<tr><td>{esc(r.resource)}</td><td>{esc(str(r.block))}</td><td>{r.input}</td><td>{r.optimised}</td>"
        f"<td>{r.change:+d}</td><td>{r.cost_change_per_week:+,.0f}</td></tr>"
        for r in opt.rosters().itertuples() if r.change)
    return f"""<h2>Rosters changed</h2>
<table><tr><th>resource</th><th>shift</th><th>input</th><th>optimised</th><th>change</th><th>cost per week</th></tr>
{roster_rows or "<tr><td colspan='6'>no change</td></tr>"}</table>
<p>The variant scenario file <code>{esc(meta.get("variant", ""))}</code> extends the input with these rosters:
run it with <code>patientflow run</code> or compare it with <code>patientflow compare</code>.</p>"""


def search_section(opt) -> str:
    """The goal, the search space and the screening, with the candidates and path figures."""
    esc = html.escape
    s = opt.settings
    goal = (f"the best journey outcome at a staff cost of at most {s.budget:,.0f} a week" if s.budget is not None
            else "the cheapest rosters under which every constraint holds")
    figures = figure_html(candidates_figure(opt), True) + figure_html(path_figure(opt), False)
    return f"""<h2>The search</h2>
<p>Goal: {esc(goal)}. Search space: {len(opt.space)} staffing levels ({esc(opt.space.ranges_text())}),
{opt.space.size():,} combinations. Common random numbers: replication <i>r</i> of every candidate sees the same
patients. A candidate is first run for {s.first_replications} replications; only one still in doubt whose
estimates meet every target gets {s.step} more at a time, up to {s.max_replications}.</p>
{figures}"""


def comparison_section(opt, table) -> str:
    """The chosen rosters against the input, moment by moment: the forest figure and the
    changes of ``table`` that count (the comparison's table; :func:`.comparison_page.changes_that_count`)."""
    esc = html.escape
    significant = changes_that_count(table)
    sig_rows = "".join(
        f"<tr><td>{esc(r.moment)}</td><td>{esc(r.group)}</td><td>{esc(r.statistic)} {esc(r.tier)}</td>"
        f"<td>{difference_text(r.baseline_value, r.unit, False)}</td><td>{difference_text(r.value, r.unit, False)}</td>"
        f"<td>{difference_text(r.difference, r.unit)} ({difference_text(r.ci_low, r.unit)} to {difference_text(r.ci_high, r.unit)})</td>"
        f"<td class='{'met' if r.verdict == 'improved' else 'missed' if r.verdict == 'worsened' else ''}'>{esc(r.verdict)}</td></tr>"
        for r in significant.itertuples())
    return f"""<h2>Chosen rosters against the input, moment by moment</h2>
<p>Paired differences on the {len(opt.confirmation_replications)} confirmation replications (95 % CIs).</p>
{figure_html(forest_figure(table, "optimised"), False)}
<table><tr><th>moment</th><th>group</th><th>statistic</th><th>input</th><th>optimised</th><th>difference (95 % CI)</th><th>verdict</th></tr>
{sig_rows or "<tr><td colspan='7'>no change that counts</td></tr>"}</table>"""


def candidates_section(opt) -> str:
    """Every candidate evaluated, in the order first evaluated."""
    esc = html.escape
    cand_rows = "".join(
        f"<tr><td>{r.candidate}</td><td>{esc(r.phase)}</td><td>{esc(r.changes)}</td><td>{r.cost_per_week:,.0f}</td>"
        f"<td>{r.replications}</td><td>{esc(r.verdict)}</td><td>{cell_text(r.journey, 'share')}</td></tr>"
        for r in opt.candidates().itertuples())
    return f"""<h2>Every candidate evaluated</h2>
<table><tr><th>#</th><th>phase</th><th>changes from the input</th><th>cost per week</th><th>replications</th><th>verdict</th><th>journeys</th></tr>
{cand_rows}</table>"""


def method_section(opt, meta: dict) -> str:
    """The seed, the replication numbers of the search and of the confirmation, and the method."""
    return f"""<h2>Method</h2>
<p>Seed {meta.get("seed")}; search replications {_ranges(opt.search_replications)}; confirmation replications
{_ranges(opt.confirmation_replications)} (disjoint: each replication number has its own random streams).
The search assumes more staff never lengthens a wait. It runs the most generous rosters first: a
constraint not met there cannot be met in the space. From the input's rosters it adds, while a
constraint is missed, the units that cut the shortfall most per pound (looking first where the
missed constraints' waits go, in the split of the wait; the best half of those that help at
once); then removes staff, most
expensive first, while every constraint holds (a level whose cut failed is not tried again unless
another level rises); then tries moving a unit to a cheaper shift of the same resource. With a budget, it
moves to the best journey outcome within it by paired comparisons, keeping a move only when it is
better with the stated confidence. The search accepts a candidate only when its bound clears each
target by the half-width the confirmation will have, so that its choice does not owe its place to the
luck of the replications every candidate shares.</p>"""


def _ranges(numbers) -> str:
    numbers = sorted(numbers)
    if not numbers:
        return "none"
    parts, start, prev = [], numbers[0], numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(f"{start}–{prev}" if prev != start else f"{start}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)

