"""The optimiser's search space: staffing levels that may change, and what each costs.

Each varied resource gives one *dimension* per roster block (a shift line of its roster), or one
for its count. A candidate is a vector of changes, one per dimension, each within the
dimension's bounds (by default −2 … +3). A change counts staff on a roster block or in a count
of staff; for a *place* (a bed, a cubicle: :func:`~patientflow.experiment.costs.is_place`) it
counts steps of 2.5 % of its size, at least one (:func:`place_step`): 406 ward beds vary in steps
of 10, so −2 … +3 is 386 … 436 beds. A candidate becomes a scenario through
:meth:`Scenario.with_changes`, so it is validated like any file, and its cost per week is exact:
cost per hour × rostered hours in a week (a place's cost per hour is what keeping it open costs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..experiment.costs import is_place, weekly_cost
from ..scenario.roster import block_hours, hours_of_day_covered
from ..scenario.variants import variant_header
from ..clock import HOURS_PER_WEEK

@dataclass(frozen=True)
class Dimension:
    """One staffing level that may change: a roster block, or a resource's count."""

    resource: str
    block: str | None  # the roster's shift text; None: the count
    base: int  # the level in the input scenario
    low: int  # the lowest change allowed (the level never goes below its floor)
    high: int
    unit_cost: float  # cost per week of one change (staff on this block, or one step of places)
    step: int = 1  # units a change adds: 1 for staff, place_step() for a place

    def hours_covered(self) -> np.ndarray:
        """The share of each hour of the day (24 values) a change puts on duty: a roster
        block's hours over the week; a count, every hour."""
        return np.ones(24) if self.block is None else hours_of_day_covered(self.block)

    @property
    def label(self) -> str:
        return self.resource if self.block is None else f"{self.resource} {self.block}"

    def level(self, change: int) -> int:
        """The staff on the block, or the count, under ``change``."""
        return self.base + change * self.step


PLACE_STEP = 0.025  # a place varies in steps of this share of its size


def place_step(count: int) -> int:
    """Units of a place in one change: 2.5 % of its size, at least one."""
    return max(1, int(count * PLACE_STEP + 0.5))


class SearchSpace:
    """The dimensions of a scenario's search space, and candidates as scenarios."""

    def __init__(self, scenario, vary: dict[str, tuple[int, int]]):
        self.scenario = scenario
        data = scenario.to_dict().get("resources", {})
        dims: list[Dimension] = []
        model = scenario.model
        for name, (low, high) in vary.items():
            spec = scenario.spec.resources[name]
            cost = spec.cost_per_hour
            if spec.roster is not None:
                for text, staff in data[name]["roster"].items():
                    dims.append(Dimension(name, str(text), int(staff), max(low, -int(staff)), high,
                                          cost * block_hours(str(text))))
            else:
                count = int(spec.count)  # type: ignore[arg-type]
                resource = next(r for r in model.resources if r.name == name)
                step = place_step(count) if is_place(model, resource) else 1
                dims.append(Dimension(name, None, count, max(low, -((count - 1) // step)), high,
                                      cost * HOURS_PER_WEEK * step, step))
        self.dims = dims
        self._raw = data

    def __len__(self) -> int:
        return len(self.dims)

    def ranges_text(self) -> str:
        """What may change, per resource: ``doctor -2..+3 per roster block, ward_bed 386..436 beds in steps of 10``."""
        parts = []
        for name in dict.fromkeys(d.resource for d in self.dims):
            d = next(d for d in self.dims if d.resource == name)
            if d.block is not None:
                parts.append(f"{name} {d.low:+d}..{d.high:+d} per roster block")
            elif d.step > 1:
                parts.append(f"{name} {d.level(d.low)}..{d.level(d.high)} in steps of {d.step} (was {d.base})")
            else:
                parts.append(f"{name} {d.level(d.low)}..{d.level(d.high)} (was {d.base})")
        return ", ".join(parts)

    @property
    def lows(self) -> tuple[int, ...]:
        return tuple(d.low for d in self.dims)

    @property
    def highs(self) -> tuple[int, ...]:
        return tuple(d.high for d in self.dims)

    @property
    def origin(self) -> tuple[int, ...]:
        return tuple(min(max(0, d.low), d.high) for d in self.dims)

    def size(self) -> int:
        return int(np.prod([d.high - d.low + 1 for d in self.dims], dtype=float))

    def contains(self, x: tuple[int, ...]) -> bool:
        if not all(d.low <= v <= d.high for d, v in zip(self.dims, x)):
            return False
        on_duty: dict[str, int] = {}
        for d, v in zip(self.dims, x):
            if d.block is not None:
                on_duty[d.resource] = on_duty.get(d.resource, 0) + d.base + v
        return all(total > 0 for total in on_duty.values())  # a roster needs someone on some shift

    def cost(self, x: tuple[int, ...]) -> float:
        """Staff cost per week of the whole scenario under candidate ``x``."""
        return self.base_cost + sum(d.unit_cost * v for d, v in zip(self.dims, x))

    @property
    def base_cost(self) -> float:
        return weekly_cost(self.scenario.model)

    def changes(self, x: tuple[int, ...]) -> dict[str, Any]:
        """The ``with_changes`` mapping of candidate ``x`` (only the resources it changes)."""
        out: dict[str, Any] = {}
        for d, v in zip(self.dims, x):
            if not v:
                continue
            if d.block is None:
                out[f"resources.{d.resource}.count"] = d.level(v)
                continue
            key = f"resources.{d.resource}.roster"
            roster = out.setdefault(key, dict(self._raw[d.resource]["roster"]))
            roster[d.block] = d.level(v)
        return out

    def candidate(self, x: tuple[int, ...]):
        """The scenario of candidate ``x``."""
        changes = self.changes(x)
        return self.scenario.with_changes(changes) if changes else self.scenario

    def describe(self, x: tuple[int, ...], against: tuple[int, ...] | None = None) -> str:
        """The changes of ``x`` from ``against`` (default: the input), e.g. ``doctor 08:00-18:00 4→5``."""
        against = against or tuple(0 for _ in self.dims)
        parts = [f"{d.label} {d.level(a)}→{d.level(v)}" for d, v, a in zip(self.dims, x, against) if v != a]
        return ", ".join(parts) or "no change"

    def variant_text(self, x: tuple[int, ...], variant_path: Path, name: str, note: list[str]) -> str:
        """A scenario file that ``extends:`` the input and sets the rosters of candidate ``x``."""
        lines = variant_header(self.scenario.path, variant_path, name, note)
        changed = [d.resource for d, v in zip(self.dims, x) if v]
        if changed:
            lines.append("resources:")
        for resource in dict.fromkeys(changed):
            dims = [(d, v) for d, v in zip(self.dims, x) if d.resource == resource]
            if dims[0][0].block is None:
                d, v = dims[0]
                lines.append(f"  {resource}:")
                lines.append(f"    count: {d.level(v)}    # was {d.base} ({d.level(v) - d.base:+d})")
                continue
            lines.append(f"  {resource}:")
            lines.append("    roster:")
            for d, v in dims:
                comment = f"    # was {d.base} ({v:+d})" if v else ""
                lines.append(f"      {json.dumps(d.block)}: {d.level(v)}{comment}")
        return "\n".join(lines) + "\n"


def default_vary(scenario) -> list[str]:
    """The resources varied when none are named: every finite resource with a cost per hour, but
    not a fleet (its units are varied per station, which this search does not do yet)."""
    return [name for name, spec in scenario.spec.resources.items()
            if spec.cost_per_hour > 0 and spec.fleet is None and (spec.roster is not None or np.isfinite(spec.count))]
