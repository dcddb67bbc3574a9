"""Act here first: the top misses, each with its main cause chain in a planner's sentence and a
ready experiment — the first screen of report.html and the end of ``run``'s terminal output.

A miss comes from :func:`~patientflow.moments.ranking.misses` (its rule, :data:`RULE`), its
cause from :func:`~patientflow.moments.bottlenecks.main_cause`, its experiment from
:func:`~patientflow.experiment.ready.experiment_for`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from ..experiment.cause_text import cause_text, named
from ..experiment.ready import Experiment, compare_command, experiment_for, optimise_command
from ..moments.bottlenecks import MainCause, main_cause
from ..moments.ranking import RULE, Miss, misses
from ..units import group_label, number_text, share_text

TOP = 5  # misses shown
ATTRIBUTION = ("Each wait is split by what the units waited for were doing meanwhile: serving (the wait stays "
               "with that resource) or held by patients themselves waiting for another resource (it passes to "
               "that one, and on to the root of the chain).")


@dataclass
class Action:
    """One miss to act on: what is missed, why, and the experiment that tests a fix."""

    miss: Miss
    gap: str
    cause: MainCause | None
    sentence: str
    experiment: Experiment | None = None


def _label(miss: Miss) -> str:
    """``Response (clock start to ambulance at scene), category 2``."""
    return miss.title + (f", {group_label(miss.group)}" if miss.group != "all" else "")


def gap_text(summary, miss: Miss) -> str:
    """``65% within 15min is missed by 21 points (about 60 patients a day beyond what it allows)``."""
    rows = summary[(summary["moment"] == miss.moment) & (summary["group"] == miss.group) & (summary["tier"] == miss.tier)]
    text = miss.tier
    if len(rows):
        r = rows.iloc[0]
        if r["tier_kind"] == "within" and r["within_target"] == r["within_target"]:
            points = 100 * (r["target_share"] - r["within_target"])
            text += (f" is missed by {number_text(points, 0)} points: {share_text(r['within_target'], 0)} within"
                     if points >= 0.5 else f" is missed: {share_text(r['within_target'], 1)} within")
        elif r["tier_kind"] == "mean":
            text += f" is missed: the mean is {number_text(r['mean'])} min"
        else:
            text += f" is missed: {share_text(r['mean'])}"
    if miss.excess == miss.excess and miss.excess >= 0.5:
        many = number_text(miss.excess, 0)
        text += f", about {many} patient{'' if many == '1' else 's'} a day beyond what it allows"
    return text


def actions(results, top: int = TOP) -> list[Action]:
    """The top misses of a run, each with its cause and, when its root is a resource, a ready
    experiment adding to it."""
    summary, table = results.summary(), results.bottlenecks()
    out, tried = [], {}
    for miss in [m for m in misses(summary) if any(v == "missed" for _, v in m.tiers)][:top]:
        cause = main_cause(table, miss.moment, miss.group) if miss.moment in set(table["moment"]) else None
        label = _label(miss)
        gap = gap_text(summary, miss)
        shares = miss.moment not in set(table["moment"])
        sentence = f"{label}: {gap}." + ("" if shares else f" {cause_text(cause)}")
        action = Action(miss, gap, cause, sentence)
        if cause is not None and cause.root_is_resource:
            if cause.cause not in tried and len(tried) < TOP:
                tried[cause.cause] = experiment_for(results.scenario, cause.cause, cause.hours)
            action.experiment = tried.get(cause.cause)
        out.append(action)
    return out


def experiments(items: list[Action]) -> list[Experiment]:
    """The distinct ready experiments of ``items``, in their order."""
    found: dict[str, Experiment] = {}
    for a in items:
        if a.experiment is not None:
            found.setdefault(a.experiment.file, a.experiment)
    return list(found.values())


def why(items: list[Action], experiment: Experiment) -> str:
    """What an experiment answers: the misses whose cause it adds to."""
    answered = [_label(a.miss) for a in items if a.experiment is experiment]
    return f"{named(experiment.resource).capitalize()} is the root cause of the main wait of: {'; '.join(answered)}."


def commands(results, folder: Path, items: list[Action]) -> list[str]:
    """The compare command testing the experiments, and the optimise command varying their resources."""
    tried = experiments(items)
    if not tried:
        return []
    optimise = optimise_command(results.scenario, [e.resource for e in tried])
    return [compare_command(results.scenario, folder, tried), *([optimise] if optimise else [])]


def terminal_lines(results, folder: Path) -> list[str]:
    """``run``'s last lines: the actions, then the commands."""
    items = actions(results)
    if not items:
        return []
    lines = ["Act here first:"]
    for i, a in enumerate(items, 1):
        tail = f" Try {folder / a.experiment.file} ({a.experiment.change})." if a.experiment else ""
        lines.append(f"{i}. {a.sentence}{tail}")
    for command in commands(results, folder, items):
        lines.append(f"   {command}")
    return lines


def act_html(results, folder: Path | None = None) -> str:
    """The report's first screen: the actions and the rules; with the ``folder`` the ready
    experiments are written to, those and the commands that test them."""
    items = actions(results)
    esc = html.escape
    if not items:
        return "<section id='act'><h2>Act here first</h2><p>No target is missed.</p></section>"
    rows = []
    for a in items:
        tail = ""
        if a.experiment is not None and folder is not None:
            tail = (f"<span class='try'>Ready experiment: <code>{esc(a.experiment.file)}</code> "
                    f"({esc(a.experiment.change)}{_cost(a.experiment)})</span>")
        rows.append(f"<li><b>{esc(a.sentence.split(':', 1)[0])}</b>:{esc(a.sentence.split(':', 1)[1])} {tail}</li>")
    cmds = commands(results, folder or Path("."), items) if folder is not None else []
    block = "".join(f"<pre>{esc(c)}</pre>" for c in cmds)
    return (f"<section id='act'><h2>Act here first</h2><ol class='act'>{''.join(rows)}</ol>{block}"
            f"<p class='rule'>{esc(RULE)} {esc(ATTRIBUTION)} The hours: when most of that wait began.</p></section>")


def _cost(experiment: Experiment) -> str:
    extra = experiment.extra_cost_per_week
    return f", about £{number_text(extra, 0)} more a week" if extra > 0 else ""
