"""Derived events: an event computed from others once a patient's times are known.

::

    events:
      response_clock: {earliest: [answer.start + 30s, answer.end, dispatch.start]}

A derived event is the earliest of its sources that happened, each plus (or minus) a duration;
it did not happen when none of them did. Moments use it by name like any other event
(``from: response_clock``). Its sources are events the pathways record (``arrived``, ``left``,
marks, ``STEP.queued`` / ``.start`` / ``.end`` ...), not other derived events; its name is not
one of theirs. The engine fills derived events at the end of each replication, and a recorded
event log fills them the same way (:func:`patientflow.log.derived_times`). They come after every
recorded event in ``Model.events``, so the events the engine writes keep their indices.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, WithJsonSchema

from ..distributions import parse_duration
from ..errors import PartError, hint
from ..model import EVENTS_HELP
from ..files import shown
from .values import STRICT

_SOURCE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:([+-])\s*(\S.*?))?\s*$")


def parse_source(value: Any) -> tuple[str, float]:
    """``"answer.start + 30s"`` as (event, minutes added)."""
    match = _SOURCE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"expected an event, or an event plus a duration (answer.start + 30s), got {shown(value)}")
    event, sign, duration = match.groups()
    minutes = parse_duration(duration) if duration else 0.0
    return event, -minutes if sign == "-" else minutes


def _sources(value: Any) -> tuple[tuple[str, float], ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError("give at least one event: earliest: [answer.end, dispatch.start]")
    out = []
    for i, item in enumerate(items):
        try:
            out.append(parse_source(item))
        except ValueError as exc:
            raise PartError(str(exc), *((i,) if isinstance(value, list) else ())) from None
    return tuple(out)


class DerivedEventSpec(BaseModel):
    """An event that is the earliest of others: ``{earliest: [answer.end, answer.start + 30s]}``."""

    model_config = STRICT
    earliest: Annotated[tuple[tuple[str, float], ...], BeforeValidator(_sources), WithJsonSchema(
        {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
         "description": "events, each optionally plus a duration: [answer.end, dispatch.start, answer.start + 30s]"})]
    description: str = ""


def compile_derived(c, recorded: list[str], events: list[str]) -> list[tuple[int, list[tuple[int, float]]]]:
    """``Model.derived``: each derived event's index in ``events`` with its sources' indices and
    minutes; ``recorded`` are the events the pathways record (the sources it may name)."""
    out = []
    for name, spec in c.spec.events.items():
        path = ("events", name)
        if name in recorded:
            c.error(path, f"{name!r} is an event the pathways record already: give the derived event another name")
            continue
        sources = []
        for i, (event, minutes) in enumerate(spec.earliest):
            if event not in recorded:
                derived = " (a derived event is made from recorded ones only)" if event in c.spec.events else ""
                c.error((*path, "earliest", i), f"no pathway produces the event {event!r}"
                        + (derived or hint(event, recorded) + f" ({EVENTS_HELP})"))
                continue
            sources.append((recorded.index(event), minutes))
        if len(sources) == len(spec.earliest):
            out.append((events.index(name), sources))
    return out
