"""The ``patientflow`` command: validate and run scenarios.

Exit codes: 0 ok, 2 bad input (every problem printed as ``file:line: key: message``, no
traceback) or an output that cannot be written (``PATH: what is wrong``), 130 Ctrl-C (one line:
what the run kept), 1 internal error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup


class CtrlC(Exception):
    """Ctrl-C during a command, carried past typer (which turns it into a silent exit 130) to the
    entry point, which says what the run kept; ``interrupt`` is the KeyboardInterrupt."""

    def __init__(self, interrupt: KeyboardInterrupt):
        super().__init__(str(interrupt))
        self.interrupt = interrupt


class _Commands(TyperGroup):
    """The app's commands, from which Ctrl-C leaves as :class:`CtrlC`."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise CtrlC(exc) from None


# plain help text (no boxes): it wraps to the terminal instead of cutting, and flags read as flags
app = typer.Typer(cls=_Commands, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  context_settings={"max_content_width": 110, "help_option_names": ["-h", "--help"]},
                  help="Simulate the emergency patient journey and measure every moment of truth.")


def _version(value: bool) -> None:
    if value:
        from ..version import __version__
        typer.echo(f"patientflow {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")) -> None:
    """Simulate the emergency patient journey and measure every moment of truth."""

BAD_INPUT = 2


def fail(problems) -> None:
    for problem in problems:
        typer.echo(str(problem), err=True)
    raise typer.Exit(BAD_INPUT)


def load(path: Path, root: Optional[Path] = None):
    from ..errors import ScenarioError
    from ..scenario.scenario import load_scenario
    try:
        return load_scenario(path, root)
    except ScenarioError as exc:
        fail(exc.problems)


FRESH = typer.Option(False, "--fresh", help="Simulate every replication anew, ignoring the shared replication store.")


def start_simulating(fresh: bool, jobs: int, dask: str | None = None) -> None:
    """What a command that simulates does first. ``--fresh``: this process neither reads nor keeps
    replications in the shared store. Local workers: their server starts now, importing the
    engine while this process reads the scenario files (see :mod:`patientflow.experiment.workers`)."""
    if fresh:
        import os
        os.environ["PATIENTFLOW_CACHE"] = "off"
    if not dask:
        from ..experiment.workers import start_soon
        start_soon(jobs)


ROOT = typer.Option(None, "--root", help="The folder every file a scenario names must lie in (default: the current "
                   "folder when the scenario lies inside it, else the scenario's own folder).")


@app.command()
def validate(scenario: Path = typer.Argument(..., help="The scenario file (YAML)."), root: Optional[Path] = ROOT) -> None:
    """Check a scenario file; print every problem as file:line: key: message."""
    sc = load(scenario, root)
    with simulation_errors(sc):
        found = sc.warnings()
    for warning in found:
        typer.echo(f"{warning} (warning)", err=True)
    typer.echo(f"{scenario}: ok — {sc.name}: {len(sc.model.streams)} arrival streams, "
               f"{len(sc.model.resources)} resources, {len(sc.model.steps)} steps, {len(sc.model.moments)} moments")


JOBS = typer.Option(0, "--jobs", "-j", help="Processes that run replications, this one included (0: one per core).")
DASK = typer.Option(None, "--dask", help="Run on Dask: 'local' (a LocalCluster) or a scheduler address tcp://host:port.")


@app.command()
def schema(out: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of printing.")) -> None:
    """Print the JSON Schema of scenario files (for editors: completion and checking)."""
    import json

    from ..scenario.schema import json_schema
    text = json.dumps(json_schema(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        from ..experiment.output import write_text
        write_text(out, text)
        typer.echo(f"wrote {out}")


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="The scenario file (YAML)."),
    replications: Optional[int] = typer.Option(None, "--replications", "-r", min=1, help="Replications (default: the scenario's run.replications)."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, help="Seed (default: the scenario's run.seed)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default reports/<scenario file name>/)."),
    jobs: int = JOBS,
    dask: Optional[str] = DASK,
    patients: bool = typer.Option(False, "--patients", help="Also write the patient-level log, patients.parquet (with a fleet, its unit log too: units.parquet)."),
    precision: Optional[float] = typer.Option(None, "--precision", min=0.001, max=0.5, help="Add replications until every moment's 95 % CI half-width is within this share of its mean (e.g. 0.05)."),
    max_replications: int = typer.Option(200, "--max-replications", min=2, help="The cap for --precision."),
    excel: bool = typer.Option(False, "--excel", help="Also write summary.xlsx (summary, utilisation, bottlenecks, staff cost)."),
    root: Optional[Path] = ROOT,
    fresh: bool = FRESH,
) -> None:
    """Run a scenario and write report.html, summary.csv, utilisation.csv, bottlenecks.csv and run.json (and
    patients.parquet). A killed run resumes: run the same command again."""
    from ..report.run_folder import run_to_folder

    start_simulating(fresh, jobs, dask)
    sc = load(scenario, root)
    with simulation_errors(sc):  # the overload check runs the scenario briefly
        warnings = [str(w) for w in sc.warnings()]
    for warning in warnings:
        typer.echo(f"{warning} (warning)", err=True)
    n, _seed = sc.run_defaults(replications)
    with simulation_errors(sc), progress(max_replications if precision else n) as advance:
        done = run_to_folder(sc, out or Path("reports") / scenario.stem, replications=replications, seed=seed,
                             jobs=jobs, dask=dask, patients=patients, precision=precision,
                             max_replications=max_replications, excel=excel, warnings=warnings,
                             on_message=lambda text: typer.echo(text, err=True), on_done=advance)
    res = done.results
    _print_headline(res)
    from ..report.act import terminal_lines
    for line in terminal_lines(res, done.folder):
        typer.echo(line)
    if done.precision is not None:
        typer.echo(done.precision.describe(), err=True)
    if done.warm_up_advice:
        typer.echo(f"warning: {done.warm_up_advice}", err=True)
    if res.overloaded:
        from ..experiment.overload import overload_text
        typer.echo(f"warning: {overload_text(res.overloaded, res.overwhelmed)}", err=True)
    from .terminal import fleet_lines, reuse_text
    for line in fleet_lines(res):
        typer.echo(line)
    typer.echo(reuse_text(res))
    typer.echo(f"wrote {done.folder}/{', '.join(done.files)} in {res.seconds:.1f} s")


@app.command()
def compare(
    scenarios: list[Path] = typer.Argument(..., help="Two or more scenario files; the first is the baseline."),
    replications: Optional[int] = typer.Option(None, "--replications", "-r", min=2, help="Replications (default: the first scenario's)."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, help="Seed (default: the first scenario's)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default reports/compare-<every file name>/)."),
    threshold_wait: Optional[str] = typer.Option(None, "--threshold-wait", metavar="DURATION", help="The smallest change in a time that counts, e.g. 2min (default: the first scenario's compare.threshold_wait, else 1min)."),
    threshold_share: Optional[str] = typer.Option(None, "--threshold-share", metavar="SHARE", help="The smallest change in a share that counts, e.g. 0.5% (default: the first scenario's compare.threshold_share, else 1%)."),
    jobs: int = JOBS,
    dask: Optional[str] = DASK,
    root: Optional[Path] = ROOT,
    fresh: bool = FRESH,
) -> None:
    """Compare scenarios against the first with paired differences (common random numbers): a
    change counts when its interval and the practical threshold both say so. Writes
    comparison.html, comparison.csv, scorecard.csv, costs.csv and by_hour.csv."""
    from ..experiment.comparison import ThresholdError, folder_name, resolve_threshold
    from ..experiment.comparison import compare as run_compare
    from ..report.comparison_folder import FILES, compare_to_folder
    from .comparison_terminal import print_comparison

    if len(scenarios) < 2:
        typer.echo("compare needs at least two scenario files", err=True)
        raise typer.Exit(BAD_INPUT)
    start_simulating(fresh, jobs, dask)
    loaded = {}
    for path in scenarios:
        sc = load(path, root)
        name = sc.name if sc.name not in loaded else f"{sc.name} ({path.name})"
        loaded[name] = sc
    first = next(iter(loaded.values()))
    try:
        resolve_threshold(first, threshold_wait, threshold_share)
    except ThresholdError as exc:
        fail([f"--{exc.key.replace('_', '-')}: {exc.message}"])
    n, _seed = first.run_defaults(replications)
    folder = out or Path("reports") / folder_name(scenarios)
    with simulation_errors(first), progress(n * len(loaded)) as advance:
        comparison = run_compare(loaded, n, seed, jobs=jobs, dask=dask, threshold_wait=threshold_wait,
                                 threshold_share=threshold_share, on_done=advance)
    for warning in comparison.warnings:
        typer.echo(f"warning: {warning}", err=True)
    tables = compare_to_folder(comparison, folder)
    print_comparison(comparison, tables)
    typer.echo(f"wrote {folder}/{', '.join(FILES)}")


@app.command()
def optimise(
    scenario: Path = typer.Argument(..., help="The scenario file (YAML) whose rosters may change."),
    budget: Optional[float] = typer.Option(None, "--budget", min=0, help="Staff cost per week not to exceed: then the best journey outcome within it is sought."),
    vary: Optional[list[str]] = typer.Option(None, "--vary", metavar="RESOURCE[=-1..+2]", help="A resource to vary (repeat): NAME, or NAME=-1..+2 for its range of changes per roster block (default -2..+3; a place such as beds changes in steps of 2.5 percent of its size). Default: the scenario's optimise.vary, else every resource with a cost per hour."),
    constraint: Optional[list[str]] = typer.Option(None, "--constraint", metavar="MOMENT", help="A moment whose targets must be met (repeat). Default: the scenario's optimise.constraints, else every critical moment."),
    max_evaluations: Optional[int] = typer.Option(None, "--max-evaluations", min=1, help="Candidates to evaluate at most (default: optimise.max_evaluations, 150)."),
    confidence: Optional[float] = typer.Option(None, "--confidence", min=0.51, max=0.999, help="Confidence that every constraint holds (default 0.95)."),
    keep_met: Optional[bool] = typer.Option(None, "--keep-met/--no-keep-met", help="Hold the other targets the input meets, so the rosters may not break them (default: optimise.keep_met, true)."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, help="Seed (default: the scenario's run.seed)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default reports/<scenario file name>-optimised/)."),
    jobs: int = JOBS,
    dask: Optional[str] = DASK,
    root: Optional[Path] = ROOT,
    fresh: bool = FRESH,
) -> None:
    """Find the cheapest rosters that meet the targets (or the best journey outcome within a
    budget): writes the chosen rosters as a scenario file that extends the input,
    optimisation.html, candidates.csv, rosters.csv, comparison.csv and optimisation.json.
    A killed search resumes: run the same command again."""
    from ..experiment.lock import locked
    from ..errors import ScenarioError
    from ..optimiser.search import OptimiseError
    from ..optimiser.search import optimise as run_optimise

    start_simulating(fresh, jobs, dask)
    sc = load(scenario, root)
    folder = out or Path("reports") / f"{scenario.stem}-optimised"
    variant = folder / f"{scenario.stem}-optimised.yaml"
    with locked(folder), simulation_errors(sc), _status("optimising") as say:  # one run at a time in a folder
        try:
            opt = run_optimise(sc, vary=vary, constraints=constraint, budget=budget, confidence=confidence,
                               max_evaluations=max_evaluations, seed=seed, keep_met=keep_met, jobs=jobs, dask=dask,
                               folder=folder / ".candidates", on_progress=say)
        except OptimiseError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(BAD_INPUT) from None
        except ScenarioError as exc:  # a candidate's files changed or vanished while the search ran
            fail(exc.problems)
        chosen, files = write_optimisation(opt, sc, scenario, folder, variant)
    typer.echo(opt.summary_line())
    for line in overload_lines(opt):
        typer.echo(line, err=True)
    for v in opt.unattainable:
        if v.get("binds"):
            typer.echo(f"What binds: {v['binds']['text']}")
    typer.echo(f"wrote {variant}, and optimisation.html, {files}, optimisation.json in {folder}" if chosen else
               f"wrote optimisation.html, {files}, optimisation.json in {folder} (no rosters chosen: no variant file)")


def write_optimisation(opt, sc, scenario: Path, folder: Path, variant: Path) -> tuple[bool, str]:
    """Every output of an optimisation, staged together: the variant (when rosters were chosen),
    the tables, optimisation.html and optimisation.json. (Whether rosters were chosen, the tables' names.)"""
    from ..experiment import output
    from ..report.optimisation_page import render_optimisation

    chosen = opt.chosen
    meta = {**output.identity(sc, opt.settings.seed), **optimisation_metadata(opt),
            "variant": variant.name if chosen else None, "versions": output.versions()}
    name = f"{sc.name}, optimised" if opt.settings.budget is None else f"{sc.name}, best within {opt.settings.budget:,.0f} a week"
    tables = [("candidates.csv", opt.candidates()), ("rosters.csv", opt.rosters())]
    with output.staged(folder) as stage:  # every output appears together, or none does
        if chosen:
            stage.path(variant.name).write_text(opt.space.variant_text(opt.winner, variant, name, [
                f"Written by patientflow optimise from {scenario.name}: {opt.message}",
                f"Staff cost per week {opt.space.cost(opt.winner):,.0f} (input {opt.space.base_cost:,.0f}); "
                f"see optimisation.html beside this file."]), encoding="utf-8")
            tables.append(("comparison.csv", opt.comparison.table()))
        for file, table in tables:
            output.csv_to(stage.path(file), table)
        stage.path("optimisation.html").write_text(render_optimisation(opt, meta), encoding="utf-8")
        stage.path("optimisation.json").write_text(output.json_text(meta), encoding="utf-8")
    return chosen, ", ".join(file for file, _ in tables)


def overload_lines(opt) -> list[str]:
    """A warning for each candidate some of whose replications stopped early as overloaded."""
    return [f"warning: candidate {c['changes']}: {c['text']}" for c in opt.overloaded()]


def optimisation_metadata(opt) -> dict:
    """What optimisation.json records: the answer, the settings and the replications used."""
    return {
        "status": opt.status, "message": opt.message, "stopped": opt.stopped,
        "cost_per_week": opt.space.cost(opt.winner), "input_cost_per_week": opt.space.base_cost,
        "changes": opt.space.describe(opt.winner),
        "settings": {"vary": {k: list(v) for k, v in opt.settings.vary.items()}, "constraints": opt.settings.constraints,
                     "confidence": opt.settings.confidence, "budget": opt.settings.budget,
                     "keep_met": opt.settings.keep_met,
                     "max_evaluations": opt.settings.max_evaluations,
                     "first_replications": opt.settings.first_replications,
                     "max_replications": opt.settings.max_replications,
                     "confirm_replications": opt.settings.confirm_replications},
        "constraints": [c.label for c in opt.active if c not in opt.kept], "kept": [c.label for c in opt.kept],
        "unattainable": opt.unattainable, "overloaded": opt.overloaded(),
        "reported_not_constrained": [c.label for c in opt.reported], "confirmation": opt.confirmation,
        "candidates_evaluated": len(opt.evaluations), "replications_run": opt.replications_run,
        "search_replications": opt.search_replications, "confirmation_replications": opt.confirmation_replications,
        "seconds": round(opt.seconds, 1),
    }


class simulation_errors:
    """A scenario that fails while it runs is bad input: report it located, exit 2."""

    def __init__(self, sc):
        self.sc = sc

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        from ..engine.replication import SimulationError
        if isinstance(exc, SimulationError):
            step = exc.step
            position = next(i for i, item in enumerate(self.sc.spec.pathways[step.pathway]) if step.name in item)
            fail([self.sc.problem(("pathways", step.pathway, position, step.name), str(exc))])
        return False


def _print_headline(res) -> None:
    from ..report.pages import headline_lines
    from .terminal import print_targets
    summary = res.summary()
    print_targets(summary, f"{res.scenario.name}: {len(res.replications)} replications", headline_lines(summary))


class _status:
    """Progress of a long search: each step as a line on standard error, under a live status on
    a terminal."""

    def __init__(self, title: str):
        self.title = title
        self.live = None

    def __enter__(self):
        from rich.console import Console
        self.console = Console(stderr=True, width=160)
        if sys.stderr.isatty():
            self.live = self.console.status(self.title)
            self.live.start()
        return self.say

    def say(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False, soft_wrap=True)
        if self.live is not None:
            self.live.update(f"{self.title}: {message[:100]}")

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.stop()


class progress:
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

    def advance(self, _result=None, _resumed=False) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
