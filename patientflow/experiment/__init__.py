"""Experiments: many replications of scenarios, on one process, local processes or Dask.

:mod:`.replications` runs and measures replications; :mod:`.store` keeps finished ones, each
with its identity and checksum, so a run resumes; :mod:`.results` gathers them as DataFrames;
:mod:`.precision` adds replications until every moment is precise enough; :mod:`.comparison`
pairs scenarios with common random numbers (:mod:`.pairing` the paired intervals,
:mod:`.costs` staff apart from places, :mod:`.hourly` roster changes by hour,
:mod:`.comparison_text` a sentence per scenario); :mod:`.patients` is the patient-level table;
:mod:`.output` writes a run's folder atomically, all its outputs together; :mod:`.lock` lets one
run at a time write a folder.

May import: scenario, engine, moments and the leaf modules below them.
"""
