"""Recorded data: event logs read onto a scenario, measured, calibrated and checked.

Reading a log: :mod:`.reader` reads the file and assembles the patients (:func:`read_event_log`,
:class:`EventLog`), with :mod:`.mapping` (which column is which scenario event or attribute),
:mod:`.times` (times parsed, coalesced from an event's columns and put on the scenario's clock),
:mod:`.long` (a log with one row per event gathered into one row per patient), :mod:`.labels`
(attribute, outcome and stream values in the scenario's words), :mod:`.order` (times out of
order along the pathway), :mod:`.exclusions` (the bookkeeping of the rows and fields left out)
and :mod:`.inference` (outcomes, branches and times told from the pathway).

Using it: :mod:`.actual` measures it as a run is measured; :mod:`.occupancy` derives busy staff
and queues; :mod:`.calibrate`, :mod:`.fitting` and :mod:`.calibration_file` fit a scenario to it;
:mod:`.checkfit` holds a scenario against it; :mod:`.writer` writes simulated patients as a log.

May import: scenario, moments, experiment and the leaf modules below them.
"""
