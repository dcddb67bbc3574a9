"""What the split of the wait tells the search (:class:`~.search.Search`, passed as ``self``):
what binds the constraints the most generous corner misses, whether the search can stop there,
which resources to screen first for more staff, which units to add without screening
(:func:`guided_moves`) and which to try cutting first (:func:`pressures`).

A level's share of a constraint's time (:func:`level_shares`) is the share of that moment and
group's time spent queueing for the level's resource in the hours of the day the level covers
(a roster block's hours, over the week; a count's, all day), from the candidate's first
replications: the split of the wait by the hour it began (:func:`.binds.wait_by_hour`)."""

from __future__ import annotations

import numpy as np

from ..experiment.costs import costed
from .binds import wait_by_hour, what_binds, where_the_wait_goes
from .constraints import judge

MATTERS = 0.05  # a resource taking this share of a missed constraint's time is screened for more staff


def nothing_varied_helps(self, wanted: set) -> bool:
    """The most generous corner on its first replications: when it already misses a
    constraint (decidedly, at the stated confidence) whose wait is mostly for a resource
    with a cost that is not varied, the answer to the question asked is "vary that
    instead": no candidate can meet it, and the search stops there, saying what binds. A
    constraint bound by what no search can vary (a place without a cost, a time of day,
    service itself) is left out as unattainable, and the others are searched for."""
    top, n = self.space.highs, self.settings.first_replications
    self.ev.record(top, "most generous")
    self.ev.ensure({top: list(range(n))})
    verdicts = judge(self.ev.evaluations[top].array(range(n)), self.active, self.settings.confidence)
    labels = {c.label for c in wanted}
    missed = [v for v in verdicts if v["verdict"] == "missed" and v["constraint"] in labels]
    if not missed:
        return False
    name_what_binds(self, missed, top, range(n))
    beyond = [v for v in missed if v["binds"]["cause"] in costed(self.scenario.model) - set(self.settings.vary)]
    if not beyond:
        return False
    self.most_generous, self.unattainable, self.active, self.hopeless = verdicts, missed, [], True
    self.ev.evaluations[top].verdict = "misses"
    varied = ", ".join(self.settings.vary)
    self.stopped = (f"the most generous rosters ({varied} at the top of their ranges) miss {len(missed)} "
                    f"constraint(s) on the first {n} replications, {len(beyond)} of them for want of "
                    f"{', '.join(dict.fromkeys(v['binds']['cause'] for v in beyond))}, not varied: "
                    f"no candidate can meet them")
    for v in missed:
        self.ev.on_progress(f"what binds: {v['binds']['text']}")
    return True


def name_what_binds(self, verdicts: list[dict], corner, replications) -> None:
    """``binds`` (what binds: :func:`.binds.what_binds`) for each constraint of ``verdicts``,
    from the corner's split of the wait on ``replications``."""
    ev = self.ev.evaluations[corner]
    numbers = [r for r in replications if r in ev.causes]
    causes = np.stack([ev.causes[r] for r in numbers]) if numbers else np.zeros((0, 0, 0))
    by_label = {c.label: c for c in self.active}
    model, varied = self.ev.scenario(corner).model, list(self.settings.vary)
    for v in verdicts:
        c = by_label[v["constraint"]]
        v["binds"] = what_binds(model, causes, c.moment, c.group, c.label, varied)


def what_matters(self, x) -> set[str]:
    """The varied resources that take at least :data:`MATTERS` of the time of a constraint
    ``x`` misses on its first replications (roots and the chains they act through); empty
    when a missed constraint has no split of its time (a share of outcomes): then every
    resource may matter."""
    ev, n = self.ev.evaluations[x], self.settings.first_replications
    numbers = [r for r in range(n) if r in ev.causes]
    if not numbers:
        return set()
    causes = np.stack([ev.causes[r] for r in numbers])
    model, varied, found = self.ev.scenario(x).model, set(self.settings.vary), set()
    for c in unmet(self, x):
        shares = where_the_wait_goes(model, causes, c.moment, c.group)
        if shares is None:
            return set()
        found |= {r for r, share in shares.items() if share >= MATTERS and r in varied}
    return found


def unmet(self, x) -> list:
    """The active constraints ``x`` does not yet meet as the search asks, on its first
    replications (bounds clear of the targets by the confirmation's half-width)."""
    s = self.settings
    verdicts = judge(self.estimate(x), self.active, s.confidence, confirm=s.confirm_replications)
    return [c for c, v in zip(self.active, verdicts) if v["verdict"] != "met"]


def level_shares(self, x, constraints) -> list[dict[int, float]]:
    """For each of ``constraints``, each varied level's share of its time at candidate ``x``
    (see the module); empty for a constraint with no split (a share of outcomes), and for all
    when ``x`` has no replications yet."""
    ev, n = self.ev.evaluations[x], self.settings.first_replications
    numbers = [r for r in range(n) if r in ev.cause_hours]
    if not numbers:
        return [{} for _ in constraints]
    hours, model = np.stack([ev.cause_hours[r] for r in numbers]), self.ev.scenario(x).model
    out = []
    for c in constraints:
        by_hour = wait_by_hour(model, hours, c.moment, c.group) or {}
        out.append({i: float((by_hour[d.resource] * d.hours_covered()).sum())
                    for i, d in enumerate(self.space.dims) if d.resource in by_hour})
    return out


def guided_moves(self, x) -> list[int]:
    """The levels to add a unit to at ``x``, without screening: for each constraint ``x``
    does not yet meet as the search asks (bounds clear of the targets by the confirmation's
    half-width), the level holding the largest share of its time per pound that can still
    grow, among those holding at least :data:`MATTERS` of it if any do (a response that is
    mostly travel still waits a little for ambulances, and only they shorten it). Empty when
    no such constraint has a split."""
    chosen: set[int] = set()
    for found in level_shares(self, x, unmet(self, x)):
        shares = {i: share for i, share in found.items() if share > 0 and self.move(x, i, +1) is not None}
        shares = {i: share for i, share in shares.items() if share >= MATTERS} or shares
        if shares:
            chosen.add(max(shares, key=lambda i: shares[i] / max(self.space.dims[i].unit_cost, 1e-9)))
    return sorted(chosen)


def pressures(self, x) -> dict[int, float]:
    """Each varied level's largest share of an active constraint's time at ``x`` (0 for a
    level no constraint's split names): how much cutting it may cost."""
    out = {i: 0.0 for i in range(len(self.space))}
    for found in level_shares(self, x, self.active):
        for i, share in found.items():
            out[i] = max(out[i], share)
    return out
