"""Places: the zones patients call from, the stations a fleet's units start from, the hospitals
they take patients to.

Coordinates are km on a flat map (``[x, y]``, x east, y north). A place's name is unique across
zones, stations and hospitals; the network lists them in that order (zones, stations, hospitals),
each kind as written::

    places:
      zones: zones.csv        # name, x_km, y_km, share (and share_<attribute>_<value> columns)
      # or inline: zones: {old_town: {at: [2.0, 3.5], share: 0.2}, docks: {at: [3.1, 4.0], share: 0.8}}
      stations: {north: [12.0, 30.5], docks_station: [3.2, 4.1]}
      hospitals: {county: [10.1, 22.0]}

Zones give demand its geography. ``zone`` is an ordinary attribute whose values are the zone
names, in order (moments may group ``by: zone``). A zone's ``share`` is the share of a stream's
patients who call from it; the shares of the zones sum to 1. Shares may depend on an attribute:
a column ``share_<attribute>_<value>`` (``share_category_1``) gives the spread over zones of the
patients with that value, the column ``share`` that of the rest (inline: ``share: {by: category,
1: 0.1, other: 0.12}``). Every stream that can reach a travel step is given a ``zone`` from these
shares, unless it gives ``zone`` itself (``mix: {zone: ...}`` or ``set: {zone: ...}``).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import BaseModel, BeforeValidator, Discriminator, Field, Tag, WithJsonSchema, model_validator

from ..errors import Problem, hint
from ..files import MAX_TABLE_BYTES, PATH_SHOWN, FileRefused, read_text, shown
from ..model import HOSPITAL, STATION, ZONE, Place
from .values import SHARE_JSON, STRICT, BY_JSON, ByAttribute, Name, by_attribute, parse_share

MOST_KM = 20_000.0  # a coordinate beyond this is off the planet
ZONE_COLUMNS = ("name", "x_km", "y_km")
SHARE_COLUMN = "share"
SUM_TOLERANCE = 1e-6  # shares summing this close to 1 sum to 1
MOST_ROW_PROBLEMS = 10  # problems listed per CSV file
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_point(value: Any) -> tuple[float, float]:
    """``[x, y]`` in km: two finite numbers."""
    if not isinstance(value, (list, tuple)) or len(value) != 2 or any(
            isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) for v in value):
        raise ValueError(f"expected coordinates [x, y] in km, such as [12.0, 30.5], got {shown(value)}")
    if max(abs(v) for v in value) > MOST_KM:
        raise ValueError(f"coordinates are km on a map of a region: {shown(value)} is too far out")
    return float(value[0]), float(value[1])


Point = Annotated[tuple[float, float], BeforeValidator(parse_point), WithJsonSchema(
    {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2, "description": "[x, y] in km"})]
ShareOrBy = Annotated[Union[float, ByAttribute], by_attribute(parse_share), WithJsonSchema({"anyOf": [SHARE_JSON, BY_JSON]})]


class ZoneSpec(BaseModel):
    """A zone written inline: where it is and the share of calls from it."""

    model_config = STRICT
    at: Point
    share: ShareOrBy | None = None
    description: str = ""


def _zones_kind(value: Any) -> str:
    return "[file]" if isinstance(value, str) else "[inline]"


ZonesField = Annotated[Union[Annotated[str, Tag("[file]")], Annotated[dict[Name, ZoneSpec], Tag("[inline]")]],
                       Discriminator(_zones_kind), Field(description="a CSV file (name, x_km, y_km, share, "
                                                         "share_<attribute>_<value>) or {name: {at: [x, y], share: ...}}")]


class PlacesSpec(BaseModel):
    """``places:``: zones (a CSV or inline), stations and hospitals by name, coordinates in km."""

    model_config = STRICT
    zones: ZonesField
    stations: dict[Name, Point] = {}
    hospitals: dict[Name, Point] = {}

    @model_validator(mode="after")
    def _some_zones(self) -> "PlacesSpec":
        if isinstance(self.zones, dict) and not self.zones:
            raise ValueError("give at least one zone")
        return self


# ---------------------------------------------------------------- the places read
@dataclass
class Zones:
    """The zones as read: names, coordinates, and shares per value of ``by`` (``None``: the rest,
    or everyone when ``by`` is None); ``shares`` empty when no zone has a share."""

    names: list[str]
    at: list[tuple[float, float]]
    by: str | None = None
    shares: dict[str | None, list[float]] = field(default_factory=dict)


@dataclass
class Places:
    """Every place of the network in its order (zones, stations, hospitals), and the zones' shares."""

    places: list[Place]
    zones: Zones
    complete: bool = True  # read without a problem (else what depends on them is not checked)

    def names(self, kind: str | None = None) -> list[str]:
        return [p.name for p in self.places if kind is None or p.kind == kind]

    def index(self, name: str) -> int:
        return next(i for i, p in enumerate(self.places) if p.name == name)


def read_table(path: str) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """A CSV's header (lower case, trimmed) with its line, and its rows with their lines; blank
    lines and ``#`` comments skipped. :class:`FileRefused` for a file that may not be read, or
    ``ValueError`` for one that is not a CSV."""
    text = read_text(path, MAX_TABLE_BYTES)
    header: tuple[int, list[str]] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for line, row in enumerate(csv.reader(text.splitlines()), start=1):
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            cells = [c.strip() for c in row]
            if header is None:
                header = (line, [c.lower() for c in cells])
            else:
                rows.append((line, cells))
    except csv.Error as exc:
        raise ValueError(f"it is not a CSV file ({str(exc)[:60]})") from None
    if header is None:
        raise ValueError("it is empty: it needs a header line and a row per entry")
    return header[0], header[1], rows


def table_rows(header: list[str], rows: list[tuple[int, list[str]]], bad):
    """Each row of :func:`read_table` with as many values as the header names, as ``(line,
    {column: value})``; ``bad`` hears of every other row."""
    for line, cells in rows:
        if len(cells) != len(header):
            bad(line, "row", f"{len(cells)} value{'s' * (len(cells) != 1)}, the header names {len(header)} columns "
                                "(values are separated by commas)")
            continue
        yield line, dict(zip(header, cells))


def row_reporter(c, path: str):
    """``bad(line, column, message)``: a problem at a line of the CSV ``path``, reported to ``c``;
    after :data:`MOST_ROW_PROBLEMS` of them, one more says the rest are not listed."""
    count = 0

    def bad(line: int, key: str, message: str) -> None:
        nonlocal count
        count += 1
        if count <= MOST_ROW_PROBLEMS:
            c.problems.append(Problem(shown_file, line, key, message))
        elif count == MOST_ROW_PROBLEMS + 1:
            c.problems.append(Problem(shown_file, line, key, f"and more problems from here on (the first {MOST_ROW_PROBLEMS} are listed)"))
    shown_file = file_shown(path)
    return bad


def file_shown(path: str) -> str:
    """A file as a problem names it: relative to the current folder when it lies inside it."""
    full, here = Path(path), Path.cwd().resolve()
    return str(full.relative_to(here)) if full.is_relative_to(here) else str(full)


def read_places(c) -> Places | None:
    """The scenario's places (None when it gives none), every problem reported to ``c`` (the
    :class:`~.compiling.Compiler`); the ``zone`` attribute gets the zone names as its values, in
    order, and ``site`` (if given) its hospitals' order."""
    spec = c.spec.places
    if spec is None:
        return None
    before = len(c.problems)
    zones = _inline_zones(c, spec.zones) if isinstance(spec.zones, dict) else _zone_file(c, spec.zones)
    if zones is None:
        return None
    places = [Place(n, ZONE, x, y) for n, (x, y) in zip(zones.names, zones.at)]
    seen = {n: ZONE for n in zones.names}
    for kind, group, key in ((STATION, spec.stations, "stations"), (HOSPITAL, spec.hospitals, "hospitals")):
        for name, (x, y) in group.items():
            if name in seen:
                c.error(("places", key, name), f"{name!r} is a {seen[name]} already: a place's name is unique "
                                               "across zones, stations and hospitals")
                continue
            seen[name] = kind
            places.append(Place(name, kind, x, y))
    order_values(c, "zone", zones.names, "zone")
    order_values(c, "site", list(spec.hospitals), "hospital")
    return Places(places, zones, len(c.problems) == before)


def order_values(c, attribute: str, names: list[str], what: str) -> None:
    """Make ``attribute``'s values ``names`` in order (adding it if no stream or step gives it and
    it is ``zone``); a value given that is no such place is an error where it is given."""
    if attribute not in c.attributes:
        if attribute != "zone":
            return
        c.attribute(attribute)
    a = c.attributes.index(attribute)
    extra = [v for v in c.values[a] if v not in names]
    for path, label in given_labels(c.spec, attribute):
        if label in extra:
            c.error(path, f"{label!r} is not a {what} of places" + hint(label, names, f"{what}s"))
    c.values[a] = [*names, *extra]


def given_labels(spec, attribute: str) -> list[tuple[tuple, str]]:
    """Where the scenario gives ``attribute`` a value, and the value: streams' ``set`` and
    ``mix``, steps' ``assign``."""
    out = []
    for name, stream in spec.demand.items():
        if attribute in stream.set:
            out.append((("demand", name, "set", attribute), stream.set[attribute]))
        if attribute in stream.mix:
            out += [(("demand", name, "mix", attribute), v) for v in mix_labels(stream.mix[attribute])]
    for pathway, items in spec.pathways.items():
        for position, item in enumerate(items):
            for step, s in item.items():
                if attribute in s.assign:
                    out += [(("pathways", pathway, position, step, "assign", attribute), v)
                            for v in mix_labels(s.assign[attribute])]
    return out


def mix_labels(mix) -> list[str]:
    """The values a mix (or a mix by attribute) can give."""
    mixes = [*mix.cases.values(), *([mix.other] if mix.other else [])] if isinstance(mix, ByAttribute) else [mix]
    return list(dict.fromkeys(v for m in mixes for v in m.values))


def _inline_zones(c, given: dict) -> Zones:
    zones = Zones(list(given), [z.at for z in given.values()])
    written = {name: z.share for name, z in given.items() if z.share is not None}
    if not written:
        return zones
    missing = [n for n in given if n not in written]
    if missing:
        c.error(("places", "zones", missing[0]), "give every zone a share, or none (then each stream gives mix: {zone: ...})")
        return zones
    bys = {s.by for s in written.values() if isinstance(s, ByAttribute)}
    if len(bys) > 1:
        c.error(("places", "zones"), f"zone shares depend on one attribute at most, found {', '.join(sorted(bys))}")
        return zones
    zones.by = next(iter(bys), None)
    values = sorted({v for s in written.values() if isinstance(s, ByAttribute) for v in s.cases})
    keys: list[str | None] = [*values, *([None] if zones.by is None or any(
        not isinstance(s, ByAttribute) or s.other is not None for s in written.values()) else [])]
    for key in keys:
        shares = []
        for name, share in written.items():
            value = share.for_value(key) if isinstance(share, ByAttribute) else share
            if value is None:
                c.error(("places", "zones", name, "share"), f"no share for {zones.by} = {key}: give it or 'other'"
                        if key is not None else "no share for the rest ('other'): give other, or every value")
                return zones
            shares.append(value)
        zones.shares[key] = shares
        if abs(sum(shares) - 1) > SUM_TOLERANCE:
            label = "the zones' shares" + (f" for {zones.by} = {key}" if key is not None else "")
            c.error(("places", "zones"), f"{label} sum to {sum(shares):.6g}, not 1")
    return zones


def _zone_file(c, path: str) -> Zones | None:
    try:
        line0, header, rows = read_table(path)
    except (FileRefused, ValueError) as exc:
        c.error(("places", "zones"), f"{shown(Path(path).name, PATH_SHOWN)}: {exc}")
        return None
    bad = row_reporter(c, path)
    missing = [col for col in ZONE_COLUMNS if col not in header]
    if missing:
        bad(line0, missing[0], f"the zones file needs the columns {', '.join(ZONE_COLUMNS)} "
                               f"(and share, or share_<attribute>_<value>); it has {shown(', '.join(header), 80)}")
        return None
    by, share_cols = _share_columns(c, header, line0, bad)
    zones = Zones([], [], by)
    shares: dict[str | None, list[float]] = {key: [] for key in share_cols.values()}
    for line, row in table_rows(header, rows, bad):
        name = row["name"]
        if not NAME.match(name):
            bad(line, "name", f"names use letters, digits and _ and start with a letter, got {shown(name)}")
            continue
        if name in zones.names:
            bad(line, "name", f"zone {name!r} again (a zone is one row)")
            continue
        point = _number_cells(row, ("x_km", "y_km"), line, bad)
        found = {key: _share_cell(row[col], col, line, bad) for col, key in share_cols.items()}
        if point is None or any(v is None for v in found.values()):
            continue
        zones.names.append(name)
        zones.at.append(point)
        for key, value in found.items():
            shares[key].append(value)
    if not zones.names:
        bad(line0, "file", "no zones: give a row per zone")
        return None
    if len(zones.names) < len(rows):
        return zones  # the shares of the rows read do not tell
    for col, key in share_cols.items():
        total = sum(shares[key])
        if abs(total - 1) > SUM_TOLERANCE:
            bad(line0, col, f"the zones' shares in column {col} sum to {total:.6g}, not 1")
    zones.shares = shares
    return zones


def _share_columns(c, header: list[str], line0: int, bad) -> tuple[str | None, dict[str, str | None]]:
    """The attribute zone shares vary by (None: none) and, per share column, its value (None: the
    plain ``share`` column)."""
    by, out = None, {}
    known = [*ZONE_COLUMNS, SHARE_COLUMN, "description"]
    for col in header:
        if col in known:
            if col == SHARE_COLUMN:
                out[col] = None
            continue
        if not col.startswith(SHARE_COLUMN + "_"):
            bad(line0, col or "column", f"unknown column {shown(col)}" + hint(col, known, "columns")
                + " (or share_<attribute>_<value>)")
            continue
        rest = col[len(SHARE_COLUMN) + 1:]
        attr = max((a for a in c.attributes if rest.startswith(a + "_") and len(rest) > len(a) + 1), key=len, default=None)
        if attr is None:
            bad(line0, col, f"share columns read share_<attribute>_<value>: no stream or step gives an attribute "
                            f"{rest.rsplit('_', 1)[0]!r}" + hint(rest.rsplit("_", 1)[0], [a for a in c.attributes if a != "zone"], "attributes"))
            continue
        if by is not None and attr != by:
            bad(line0, col, f"zone shares depend on one attribute at most: {by} and {attr} both have columns")
            continue
        by, out[col] = attr, rest[len(attr) + 1:]
    return by, out


def _number_cells(row: dict, columns, line: int, bad) -> tuple[float, ...] | None:
    out = []
    for col in columns:
        try:
            value = float(row[col])
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or abs(value) > MOST_KM:
            bad(line, col, f"expected km, a finite number, got {shown(row[col])}")
            return None
        out.append(value)
    return tuple(out)


def _share_cell(text: str, col: str, line: int, bad) -> float | None:
    try:
        return parse_share(float(text) if text and not text.endswith("%") else text)
    except ValueError:
        bad(line, col, f"expected a share such as 0.25 or 25%, got {shown(text)}")
        return None
