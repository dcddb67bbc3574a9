"""The screening search for the cheapest rosters that meet the constraints, and :func:`optimise`.

Without a budget, the search looks for the cheapest candidate of the search space (see
:mod:`.space`) under which every constraint holds with the stated confidence (see
:mod:`.constraints`). With a budget, it looks for the best journey outcome that costs no more
(see :mod:`.budget`). The choice is then confirmed on fresh replications (see :mod:`.confirmation`).

How noise is handled:

* Common random numbers: replication *r* of every candidate sees the same patients, so
  candidates are compared on the same days and a change's effect is not drowned in noise.
* Sequential screening: a candidate is first run for a few replications; a constraint whose
  bound already lies on one side of its target is decided, and only candidates still in doubt
  whose estimates meet every target get more replications (in batches, up to a cap). A
  candidate still in doubt at the cap counts as not shown to meet the constraints.
* Room for the confirmation: the search accepts a candidate only when its bound clears each
  target by the half-width the confirmation will have, or the cheapest candidate accepted would
  owe its place to the luck of the shared replications and fail on fresh ones half the time.

The search assumes that more staff never lengthens a wait (true of these queues): it first runs
the most generous corner of the space and reports any constraint that cannot be met even there.
Then, from the input's rosters, while a constraint is missed it adds units where the split of the
wait says the missed constraints' time goes, by resource and hour of the day
(:func:`.guide.guided_moves`: no screening), and where that does not cut the shortfall, where a
screening of the +1 moves shows it cut most per pound (screening first the resources that take
a share of the missed constraints' time, :func:`.binds.where_the_wait_goes`, the others only
when none of those helps). It then removes staff in groups, the levels the constraints' time
waits least for first, while every constraint still holds, and tries moving a unit to a cheaper
shift of the same resource.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

from ..moments import STATS
from .guide import guided_moves, name_what_binds, nothing_varied_helps, what_matters
from .budget import best_within_budget
from .confirmation import compare_with_input, confirm
from .constraints import (Constraint, constraints_of, journey_row, judge, judge_paired, meets, paired, paired_behind,
                          shortfall)
from .evaluator import Evaluator, Point
from .result import Optimisation, hopeless_message
from .settings import OptimiseError, Settings, settings_for
from .space import SearchSpace
from .trim import trim

__all__ = ["OptimiseError", "Search", "optimise"]  # OptimiseError: what optimise() raises on bad settings
PAIRED = 2  # replications a cut or a swap gets first, judged paired with the candidate it comes from


class Search:
    """One optimisation: the search, then the confirmation."""

    def __init__(self, scenario, settings: Settings, evaluator: Evaluator):
        self.scenario = scenario
        self.settings = settings
        self.space = evaluator.space
        self.ev = evaluator
        self.constraints, self.others, self.reported = constraints_of(scenario.model, settings.constraints)
        self.active = list(self.constraints)
        self.kept: list[Constraint] = []  # other targets the input meets, held as constraints
        self.unattainable: list[dict] = []
        self.most_generous: list[dict] = []  # every constraint's verdict at the most generous corner
        self.path: list[Point] = []
        self.confirm_looks: list[tuple[Point, list[dict]]] = []  # each candidate confirmed, and what failed
        self.stopped = ""  # why the search stopped early, if it did
        self.hopeless = False  # stopped at the most generous corner: what binds is not varied
        self.journey_row = journey_row(scenario.model)
        self.predicted: dict[Point, np.ndarray] = {}  # candidates judged on paired replications (estimate)

    # -- evaluating ------------------------------------------------------------------------
    def can_evaluate(self) -> bool:
        """Whether more candidates may be evaluated (if not, the search says why it stopped)."""
        if len(self.ev.evaluations) >= self.settings.max_evaluations:
            self.stopped = f"the limit of {self.settings.max_evaluations} candidates evaluated was reached"
            return False
        return True

    def move(self, x: Point, i: int, step: int) -> Point | None:
        """``x`` with level ``i`` changed by ``step``, if that is in the space."""
        y = list(x)
        y[i] += step
        y = tuple(y)
        return y if self.space.contains(y) else None

    def pair(self, x: Point, i: int, j: int) -> Point | None:
        """``x`` with one unit moved from level ``i`` to level ``j``, if that is in the space."""
        y = self.move(x, i, -1)
        return self.move(y, j, +1) if y is not None else None

    def decide(self, points: list[Point], phase: str, settle: bool = False,
               parent: Point | None = None, cap: int | None = None) -> dict[Point, str]:
        """Screen candidates against the constraints: a few replications each, more only for
        those still in doubt; "meets", "misses" or "not shown" (in doubt at the cap). With
        ``settle``, a candidate gets more until every constraint is decided, not just one missed.
        With a ``parent`` (a candidate that meets them, on more replications), each first gets
        :data:`PAIRED` replications, and one predicted from them to fall behind a target
        (:func:`.constraints.paired_behind`) misses without more. ``cap``: the replications a
        candidate gets at most (default: the settings' ``max_replications``)."""
        s = self.settings
        out: dict[Point, str] = {}
        for x in points:
            self.ev.record(x, phase)
        pending = list(points)
        if parent is not None and not settle:
            pending = [x for x in pending if not self._paired_misses(x, parent, out)]
        n, cap = s.first_replications, min(cap or s.max_replications, s.max_replications)
        while pending:
            self.ev.ensure({x: list(range(n)) for x in pending})
            still = []
            for x in pending:
                verdict = self._screen(x, n, settle, cap, parent)
                if verdict is None:
                    still.append(x)
                else:
                    out[x] = verdict
            pending = still
            n = min(n + s.step, cap)
        for x, verdict in out.items():
            ev = self.ev.evaluations[x]
            ev.verdict = verdict
            paired = " paired with the candidate it comes from" if ev.note.startswith("predicted") else ""
            self.ev.on_progress(f"{phase}: {self.space.describe(x)} — {verdict} "
                                f"({len(ev.stats)} replications{paired}, cost/week {ev.cost:,.0f})")
        return out

    def _paired_misses(self, x: Point, parent: Point, out: dict[Point, str]) -> bool:
        """Whether ``x``, on its first replications paired with ``parent``'s, is predicted to
        fall behind a target (then ``out[x]`` says it misses, and the prediction stands for its
        first stage: :meth:`first_stage`)."""
        s = self.settings
        self.ev.ensure({x: list(range(PAIRED))})
        ev, base = self.ev.evaluations, self.estimate(parent, first_only=False)
        predicted = paired(ev[x].array(range(PAIRED)), base, ev[parent].array(range(PAIRED)))
        behind = paired_behind(predicted, self.active, s.confidence, s.confirm_replications)
        if behind:
            out[x] = "misses"
            self.predicted[x] = predicted
            ev[x].note = f"predicted from {PAIRED} replications paired with its parent to miss: {'; '.join(behind)}"
        return bool(behind)

    def estimate(self, x: Point, first_only: bool = True) -> np.ndarray:
        """What ``x`` is judged on: its first stage's replications (with ``first_only``, else
        all it has), or, while it has fewer, its prediction from the replications paired with
        its parent's (:meth:`_paired_misses`)."""
        ev, n = self.ev.evaluations[x], self.settings.first_replications
        if all(r in ev.stats for r in range(n)):
            return ev.array(range(n)) if first_only else ev.array()
        return self.predicted[x]

    def _screen(self, x: Point, n: int, settle: bool, cap: int, parent: Point | None = None) -> str | None:
        """Candidate ``x`` on its first ``n`` replications (paired with ``parent``'s, if given
        and it has more: :func:`.constraints.judge_paired`): "meets", "misses", "not shown",
        or None while it is worth more replications."""
        s, ev = self.settings, self.ev.evaluations
        mine = ev[x].array(range(n))
        paired_ = parent is not None and not settle and len(ev[parent].stats) > n
        if paired_:
            verdicts = judge_paired(mine, ev[parent].array(), self.active, s.confidence, s.confirm_replications)
        else:
            verdicts = judge(mine, self.active, s.confidence, confirm=None if settle else s.confirm_replications)
        kinds = {v["verdict"] for v in verdicts}
        # a candidate whose estimate is behind a target is not pursued: more replications
        # could show it meets that target only by a hair, if at all
        behind = not settle and any(v["behind"] for v in verdicts)
        if "open" in kinds and n < cap and (settle or "missed" not in kinds) and not behind:
            if not (paired_ and self._in_doubt_at(x, n, cap, parent)):
                return None
        return "misses" if "missed" in kinds or behind else "meets" if kinds <= {"met"} else "not shown"

    def _in_doubt_at(self, x: Point, n: int, cap: int, parent: Point) -> bool:
        """Whether candidate ``x``, judged paired with ``parent`` on ``n`` replications, would
        still not be shown to meet every constraint on ``cap`` if its estimate and the spreads
        stayed as they are: judged as the cap will judge it, paired with the parent if that has
        more (:func:`.constraints.judge_paired` ``at``: the parent's half-width does not shrink
        with the candidate's replications), else on its own (:func:`.constraints.judge` ``at``),
        its spread its replications' so far and its mean their paired estimate, the parent's
        moved by the mean paired change. A cut that leaves the parent's margin all but spent
        stays in doubt however many it gets; it is left now (its note says why), not after
        ``cap`` replications."""
        s, ev = self.settings, self.ev.evaluations
        mine, theirs = ev[x].array(range(n)), ev[parent].array()
        if len(theirs) > cap:
            projected = judge_paired(mine, theirs, self.active, s.confidence, s.confirm_replications, at=cap)
        else:
            with warnings.catch_warnings():  # statistics no patient had are NaN throughout
                warnings.simplefilter("ignore", RuntimeWarning)
                estimate = np.nanmean(paired(mine, theirs, theirs[:n]), axis=0)
                centred = mine - np.nanmean(mine, axis=0) + estimate  # its own spread about the paired estimate
            projected = judge(centred, self.active, s.confidence, confirm=s.confirm_replications, at=cap)
        doubt = [v["constraint"] for v in projected if v["verdict"] != "met"]
        if doubt:
            ev[x].note = f"left after {n} replications: with the same estimate, {cap} would still leave in doubt " \
                         f"{'; '.join(doubt)}"
        return bool(doubt)

    def screen_means(self, points: list[Point], phase: str) -> dict[Point, np.ndarray]:
        """First-stage replications of each candidate (for choosing where to add or cut staff)."""
        for x in points:
            self.ev.record(x, phase)
        n = self.settings.first_replications
        self.ev.ensure({x: list(range(n)) for x in points})
        return {x: self.ev.evaluations[x].array(range(n)) for x in points}

    # -- the two searches ---------------------------------------------------------------------
    def within_budget(self, budget: float) -> Point:
        """The best journey outcome found at a staff cost per week of at most ``budget``."""
        return best_within_budget(self, budget)

    def cheapest(self) -> Point:
        """The cheapest rosters found under which every constraint that can be met holds."""
        origin = self.space.origin
        if not self.active:
            self.stopped = "there are no constraints to meet"
            return origin
        wanted = set(self.active)
        if nothing_varied_helps(self, wanted):
            return origin
        self._drop_unattainable(wanted)
        self._hold_what_the_input_meets(wanted)
        if not [c for c in self.active if c in wanted]:
            self.stopped = "no constraint can be met even with the most generous rosters"
            return origin
        return trim(self, self._repair(origin))

    def _drop_unattainable(self, wanted: set[Constraint]) -> None:
        """Run the most generous corner; the constraints (and other targets) not met even there
        are not constrained, and those of the constraints are reported as unattainable."""
        if self.settings.keep_met:
            self.active += self.others
        lost = {v["constraint"] for v in self._most_generous(self.space.highs)}
        self.unattainable = [v for v in self.most_generous if v["constraint"] in lost
                             and any(c.label == v["constraint"] for c in wanted)]
        name_what_binds(self, self.unattainable, self.space.highs, sorted(self.ev.evaluations[self.space.highs].causes))
        self.active = [c for c in self.active if c.label not in lost]
        if self.unattainable:
            self.ev.on_progress(f"not shown to be met even by the most generous rosters (with the margin a "
                                f"confirmation on {self.settings.confirm_replications} fresh replications needs), "
                                f"so not constrained: "
                                + "; ".join(v["constraint"] for v in self.unattainable))
            for v in self.unattainable:
                self.ev.on_progress(f"what binds: {v['binds']['text']}")

    def _hold_what_the_input_meets(self, wanted: set[Constraint]) -> None:
        """Other targets are held only where the input already meets them."""
        kept = [c for c in self.active if c not in wanted]
        if not kept:
            return
        origin = self.space.origin
        start = self.screen_means([origin], "start")[origin]
        self.kept = [c for c in kept if meets(start[:, c.row, STATS.index(c.column)], c)]
        self.active = [c for c in self.active if c in wanted or c in self.kept]
        self.ev.on_progress(f"{len(self.active) - len(self.kept)} constraint(s); {len(self.kept)} other target(s) "
                            f"the input meets are held: {'; '.join(c.label for c in self.kept) or 'none'}")

    def _repair(self, x: Point) -> Point:
        """From ``x``, add units until every constraint is met (or nothing measurably helps:
        then the most generous corner). Each step first adds, without screening, a unit where
        each missed constraint's time waits most per pound (:func:`.guide.guided_moves`), kept
        when it cuts the shortfall; else the +1 moves are screened and ranked by how much
        they cut it per pound, and the ranking is taken half at a time (the best half
        together, then half of what is left…), each such step judged once. The trim that
        follows takes back a unit added beyond need."""
        verdict = self.decide([x], "start")[x]
        self.path = [x]
        gains: list[tuple[float, int]] = []
        while verdict != "meets":
            guided = None if gains else self._guided(x)
            if guided is not None:
                x, verdict = guided
                self.path.append(x)
                continue
            if not gains and self.can_evaluate():  # screen every +1 move; later steps reuse the ranking
                gains = self._gains(x)
            if not gains:  # nothing measurably helps, or no evaluations left: the corner meets them all
                x = self.space.highs
                self.path.append(x)
                break
            taken = [gains.pop(0)[1] for _ in range((len(gains) + 1) // 2)]
            step = x
            for i in taken:
                step = self.move(step, i, +1) or step
            if step == x:
                continue
            x = step
            self.path.append(x)
            verdict = self.decide([x], "add")[x]
        return x

    def _guided(self, x: Point) -> tuple[Point, str] | None:
        """The guided step from ``x`` and its verdict, if it meets or cuts the shortfall."""
        y = x
        for i in guided_moves(self, x):
            y = self.move(y, i, +1) or y
        if y == x or y in self.ev.evaluations or not self.can_evaluate():
            return None
        verdict = self.decide([y], "add", parent=x)[y]
        return (y, verdict) if verdict == "meets" or self._short(y) < self._short(x) else None

    def _short(self, x: Point) -> float:
        """How far ``x`` is, on its first replications, from what :meth:`decide` calls "meets"."""
        s = self.settings
        return shortfall(self.estimate(x), self.active,
                         s.confidence, s.confirm_replications)

    def _gains(self, x: Point) -> list[tuple[float, int]]:
        """The +1 moves from ``x`` that cut the constraints' shortfall, best per pound first.
        Adding staff in one place barely changes what another place's staff would add, so the
        ranking serves for several steps (re-screened once it runs out)."""
        ups = {i: u for i in range(len(self.space)) if (u := self.move(x, i, +1)) is not None}
        focus = what_matters(self, x)
        first = {i: u for i, u in ups.items() if self.space.dims[i].resource in focus}
        # screen first where the missed constraints' waits go; the others only if none of those helps
        ranked = self._ranked(x, first) if first else []
        return ranked or self._ranked(x, {i: u for i, u in ups.items() if i not in first})

    def _ranked(self, x: Point, ups: dict[int, Point]) -> list[tuple[float, int]]:
        """The moves ``ups`` (level: candidate) that cut the shortfall, best per pound first."""
        if not ups:
            return []
        base = self._short(x)
        self.screen_means(list(ups.values()), "add")
        ranked = []
        for i, u in ups.items():
            gain = (base - self._short(u)) / max(self.space.cost(u) - self.space.cost(x), 1e-9)
            if gain > 0:
                ranked.append((gain, i))
        ranked.sort(key=lambda g: -g[0])
        return ranked

    def _most_generous(self, top: Point) -> list[dict]:
        """Run the most generous corner until each constraint is decided (or the cap): the
        constraints not shown to be met there, by the rule the search judges every candidate
        on (the target moved by the half-width the confirmation will have), cannot be shown met
        anywhere in the space. One the corner meets only by less than that margin would be
        chased by the search on the luck of its shared replications, then fail the confirmation
        at every candidate (on the baseline: time to clinician, acuity 2, 96.4 % at the corner,
        its bound 95.2 % against the 96.2 % needed)."""
        s = self.settings
        self.decide([top], "most generous", settle=True)
        ev = self.ev.evaluations[top]
        self.most_generous = judge(ev.array(), self.active, s.confidence, confirm=s.confirm_replications)
        return [v for v in self.most_generous if v["verdict"] != "met"]

def optimise(scenario, *, vary=None, constraints=None, budget: float | None = None, confidence: float | None = None,
             max_evaluations: int | None = None, seed: int | None = None, keep_met: bool | None = None, jobs: int = 1,
             dask: str | None = None, folder=None, on_progress: Callable[[str], None] | None = None) -> Optimisation:
    """The cheapest rosters meeting every constraint (or, with ``budget`` — staff cost per week —
    the best journey outcome within it). ``vary``: resource names, optionally ``name=-1..+2``;
    ``constraints``: moment names; both default to the scenario's ``optimise:`` section, then to
    every resource with a cost and every critical moment. With ``folder``, every replication is
    kept there and a rerun resumes. Settings that cannot be used raise :class:`OptimiseError`."""
    started = time.perf_counter()
    settings = settings_for(scenario, vary=vary, constraints=constraints, budget=budget, confidence=confidence,
                            max_evaluations=max_evaluations, seed=seed, keep_met=keep_met)
    space = SearchSpace(scenario, settings.vary)
    evaluator = Evaluator(space, settings.seed, jobs=jobs, dask=dask, folder=Path(folder) if folder is not None else None,
                          keep_full_from=settings.max_replications, keep_hours_below=settings.first_replications,
                          on_progress=on_progress)
    search = Search(scenario, settings, evaluator)
    if settings.budget is not None:
        winner = search.within_budget(settings.budget)
    else:
        winner = search.cheapest()
    if search.hopeless:  # nothing to confirm: no candidate can meet what the corner misses
        status, message, confirmation, comparison = "unattainable", hopeless_message(search.unattainable), [], None
    else:
        evaluator.purpose = "confirm"
        status, message, confirmation, winner = confirm(search, winner)
        comparison = compare_with_input(evaluator, settings, winner)
    return Optimisation(scenario, space, settings, winner, evaluator.scenario(winner), status, message,
                        search.constraints, search.active, search.reported, search.kept,
                        search.unattainable, search.most_generous, search.path,
                        list(evaluator.evaluations.values()), sorted(evaluator.used["search"]),
                        sorted(evaluator.used["confirm"]), confirmation, search.confirm_looks, comparison,
                        evaluator.replications_run, time.perf_counter() - started, search.stopped)
