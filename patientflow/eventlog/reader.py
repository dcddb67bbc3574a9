"""Event logs: the timestamps a service records, read onto a scenario's events.

An event log is a CSV or Parquet file with one row per patient (or, ``format: long``, one row per
event) holding the times the service recorded — call received, answered, ambulance at scene, ED
arrival, triage, seen by a clinician, left — and attributes such as acuity or call category.
:mod:`.mapping` says which column is which scenario event or attribute.

Times are ISO 8601 date-times (or ``time_format``), or numbers of minutes. Date-times are turned
into minutes since the Monday 00:00 of the first arrival's week, the scenario clock's time 0, so
hours of the week line up with the scenario's profiles.

Nothing is dropped silently, and one unusable field does not cost the whole patient. A log that
cannot be read (a mapped column missing, a mapping naming what the scenario lacks) raises
:class:`EventLogError`. Everything else is listed as ``file:row: column: message`` (row 2 is a CSV
file's first data row, as a spreadsheet numbers it; row 1 of a Parquet file is its first row) in
``EventLog.exclusions``, of two kinds:

* **A field left out** (``EventLog.blanked``): the patient is used, with that field missing, and
  counts for every moment that does not need it.

  - A time that does not parse is missing. It still says the event *happened* (the cell was not
    blank), only not when: the outcome and the branch options told from the times count it as
    done — a patient whose time with the doctor is unreadable was still seen. When an event's
    columns are a list, an unreadable cell is not passed over for the next column (that would
    give the event another event's time).
  - Times out of order along the pathway (before the arrival, after leaving, a step started
    before it was queued for or ended before it started, a later step before an earlier one):
    the suspect is the time that is out of order with the most of the patient's other times; it
    is left out, and so on until the rest are in order. When two or more are equally suspect —
    one pair out of order, which is right cannot be told — both are left out, except the
    arrival, which is kept (a patient is counted from it, and one pair out of order says no more
    against it than against the other time). Times that come from one cell (a column serving
    several events) stand or fall together.
  - An attribute value the scenario does not know (acuity ``9``) is missing; so is an outcome it
    does not know, which is then told from the times like a blank one (and, like a time left
    out, says the patient has left).
  - In a long log, an event recorded twice with different times, or an attribute with two
    values, is missing.

  The pathway may still fix a field left out (a completed journey left when its last step
  ended): it is filled like any blank.
* **A patient not used** (its rows in ``EventLog.excluded_rows``): no arrival time (none given,
  none readable, or the arrival out of order with more of the patient's times than any other),
  a patient on several rows that differ, no patient id, a stream the scenario does not know or
  cannot be told, an outcome that cannot be told from the times; in a long log also rows of
  events the mapping does not name, and copies of a row.

This module reads the file and assembles the patients; the steps are their own modules:
:mod:`.times` (times parsed and put on the clock), :mod:`.long` (a long log gathered into one row
per patient), :mod:`.labels` (attribute, outcome and stream values), :mod:`.order` (times out of
order), :mod:`.exclusions` (the bookkeeping of what is left out) and :mod:`.inference` (outcomes,
branches and times told from the pathway).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

import numpy as np

from ..errors import Problem
from ..files import root_for
from ..log import derived_times
from .exclusions import Exclusions
from .labels import INSIDE, attribute_values, fill_fixed_attributes, tell_streams
from .mapping import EventLogError, LogMapping, check_mapping, default_mapping, mapping_path, read_mapping
from .order import leave_out_disorder
from .times import coalesce, parse_times, to_minutes, wide_times
from ..clock import DAY

# parse_times, INSIDE and EventLogError are also read from here, where they were first defined
__all__ = ["EventLog", "EventLogError", "INSIDE", "parse_times", "read_event_log", "scenario_for"]


@dataclass
class EventLog:
    """A log read onto a scenario: the usable patients, every row that was not used and every field
    left out of a patient that is used."""

    source: Path
    scenario: object  # the Scenario whose events and attributes the log records
    mapping: LogMapping
    patients: object  # DataFrame: row, patient, stream, attributes, outcome, one column per event (minutes)
    exclusions: list[Problem]  # everything not used, in row order: patients (rows) and fields
    excluded_rows: list[int]  # rows not used at all
    rows: int  # data rows read
    origin: object  # the pandas Timestamp of minute 0 (a Monday 00:00); None for logs in minutes
    end: float  # minutes: the last time the log records
    notes: list[str] = field(default_factory=list)
    blanked: list[Problem] = field(default_factory=list)  # fields left out of patients that are used (in exclusions too)
    unknown: object = None  # (patients, model.events) bools: a time recorded but left out — the event happened, when is not known

    @property
    def start(self) -> float:
        """Minutes: the first arrival."""
        return float(self.patients["arrived"].min()) if len(self.patients) else 0.0

    def describe(self) -> str:
        used = len(self.patients)
        fields = f", {len(self.blanked)} field{'s' if len(self.blanked) != 1 else ''} left out" if self.blanked else ""
        return (f"{self.source.name}: {self.rows} rows, {used} patients used, {len(self.excluded_rows)} rows excluded{fields}; "
                f"{(self.end - self.start) / DAY:.1f} days from {self.time_text(self.start)} to {self.time_text(self.end)}")

    def time_text(self, minutes: float) -> str:
        """A time of the log's clock as the log would write it: to the nearest second (a float
        number of minutes is never quite whole seconds)."""
        if self.origin is None:
            return f"minute {minutes:,.0f}"
        import pandas as pd
        return str((self.origin + pd.Timedelta(minutes=float(minutes))).round("s"))


def scenario_for(log: Path, scenario=None, mapping: LogMapping | None = None, root=None):
    """The scenario a log records: ``scenario`` (a Scenario or a path), else the one its mapping
    names (inside the mapping's root, or ``root``). Raises EventLogError when neither gives one."""
    from ..scenario.scenario import Scenario, load_scenario
    if isinstance(scenario, Scenario):
        return scenario
    if scenario is not None:
        return load_scenario(scenario, root)
    if mapping is None or mapping.scenario is None:
        raise EventLogError([Problem(str(log), 1, "scenario", "which scenario does this log record? give --scenario "
                                     "SCENARIO, or name it in the mapping file (scenario: FILE)")])
    return load_scenario(mapping.scenario, root if root is not None else root_for(mapping.file))


def read_event_log(path: str | Path, scenario=None, columns: str | Path | None = None,
                   root: str | Path | None = None) -> EventLog:
    """Read ``path`` (CSV or Parquet) onto ``scenario`` (a Scenario, a path, or None: the one the
    mapping file names), with the mapping file ``columns`` or the one beside the log. Files the
    mapping names must lie inside ``root`` (see :mod:`patientflow.files`)."""
    path = Path(path)
    found = mapping_path(path, Path(columns) if columns is not None else None)
    mapping = read_mapping(found, root) if found else None
    sc = scenario_for(path, scenario, mapping, root)
    model = sc.model
    frame, first = _read_table(path)
    if mapping is None:
        mapping = default_mapping(model, list(frame.columns))
    check_mapping(mapping, model, [s.name for s in model.streams])
    _require_columns(path, frame, mapping)
    return _Reader(path, frame, first, mapping, sc).read()


def _read_table(path: Path):
    """The file as a DataFrame of text (CSV) or typed columns (Parquet), and the first row's number."""
    import pandas as pd

    if not path.is_file():
        raise EventLogError([Problem(str(path), 1, "file", "event log not found")])
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path).reset_index(drop=True), 1
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True), 2
    except Exception as exc:  # noqa: BLE001 - any reader failure is bad input, said plainly
        raise EventLogError([Problem(str(path), 1, "file", f"cannot read as {'Parquet' if path.suffix.lower() in ('.parquet', '.pq') else 'CSV'}: {exc}")]) from None


def _require_columns(path: Path, frame, mapping: LogMapping) -> None:
    problems = []
    have = [str(c) for c in frame.columns]
    for column, key in mapping.columns().items():
        if column not in have:
            close = get_close_matches(column, have, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; the file has {', '.join(have[:20])}"
            where = f" (named by {key} in {mapping.file.name})" if mapping.file else f" (for {key})"
            problems.append(Problem(str(path), 1, column, f"no such column{where}{hint}"))
    if problems:
        raise EventLogError(problems)


class _Reader:
    """One pass over the rows: parse, check, leave out (saying why), and assemble the patients."""

    def __init__(self, path: Path, frame, first: int, mapping: LogMapping, scenario):
        self.path, self.frame, self.first, self.mapping = path, frame, first, mapping
        self.scenario, self.model = scenario, scenario.model
        self.notes: list[str] = []
        self.out: Exclusions | None = None  # what is left out, once each patient's row is known
        self.kind = "minutes"  # of the times: "datetime" or "minutes"
        self.source: dict[str, np.ndarray] = {}  # per event: which of its columns the time came from
        self.cell_rows: dict[str, np.ndarray] = {}  # long logs: the row of each event's cell
        self.unknown: dict[str, np.ndarray] = {}  # per event: a time was recorded but is left out
        self.given_blank: dict[str, np.ndarray] = {}  # long logs: per column, the values left out
        self.ended = None  # patients whose outcome was given but left out: they have left

    def read(self) -> EventLog:
        frame = self.frame.copy()
        frame["__row"] = np.arange(len(frame)) + self.first
        n_rows = len(frame)
        frame, times = self._long_times(frame) if self.mapping.long else self._wide_times(frame)
        values, self.ended = attribute_values(frame, self.model, self.mapping, self.given_blank, self.out)
        self._duplicates(frame)
        self._need_arrival(times)
        origin = to_minutes(times, self.out.usable(), self.kind)
        leave_out_disorder(self.model, self.mapping, frame, times, self.source, self.unknown, self.cell_rows, self.out)
        streams = tell_streams(self.model, self.mapping, values, self.out)
        usable = self.out.usable()
        patients = self._patients(frame, times, values, streams, usable)
        unknown = np.column_stack([self.unknown.get(e, np.zeros(len(self.out.rows), dtype=bool))[usable]
                                   for e in self.model.events])
        keep = self._tell_from_pathway(patients, values, unknown, usable)
        patients = patients[keep].reset_index(drop=True)
        from .inference import fill_along_paths
        self.notes.append(fill_along_paths(self.model, patients, unknown=unknown[keep]))
        fill_derived(self.model, patients)
        return self._event_log(patients, times, unknown[keep], n_rows, origin)

    # steps ----------------------------------------------------------------------------
    def _wide_times(self, frame):
        """One row per patient: the frame as it is, and the times of its event columns."""
        self.out = Exclusions(frame["__row"].to_numpy())
        times, self.source, self.unknown, self.kind = wide_times(self.path, frame, self.mapping, self.out)
        return frame, times

    def _long_times(self, frame):
        """One row per event: the rows gathered into one per patient (listing what cannot be
        used), and each patient's times."""
        from .long import widen
        widened = widen(frame, self.mapping)
        frame = widened.frame
        self.cell_rows, self.kind, self.given_blank = widened.cell_rows, widened.kind, widened.given_blank
        self.out = Exclusions(frame["__row"].to_numpy())
        where = {pid: i for i, pid in enumerate(frame[self.mapping.patient])}
        for row, column, message, pid, drops in widened.problems:
            if pid is None:  # a row not used at all
                self.out.row_unused(row, column, message)
            elif drops:
                self.out.bad([where[pid]], column, [message], rows=[row])
            else:
                self.out.blank([where[pid]], column, [message], rows=[row])
        times, self.source, self.unknown = coalesce(widened.times, self.mapping.events, len(frame), widened.unreadable)
        return frame, times

    def _duplicates(self, frame) -> None:
        """A patient on several rows is used once when the rows are exact copies, else not at all."""
        ids = frame[self.mapping.patient].astype("string").str.strip().fillna("")
        blank = np.flatnonzero((ids == "").to_numpy())
        self.out.bad(blank, self.mapping.patient, ["no patient id"] * len(blank))
        dup = (ids.duplicated(keep=False) & (ids != "")).to_numpy()
        if not dup.any():
            return
        content = frame.drop(columns=["__row"]).astype("string").fillna("")
        for pid, group in frame[dup].groupby(ids[dup], sort=False):
            positions = [frame.index.get_loc(i) for i in group.index]
            rows = self.out.rows[positions]
            if len(content.loc[group.index].drop_duplicates()) == 1:
                self.out.bad(positions[1:], self.mapping.patient,
                             [f"patient {pid!r} again: a copy of row {rows[0]}, which is used"] * (len(rows) - 1))
            else:
                listed = ", ".join(map(str, rows))
                self.out.bad(positions, self.mapping.patient, [f"patient {pid!r} is on rows {listed} with different values: "
                                                               "which is right cannot be told, so none is used"] * len(rows))

    def _need_arrival(self, times) -> None:
        """A patient is counted from its first contact: one without an arrival time is not used."""
        missing = np.flatnonzero(np.isnan(times["arrived"]) & self.out.usable())
        self.out.bad(missing, "/".join(self.mapping.events["arrived"]),
                     ["no arrival time: a patient is counted from its first contact"] * len(missing))

    def _patients(self, frame, times, values, streams, usable):
        """The usable patients as a DataFrame: row, patient, stream, attributes, event times."""
        import pandas as pd
        from .inference import labels_column

        data = {"row": self.out.rows[usable], "patient": frame[self.mapping.patient].astype("string").to_numpy()[usable],
                "stream": np.asarray(streams, dtype=object)[usable]}
        for attr in self.model.attributes:
            data[attr] = values[attr][usable]
        for event in self.model.events:
            data[event] = times[event][usable] if event in times else np.full(int(usable.sum()), np.nan)
        patients = pd.DataFrame(data)
        for column in ("stream", *self.model.attributes):
            patients[column] = labels_column(data[column], patients.index)
        fill_fixed_attributes(self.model, patients)
        return patients

    def _tell_from_pathway(self, patients, values, unknown, usable) -> np.ndarray:
        """Outcomes and branches told from the times (leaving out a patient whose outcome cannot
        be told); the mask of ``patients`` still used."""
        from .inference import infer_branches, infer_outcomes
        ended = unknown[:, self.model.event("left")] | (self.ended[usable] if self.ended is not None else False)
        given = values.get("__outcome")
        told = infer_outcomes(self.model, patients, given[usable] if given is not None else None, set(self.mapping.events),
                              unknown=unknown, ended=ended)
        positions = np.flatnonzero(usable)
        for i, message in told:
            self.out.bad([positions[i]], self.mapping.outcome or "outcome", [message])
        self.notes.extend(infer_branches(self.model, patients, set(self.mapping.attributes), unknown=unknown))
        return np.isin(positions, list(self.out.usable().nonzero()[0]))

    def _event_log(self, patients, times, unknown, n_rows: int, origin) -> EventLog:
        """The log read: the patients used, with everything left out listed."""
        recorded = patients[[e for e in self.model.events if e in times]].to_numpy(dtype=float)
        end = float(np.nanmax(recorded)) if recorded.size and not np.all(np.isnan(recorded)) else 0.0
        exclusions, excluded_rows, blanked = self.out.listed(self.path)
        return EventLog(self.path, self.scenario, self.mapping, patients, exclusions, excluded_rows, n_rows, origin,
                        end, self.notes, blanked, unknown & np.isnan(patients[self.model.events].to_numpy(dtype=float)))


def fill_derived(model, patients) -> None:
    """The scenario's derived events (``events:``, such as the response clock's start) computed
    from the patients' recorded times, as a replication computes them (:func:`derived_times`)."""
    if not model.derived or not len(patients):
        return
    times = patients[model.events].to_numpy(dtype=float, copy=True)
    derived_times(times, model.derived)
    for event, _ in model.derived:
        patients[model.events[event]] = times[:, event]
