"""A run written to its folder: the recipe ``patientflow run`` follows, for a notebook too.

The folder gets report.html, summary.csv, utilisation.csv, bottlenecks.csv and run.json, with a
network's fleets vehicles.csv (per unit), and when asked patients.parquet (with fleets
units.parquet too) and summary.xlsx. Finished replications are kept in it as they finish, so a
killed or interrupted run resumes (each checked to be the replication it claims to be); a folder
holding another scenario's or seed's results is cleared first, never mixed with this run. The
folder is locked while the run writes it (a second run into it stops at once, naming this one),
and the outputs are staged: all of them appear together when all are written, or none do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..experiment import output
from ..experiment.patients import concat_parquet
from ..experiment.precision import PrecisionReport, simulate_to_precision, warm_up_advice
from ..experiment.results import Results, simulate
from ..experiment.lock import locked
from ..experiment.store import Interrupted, ReplicationStore
from .act import actions, experiments, why
from .pages import render

FIGURE_PATIENTS = 3  # replications whose patients are kept in memory for the report's figures


@dataclass
class RunFolder:
    """What :func:`run_to_folder` wrote, and what it found on the way."""

    folder: Path
    results: Results
    meta: dict  # run.json
    precision: PrecisionReport | None  # with a precision asked: whether it was reached
    warm_up_advice: str | None  # when the warm-up looks too short

    @property
    def files(self) -> list[str]:
        names = ["report.html", "summary.csv", "utilisation.csv", "bottlenecks.csv", "run.json"]
        return names + [n for n in ("vehicles.csv", "patients.parquet", "units.parquet", "summary.xlsx")
                        if (self.folder / n).exists()]


def _ignore(_message: str) -> None:
    return None


def run_to_folder(scenario, folder: str | Path, *, replications: int | None = None, seed: int | None = None,
                  jobs: int = 1, dask: str | None = None, patients: bool = False, precision: float | None = None,
                  max_replications: int = 200, excel: bool = False, warnings: list[str] | None = None,
                  on_message: Callable[[str], None] = _ignore, on_done=None) -> RunFolder:
    """Run ``scenario`` into ``folder`` (resuming what is there) and write every output.

    ``precision``: add replications until every moment's 95 % half-width is within this share of
    its mean (up to ``max_replications``). ``warnings`` (the scenario's, as text) go into run.json
    and the report; ``on_message`` hears what the run finds in the folder (replications set
    aside among them), ``on_done`` each replication as it finishes. Raises
    :class:`~patientflow.experiment.lock.FolderInUse` when another run holds the folder,
    :class:`~patientflow.experiment.output.OutputError` when it cannot be written (the previous
    run's outputs are left as they were) and, on Ctrl-C,
    :class:`~patientflow.experiment.store.Interrupted` saying what is kept."""
    folder = Path(folder)
    n, seed = scenario.run_defaults(replications, seed)
    limit = max_replications if precision else n
    with locked(folder):
        ident = output.identity(scenario, seed)
        if output.prepare_folder(folder, ident):
            on_message(f"{folder} held results of another scenario or seed; they were removed.")
        store = ReplicationStore(folder, scenario.hash, seed, on_warning=lambda text: on_message(f"warning: {text}"))
        resumed = [r for r in store.done() if r < limit]
        if resumed:
            on_message(f"resuming: {len(resumed)} replication(s) already done in {folder}")
        try:
            res, report, ran, loaded = _simulate(scenario, store, n, seed, jobs=jobs, dask=dask, patients=patients,
                                                 precision=precision, max_replications=max_replications,
                                                 on_done=on_done)
            meta = _metadata(scenario, res, ident, warnings or [], ran, loaded, precision, report)
            advice = warm_up_advice(res)
            if advice:
                meta["warm_up_warning"] = advice
            _write(folder, res, meta, patients, excel)
        except KeyboardInterrupt:
            kept = [r for r in store.done() if r < limit]
            raise Interrupted(len(kept), folder, None if precision else n) from None
    return RunFolder(folder, res, meta, report, advice)


def _simulate(scenario, store: ReplicationStore, n: int, seed: int, *, jobs: int, dask: str | None, patients: bool,
              precision: float | None, max_replications: int, on_done) -> tuple:
    """(results, precision report or None, replications run, replications loaded from the store)."""
    ran: list[int] = []
    loaded: list[int] = []

    def track(result, from_store: bool) -> None:
        (loaded if from_store else ran).append(result.replication)
        if on_done is not None:
            on_done(result)

    report = None
    if precision is not None:
        res, report = simulate_to_precision(scenario, precision, seed, max_replications=max_replications, jobs=jobs,
                                            dask=dask, store=store, patients=patients, keep_patients=FIGURE_PATIENTS,
                                            on_done=track)
    else:
        res = simulate(scenario, n, seed, jobs=jobs, dask=dask, keep_patients=FIGURE_PATIENTS, store=store,
                       patients=patients, on_done=track)
    return res, report, ran, loaded


def _metadata(scenario, res, ident: dict, warnings: list[str], ran: list[int], loaded: list[int],
              precision: float | None, report) -> dict:
    meta = output.run_metadata(scenario, res, {**ident, "replications": len(res.replications)})
    meta["warnings"] = warnings
    meta["replications_run"] = sorted(ran)
    meta["replications_resumed"] = sorted(loaded)  # from this folder, or measured from the shared store
    meta["replications_reused"] = len(loaded)
    if report is not None:
        meta["precision"] = {"asked": precision, "satisfied": report.satisfied, "limiting": report.limiting}
    return meta


def _write(folder: Path, res, meta: dict, patients: bool, excel: bool) -> None:
    """Every output, staged: renamed into place together once all are written (run.json last)."""
    with output.staged(folder) as stage:
        output.csv_to(stage.path("summary.csv"), res.summary())
        output.csv_to(stage.path("utilisation.csv"), res.utilisation())
        output.csv_to(stage.path("bottlenecks.csv"), res.bottlenecks())
        vehicles = res.vehicles()
        if len(vehicles):
            output.csv_to(stage.path("vehicles.csv"), vehicles)
        else:
            stage.remove("vehicles.csv")
        if patients:
            concat_parquet(res.patient_parts, stage.path("patients.parquet"))
        else:
            stage.remove("patients.parquet")
        if patients and res.unit_parts:
            concat_parquet(res.unit_parts, stage.path("units.parquet"))
        else:
            stage.remove("units.parquet")
        if excel:
            output.excel_to(stage.path("summary.xlsx"), {"summary": res.summary(), "utilisation": res.utilisation(),
                                                        "bottlenecks": res.bottlenecks(), "staff cost": res.staff_cost()})
        else:
            stage.remove("summary.xlsx")
        items = actions(res)
        tried = experiments(items)
        for experiment in tried:
            stage.path(experiment.file).write_text(experiment.text(res.scenario, folder, why(items, experiment)),
                                                   encoding="utf-8")
        for old in folder.glob(output.READY_EXPERIMENTS):
            if old.name not in {e.file for e in tried}:
                stage.remove(old.name)
        stage.path("report.html").write_text(render(res, meta, act=folder), encoding="utf-8")
        stage.path("run.json").write_text(output.json_text(meta), encoding="utf-8")
