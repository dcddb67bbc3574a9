"""Comparing scenarios with common random numbers: paired differences against the first one.

Every scenario runs with the first one's run settings (length, warm-up, seed, replications) and
the same replication numbers, so replication *r* of each sees the same patients: the per-
replication differences are paired (:mod:`.pairing`). What the comparison decides is the rule of
:mod:`patientflow.moments.decision`: a change counts when its paired interval excludes 0 and it
is at least the practical threshold (1 min or 1 percentage point unless the first scenario's
``compare:`` or the caller says otherwise); a group too small to judge is flagged, not ranked;
the scorecard lists the targets whose verdict flips. :meth:`Comparison.table`,
:meth:`~Comparison.scorecard`, :meth:`~Comparison.costs` (staff apart from places,
:mod:`.costs`) and :meth:`~Comparison.by_hour` (roster changes hour by hour, :mod:`.hourly`)
are the same tables the command writes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..moments import STATS
from ..moments.decision import COUNTING, Threshold, change_verdict, target_flips, too_small
from ..moments.verdict import better as better_way
from ..moments.verdict import bound, judged_on
from .costs import cost_split
from .hourly import HourlyRecords, by_hour
from .pairing import paired

TABLE_COLUMNS = ["scenario", "baseline", "moment", "title", "stage", "group", "tier", "statistic", "unit", "critical",
                 "patients", "baseline_value", "value", "difference", "ci_low", "ci_high", "unpaired_ci_low",
                 "unpaired_ci_high", "replications", "significant", "threshold", "small_group", "counts", "verdict"]
SCORECARD_COLUMNS = ["scenario", "baseline", "moment", "title", "stage", "group", "tier", "critical", "before", "after",
                     "direction", "statistic", "unit", "target", "baseline_value", "value", "difference", "ci_low",
                     "ci_high", "patients", "small_group"]


@dataclass
class Comparison:
    """The results of several scenarios run alike, and their differences from the first."""

    names: list[str]
    results: dict  # name -> Results
    warnings: list[str] = field(default_factory=list)
    threshold: Threshold = field(default_factory=Threshold)
    hourly: dict[str, HourlyRecords] | None = None  # name -> hourly records (None: not kept)

    @property
    def baseline(self) -> str:
        return self.names[0]

    def table(self, confidence: float = 0.95):
        """One row per other scenario × moment row × statistic: the paired difference, its CI,
        whether it counts (interval and threshold), whether its group is too small to judge."""
        import pandas as pd

        base = self.results[self.baseline]
        base_index = {_key(r): i for i, r in enumerate(base.rows)}
        records = []
        for name in self.names[1:]:
            alt = self.results[name]
            seen: set = set()
            for i, row in enumerate(alt.rows):
                j = base_index.get(_key(row))
                if j is None:
                    continue
                first = (row.moment, row.group) not in seen
                seen.add((row.moment, row.group))
                for statistic, column, better in _statistics(row, first):
                    records.append(self._record(name, row, j, i, statistic, column, better, confidence))
        return pd.DataFrame.from_records(records, columns=TABLE_COLUMNS)

    def _record(self, name: str, row, j: int, i: int, statistic: str, column: str, better, confidence: float) -> dict:
        """One row of :meth:`table`: ``row`` is row ``i`` of scenario ``name`` and row ``j`` of the baseline."""
        a = self.results[self.baseline].per_replication[:, j, STATS.index(column)]
        b = self.results[name].per_replication[:, i, STATS.index(column)]
        p = paired(a, b, confidence)
        unit = "share" if column == "within_target" or row.unit == "share" else "min"
        patients = self._patients(name, j, i)
        small = too_small(patients)
        threshold = self.threshold.of(unit)
        verdict = change_verdict(p.difference, p.low, p.high, threshold, better, small)
        return {"scenario": name, "baseline": self.baseline, "moment": row.moment, "title": row.title,
                "stage": row.stage, "group": row.group,
                "tier": row.tier.text if row.tier and column == "within_target" else "",
                "statistic": statistic, "unit": unit, "critical": row.critical, "patients": patients,
                "baseline_value": p.baseline, "value": p.value, "difference": p.difference, "ci_low": p.low,
                "ci_high": p.high, "unpaired_ci_low": p.unpaired_low, "unpaired_ci_high": p.unpaired_high,
                "replications": p.n, "significant": bool(p.low > 0 or p.high < 0), "threshold": threshold,
                "small_group": small, "counts": verdict in COUNTING, "verdict": verdict}

    def _patients(self, name: str, j: int, i: int) -> float:
        """Patients a replication in a row: the fewer of the baseline's (row ``j``) and ``name``'s (row ``i``)."""
        n = STATS.index("n")
        counts = [self.results[self.baseline].per_replication[:, j, n], self.results[name].per_replication[:, i, n]]
        means = [float(np.nanmean(c)) if np.any(~np.isnan(c)) else np.nan for c in counts]
        return float(np.nan) if any(m != m for m in means) else min(means)

    def scorecard(self, confidence: float = 0.95):
        """The targets that flip against the baseline (:func:`~patientflow.moments.decision.target_flips`:
        the verdict differs and the paired change counts the same way), per other scenario,
        critical first: which way, and by how much (the paired difference of the statistic the
        target is judged on)."""
        import pandas as pd

        base = self.results[self.baseline]
        before = base.summary()
        records = []
        for name in self.names[1:]:
            alt = self.results[name]
            after = alt.summary()

            def judged(j: int, i: int):
                kind = before["tier_kind"].iloc[j]
                column = STATS.index(judged_on(kind))
                return paired(base.per_replication[:, j, column], alt.per_replication[:, i, column], confidence)

            def change_of(j: int, i: int):
                p = judged(j, i)
                kind = before["tier_kind"].iloc[j]
                unit = "min" if kind == "mean" else "share"
                return change_verdict(p.difference, p.low, p.high, self.threshold.of(unit), better_way(kind))
            for flip in target_flips(before, after, change_of):
                records.append(self._flip_record(name, flip, before.iloc[flip.row], judged(flip.row, flip.other_row)))
        return pd.DataFrame.from_records(records, columns=SCORECARD_COLUMNS)

    def _flip_record(self, name: str, flip, row, p) -> dict:
        """One row of :meth:`scorecard`: ``row`` the baseline's summary row, ``p`` the paired difference."""
        kind = row["tier_kind"]
        return {"scenario": name, "baseline": self.baseline, "moment": flip.moment, "title": flip.title,
                "stage": flip.stage, "group": flip.group, "tier": flip.tier, "critical": flip.critical,
                "before": flip.before, "after": flip.after, "direction": flip.direction,
                "statistic": "mean" if kind == "mean" else "share", "unit": "min" if kind == "mean" else "share",
                "target": bound(kind, row["target"], row["target_share"]),
                "baseline_value": p.baseline, "value": p.value, "difference": p.difference,
                "ci_low": p.low, "ci_high": p.high, "patients": self._patients(name, flip.row, flip.other_row),
                "small_group": flip.small}

    def costs(self, confidence: float = 0.95):
        """Per scenario: the cost per week of its staff, of its places and of both
        (:mod:`.costs`), and the journey outcome (mean, 95 % CI) with its paired difference from
        the baseline."""
        import pandas as pd

        from ..moments.statistics import t_interval
        def journeys(res) -> np.ndarray:  # the share of journeys meeting every critical moment, per replication
            row = next(i for i, r in enumerate(res.rows) if r.moment == "journey")
            return res.per_replication[:, row, STATS.index("mean")]
        base = self.results[self.baseline]
        base_split = cost_split(base)
        records = []
        for name in self.names:
            res = self.results[name]
            values = journeys(res)
            mean, low, high = t_interval(values[:, None], axis=0)
            p = paired(journeys(base), values, confidence)
            split = cost_split(res)
            records.append({"scenario": name, **split, "cost_difference": split["cost_per_week"] - base_split["cost_per_week"],
                            "journey": float(mean[0]), "journey_ci_low": float(low[0]), "journey_ci_high": float(high[0]),
                            "journey_difference": p.difference,
                            "journey_difference_ci_low": p.low if name != self.baseline else np.nan,
                            "journey_difference_ci_high": p.high if name != self.baseline else np.nan})
        return pd.DataFrame.from_records(records)

    def by_hour(self, confidence: float = 0.95):
        """For each scenario that changes a roster: per changed resource and hour of day, the
        staff on duty and the paired difference in patients waiting for it (:mod:`.hourly`);
        empty when the hourly records were not kept."""
        models = {name: self.results[name].scenario.model for name in self.names}
        names = self.names if self.hourly else self.names[:1]  # no records kept: no rows
        return by_hour(names, models, self.hourly or {}, confidence)


def _key(row) -> tuple:
    return (row.moment, row.group, row.tier.text if row.tier else "")


def _statistics(row, first: bool) -> list[tuple[str, str, str | None]]:
    """(statistic name, STATS column, which direction is better) compared for a row; the mean
    and 90th centile of a duration once per moment and group (``first``), its share within
    target for every tier."""
    tier = row.tier
    if row.kind == "journey":
        return [("share", "mean", better_way("at_least"))] if first else []  # more journeys meeting every critical moment
    if row.kind == "share":
        return [("share", "mean", None if tier is None else better_way(tier.kind))] if first else []
    out = [("mean", "mean", better_way("mean")), ("p90", "p90", better_way("mean"))] if first else []
    if tier is not None and tier.kind == "within":
        out.append(("within_target", "within_target", better_way("within")))
    return out


def _number(value):
    """A number written as text (from the command line) as a number; anything else as it is."""
    try:
        return float(value) if isinstance(value, str) else value
    except ValueError:
        return value


class ThresholdError(ValueError):
    """A practical threshold that cannot be read: ``key`` names it (``threshold_wait`` or
    ``threshold_share``), ``message`` says why."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key, self.message = key, message


def resolve_threshold(scenario, wait=None, share=None) -> Threshold:
    """The practical threshold: ``wait`` (minutes, or a duration such as ``2min``) and ``share``
    (a fraction, or ``0.5%``) when given, else the scenario's ``compare:``, else the defaults."""
    from ..distributions import parse_duration
    from ..scenario.schema import MOST_THRESHOLD_SHARE
    from ..scenario.values import parse_share

    def read(key: str, value, parse):
        try:
            return parse(_number(value))
        except ValueError as exc:
            raise ThresholdError(key, str(exc)) from None

    spec = scenario.spec.compare
    default = Threshold()
    minutes = read("threshold_wait", wait, parse_duration) if wait is not None else spec.threshold_wait
    fraction = read("threshold_share", share, parse_share) if share is not None else spec.threshold_share
    if fraction is not None and fraction > MOST_THRESHOLD_SHARE:
        raise ThresholdError("threshold_share", f"at most {100 * MOST_THRESHOLD_SHARE:g} percentage points "
                                                f"(write 1% for one point), got {share!r}")
    return Threshold(default.minutes if minutes is None else minutes, default.share if fraction is None else fraction)


def compare(scenarios: dict, replications: int | None = None, seed: int | None = None, *, jobs: int = 1,
            dask: str | None = None, threshold_wait=None, threshold_share=None, on_done=None) -> Comparison:
    """Run every scenario with the first one's run settings; compare with paired differences.
    ``threshold_wait`` and ``threshold_share`` set the smallest change that counts (see
    :func:`resolve_threshold`)."""
    from .results import simulate

    names = list(scenarios)
    if len(names) < 2:
        raise ValueError("compare needs at least two scenarios")
    first = scenarios[names[0]]
    threshold = resolve_threshold(first, threshold_wait, threshold_share)
    aligned, warnings = _aligned(scenarios)
    n, seed = first.run_defaults(replications, seed)
    results, hourly = {}, {}
    for name, sc in aligned.items():
        records = hourly[name] = HourlyRecords()

        def done(result, resumed, records=records):
            records.keep(result)
            if on_done:
                on_done(result, resumed)
        results[name] = simulate(sc, n, seed, jobs=jobs, dask=dask, keep_patients=0, on_done=done)
    return Comparison(names, results, warnings, threshold, hourly)


def _aligned(scenarios: dict) -> tuple[dict, list[str]]:
    """Every scenario with the first one's run settings, and a warning for each that had others
    (or another ``compare:`` section, whose threshold is not used)."""
    names = list(scenarios)
    first = scenarios[names[0]]
    run = first.to_dict().get("run", {})
    warnings = []
    aligned = {names[0]: first}
    for name in names[1:]:
        sc = scenarios[name]
        if sc.spec.run != first.spec.run:
            differs = [k for k in type(sc.spec.run).model_fields
                       if getattr(sc.spec.run, k) != getattr(first.spec.run, k)]
            warnings.append(f"{name}: run settings differ from {names[0]} ({', '.join(differs)}); "
                            f"{names[0]}'s were used")
            sc = sc.with_changes({"run": run})
        if sc.spec.compare != first.spec.compare:
            warnings.append(f"{name}: its compare: threshold differs from {names[0]}'s, which was used")
        aligned[name] = sc
    return aligned, warnings


def folder_name(paths: list[Path]) -> str:
    """The default folder of a comparison, named after every scenario compared
    (``compare-baseline-more_ward_beds``); with a short fingerprint of the files when the names
    repeat or would make too long a name, so two comparisons never share a folder by accident."""
    stems = [Path(p).stem for p in paths]
    name = "compare-" + "-".join(stems)
    if len(set(stems)) < len(stems) or len(name) > 120:
        digest = hashlib.sha256("\n".join(str(Path(p).resolve()) for p in paths).encode()).hexdigest()[:8]
        name = f"{name[:100]}-{digest}"
    return name
