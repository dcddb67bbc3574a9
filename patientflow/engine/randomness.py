"""Random numbers arranged for common random numbers.

Every replication and every purpose (a stream's arrivals, an attribute mix, a step's durations,
a branch, a patience) has its own generator, keyed by the replication number and by the *names*
of the stream and purpose — never by creation order — so a replication's numbers do not depend
on which worker runs it, and adding a step to a scenario leaves every other step's numbers alone.

Within a purpose, draw ``k`` belongs to the ``k``-th patient of the arrival stream, whatever the
order patients reach the step. Two scenarios that differ only in staffing therefore give the same
patient the same attributes, branches, patience and durations (common random numbers).
"""

from __future__ import annotations

import zlib
from typing import Callable

import numpy as np

BLOCK = 1024


def name_key(text: str) -> int:
    """A stable 32-bit key for a name (Python's ``hash`` differs between processes)."""
    return zlib.crc32(text.encode("utf-8"))


def generator(seed: int, replication: int, *names: str) -> np.random.Generator:
    """The generator of one replication and purpose."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replication, *(name_key(n) for n in names)))
    return np.random.Generator(np.random.PCG64(sequence))


class Draws:
    """Draws of one purpose for one arrival stream, made in blocks; ``get(k)`` is patient k's."""

    __slots__ = ("_rng", "_sample", "_values")

    def __init__(self, rng: np.random.Generator, sample: Callable[[np.random.Generator, int], np.ndarray]):
        self._rng = rng
        self._sample = sample
        self._values: list[float] = []

    def get(self, k: int) -> float:
        try:
            return self._values[k]
        except IndexError:
            while len(self._values) <= k:
                self._values.extend(self._sample(self._rng, BLOCK).tolist())
            return self._values[k]


def uniform(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.random(size)


class Streams:
    """The draws of one replication, created on first use and kept by (stream, purpose)."""

    def __init__(self, seed: int, replication: int, stream_names: list[str]):
        self.seed = seed
        self.replication = replication
        self.stream_names = stream_names
        self._draws: dict[tuple[int, str], Draws] = {}

    def draws(self, stream: int, purpose: str, sample=uniform) -> Draws:
        key = (stream, purpose)
        found = self._draws.get(key)
        if found is None:
            rng = generator(self.seed, self.replication, self.stream_names[stream], purpose)
            found = self._draws[key] = Draws(rng, sample)
        return found

    def generator(self, stream: int, purpose: str) -> np.random.Generator:
        return generator(self.seed, self.replication, self.stream_names[stream], purpose)
