"""An independent recomputation of what report.html says above its charts (tests/oracle.py's sequel).

From patients.parquet, the scenario's merged dictionary and the oracle's own summary
(:func:`oracle.oracle_summary`), with plain pandas and numpy, and nothing of the library:

* **Key figures**, in this order: hours a day spent waiting beyond the first "P% within T" tier of
  each critical duration moment without ``by:``; patients a day waiting over T for each "P% within
  T" tier of a critical duration moment (any group) with P >= 99.9 % or T >= 240 min; patients a day
  leaving with each outcome that has a positive rate; patients inside when a replication ended; and
  the journeys meeting every critical moment. Each is a mean over replications with its 95 %
  t-interval.
* **The headline**: the targets (the tiers of every group of every critical moment, the journey
  row apart) missed and too close to call, every missed tier named by moment, then the moment-groups
  whose tiers not met are all close, then the other moments' targets, and last the journey.
* **"Weakest moments first"**: one bar per moment-group with a tier not met (missed or close), its
  value the ``excess_per_day`` of its costliest such tier clipped at 0, critical moment-groups first
  and then by value, at most 12.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oracle import INSIDE, for_filter, mean_and_interval

WEAKEST_BARS = 12
NOT_MET = ("missed", "close")


def duration_words(minutes: float) -> str:
    """A target's time as the report writes it: ``20 s`` below a minute, ``4 h`` from 120 min in whole
    hours, else ``15 min``."""
    if minutes >= 120 and minutes % 60 == 0:
        return f"{minutes / 60:g} h"
    if minutes < 1:
        return f"{minutes * 60:g} s"
    return f"{minutes:g} min"


def group_words(group: str) -> str:
    """``acuity=1`` as the report writes it: ``acuity 1``."""
    return group.replace("=", " ")


def titled(title: str, group: str) -> str:
    """A moment's title, with its group in brackets when it has one."""
    return title if group == "all" else f"{title} ({group_words(group)})"


@dataclass(frozen=True)
class Figure:
    """One key figure: its label, the mean with its interval, the unit after it and the decimals shown."""

    label: str
    value: float
    low: float
    high: float
    unit: str = ""  # "h", "%" or nothing
    digits: int = 1
    kind: int = 0  # its place in the order of the kinds of figure (0 to 4)


def key_figures(summary: pd.DataFrame, patients: pd.DataFrame, spec: dict) -> list[Figure]:
    """The key figures, kind by kind in the report's order (within a kind: summary order, then outcome)."""
    figures = []
    critical = summary[(summary["kind"] == "duration") & summary["critical"]]
    critical_within = critical[critical["tier_kind"] == "within"]
    for _, r in critical_within[critical_within["group"] == "all"].groupby("moment", sort=False).head(1).iterrows():
        figures.append(Figure(f"hours a day spent waiting beyond {duration_words(r['target'])}: {r['title']}",
                              *per_day(r, "beyond_hours_per_day"), unit="h", kind=0))
    for _, r in critical_within.iterrows():
        if r["target_share"] >= 0.999 or r["target"] >= 240:
            figures.append(Figure(f"patients a day waiting over {duration_words(r['target'])}: "
                                  f"{titled(r['title'], r['group'])}", *per_day(r, "missed_per_day"), kind=1))
    for outcome, (mean, low, high) in leaving_per_day(patients, spec).items():
        if mean > 0:
            figures.append(Figure(f"patients a day leaving: {outcome.replace('_', ' ')}", mean, low, high, kind=2))
    inside = [np.count_nonzero(p["outcome"].astype(str) == INSIDE) for _, p in by_replication(patients)]
    mean, low, high = mean_and_interval(inside)
    figures.append(Figure("patients inside when a replication ended", mean, clip_low(low), high, digits=0, kind=3))
    journey = summary[summary["kind"] == "journey"].iloc[0]
    figures.append(Figure("journeys meeting every critical moment", *(100 * journey[c] for c in
                                                                      ("mean", "mean_ci_low", "mean_ci_high")),
                          unit="%", kind=4))
    return figures


def per_day(row, statistic: str) -> tuple[float, float, float]:
    return row[statistic], row[f"{statistic}_ci_low"], row[f"{statistic}_ci_high"]


def clip_low(low: float) -> float:
    return low if np.isnan(low) else max(low, 0.0)


def by_replication(patients: pd.DataFrame):
    return patients.groupby("replication", sort=True)


def leaving_per_day(patients: pd.DataFrame, spec: dict) -> dict[str, tuple[float, float, float]]:
    """Patients a day leaving with each outcome after the warm-up: the mean over every replication (one
    without any counts 0) and its 95 % t-interval, its low end clipped at 0."""
    warm_up, length = spec["run"]["warm_up"], spec["run"]["length"]
    days = (length - warm_up) / 1440
    outcomes = sorted(set(patients["outcome"].astype(str)) - {INSIDE})
    counts = {o: [] for o in outcomes}
    for _, p in by_replication(patients):
        left = p["left"].notna() & (p["left"] >= warm_up)
        outcome = p["outcome"].astype(str)
        for o in outcomes:
            counts[o].append(np.count_nonzero(left & (outcome == o)) / days)
    out = {}
    for o, values in counts.items():
        mean, low, high = mean_and_interval(values)
        out[o] = (mean, clip_low(low), high)
    return out


# --- the headline ----------------------------------------------------------------------------

Item = tuple[str, str, str]  # a tier named on a headline line: moment, group, tier


@dataclass
class Headline:
    """What the headline must say: its count lines, the tiers each kind of line must name, the journey."""

    count_line: str
    other_line: str | None  # None: no moment that is not critical has a target
    missed: set[Item] = field(default_factory=set)  # critical tiers missed
    close: set[Item] = field(default_factory=set)  # critical tiers of moment-groups with every tier not met close
    other_missed: set[Item] = field(default_factory=set)  # tiers missed of moments that are not critical
    journey: tuple[float, float, float] = (np.nan, np.nan, np.nan)  # its share in %
    journey_target: str = ""  # "at least 80%: missed", or "" without a target


def count_sentence(missed: int, close: int, n: int, critical: bool) -> str:
    """The headline's first line (critical moments) or its "Other targets" line."""
    if critical:
        noun = "critical target" + ("" if n == 1 else "s")
        if missed + close == 0:
            return f"Every one of the {n} {noun} is met."
        return f"{missed} of {n} {noun} missed" + (
            f", {close} too close to call (the interval straddles the target)" if close else "") + "."
    return f"Other targets: {missed} of {n} missed" + (f", {close} too close to call" if close else "") + "."


def headline(summary: pd.DataFrame) -> Headline:
    """The headline's content by the rule: each tier of each group of each moment (the journey row apart)
    counts once, with the oracle's verdict."""
    targets = summary[(summary["tier"] != "") & (summary["kind"] != "journey")]
    sentences = {}
    for critical in (True, False):
        rows = targets[targets["critical"] == critical]
        missed, close = int((rows["verdict"] == "missed").sum()), int((rows["verdict"] == "close").sum())
        sentences[critical] = count_sentence(missed, close, len(rows), critical)
    items = {(r["moment"], r["group"], r["tier"]): r for _, r in targets.iterrows()}
    missed = {key for key, r in items.items() if r["verdict"] == "missed"}
    all_close = set()  # the moment-groups whose tiers not met are all close
    for group, rows in targets.groupby(["moment", "group"]):
        not_met = rows.loc[rows["verdict"].isin(NOT_MET), "verdict"]
        if len(not_met) and (not_met == "close").all():
            all_close.add(group)
    close = {key for key, r in items.items() if r["verdict"] == "close" and key[:2] in all_close}
    journey = summary[summary["kind"] == "journey"].iloc[0]
    has_others = bool((~targets["critical"]).any())
    return Headline(
        count_line=sentences[True], other_line=sentences[False] if has_others else None,
        missed={k for k in missed if items[k]["critical"]}, close={k for k in close if items[k]["critical"]},
        other_missed={k for k in missed if not items[k]["critical"]},
        journey=tuple(100 * journey[c] for c in ("mean", "mean_ci_low", "mean_ci_high")),
        journey_target=f"{journey['tier']}: {journey['verdict']}" if journey["tier"] else "")


def named_tiers(text: str, summary: pd.DataFrame) -> tuple[str | None, list[Item]]:
    """The moment and the tiers a headline line names after its ``Missed: `` or ``Too close to call: ``:
    ``{title}: {group} — {tier}, {tier}; {group} — {tier}`` (no group for a moment without ``by``).
    (None, []) when the line starts with no moment's title."""
    titles = summary[summary["kind"] != "journey"].drop_duplicates("moment").set_index("title")["moment"]
    title = max((t for t in titles.index if text.startswith(f"{t}: ")), key=len, default=None)
    if title is None:
        return None, []
    moment = titles[title]
    groups = {group_words(g): g for g in summary.loc[summary["moment"] == moment, "group"]}
    items = []
    for part in text[len(title) + 2:].split("; "):
        label, dash, tiers = part.rpartition(" — ")
        group = groups.get(label, f"? {label}") if dash else "all"
        items += [(moment, group, tier) for tier in tiers.split(", ")]
    return moment, items


# --- "Weakest moments first" -----------------------------------------------------------------

@dataclass(frozen=True)
class Weak:
    """One bar of the "Weakest moments first" figure: a moment-group with a tier not met."""

    moment: str
    group: str
    label: str  # the moment's title, with its group
    critical: bool
    value: float  # patients a day beyond what its costliest tier not met allows, at least 0

    @property
    def rank(self) -> tuple[bool, float]:
        """Sorts critical moment-groups first, then the largest value first."""
        return not self.critical, -self.value


def weakest(summary: pd.DataFrame) -> list[Weak]:
    """Every moment-group with a tier not met, in the order of the rule (the figure shows the first 12)."""
    targets = summary[(summary["tier"] != "") & (summary["kind"] != "journey")]
    out = []
    for (moment, group), rows in targets.groupby(["moment", "group"], sort=False):
        bad = rows[rows["verdict"].isin(NOT_MET)]
        if bad.empty:
            continue
        costliest = bad["excess_per_day"].max()
        first = rows.iloc[0]
        out.append(Weak(moment, group, titled(first["title"], group), bool(first["critical"]),
                        max(float(costliest), 0.0) if costliest == costliest else 0.0))
    return sorted(out, key=lambda w: w.rank)


# --- a moment's histogram: its waits counted in bars --------------------------------------------

def finished_waits(patients: pd.DataFrame, spec: dict, moment: str, value: str | None = None) -> np.ndarray:
    """A duration moment's finished waits as the summary counts them: from-event after the warm-up,
    the moment's ``for:``, the group's attribute value, and the to-event reached."""
    m = spec["moments"][moment]
    start, stop = patients[m["from_"]], patients[m["to"]]
    keep = start.notna() & (start >= spec["run"]["warm_up"]) & for_filter(patients, m.get("for_")) & stop.notna()
    if value is not None:
        keep &= patients[m["by"]].astype(str) == value
    return (stop - start)[keep].to_numpy(dtype=float)


def counted_in_bars(waits: np.ndarray, width: float, bars: int) -> list[int]:
    """Waits counted one by one in ``bars`` bars of ``width`` from 0, the last holding every longer wait."""
    counts = [0] * bars
    for wait in waits:
        counts[min(int(wait // width), bars - 1)] += 1
    return counts


# --- the pathway: each step the planner names, patients a day and the number waiting ------------

MARKS_ONLY = ("use", "hold", "release", "after", "takes", "gives_up_after", "wait_until")


def named_steps(spec: dict) -> list[str]:
    """The steps that do something (use or hold a resource, take time, lose patience, wait for a time
    of day, release): the others only mark, assign or route, and the diagram folds them in."""
    return [name for steps in spec["pathways"].values() for step in steps for name, s in step.items()
            if any(s.get(key) for key in MARKS_ONLY)]


def step_per_day_and_waiting(patients: pd.DataFrame, spec: dict, step: str, days: float) -> tuple[float, float]:
    """Patients a day queueing for ``step`` after the warm-up, and the mean number waiting for it:
    each such patient's wait until served (or until leaving), summed over the minutes measured."""
    queued, start = patients[f"{step}.queued"], patients[f"{step}.start"]
    counted = queued.notna() & (queued >= spec["run"]["warm_up"])
    total = 0.0
    for q, s, left in zip(queued[counted], start[counted], patients.loc[counted, "left"]):
        until = s if s == s else left
        if until == until:
            total += until - q
    return int(counted.sum()) / days, total / (days * 1440)
