"""Scenarios: the planner's YAML read, checked and compiled into the model the engine runs.

* :mod:`.loading` reads YAML with the line of every key and follows ``extends:``;
  :mod:`.merging` is the one merge rule for variant files and ``Scenario.with_changes``;
* :mod:`.schema` validates the tree (pydantic), with :mod:`.values` (shares, durations,
  distributions, mixes), :mod:`.roster` (shifts and roster arithmetic) and
  :mod:`.optimise_section` (what the optimiser may vary);
* :mod:`.compiling` resolves every name into the :class:`~patientflow.model.Model`, with
  :mod:`.compile_moments` and :mod:`.pathway_checks` (reachability, unused resources, loops);
* the ambulance network: :mod:`.places` (zones, stations, hospitals), :mod:`.travel` (matrices by
  band of the day), :mod:`.fleet` (units at stations, a unit's trip), :mod:`.derived` (events
  computed from others), put together by :mod:`.network`;
* :mod:`.checks` warns of what will run but is probably not meant (it runs the engine briefly);
* :mod:`.scenario` is the immutable Scenario.

May import: errors, clock, units, distributions, targets, model, and the engine (for the overload
check). The engine never imports this room, so pydantic stays out of a replication.
"""
