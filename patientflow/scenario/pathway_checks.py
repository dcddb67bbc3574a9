"""What a pathway can still lead to, and the checks on pathways as a whole: which steps and outcomes
each step can reach, resources no step uses, steps that loop without end."""

from __future__ import annotations

from difflib import get_close_matches
from ..model import TIME_OF_DAY, Resource, Step, Stream


def successors(steps: list[Step]) -> list[list[int]]:
    succ = []
    for s in steps:
        targets = list(s.branch.targets) if s.branch is not None else [s.then]
        succ.append([t for t in targets if t >= 0])
    return succ


def reachability(steps: list[Step], n_outcomes: int) -> tuple[list[set[int]], list[set[int]]]:
    """For each step, the steps and outcomes a patient there can still reach (itself included)."""
    succ = successors(steps)
    reach_steps: list[set[int] | None] = [None] * len(steps)
    reach_out: list[set[int] | None] = [None] * len(steps)

    def visit(i: int, depth: int = 0) -> None:
        if reach_steps[i] is not None or depth > len(steps):
            return
        reach_steps[i], reach_out[i] = {i}, set()
        s = steps[i]
        exits = [-2 - t for t in (s.branch.targets if s.branch is not None else [s.then]) if t < 0]
        reach_out[i].update(exits)
        if s.patience is not None:
            reach_out[i].add(s.gives_up_as)
        for j in succ[i]:
            visit(j, depth + 1)
            reach_steps[i] |= reach_steps[j] or set()
            reach_out[i] |= reach_out[j] or set()

    for i in range(len(steps)):
        visit(i)
    return [r or set() for r in reach_steps], [r or set() for r in reach_out]


def held_while_waiting(steps: list[Step], resources: list[Resource], streams: list[Stream]) -> dict[int, set[int]]:
    """For each resource, what a patient holding it may queue for meanwhile: the resources taken
    after it (in a later step, or later in the same step's ``hold``/``use``) before it is freed, and
    :data:`~patientflow.model.TIME_OF_DAY` for a ``wait_until`` reached while holding it. Walks
    every pathway from every stream's first step and every initial occupant's step, with what is
    held on the way (each step once per set held: the graph has no cycle)."""
    edges: dict[int, set[int]] = {}
    seen: set[tuple[int, frozenset[int]]] = set()
    todo = [(s.first_step, frozenset()) for s in streams]
    todo += [(r.initial_enter, frozenset({r.index})) for r in resources if r.initial_enter >= 0 and r.initial_occupied > 0]
    while todo:
        i, held = todo.pop()
        if i < 0 or (i, held) in seen:
            continue
        seen.add((i, held))
        step = steps[i]
        now = set(held)
        for r in step.acquire:
            for h in now:
                edges.setdefault(h, set()).add(r)
            now.add(r)
        if step.wait_until is not None:
            for h in now:
                edges.setdefault(h, set()).add(TIME_OF_DAY)
        now -= set(step.release_after_use) | set(step.release)
        for j in (step.branch.targets if step.branch is not None else [step.then]):
            todo.append((j, frozenset(now)))
    return edges


def used_resources(resources: list[Resource], steps: list[Step]) -> list[Resource]:
    """The resources some step takes (uses, holds or releases)."""
    taken = {r for step in steps for r in (*step.acquire, *step.release)}
    return [r for r in resources if r.index in taken]


def check_unused_resources(c, resources: list[Resource], steps: list[Step]) -> None:
    """A resource no step uses, named like one that steps use, is a typo: an error."""
    used = {r.name for r in used_resources(resources, steps)}
    for resource in resources:
        if resource.name not in used:
            close = get_close_matches(resource.name, sorted(used), n=1, cutoff=0.75)
            if close:
                c.error(("resources", resource.name), f"no step uses {resource.name!r}; did you mean "
                           f"{close[0]!r}? (a variant names a resource as the scenario it extends does)")


def check_cycles(c, steps: list[Step]) -> None:
    """A patient visits each step at most once: the step graph must have no cycle."""
    succ = successors(steps)
    state = [0] * len(steps)
    for root in range(len(steps)):
        stack = [(root, iter(succ[root]))]
        if state[root]:
            continue
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state[nxt] == 1:
                s = steps[nxt]
                c.error(("pathways", s.pathway), f"the pathways loop back to step {s.name!r}; a patient passes each step once")
                return
            elif state[nxt] == 0:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
