"""Travel on the network's roads at run time: minutes between places by the band of the day a trip
departs in, where a unit on the road can get to, and the multiplier each trip draws.

A unit on its way from A to B, a fraction ``f`` of the trip done, reaches C in
``min(f·t(A,B) + t(A,C), (1−f)·t(A,B) + t(B,C))``: back to A then on, or on to B then on — the
matrix only, no positions in between. Every time is read from the band of the moment asked about.
"""

from __future__ import annotations

from ..clock import DAY
from ..model import Network, Travel
from .draws import PerStream
from .randomness import Streams


class Roads:
    """The travel matrices as nested lists (read hundreds of thousands of times a replication)."""

    __slots__ = ("minutes", "band_by_minute", "variability", "streams", "_multipliers")

    def __init__(self, travel: Travel, streams: Streams):
        self.minutes = [band.tolist() for band in travel.minutes]
        self.band_by_minute = [int(b) for b in travel.band_by_minute]
        self.variability = travel.variability
        self.streams = streams
        self._multipliers: dict[str, PerStream] = {}

    def matrix(self, now: float) -> list[list[float]]:
        """The minutes between places of the band ``now`` falls in."""
        return self.minutes[self.band_by_minute[int(now % DAY)]]

    def time(self, origin: int, destination: int, now: float) -> float:
        return self.minutes[self.band_by_minute[int(now % DAY)]][origin][destination]

    def multiplier(self, purpose: str, stream: int, k: int) -> float:
        """Patient ``k`` of ``stream``'s draw of the trip ``purpose`` (1 without variability): one
        stream of draws per purpose, so that scenarios sharing patients share their trips."""
        if self.variability is None:
            return 1.0
        draws = self._multipliers.get(purpose)
        if draws is None:
            draws = self._multipliers[purpose] = PerStream(self.streams, f"travel:{purpose}", self.variability.sample)
        return draws.get(stream, k)

    def to_site(self, network: Network, attrs, purpose: str, stream: int, k: int, now: float) -> tuple[int, int, float]:
        """A patient's drive from its zone to its hospital (its ``site``, or the only one):
        (from, to, minutes); LookupError when it has no zone or no site."""
        zone = attrs[network.zone_attribute] if network.zone_attribute >= 0 else -1
        if zone < 0:
            raise LookupError("a patient has no zone to travel from: give its stream a zone mix")
        site = attrs[network.site_attribute] if network.site_attribute >= 0 else -1
        origin = network.zone_place[zone]
        destination = network.site_place[site] if site >= 0 else network.default_site
        if destination < 0:
            raise LookupError("a patient has no site (hospital) to travel to")
        return origin, destination, self.time(origin, destination, now) * self.multiplier(purpose, stream, k)


def from_the_road(matrix: list[list[float]], origin: int, destination: int, done: float, to: int) -> float:
    """Minutes to ``to`` for a unit a share ``done`` of the way from ``origin`` to ``destination``."""
    leg = matrix[origin][destination]
    back = done * leg + matrix[origin][to]
    on = (1.0 - done) * leg + matrix[destination][to]
    return back if back < on else on
