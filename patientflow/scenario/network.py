"""The ambulance network compiled: places, travel, fleets, and the zone and site of each patient.

A scenario with ``places:`` has a :class:`~patientflow.model.Network`; one without has none and
compiles as a single site without geography. The parts are read elsewhere (:mod:`.places`,
:mod:`.travel`, :mod:`.fleet`); this room puts them together and checks what needs them all:

* every stream whose pathway can reach a travel step gets a ``zone`` from the zones' shares
  (after its own mixes, so shares by ``category`` see the call's category), unless it gives
  ``zone`` itself; reaching one with no zone at all is an error;
* ``site`` is the attribute naming a patient's hospital (its values are hospitals); with one
  hospital every patient goes to it unless given another, with several a ``travel: to_site``
  step needs the attribute;
* every zone can be reached from some station of each fleet, in every band.
"""

from __future__ import annotations

from ..model import HOSPITAL, TO_PATIENT, TO_SITE, Model, Network
from .fleet import compile_fleets, compile_trips
from .places import Places
from .travel import compile_travel, unreachable_zones
from .values import ByAttribute, Mix


def compile_network(c, places: Places | None, model: Model, steps_by_name) -> Network | None:
    """The model's network (None without places), every problem reported to ``c``; sets the
    steps' ``travel`` and ``trip`` and adds the zone mixes to the streams."""
    fleets = compile_fleets(c, places)
    compile_trips(c, steps_by_name, model.steps, model.resources)
    travelling = [s for s in model.steps if s.travel in (TO_PATIENT, TO_SITE)]
    if places is None:
        if c.spec.travel is not None:
            c.error(("travel",), "travel is between places: give places (zones, stations, hospitals) too")
        for step in travelling:
            c.error(_step_path(c, step) + ("travel",), "a travel step needs places and travel: give places: and travel:")
        return None
    if not places.complete:
        return None  # what depends on the places is not checked against places read wrong
    travel = compile_travel(c, places)
    zone = model.attributes.index("zone")
    site = model.attributes.index("site") if "site" in model.attributes else -1
    hospitals = [i for i, p in enumerate(places.places) if p.kind == HOSPITAL]
    default_site = hospitals[0] if len(hospitals) == 1 else -1
    for step in travelling:
        if step.travel == TO_SITE and not hospitals:
            c.error(_step_path(c, step) + ("travel",), "travel: to_site drives to the patient's hospital: give places.hospitals")
        elif step.travel == TO_SITE and default_site < 0 and site < 0:
            c.error(_step_path(c, step) + ("travel",), "with several hospitals each patient needs a site: give the attribute "
                                                       "site (a stream's mix or set, or a step's assign)")
    zone_mixes(c, places, model, zone, {s.index for s in travelling})
    if travel is None:
        return None
    for r, fleet in fleets.items():
        for band, z in unreachable_zones(travel, list(range(len(places.zones.names))), [s.place for s in fleet.stations])[:1]:
            name, zone_name = model.resources[r].name, places.places[z].name
            c.error(("resources", name, "fleet"), f"no station of {name} can reach zone {zone_name!r}: "
                    + ", ".join(f"{s} -> {zone_name}" for s in fleet.station_names) + " "
                    + ("is" if len(fleet.stations) == 1 else "are") + " no road" + (f" in band {band}" if band != "all" else ""))
    site_place = [places.index(v) if v in places.names(HOSPITAL) else -1 for v in model.values[site]] if site >= 0 else []
    return Network(places.places, travel, fleets, zone, list(range(len(places.zones.names))), site, site_place, default_site)


def _step_path(c, step) -> tuple:
    position = next(i for i, item in enumerate(c.spec.pathways[step.pathway]) if step.name in item)
    return ("pathways", step.pathway, position, step.name)


def zone_mixes(c, places: Places, model: Model, zone: int, travelling: set[int]) -> None:
    """A zone mix for every stream that can reach a travel step and gives no zone itself."""
    zones = places.zones
    assignment = None
    for stream in model.streams:
        spec = c.spec.demand[stream.name]
        if not travelling & model.reachable_steps[stream.first_step] or "zone" in spec.mix or "zone" in spec.set:
            continue
        path = ("demand", stream.name)
        if not zones.shares:
            c.error(path, "its patients reach a travel step, which needs their zone: give the zones shares "
                          "(places.zones) or this stream mix: {zone: ...}")
            continue
        if zones.by is not None and None not in zones.shares and zones.by not in (*spec.mix, *spec.set):
            c.error(path, f"the zones' shares depend on {zones.by}, which this stream does not give its patients "
                          f"(in mix or set): give the zones a share for the rest, or this stream mix: {{zone: ...}}")
            continue
        if assignment is None:
            if missing_shares(c, zones, model):
                return
            assignment = c.assignment("zone", zone_mix(zones), ("places", "zones"), "mix:zone")
        stream.mixes.append(assignment)


def missing_shares(c, zones, model: Model) -> bool:
    """Whether some value of the attribute the zones' shares depend on has no shares (reported)."""
    if zones.by is None or None in zones.shares or zones.by not in model.attributes:
        return False
    missing = [v for v in model.values[model.attributes.index(zones.by)] if v not in zones.shares]
    if missing:
        by, value = zones.by, missing[0]
        c.error(("places", "zones"), f"no zone shares for {by} = {value}: give them (a column share_{by}_{value}, "
                                     f"or inline share: {{by: {by}, {value}: ...}}), or shares for the rest (a column "
                                     "share, or other)")
    return bool(missing)


def zone_mix(zones) -> Mix | ByAttribute:
    """The zones' shares as a mix of the attribute ``zone`` (by an attribute when they depend on one)."""
    mixes = {key: Mix(tuple(zones.names), tuple(shares)) for key, shares in zones.shares.items()}
    if zones.by is None:
        return mixes[None]
    return ByAttribute(zones.by, {k: m for k, m in mixes.items() if k is not None}, mixes.get(None))
