"""The search's trim (:class:`~.search.Search`, passed as ``self``): from a candidate that
meets every constraint, remove staff while they all still hold, then move a unit to a cheaper
shift of the same resource, until neither helps.

A cut or a swap is judged paired with the candidate the trim started from (it met the constraints
on the most replications; all share their random numbers): first on two replications, then on
the first stage's (:meth:`~.search.Search.decide`, ``parent``; :func:`.constraints.judge_paired`),
and at most on :func:`cut_cap` replications. A cut still in doubt there is left: what it would save is within what the search
can tell apart, and replications spent on it are what make a search slow (on the baseline, 11
cuts in doubt took 185 of the trim's 395 replications, and every one of them failed).
"""

from __future__ import annotations

from .evaluator import Point
from .guide import MATTERS, pressures


def cut_cap(self) -> int:
    """The replications a cut or a swap gets at most: twice the first stage's."""
    return 2 * self.settings.first_replications


def trim(self, x: Point) -> Point:
    """Remove staff while every constraint still holds; then try moving a unit to a cheaper
    shift of the same resource; repeat until neither helps. Each cut and swap is judged paired
    with ``x`` as it came in (the candidate known on the most replications)."""
    root = x
    while True:
        x = remove(self, x, root)
        if not self.can_evaluate():
            return x
        swapped = swap(self, x, root)
        if swapped is None:
            return x
        x = swapped
        self.path.append(x)


def remove(self, x: Point, root: Point) -> Point:
    """Remove staff while every constraint still holds, testing cuts in groups. The levels
    are ordered by how little of the constraints' time waits for them (:func:`.guide.pressures`),
    dearest first among equals; a run of them is cut at once, all kept when the candidate
    still meets every constraint (the next run twice as long), halved when it does not.
    A level whose own cut failed is not tried again: with fewer staff elsewhere it could
    only fail again. Rounds repeat, re-ordered, while a round keeps a cut."""
    retired: set[int] = set()
    while self.can_evaluate():
        order = cuts(self, x, retired)
        k, kept = max(1, sum(p < MATTERS for _i, p in order)), False
        while order and self.can_evaluate():
            run = [i for i, _p in order[:k]]
            y = x
            for i in run:
                y = self.move(y, i, -1) or y
            if self.decide([y], "remove", parent=root, cap=cut_cap(self))[y] == "meets":
                x, kept, order, k = y, True, order[k:], 2 * k
                self.path.append(x)
            elif k == 1:
                retired.add(run[0])
                order = order[1:]
            else:
                k = (k + 1) // 2
        if not kept:
            break
    return x


def cuts(self, x: Point, retired: set[int]) -> list[tuple[int, float]]:
    """The levels that may lose a unit at ``x`` with their pressure, the least pressed
    (then the dearest) first."""
    pressure = pressures(self, x)
    cuts = [(i, pressure[i]) for i in range(len(self.space)) if i not in retired and self.move(x, i, -1) is not None]
    return sorted(cuts, key=lambda c: (c[1], -self.space.dims[c[0]].unit_cost))


def swap(self, x: Point, root: Point) -> Point | None:
    """The cheapest move of one unit to a cheaper shift of the same resource that still
    meets every constraint (e.g. a 12-hour shift's nurse to an 8-hour shift), tried only
    where the constraints' time waits at least as much in the cheaper shift's hours
    (:func:`.guide.pressures`): a unit moved away from the hours the constraints wait in
    would rarely keep them met, and each try costs replications."""
    space = self.space
    pressure = pressures(self, x)
    moves = []
    for i, di in enumerate(space.dims):
        for j, dj in enumerate(space.dims):
            if (i == j or di.resource != dj.resource or dj.unit_cost >= di.unit_cost
                    or pressure[j] < pressure[i]):
                continue
            y = self.pair(x, i, j)
            if y is not None and y not in self.ev.evaluations:
                moves.append(y)
    for y in sorted(moves, key=space.cost):
        if not self.can_evaluate():
            return None
        if self.decide([y], "swap", parent=root, cap=cut_cap(self))[y] == "meets":
            return y
    return None
