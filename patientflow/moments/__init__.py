"""Moments of truth: which patients count, what each replication measures, and what it means.

A moment of truth is a wait (from one event to another) or an outcome share that a patient
judges the service by. This room holds every rule about them, each written once:

* :mod:`.measure` — which patients count for a moment and the statistics of one replication
  (or one period of a recorded log): counts, mean, centiles, share within target, patients a
  day who miss a tier and beyond what it allows, hours a day spent waiting beyond its time;
* :mod:`.statistics` — the same statistics across replications: means with t-intervals, the
  summary table;
* :mod:`.verdict` — a tier's direction (which way is better) and its verdict: met, close (the
  interval straddles the target) or missed;
* :mod:`.ranking` — which misses to act on first;
* :mod:`.decision` — what a comparison decides: whether a change counts (its paired interval and
  a practical threshold), which groups are too small to judge, which targets flip.

It may import the model and the engine's log; pages, tables and commands import it.
"""

from .measure import STATS, Row, measure, summary_rows, time_beyond

__all__ = ["STATS", "Row", "measure", "summary_rows", "time_beyond"]
