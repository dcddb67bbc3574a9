"""What the commands print on the terminal about a run or a log: every target with its
estimate, interval and verdict, and the report's headline in plain lines."""

from __future__ import annotations

from ..moments.verdict import judged_on
from ..units import SHARE, interval_text, number_text

_VERDICT_STYLE = {"met": "green", "close": "yellow", "missed": "red"}


def print_targets(summary, title: str, headline: list[str] | None = None) -> None:
    """Each target tier with its estimate, 95 % CI and verdict, as a table; then ``headline``."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(title))
    for column in ("moment", "group", "target", "estimate (95 % CI)", "verdict"):
        table.add_column(column)
    for _, r in summary[summary["tier_kind"] != ""].iterrows():
        key = judged_on(r["tier_kind"])
        unit = "min" if key == "mean" else SHARE
        verdict = r["verdict"]
        style = _VERDICT_STYLE.get(verdict)
        table.add_row(escape(r["moment"]), escape(r["group"]), escape(r["tier"]),
                      interval_text(r[key], r[f"{key}_ci_low"], r[f"{key}_ci_high"], unit),
                      f"[{style}]{verdict}[/{style}]" if style else verdict)
    console = Console(width=120)
    console.print(table)
    for line in headline or []:
        console.print(line, markup=False, highlight=False)


def reuse_text(res) -> str:
    """``20 replications reused, 20 run``: what the shared store (or the run's folder) saved."""
    reused = res.reused
    return f"{reused} replication{'s' if reused != 1 else ''} reused, {len(res.replications) - reused} run"


def fleet_lines(res) -> list[str]:
    """Per station of a network's fleets: its rostered hours, utilisation with its interval,
    run-over and cost a day (nothing without fleets)."""
    stations = res.vehicles(by="station")
    lines = []
    for _, s in stations.iterrows():
        lines.append(f"{s['fleet']} at {s['station']}: {number_text(s['rostered_hours_a_day'])} unit-hours a day rostered, "
                     f"utilisation {interval_text(s['utilisation'], s['utilisation_ci_low'], s['utilisation_ci_high'], SHARE)}, "
                     f"run-over {number_text(s['run_over_hours_a_day'])} h a day, cost {number_text(s['cost_a_day'], 0)} a day")
    return lines
