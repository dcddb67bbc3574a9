"""The pathway as patients took it: how many went along each link of the flow diagram
(:func:`~.figures.pathway`)."""

from __future__ import annotations

import numpy as np


def links(queued: np.ndarray, outcomes: np.ndarray, outcome_node: dict[str, int], n_nodes: int) -> dict[tuple[int, int], int]:
    """Patients along each link (from node, to node): from step to step in the order each
    patient queued for them, then from the last step to the patient's outcome; links in the
    order they first appear, patient by patient."""
    n, k = queued.shape
    order = np.argsort(np.where(np.isnan(queued), np.inf, queued), axis=1, kind="stable")
    counts = (~np.isnan(queued)).sum(axis=1)
    rows = np.arange(n)[:, None] * (k + 1)  # where each patient's links come, in the loop's order
    step = np.arange(max(k - 1, 0))[None, :]
    between = step < (counts[:, None] - 1)
    keys = [(order[:, :-1] * n_nodes + order[:, 1:])[between]]
    places = [(rows + step)[between]]
    ends = counts > 0
    if ends.any():
        names, which = np.unique(outcomes[ends], return_inverse=True)
        last = order[np.flatnonzero(ends), counts[ends] - 1]
        keys.append(last * n_nodes + np.array([outcome_node[o] for o in names])[which])
        places.append(rows[ends, 0] + k)
    key, place = np.concatenate(keys), np.concatenate(places)
    key = key[np.argsort(place, kind="stable")]
    found, first, count = np.unique(key, return_index=True, return_counts=True)
    return {(int(f // n_nodes), int(f % n_nodes)): int(c) for f, c in
            zip(found[np.argsort(first)], count[np.argsort(first)])}
