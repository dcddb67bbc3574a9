"""Moments of truth and the journey outcome compiled: events, outcomes, filters, groups and target
tiers resolved to the indices the model holds, every problem located."""

from __future__ import annotations

from ..errors import hint
from ..model import EVENTS_HELP, Moment
from ..targets import parse_tiers
from .schema import moment_tiers


def compile_moments(c, events, outcomes, streams, stages) -> list[Moment]:
    """Every moment of the scenario, by index; ``c`` is the scenario's :class:`~.compiling.Compiler`,
    which knows the attributes and collects the problems."""
    out = []
    stage_names = [s for s, _ in stages]
    for name, spec in c.spec.moments.items():
        path = ("moments", name)
        ok = True
        if spec.stage not in stage_names:
            c.error((*path, "stage"), f"no stage named {spec.stage!r} in stages" + hint(spec.stage, stage_names, "stages"))
        ends = [("from", spec.from_)] + ([("to", spec.to)] if spec.to is not None else [])
        for key, event in ends:
            if event not in events:
                c.error((*path, key), f"no pathway produces the event {event!r}" + hint(event, events)
                           + f" ({EVENTS_HELP})")
                ok = False
        outcome_codes = []
        for o in spec.outcome:
            if o not in outcomes:
                c.error((*path, "outcome"), f"no step ends with the outcome {o!r}" + hint(o, outcomes, "outcomes"))
                ok = False
            else:
                outcome_codes.append(outcomes.index(o))
        by = c.known_attribute(spec.by, (*path, "by")) if spec.by else -1
        tiers: dict[int | None, tuple] = {}
        try:
            for group, group_tiers in moment_tiers(spec).items():
                if group is None:
                    tiers[None] = group_tiers
                elif by < 0:
                    if not spec.by:  # an unknown 'by' is reported already
                        c.error((*path, "target"), "a target by group needs 'by' on the moment")
                elif group not in c.values[by]:
                    c.error((*path, "target", group), f"{spec.by} has no value {group!r}")
                else:
                    tiers[c.values[by].index(group)] = group_tiers
        except ValueError as exc:
            c.error((*path, "target"), str(exc))
        stream_filter, filters = None, []
        for attr, wanted in spec.for_.items():
            wanted_list = [str(w) for w in (wanted if isinstance(wanted, list) else [wanted])]
            if attr == "stream":
                bad = [w for w in wanted_list if w not in streams]
                if bad:
                    c.error((*path, "for", attr), f"no stream named {bad[0]!r}" + hint(bad[0], streams, "streams"))
                stream_filter = [streams.index(w) for w in wanted_list if w in streams]
                continue
            a = c.known_attribute(attr, (*path, "for", attr))
            if a >= 0:
                bad = [w for w in wanted_list if w not in c.values[a]]
                if bad:
                    c.error((*path, "for", attr), f"{attr} has no value {bad[0]!r} (it has {', '.join(c.values[a])})")
                filters.append((a, [c.values[a].index(w) for w in wanted_list if w in c.values[a]]))
        if ok:
            out.append(Moment(name, spec.stage, spec.kind, events.index(spec.from_),
                              events.index(spec.to) if spec.to is not None else -1, outcome_codes,
                              tiers, spec.critical, stream_filter, filters, max(by, -1),
                              spec.title or name.replace("_", " ")))
    return out


def compile_journey(c) -> tuple:
    """The journey outcome's target, parsed like a share moment's."""
    target = c.spec.journey.target
    if target is None:
        return ()
    try:
        return parse_tiers(target, "share")
    except ValueError as exc:
        c.error(("journey", "target"), str(exc))
        return ()
