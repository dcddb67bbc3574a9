"""Causes of a wait in a planner's words: a resource as a sentence names it, the hours a wait
concentrates in, and a moment's main cause chain (:class:`~patientflow.moments.bottlenecks.MainCause`)
as one sentence. Used by the report's "Act here first" and by the optimiser's "what binds"."""

from __future__ import annotations

from ..moments.bottlenecks import WAITING_TIME_OF_DAY, MainCause
from ..units import share_text

SHOWN_WAY = 0.005  # a chain a cause acts through is named when it takes at least this share of the time


def named(resource: str, plural: bool = False) -> str:
    """A resource as a sentence names it: ``ward_bed`` → ``ward bed`` (``ward beds``)."""
    name = resource.replace("_", " ")
    return name + ("es" if name.endswith(("s", "sh", "ch", "x")) else "s") if plural else name


def hours_text(hours: str) -> str:
    """``20:00-01:00`` as a sentence has it: ``20:00 to 01:00``."""
    return hours.replace("-", " to ")


def _plural(resource: str) -> str:
    return named(resource, plural=True)


def _article(resource: str) -> str:
    return ("an " if named(resource)[:1].lower() in "aeiou" else "a ") + named(resource)


def _waiting_for(resource: str) -> str:
    return "a time of day" if resource == WAITING_TIME_OF_DAY else _article(resource)


def cause_text(cause: MainCause | None) -> str:
    """The main cause as a sentence: the root, its share of the time, the chains it acts through."""
    if cause is None:
        return "All of the time is service: shorter service, not more capacity, would move it."
    hours = f", mostly {hours_text(cause.hours)}" if cause.hours and cause.hours != "all day" else ""
    root = "a time of day (a step's wait_until)" if not cause.root_is_resource else _plural(cause.cause)
    direct = [share for via, share in cause.ways if not via]
    chained = [(via, share) for via, share in cause.ways if via and share >= SHOWN_WAY]
    verb = "waiting for" if not cause.root_is_resource else "queueing for"
    if not chained:
        return f"{share_text(cause.share, 0)} of the time is {verb} {root}{hours}."
    parts = [f"{verb} them ({share_text(direct[0], 0)})"] if direct else []
    for via, share in chained[:2]:
        held = ", ".join(f"held by patients waiting for {_waiting_for(r)}" for r in [*via[1:], cause.cause])
        parts.append(f"queueing for {_plural(via[0])} {held} ({share_text(share, 0)})")
    return f"{share_text(cause.share, 0)} of the time is waiting on {root}{hours}: {'; '.join(parts)}."
