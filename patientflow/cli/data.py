"""Commands that work from real data: ``report-actual``, ``calibrate`` and ``check-fit``.

Each reads an event log onto a scenario (see :mod:`patientflow.eventlog.reader`). A log or mapping that
cannot be read exits 2 with every problem as ``file:row: column: message``; fields and rows that
cannot be used are listed the same way, counted, written to ``exclusions.csv`` and left out (a
field for its patient alone; with ``--strict``, any of them exits 2 instead).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import BAD_INPUT, FRESH, ROOT, app, fail, load, start_simulating

SCENARIO = typer.Option(None, "--scenario", "-s", help="The scenario the log records (default: the one its mapping file names).")
COLUMNS = typer.Option(None, "--columns", help="The column mapping (YAML; default: LOG's name with .yaml, if there is one).")
PERIOD = typer.Option("auto", "--period", help="Statistics per day, week or a duration (3d), then averaged; auto: weeks for logs of 8 weeks or more, else days.")
STRICT = typer.Option(False, "--strict", help="Exit 2 when any row cannot be used, instead of leaving it out.")
SHOWN = 20


def read_log(log: Path, scenario, columns: Optional[Path], strict: bool, root: Optional[Path] = None):
    """The event log read onto its scenario (a Scenario, a path, or None: the mapping's); exits 2
    on bad input, and when no row at all can be used."""
    from ..errors import Problem, ScenarioError
    from ..eventlog.reader import read_event_log
    from ..eventlog.mapping import EventLogError

    sc = load(scenario, root) if isinstance(scenario, Path) else scenario
    try:
        found = read_event_log(log, sc, columns, root)
    except (EventLogError, ScenarioError) as exc:
        fail(exc.problems)
    if strict and found.exclusions:
        fail(found.exclusions)
    if found.patients.empty:
        fail([*found.exclusions[:SHOWN], Problem(str(log), 1, "rows", f"none of the {found.rows} rows can be used")])
    left_out = set(found.blanked)
    for problem in found.exclusions[:SHOWN]:
        typer.echo(f"{problem} ({'field left out' if problem in left_out else 'row not used'})", err=True)
    if len(found.exclusions) > SHOWN:
        typer.echo(f"... and {len(found.exclusions) - SHOWN} more (see exclusions.csv)", err=True)
    typer.echo(found.describe(), err=True)
    return found


def _check_period(period: str) -> None:
    from ..eventlog.actual import choose_period
    try:
        choose_period(1.0, period)
    except ValueError as exc:
        typer.echo(f"--period: {exc} (give day, week, auto or a duration such as 3d)", err=True)
        raise typer.Exit(BAD_INPUT)


def write_exclusions(folder: Path, found) -> None:
    import pandas as pd

    from ..experiment.output import write_csv
    frame = pd.DataFrame([{"row": p.line, "column": p.key, "message": p.message} for p in found.exclusions],
                         columns=["row", "column", "message"])
    write_csv(folder / "exclusions.csv", frame)


def file_hash(path: Path) -> str:
    import hashlib
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@app.command("report-actual")
def report_actual(
    log: Path = typer.Argument(..., help="The event log (CSV or Parquet)."),
    scenario: Optional[Path] = SCENARIO,
    columns: Optional[Path] = COLUMNS,
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default reports/actual-<log file name>/)."),
    period: str = PERIOD,
    strict: bool = STRICT,
    root: Optional[Path] = ROOT,
) -> None:
    """The wait-time report of real timestamps: the moments, targets and pictures of a simulated run.
    Writes report.html, summary.csv, utilisation.csv, exclusions.csv and actual.json."""
    from ..experiment import output
    from ..eventlog.actual import actual_results
    from ..report.actual_page import render_actual, run_meta

    _check_period(period)
    found = read_log(log, scenario, columns, strict, root)
    res = actual_results(found, period)
    folder = out or Path("reports") / f"actual-{log.stem}"
    meta = run_meta(res, file_hash(log))
    output.write_csv(folder / "summary.csv", res.summary())
    output.write_csv(folder / "utilisation.csv", res.utilisation())
    write_exclusions(folder, found)
    output.write_text(folder / "report.html", render_actual(res, meta))
    output.write_json(folder / "actual.json", meta)
    from ..report.pages import headline_lines
    from .terminal import print_targets
    summary = res.summary()
    print_targets(summary, f"{res.scenario.name}: actual waits, {len(res.bounds)} {res.period_name}s of {log.name}",
                  headline_lines(summary))
    typer.echo(f"wrote {folder}/report.html, summary.csv, utilisation.csv, exclusions.csv, actual.json")


@app.command()
def calibrate(
    log: Path = typer.Argument(..., help="The event log (CSV or Parquet)."),
    out: Path = typer.Option(..., "--out", help="The scenario file to write, e.g. scenarios/calibrated.yaml."),
    base: Optional[Path] = typer.Option(None, "--base", help="The scenario giving resources, rosters, pathways and moments (default: the one the log's mapping names)."),
    columns: Optional[Path] = COLUMNS,
    strict: bool = STRICT,
    root: Optional[Path] = ROOT,
) -> None:
    """Fit arrivals by hour of the week, mixes, branch shares and step times from a log, and write
    them as a scenario that extends the base (fit statistics in its comments)."""
    import os
    import sys

    from ..experiment import output
    from ..eventlog.calibrate import calibrate as fit
    from ..eventlog.calibration_file import calibration_text
    from ..errors import ScenarioError
    from ..scenario.scenario import load_scenario

    output.check_file_target(out)  # before the work, not after it
    found = read_log(log, base, columns, strict, root)
    cal = fit(found)
    output.write_text(out, calibration_text(cal, out, "patientflow " + " ".join(sys.argv[1:])))
    try:  # the written file extends the base wherever each lies: both are the user's choice
        written = load_scenario(out, root or os.path.commonpath([out.resolve().parent, Path(cal.base.path).resolve().parent]))
    except ScenarioError as exc:  # a calibration that does not load is this program's fault
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise RuntimeError(f"the calibrated scenario {out} does not load") from None
    for fit_ in cal.arrivals:
        profile = "hour of day x weekday" if fit_.profile == "by_hour" else "168 hours of the week"
        typer.echo(f"{fit_.stream}: {fit_.per_day:.1f} a day (± {fit_.per_day_se:.1f}), profile {profile}")
    typer.echo(f"{len(cal.durations)} step times and patiences fitted, {len(cal.shares)} mixes and branch shares estimated")
    for note in cal.kept:
        typer.echo(f"kept from the base: {note}", err=True)
    typer.echo(f"wrote {out} ({written.name}); check it against the log: patientflow check-fit {log} {out}")


@app.command("check-fit")
def check_fit_command(
    log: Path = typer.Argument(..., help="The event log (CSV or Parquet)."),
    scenario: Path = typer.Argument(..., help="The scenario to check against the log."),
    columns: Optional[Path] = COLUMNS,
    replications: int = typer.Option(20, "--replications", "-r", min=2, help="Simulated replications of the log's period."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, help="Seed (default: the scenario's run.seed)."),
    warm_up: Optional[str] = typer.Option(None, "--warm-up", help="Simulated time before the log's first week (rounded up to whole weeks; default: the scenario's warm-up, at least 1w)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default reports/check-fit-<scenario file name>/)."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Processes that run replications, this one included (0: one per core)."),
    period: str = PERIOD,
    strict: bool = STRICT,
    root: Optional[Path] = ROOT,
    fresh: bool = FRESH,
) -> None:
    """Simulate the scenario over the log's period and set every moment against the log: writes
    check_fit.html and check_fit.csv. Exit 0 whatever the verdict (read it in the report)."""
    from ..experiment import output
    from ..eventlog.checkfit import check_fit
    from ..report.checkfit_page import render_check_fit
    from .app import progress, simulation_errors
    from ..distributions import DistributionError, parse_duration

    _check_period(period)
    start_simulating(fresh, jobs)
    try:
        warm = parse_duration(warm_up) if warm_up is not None else None
    except DistributionError as exc:
        typer.echo(f"--warm-up: {exc}", err=True)
        raise typer.Exit(BAD_INPUT)
    sc = load(scenario, root)
    found = read_log(log, sc, columns, strict, root)
    folder = out or Path("reports") / f"check-fit-{scenario.stem}"
    with simulation_errors(sc), progress(replications) as advance:
        cf = check_fit(found, replications, seed, jobs=jobs, warm_up=warm, period=period, on_done=advance)
    output.write_csv(folder / "check_fit.csv", cf.table)
    write_exclusions(folder, found)
    output.write_text(folder / "check_fit.html", render_check_fit(cf))
    _print_check(cf)
    typer.echo(cf.statement())
    typer.echo(f"wrote {folder}/check_fit.html, check_fit.csv, exclusions.csv")


def _print_check(cf) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{cf.scenario.name} against {cf.eventlog.source.name}: {len(cf.simulated.replications)} replications")
    for column in ("moment", "group", "statistic", "log", "simulated (95 % prediction)", "p", "agrees"):
        table.add_column(column)
    for r in cf.table.itertuples():
        scale, unit = (100, " %") if r.unit == "share" else (1, "")
        verdict = "–" if str(r.agrees) == "<NA>" else ("yes" if r.agrees else "[red]no[/red]")
        table.add_row(r.moment, r.group, r.statistic, f"{r.actual * scale:.2f}{unit}",
                      f"{r.simulated * scale:.2f}{unit} ({r.prediction_low * scale:.2f} – {r.prediction_high * scale:.2f})",
                      "–" if r.p_value != r.p_value else f"{r.p_value:.2g}", verdict)
    Console(width=140).print(table)
