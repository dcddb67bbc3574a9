"""The ``patientflow`` command: validate and run scenarios.

Exit codes: 0 ok, 2 bad input (every problem printed as ``file:line: key: message``, no
traceback), 1 internal error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Simulate the emergency patient journey and measure every moment of truth.")

BAD_INPUT = 2


def _fail(problems) -> None:
    for problem in problems:
        typer.echo(str(problem), err=True)
    raise typer.Exit(BAD_INPUT)


def _load(path: Path):
    from .errors import ScenarioError
    from .scenario import load_scenario
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        _fail(exc.problems)


@app.command()
def validate(scenario: Path = typer.Argument(..., help="The scenario file (YAML).")) -> None:
    """Check a scenario file; print every problem as file:line: key: message."""
    sc = _load(scenario)
    for warning in sc.warnings():
        typer.echo(f"{warning} (warning)", err=True)
    typer.echo(f"{scenario}: ok — {sc.name}: {len(sc.model.streams)} arrival streams, "
               f"{len(sc.model.resources)} resources, {len(sc.model.steps)} steps, {len(sc.model.moments)} moments")


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="The scenario file (YAML)."),
    replications: Optional[int] = typer.Option(None, "--replications", "-r", min=1, help="Replications (default: the scenario's run.replications)."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, help="Seed (default: the scenario's run.seed)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default reports/<scenario name>/)."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Local worker processes (0: all cores)."),
    patients: bool = typer.Option(False, "--patients", help="Also write the patient-level log, patients.parquet."),
) -> None:
    """Run a scenario and write report.html, summary.csv and run.json (and patients.parquet)."""
    from . import output
    from .engine import SimulationError
    from .report import render
    from .results import simulate

    sc = _load(scenario)
    n = replications or sc.spec.run.replications
    seed_ = seed if seed is not None else sc.spec.run.seed
    folder = out or Path("reports") / scenario.stem
    ident = output.identity(sc, seed_, n)
    if output.prepare_folder(folder, ident):
        typer.echo(f"{folder} held results of another run; they were removed.", err=True)
    try:
        with _progress(n) as advance:
            res = simulate(sc, n, seed_, jobs=jobs, keep_patients=n if patients else 0, on_done=advance)
    except SimulationError as exc:
        located = sc._located
        step = exc.step
        path = ("pathways", step.pathway)
        _fail([located.problem(path, str(exc))])
    meta = output.run_metadata(sc, res, ident)
    output.write_csv(folder / "summary.csv", res.summary())
    output.write_csv(folder / "utilisation.csv", res.utilisation())
    if patients:
        output.write_parquet(folder / "patients.parquet", res.patients)
    output.write_text(folder / "report.html", render(res, meta))
    import json
    output.write_text(folder / "run.json", json.dumps(meta, indent=2) + "\n")
    _print_headline(res)
    if res.overloaded:
        typer.echo(f"warning: replications {res.overloaded} stopped early — overloaded", err=True)
    typer.echo(f"wrote {folder}/report.html, summary.csv, utilisation.csv, run.json"
               + (", patients.parquet" if patients else "") + f" in {res.seconds:.1f} s")


def _print_headline(res) -> None:
    from rich.console import Console
    from rich.table import Table

    summary = res.summary()
    table = Table(title=f"{res.scenario.name}: {len(res.replications)} replications", show_lines=False)
    for column in ("moment", "group", "target", "estimate (95 % CI)", "met"):
        table.add_column(column)
    for _, r in summary[summary["tier"] != ""].iterrows():
        if r["kind"] == "duration" and str(r["tier"]).startswith("mean"):
            key, scale, suffix = "mean", 1, " min"
        else:
            key, scale, suffix = "within_target", 100, " %"
        value, low, high = (r[key] * scale, r[f"{key}_ci_low"] * scale, r[f"{key}_ci_high"] * scale)
        met = "–" if str(r["met"]) == "<NA>" else ("yes" if bool(r["met"]) else "[red]no[/red]")
        table.add_row(r["moment"], r["group"], r["tier"], f"{value:.1f}{suffix} ({low:.1f} – {high:.1f})", met)
    Console(stderr=False, width=120).print(table)


class _progress:
    """A rich progress bar on a terminal; quiet otherwise."""

    def __init__(self, total: int):
        self.total = total
        self.bar = None

    def __enter__(self):
        if sys.stderr.isatty():
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
            self.bar = Progress(TextColumn("replications"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                TimeRemainingColumn(), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("run", total=self.total)
        return self.advance

    def advance(self, _result=None) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def main() -> None:
    """Entry point: bad input exits 2 without a traceback; anything else unexpected exits 1."""
    try:
        app()  # usage errors exit 2, typer.Exit its own code
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        import traceback
        traceback.print_exc()
        typer.echo(f"internal error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
