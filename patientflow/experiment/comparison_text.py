"""A comparison in a sentence per scenario, as the page and the command print it.

Each sentence leads with the targets the scenario changes (the scorecard: critical first), then
its largest changes that count in a 90th centile or a share (critical moments first, by size
against the baseline; a group too small to judge is never among them), the journey outcome and
the cost a week, staff apart from places.
"""

from __future__ import annotations

from ..units import change_text, row_label

FLIPS_SHOWN = 3
CHANGES_SHOWN = 2
STATISTIC_WORDS = {"p90": "90th centile", "mean": "mean", "share": "share", "within_target": "within target"}


def plain_lines(comparison, table=None, scorecard=None, costs=None) -> list[str]:
    """One sentence per scenario other than the first (see the module)."""
    table = comparison.table() if table is None else table
    scorecard = comparison.scorecard() if scorecard is None else scorecard
    costs = (comparison.costs() if costs is None else costs).set_index("scenario")
    lines = []
    for name in comparison.names[1:]:
        rows = table[table.scenario == name]
        parts = [targets_part(scorecard[scorecard.scenario == name]), changes_part(rows)]
        journey = rows[rows.moment == "journey"]
        if len(journey):
            j = journey.iloc[0]
            parts.append(f"journeys meeting every critical moment {change_text(j.difference, j.ci_low, j.ci_high, 'share')}"
                         + ("" if j.counts else f", {j.verdict}"))
        c = costs.loc[name]
        base = costs.loc[comparison.baseline]
        parts.append(f"cost {c.cost_per_week - base.cost_per_week:+,.0f} a week (staff "
                     f"{c.staff_cost_per_week - base.staff_cost_per_week:+,.0f}, places "
                     f"{c.places_cost_per_week - base.places_cost_per_week:+,.0f})")
        lines.append(f"{name}: " + "; ".join(parts))
    return lines


def flip_text(r) -> str:
    """One target of the scorecard: ``Handover · 65% within 15min missed → close``."""
    few = " (few patients)" if r.small_group else ""
    return f"{row_label(r.title, r.group, r.tier)} {r.before} → {r.after}{few}"


def targets_part(flips) -> str:
    """The targets a scenario changes (its rows of the scorecard, in the scorecard's order;
    those of groups too small to judge only counted)."""
    if flips.empty:
        return "no target changes its verdict"
    large = flips[~flips.small_group]
    shown = [flip_text(r) for r in large.head(FLIPS_SHOWN).itertuples()]
    extras = ([f"{len(large) - len(shown)} more"] if len(large) > len(shown) else []) + (
        [f"{len(flips) - len(large)} in groups too small to judge"] if len(flips) > len(large) else [])
    more = f" (and {', '.join(extras)}: see the scorecard)" if extras else ""
    return ("targets: " + ", ".join(shown) if shown else "no target of a group large enough to judge flips") + more


def ranked_changes(rows):
    """The changes that count in a 90th centile or a share (the journey aside), critical moments
    first, then the largest relative to the baseline's value first."""
    pick = rows[rows.counts & rows.statistic.isin(["p90", "share"]) & (rows.moment != "journey")]
    size = (pick.difference / pick.baseline_value.where(pick.baseline_value > 0)).abs()
    return pick.assign(size=size.fillna(0)).sort_values(["critical", "size"], ascending=[False, False], kind="stable")


def changes_part(rows) -> str:
    """A scenario's largest changes that count (see :func:`ranked_changes`)."""
    pick = ranked_changes(rows).head(CHANGES_SHOWN)
    if pick.empty:
        return "no change that counts in a 90th centile or a share"
    return "largest changes: " + "; ".join(
        f"{row_label(r.title, r.group)} {STATISTIC_WORDS[r.statistic]} {change_text(r.difference, r.ci_low, r.ci_high, r.unit)}"
        for r in pick.itertuples())
