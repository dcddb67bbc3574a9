"""A run written to its folder: the recipe ``patientflow run`` follows, for a notebook too.

The folder gets report.html, summary.csv, utilisation.csv and run.json (and, when asked,
patients.parquet and summary.xlsx). Finished replications are kept in it as they finish, so a
killed run resumes; a folder holding another scenario's or seed's results is cleared first, never
mixed with this run. Every file is written atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..experiment import output
from ..experiment.patients import concat_parquet
from ..experiment.precision import PrecisionReport, simulate_to_precision, warm_up_advice
from ..experiment.results import Results, simulate
from ..experiment.store import ReplicationStore
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
        names = ["report.html", "summary.csv", "utilisation.csv", "run.json"]
        return names + [n for n in ("patients.parquet", "summary.xlsx") if (self.folder / n).exists()]


def _ignore(_message: str) -> None:
    return None


def run_to_folder(scenario, folder: str | Path, *, replications: int | None = None, seed: int | None = None,
                  jobs: int = 1, dask: str | None = None, patients: bool = False, precision: float | None = None,
                  max_replications: int = 200, excel: bool = False, warnings: list[str] | None = None,
                  on_message: Callable[[str], None] = _ignore, on_done=None) -> RunFolder:
    """Run ``scenario`` into ``folder`` (resuming what is there) and write every output.

    ``precision``: add replications until every moment's 95 % half-width is within this share of
    its mean (up to ``max_replications``). ``warnings`` (the scenario's, as text) go into run.json
    and the report; ``on_message`` hears what the run finds in the folder, ``on_done`` each
    replication as it finishes."""
    folder = Path(folder)
    n, seed = scenario.run_defaults(replications, seed)
    ident = output.identity(scenario, seed)
    if output.prepare_folder(folder, ident):
        on_message(f"{folder} held results of another scenario or seed; they were removed.")
    store = ReplicationStore(folder, scenario.hash, seed)
    resumed = [r for r in store.done() if r < (max_replications if precision else n)]
    if resumed:
        on_message(f"resuming: {len(resumed)} replication(s) already done in {folder}")
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
    meta = _metadata(scenario, res, ident, warnings or [], ran, loaded, precision, report)
    advice = warm_up_advice(res)
    if advice:
        meta["warm_up_warning"] = advice
    _write(folder, res, meta, patients, excel)
    return RunFolder(folder, res, meta, report, advice)


def _metadata(scenario, res, ident: dict, warnings: list[str], ran: list[int], loaded: list[int],
              precision: float | None, report) -> dict:
    meta = output.run_metadata(scenario, res, {**ident, "replications": len(res.replications)})
    meta["warnings"] = warnings
    meta["replications_run"] = sorted(ran)
    meta["replications_resumed"] = sorted(loaded)
    if report is not None:
        meta["precision"] = {"asked": precision, "satisfied": report.satisfied, "limiting": report.limiting}
    return meta


def _write(folder: Path, res, meta: dict, patients: bool, excel: bool) -> None:
    output.write_csv(folder / "summary.csv", res.summary())
    output.write_csv(folder / "utilisation.csv", res.utilisation())
    if patients:
        with output.atomic_path(folder / "patients.parquet") as tmp:
            concat_parquet(res.patient_parts, tmp)
    else:
        (folder / "patients.parquet").unlink(missing_ok=True)
    if excel:
        output.write_excel(folder / "summary.xlsx", {"summary": res.summary(), "utilisation": res.utilisation(),
                                                     "staff cost": res.staff_cost()})
    else:
        (folder / "summary.xlsx").unlink(missing_ok=True)
    output.write_text(folder / "report.html", render(res, meta))
    output.write_json(folder / "run.json", meta)
