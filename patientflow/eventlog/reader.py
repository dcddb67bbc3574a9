"""Event logs: the timestamps a service records, read onto a scenario's events.

An event log is a CSV or Parquet file with one row per patient (or, ``format: long``, one row per
event) holding the times the service recorded — call received, answered, ambulance at scene, ED
arrival, triage, seen by a clinician, left — and attributes such as acuity or call category.
:mod:`patientflow.logmapping` says which column is which scenario event or attribute.

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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

import numpy as np

from ..errors import Problem
from .mapping import EventLogError, LogMapping, check_mapping, default_mapping, mapping_path, read_mapping
from ..clock import DAY, MINUTES_PER_WEEK

INSIDE = "inside"
_TOLERANCE = 1e-6  # minutes


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


def scenario_for(log: Path, scenario=None, mapping: LogMapping | None = None):
    """The scenario a log records: ``scenario`` (a Scenario or a path), else the one its mapping
    names. Raises EventLogError when neither gives one."""
    from ..scenario.scenario import Scenario, load_scenario
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
    """One pass over the rows: parse, check, leave out (saying why), and assemble the patients."""

    def __init__(self, path: Path, frame, first: int, mapping: LogMapping, scenario):
        self.path, self.frame, self.first, self.mapping = path, frame, first, mapping
        self.scenario, self.model = scenario, scenario.model
        self.problems: list[tuple[int, str, str]] = []  # (row number, column, message): patients and rows not used
        self.blanks: list[tuple[int, int, str, str]] = []  # (position, row, column, message): fields left out
        self.excluded: set[int] = set()  # rows not used at all
        self.dropped: set[int] = set()  # positions (in the wide frame) of patients not used
        self.notes: list[str] = []
        self.cell_rows: dict[str, np.ndarray] = {}  # long logs: the row of each event's cell
        self.unknown: dict[str, np.ndarray] = {}  # per event: a time was recorded but is left out
        self.ended = None  # patients whose outcome was given but left out: they have left

    def bad(self, positions, column: str, messages, rows=None) -> None:
        """Leave out the patients at ``positions``; list each with its row and why."""
        positions = np.asarray(positions, dtype=int).ravel()
        rows = self.rows[positions] if rows is None else np.asarray(rows).ravel()
        for position, row, message in zip(positions, rows, messages):
            self.problems.append((int(row), column, message))
            self.excluded.add(int(row))
            self.dropped.add(int(position))

    def blank(self, positions, column: str, messages, rows=None) -> None:
        """Leave out one field of the patients at ``positions`` (the caller sets it missing)."""
        positions = np.asarray(positions, dtype=int).ravel()
        rows = self.rows[positions] if rows is None else np.asarray(rows).ravel()
        for position, row, message in zip(positions, rows, messages):
            self.blanks.append((int(position), int(row), column, message))

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
            from .long import widen
            frame, problems, self.cell_rows, self.kind, raw_times, unreadable, self.given_blank = widen(frame, self.mapping, parse_times)
            self.rows = frame["__row"].to_numpy()
            where = {pid: i for i, pid in enumerate(frame[self.mapping.patient])}
            for row, column, message, pid, drops in problems:
                if pid is None:  # a row not used at all
                    self.problems.append((row, column, message))
                    self.excluded.add(row)
                elif drops:
                    self.bad([where[pid]], column, [message], rows=[row])
                else:
                    self.blank([where[pid]], column, [message], rows=[row])
            times, self.source, self.unknown = _coalesce(raw_times, self.mapping.events, len(frame), unreadable)
        else:
            self.rows = frame["__row"].to_numpy()
            self.given_blank = {}
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
        from .inference import fill_along_paths, infer_branches, infer_outcomes, labels_column
        patients = pd.DataFrame(data)
        for column in ("stream", *self.model.attributes):
            patients[column] = labels_column(data[column], patients.index)
        self._fill_fixed_attributes(patients)
        unknown = np.column_stack([self.unknown.get(e, np.zeros(len(self.rows), dtype=bool))[usable] for e in self.model.events])
        ended = unknown[:, self.model.event("left")] | (self.ended[usable] if self.ended is not None else False)
        given = values.get("__outcome")
        told = infer_outcomes(self.model, patients, given[usable] if given is not None else None, set(self.mapping.events),
                              unknown=unknown, ended=ended)
        positions = np.flatnonzero(usable)
        for i, message in told:
            self.bad([positions[i]], self.mapping.outcome or "outcome", [message])
        self.notes.extend(infer_branches(self.model, patients, set(self.mapping.attributes), unknown=unknown))
        keep = np.isin(positions, list(self.usable().nonzero()[0]))
        patients = patients[keep].reset_index(drop=True)
        self.notes.append(fill_along_paths(self.model, patients, unknown=unknown[keep]))
        recorded = patients[[e for e in self.model.events if e in times]].to_numpy(dtype=float)
        end = float(np.nanmax(recorded)) if recorded.size and not np.all(np.isnan(recorded)) else 0.0
        used = self.usable()
        blanked = [(row, column, message) for position, row, column, message in self.blanks if used[position]]
        self.excluded.update(row for position, row, _, _ in self.blanks if not used[position])
        every = [*self.problems, *((row, column, message) for _, row, column, message in self.blanks)]
        exclusions = [Problem(str(self.path), row, column, message) for row, column, message in sorted(every)]
        return EventLog(self.path, self.scenario, self.mapping, patients, exclusions, sorted(self.excluded), n_rows, origin,
                        end, self.notes, [Problem(str(self.path), *p) for p in sorted(blanked)],
                        unknown[keep] & np.isnan(patients[self.model.events].to_numpy(dtype=float)))

    # times ----------------------------------------------------------------------------
    def _times(self, frame) -> dict[str, np.ndarray]:
        parsed: dict[str, np.ndarray] = {}
        unreadable: dict[str, np.ndarray] = {}
        kinds = {}
        hint = ("expected a time such as 2025-01-06 08:14:00; set time_format: in the mapping for another format"
                if not self.mapping.time_format else f"expected a time in the format {self.mapping.time_format!r}")
        for column in dict.fromkeys(c for columns in self.mapping.events.values() for c in columns):
            values, bad, kind = parse_times(frame[column], self.mapping.time_format)
            parsed[column], unreadable[column] = values, bad
            if kind:
                kinds[column] = kind
            where = np.flatnonzero(bad)
            self.blank(where, column, [f"{text!r} is not a time ({hint}); this time is left out" for text in frame[column].iloc[where]])
        if len(set(kinds.values())) > 1:
            dates = [c for c, k in kinds.items() if k == "datetime"]
            numbers = [c for c, k in kinds.items() if k == "minutes"]
            raise EventLogError([Problem(str(self.path), 1, numbers[0], f"holds numbers while {dates[0]} holds date-times: "
                                         "give every time the same way")])
        self.kind = next(iter(kinds.values()), "minutes")
        times, self.source, self.unknown = _coalesce(parsed, self.mapping.events, len(frame), unreadable)
        return times

    def _to_minutes(self, times: dict[str, np.ndarray]):
        """Minutes since minute 0, the Monday 00:00 of the first arrival's week (in place); the
        Timestamp of minute 0 for date-times. Date-times are shifted in whole seconds before they
        become minutes, so a time to the second stays exact to ~1e-11 minutes."""
        import pandas as pd
        arrived = times["arrived"][self.usable()]
        if not arrived.size or np.all(np.isnan(arrived)):
            if self.kind == "datetime":
                for e in times:
                    times[e] = times[e] / 60.0
            return None
        first = float(np.nanmin(arrived))
        if self.kind == "datetime":
            stamp = pd.Timestamp(first, unit="s")
            origin = stamp.normalize() - pd.Timedelta(days=stamp.weekday())
            shift = (origin - pd.Timestamp(0)) / pd.Timedelta(seconds=1)
            for e in times:
                times[e] = (times[e] - shift) / 60.0
            return origin
        shift = float(np.floor(first / MINUTES_PER_WEEK) * MINUTES_PER_WEEK)
        for e in times:
            times[e] = times[e] - shift
        return None

    # values ---------------------------------------------------------------------------
    def _values(self, frame) -> dict[str, np.ndarray]:
        """Attribute labels per row (None when not given, or not known); the outcome and stream
        when mapped."""
        out = {}
        known = {a: v for a, v in zip(self.model.attributes, self.model.values)}
        for attr in self.model.attributes:
            column = self.mapping.attributes.get(attr)
            out[attr] = self._labels(frame, column, attr, known[attr]) if column else np.full(len(frame), None, dtype=object)
        if self.mapping.outcome:
            self.ended = np.asarray(self.given_blank.get(self.mapping.outcome, np.zeros(len(frame), dtype=bool))).copy()
            out["__outcome"] = self._labels(frame, self.mapping.outcome, "outcome", [*self.model.outcomes, INSIDE])
        if self.mapping.stream:
            out["__stream"] = self._labels(frame, self.mapping.stream, "stream", [s.name for s in self.model.streams])
        return out

    def _labels(self, frame, column: str, name: str, known: list[str]) -> np.ndarray:
        """The labels of ``column`` in the scenario's words. An unknown stream leaves the patient
        out (it decides the pathway); an unknown attribute or outcome is left out (None)."""
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
        messages = [f"{name} {raw[i]!r} is not one the scenario knows ({shown}); translate it under values: {name}: in the mapping"
                    for i in unknown]
        if name == "stream":
            self.bad(unknown, column, messages)
        else:
            self.blank(unknown, column, [m + "; this value is left out" for m in messages])
            labels[unknown] = None
            if name == "outcome":
                self.ended[unknown] = True
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
    def _order_rules(self, minutes) -> list[tuple[str, str, str]]:
        """(earlier, later, why): the pairs of events whose times must come in that order."""
        model = self.model
        rules = [("arrived", e, "nothing happens before the first contact") for e in minutes if e != "arrived"]
        for s in model.steps:
            names = [model.events[i] for i in (s.queued, s.start, s.end)]
            for a, b in zip(names, names[1:]):
                if a in minutes and b in minutes:
                    rules.append((a, b, "a step is queued for, started, then ended"))
        for i, s in enumerate(model.steps):
            last_i = next((model.events[e] for e in (s.end, s.start, s.queued) if model.events[e] in minutes), None)
            for j in sorted(model.reachable_steps[i] - {i}):
                t = model.steps[j]
                first_j = next((model.events[e] for e in (t.queued, t.start, t.end) if model.events[e] in minutes), None)
                if first_j and last_i:
                    rules.append((last_i, first_j, f"step {t.name} comes after step {s.name}"))
        if "left" in minutes:
            rules.extend((e, "left", "a patient leaves last") for e in minutes if e not in ("left", "arrived"))
        return rules

    def _order(self, frame, minutes) -> None:
        """Times out of order along the pathway: the most suspect left out, until the rest are in
        order (see the module's docstring)."""
        columns = {c for cs in self.mapping.events.values() for c in cs}
        text = None if self.mapping.long else {c: frame[c].astype("string").fillna("").to_numpy() for c in columns}
        rules = self._order_rules(minutes)
        with np.errstate(invalid="ignore"):
            broken = np.zeros(len(self.rows), dtype=bool)
            for a, b, _ in rules:
                broken |= minutes[b] < minutes[a] - _TOLERANCE
        for i in np.flatnonzero(broken & self.usable()):
            self._settle(i, rules, minutes, text)

    def _settle(self, i: int, rules, minutes, text) -> None:
        """Leave out patient ``i``'s most suspect times (cells) until the rest are in order."""
        def cell(event: str) -> str:
            return self.mapping.events[event][self.source[event][i]]

        def shown(event: str) -> str:
            return self._shown(minutes[event][i], text, cell(event), i)

        while True:
            pairs = {}  # one rule per pair of cells: a column serving two events is one time
            for a, b, why in rules:
                if minutes[b][i] < minutes[a][i] - _TOLERANCE and cell(a) != cell(b):
                    pairs.setdefault((cell(a), cell(b)), (a, b, why))
            broken = list(pairs.values())
            if not broken:
                return
            count: dict[str, int] = {}
            for a, b, _ in broken:
                for c in (cell(a), cell(b)):
                    count[c] = count.get(c, 0) + 1
            top = max(count.values())
            suspects = [c for c, k in count.items() if k == top]
            arrival = cell("arrived")
            if len(suspects) > 1 and arrival in suspects:
                suspects.remove(arrival)
            for c in suspects:
                mine = [(a, b, why) for a, b, why in broken if c in (cell(a), cell(b))]
                a, b, why = mine[0]
                said = (f"{b} {shown(b)} is before {a} {shown(a)}" if cell(b) == c else f"{a} {shown(a)} is after {b} {shown(b)}")
                more = f" (and out of order with {len(mine) - 1} more of the patient's times)" if len(mine) > 1 else ""
                row = self.cell_rows[c][i] if self.mapping.long else self.rows[i]
                if c == arrival:
                    self.bad([i], c, [f"{said}: {why}{more}; no arrival time fits the others, so the patient is not used"], rows=[row])
                    return
                self.blank([i], c, [f"{said}: {why}{more}; this time is left out"], rows=[row])
            for c in suspects:
                for event in minutes:
                    if not np.isnan(minutes[event][i]) and cell(event) == c:
                        minutes[event][i] = np.nan
                        self.unknown[event][i] = True

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
        from .inference import labels_column
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


def _coalesce(parsed: dict[str, np.ndarray], events: dict[str, list[str]], n: int, unreadable: dict[str, np.ndarray] | None = None):
    """Each event's times from the first of its columns holding one, which column that was, and
    where the event's time is unknown: the first column holding anything held what is not a time
    (the next column is not used instead: it would give the event another event's time)."""
    unreadable = unreadable or {}
    times, source, unknown = {}, {}, {}
    for event, columns in events.items():
        value = np.full(n, np.nan)
        which = np.zeros(n, dtype=int)
        lost = np.zeros(n, dtype=bool)
        for k, column in enumerate(columns):
            if column not in parsed:
                continue
            open_ = np.isnan(value) & ~lost
            fill = open_ & ~np.isnan(parsed[column])
            value[fill] = parsed[column][fill]
            which[fill] = k
            bad = open_ & unreadable.get(column, np.zeros(n, dtype=bool))
            lost |= bad
            which[bad] = k
        times[event], source[event], unknown[event] = value, which, lost
    return times, source, unknown


def _number_text(text: str) -> str:
    """``1.0`` and ``1`` are the same label (Parquet keeps numbers as floats)."""
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() and "." in text else text
