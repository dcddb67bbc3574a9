"""Recorded data: event logs read onto a scenario, measured, calibrated and checked.

:mod:`.reader` reads a log (with :mod:`.mapping`, :mod:`.long` and :mod:`.inference`);
:mod:`.actual` measures it as a run is measured; :mod:`.occupancy` derives busy staff and queues;
:mod:`.calibrate`, :mod:`.fitting` and :mod:`.calibration_file` fit a scenario to it;
:mod:`.checkfit` holds a scenario against it; :mod:`.writer` writes simulated patients as a log.

May import: scenario, moments, experiment and the leaf modules below them.
"""
