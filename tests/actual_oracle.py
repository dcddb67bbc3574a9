"""An independent recomputation of the summary ``patientflow report-actual`` writes (summary.csv).

Plain pandas, straight from the event log CSV, its column mapping and the scenario's ``moments:``
(read as YAML); nothing of patientflow is imported. The rules are the ones patientflow/actual.py
and DESIGN §4 state:

* **Periods.** Whole days — weeks when the log spans eight weeks or more — from the hour of the
  first arrival; the last period takes what is left. A patient belongs to the period of its first
  contact (``arrived``). No warm-up: every patient of the log counts.
* **The log's end** is its last recorded time. A patient with neither an outcome nor a time of
  leaving is still *inside*.
* **Duration moments.** *Counted*: the from-time is recorded and the patient passes ``for:`` (and,
  with ``by:``, is in the group; the groups are the target's keys). *Done*: both times recorded;
  ``n``, the mean and the centiles are the done ones'. *Open*: counted, inside, the to-time blank
  and still ahead on its path; for "P% within T", ``within_target`` = done within T / (done + open
  ones that have already waited longer than T by the log's end). Waits are compared with T in
  whole seconds, as the log writes them.
* **Share moments.** *Decided*: counted and either gone, or past the point where the outcome can
  still happen; ``n`` = decided, ``n_open`` = the others, the share = decided with the outcome / n.
* **The journey**: of the patients who have left, the share for whom every critical moment that
  applied met its target (a done wait within its first "within" tier; no outcome an "at most" share
  counts against). ``n_open``: the patients still inside.
* **Across periods**: each statistic's mean over the periods that have it, with a 95 % t-interval
  (none with one period); share intervals are clipped to [0, 1].

A cell whose text is not a time is left out (missing), as is a value the scenario does not know
(and any cell ``Facts.left_out`` names: times out of order, which the test says); a patient
without a usable arrival is not used. What a log does not say in its own columns — which
stream a row is, the events along each stream's path, a time the pathway fixes, where a give-up
can still happen — each log's :class:`Facts` says in plain words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from ruamel.yaml import YAML
from scipy import stats as scipy_stats

DAY, WEEK = pd.Timedelta(days=1), pd.Timedelta(weeks=1)
STATISTICS = ["n", "n_open", "mean", "p50", "p90", "p95", "within_target"]
UNITS = {"s": 1 / 60, "min": 1.0, "h": 60.0, "d": 1440.0}


@dataclass
class Facts:
    """What the pathway says that the log's columns do not."""

    stream: Callable[[pd.DataFrame], pd.Series]  # the raw CSV -> each row's stream name
    paths: dict[str, list[str]]  # stream -> its events in pathway order
    give_up_before: dict[str, str]  # a give-up outcome -> the event after which it can no longer happen
    derived: dict[str, Callable] = field(default_factory=dict)  # event -> (times, raw) -> times
    left_out: set[tuple[str, str]] = field(default_factory=set)  # (patient, column) cells to leave out


def _yaml(path: Path) -> dict:
    return YAML(typ="safe", pure=True).load(path.read_text())


def _tier(text: str) -> dict:
    """'90% within 15min', 'mean 7min', 'at most 5%' or 'at least 80%'."""
    if m := re.fullmatch(r"([\d.]+)% within ([\d.]+)(s|min|h|d)", text):
        return {"text": text, "kind": "within", "share": float(m[1]) / 100,
                "limit": pd.Timedelta(minutes=float(m[2]) * UNITS[m[3]])}
    if m := re.fullmatch(r"mean ([\d.]+)(s|min|h|d)", text):
        return {"text": text, "kind": "mean", "minutes": float(m[1]) * UNITS[m[2]]}
    m = re.fullmatch(r"at (most|least) ([\d.]+)%", text)
    return {"text": text, "kind": f"at_{m[1]}", "share": float(m[2]) / 100}


def _tiers(target) -> list[dict]:
    return [] if target is None else [_tier(t) for t in ([target] if isinstance(target, str) else target)]


def read_log(csv: Path, mapping: Path, facts: Facts):
    """(patients, log end): one row per usable patient — its stream, attributes, outcome, whether
    it is inside, and a Timestamp (NaT: blank or left out) per scenario event."""
    raw = pd.read_csv(csv, dtype=str, keep_default_na=False).apply(lambda c: c.str.strip())
    spec = _yaml(mapping)
    pid = raw[spec["patient"]]
    for who, column in facts.left_out:
        raw.loc[pid == who, column] = "unusable"
    columns = {e: [c] if isinstance(c, str) else c for e, c in spec["events"].items()}
    text_of = {}
    for event, cs in columns.items():  # the first of the event's columns that holds any text
        text_of[event] = raw[cs[-1]]
        for c in reversed(cs[:-1]):
            text_of[event] = raw[c].where(raw[c] != "", text_of[event])
    fmt = spec.get("time_format") or "ISO8601"
    times = pd.DataFrame({e: pd.to_datetime(t.replace("", None), format=fmt, errors="coerce") for e, t in text_of.items()})
    for event, rule in facts.derived.items():
        times[event] = rule(times, raw)
    values = {k: {str(a): str(b) for a, b in v.items()} for k, v in (spec.get("values") or {}).items()}
    patients = times.assign(patient=pid, stream=facts.stream(raw))
    for name, column in spec.get("attributes", {}).items():
        patients[name] = raw[column].map(lambda v, name=name: values.get(name, {}).get(v, v)).replace("", None)
    outcome = raw[spec["outcome"]].map(lambda v: values.get("outcome", {}).get(v, v))
    patients["outcome"] = outcome.replace("", None)
    patients["inside"] = (outcome == "") & (text_of["left"] == "")
    patients = patients[patients["arrived"].notna()].reset_index(drop=True)
    every_cell = sorted({c for cs in columns.values() for c in cs})
    end = pd.to_datetime(raw.loc[pid.isin(patients["patient"]), every_cell].stack().replace("", None),
                         format=fmt, errors="coerce").max()
    return patients, end


def _ahead(patients: pd.DataFrame, facts: Facts, event: str) -> pd.Series:
    """Whether ``event`` still lies ahead on each patient's path: it is on its stream's path, and
    neither it nor any later event of that path is recorded."""
    ahead = pd.Series(False, index=patients.index)
    for stream, path in facts.paths.items():
        if event in path:
            ahead |= (patients["stream"] == stream) & patients[path[path.index(event):]].isna().all(axis=1)
    return ahead


def _selected(patients: pd.DataFrame, moment: dict) -> pd.Series:
    keep = patients[moment["from"]].notna()
    for attribute, wanted in (moment.get("for") or {}).items():
        keep &= patients[attribute].isin([str(w) for w in (wanted if isinstance(wanted, list) else [wanted])])
    return keep


def _duration(p, end, keep, ahead, moment, tiers, first_within) -> list[dict]:
    wait = p[moment["to"]] - p[moment["from"]]
    done = keep & wait.notna()
    open_ = keep & p[moment["to"]].isna() & p["inside"] & ahead
    waited = end - p.loc[open_, moment["from"]]
    minutes = wait[done].dt.total_seconds() / 60
    shown = minutes.quantile([0.5, 0.9, 0.95]).tolist() if done.any() else [np.nan] * 3
    row = {"n": done.sum(), "n_open": open_.sum(), "mean": minutes.mean(), "p50": shown[0], "p90": shown[1], "p95": shown[2]}
    out = []
    for tier in tiers or [{"text": "", "kind": None}]:
        within = np.nan
        if tier["kind"] == "within":
            total = done.sum() + (waited > tier["limit"]).sum()
            within = (wait[done] <= tier["limit"]).sum() / total if total else np.nan
        out.append({**row, "tier": tier["text"], "within_target": within})
    if first_within is not None:
        first_within.append((done, wait <= next(t["limit"] for t in tiers if t["kind"] == "within")))
    return out


def period_statistics(patients: pd.DataFrame, end, facts: Facts, scenario: dict) -> list[dict]:
    """One dict per summary row (moment, group, tier) with the period's statistics."""
    rows, journey = [], []
    for name, m in scenario["moments"].items():
        keep_all = _selected(patients, m)
        targets = m.get("target")
        groups = [("all", None, targets)] if "by" not in m else [
            (f"{m['by']}={g}", str(g), t) for g, t in targets.items()]
        for group, value, target in groups:
            keep = keep_all if value is None else keep_all & (patients[m["by"]] == value)
            tiers = _tiers(target)
            critical = m.get("critical", False)
            if m.get("kind", "duration") == "duration":
                noted = journey if critical and any(t["kind"] == "within" for t in tiers) else None
                found = _duration(patients, end, keep, _ahead(patients, facts, m["to"]), m, tiers, noted)
            else:
                outcomes = m["outcome"] if isinstance(m["outcome"], list) else [m["outcome"]]
                can_yet = pd.Series(False, index=patients.index)
                for o in outcomes:
                    can_yet |= _ahead(patients, facts, facts.give_up_before[o])
                decided = keep & ~(patients["inside"] & can_yet)
                has = patients["outcome"].isin(outcomes)
                share = (decided & has).sum() / decided.sum() if decided.any() else np.nan
                found = [{"n": decided.sum(), "n_open": (keep & ~decided).sum(), "mean": share, "p50": np.nan,
                          "p90": np.nan, "p95": np.nan, "tier": t["text"], "within_target": share}
                         for t in tiers or [{"text": ""}]]
                if critical and tiers:
                    journey.append((decided, ~has if tiers[0]["kind"] == "at_most" else has))
            rows += [{"moment": name, "group": group, **r} for r in found]
    gone = ~patients["inside"]
    good = gone.copy()
    for applies, met in journey:
        good &= ~applies | met
    share = good.sum() / gone.sum() if gone.any() else np.nan
    for tier in _tiers(scenario.get("journey", {}).get("target")):
        rows.append({"moment": "journey", "group": "all", "tier": tier["text"], "n": gone.sum(),
                     "n_open": patients["inside"].sum(), "mean": share, "p50": np.nan, "p90": np.nan,
                     "p95": np.nan, "within_target": share})
    return rows


def periods(patients: pd.DataFrame, end) -> list[tuple]:
    """[lo, hi) per period: whole days (or weeks) from the hour of the first arrival."""
    first = patients["arrived"].min()
    length = WEEK if end - first >= 8 * WEEK else DAY
    start = first.floor("h")
    count = max(1, int((end - start) / length + 0.01))
    bounds = [(start + k * length, start + (k + 1) * length) for k in range(count)]
    bounds[-1] = (bounds[-1][0], max(end + pd.Timedelta(seconds=1), bounds[-1][1]))
    return bounds


def summary(csv: Path, mapping: Path, scenario: Path, facts: Facts) -> pd.DataFrame:
    """The summary's statistics, one row per (moment, group, tier), as report-actual should write them."""
    patients, end = read_log(csv, mapping, facts)
    scenario = _yaml(scenario)
    per_period = []
    for k, (lo, hi) in enumerate(periods(patients, end)):
        mine = patients[(patients["arrived"] >= lo) & (patients["arrived"] < hi)].reset_index(drop=True)
        per_period += [{"period": k, **r} for r in period_statistics(mine, end, facts, scenario)]
    frame = pd.DataFrame(per_period)
    frame[STATISTICS] = frame[STATISTICS].astype(float)
    out = []
    for (moment, group, tier), block in frame.groupby(["moment", "group", "tier"], sort=False):
        row = {"moment": moment, "group": group, "tier": tier, "replications": len(block),
               "n_total": int(block["n"].sum()), "n_open_total": int(block["n_open"].sum())}
        share_unit = moment == "journey" or scenario["moments"][moment].get("kind", "duration") == "share"
        for stat in STATISTICS:
            values = block[stat].dropna()
            row[stat] = values.sum() / len(values) if len(values) else np.nan
            if stat in ("mean", "p90", "within_target"):
                low, high = _t_interval(values)
                if stat == "within_target" or stat == "mean" and share_unit:
                    low, high = np.clip(low, 0, 1), np.clip(high, 0, 1)
                row[f"{stat}_ci_low"], row[f"{stat}_ci_high"] = low, high
        out.append(row)
    return pd.DataFrame(out)


def _t_interval(values: pd.Series) -> tuple[float, float]:
    if len(values) < 2:
        return np.nan, np.nan
    half = scipy_stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return values.mean() - half, values.mean() + half
