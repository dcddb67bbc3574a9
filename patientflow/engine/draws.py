"""A patient's draws on the engine's hot path: patient ``k`` of an arrival stream gets draw ``k``
of each purpose (:mod:`.randomness`), looked up by stream in a list rather than by key in a
dictionary, since a replication makes hundreds of thousands of them."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .randomness import Draws, Streams, uniform


class PerStream:
    """One purpose's draws, by arrival stream (each stream's created on first use)."""

    __slots__ = ("streams", "purpose", "sample", "by_stream")

    def __init__(self, streams: Streams, purpose: str,
                 sample: Callable[[np.random.Generator, int], np.ndarray] = uniform):
        self.streams = streams
        self.purpose = purpose
        self.sample = sample
        self.by_stream: list[Draws | None] = [None] * len(streams.stream_names)

    def get(self, stream: int, k: int) -> float:
        draws = self.by_stream[stream]
        if draws is None:
            draws = self.by_stream[stream] = self.streams.draws(stream, self.purpose, self.sample)
        return draws.get(k)


class Chooser:
    """Draws a :class:`~patientflow.model.Varying` duration for a patient: the distribution for
    its attribute value, from that value's own stream of draws (kept per arrival stream)."""

    __slots__ = ("attribute", "default", "cases", "streams", "draws", "plain", "missing")

    def __init__(self, varying, purpose: str, streams: Streams, missing: Callable[[], Exception]):
        self.attribute = varying.attribute
        self.default = (varying.other, f"{purpose}:other" if varying.attribute >= 0 else purpose)
        self.cases = {code: (value, f"{purpose}:{code}") for code, value in varying.cases.items()}
        self.streams = streams
        self.draws: dict[tuple[int, int], Draws | float] = {}  # by (stream, attribute value)
        self.plain: list[Draws | float | None] = [None] * len(streams.stream_names)  # no attribute
        self.missing = missing  # the error of a patient without the attribute

    def _source(self, stream: int, code: int) -> Draws | float:
        dist, purpose = self.default if self.attribute < 0 else self.cases.get(code, self.default)
        if dist is None:
            raise self.missing()
        return float(dist.params[0]) if dist.is_fixed else self.streams.draws(stream, purpose, dist.sample)

    def draw(self, stream: int, k: int, attrs) -> float:
        if self.attribute < 0:
            source = self.plain[stream]
            if source is None:
                source = self.plain[stream] = self._source(stream, -1)
        else:
            key = (stream, attrs[self.attribute])
            source = self.draws.get(key)
            if source is None:
                source = self.draws[key] = self._source(stream, key[1])
        return source if source.__class__ is float else source.get(k)  # type: ignore[union-attr]
