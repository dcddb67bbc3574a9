"""How an optimisation is set up: what to vary, what to meet and how hard to look.

:func:`settings_for` reads the scenario's ``optimise:`` section and lets the arguments (the
command line's flags) override it; settings that cannot be used raise :class:`OptimiseError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..scenario.optimise_section import DEFAULT_RANGE, constraint_problems, parse_range, vary_problems
from .space import default_vary


class OptimiseError(ValueError):
    """Settings that cannot be used, said as ``option: message``."""

    def __init__(self, option: str, message: str):
        super().__init__(f"{option}: {message}")
        self.option = option


@dataclass
class Settings:
    """What to vary, what to meet and how hard to look; see :func:`~.search.optimise`."""

    vary: dict[str, tuple[int, int]]
    constraints: list[str] | None
    confidence: float
    budget: float | None
    max_evaluations: int
    first_replications: int
    max_replications: int
    confirm_replications: int
    seed: int
    keep_met: bool = True  # hold the other targets the input meets
    step: int = 5  # replications added to a candidate still in doubt


def vary_of(scenario, vary) -> dict[str, tuple[int, int]]:
    """The ranges to vary: ``vary`` (names, optionally ``name=-1..+2``) checked against the
    scenario's resources, else its ``optimise.vary``, else every resource with a cost."""
    if vary is None:
        spec = scenario.spec.optimise
        return dict(spec.vary) if spec.vary else {name: DEFAULT_RANGE for name in default_vary(scenario)}
    chosen = {}
    for item in vary:
        name, _, text = item.partition("=") if isinstance(item, str) else (item, "", "")
        try:
            chosen[name.strip()] = parse_range(text.strip() or None)
        except ValueError as exc:
            raise OptimiseError("--vary", f"{name}: {exc}") from None
    for name, message in vary_problems(scenario.spec.resources, chosen):
        raise OptimiseError("--vary", message)
    return chosen


def constraint_names(scenario, constraints) -> list[str] | None:
    """The moments constrained: ``constraints`` (checked against the scenario's moments), else
    its ``optimise.constraints``, else None (every critical moment)."""
    spec = scenario.spec.optimise
    names = list(constraints) if constraints else (list(spec.constraints) if spec.constraints else None)
    if constraints:
        for _name, message in constraint_problems(scenario.spec.moments, names):
            raise OptimiseError("--constraint", message)
    return names


def settings_for(scenario, *, vary=None, constraints=None, budget=None, confidence=None, max_evaluations=None,
                 seed=None, keep_met=None) -> Settings:
    """The scenario's ``optimise:`` section, overridden by the arguments given."""
    spec = scenario.spec.optimise
    chosen = vary_of(scenario, vary)
    if not chosen:
        raise OptimiseError("--vary", "nothing to vary: no resource has a cost per hour; name resources with --vary")
    names = constraint_names(scenario, constraints)
    return Settings(chosen, names, confidence if confidence is not None else spec.confidence,
                    budget if budget is not None else spec.budget,
                    max_evaluations if max_evaluations is not None else spec.max_evaluations,
                    spec.first_replications, spec.max_replications, spec.confirm_replications,
                    scenario.run_defaults(None, seed)[1],
                    keep_met if keep_met is not None else spec.keep_met)
