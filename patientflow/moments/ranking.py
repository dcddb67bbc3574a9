"""Where to act first: the targets a service misses, ranked by what the misses cost patients.

The rule (:data:`RULE`, stated on every page that ranks): a missed target is ranked by its
patients a day beyond what it allows — the fewest patients a day who would have to meet it for
it to be met (``excess_per_day`` of the summary; for a mean, the patients whose waits would have
to fall to it). A moment measured by group ranks each group apart, and a moment with several
tiers by its costliest tier not met. Critical moments come before the others. The journey
outcome (every critical moment met) is made of the others and is not ranked with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .verdict import Verdict, worst

RULE = ("Ranked by patients a day beyond what the target allows (the fewest who would have to meet it for it "
        "to be met; for a mean, whose waits would have to fall to it), each moment and group by its costliest "
        "tier not met, critical moments first.")


@dataclass
class Miss:
    """One moment and group with at least one tier not met."""

    moment: str
    group: str
    title: str
    stage: str
    critical: bool
    verdict: Verdict  # the worst of its tiers
    excess: float  # patients a day beyond what its costliest tier allows (0 when none is past it)
    excess_low: float
    excess_high: float
    tier: str  # that tier
    tiers: list[tuple[str, Verdict]] = field(default_factory=list)  # every tier not met


def _value(x) -> float:
    return float(x) if x == x and x is not None else math.nan


def misses(summary, include_close: bool = True) -> list[Miss]:
    """The moments and groups whose targets are not all met, in the order to act on them."""
    out = []
    ranked = summary[(summary["tier_kind"] != "") & (summary["kind"] != "journey")]
    for (moment, group), rows in ranked.groupby(["moment", "group"], sort=False):
        bad = rows[rows["verdict"].isin(["missed", "close"] if include_close else ["missed"])]
        if bad.empty:
            continue
        costs = bad["excess_per_day"].fillna(-math.inf)
        top = bad.loc[costs.idxmax()]
        excess = _value(top["excess_per_day"])
        first = rows.iloc[0]
        out.append(Miss(moment, group, str(first["title"]), str(first["stage"]), bool(first["critical"]),
                        worst(bad["verdict"]), max(excess, 0.0) if excess == excess else math.nan,
                        _value(top["excess_per_day_ci_low"]), _value(top["excess_per_day_ci_high"]), str(top["tier"]),
                        [(str(r["tier"]), r["verdict"]) for _, r in bad.iterrows()]))
    out.sort(key=lambda m: (not m.critical, -(m.excess if m.excess == m.excess else -1.0)))
    return out


@dataclass(frozen=True)
class TargetCount:
    """How many targets (tiers) a set of moments has, and how many are missed or too close to call."""

    targets: int
    missed: int
    close: int


def count_targets(summary, critical: bool) -> TargetCount:
    """Targets of critical (or other) moments — each tier of each group counts once; the journey
    outcome is not among them."""
    rows = summary[(summary["tier_kind"] != "") & (summary["kind"] != "journey") & (summary["critical"] == critical)
                   & (summary["verdict"] != "no target")]
    return TargetCount(len(rows), int((rows["verdict"] == "missed").sum()), int((rows["verdict"] == "close").sum()))
