"""The staffing optimiser: the cheapest rosters that meet the targets, with honest statistics.

:mod:`.space` is what may vary (roster blocks, counts) and what it costs; :mod:`.search` screens
candidates with common random numbers and confirms the winner on fresh replications.

May import: scenario, moments, experiment and the leaf modules below them. (Named ``optimiser``
so that ``patientflow.optimise`` stays the function.)
"""
