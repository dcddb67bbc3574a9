"""What binds: for a constraint the search cannot meet even with the most generous rosters, the
main cause of its moment's time there (:func:`~patientflow.moments.bottlenecks.main_cause`), and
the ``--vary`` that could help.

The rule: the root cause of the constraint's moment and group at the most generous corner. When
that root is a resource the search does not vary, varying it may help (``--vary ROOT``, after giving
it a cost per hour if it has none); when it is varied already, the range stops short (widen it);
when it is a time of day, no roster changes it.
"""

from __future__ import annotations

import numpy as np

from ..experiment.cause_text import cause_text, named
from ..experiment.costs import costed
from ..moments.bottlenecks import bottleneck_table, columns, main_cause, rowgroups
from ..moments.holds import SERVICE, WAITING_TIME_OF_DAY


def what_binds(model, causes: np.ndarray, moment: str, group: str, label: str, varied: list[str]) -> dict:
    """``{"cause", "via", "share", "vary", "text"}`` for the constraint ``label`` (of ``moment`` and
    ``group``) given the corner's per-replication split ``causes`` (replications, rowgroups, causes)."""
    if (moment, group) not in rowgroups(model) or not causes.size:
        return {"cause": "", "via": [], "share": None, "vary": "",
                "text": f"{label}: a share of outcomes, not a wait; the waits before it decide it."}
    hours = np.zeros(causes.shape + (24,))
    main = main_cause(bottleneck_table(model, causes, hours), moment, group)
    varying = ", ".join(named(r, plural=True) for r in varied) or "nothing"
    if main is None:
        return {"cause": "service", "via": [], "share": None, "vary": "",
                "text": f"{label} cannot be met by varying {varying}: all of its time is service, which no roster shortens."}
    via = list(main.ways[0][0]) if main.ways else []
    text = f"{label} cannot be met by varying {varying}: {cause_text(main)}"
    vary = ""
    if not main.root_is_resource:
        text += " No roster changes a time of day: the step's wait_until does."
    elif main.cause in varied:
        text += f" {named(main.cause, plural=True).capitalize()} are varied already: widen their range (--vary {main.cause}=-2..+6)."
        vary = f"{main.cause}=-2..+6"
    elif main.cause not in costed(model):
        text += (f" {named(main.cause, plural=True).capitalize()} have no cost per hour, so the search cannot weigh them"
                 f" against staff: give them one (resources.{main.cause}.cost_per_hour, what keeping one open costs"
                 f" an hour) and --vary {main.cause}.")
        vary = main.cause
    else:
        text += f" Try --vary {main.cause}."
        vary = main.cause
    return {"cause": main.cause, "via": via, "share": main.share, "vary": vary, "text": text}


def where_the_wait_goes(model, causes: np.ndarray, moment: str, group: str) -> dict[str, float] | None:
    """Each resource's share of a moment and group's time, given a candidate's per-replication
    split ``causes`` (replications, rowgroups, causes): the share of the causes it roots or lies
    on the chain of (a bed blamed via cubicles counts for both). None when the moment has no
    split (a share of outcomes) or no time."""
    if (moment, group) not in rowgroups(model) or not causes.size:
        return None
    values = causes[:, rowgroups(model).index((moment, group)), :]
    kept = np.isfinite(values)
    mean = np.where(kept, values, 0.0).sum(axis=0) / np.maximum(kept.sum(axis=0), 1)  # over replications with patients
    shares = _by_resource(model, mean)
    return None if shares is None else {r: float(v) for r, v in shares.items()}


def wait_by_hour(model, cause_hours: np.ndarray, moment: str, group: str) -> dict[str, np.ndarray] | None:
    """:func:`where_the_wait_goes` by the hour of the day each wait began: for each resource, 24
    shares of the moment and group's time (over the replications of ``cause_hours``:
    replications, rowgroups, causes, 24), which add up to its share of that time."""
    if (moment, group) not in rowgroups(model) or not cause_hours.size:
        return None
    return _by_resource(model, cause_hours[:, rowgroups(model).index((moment, group))].sum(axis=0))


def _by_resource(model, per_cause: np.ndarray) -> dict[str, np.ndarray] | None:
    """Each cause's part of ``per_cause`` (causes first: a value or a row per cause) given to
    its root and to each resource of its chain, as shares of the whole (service included);
    None when there is no time at all."""
    total = float(per_cause.sum())
    if not total > 0:
        return None
    out: dict[str, np.ndarray] = {}
    for c, cause in enumerate(columns(model)):
        if cause.cause in (SERVICE, WAITING_TIME_OF_DAY) or not np.any(per_cause[c] > 0):
            continue
        for resource in dict.fromkeys((cause.cause, *cause.via)):
            out[resource] = out.get(resource, 0.0) + per_cause[c] / total
    return out
