"""A patient while a replication runs, and the error of a patient a step cannot go on with."""

from __future__ import annotations

from array import array

from ..log import INSIDE
from ..model import Step


class SimulationError(RuntimeError):
    """A scenario that validated but cannot go on (e.g. a patient without an attribute a step needs)."""

    def __init__(self, step: Step, message: str):
        self.step = step
        self.message = message
        super().__init__(step, message)  # rebuildable from its args (SimPy re-raises that way)

    def __str__(self) -> str:
        return f"step {self.step.name!r}: {self.message}"


class Patient:
    """One patient's record while the replication runs: its times in a flat array of doubles
    (copied from a template of NaN, joined into the log's array at the end), cheap to write."""

    __slots__ = ("stream", "k", "row", "attrs", "times", "held", "position", "outcome", "unit", "fleet")

    def __init__(self, stream: int, k: int, row: int, attrs: array, times: array):
        self.stream = stream
        self.row = row  # its row in the log
        self.k = k  # its index within its arrival stream: the draws it gets
        self.attrs = array("h", attrs)
        self.times = array("d", times)
        self.held: list[int] = []
        self.position = 0
        self.outcome = INSIDE
        self.unit = None  # the fleet's unit it holds, and that fleet (fleet.FleetRun)
        self.fleet = None
