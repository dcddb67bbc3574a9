"""What a scenario costs a week: its staff apart from its places.

The rule (:func:`is_place`): a resource is a *place* — a bed, a cubicle, a fleet of a fixed
size — when it has a fixed count and a patient keeps it across steps (some step ``hold:`` s it)
or it starts occupied (``initial:``), unless the scenario says otherwise (``kind: staff|place``).
Every other resource is *staff*: people on a roster (an
ambulance crew on shifts too), or a count of people a step uses for its own time. A place's
cost per hour is what keeping it open costs (a bed-day), so it is shown apart from the cost of
the staff.
"""

from __future__ import annotations

import numpy as np

from ..clock import HOURS_PER_WEEK
from ..model import Model, Resource


def is_place(model: Model, resource: Resource) -> bool:
    """Whether ``resource`` is a place (a fixed count that patients keep) rather than staff: its
    ``kind:`` when the scenario says, else inferred."""
    if resource.kind:
        return resource.kind == "place"
    if resource.capacity_by_minute is not None:
        return False
    held = any(resource.index in step.acquire and resource.index not in step.release_after_use
               for step in model.steps)
    return held or resource.initial_occupied > 0


def costed(model: Model) -> set[str]:
    """The resources with a cost per hour: those a search can weigh (one that costs nothing, it
    would take as many of as it could)."""
    return {r.name for r in model.resources if r.cost_per_hour > 0}


def cost_split(results) -> dict[str, float]:
    """Cost per week of a run's staff, of its places, and of both (``cost_per_week``)."""
    model = results.scenario.model
    costs = results.staff_cost().set_index("resource")["cost_per_week"]
    places = sum(float(costs[r.name]) for r in model.resources if is_place(model, r))
    staff = sum(float(costs[r.name]) for r in model.resources if not is_place(model, r))
    return {"staff_cost_per_week": staff, "places_cost_per_week": places, "cost_per_week": staff + places}


def weekly_cost(model) -> float:
    """Staff cost per week of a compiled scenario: cost per hour × rostered hours (a count is
    there all 168 hours; a resource without a cost, or unlimited, costs nothing)."""
    total = 0.0
    for r in model.resources:
        if not r.cost_per_hour:
            continue
        if r.capacity_by_minute is not None:
            total += r.cost_per_hour * float(r.capacity_by_minute.sum()) / 60
        elif r.count is not None and np.isfinite(r.count):
            total += r.cost_per_hour * r.count * HOURS_PER_WEEK
    return total
