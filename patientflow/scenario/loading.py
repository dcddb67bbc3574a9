"""Reading scenario files: YAML with line numbers, ``extends:``, and errors a planner can locate.

A scenario file may ``extends:`` another (a path relative to itself). The parent is read first
and the child's values override it (:func:`~.merging.merge`, the one rule for variant files and for
:meth:`Scenario.with_changes` alike):

* mappings merge key by key — a roster merges shift by shift (a shift set to 0 removes it);
* lists are replaced whole, except that a pathway may be patched step by step by writing it as
  a mapping of step names;
* a resource has a ``count``, a ``roster`` or a ``fleet`` (and a fleet's station a ``count`` or a
  ``roster``): setting one replaces the other.

::

    extends: baseline.yaml
    resources:
      triage_nurse: {roster: {"07:00-19:00": 3, "19:00-07:00": 2}}
    pathways:
      ed: {triage: {takes: exponential(4min)}}     # only this step's duration changes

Every value remembers the file and line it came from, so each error names them. Files are read
by the rules of :mod:`patientflow.files`: every file a scenario names (``extends:``, a profile, an
``empirical(file.csv)``, ``places.zones``, a ``travel.matrix``) lies inside the scenario's root; YAML holds plain values only (tags such as
``!!python/object`` are refused, never constructed), nested a bounded depth, with a bounded number
of values once aliases are expanded.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Mapping

from ..distributions import empirical_file
from ..errors import PartError, Problem, ScenarioError, plain_message
from ..files import PATH_SHOWN, FileRefused, inside, read_text, root_for, shown, yaml_problem
from .merging import CHANGES, Path_, changes_tree, key_paths, merge, translate, unknown_steps

Location = tuple[str, int]  # (file, line)
PROFILE_KEYS = ("by_hour", "by_weekday", "by_week", "wait_until")  # a text value here names a file
FILE_KEYS = (("places", "zones"), ("travel", "matrix"), ("travel", "matrix", "*"))  # and here (a band's matrix)
LARGEST_WHOLE = 10**15  # beyond this, no whole number in a scenario means anything


class _Source:
    """One file's plain tree, the line of every key in it, and the files it references."""

    def __init__(self, path: Path, root: Path):
        self.path = path
        self.root = root
        self.locations: dict[Path_, Location] = {}
        self.problems: list[Problem] = []
        self.data: Any = None
        self.references: list[Path] = []

    def read(self) -> None:
        from ruamel.yaml import YAML
        from ruamel.yaml.error import MarkedYAMLError, YAMLError

        name = str(self.path)
        try:
            text = read_text(self.path)
        except FileRefused as exc:
            self.problems.append(Problem(name, 1, "file", f"cannot be read: {exc}"))
            return
        try:
            events = list(YAML(typ="rt", pure=True).parse(text))  # one pass of the parser serves three checks
            refused = yaml_problem(events)
            if refused:
                self.problems.append(Problem(name, *refused))
                return
            line = _collection_key_line(events)
            if line:
                self.problems.append(Problem(name, line, "yaml", "a key must be a name, not a { } mapping or a [ ] list "
                                             "(is a ':' or ',' out of place?)"))
                return
            tree = YAML(typ="rt", pure=True).load(_quote_calls(text, events))
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            message = f"{exc.problem or exc}".strip()
            if message.startswith("found duplicate key"):  # not the whole value it holds
                message = message.split(" with value ")[0] + "; a key may appear once in a mapping"
            self.problems.append(Problem(name, line, "yaml", message))
            return
        except YAMLError as exc:
            self.problems.append(Problem(name, 1, "yaml", str(exc).splitlines()[0]))
            return
        if tree is None:
            tree = {}
        if not isinstance(tree, dict):
            self.problems.append(Problem(name, 1, "file", "a scenario file is a mapping of keys such as name, demand, pathways"))
            return
        self.data = self._plain(tree, (), 1)

    def _plain(self, node: Any, path: Path_, line: int) -> Any:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        if isinstance(node, CommentedMap):
            out = {}
            for key, value in node.items():
                key_line = _line(node.lc.key(key), line)
                sub = (*path, key)
                self.locations[sub] = (str(self.path), key_line)
                out[key] = self._plain(value, sub, key_line)
            return out
        if isinstance(node, CommentedSeq):
            out_list = []
            for i, value in enumerate(node):
                item_line = _line(node.lc.item(i), line)
                sub = (*path, i)
                self.locations[sub] = (str(self.path), item_line)
                out_list.append(self._plain(value, sub, item_line))
            return out_list
        if isinstance(node, str):
            return self._resolve_file(str(node), path, line)
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, int) and abs(node) > LARGEST_WHOLE:
            return self._refuse(path, line, f"{shown(node)} is too large to mean anything here")
        if hasattr(node, "real"):
            value = float(node) if not isinstance(node, int) else node  # ruamel's ScalarFloat and the like
            if not math.isfinite(value):
                return self._refuse(path, line, f"{shown(node)} is not a finite number"
                                    + (" (write inf as the word inf where a count may be unlimited)" if value == math.inf else ""))
            return value
        return node

    def _refuse(self, path: Path_, line: int, message: str) -> None:
        self.problems.append(Problem(str(self.path), line, _key(path), message))
        return None

    def _resolve_file(self, text: str, path: Path_, line: int) -> str:
        """A value that names a file (a profile, ``empirical(file.csv)``), made absolute against the
        folder of this file, if it lies inside the root; the value unchanged if it names none."""
        key = next((p for p in reversed(path) if isinstance(p, str)), None)
        names_file = (key in PROFILE_KEYS and path and path[-1] == key) or names_a_file(path)
        named = text.strip() if names_file else empirical_file(text)
        if named is None:
            return text
        try:
            full = inside(self.path.parent / named, self.root)
        except FileRefused as exc:
            return self._refuse(path, line, f"{shown(named, PATH_SHOWN)}: {exc}")
        self.references.append(full)
        return text.replace(named, str(full), 1) if named != text.strip() else str(full)


def names_a_file(path: Path_) -> bool:
    """Whether a text value at ``path`` names a file by its place in the scenario (a zones CSV,
    a travel matrix), as a profile's does (:data:`PROFILE_KEYS`)."""
    return any(len(path) == len(keys) and all(k == p or (k == "*" and isinstance(p, str)) for k, p in zip(keys, path))
               for keys in FILE_KEYS)


def _line(position: Any, default: int) -> int:
    """A 1-based line from ruamel's ``(line, column)``, which some nodes lack."""
    return position[0] + 1 if position else default


def _collection_key_line(events: list) -> int | None:
    """The line of the first mapping key written as a mapping or a list (YAML allows it; a
    scenario cannot use it), or None."""
    from ruamel.yaml.events import (CollectionEndEvent, CollectionStartEvent, MappingStartEvent, NodeEvent)

    expecting_key: list[bool | None] = []  # per open collection: None for a list, else key next?
    for event in events:
        if isinstance(event, CollectionEndEvent):
            expecting_key.pop()
            continue
        if not isinstance(event, NodeEvent):
            continue
        if expecting_key and expecting_key[-1] is not None:
            if expecting_key[-1] and isinstance(event, CollectionStartEvent):
                return event.start_mark.line + 1
            expecting_key[-1] = not expecting_key[-1]
        if isinstance(event, CollectionStartEvent):
            expecting_key.append(True if isinstance(event, MappingStartEvent) else None)
    return None


def _quote_calls(text: str, events: list) -> str:
    """Quote plain ``name(a, b)`` values that YAML would split at their commas.

    Inside ``{ }`` or ``[ ]`` a comma ends a plain value, so ``{takes: lognormal(mean 5min,
    sd 1min)}`` would read as two keys. A plain value that opens more brackets than it closes is
    joined with the values that follow until they balance, and the whole is quoted. Only quote
    characters are added: every line keeps its number."""
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent, ScalarEvent

    spans = []
    flow: list[bool] = []  # for each open collection, whether it is written in { } or [ ]
    open_from, depth = None, 0
    for event in events:
        if isinstance(event, CollectionStartEvent):
            flow.append(bool(event.flow_style))
        elif isinstance(event, CollectionEndEvent):
            flow.pop()
        plain = isinstance(event, ScalarEvent) and event.style is None
        if not plain:
            open_from, depth = None, 0
            continue
        change = event.value.count("(") - event.value.count(")")
        if open_from is None:
            if change > 0 and flow and flow[-1]:
                open_from, depth = event.start_mark.index, change
            continue
        depth += change
        if depth <= 0:
            if depth == 0:
                spans.append((open_from, event.end_mark.index))
            open_from, depth = None, 0
    for start, end in reversed(spans):
        inner = text[start:end]
        if '"' in inner or "\\" in inner or "#" in inner:
            continue
        text = f'{text[:start]}"{inner}"{text[end:]}'
    return text


def _key(path: Path_) -> str:
    return ".".join(str(p) for p in path) if path else "file"


def with_changes(located: "Located", changes: Mapping[str, Any]) -> "Located":
    """``located`` with ``changes`` merged in by the rule of variant files (:func:`merge`); the
    changed keys are located at :data:`CHANGES`, so a problem in them points at the call."""
    over = changes_tree(changes)
    unknown: list[Path_] = []
    data = merge(located.data, over, (), unknown)
    problems = [Problem(CHANGES, 0, _key(sub), message) for sub, message in unknown_steps(located.data, unknown)]
    if problems:
        raise ScenarioError(problems)
    locations = dict(located.locations)
    for sub in key_paths(over):
        if len(sub) > 1 or sub not in locations:
            locations[translate(sub, data)] = (CHANGES, 0)
    return Located(data, locations, located.files, located.main)


class Located:
    """The merged tree of a scenario with the file and line of every key in it."""

    def __init__(self, data: dict, locations: dict[Path_, Location], files: list[Path], main: Path):
        self.data = data
        self.locations = locations
        self.files = files
        self.main = main

    def where(self, path: Path_) -> Location:
        """The location of ``path``, or of its nearest located parent."""
        path = tuple(path)
        while path:
            if path in self.locations:
                return self.locations[path]
            path = path[:-1]
        return (str(self.main), 1)

    def problem(self, path: Path_, message: str, severity: str = "error") -> Problem:
        file, line = self.where(path)
        return Problem(file, line, _key(path), message, severity)


def read_located(path: str | Path, root: str | Path | None = None) -> Located:
    """Read a scenario file and every file it ``extends``, merged, with locations; every file it
    names must lie inside ``root`` (see :func:`~patientflow.files.root_for`)."""
    path = Path(path)
    root = root_for(path, root)
    chain: list[_Source] = []
    seen: list[Path] = []
    problems: list[Problem] = []
    current: Path | None = path
    child: _Source | None = None
    while current is not None:
        resolved = current.resolve()
        if resolved in seen:
            cycle = " -> ".join(p.name for p in [*seen, resolved])
            problems.append(Problem(str(child.path), child.locations.get(("extends",), ("", 1))[1],
                                    "extends", f"extends makes a cycle: {cycle}"))
            break
        seen.append(resolved)
        if child is None and not current.is_file():
            raise ScenarioError([Problem(str(current), 1, "file", "scenario file not found")])
        if child is not None:
            refused = _parent_problem(child, current, root)
            if refused:
                problems.append(refused)
                break
        source = _Source(current, root)
        source.read()
        problems.extend(source.problems)
        if source.data is None:
            break
        chain.append(source)
        parent = source.data.get("extends")
        if parent is not None and not isinstance(parent, str):
            problems.append(Problem(str(current), source.locations.get(("extends",), ("", 1))[1],
                                    "extends", "extends names one scenario file"))
            parent = None
        current = (current.parent / parent) if parent else None
        child = source
    if problems:
        raise ScenarioError(problems)
    data: Any = {}
    locations: dict[Path_, Location] = {}
    for source in reversed(chain):  # the furthest parent first
        unknown: list[Path_] = []
        merged = merge(data, source.data, (), unknown)
        problems += [Problem(str(source.path), source.locations.get(sub, (None, 1))[1], _key(sub), message)
                     for sub, message in unknown_steps(data, unknown)]
        for sub, loc in source.locations.items():
            locations[translate(sub, merged)] = loc
        data = merged
    if problems:
        raise ScenarioError(problems)
    data.pop("extends", None)
    files = [s.path for s in chain] + [r for s in chain for r in s.references]
    return Located(data, locations, files, path)


def _parent_problem(child: _Source, parent: Path, root: Path) -> Problem | None:
    """Why the file ``child`` extends may not be read (outside the root, not a regular file,
    missing), located at its ``extends:`` line; None when it may."""
    line = child.locations.get(("extends",), ("", 1))[1]
    try:
        inside(parent, root)
    except FileRefused as exc:
        named = shown(child.data.get("extends"), PATH_SHOWN)
        if str(exc) == "file not found":
            return Problem(str(child.path), line, "extends", f"file not found: {parent} (the path is relative to {child.path.name})")
        return Problem(str(child.path), line, "extends", f"{named}: {exc}")
    return None


def scenario_hash(located: Located) -> str:
    """A fingerprint of what a scenario says: its merged values and the files they reference."""
    digest = hashlib.sha256(json.dumps(_text_keys(located.data), sort_keys=True, default=str).encode())
    for ref in sorted({str(p) for p in located.files[1:]}):
        p = Path(ref)
        digest.update(p.read_bytes() if p.is_file() else b"")
    return digest.hexdigest()[:16]


def _text_keys(value: Any) -> Any:
    """Keys as JSON writes them, so that a mapping mixing kinds of keys (``{by: acuity, 1: 8min}``)
    can be sorted."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else json.dumps(k, default=str): _text_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text_keys(v) for v in value]
    return value


def pydantic_problems(located: Located, error: Any, model_fields: Mapping[tuple, list[str]]) -> list[Problem]:
    """Translate a pydantic ``ValidationError`` into located problems with hints."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith(("function-", "union["))) and p not in (
            "Distribution", "ByAttribute", "Mix", "float", "int", "str", "tuple[float, ...]", "constrained-str", "[key]",
            "[file]", "[inline]"))
        error = (item.get("ctx") or {}).get("error")
        if isinstance(error, PartError):
            loc = (*loc, *error.parts)
            message = str(error)
        else:
            message = plain_message(item, model_fields.get(_shape(loc[:-1]), []))
        problems.append(located.problem(loc, message))
    return problems


def _shape(loc: tuple) -> tuple:
    """A location's shape for looking up the keys its model knows (names become ``*``)."""
    shape: list = []
    top = {"demand": 1, "resources": 1, "moments": 1, "stages": 1, "events": 1}
    named = {("resources", "*", "fleet"), ("places", "zones")}  # their keys are names too
    parts = list(loc)
    i = 0
    while i < len(parts):
        part = parts[i]
        shape.append(part)
        if tuple(shape) in named and i + 1 < len(parts):
            shape.append("*")
            i += 1
        elif part in top and len(shape) == 1:
            if i + 1 < len(parts):
                shape.append("*")
                i += 1
        elif part == "pathways" and len(shape) == 1:
            if i + 3 < len(parts):
                shape.extend(["*", "*", "*"])
                i += 3
            else:
                return tuple(shape + ["*"] * (len(parts) - i - 1))
        i += 1
    return tuple(shape)
