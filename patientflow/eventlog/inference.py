"""What a log leaves out, told from its times and the scenario's pathways.

Real logs rarely say everything a scenario names. Two things can often be told from the times:

* **the outcome** of a journey without an outcome column: the one outcome the pathway allows from
  the last step the log shows — an exit, or giving up (``gives_up_as``) at a step the patient did
  not start; a blank start in a column the log has says the step was never started. A patient
  with no ``left`` time is still inside.
* **the option a branch took** (the attribute named after the branch step, e.g. ``decision``):
  the one option whose onward steps hold every later step the log shows, and whose onward
  outcomes hold the patient's outcome.

* **times the pathway fixes**: once a patient's path through the steps is known (its stream, the
  options of its branches, its outcome), some times equal others — a step is queued for when the
  previous one ends; a step that takes no resource starts when queued; a step without ``takes``
  ends when it starts; a mark is the queueing time of the first step that makes it; a journey that
  ran to its exit left when its last step ended. Blank times are filled from these equalities
  (a recorded time is never changed), so a log needs only the times that carry information.

When more than one answer fits, none is guessed: an unknown outcome excludes the row (listed), an
unknown branch option stays unknown (counted in the notes) and the path is followed no further.

A time the reader left out (it did not parse, or was out of order: ``unknown``, patients ×
events) is missing, but the event *happened*: the outcome, the branch options and the path count
it as recorded, only not when. The last step the log shows is then the furthest one along the
pathway with a time recorded or left out. A patient whose time of leaving, or whose outcome, was
left out (``ended``) has left: its outcome is told from the times like a blank one.
"""

from __future__ import annotations

import numpy as np

INSIDE = "inside"


def labels_column(values, index):
    """Labels as an object column, ``None`` where not given (pandas would make them NaN strings)."""
    import pandas as pd
    return pd.Series(list(values), index=index, dtype=object)


def last_steps(model, times: np.ndarray, unknown: np.ndarray | None = None) -> np.ndarray:
    """Per patient, the last step the log shows (-1: none): the step of the latest recorded time,
    the later step in pathway order on a tie. ``times`` is (patients, events). For a patient with
    times left out (``unknown``), the furthest step along the pathway with a time recorded or left
    out (the times kept are in pathway order, so for the others the two agree)."""
    n = times.shape[0]
    if not model.steps:
        return np.full(n, -1)
    found = _by_time(model, times)
    if unknown is not None and unknown.any():
        rows = np.flatnonzero(unknown.any(axis=1))
        seen = recorded_steps(model, times[rows], unknown[rows])
        rank = _pathway_rank(model)
        score = np.where(seen, rank[None, :], -1)
        found[rows] = np.where(seen.any(axis=1), np.argmax(score, axis=1), -1)
    return found


def _pathway_rank(model) -> np.ndarray:
    """Each step's place in pathway order (a later step reaches fewer steps)."""
    order = sorted(range(len(model.steps)), key=lambda i: -len(model.reachable_steps[i]))
    rank = np.empty(len(order))
    rank[order] = np.arange(len(order))
    return rank


def _by_time(model, times: np.ndarray) -> np.ndarray:
    n = times.shape[0]
    latest = np.full((n, len(model.steps)), -np.inf)
    for s in model.steps:
        block = times[:, [s.queued, s.start, s.end]]
        seen = ~np.isnan(block).all(axis=1)
        latest[seen, s.index] = np.nanmax(block[seen], axis=1)
    rank = _pathway_rank(model)
    score = np.where(np.isfinite(latest), latest + rank[None, :] * 1e-9, -np.inf)
    found = np.argmax(score, axis=1)
    return np.where(np.isfinite(score.max(axis=1)), found, -1)


def recorded_steps(model, times: np.ndarray, unknown: np.ndarray | None = None) -> np.ndarray:
    """(patients, steps): whether the log shows any time of the step (or one it left out)."""
    shown = ~np.isnan(times) if unknown is None else ~np.isnan(times) | unknown
    return np.column_stack([shown[:, [s.queued, s.start, s.end]].any(axis=1) for s in model.steps]) \
        if model.steps else np.zeros((times.shape[0], 0), dtype=bool)


def _possible_outcomes(model, step: int, times: np.ndarray, mapped: set[int], unknown: np.ndarray | None = None) -> set[int]:
    """Outcomes a patient last seen at ``step`` can have ended with: the exits reachable from there
    and the give-ups at steps it may not have started. A step whose start the log has a column
    for, left blank, was never started: the patient may have given up there, but went no further.
    A start the reader left out (``unknown``) was made."""
    found: set[int] = set()
    stack, seen = [step], set()
    while stack:
        j = stack.pop()
        if j in seen:
            continue
        seen.add(j)
        s = model.steps[j]
        unstarted = np.isnan(times[s.start]) and not (unknown is not None and unknown[s.start])
        if s.patience is not None and unstarted:
            found.add(s.gives_up_as)
        if unstarted and s.start in mapped:
            continue
        for target in (s.branch.targets if s.branch is not None else [s.then]):
            if target < 0:
                found.add(-2 - target)
            else:
                stack.append(target)
    return found


def infer_outcomes(model, patients, given, mapped: set[str] = frozenset(), unknown: np.ndarray | None = None,
                   ended: np.ndarray | None = None) -> list[tuple[int, str]]:
    """Fill ``patients["outcome"]``; returns (position, message) for outcomes that cannot be told.
    ``mapped`` are the events the log has a column for (a blank one says it did not happen);
    ``unknown`` the times left out (patients × events), ``ended`` the patients known to have left
    without a usable time of leaving (or outcome)."""
    times = patients[model.events].to_numpy(dtype=float)
    left = times[:, model.event("left")]
    gone = ~np.isnan(left) if ended is None else ~np.isnan(left) | np.asarray(ended, dtype=bool)
    outcome = np.full(len(patients), None, dtype=object)
    problems = []
    position = last_steps(model, times, unknown)
    first = {s.name: s.first_step for s in model.streams}
    columns = {model.event(e) for e in mapped if e in model.events}
    for i in range(len(patients)):
        label = given[i] if given is not None else None
        if label is not None:
            if label == INSIDE and gone[i]:
                problems.append((i, "the outcome says the patient is still inside, but a time of leaving is recorded"))
            outcome[i] = label
            continue
        if not gone[i]:
            outcome[i] = INSIDE
            continue
        step = position[i] if position[i] >= 0 else first.get(patients["stream"].iat[i], 0)
        could = sorted(_possible_outcomes(model, step, times[i], columns, None if unknown is None else unknown[i]))
        if len(could) == 1:
            outcome[i] = model.outcomes[could[0]]
        else:
            names = ", ".join(model.outcomes[o] for o in could)
            problems.append((i, f"no outcome recorded, and the times allow several ({names}): map an outcome column" if given is None
                             else f"no usable outcome, and the times allow several ({names}): the patient is not used"))
    patients["outcome"] = labels_column(outcome, patients.index)
    return problems


def infer_branches(model, patients, mapped: set[str], unknown: np.ndarray | None = None) -> list[str]:
    """Fill the option of each branch whose attribute the log does not give; notes saying how many.
    ``unknown``: times left out (patients × events), steps the patient still went through."""
    times = patients[model.events].to_numpy(dtype=float)
    seen = recorded_steps(model, times, unknown)
    outcomes = patients["outcome"].to_numpy(dtype=object)
    starts = np.array([next((s.first_step for s in model.streams if s.name == name), -1) for name in patients["stream"]])
    notes = []
    for b in model.steps:
        if b.branch is None or b.name in mapped or b.name not in model.attributes:
            continue
        attr = model.attributes.index(b.name)
        labels = patients[b.name].to_numpy(dtype=object).copy()
        after = np.zeros(len(model.steps), dtype=bool)
        after[list(model.reachable_steps[b.index] - {b.index})] = True
        leads_to_b = np.array([b.index in model.reachable_steps[j] for j in range(len(model.steps))])
        told = unknown = 0
        for i in range(len(patients)):
            if labels[i] is not None:
                continue
            later = seen[i] & after
            earlier = seen[i] & ~after
            earlier[b.index] = False
            ended = outcomes[i] not in (None, INSIDE) and model.outcomes.index(outcomes[i]) in model.reachable_outcomes[b.index]
            if not (seen[i, b.index] or later.any() or ended):
                continue  # nothing says the patient reached the branch
            if earlier.any() and not leads_to_b[earlier].all() or not earlier.any() and not (starts[i] >= 0 and leads_to_b[starts[i]]):
                continue  # its path does not pass the branch
            fits = [k for k, target in enumerate(b.branch.targets) if _fits(model, target, later, outcomes[i])]
            if len(fits) == 1:
                labels[i] = model.values[attr][b.branch.codes[fits[0]]]
                told += 1
            else:
                unknown += 1
        patients[b.name] = labels_column(labels, patients.index)
        if told or unknown:
            notes.append(f"{b.name}: the option taken was told from the times for {told} patients"
                         + (f"; for {unknown} it could not be told (left unknown)" if unknown else ""))
    return notes


def _fits(model, target: int, later: np.ndarray, outcome) -> bool:
    known = outcome is not None and outcome != INSIDE
    if target < 0:
        return not later.any() and (not known or model.outcomes[-2 - target] == outcome)
    reach = np.zeros(len(model.steps), dtype=bool)
    reach[list(model.reachable_steps[target])] = True
    if (later & ~reach).any():
        return False
    return not known or model.outcomes.index(outcome) in model.reachable_outcomes[target]


def fill_along_paths(model, patients, unknown: np.ndarray | None = None) -> str:
    """Fill blank times that the patient's path through the steps fixes; a note saying how many.
    ``unknown``: times left out (patients × events) — missing, but the events happened."""
    times = patients[model.events].to_numpy(dtype=float, copy=True)
    before = int(np.isnan(times).sum())
    outcomes = patients["outcome"].to_numpy(dtype=object)
    position = last_steps(model, times, unknown)
    seen = recorded_steps(model, times, unknown)
    started = ~np.isnan(times) if unknown is None else ~np.isnan(times) | unknown
    firsts = {s.name: s.first_step for s in model.streams}
    options = {s.index: patients[s.name].to_numpy(dtype=object) for s in model.steps
               if s.branch is not None and s.name in patients.columns}
    groups: dict[tuple, list[int]] = {}
    for i, stream in enumerate(patients["stream"].to_numpy(dtype=object)):
        if stream not in firsts:
            continue
        key = _path(model, firsts[stream], {k: v[i] for k, v in options.items()}, outcomes[i], started[i], seen[i], position[i])
        groups.setdefault(key, []).append(i)
    for (path, completed), rows in groups.items():
        block = times[rows]
        pairs = _equalities(model, path, completed)
        for a, b in pairs + pairs[::-1]:
            for x, y in ((a, b), (b, a)):
                fill = np.isnan(block[:, y]) & ~np.isnan(block[:, x])
                block[fill, y] = block[fill, x]
        times[rows] = block
    for e, name in enumerate(model.events):
        patients[name] = times[:, e]
    filled = before - int(np.isnan(times).sum())
    return f"{filled:,} blank times were filled from the pathway (a time the path fixes, e.g. a step with no queue starts when it is queued)"


def _path(model, first: int, options: dict, outcome, started: np.ndarray, seen: np.ndarray,
          position: int) -> tuple[tuple[int, ...], bool]:
    """The steps the patient went through as far as the log tells, and whether it ran to the exit.
    ``options`` holds the option each branch step took (None: unknown); ``started`` the events
    that happened (recorded, or left out)."""
    path: list[int] = []
    step = first
    exit_outcome = None
    while step >= 0 and len(path) <= len(model.steps):
        path.append(step)
        s = model.steps[step]
        if s.patience is not None and outcome == model.outcomes[s.gives_up_as] and not started[s.start] \
                and not any(seen[j] for j in model.reachable_steps[step] - {step}):
            return tuple(path), False  # gave up here
        if s.branch is not None:
            label = options.get(step)
            attr = model.attributes.index(s.name)
            codes = [model.values[attr][c] for c in s.branch.codes]
            if label is None or label not in codes:
                return _cut(model, path, position, started), False
            target = s.branch.targets[codes.index(label)]
        else:
            target = s.then
        if target < 0:
            exit_outcome = model.outcomes[-2 - target]
            break
        step = target
    if outcome == exit_outcome:
        return tuple(path), True
    return _cut(model, path, position, started), False


def _cut(model, path: list[int], position: int, started: np.ndarray) -> tuple[int, ...]:
    """The path up to where the log shows the patient: the last step it shows, and when that
    step has ended, the steps after it up to the first that takes time or a resource."""
    if position not in path:
        return ()
    k = path.index(position)
    cut = path[: k + 1]
    if started[model.steps[position].end]:
        for step in path[k + 1:]:
            cut.append(step)
            s = model.steps[step]
            if s.acquire or s.takes is not None or s.wait_until is not None:
                break
    return tuple(cut)


def _equalities(model, path: tuple[int, ...], completed: bool) -> list[tuple[int, int]]:
    """Pairs of events (indices) whose times are equal along ``path``, in path order."""
    if not path:
        return []
    pairs = [(model.event("arrived"), model.steps[path[0]].queued)]
    marked: set[int] = set()
    for k, index in enumerate(path):
        s = model.steps[index]
        for m in s.marks:
            if m not in marked:
                pairs.append((s.queued, m))
                marked.add(m)
        if not s.acquire:
            pairs.append((s.queued, s.start))
        if s.takes is None and s.wait_until is None:
            pairs.append((s.start, s.end))
        if k + 1 < len(path):
            pairs.append((s.end, model.steps[path[k + 1]].queued))
    if completed:
        pairs.append((model.steps[path[-1]].end, model.event("left")))
    return pairs
