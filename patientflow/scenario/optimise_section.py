"""The scenario's ``optimise:`` section, checked where the scenario is: which resources may vary
and by how much (ranges such as ``-2..+3``), and which moments are constraints. The optimiser
itself (:mod:`patientflow.optimiser`) reads what is checked here.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..errors import hint

DEFAULT_RANGE = (-2, 3)
_RANGE = re.compile(r"^\s*([+-]?\d+)\s*(?:\.\.|…|to)\s*([+-]?\d+)\s*$")


WIDEST_CHANGE = 1_000  # staff per roster block the optimiser may add or take away


def parse_range(value: Any) -> tuple[int, int]:
    """A range of changes: ``"-2..+3"``, ``[-2, 3]`` or ``null`` (the default −2 … +3)."""
    if value is None or value == "default":
        return DEFAULT_RANGE
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        low, high = value
    elif isinstance(value, str) and _RANGE.match(value):
        match = _RANGE.match(value)
        low, high = int(match.group(1)), int(match.group(2))  # type: ignore[union-attr]
    else:
        raise ValueError(f"a range of changes reads '-2..+3' or [-2, 3], got {value!r}")
    if low > high:
        raise ValueError(f"the range {low}..{high} is empty: the first change must not exceed the second")
    if max(-low, high) > WIDEST_CHANGE:
        raise ValueError(f"a change of more than {WIDEST_CHANGE} staff per roster block is beyond any roster: "
                         "write a range such as '-2..+3'")
    return low, high


def vary_problems(resources: dict, names) -> list[tuple[str, str]]:
    """(name, message) for every named resource that cannot be varied."""
    out = []
    for name in names:
        spec = resources.get(name)
        if spec is None:
            out.append((name, f"no resource named {name!r}" + hint(name, resources, "resources")))
        elif spec.fleet is not None:
            out.append((name, f"{name} is a fleet: a fleet's units are varied per station in a later part"))
        elif spec.roster is None and not np.isfinite(spec.count):
            out.append((name, f"{name} is unlimited (count: inf): there is no level to vary"))
    return out


def constraint_problems(moments: dict, names) -> list[tuple[str, str]]:
    """(name, message) for every constraint that names no moment (``journey`` is the outcome)."""
    return [(name, f"no moment named {name!r}" + hint(name, [*moments, "journey"], "moments"))
            for name in names if name != "journey" and name not in moments]


def check_optimise(c) -> None:
    """The optimiser's section names resources that can vary and moments that exist; ``c`` is the
    scenario's :class:`~.compiling.Compiler`, which collects the problems."""
    opt = c.spec.optimise
    for name, message in vary_problems(c.spec.resources, opt.vary or {}):
        c.error(("optimise", "vary", name), message)
    names = list(opt.constraints or ())
    for name, message in constraint_problems(c.spec.moments, names):
        c.error(("optimise", "constraints", names.index(name)), message)
