"""The search with a budget: the best journey outcome at a staff cost of at most so much a week.

Over budget, staff are cut where the journey loses least per pound. Within it, a move (one more
unit, else a unit moved between levels) is taken only when its journey outcome is better than
the current rosters' with the stated confidence — paired differences on common random numbers,
Bonferroni over the moves — and it breaks no target held. Each function takes the
:class:`~.search.Search` under way, whose state (path, evaluations, why it stopped) it updates.
"""

from __future__ import annotations

import numpy as np

from ..moments import STATS
from .constraints import bounds, judge, meets
from .evaluator import Point

MEAN = STATS.index("mean")  # the journey outcome: its share of journeys meeting every critical moment


def best_within_budget(search, budget: float) -> Point:
    """The rosters of the best journey outcome found at a cost per week of at most ``budget``."""
    x = cut_to_budget(search, budget)
    if search.space.cost(x) > budget + 1e-9:  # nothing within the budget
        return x
    if search.settings.keep_met:  # a move may not break a target met where the search starts
        start = search.screen_means([x], "start")[x]
        search.kept = [c for c in search.constraints + search.others if meets(start[:, c.row, STATS.index(c.column)], c)]
    while search.can_evaluate():
        better = better_move(search, x, moves_within(search, x, budget))
        if better is None:
            return x
        x = better
        search.path.append(x)
    return x


def cut_to_budget(search, budget: float) -> Point:
    """From the input's rosters, cut where the journey loses least per pound until the cost is
    within ``budget`` (or nothing can be cut: then the search stops, still over it)."""
    space = search.space
    x = space.origin
    search.ev.record(x, "start")
    search.path = [x]
    while space.cost(x) > budget + 1e-9:
        downs = [d for d in (search.move(x, i, -1) for i in range(len(space))) if d is not None]
        if not downs or not search.can_evaluate():
            search.stopped = "no candidate in the search space is within the budget"
            return x
        screened = search.screen_means([x, *downs], "cut")
        base = np.nanmean(screened[x][:, search.journey_row, MEAN])
        loss = {d: (base - np.nanmean(screened[d][:, search.journey_row, MEAN]))
                / max(space.cost(x) - space.cost(d), 1e-9) for d in downs}
        x = min(downs, key=lambda d: (loss[d], space.cost(d)))
        search.path.append(x)
    return x


def moves_within(search, x: Point, budget: float) -> list[Point]:
    """The moves from ``x`` within the budget not yet evaluated: one more unit somewhere, else
    one unit moved from a level to another; no more than the evaluations left."""
    space = search.space
    moves = [u for u in (search.move(x, i, +1) for i in range(len(space))) if u is not None]
    moves = [u for u in moves if space.cost(u) <= budget + 1e-9]
    if not moves:
        moves = [y for i in range(len(space)) for j in range(len(space)) if i != j
                 for y in [search.pair(x, i, j)] if y is not None and space.cost(y) <= budget + 1e-9]
    left = max(0, search.settings.max_evaluations - len(search.ev.evaluations))
    return [m for m in moves if m not in search.ev.evaluations][:left]


def better_move(search, x: Point, moves: list[Point]) -> Point | None:
    """The move of the best journey outcome if it is better than ``x`` with the stated
    confidence (paired differences, Bonferroni over the moves); screened sequentially."""
    if not moves:
        return None
    s = search.settings
    alpha = (1 - s.confidence) / len(moves)
    for m in moves:
        search.ev.record(m, "improve")
    alive = list(moves)
    n = s.first_replications
    while True:
        search.ev.ensure({y: list(range(n)) for y in [x, *alive]})
        scores = paired_scores(search, x, alive, n, alpha)
        # drop what is clearly no better, or breaks a kept target
        alive = [y for y in alive if scores[y][2] > 0 and not breaks_kept(search, y, n)]
        for y in moves:
            search.ev.evaluations[y].verdict = "not better" if y not in alive else ""
        if not alive:
            return None
        best = max(alive, key=lambda y: scores[y][0])
        shown = [y for y in alive if scores[y][1] > 0]
        if n >= s.max_replications or (shown and best in shown):
            if best in shown:
                search.ev.evaluations[best].verdict = "better"
                search.ev.on_progress(f"improve: {search.space.describe(best)} — journey {scores[best][0]:+.4f} "
                                      f"({n} replications, cost/week {search.space.cost(best):,.0f})")
                return best
            return None
        n = min(n + s.step, s.max_replications)


def paired_scores(search, x: Point, moves: list[Point], n: int, alpha: float) -> dict[Point, tuple[float, float, float]]:
    """Each move's journey outcome minus ``x``'s on replications ``0 … n−1``: mean and bounds."""
    base = search.ev.evaluations[x].array(range(n))[:, search.journey_row, MEAN]
    return {y: bounds(search.ev.evaluations[y].array(range(n))[:, search.journey_row, MEAN] - base, alpha)
            for y in moves}


def breaks_kept(search, y: Point, n: int) -> bool:
    """Whether candidate ``y`` is shown, on replications ``0 … n−1``, to miss a target held."""
    return any(v["verdict"] == "missed" for v in judge(search.ev.evaluations[y].array(range(n)),
                                                        search.kept, search.settings.confidence))
