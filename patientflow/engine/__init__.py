"""The engine: one replication of a compiled model, a pure function of (model, seed, number).

:mod:`.replication` walks every patient through its pathway in SimPy; :mod:`.resources` are pools
whose capacity follows a roster; :mod:`.arrivals` draws the arrival times (thinning);
:mod:`.randomness` gives every purpose its own stream (common random numbers).

May import: clock, distributions, model, log, timeline (numpy and SimPy; no pydantic, no pandas).
"""
