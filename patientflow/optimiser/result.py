"""What an optimisation found, and how it is said.

:class:`Optimisation` holds the chosen rosters with the numbers behind them (every candidate
evaluated, the constraints' verdicts, the comparison with the input); the ``*_message``
functions word its one-sentence answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..experiment.overload import overload_text
from ..moments import STATS
from .constraints import Constraint, journey_row
from .evaluator import Evaluation, Point
from .settings import Settings
from .space import SearchSpace


@dataclass
class Optimisation:
    """What :func:`~.search.optimise` found, with the numbers behind it."""

    scenario: object  # the input
    space: SearchSpace
    settings: Settings
    winner: Point
    winner_scenario: object
    status: str  # "met", "unattainable", "not confirmed", "budget", "no constraints"
    message: str
    constraints: list[Constraint]
    active: list[Constraint]
    reported: list[Constraint]
    kept: list[Constraint]
    unattainable: list[dict]
    most_generous: list[dict]
    path: list[Point]
    evaluations: list[Evaluation]
    search_replications: list[int]
    confirmation_replications: list[int]
    confirmation: list[dict]
    confirm_looks: list[tuple[Point, list[dict]]]
    comparison: object  # Comparison of the winner against the input on the confirmation replications (None: stopped at the corner)
    replications_run: int
    seconds: float
    stopped: str = ""

    @property
    def chosen(self) -> bool:
        """Whether rosters were chosen (not when the search stopped at the most generous corner)."""
        return self.comparison is not None

    @property
    def saving(self) -> float:
        return self.space.base_cost - self.space.cost(self.winner)

    def candidates(self):
        """Every candidate evaluated: its changes, cost, replications, verdict and mean journey."""
        import pandas as pd
        col = STATS.index("mean")
        journey = journey_row(self.scenario.model)
        records = []
        on_path = {p: k for k, p in enumerate(self.path)}
        for ev in sorted(self.evaluations, key=lambda e: e.index):
            record = {"candidate": ev.index, "phase": ev.phase, "changes": self.space.describe(ev.point),
                      "cost_per_week": ev.cost, "cost_change": ev.cost - self.space.base_cost,
                      "replications": len(ev.stats), "verdict": ev.verdict,
                      "journey": _mean(ev.array()[:, journey, col]) if ev.stats else np.nan,
                      "path_step": on_path.get(ev.point, -1), "winner": ev.point == self.winner, "note": ev.note}
            for d, v in zip(self.space.dims, ev.point):
                record[d.label] = d.level(v)
            records.append(record)
        return pd.DataFrame.from_records(records)

    def overloaded(self) -> list[dict]:
        """The candidates some of whose replications stopped early as overloaded: their changes,
        those replications, the longest queues and the warning's text (in evaluation order)."""
        out = []
        for ev in sorted(self.evaluations, key=lambda e: e.index):
            if ev.overloaded:
                numbers = sorted(ev.overloaded)
                longest = sorted(set(ev.overloaded.values()) - {""})
                out.append({"changes": self.space.describe(ev.point), "replications": numbers,
                            "of": len(ev.stats), "longest_queue": longest, "text": overload_text(numbers, longest)})
        return out

    def rosters(self):
        """Per dimension: the input's level, the winner's, and the change in cost per week."""
        import pandas as pd
        return pd.DataFrame.from_records([
            {"resource": d.resource, "block": d.block or "count", "input": d.base, "optimised": d.level(v),
             "change": d.level(v) - d.base, "cost_change_per_week": d.unit_cost * v}
            for d, v in zip(self.space.dims, self.winner)])

    def summary_line(self) -> str:
        cost, base = self.space.cost(self.winner), self.space.base_cost
        work = (f"{len(self.evaluations)} candidate{'s' if len(self.evaluations) != 1 else ''}, "
                f"{self.replications_run} replications run, {self.seconds:.0f} s.")
        if not self.chosen:  # nothing to cost
            return f"{self.message} {work}"
        return f"{self.message} Cost per week {cost:,.0f} against {base:,.0f} ({cost - base:+,.0f}); {work}"


def _mean(values: np.ndarray) -> float:
    """The mean of the values that are not NaN (NaN when none is)."""
    return float(np.nanmean(values)) if np.any(~np.isnan(values)) else float("nan")


def budget_message(budget: float, within: bool, changes: str) -> str:
    """The answer of a budget search: the rosters chosen, or that nothing is within the budget."""
    return (f"Best journey outcome found within {budget:,.0f} a week: {changes}."
            if within else f"Nothing in the search space costs {budget:,.0f} a week or less.")


def unconstrained_message(unattainable: list[dict]) -> str:
    """The answer when no constraint is left to meet: those out of reach, or that there were none."""
    lost = ", ".join(v["constraint"] for v in unattainable)
    return (f"No constraint can be met within the search space (not even with the most generous rosters): {lost}."
            if unattainable else "There are no constraints to meet.")


def hopeless_message(unattainable: list[dict]) -> str:
    """The answer when the search stopped at the most generous corner: what it misses there, and
    that varying what it varies cannot help."""
    lost = "; ".join(v["constraint"] for v in unattainable)
    return (f"No rosters in the search space can meet every constraint: even the most generous miss {lost}, "
            f"and what binds them is not varied (see what binds). No rosters were chosen.")


def met_message(changes: str, *, at_input: bool, constrained: int, unattainable: int, kept: int,
                passed_over: int, first_failed: list[dict]) -> str:
    """The answer when a candidate is confirmed: ``constrained`` constraints met (``unattainable``
    more out of reach, ``kept`` other targets held), after ``passed_over`` cheaper candidates
    failed the confirmation (the first on ``first_failed``)."""
    lead = "Cheapest rosters found that meet every constraint"
    if at_input:
        lead = "The input's rosters are the cheapest found that meet every constraint"
    if unattainable:
        lead = (f"{unattainable} constraint(s) cannot be met within the search space; the cheapest "
                f"rosters found that meet the other {constrained}")
    if kept:
        lead += f" (and keep the {kept} other target(s) the input meets)"
    note = "" if passed_over == 0 else (
        f" ({passed_over} cheaper candidate(s) of the search were not confirmed on fresh replications: "
        f"{'; '.join(v['constraint'] for v in first_failed)})")
    return f"{lead}: {changes}{note}."


def not_confirmed_message(changes: str, dearer: int) -> str:
    """The answer when neither the search's choice nor the ``dearer`` candidates after it were confirmed."""
    return (f"The search's choice ({changes}) was not confirmed on fresh replications, "
            f"nor were the {dearer} dearer candidates checked after it.")
