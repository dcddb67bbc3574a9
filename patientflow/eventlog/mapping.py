"""How an event log's columns map onto a scenario's events and attributes.

Operations data never uses a scenario's names: a column says ``Triage start`` where the scenario
says ``triage.start``, a cell says ``Walk-in`` where the scenario says ``walk_in``. A mapping file
(YAML, beside the log as ``<log name>.yaml`` or given with ``--columns``) says which column holds
what, in the scenario's words on the left::

    scenario: scenario.yaml          # the scenario whose events the log records (relative to this file)
    time_format: "%d/%m/%Y %H:%M"    # optional; ISO 8601 (2025-01-06 08:14:00) by default
    patient: attendance_id           # one id per patient
    outcome: disposition             # optional: how each journey ended
    events:                          # scenario event: log column (one column may serve several events)
      arrived: [call_received, arrival_time]   # a list: the first of these columns that holds a time
      ed_arrival: arrival_time
      triage.start: triage_start
    attributes:
      acuity: triage_category
    values:                          # log values in the scenario's words
      mode: {Ambulance: ambulance, Walk-in: walk_in}
      outcome: {Admitted: admitted, Left before treatment: left_without_being_seen}

A log with one row per event says ``format: long`` and names its event and time columns
(``long: {event: activity, time: timestamp}``); ``events`` then maps scenario events to the
event labels the log uses. Without a mapping file, columns named as the scenario names them are
used (so a ``patients.parquet`` written by ``patientflow run --patients`` reads as it is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..files import PATH_SHOWN, FileRefused, inside, read_text, root_for, shown, yaml_problem
from ..model import EVENTS_HELP

KEYS = ("scenario", "format", "time_format", "patient", "stream", "outcome", "events", "attributes",
        "values", "long", "description")


class EventLogError(ValueError):
    """An event log (or its mapping) that cannot be read at all; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __reduce__(self):
        return (type(self), (self.problems,))


@dataclass
class LogMapping:
    """Where each scenario name is found in the log (log columns, or event labels when long)."""

    patient: str = "patient"
    stream: str | None = None
    outcome: str | None = None
    events: dict[str, list[str]] = field(default_factory=dict)  # the first column holding a time wins
    attributes: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    time_format: str | None = None
    long: bool = False
    event_column: str = "event"
    time_column: str = "time"
    scenario: Path | None = None
    file: Path | None = None
    lines: dict[tuple, int] = field(default_factory=dict)

    def where(self, *key) -> tuple[str, int]:
        """The mapping file and line of ``key`` (for a problem found later)."""
        while key and key not in self.lines:
            key = key[:-1]
        return (str(self.file) if self.file else "", self.lines.get(key, 1))

    def columns(self) -> dict[str, str]:
        """Every column the wide log must have, with the mapping key that names it."""
        out = {self.patient: "patient"}
        for key in ("stream", "outcome"):
            if getattr(self, key):
                out.setdefault(getattr(self, key), key)
        for name, column in self.attributes.items():
            out.setdefault(column, f"attributes.{name}")
        if self.long:
            out.setdefault(self.event_column, "long.event")
            out.setdefault(self.time_column, "long.time")
        else:
            for name, columns in self.events.items():
                for column in columns:
                    out.setdefault(column, f"events.{name}")
        return out


def mapping_path(log: Path, columns: Path | None) -> Path | None:
    """The mapping file: ``--columns``, else ``<log name>.yaml`` beside the log if there is one."""
    if columns is not None:
        return columns
    beside = log.with_suffix(".yaml")
    return beside if beside.is_file() else None


def read_mapping(path: Path, root: str | Path | None = None) -> LogMapping:
    """Read a mapping file; every problem located as ``file:line: key: message``. The scenario it
    names must lie inside ``root`` (by default the rule of :func:`~patientflow.files.root_for`)."""
    tree = _load_tree(path)
    lines = _lines(tree)
    problems: list[Problem] = []

    def bad(key: tuple, message: str) -> None:
        problems.append(Problem(str(path), lines.get(key, 1), ".".join(map(str, key)), message))

    out = LogMapping(file=path, lines=lines)
    _check_keys(tree, bad)
    _read_names(tree, out, bad)
    if tree.get("scenario") is not None:
        try:
            out.scenario = inside(path.parent / str(tree["scenario"]), root_for(path, root))
        except FileRefused as exc:
            bad(("scenario",), f"{shown(str(tree['scenario']), PATH_SHOWN)}: {exc}")
    fmt = tree.get("format", "wide")
    if fmt not in ("wide", "long"):
        bad(("format",), f"format is wide (one row per patient) or long (one row per event), got {fmt!r}")
    out.long = fmt == "long"
    _read_sections(tree, out, bad)
    _read_values(tree, out, bad)
    _read_long(tree, out, bad)
    if problems:
        raise EventLogError(problems)
    return out


def _load_tree(path: Path):
    """The mapping file's YAML, which must be a mapping of keys."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    name = str(path)
    if not path.is_file():
        raise EventLogError([Problem(name, 1, "file", "mapping file not found")])
    try:
        text = read_text(path)
    except FileRefused as exc:
        raise EventLogError([Problem(name, 1, "file", f"cannot be read: {exc}")]) from None
    try:
        refused = yaml_problem(YAML(typ="rt", pure=True).parse(text))
        if refused:
            raise EventLogError([Problem(name, *refused)])
        tree = YAML(typ="rt", pure=True).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise EventLogError([Problem(name, mark.line + 1 if mark else 1, "yaml", str(getattr(exc, "problem", exc)))]) from None
    if not isinstance(tree, dict):
        raise EventLogError([Problem(name, 1, "file", "a mapping file is a mapping of keys such as patient, events, attributes")])
    return tree


def _check_keys(tree, bad) -> None:
    """Keys a mapping file does not have (a typo, most likely)."""
    for key in tree:
        if key not in KEYS:
            close = get_close_matches(str(key), KEYS, n=1)
            bad((key,), f"unknown key {key!r}" + (f"; did you mean {close[0]!r}?" if close else f"; expected one of {', '.join(KEYS)}"))


def _read_names(tree, out: LogMapping, bad) -> None:
    """The single columns: patient, stream, outcome (and the time format)."""
    for key in ("patient", "stream", "outcome", "time_format"):
        if tree.get(key) is not None:
            if not isinstance(tree[key], (str, int)) or isinstance(tree[key], bool):
                bad((key,), f"expected a column name, got {tree[key]!r}")
            else:
                setattr(out, key, str(tree[key]))


def _read_sections(tree, out: LogMapping, bad) -> None:
    """``events`` (a column, or a list of them, per event) and ``attributes`` (a column each)."""
    for section in ("events", "attributes"):
        value = tree.get(section) or {}
        if not isinstance(value, dict):
            bad((section,), "expected scenario names and the log columns that hold them, e.g. {triage.start: triage_time}")
            continue
        for k, v in value.items():
            if section == "events" and isinstance(v, list) and v and all(isinstance(c, (str, int)) for c in v):
                out.events[str(k)] = [str(c) for c in v]
            elif isinstance(v, (str, int)) and not isinstance(v, bool):
                (out.events if section == "events" else out.attributes)[str(k)] = [str(v)] if section == "events" else str(v)
            else:
                bad((section, str(k)), f"expected a column name{' or a list of them' if section == 'events' else ''}, got {v!r}")


def _read_values(tree, out: LogMapping, bad) -> None:
    """``values``: per attribute (or stream, outcome), log values in the scenario's words."""
    values = tree.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        bad(("values",), "expected, for each attribute, log values and the scenario's: {mode: {Walk-in: walk_in}}")
    else:
        out.values = {str(k): {_text(a): _text(b) for a, b in v.items()} for k, v in values.items()}


def _read_long(tree, out: LogMapping, bad) -> None:
    """A long log's event and time columns."""
    long = tree.get("long") or {}
    if out.long:
        if not isinstance(long, dict) or not {"event", "time"} <= set(long):
            bad(("long",), "a long log names its event and time columns: long: {event: activity, time: timestamp}")
        else:
            out.event_column, out.time_column = str(long["event"]), str(long["time"])


def default_mapping(model, columns: list[str]) -> LogMapping:
    """Columns named as the scenario names them (a ``patients.parquet`` reads as it is)."""
    present = set(columns)
    return LogMapping(
        stream="stream" if "stream" in present else None,
        outcome="outcome" if "outcome" in present else None,
        events={e: [e] for e in model.events if e in present},
        attributes={a: a for a in model.attributes if a in present})


def check_mapping(mapping: LogMapping, model, streams: list[str]) -> None:
    """Names in the mapping the scenario does not have, and values it cannot take."""
    problems: list[Problem] = []

    def bad(key: tuple, message: str) -> None:
        file, line = mapping.where(*key)
        problems.append(Problem(file or "mapping", line, ".".join(key), message))

    for name in mapping.events:
        if name not in model.events:
            bad(("events", name), f"the scenario has no event {name!r}" + _close(name, model.events)
                + f" ({EVENTS_HELP})")
    if "arrived" not in mapping.events:
        bad(("events",), "no column gives 'arrived', the first contact (call received or walk-in arrival)")
    for name in mapping.attributes:
        if name not in model.attributes:
            bad(("attributes", name), f"the scenario has no attribute {name!r}" + _close(name, model.attributes))
    known = {"stream": streams, "outcome": model.outcomes}
    known.update({a: v for a, v in zip(model.attributes, model.values)})
    for name, table in mapping.values.items():
        if name not in known:
            bad(("values", name), f"values are given for attributes, stream and outcome; the scenario has no {name!r}")
            continue
        for raw, label in table.items():
            if label not in known[name]:
                bad(("values", name, raw), f"{name} has no value {label!r} in the scenario (it has {', '.join(known[name])})")
    if problems:
        raise EventLogError(problems)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _close(name: str, known) -> str:
    close = get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _lines(tree, path: tuple = ()) -> dict[tuple, int]:
    out = {}
    if isinstance(tree, dict) and hasattr(tree, "lc"):
        for key in tree:
            position = tree.lc.key(key)
            out[(*path, str(key))] = position[0] + 1 if position else 1
            out.update(_lines(tree[key], (*path, str(key))))
    return out
