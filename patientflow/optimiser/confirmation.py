"""The confirmation: the search's choice checked on fresh replications.

Every candidate of the search shares its replications (common random numbers), so the cheapest
candidate that met the constraints on them may owe its place to their luck. The winner is run
again on replication numbers the search never used and its constraints are judged on those alone;
if it fails, the next cheapest that met them in the search is checked, and so on.
"""

from __future__ import annotations

from ..experiment.comparison import Comparison
from .constraints import judge
from .evaluator import Evaluator, Point
from .guide import name_what_binds
from .result import budget_message, met_message, not_confirmed_message, unconstrained_message
from .settings import Settings

CONFIRM_LOOKS = 12  # candidates checked on the confirmation replications at most (then the most generous)


def confirmation_numbers(settings: Settings) -> list[int]:
    """Replication numbers of the confirmation run: never used by the search, which draws only
    numbers below ``max_replications``."""
    return list(range(settings.max_replications, settings.max_replications + settings.confirm_replications))


def confirm(search, winner: Point) -> tuple[str, str, list[dict], Point]:
    """Check the winner of ``search`` (a :class:`~.search.Search` that has run) on fresh
    replications; walk on to dearer candidates that met the constraints if it fails.
    (status, message, the confirmed candidate's verdicts, the candidate chosen)."""
    s = search.settings
    space = search.space
    numbers = confirmation_numbers(s)
    if s.budget is not None:
        search.ev.ensure({winner: numbers})
        within = space.cost(winner) <= s.budget + 1e-9
        return ("budget" if within else "over budget"), budget_message(s.budget, within, space.describe(winner)), [], winner
    if not search.active:
        return ("unattainable" if search.unattainable else "no constraints",
                unconstrained_message(search.unattainable), [], winner)
    fallbacks = to_confirm(search, winner)
    for k, x in enumerate(fallbacks):
        verdicts, failed = look(search, x, numbers)
        if failed and k == 0 and x != space.highs and out_of_reach(search, numbers):
            verdicts, failed = look(search, x, numbers)  # judged again on what is left (nothing runs)
        if failed:
            continue
        message = met_message(space.describe(x), at_input=x == space.origin,
                              constrained=len(search.active) - len(search.kept), unattainable=len(search.unattainable),
                              kept=len(search.kept), passed_over=k, first_failed=search.confirm_looks[0][1])
        return ("met" if not search.unattainable else "unattainable"), message, verdicts, x
    verdicts = judge(search.ev.evaluations[winner].array(numbers), search.active, s.confidence)
    return "not confirmed", not_confirmed_message(space.describe(winner), len(fallbacks) - 1), verdicts, winner


def to_confirm(search, winner: Point) -> list[Point]:
    """The candidates to check, in order: the winner, the dearer ones that met the constraints
    in the search, cheapest first (up to :data:`CONFIRM_LOOKS` in all), then the most generous."""
    space = search.space
    met = sorted((p for p, e in search.ev.evaluations.items() if e.verdict == "meets" and space.cost(p) > space.cost(winner)),
                 key=space.cost)
    return list(dict.fromkeys([winner, *met[:CONFIRM_LOOKS - 1], space.highs]))


def out_of_reach(search, numbers: list[int]) -> bool:
    """After the search's choice failed: whether the most generous corner, on the same fresh
    replications, misses some constraints too. Those cannot be met by any candidate (the corner
    met them on the search's replications by their luck): they join the unattainable, with what
    binds them, and are no longer constrained, rather than failing every candidate checked."""
    top = search.space.highs
    search.ev.record(top, "confirm")
    search.ev.ensure({top: numbers})
    lost = [v for v in judge(search.ev.evaluations[top].array(numbers), search.active, search.settings.confidence)
            if v["verdict"] != "met"]
    if not lost:
        return False
    name_what_binds(search, lost, top, numbers)
    search.unattainable += lost
    labels = {v["constraint"] for v in lost}
    search.active = [c for c in search.active if c.label not in labels]
    for v in lost:
        search.ev.on_progress(f"confirm: the most generous rosters miss {v['constraint']} on the fresh replications "
                              f"too ({v['mean']:.4g}): out of reach, no longer constrained; what binds: {v['binds']['text']}")
    return True


def look(search, x: Point, numbers: list[int]) -> tuple[list[dict], list[dict]]:
    """Run candidate ``x`` on the confirmation replications and judge it there: (every verdict,
    those not met). Each look is recorded in ``search.confirm_looks``."""
    search.ev.record(x, "confirm")
    search.ev.ensure({x: numbers})
    verdicts = judge(search.ev.evaluations[x].array(numbers), search.active, search.settings.confidence)
    failed = [v for v in verdicts if v["verdict"] != "met"]
    search.confirm_looks.append((x, failed))
    if failed:
        search.ev.on_progress(f"confirm: {search.space.describe(x)} — not confirmed: "
                              + "; ".join(f"{v['constraint']} {v['mean']:.4g}" for v in failed))
    return verdicts, failed


def compare_with_input(evaluator: Evaluator, settings: Settings, winner: Point) -> Comparison:
    """The winner against the input, on the confirmation replications (run for the input too)."""
    numbers = confirmation_numbers(settings)
    origin = evaluator.space.origin
    evaluator.record(origin, "start")
    evaluator.ensure({winner: numbers, origin: numbers})
    return Comparison(["input", "optimised"], {"input": evaluator.results(origin, numbers),
                                               "optimised": evaluator.results(winner, numbers)})
