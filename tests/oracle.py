"""An independent recomputation of summary.csv from patients.parquet and the scenario (DESIGN §4).

It shares no code with the library: targets, durations, the pathway graph, counted patients,
per-replication statistics and the intervals across replications are all rebuilt here with plain
pandas, numpy and scipy, from the contract in DESIGN.md §4, README.md and scenarios/README.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

INSIDE = "inside"
TOLERANCE = 1e-9  # a wait equal to the target time (up to rounding) meets it
UNIT_MINUTES = {"s": 1 / 60, "min": 1.0, "h": 60.0, "d": 1440.0, "w": 10080.0}
PER_DAY = ("missed_per_day", "excess_per_day", "beyond_hours_per_day")
STATISTICS = ("n", "n_open", "mean", "p50", "p90", "p95", "within_target", *PER_DAY)


def minutes(text) -> float:
    """A duration such as ``15s``, ``4h`` or a bare number of minutes, in minutes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|min|h|d|w)?\s*", str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return float(match.group(1)) * UNIT_MINUTES[match.group(2) or "min"]


@dataclass(frozen=True)
class Tier:
    """One target tier: ``within`` (share within a time), ``mean``, ``at_most`` or ``at_least``."""

    kind: str
    time: float | None  # minutes, for within and mean tiers
    share: float | None  # a fraction, for within and share tiers
    text: str

    @property
    def target(self) -> float:
        """The number summary.csv shows in its ``target`` column."""
        return self.time if self.kind in ("within", "mean") else self.share


def parse_tier(text: str) -> Tier:
    """A tier written as ``90% within 15min``, ``mean 7min``, ``at most 5%`` or ``at least 80%``."""
    text = text.strip()
    if match := re.fullmatch(r"(\d+(?:\.\d+)?)\s*%\s+within\s+(.+)", text):
        return Tier("within", minutes(match.group(2)), float(match.group(1)) / 100, text)
    if match := re.fullmatch(r"mean\s+(.+)", text):
        return Tier("mean", minutes(match.group(1)), None, text)
    if match := re.fullmatch(r"(at most|at least)\s+(\d+(?:\.\d+)?)\s*%", text):
        return Tier(match.group(1).replace(" ", "_"), None, float(match.group(2)) / 100, text)
    raise ValueError(f"not a target tier: {text!r}")


def tiers_for(target, value: str | None) -> list[Tier]:
    """The tiers of a moment's target for one group value (None: the moment has no ``by``)."""
    if isinstance(target, dict):
        target = {str(k): v for k, v in target.items()}.get(value)
    if target is None:
        return []
    return [parse_tier(t) for t in (target if isinstance(target, list) else [target])]


def step_thens(spec: dict) -> list[str]:
    """Where a step sends a patient on: each branch option's ``then`` (default next), else its own."""
    options = [o for key, o in (spec.get("branch") or {}).items() if key != "by"]
    thens = [(o.get("then") if isinstance(o, dict) else None) or "next" for o in options]
    return thens or [spec.get("then") or "next"]


def step_events(step: str, spec: dict) -> set[str]:
    """The events a step records: its queued, start and end, and its marks."""
    marks = spec.get("mark") or []
    return {f"{step}.{e}" for e in ("queued", "start", "end")} | set([marks] if isinstance(marks, str) else marks)


class Pathways:
    """The scenario's steps as a graph: each step's successors, events and the outcomes it can end in."""

    def __init__(self, pathways: dict):
        first = {name: next(iter(items[0])) for name, items in pathways.items() if items}
        self.successors: dict[str, set[str]] = {}
        self.own_outcomes: dict[str, set[str]] = {}
        self.give_up: dict[str, set[str]] = {}  # the outcome of giving up while waiting at a step
        self.own_events: dict[str, set[str]] = {}
        for items in pathways.values():
            names = [next(iter(item)) for item in items]
            for i, item in enumerate(items):
                (step, spec), = item.items()
                following = names[i + 1] if i + 1 < len(names) else None
                self.successors[step], self.own_outcomes[step] = set(), set()
                for then in step_thens(spec):
                    word, _, rest = then.partition(" ")
                    if word == "exit":
                        self.own_outcomes[step].add(rest.strip())
                    elif word == "pathway":
                        self.successors[step].add(first[rest.strip()])
                    elif following is not None:
                        self.successors[step].add(following)
                    else:  # a pathway that runs out of steps
                        self.own_outcomes[step].add("completed")
                self.give_up[step] = ({spec.get("gives_up_as") or "abandoned"}
                                      if spec.get("gives_up_after") is not None else set())
                self.own_events[step] = step_events(step, spec)
        self.reach = {step: self._reach(step, set()) for step in self.successors}
        self.events = {s: set().union(*(self.own_events[r] for r in reach)) for s, reach in self.reach.items()}
        self.outcomes = {s: set().union(*(self.own_outcomes[r] | self.give_up[r] for r in reach))
                         for s, reach in self.reach.items()}
        # once its step has started a patient can no longer give up there
        self.outcomes_started = {s: self.own_outcomes[s].union(*(self.outcomes[f] for f in self.successors[s]))
                                 for s in self.successors}

    def _reach(self, step: str, seen: set[str]) -> set[str]:
        """The steps a patient at ``step`` can still enter, itself included."""
        seen.add(step)
        for following in self.successors[step]:
            if following not in seen:
                self._reach(following, seen)
        return seen

    def positions(self, patients: pd.DataFrame) -> pd.Series:
        """Each patient's last step entered: the latest ``.queued``; among ties, the one furthest on."""
        steps = sorted(self.successors, key=lambda s: len(self.reach[s]))
        queued = patients[[f"{s}.queued" for s in steps]].to_numpy(dtype=float)
        latest = np.nan_to_num(queued, nan=-np.inf).argmax(axis=1)
        return pd.Series(np.asarray(steps)[latest], index=patients.index)

    def can_reach_event(self, positions: pd.Series, event: str) -> pd.Series:
        """Whether a patient could still produce ``event`` from its position (``left`` always)."""
        return positions.map(lambda s: event == "left" or event in self.events[s]).astype(bool)

    def can_reach_outcome(self, positions: pd.Series, outcomes: list[str], patients: pd.DataFrame) -> pd.Series:
        """Whether a patient could still end with one of ``outcomes`` from its position (having
        started its step, not by giving up there)."""
        wanted = set(outcomes)
        return pd.Series([bool((self.outcomes_started[s] if started else self.outcomes[s]) & wanted)
                          for s, started in zip(positions, self.started(positions, patients))],
                         index=positions.index, dtype=bool)

    @staticmethod
    def started(positions: pd.Series, patients: pd.DataFrame) -> list[bool]:
        """Whether each patient's step (its position) has started."""
        return [not np.isnan(patients.at[i, f"{s}.start"]) for i, s in positions.items()]


def attribute_values(spec: dict, name: str) -> list[str]:
    """Every value the scenario can give an attribute: stream sets and mixes, step assigns, branches;
    a network's zones (``zone``: every zone of ``places``, from its CSV or written inline)."""
    values: list[str] = []
    zones = (spec.get("places") or {}).get("zones")
    if name == "zone" and zones is not None:
        values += list(zones) if isinstance(zones, dict) else list(pd.read_csv(zones, comment="#")["name"].astype(str))
    for stream in spec["demand"].values():
        if name in (stream.get("set") or {}):
            values.append(str(stream["set"][name]))
        values += [str(v) for v in (stream.get("mix") or {}).get(name, {}).get("values", [])]
    for items in spec["pathways"].values():
        for item in items:
            (step, step_spec), = item.items()
            mix = (step_spec.get("assign") or {}).get(name)
            if mix:
                for case in (mix.get("cases") or {}).values() if "cases" in mix else [mix]:
                    values += [str(v) for v in case.get("values", [])]
            if step == name and step_spec.get("branch"):
                values += [k for k in step_spec["branch"] if k != "by"]
    return list(dict.fromkeys(values))


def for_filter(patients: pd.DataFrame, condition: dict) -> pd.Series:
    """The patients a moment's ``for:`` applies to (stream and attribute values)."""
    keep = pd.Series(True, index=patients.index)
    for column, wanted in (condition or {}).items():
        wanted = [str(w) for w in (wanted if isinstance(wanted, list) else [wanted])]
        keep &= patients[column].astype(str).isin(wanted)
    return keep


@dataclass(frozen=True)
class Row:
    """One row of summary.csv: a moment, a group and a tier (or none)."""

    moment: str
    stage: str
    kind: str
    group: str
    critical: bool
    tier: Tier | None
    title: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.moment, self.group, self.tier.text if self.tier else ""


def moment_groups(spec: dict, moment: dict) -> list[tuple[str, str | None]]:
    """The groups of a moment: ``(label, attribute value)``, or ``("all", None)`` without ``by``."""
    if not moment.get("by"):
        return [("all", None)]
    return [(f"{moment['by']}={v}", v) for v in attribute_values(spec, moment["by"])]


def duration_row(waits: np.ndarray, waited: np.ndarray, tier: Tier | None, days: float) -> dict:
    """One replication's statistics of a duration row from the done waits and the open waits so far."""
    row = dict(n=waits.size, n_open=waited.size, within_target=np.nan, **dict.fromkeys(PER_DAY, np.nan))
    row.update(zip(("mean", "p50", "p90", "p95"), [waits.mean(), *np.percentile(waits, [50, 90, 95])]
                   if waits.size else [np.nan] * 4))
    if tier is not None and tier.kind == "within":
        hits = np.count_nonzero(waits <= tier.time + TOLERANCE)
        open_misses = np.count_nonzero(waited > tier.time)
        misses = waits.size - hits + open_misses
        assessed = waits.size + open_misses
        row["within_target"] = hits / assessed if assessed else np.nan
        row["missed_per_day"] = misses / days
        row["excess_per_day"] = (misses - (1 - tier.share) * assessed) / days
        beyond = np.clip(waits - tier.time, 0, None).sum() + np.clip(waited - tier.time, 0, None).sum()
        row["beyond_hours_per_day"] = beyond / 60 / days
    if tier is not None and tier.kind == "mean":
        row["excess_per_day"] = fewest_cuts_to_mean(waits, tier.time) / days
    return row


def fewest_cuts_to_mean(waits: np.ndarray, limit: float) -> float:
    """How few of the longest waits, cut down to ``limit``, bring the mean to at most ``limit``."""
    if waits.size == 0:
        return np.nan
    surplus = np.sort(waits)[::-1] - limit
    if surplus.sum() <= TOLERANCE:
        return 0
    return int(np.argmax(np.cumsum(surplus) >= surplus.sum() - TOLERANCE)) + 1


def share_row(decided: int, with_outcome: int, undecided: int, tier: Tier | None, days: float) -> dict:
    """One replication's statistics of a share row (a share moment or the journey)."""
    share = with_outcome / decided if decided else np.nan
    row = dict(n=decided, n_open=undecided, mean=share, p50=np.nan, p90=np.nan, p95=np.nan,
               within_target=share if tier else np.nan, beyond_hours_per_day=np.nan,
               missed_per_day=np.nan, excess_per_day=np.nan)
    if tier is not None and tier.kind == "at_most":
        row["missed_per_day"] = with_outcome / days
        row["excess_per_day"] = (with_outcome - tier.share * decided) / days
    if tier is not None and tier.kind == "at_least":
        row["missed_per_day"] = (decided - with_outcome) / days
        row["excess_per_day"] = (tier.share * decided - with_outcome) / days
    return row


def replication_rows(patients: pd.DataFrame, spec: dict, graph: Pathways) -> dict[Row, dict]:
    """Every summary row's statistics in one replication's patients."""
    run = spec["run"]
    warm_up, length = run["warm_up"], run["length"]
    days = (length - warm_up) / 1440
    inside = patients["outcome"].astype(str) == INSIDE
    position = graph.positions(patients)
    out: dict[Row, dict] = {}
    journey_met = pd.Series(True, index=patients.index)
    for name, m in spec["moments"].items():
        start = patients[m["from_"]]
        applies = start.notna() & (start >= warm_up) & for_filter(patients, m.get("for_"))
        for group, value in moment_groups(spec, m):
            counted = applies if value is None else applies & (patients[m["by"]].astype(str) == value)
            tiers = tiers_for(m.get("target"), value)
            rows = [Row(name, m["stage"], m["kind"], group, m["critical"], t, m.get("title") or name)
                    for t in tiers or [None]]
            if m["kind"] == "duration":
                stop = patients[m["to"]]
                done = counted & stop.notna()
                open_ = counted & stop.isna() & inside & graph.can_reach_event(position, m["to"])
                waits = (stop - start)[done].to_numpy()
                waited = (length - start)[open_].to_numpy()
                for row in rows:
                    out[row] = duration_row(waits, waited, row.tier, days)
                first_within = next((t for t in tiers if t.kind == "within"), None)
                if m["critical"] and first_within is not None:
                    journey_met &= ~done | ((stop - start) <= first_within.time + TOLERANCE)
            else:
                has = patients["outcome"].astype(str).isin(m["outcome"])
                decided = counted & (~inside | ~graph.can_reach_outcome(position, m["outcome"], patients))
                for row in rows:
                    out[row] = share_row(decided.sum(), (decided & has).sum(), (counted & ~decided).sum(),
                                         row.tier, days)
                if m["critical"] and tiers:
                    journey_met &= ~decided | (~has if tiers[0].kind == "at_most" else has)
    arrived = patients["arrived"]
    measured = arrived.notna() & (arrived >= warm_up)
    finished = measured & ~inside
    journey = spec["journey"]
    for tier in tiers_for(journey.get("target"), None) or [None]:
        row = Row("journey", journey["stage"], "journey", "all", True, tier, journey.get("title") or "journey")
        out[row] = share_row(finished.sum(), (finished & journey_met).sum(), (measured & inside).sum(), tier, days)
    return out


def mean_and_interval(values: list[float]) -> tuple[float, float, float]:
    """The mean of the per-replication values and its 95 % t-interval (NaN values left out)."""
    x = np.asarray([v for v in values if not np.isnan(v)], dtype=float)
    if x.size == 0:
        return np.nan, np.nan, np.nan
    if x.size == 1:
        return float(x[0]), np.nan, np.nan
    half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return float(x.mean()), float(x.mean() - half), float(x.mean() + half)


def is_met(tier: Tier | None, mean: float, within: float):
    """Whether the point estimate meets the tier; None without a tier or an estimate."""
    value = mean if tier is not None and tier.kind == "mean" else within
    if tier is None or np.isnan(value):
        return None
    if tier.kind == "mean":
        return value <= tier.time + TOLERANCE
    if tier.kind == "at_most":
        return value <= tier.share + TOLERANCE
    return value >= tier.share - TOLERANCE


def verdict(tier: Tier | None, record: dict) -> str:
    """met (estimate and whole interval on the good side), missed (whole interval on the bad side) or close."""
    column = "mean" if tier is not None and tier.kind == "mean" else "within_target"
    value, low, high = record[column], record[f"{column}_ci_low"], record[f"{column}_ci_high"]
    if tier is None or np.isnan(value):
        return "no target"
    if np.isnan(low) or np.isnan(high):
        low = high = value
    sides = [is_met(tier, x, x) for x in (value, low, high)]
    return "met" if all(sides) else "missed" if not sides[1] and not sides[2] else "close"


def with_derived_events(patients: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The patients with each derived event (``events:``) recomputed from its sources: the
    earliest of them that happened, each plus its minutes (the column written is not read)."""
    patients = patients.copy()
    for name, derived in (spec.get("events") or {}).items():
        sources = np.column_stack([patients[event].to_numpy(dtype=float) + offset for event, offset in derived["earliest"]])
        patients[name] = np.where(np.isnan(sources).all(axis=1), np.nan, np.nanmin(np.where(np.isnan(sources), np.inf, sources), axis=1))
    return patients


def oracle_summary(patients: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """summary.csv as the contract defines it, recomputed from the patients and the scenario dict."""
    patients = with_derived_events(patients, spec)
    graph = Pathways(spec["pathways"])
    per_replication = [replication_rows(p, spec, graph) for _, p in patients.groupby("replication", sort=True)]
    records = []
    for row in per_replication[0]:
        record = dict(moment=row.moment, stage=row.stage, kind=row.kind, group=row.group, critical=row.critical,
                      unit="min" if row.kind == "duration" else "share", title=row.title,
                      tier=row.tier.text if row.tier else "", tier_kind=row.tier.kind if row.tier else "",
                      target=row.tier.target if row.tier else np.nan,
                      target_share=row.tier.share if row.tier and row.tier.share is not None else np.nan,
                      replications=len(per_replication))
        for statistic in STATISTICS:
            mean, low, high = mean_and_interval([rep[row][statistic] for rep in per_replication])
            if statistic == "within_target" or (statistic == "mean" and record["unit"] == "share"):
                low, high = np.clip(low, 0, 1), np.clip(high, 0, 1)
            if statistic in ("missed_per_day", "beyond_hours_per_day"):  # patients and hours are never negative
                low = max(low, 0) if not np.isnan(low) else low
            record.update({statistic: mean, f"{statistic}_ci_low": low, f"{statistic}_ci_high": high})
        record["met"] = is_met(row.tier, record["mean"], record["within_target"])
        record["verdict"] = verdict(row.tier, record)
        records.append(record)
    return pd.DataFrame.from_records(records)
