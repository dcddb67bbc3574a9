"""The staffing optimiser: the cheapest rosters that meet the targets, with honest statistics.

Without a budget, it looks for the cheapest candidate of the search space (see
:mod:`patientflow.search_space`) under which every *constraint* holds with the stated confidence:
the one-sided bound of each constrained statistic (a share within target, a mean, a share of
outcomes) is on the right side of its target, with a Bonferroni correction over the constraints.
With a budget, it looks for the candidate of the best journey outcome that costs no more.

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
* Confirmation: the winner and the input scenario are run once more on replications the search
  never used (numbers from ``max_replications`` up), and the winner's constraints are checked on
  those alone. A winner that fails there is reported, and the next cheapest candidate that met
  the constraints in the search is checked, and so on (at most 12, then the most generous).

The search assumes that more staff never lengthens a wait (true of these queues): it first runs
the most generous corner of the space and reports any constraint that cannot be met even there;
then, from the input's rosters, it adds staff where it cuts the shortfall most per pound while a
constraint is missed, removes staff, most expensive first, while every constraint still holds,
and tries moving a unit to a cheaper shift of the same resource.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from ..moments import STATS, summary_rows
from ..scenario.optimise_section import DEFAULT_RANGE
from .space import SearchSpace, default_vary

Point = tuple[int, ...]
CONFIRM_LOOKS = 12  # candidates checked on the confirmation replications at most (then the most generous)


class OptimiseError(ValueError):
    """Settings that cannot be used, said as ``option: message``."""

    def __init__(self, option: str, message: str):
        super().__init__(f"{option}: {message}")
        self.option = option


@dataclass(frozen=True)
class Constraint:
    """One target the optimiser must meet: a summary row and the statistic checked."""

    row: int
    moment: str
    group: str
    tier: str
    column: str  # "within_target" or "mean"
    higher_is_better: bool
    target: float
    unit: str  # "share" or "min"

    @property
    def label(self) -> str:
        group = "" if self.group == "all" else f" ({self.group})"
        return f"{self.moment}{group}: {self.tier}"


def constraints_of(model, names: Iterable[str] | None) -> tuple[list[Constraint], list[Constraint], list[Constraint]]:
    """(constrained, others, reported): the targets of the named moments (default: every
    critical moment's), every other target (candidates to be kept met), and the tiers no sample
    can show — 100 % within a time, or at most 0 % — which are reported, not constrained."""
    wanted = None if names is None else set(names)
    constrained, others, reported = [], [], []
    for i, row in enumerate(summary_rows(model)):
        tier = row.tier
        if tier is None:
            continue
        if tier.kind == "mean":
            c = Constraint(i, row.moment, row.group, tier.text, "mean", False, float(tier.threshold), "min")
        else:
            higher = tier.kind in ("within", "at_least")
            c = Constraint(i, row.moment, row.group, tier.text, "within_target", higher, float(tier.share), "share")
        certain = (tier.kind in ("within", "at_least") and tier.share >= 1) or (tier.kind == "at_most" and tier.share <= 0)
        chosen = row.moment in wanted if wanted is not None else (row.critical and row.kind != "journey")
        if certain:
            if chosen:
                reported.append(c)
        else:
            (constrained if chosen else others).append(c)
    return constrained, others, reported


def _meets(values: np.ndarray, c: Constraint) -> bool:
    """Whether the mean of ``values`` (per replication) meets the constraint's target."""
    mean = float(np.nanmean(values)) if np.any(~np.isnan(values)) else math.nan
    return mean >= c.target if c.higher_is_better else mean <= c.target


def _bounds(values: np.ndarray, alpha: float) -> tuple[float, float, float]:
    """Mean and one-sided (1 − alpha) lower and upper bounds, ignoring NaN replications."""
    from scipy import stats
    v = values[~np.isnan(values)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    mean = float(v.mean())
    if len(v) < 2:
        return mean, -math.inf, math.inf
    half = float(stats.t.ppf(1 - alpha, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return mean, mean - half, mean + half


def judge(per_replication: np.ndarray, constraints: list[Constraint], confidence: float,
          confirm: int | None = None) -> list[dict]:
    """Each constraint's verdict on a (replications, rows, STATS) array: ``met`` when its
    one-sided bound is on the right side of the target, ``missed`` when the opposite bound is on
    the wrong side, ``open`` otherwise; at confidence ``1 − (1 − confidence)/k`` (Bonferroni).

    With ``confirm`` (the search's rule), the target moves by the half-width a confirmation of
    that many replications will have (from this sample's spread): a candidate the search
    accepts must be as far inside the target as the confirmation will ask, or it would pass the
    search by the luck of the shared replications and fail on fresh ones about half the time."""
    from scipy import stats
    alpha = (1 - confidence) / max(len(constraints), 1)
    out = []
    for c in constraints:
        values = per_replication[:, c.row, STATS.index(c.column)]
        mean, low, high = _bounds(values, alpha)
        target = c.target
        if confirm is not None and np.count_nonzero(~np.isnan(values)) >= 2:
            margin = float(stats.t.ppf(1 - alpha, confirm - 1) * np.nanstd(values, ddof=1) / math.sqrt(confirm))
            target = target + margin if c.higher_is_better else target - margin
        good, bad = (low, high) if c.higher_is_better else (high, low)
        if math.isnan(mean):
            verdict = "open"
        elif (good >= target) if c.higher_is_better else (good <= target):
            verdict = "met"
        elif (bad < target) if c.higher_is_better else (bad > target):
            verdict = "missed"
        else:
            verdict = "open"
        behind = not math.isnan(mean) and ((mean < target) if c.higher_is_better else (mean > target))
        out.append({"constraint": c.label, "mean": mean, "low": low, "high": high, "target": c.target,
                    "verdict": verdict, "behind": behind})
    return out


def shortfall(per_replication: np.ndarray, constraints: list[Constraint]) -> float:
    """How far the means fall short of their targets, summed (shares in points, means relative)."""
    total = 0.0
    for c in constraints:
        mean = np.nanmean(per_replication[:, c.row, STATS.index(c.column)])
        if np.isnan(mean):
            continue
        gap = (c.target - mean) if c.higher_is_better else (mean - c.target)
        total += max(0.0, gap / (c.target if c.unit == "min" and c.target > 0 else 1.0))
    return total


@dataclass
class Settings:
    """What to vary, what to meet and how hard to look; see :func:`optimise`."""

    vary: dict[str, tuple[int, int]]
    constraints: list[str] | None
    confidence: float
    budget: float | None
    max_evaluations: int
    first_replications: int
    max_replications: int
    confirm_replications: int
    seed: int
    keep_met: bool = True  # hold the other targets the input meets
    step: int = 5  # replications added to a candidate still in doubt


def settings_for(scenario, *, vary=None, constraints=None, budget=None, confidence=None, max_evaluations=None,
                 seed=None, keep_met=None) -> Settings:
    """The scenario's ``optimise:`` section, overridden by the arguments given."""
    from ..scenario.optimise_section import constraint_problems, parse_range, vary_problems
    spec = scenario.spec.optimise
    if vary is not None:
        chosen = {}
        for item in vary:
            name, _, text = item.partition("=") if isinstance(item, str) else (item, "", "")
            try:
                chosen[name.strip()] = parse_range(text.strip() or None)
            except ValueError as exc:
                raise OptimiseError("--vary", f"{name}: {exc}") from None
        for name, message in vary_problems(scenario.spec.resources, chosen):
            raise OptimiseError("--vary", message)
    else:
        chosen = dict(spec.vary) if spec.vary else {name: DEFAULT_RANGE for name in default_vary(scenario)}
    if not chosen:
        raise OptimiseError("--vary", "nothing to vary: no resource has a cost per hour; name resources with --vary")
    names = list(constraints) if constraints else (list(spec.constraints) if spec.constraints else None)
    if constraints:
        for _name, message in constraint_problems(scenario.spec.moments, names):
            raise OptimiseError("--constraint", message)
    return Settings(chosen, names, confidence if confidence is not None else spec.confidence,
                    budget if budget is not None else spec.budget,
                    max_evaluations if max_evaluations is not None else spec.max_evaluations,
                    spec.first_replications, spec.max_replications, spec.confirm_replications,
                    seed if seed is not None else scenario.spec.run.seed,
                    keep_met if keep_met is not None else spec.keep_met)


@dataclass
class Evaluation:
    """A candidate and the replications run of it so far (by replication number)."""

    point: Point
    cost: float
    index: int  # order of first evaluation
    phase: str
    stats: dict[int, np.ndarray] = field(default_factory=dict)
    verdict: str = ""  # "meets", "misses", "not shown", or for budget runs "better", "not better"
    note: str = ""

    def array(self, replications: Iterable[int] | None = None) -> np.ndarray:
        keys = sorted(self.stats) if replications is None else list(replications)
        return np.stack([self.stats[r] for r in keys])


class Evaluator:
    """Runs candidates' replications (in parallel, kept on disk when a folder is given).

    Every replication number asked for is recorded under the current ``purpose`` ("search" or
    "confirm"), so the two sets can be shown to be disjoint. Full results (hourly records as
    well as statistics) are kept only for replication numbers from ``keep_full_from`` up."""

    def __init__(self, space: SearchSpace, seed: int, *, jobs: int = 1, dask: str | None = None, folder=None,
                 keep_full_from: int = 0, on_progress: Callable[[str], None] | None = None):
        self.space = space
        self.seed = seed
        self.jobs = jobs
        self.dask = dask
        self.folder = folder
        self.keep_full_from = keep_full_from
        self.on_progress = on_progress or (lambda message: None)
        self.evaluations: dict[Point, Evaluation] = {}
        self.full: dict[tuple[Point, int], object] = {}
        self.purpose = "search"
        self.used: dict[str, set[int]] = {"search": set(), "confirm": set()}
        self.replications_run = 0
        self._scenarios: dict[Point, object] = {}

    def scenario(self, x: Point):
        if x not in self._scenarios:
            self._scenarios[x] = self.space.candidate(x)
        return self._scenarios[x]

    def record(self, x: Point, phase: str) -> Evaluation:
        if x not in self.evaluations:
            self.evaluations[x] = Evaluation(x, self.space.cost(x), len(self.evaluations), phase)
        return self.evaluations[x]

    def ensure(self, wanted: dict[Point, list[int]]) -> None:
        """Run, for each candidate, the listed replication numbers it does not have yet."""
        from ..experiment.replications import run_tagged
        from ..experiment.store import ReplicationStore
        calls = []
        for x, numbers in wanted.items():
            self.used[self.purpose].update(numbers)
            ev = self.evaluations[x]
            missing = [r for r in numbers if r not in ev.stats]
            if not missing:
                continue
            sc = self.scenario(x)
            store = ReplicationStore(self.folder / sc.hash, sc.hash, self.seed) if self.folder is not None else None
            for r in missing:
                if store is not None and store.has(r, False):
                    self._keep(x, store.load(r))
                else:
                    calls.append(((x, store), sc.model, self.seed, r))
        for (x, store), result in run_tagged(calls, self.jobs, self.dask):
            if store is not None:
                store.save(result)
            self._keep(x, result)
            self.replications_run += 1

    def _keep(self, x: Point, result) -> None:
        self.evaluations[x].stats[result.replication] = result.stats
        if result.replication >= self.keep_full_from:
            self.full[(x, result.replication)] = result

    def results(self, x: Point, numbers: list[int]):
        """The :class:`~patientflow.results.Results` of candidate ``x`` on kept replications."""
        from ..experiment.results import Results
        return Results(self.scenario(x), self.seed, [self.full[(x, r)] for r in numbers], 0.0)


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
        rows = summary_rows(scenario.model)
        self.journey_row = next(i for i, r in enumerate(rows) if r.kind == "journey")

    # -- evaluating ------------------------------------------------------------------------
    def _budget_left(self) -> bool:
        if len(self.ev.evaluations) >= self.settings.max_evaluations:
            self.stopped = f"the limit of {self.settings.max_evaluations} candidates evaluated was reached"
            return False
        return True

    def decide(self, points: list[Point], phase: str, settle: bool = False) -> dict[Point, str]:
        """Screen candidates against the constraints: a few replications each, more only for
        those still in doubt; "meets", "misses" or "not shown" (in doubt at the cap). With
        ``settle``, a candidate gets more until every constraint is decided, not just one missed."""
        s = self.settings
        out: dict[Point, str] = {}
        for x in points:
            self.ev.record(x, phase)
        pending = list(points)
        n = s.first_replications
        while pending:
            self.ev.ensure({x: list(range(n)) for x in pending})
            still = []
            for x in pending:
                verdicts = judge(self.ev.evaluations[x].array(range(n)), self.active, s.confidence,
                                 confirm=None if settle else s.confirm_replications)
                kinds = {v["verdict"] for v in verdicts}
                # a candidate whose estimate is behind a target is not pursued: more replications
                # could show it meets that target only by a hair, if at all
                behind = not settle and any(v["behind"] for v in verdicts)
                if "open" in kinds and n < s.max_replications and (settle or "missed" not in kinds) and not behind:
                    still.append(x)
                else:
                    out[x] = "misses" if "missed" in kinds or behind else "meets" if kinds <= {"met"} else "not shown"
            pending = still
            n = min(n + s.step, s.max_replications)
        for x, verdict in out.items():
            ev = self.ev.evaluations[x]
            ev.verdict = verdict
            self.ev.on_progress(f"{phase}: {self.space.describe(x)} — {verdict} "
                                f"({len(ev.stats)} replications, cost/week {ev.cost:,.0f})")
        return out

    def screen_means(self, points: list[Point], phase: str) -> dict[Point, np.ndarray]:
        """First-stage replications of each candidate (for choosing where to add or cut staff)."""
        for x in points:
            self.ev.record(x, phase)
        n = self.settings.first_replications
        self.ev.ensure({x: list(range(n)) for x in points})
        return {x: self.ev.evaluations[x].array(range(n)) for x in points}

    # -- cheapest rosters meeting the constraints ----------------------------------------------
    def cheapest(self) -> Point:
        space = self.space
        top = space.highs
        origin = space.origin
        if not self.active:
            self.stopped = "there are no constraints to meet"
            return origin
        wanted = set(self.active)
        if self.settings.keep_met:
            self.active += self.others
        lost = {v["constraint"] for v in self._most_generous(top)}
        self.unattainable = [v for v in self.most_generous if v["constraint"] in lost
                             and any(c.label == v["constraint"] for c in wanted)]
        self.active = [c for c in self.active if c.label not in lost]
        if self.unattainable:
            self.ev.on_progress("not met even by the most generous rosters, so not constrained: "
                                + "; ".join(v["constraint"] for v in self.unattainable))
        kept = [c for c in self.active if c not in wanted]
        if kept:  # other targets are held only where the input already meets them
            start = self.screen_means([origin], "start")[origin]
            self.kept = [c for c in kept if _meets(start[:, c.row, STATS.index(c.column)], c)]
            self.active = [c for c in self.active if c in wanted or c in self.kept]
            self.ev.on_progress(f"{len(self.active) - len(self.kept)} constraint(s); {len(self.kept)} other target(s) "
                                f"the input meets are held: {'; '.join(c.label for c in self.kept) or 'none'}")
        if not [c for c in self.active if c in wanted]:
            self.stopped = "no constraint can be met even with the most generous rosters"
            return origin
        x = origin
        verdict = self.decide([x], "start")[x]
        self.path = [x]
        gains: list[tuple[float, int]] = []
        while verdict != "meets":  # repair: add the unit that cuts the shortfall most per pound
            if not gains and self._budget_left():  # screen every +1 move; later steps reuse the ranking
                gains = self._gains(x)
            if not gains:  # nothing measurably helps, or no evaluations left: the corner meets them all
                x = top
                self.path.append(x)
                break
            step = self._move(x, gains.pop(0)[1], +1)
            if step is None:
                continue
            x = step
            self.path.append(x)
            verdict = self.decide([x], "add")[x]
        return self._trim(x)

    def _gains(self, x: Point) -> list[tuple[float, int]]:
        """The +1 moves from ``x`` that cut the constraints' shortfall, best per pound first.
        Adding staff in one place barely changes what another place's staff would add, so the
        ranking serves for several steps (re-screened once it runs out)."""
        ups = {i: u for i in range(len(self.space)) if (u := self._move(x, i, +1)) is not None}
        if not ups:
            return []
        n = self.settings.first_replications
        base = shortfall(self.ev.evaluations[x].array(range(n)), self.active)
        screened = self.screen_means(list(ups.values()), "add")
        ranked = []
        for i, u in ups.items():
            gain = (base - shortfall(screened[u], self.active)) / max(self.space.cost(u) - self.space.cost(x), 1e-9)
            if gain > 0:
                ranked.append((gain, i))
        ranked.sort(key=lambda g: -g[0])
        return ranked

    def _most_generous(self, top: Point) -> list[dict]:
        """Run the most generous corner until each constraint is decided (or the cap): the
        constraints not shown to be met there cannot be met anywhere in the space."""
        self.decide([top], "most generous", settle=True)
        ev = self.ev.evaluations[top]
        self.most_generous = judge(ev.array(), self.active, self.settings.confidence)
        return [v for v in self.most_generous if v["verdict"] != "met"]

    def _move(self, x: Point, i: int, step: int) -> Point | None:
        y = list(x)
        y[i] += step
        y = tuple(y)
        return y if self.space.contains(y) else None

    def _trim(self, x: Point) -> Point:
        """Remove staff, most expensive first, while every constraint still holds; then try
        moving a unit to a cheaper shift of the same resource; repeat until neither helps.
        A few cuts are screened at once (they share the workers); the most expensive that holds
        is taken, and a level whose cut failed is not tried again: with fewer staff elsewhere
        it could only fail again."""
        space = self.space
        order = sorted(range(len(space)), key=lambda i: -space.dims[i].unit_cost)
        width = max(2, self.ev.jobs if self.ev.jobs > 0 else 2)
        while True:
            retired: set[int] = set()
            while True:
                tries = []
                for i in order:
                    if i in retired:
                        continue
                    y = self._move(x, i, -1)
                    if y is None:
                        retired.add(i)
                    elif len(tries) < width:
                        tries.append((i, y))
                if not tries or not self._budget_left():
                    break
                verdicts = self.decide([y for _, y in tries], "remove")
                taken = next((y for _, y in tries if verdicts[y] == "meets"), None)
                retired.update(i for i, y in tries if verdicts[y] != "meets")
                if taken is not None:
                    x = taken
                    self.path.append(x)
            if not self._budget_left():
                return x
            swapped = self._swap(x)
            if swapped is None:
                return x
            x = swapped
            self.path.append(x)

    def _swap(self, x: Point) -> Point | None:
        """The cheapest move of one unit to a cheaper shift of the same resource that still
        meets every constraint (e.g. a 12-hour shift's nurse to an 8-hour shift)."""
        space = self.space
        moves = []
        for i, di in enumerate(space.dims):
            for j, dj in enumerate(space.dims):
                if i == j or di.resource != dj.resource or dj.unit_cost >= di.unit_cost:
                    continue
                y = self._pair(x, i, j)
                if y is not None and y not in self.ev.evaluations:
                    moves.append(y)
        for y in sorted(moves, key=space.cost):
            if not self._budget_left():
                return None
            if self.decide([y], "swap")[y] == "meets":
                return y
        return None

    # -- the best journey outcome within a budget ----------------------------------------
    def within_budget(self, budget: float) -> Point:
        space = self.space
        x = space.origin
        self.ev.record(x, "start")
        self.path = [x]
        while space.cost(x) > budget + 1e-9:  # over budget: cut where the journey loses least per pound
            downs = [d for d in (self._move(x, i, -1) for i in range(len(space))) if d is not None]
            if not downs or not self._budget_left():
                self.stopped = "no candidate in the search space is within the budget"
                return x
            screened = self.screen_means([x, *downs], "cut")
            base = np.nanmean(screened[x][:, self.journey_row, STATS.index("mean")])
            loss = {d: (base - np.nanmean(screened[d][:, self.journey_row, STATS.index("mean")]))
                    / max(space.cost(x) - space.cost(d), 1e-9) for d in downs}
            x = min(downs, key=lambda d: (loss[d], space.cost(d)))
            self.path.append(x)
        if self.settings.keep_met:  # a move may not break a target met where the search starts
            start = self.screen_means([x], "start")[x]
            self.kept = [c for c in self.constraints + self.others if _meets(start[:, c.row, STATS.index(c.column)], c)]
        while self._budget_left():
            moves = [u for u in (self._move(x, i, +1) for i in range(len(space))) if u is not None]
            moves = [u for u in moves if space.cost(u) <= budget + 1e-9]
            if not moves:
                moves = [y for i in range(len(space)) for j in range(len(space)) if i != j
                         for y in [self._pair(x, i, j)] if y is not None and space.cost(y) <= budget + 1e-9]
            moves = [m for m in moves if m not in self.ev.evaluations][: max(0, self.settings.max_evaluations - len(self.ev.evaluations))]
            better = self._better(x, moves)
            if better is None:
                return x
            x = better
            self.path.append(x)
        return x

    def _pair(self, x: Point, i: int, j: int) -> Point | None:
        y = self._move(x, i, -1)
        return self._move(y, j, +1) if y is not None else None

    def _better(self, x: Point, moves: list[Point]) -> Point | None:
        """The move of the best journey outcome if it is better than ``x`` with the stated
        confidence (paired differences, Bonferroni over the moves); screened sequentially."""
        if not moves:
            return None
        s = self.settings
        alpha = (1 - s.confidence) / len(moves)
        col = STATS.index("mean")
        for m in moves:
            self.ev.record(m, "improve")
        alive = list(moves)
        n = s.first_replications
        while True:
            self.ev.ensure({y: list(range(n)) for y in [x, *alive]})
            base = self.ev.evaluations[x].array(range(n))[:, self.journey_row, col]
            scores = {}
            for y in alive:
                diff = self.ev.evaluations[y].array(range(n))[:, self.journey_row, col] - base
                scores[y] = _bounds(diff, alpha)
            alive = [y for y in alive if scores[y][2] > 0  # drop what is clearly no better, or breaks a kept target
                     and not any(v["verdict"] == "missed" for v in judge(self.ev.evaluations[y].array(range(n)),
                                                                          self.kept, s.confidence))]
            for y in moves:
                self.ev.evaluations[y].verdict = "not better" if y not in alive else ""
            if not alive:
                return None
            best = max(alive, key=lambda y: scores[y][0])
            shown = [y for y in alive if scores[y][1] > 0]
            if n >= s.max_replications or (shown and best in shown):
                if best in shown:
                    self.ev.evaluations[best].verdict = "better"
                    self.ev.on_progress(f"improve: {self.space.describe(best)} — journey {scores[best][0]:+.4f} "
                                        f"({n} replications, cost/week {self.space.cost(best):,.0f})")
                    return best
                return None
            n = min(n + s.step, s.max_replications)


@dataclass
class Optimisation:
    """What :func:`optimise` found, with the numbers behind it."""

    scenario: object  # the input
    space: SearchSpace
    settings: Settings
    winner: Point
    winner_scenario: object
    status: str  # "met", "unattainable", "not confirmed", "budget", "no constraints"
    message: str
    constraints: list[Constraint]
    active: list[Constraint]
    reported: list[Constraint]
    kept: list[Constraint]
    unattainable: list[dict]
    most_generous: list[dict]
    path: list[Point]
    evaluations: list[Evaluation]
    search_replications: list[int]
    confirmation_replications: list[int]
    confirmation: list[dict]
    confirm_looks: list[tuple[Point, list[dict]]]
    comparison: object  # Comparison of the winner against the input on the confirmation replications
    replications_run: int
    seconds: float
    stopped: str = ""

    @property
    def saving(self) -> float:
        return self.space.base_cost - self.space.cost(self.winner)

    def candidates(self):
        """Every candidate evaluated: its changes, cost, replications, verdict and mean journey."""
        import pandas as pd
        col = STATS.index("mean")
        journey_row = next(i for i, r in enumerate(summary_rows(self.scenario.model)) if r.kind == "journey")
        records = []
        on_path = {p: k for k, p in enumerate(self.path)}
        for ev in sorted(self.evaluations, key=lambda e: e.index):
            record = {"candidate": ev.index, "phase": ev.phase, "changes": self.space.describe(ev.point),
                      "cost_per_week": ev.cost, "cost_change": ev.cost - self.space.base_cost,
                      "replications": len(ev.stats), "verdict": ev.verdict,
                      "journey": float(np.nanmean(ev.array()[:, journey_row, col])) if ev.stats else np.nan,
                      "path_step": on_path.get(ev.point, -1), "winner": ev.point == self.winner}
            for d, v in zip(self.space.dims, ev.point):
                record[d.label] = d.base + v
            records.append(record)
        return pd.DataFrame.from_records(records)

    def rosters(self):
        """Per dimension: the input's level, the winner's, and the change in cost per week."""
        import pandas as pd
        return pd.DataFrame.from_records([
            {"resource": d.resource, "block": d.block or "count", "input": d.base, "optimised": d.base + v,
             "change": v, "cost_change_per_week": d.unit_cost * v}
            for d, v in zip(self.space.dims, self.winner)])

    def summary_line(self) -> str:
        cost, base = self.space.cost(self.winner), self.space.base_cost
        return (f"{self.message} Cost per week {cost:,.0f} against {base:,.0f} ({cost - base:+,.0f}); "
                f"{len(self.evaluations)} candidates, {self.replications_run} replications run, {self.seconds:.0f} s.")


def optimise(scenario, *, vary=None, constraints=None, budget: float | None = None, confidence: float | None = None,
             max_evaluations: int | None = None, seed: int | None = None, keep_met: bool | None = None, jobs: int = 1,
             dask: str | None = None, folder=None, on_progress: Callable[[str], None] | None = None) -> Optimisation:
    """The cheapest rosters meeting every constraint (or, with ``budget`` — staff cost per week —
    the best journey outcome within it). ``vary``: resource names, optionally ``name=-1..+2``;
    ``constraints``: moment names; both default to the scenario's ``optimise:`` section, then to
    every resource with a cost and every critical moment. With ``folder``, every replication is
    kept there and a rerun resumes."""
    import time

    from pathlib import Path
    started = time.perf_counter()
    settings = settings_for(scenario, vary=vary, constraints=constraints, budget=budget, confidence=confidence,
                            max_evaluations=max_evaluations, seed=seed, keep_met=keep_met)
    space = SearchSpace(scenario, settings.vary)
    evaluator = Evaluator(space, settings.seed, jobs=jobs, dask=dask, folder=Path(folder) if folder is not None else None,
                          keep_full_from=settings.max_replications, on_progress=on_progress)
    search = Search(scenario, settings, evaluator)
    if settings.budget is not None:
        winner = search.within_budget(settings.budget)
    else:
        winner = search.cheapest()
    evaluator.purpose = "confirm"
    status, message, confirmation, winner = _confirm(search, winner)
    from ..experiment.comparison import Comparison
    numbers = confirmation_numbers(settings)
    evaluator.record(space.origin, "start")
    evaluator.ensure({winner: numbers, space.origin: numbers})
    comparison = Comparison(["input", "optimised"], {"input": evaluator.results(space.origin, numbers),
                                                     "optimised": evaluator.results(winner, numbers)})
    return Optimisation(scenario, space, settings, winner, evaluator.scenario(winner), status, message,
                        search.constraints, search.active, search.reported, search.kept,
                        search.unattainable, search.most_generous, search.path,
                        list(evaluator.evaluations.values()), sorted(evaluator.used["search"]),
                        sorted(evaluator.used["confirm"]), confirmation, search.confirm_looks, comparison,
                        evaluator.replications_run, time.perf_counter() - started, search.stopped)


def confirmation_numbers(settings: Settings) -> list[int]:
    """Replication numbers of the confirmation run: never used by the search, which draws only
    numbers below ``max_replications``."""
    return list(range(settings.max_replications, settings.max_replications + settings.confirm_replications))


def _confirm(search: Search, winner: Point) -> tuple[str, str, list[dict], Point]:
    """Check the winner on fresh replications; walk back along the path if it fails."""
    s = search.settings
    space = search.space
    numbers = confirmation_numbers(s)
    if s.budget is not None:
        search.ev.ensure({winner: numbers})
        status = "budget" if space.cost(winner) <= s.budget + 1e-9 else "over budget"
        message = (f"Best journey outcome found within {s.budget:,.0f} a week: {space.describe(winner)}."
                   if status == "budget" else f"Nothing in the search space costs {s.budget:,.0f} a week or less.")
        return status, message, [], winner
    if not search.active:
        lost = ", ".join(v["constraint"] for v in search.unattainable)
        return ("unattainable" if search.unattainable else "no constraints",
                (f"No constraint can be met within the search space (not even with the most generous rosters): {lost}."
                 if search.unattainable else "There are no constraints to meet."), [], winner)
    # The search's replications are shared by every candidate (common random numbers), so the
    # cheapest candidate that met the constraints on them may owe its place to their luck. If it
    # fails on fresh replications, the next cheapest that met them is checked, and so on.
    met = sorted((p for p, e in search.ev.evaluations.items() if e.verdict == "meets" and space.cost(p) > space.cost(winner)),
                 key=space.cost)
    fallbacks = list(dict.fromkeys([winner, *met[:CONFIRM_LOOKS - 1], space.highs]))
    for k, x in enumerate(fallbacks):
        search.ev.record(x, "confirm")
        search.ev.ensure({x: numbers})
        verdicts = judge(search.ev.evaluations[x].array(numbers), search.active, s.confidence)
        failed = [v for v in verdicts if v["verdict"] != "met"]
        search.confirm_looks.append((x, failed))
        if failed:
            search.ev.on_progress(f"confirm: {space.describe(x)} — not confirmed: "
                                  + "; ".join(f"{v['constraint']} {v['mean']:.4g}" for v in failed))
            continue
        n = len(search.active) - len(search.kept)
        lead = "Cheapest rosters found that meet every constraint"
        if x == space.origin:
            lead = "The input's rosters are the cheapest found that meet every constraint"
        if search.unattainable:
            lead = (f"{len(search.unattainable)} constraint(s) cannot be met within the search space; the cheapest "
                    f"rosters found that meet the other {n}")
        if search.kept:
            lead += f" (and keep the {len(search.kept)} other target(s) the input meets)"
        status = "met" if not search.unattainable else "unattainable"
        note = "" if k == 0 else (f" ({k} cheaper candidate(s) of the search were not confirmed on fresh replications: "
                                  f"{'; '.join(v['constraint'] for v in search.confirm_looks[0][1])})")
        return status, f"{lead}: {space.describe(x)}{note}.", verdicts, x
    verdicts = judge(search.ev.evaluations[winner].array(numbers), search.active, s.confidence)
    return "not confirmed", (f"The search's choice ({space.describe(winner)}) was not confirmed on fresh replications, "
                             f"nor were the {len(fallbacks) - 1} dearer candidates checked after it."), verdicts, winner
