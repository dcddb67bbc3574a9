"""The engine: one replication of a compiled model, a pure function of (model, seed, number).

:mod:`.replication` walks every patient through its pathway in SimPy; :mod:`.resources` are pools
whose capacity follows a roster; :mod:`.arrivals` draws the arrival times (thinning);
:mod:`.randomness` gives every purpose its own stream (common random numbers).

May import: clock, distributions, model, log, timeline (numpy and SimPy; no pydantic, no pandas).
"""

# The engine's sample paths: raise it with any change that alters a replication's log for the same
# model, seed and number, so the shared replication store computes those again instead of
# serving logs of the old engine (experiment.cache keys every stored log by it). A change that
# only makes the engine faster (the same logs, byte for byte) keeps it.
REVISION = 1
