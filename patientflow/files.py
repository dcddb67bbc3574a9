"""Files from others: which files a scenario may read, and how much of any file is read.

Planners share scenario files, and a service may check files it did not write. So:

* **The root.** Every file a scenario (or an event-log mapping) names — ``extends:``, a profile
  CSV, ``empirical(file.csv)``, a mapping's ``scenario:`` — is resolved against the folder of the
  file that names it and, after symlinks, must lie inside the *root*: the current working folder
  when the file given on the command line (or to ``load_scenario``) lies inside it, else that
  file's own folder. The user widens it on purpose (``--root DIR``, ``root=``), never a file.
* **What is read.** Regular files only: no devices, FIFOs or sockets, nothing under ``/proc``,
  ``/sys`` or ``/dev`` (whose entries pretend to be regular files), and never more than a bound
  of bytes. A FIFO is opened without blocking, so it cannot hang the reader.
* **What YAML may hold.** Plain values only (no tags), nested at most :data:`MAX_DEPTH` deep,
  and at most :data:`MAX_VALUES` values once its aliases are expanded — a nine-line "billion
  laughs" file is refused before anything walks it.
* **What a message quotes.** At most a short, trimmed value (:func:`shown`), never a line of
  another file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_DEPTH = 32  # mappings and lists nested in a YAML file; a scenario needs about 8
MAX_VALUES = 200_000  # values in a YAML file with every alias expanded; a large scenario has ~3,000
MAX_YAML_BYTES = 2**20  # a large scenario is about 30 kB
MAX_TABLE_BYTES = 16 * 2**20  # a CSV of numbers (a profile, the durations of empirical(file.csv))
SHOWN = 40  # characters of a value a message may quote
PATH_SHOWN = 100  # characters of a path, as the file naming it wrote it
_REFUSED_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))
_PLAIN_TAGS = {"!", *(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq"))}


class FileRefused(ValueError):
    """A file that may not be read; the message says why and quotes nothing of the file."""


def root_for(given: str | Path, root: str | Path | None = None) -> Path:
    """The root of the file ``given`` on the command line: ``root`` when the user widened it,
    else the current folder when ``given`` lies inside it, else ``given``'s own folder."""
    if root is not None:
        return Path(root).resolve()
    here = Path.cwd().resolve()
    folder = Path(given).resolve().parent
    return here if folder.is_relative_to(here) else folder


def inside(path: str | Path, root: Path) -> Path:
    """``path`` resolved (symlinks followed), if it is a readable regular file inside ``root``;
    else :class:`FileRefused` saying why."""
    full = _not_system(Path(path))
    if not full.is_relative_to(root):
        raise FileRefused(f"it lies outside the root {root} (a file may name only files inside the root; "
                          "widen it on purpose with --root)")
    try:
        mode = full.stat().st_mode
    except FileNotFoundError:
        raise FileRefused("file not found") from None
    except OSError as exc:
        raise FileRefused(f"cannot read it ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise FileRefused("it is not a regular file (a folder, device, FIFO or socket)")
    return full


def _not_system(path: Path) -> Path:
    """``path`` resolved, unless it lies under /proc, /sys or /dev (entries that pass for files)."""
    full = path.resolve()
    if any(full.is_relative_to(tree) for tree in _REFUSED_TREES):
        raise FileRefused(f"{full.parent} holds system entries, not data files")
    return full


def read_bytes(path: str | Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, else :class:`FileRefused`.

    Opened without blocking and checked on the open descriptor, so a FIFO or device swapped in
    after a check is refused, not waited on."""
    full = Path(path)
    _not_system(full)
    try:
        fd = os.open(full, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileRefused("file not found") from None
    except OSError as exc:
        raise FileRefused(f"cannot read it ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused("it is not a regular file (a folder, device, FIFO or socket)")
        if info.st_size > limit:
            raise FileRefused(f"it holds {info.st_size / 2**20:,.1f} MiB, more than the {limit / 2**20:,.0f} MiB "
                              "such a file may hold")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(f"it holds more than the {limit / 2**20:,.0f} MiB such a file may hold")
    return data


def read_text(path: str | Path, limit: int = MAX_YAML_BYTES) -> str:
    """:func:`read_bytes` decoded as UTF-8 (a file that is not text is refused, unquoted)."""
    try:
        return read_bytes(path, limit).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRefused(f"it is not UTF-8 text (byte {exc.start:,} cannot be read)") from None


def shown(value: object, limit: int = SHOWN) -> str:
    """``repr(value)``, trimmed to about ``limit`` characters: what a message may quote."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def yaml_problem(events) -> tuple[int, str, str] | None:
    """The first reason not to build a tree from a YAML file's parser events, as ``(line, key,
    message)``: a tag, nesting deeper than :data:`MAX_DEPTH`, or more than :data:`MAX_VALUES`
    values once aliases are expanded. Read from the events, so nothing is built to find out; a
    parser error propagates to the caller, who locates it."""
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, MappingStartEvent, ScalarEvent

    sizes: dict[str, int] = {}  # anchor -> values it stands for
    open_: list[_Open] = []
    closed = 0
    for event in events:
        line = event.start_mark.line + 1 if event.start_mark else 1
        tag = getattr(event, "tag", None)
        tag = getattr(tag, "value", tag)
        if tag and not isinstance(event, AliasEvent) and str(tag) not in _PLAIN_TAGS:
            return line, _key(open_), (f"the YAML tag {str(tag).replace('tag:yaml.org,2002:', '!!')[:SHOWN]} "
                                       "is not allowed: the file holds plain values only")
        if isinstance(event, CollectionStartEvent):
            if open_:
                open_[-1].took(None)
            open_.append(_Open(event.anchor, isinstance(event, MappingStartEvent)))
            if len(open_) > MAX_DEPTH:
                return line, _key(open_), f"values are nested more than {MAX_DEPTH} deep"
            continue
        if isinstance(event, CollectionEndEvent):
            done = open_.pop()
            count, anchor = done.count, done.anchor
        elif isinstance(event, ScalarEvent):
            count, anchor = 1, event.anchor
            if open_:
                open_[-1].took(event.value)
        elif isinstance(event, AliasEvent):
            count, anchor = sizes.get(event.anchor, 1), None
            if open_:
                open_[-1].took(None)
        else:
            continue
        if anchor:
            sizes[anchor] = count
        if open_:
            open_[-1].count += count
        else:
            closed += count
        if closed + sum(o.count for o in open_) > MAX_VALUES:
            return line, _key(open_), (f"the file stands for more than {MAX_VALUES:,} values once its aliases "
                                       "(*name) are expanded")
    return None


class _Open:
    """A mapping or list the YAML parser is inside: values so far, its anchor, and (a mapping)
    the key whose value comes next."""

    def __init__(self, anchor: str | None, mapping: bool):
        self.count, self.anchor, self.mapping = 1, anchor, mapping
        self.key: str | None = None
        self.expecting_key = mapping

    def took(self, scalar: str | None) -> None:
        """A node was read inside this collection: a key, or the value of the last one."""
        if self.mapping:
            if self.expecting_key:
                self.key = scalar
            self.expecting_key = not self.expecting_key


def _key(open_: list[_Open]) -> str:
    """The dotted key of the value being read (``yaml`` where it has none)."""
    keys = [o.key[:SHOWN] for i, o in enumerate(open_)  # the innermost only once at a value: else at a key
            if o.mapping and o.key is not None and (i < len(open_) - 1 or not o.expecting_key)]
    return ".".join(keys) or "yaml"
