"""Scenarios: the planner's YAML read, checked and compiled into the model the engine runs.

:mod:`.loading` reads YAML with the line of every key and merges ``extends:`` (one merge rule for
variant files and ``Scenario.with_changes``); :mod:`.schema` validates it (pydantic);
:mod:`.compiling` resolves every name into the :class:`~patientflow.model.Model`; :mod:`.checks`
warns of what will run but is probably not meant; :mod:`.scenario` is the immutable Scenario.

May import: errors, clock, units, distributions, targets, model. Nothing here is imported by the
engine, so pydantic stays out of a replication.
"""
