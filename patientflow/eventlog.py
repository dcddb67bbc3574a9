"""Event logs: the timestamps a service records, read onto a scenario's events.

An event log is a CSV or Parquet file with one row per patient (or, ``format: long``, one row per
event) holding the times the service recorded — call received, answered, ambulance at scene, ED
arrival, triage, seen by a clinician, left — and attributes such as acuity or call category.
:mod:`patientflow.logmapping` says which column is which scenario event or attribute.

Times are ISO 8601 date-times (or ``time_format``), or numbers of minutes. Date-times are turned
into minutes since the Monday 00:00 of the first arrival's week, the scenario clock's time 0, so
hours of the week line up with the scenario's profiles.

Nothing is dropped silently. A log that cannot be read (a mapped column missing, a mapping naming
what the scenario lacks) raises :class:`EventLogError`. A row that cannot be used — a time that
does not parse, times out of order along the pathway, a patient on several rows, a value the
scenario does not know, no arrival time — is excluded and listed as ``file:row: column: message``
(row 2 is a CSV file's first data row, as a spreadsheet numbers it; row 1 of a Parquet file is
its first row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

import numpy as np

from .errors import Problem
from .logmapping import EventLogError, LogMapping, check_mapping, default_mapping, mapping_path, read_mapping

INSIDE = "inside"
_TOLERANCE = 1e-6  # minutes


@dataclass
class EventLog:
    """A log read onto a scenario: the usable patients and every row that was not used."""

    source: Path
    scenario: object  # the Scenario whose events and attributes the log records
    mapping: LogMapping
    patients: object  # DataFrame: row, patient, stream, attributes, outcome, one column per event (minutes)
    exclusions: list[Problem]
    excluded_rows: list[int]
    rows: int  # data rows read
    origin: object  # the pandas Timestamp of minute 0 (a Monday 00:00); None for logs in minutes
    end: float  # minutes: the last time the log records
    notes: list[str] = field(default_factory=list)

    @property
    def start(self) -> float:
        """Minutes: the first arrival."""
        return float(self.patients["arrived"].min()) if len(self.patients) else 0.0

    def describe(self) -> str:
        used = len(self.patients)
        return (f"{self.source.name}: {self.rows} rows, {used} patients used, {len(self.excluded_rows)} rows excluded; "
                f"{(self.end - self.start) / 1440:.1f} days from {self.time_text(self.start)} to {self.time_text(self.end)}")

    def time_text(self, minutes: float) -> str:
        if self.origin is None:
            return f"minute {minutes:,.0f}"
        import pandas as pd
        return str((self.origin + pd.Timedelta(minutes=float(minutes))).floor("s"))


def scenario_for(log: Path, scenario=None, mapping: LogMapping | None = None):
    """The scenario a log records: ``scenario`` (a Scenario or a path), else the one its mapping
    names. Raises EventLogError when neither gives one."""
    from .scenario import Scenario, load_scenario
    if isinstance(scenario, Scenario):
        return scenario
    if scenario is not None:
        return load_scenario(scenario)
    if mapping is None or mapping.scenario is None:
        raise EventLogError([Problem(str(log), 1, "scenario", "which scenario does this log record? give --scenario "
                                     "SCENARIO, or name it in the mapping file (scenario: FILE)")])
    return load_scenario(mapping.scenario)


def read_event_log(path: str | Path, scenario=None, columns: str | Path | None = None) -> EventLog:
    """Read ``path`` (CSV or Parquet) onto ``scenario`` (a Scenario, a path, or None: the one the
    mapping file names), with the mapping file ``columns`` or the one beside the log."""
    path = Path(path)
    found = mapping_path(path, Path(columns) if columns is not None else None)
    mapping = read_mapping(found) if found else None
    sc = scenario_for(path, scenario, mapping)
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
    """One pass over the rows: parse, check, exclude (saying why), and assemble the patients."""

    def __init__(self, path: Path, frame, first: int, mapping: LogMapping, scenario):
        self.path, self.frame, self.first, self.mapping = path, frame, first, mapping
        self.scenario, self.model = scenario, scenario.model
        self.problems: list[tuple[int, str, str]] = []  # (row number, column, message)
        self.dropped: set[int] = set()  # positions (in the wide frame) of patients not used
        self.notes: list[str] = []
        self.cell_rows: dict[str, np.ndarray] = {}  # long logs: the row of each event's cell

    def bad(self, positions, column: str, messages, rows=None) -> None:
        """Exclude the patients at ``positions``; list each with its row and why."""
        positions = np.asarray(positions, dtype=int).ravel()
        rows = self.rows[positions] if rows is None else np.asarray(rows).ravel()
        for position, row, message in zip(positions, rows, messages):
            self.problems.append((int(row), column, message))
            self.dropped.add(int(position))

    def usable(self) -> np.ndarray:
        mask = np.ones(len(self.rows), dtype=bool)
        mask[list(self.dropped)] = False
        return mask

    def read(self) -> EventLog:
        import pandas as pd

        frame = self.frame.copy()
        frame["__row"] = np.arange(len(frame)) + self.first
        n_rows = len(frame)
        if self.mapping.long:
            from .loglong import widen
            frame, problems, self.cell_rows, self.kind, raw_times = widen(frame, self.mapping, parse_times)
            self.rows = frame["__row"].to_numpy()
            where = {pid: i for i, pid in enumerate(frame[self.mapping.patient])}
            for row, column, message, pid in problems:
                self.problems.append((row, column, message))
                if pid in where:
                    self.dropped.add(where[pid])
            times, self.source = _coalesce({label: raw_times[label] for label in raw_times}, self.mapping.events, len(frame))
        else:
            self.rows = frame["__row"].to_numpy()
            times = self._times(frame)
        values = self._values(frame)
        self._duplicates(frame)
        missing = np.flatnonzero(np.isnan(times["arrived"]) & self.usable())
        self.bad(missing, "/".join(self.mapping.events["arrived"]), ["no arrival time: a patient is counted from its first contact"] * len(missing))
        origin = self._to_minutes(times)
        self._order(frame, times)
        streams = self._streams(values)
        usable = self.usable()
        data = {"row": self.rows[usable], "patient": frame[self.mapping.patient].astype("string").to_numpy()[usable],
                "stream": np.asarray(streams, dtype=object)[usable]}
        for attr in self.model.attributes:
            data[attr] = values[attr][usable]
        for event in self.model.events:
            data[event] = times[event][usable] if event in times else np.full(int(usable.sum()), np.nan)
        from .loginference import fill_along_paths, infer_branches, infer_outcomes, labels_column
        patients = pd.DataFrame(data)
        for column in ("stream", *self.model.attributes):
            patients[column] = labels_column(data[column], patients.index)
        self._fill_fixed_attributes(patients)
        given = values.get("__outcome")
        unknown = infer_outcomes(self.model, patients, given[usable] if given is not None else None, set(self.mapping.events))
        positions = np.flatnonzero(usable)
        for i, message in unknown:
            self.bad([positions[i]], self.mapping.outcome or "outcome", [message])
        self.notes.extend(infer_branches(self.model, patients, set(self.mapping.attributes)))
        keep = np.isin(positions, list(self.usable().nonzero()[0]))
        patients = patients[keep].reset_index(drop=True)
        self.notes.append(fill_along_paths(self.model, patients))
        recorded = patients[[e for e in self.model.events if e in times]].to_numpy(dtype=float)
        end = float(np.nanmax(recorded)) if recorded.size and not np.all(np.isnan(recorded)) else 0.0
        exclusions = [Problem(str(self.path), row, column, message)
                      for row, column, message in sorted(self.problems, key=lambda p: p[0])]
        excluded = sorted({row for row, _, _ in self.problems})
        return EventLog(self.path, self.scenario, self.mapping, patients, exclusions, excluded, n_rows, origin, end, self.notes)

    # times ----------------------------------------------------------------------------
    def _times(self, frame) -> dict[str, np.ndarray]:
        parsed: dict[str, np.ndarray] = {}
        kinds = {}
        hint = ("expected a time such as 2025-01-06 08:14:00; set time_format: in the mapping for another format"
                if not self.mapping.time_format else f"expected a time in the format {self.mapping.time_format!r}")
        for column in dict.fromkeys(c for columns in self.mapping.events.values() for c in columns):
            values, bad, kind = parse_times(frame[column], self.mapping.time_format)
            parsed[column] = values
            if kind:
                kinds[column] = kind
            where = np.flatnonzero(bad)
            self.bad(where, column, [f"{text!r} is not a time ({hint})" for text in frame[column].iloc[where]])
        if len(set(kinds.values())) > 1:
            dates = [c for c, k in kinds.items() if k == "datetime"]
            numbers = [c for c, k in kinds.items() if k == "minutes"]
            raise EventLogError([Problem(str(self.path), 1, numbers[0], f"holds numbers while {dates[0]} holds date-times: "
                                         "give every time the same way")])
        self.kind = next(iter(kinds.values()), "minutes")
        times, self.source = _coalesce(parsed, self.mapping.events, len(frame))
        return times

    def _to_minutes(self, times: dict[str, np.ndarray]):
        """Minutes since minute 0, the Monday 00:00 of the first arrival's week (in place); the
        Timestamp of minute 0 for date-times."""
        import pandas as pd
        if self.kind == "datetime":
            for e in times:
                times[e] = times[e] / 60.0
        arrived = times["arrived"][self.usable()]
        if not arrived.size or np.all(np.isnan(arrived)):
            return None
        first = float(np.nanmin(arrived))
        if self.kind == "datetime":
            stamp = pd.Timestamp(first * 60, unit="s")
            origin = stamp.normalize() - pd.Timedelta(days=stamp.weekday())
            shift = (origin - pd.Timestamp(0)) / pd.Timedelta(minutes=1)
        else:
            origin, shift = None, float(np.floor(first / 10080) * 10080)
        for e in times:
            times[e] = times[e] - shift
        return origin

    # values ---------------------------------------------------------------------------
    def _values(self, frame) -> dict[str, np.ndarray]:
        """Attribute labels per row (None when not given); the outcome and stream when mapped."""
        out = {}
        known = {a: v for a, v in zip(self.model.attributes, self.model.values)}
        for attr in self.model.attributes:
            column = self.mapping.attributes.get(attr)
            out[attr] = self._labels(frame, column, attr, known[attr]) if column else np.full(len(frame), None, dtype=object)
        if self.mapping.outcome:
            out["__outcome"] = self._labels(frame, self.mapping.outcome, "outcome", [*self.model.outcomes, INSIDE])
        if self.mapping.stream:
            out["__stream"] = self._labels(frame, self.mapping.stream, "stream", [s.name for s in self.model.streams])
        return out

    def _labels(self, frame, column: str, name: str, known: list[str]) -> np.ndarray:
        table = self.mapping.values.get(name, {})
        raw = frame[column].astype("string").str.strip().fillna("").tolist()
        labels = np.full(len(frame), None, dtype=object)
        for i, text in enumerate(raw):
            if text in ("", "nan", "<NA>"):
                continue
            text = _number_text(text)
            labels[i] = table.get(text, text)
        unknown = np.flatnonzero([v is not None and v not in known for v in labels])
        shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        self.bad(unknown, column, [f"{name} {raw[i]!r} is not one the scenario knows ({shown}); "
                                   f"translate it under values: {name}: in the mapping" for i in unknown])
        return labels

    def _duplicates(self, frame) -> None:
        """A patient on several rows is used once when the rows are exact copies, else not at all."""
        ids = frame[self.mapping.patient].astype("string").str.strip().fillna("")
        blank = np.flatnonzero((ids == "").to_numpy())
        self.bad(blank, self.mapping.patient, ["no patient id"] * len(blank))
        dup = (ids.duplicated(keep=False) & (ids != "")).to_numpy()
        if not dup.any():
            return
        content = frame.drop(columns=["__row"]).astype("string").fillna("")
        for pid, group in frame[dup].groupby(ids[dup], sort=False):
            positions = [frame.index.get_loc(i) for i in group.index]
            rows = self.rows[positions]
            if len(content.loc[group.index].drop_duplicates()) == 1:
                self.bad(positions[1:], self.mapping.patient,
                         [f"patient {pid!r} again: a copy of row {rows[0]}, which is used"] * (len(rows) - 1))
            else:
                listed = ", ".join(map(str, rows))
                self.bad(positions, self.mapping.patient, [f"patient {pid!r} is on rows {listed} with different values: "
                                                           "which is right cannot be told, so none is used"] * len(rows))

    # order ----------------------------------------------------------------------------
    def _order(self, frame, minutes) -> None:
        """Times out of order along the pathway: before the arrival, after leaving, a step's
        start before its queueing, or a later step before an earlier one."""
        model = self.model
        columns = {c for cs in self.mapping.events.values() for c in cs}
        text = None if self.mapping.long else {c: frame[c].astype("string").fillna("").to_numpy() for c in columns}

        def cell(event: str, i: int) -> str:
            return self.mapping.events[event][self.source[event][i]]

        def report(mask, later: str, earlier: str, why: str) -> None:
            for i in np.flatnonzero(mask & self.usable()):
                column = cell(later, i)
                row = self.cell_rows[column][i] if self.mapping.long else self.rows[i]
                self.bad([i], column, [f"{later} {self._shown(minutes[later][i], text, column, i)} is before "
                                       f"{earlier} {self._shown(minutes[earlier][i], text, cell(earlier, i), i)}: {why}"],
                         rows=[row])

        def before(a: str, b: str) -> np.ndarray:
            with np.errstate(invalid="ignore"):
                return minutes[b] < minutes[a] - _TOLERANCE

        for e in minutes:
            if e != "arrived":
                report(before("arrived", e), e, "arrived", "nothing happens before the first contact")
        if "left" in minutes:
            for e in minutes:
                if e not in ("left", "arrived"):
                    report(before(e, "left"), "left", e, "a patient leaves last")
        for s in model.steps:
            names = [model.events[i] for i in (s.queued, s.start, s.end)]
            for a, b in zip(names, names[1:]):
                if a in minutes and b in minutes:
                    report(before(a, b), b, a, "a step is queued for, started, then ended")
        for i, s in enumerate(model.steps):
            last_i = next((model.events[e] for e in (s.end, s.start, s.queued) if model.events[e] in minutes), None)
            for j in model.reachable_steps[i] - {i}:
                t = model.steps[j]
                first_j = next((model.events[e] for e in (t.queued, t.start, t.end) if model.events[e] in minutes), None)
                if first_j and last_i:
                    report(before(last_i, first_j), first_j, last_i, f"step {t.name} comes after step {s.name}")

    @staticmethod
    def _shown(value: float, text, column: str, i: int) -> str:
        return f"({text[column][i]})" if text is not None else f"(minute {value:,.1f})"

    # streams and attributes ------------------------------------------------------------
    def _streams(self, values) -> list:
        """Each patient's arrival stream: the stream column, or the one stream whose ``set:``
        attributes the patient has."""
        model = self.model
        names = [s.name for s in model.streams]
        given = values.get("__stream")
        out: list = [None] * len(self.rows)
        for i in np.flatnonzero(self.usable()):
            if given is not None and given[i] is not None:
                out[i] = given[i]
                continue
            fits = names if len(names) == 1 else [s.name for s in model.streams if s.fixed_attributes and all(
                values[model.attributes[a]][i] == model.values[a][code] for a, code in s.fixed_attributes)]
            if len(fits) == 1:
                out[i] = fits[0]
                continue
            setting = [model.attributes[a] for s in model.streams for a, _ in s.fixed_attributes]
            column = self.mapping.stream or next((self.mapping.attributes[a] for a in setting if a in self.mapping.attributes),
                                                 self.mapping.patient)
            self.bad([i], column, [f"cannot tell the arrival stream ({', '.join(names)}): map a stream column"
                                   + (f", or {' / '.join(dict.fromkeys(setting))}, which the streams set" if setting else "")])
        return out

    def _fill_fixed_attributes(self, patients) -> None:
        """Attributes a stream sets (``set: {mode: walk_in}``) that the log leaves out."""
        from .loginference import labels_column
        for s in self.model.streams:
            mine = (patients["stream"] == s.name).to_numpy()
            for a, code in s.fixed_attributes:
                name = self.model.attributes[a]
                column = patients[name].to_numpy(dtype=object).copy()
                column[mine & np.array([v is None for v in column], dtype=bool)] = self.model.values[a][code]
                patients[name] = labels_column(column, patients.index)


def parse_times(series, time_format: str | None = None):
    """A column of times as floats — seconds since 1970 for date-times, or minutes for numbers —
    with the mask of cells that do not parse and the kind found ("datetime", "minutes" or None)."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = series.dt.tz_convert(None) if getattr(series.dt, "tz", None) is not None else series
        seconds = ((stamps - pd.Timestamp(0)) / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan)
        return seconds, np.zeros(len(series), dtype=bool), "datetime"
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        return values, np.zeros(len(series), dtype=bool), "minutes" if np.isfinite(values).any() else None
    text = series.astype("string").str.strip()
    blank = (text.isna() | (text == "") | (text == "nan") | (text == "NaT")).to_numpy()
    if blank.all():
        return np.full(len(series), np.nan), np.zeros(len(series), dtype=bool), None
    numbers = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if np.all(np.isfinite(numbers) | blank):
        return numbers, np.zeros(len(series), dtype=bool), "minutes"
    try:
        stamps = pd.to_datetime(text.where(~blank), format=time_format or "ISO8601", errors="coerce")
    except ValueError:  # offsets that differ (a clock change): all to UTC
        stamps = pd.to_datetime(text.where(~blank), format=time_format or "ISO8601", errors="coerce", utc=True)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert(None)
    seconds = ((stamps - pd.Timestamp(0)) / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan)
    bad = ~blank & np.isnan(seconds)
    return seconds, bad, "datetime"


def _coalesce(parsed: dict[str, np.ndarray], events: dict[str, list[str]], n: int):
    """Each event's times from the first of its columns holding one, and which column that was."""
    times, source = {}, {}
    for event, columns in events.items():
        value = np.full(n, np.nan)
        which = np.zeros(n, dtype=int)
        for k, column in enumerate(columns):
            if column not in parsed:
                continue
            fill = np.isnan(value) & ~np.isnan(parsed[column])
            value[fill] = parsed[column][fill]
            which[fill] = k
        times[event], source[event] = value, which
    return times, source


def _number_text(text: str) -> str:
    """``1.0`` and ``1`` are the same label (Parquet keeps numbers as floats)."""
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() and "." in text else text
