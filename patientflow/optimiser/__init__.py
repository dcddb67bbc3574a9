"""The staffing optimiser: the cheapest rosters that meet the targets, with honest statistics.

* :mod:`.space` — what may vary (roster blocks, counts) and what it costs;
* :mod:`.settings` — what to vary, what to meet and how hard to look, from the scenario's
  ``optimise:`` section and the arguments;
* :mod:`.constraints` — what must be met, and the statistical verdict on a candidate;
* :mod:`.evaluator` — running candidates' replications with common random numbers;
* :mod:`.search` — the screening search for the cheapest rosters, and :func:`~.search.optimise`,
  which runs an optimisation from settings to result;
* :mod:`.budget` — the search for the best journey outcome within a budget;
* :mod:`.confirmation` — the winner checked on fresh replications, and compared with the input;
* :mod:`.result` — :class:`~.result.Optimisation`, what was found, and its wording.

May import: scenario, moments, experiment and the leaf modules below them. (Named ``optimiser``
so that ``patientflow.optimise`` stays the function.)
"""
