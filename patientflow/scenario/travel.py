"""Travel: the minutes from one place to another, by time band of the day.

::

    travel:
      matrix: travel.csv                        # from, to, minutes: the whole day (one band, 'all')
      # or a matrix per band of the day, the band chosen when a trip departs:
      # matrix: {"07:00-10:00": peak.csv, "16:00-19:00": peak.csv, other: offpeak.csv}
      # or no matrix: speed: 50km/h, detour: 1.35 (straight-line km × detour ÷ speed)
      variability: lognormal(mean 1, sd 0.25)   # a multiplier drawn per trip (optional)

Bands are written ``"HH:MM-HH:MM"`` as roster shifts are (one that ends at or before it starts
runs past midnight); they may not overlap, and ``other`` covers the minutes no band does (without
it, every minute of the day needs a band). A matrix CSV has the columns ``from``, ``to`` and
``minutes`` (a number of minutes, or a duration with a unit: ``90s``, ``0.2h``); ``inf`` or
``none`` means no road. A place to itself is 0 minutes away.

Every band's matrix gives the trips a unit can make: station → zone, zone → zone and hospital →
zone (a unit is sent on from where it is; no road there: it is not sent from there), zone →
hospital, and the way back, zone → station and hospital → station (these three must be roads).
Other pairs (station → station, ...) are no road unless given.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema, model_validator

from ..clock import MINUTES_PER_DAY
from ..distributions import parse_duration
from ..errors import PartError, hint
from ..files import PATH_SHOWN, FileRefused, shown
from ..model import HOSPITAL, STATION, ZONE, Travel
from .places import Places, read_table, table_rows, row_reporter
from .roster import parse_shift, shift_minutes
from .values import STRICT, Dist

OTHER = "other"  # the band of the minutes no band covers
ALL_DAY = "all"  # the band of a single matrix, or of travel from speed
MOST_SPEED = 300.0  # km/h
MOST_DETOUR = 5.0
MATRIX_COLUMNS = ("from", "to", "minutes")
NO_ROAD = ("inf", "none")
SHOWN_PAIRS = 4  # missing pairs a message lists
_BAND = re.compile(r"^\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*$")
_SPEED = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(km/h|kmh|kph)?\s*$", re.I)


@dataclass(frozen=True)
class Band:
    """A band of the day and its matrix file: from ``start`` for ``length`` minutes (``start``
    None: ``other``, or the whole day for a single matrix)."""

    label: str
    start: int | None
    length: int
    file: str


def parse_band(label: Any) -> tuple[int, int]:
    """``"07:00-10:00"`` as (start, length) in minutes of the day."""
    text = str(label)
    if not _BAND.match(text):
        raise ValueError(f"{shown(text)} is not a band of the day: write 'HH:MM-HH:MM' (the same every day), or other")
    shift = parse_shift((text, 1))
    return shift.start, shift_minutes(shift)


def parse_matrix(value: Any) -> tuple[Band, ...]:
    """A matrix file, or band labels mapped to matrix files, as bands (checked: no overlaps, and
    every minute covered)."""
    if isinstance(value, str):
        return (Band(ALL_DAY, None, MINUTES_PER_DAY, value),)
    if not isinstance(value, dict) or not value:
        raise ValueError('expected a CSV file, or bands mapped to files: {"07:00-10:00": peak.csv, other: offpeak.csv}')
    bands, owner = [], np.full(MINUTES_PER_DAY, -1)
    for label, file in value.items():
        if not isinstance(file, str):
            raise PartError(f"expected a CSV file of from, to, minutes, got {shown(file)}", label)
        if str(label) == OTHER:
            bands.append(Band(OTHER, None, 0, file))
            continue
        try:
            start, length = parse_band(label)
        except ValueError as exc:
            raise PartError(str(exc), label) from None
        minutes = np.arange(start, start + length) % MINUTES_PER_DAY
        taken = owner[minutes]
        if (taken >= 0).any():
            first = int(minutes[np.argmax(taken >= 0)])
            raise PartError(f"{label} overlaps {bands[int(taken.max())].label} (at {first // 60:02d}:{first % 60:02d}): "
                            "bands may not overlap", label)
        owner[minutes] = len(bands)
        bands.append(Band(str(label), start, length, file))
    if (owner < 0).any() and not any(b.label == OTHER for b in bands):
        first = int(np.argmax(owner < 0))
        raise ValueError(f"no band covers {first // 60:02d}:{first % 60:02d}: add a band for it, or other: FILE for "
                         "the rest of the day")
    return tuple(bands)


def parse_speed(value: Any) -> float:
    """``50km/h`` (or a bare number of km/h) as km/h."""
    match = _SPEED.match(str(value)) if not isinstance(value, bool) and isinstance(value, (int, float, str)) else None
    if not match:
        raise ValueError(f"expected a speed such as 50km/h, got {shown(value)}")
    speed = float(match.group(1))
    if not 0 < speed <= MOST_SPEED:
        raise ValueError(f"a speed is more than 0 and at most {MOST_SPEED:g} km/h, got {shown(value)}")
    return speed


MATRIX_JSON = {"anyOf": [{"type": "string", "description": "a CSV file: from, to, minutes"},
                         {"type": "object", "additionalProperties": {"type": "string"},
                          "description": 'a CSV file per band of the day: {"07:00-10:00": peak.csv, other: offpeak.csv}'}]}


class TravelSpec(BaseModel):
    """``travel:``: a matrix (or one per band of the day), or a speed over straight lines."""

    model_config = STRICT
    matrix: Annotated[tuple[Band, ...], BeforeValidator(parse_matrix), WithJsonSchema(MATRIX_JSON)] | None = None
    speed: Annotated[float, BeforeValidator(parse_speed), WithJsonSchema(
        {"type": ["number", "string"], "description": "km/h over the straight line × detour: 50km/h"})] | None = None
    detour: float = Field(1.0, ge=1, le=MOST_DETOUR, allow_inf_nan=False)
    variability: Dist | None = None

    @model_validator(mode="after")
    def _matrix_or_speed(self) -> "TravelSpec":
        if (self.matrix is None) == (self.speed is None):
            raise ValueError("give either matrix (CSV files of from, to, minutes) or speed (such as 50km/h)")
        if self.matrix is not None and self.detour != 1.0:
            raise ValueError("detour stretches straight lines driven at speed: a matrix gives its minutes itself")
        return self


# ---------------------------------------------------------------- compiling
def band_by_minute(bands: tuple[Band, ...]) -> np.ndarray:
    """The band of each minute of the day (1,440 values)."""
    out = np.full(MINUTES_PER_DAY, next((i for i, b in enumerate(bands) if b.start is None), 0), dtype=np.int64)
    for i, band in enumerate(bands):
        if band.start is not None:
            out[np.arange(band.start, band.start + band.length) % MINUTES_PER_DAY] = i
    return out


def compile_travel(c, places: Places) -> Travel | None:
    """The travel matrices of the scenario's ``travel:``, every problem reported to ``c``."""
    spec = c.spec.travel
    if spec is None:
        c.error(("places",), "places need travel: give travel.matrix (CSV files of from, to, minutes) or travel.speed")
        return None
    n = len(places.places)
    if spec.speed is not None:
        xy = np.array([(p.x, p.y) for p in places.places])
        km = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        return Travel((km * spec.detour / spec.speed * 60)[None], [ALL_DAY], np.zeros(MINUTES_PER_DAY, dtype=np.int64),
                      spec.variability)
    read: dict[str, np.ndarray | None] = {}
    minutes = np.zeros((len(spec.matrix), n, n))
    ok = True
    for b, band in enumerate(spec.matrix):
        key = ("travel", "matrix") if band.label == ALL_DAY else ("travel", "matrix", band.label)
        if band.file not in read:
            read[band.file] = read_matrix(c, band.file, key, places)
            if read[band.file] is not None:
                ok &= check_pairs(c, read[band.file], band, key, places)
        if read[band.file] is None:
            ok = False
        else:
            minutes[b] = read[band.file]
    if not ok:
        return None
    return Travel(minutes, [b.label for b in spec.matrix], band_by_minute(spec.matrix), spec.variability)


def read_matrix(c, path: str, key: tuple, places: Places) -> np.ndarray | None:
    """The minutes a matrix CSV gives (NaN: not given), each bad row reported at its line."""
    names = places.names()
    try:
        line0, header, rows = read_table(path)
    except (FileRefused, ValueError) as exc:
        c.error(key, f"{shown(Path(path).name, PATH_SHOWN)}: {exc}")
        return None
    before = len(c.problems)
    bad = row_reporter(c, path)
    missing = [col for col in MATRIX_COLUMNS if col not in header]
    extra = [col for col in header if col not in MATRIX_COLUMNS]
    if missing or extra:
        col = missing[0] if missing else extra[0]
        bad(line0, col or "column", f"a travel matrix has the columns {', '.join(MATRIX_COLUMNS)}; "
                                    + (f"{col!r} is missing" if missing else f"unknown column {shown(col)}" + hint(col, MATRIX_COLUMNS)))
        return None
    out = np.full((len(names), len(names)), np.nan)
    where = np.zeros((len(names), len(names)), dtype=np.int64)
    for line, row in table_rows(header, rows, bad):
        ends = []
        for col in ("from", "to"):
            if row[col] not in names:
                bad(line, col, f"no place named {shown(row[col])}" + hint(row[col], names, "places"))
            else:
                ends.append(names.index(row[col]))
        value = _minutes(row["minutes"], line, bad)
        if len(ends) < 2 or value is None:
            continue
        i, j = ends
        if where[i, j]:
            bad(line, "to", f"{names[i]} -> {names[j]} again (first at line {where[i, j]}): a pair is one row")
        elif i == j and value != 0:
            bad(line, "minutes", f"a place is 0 minutes from itself, got {shown(row['minutes'])}")
        where[i, j], out[i, j] = line, value
    np.fill_diagonal(out, 0.0)
    return out if len(c.problems) == before else None


def _minutes(text: str, line: int, bad) -> float | None:
    if text.lower() in NO_ROAD:
        return math.inf
    try:
        value = parse_duration(text, allow_negative=True)
    except ValueError:
        bad(line, "minutes", f"expected minutes (a number, a duration such as 90s, or inf for no road), got {shown(text)}")
        return None
    if value < 0:
        bad(line, "minutes", f"a travel time is at least 0 minutes, got {shown(text)}")
        return None
    return value


def needed_pairs(places: Places) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The pairs every matrix gives: those a unit may be sent along (no road allowed), and those
    it must be able to drive (to a hospital, back to its station)."""
    kinds = {kind: [i for i, p in enumerate(places.places) if p.kind == kind] for kind in (ZONE, STATION, HOSPITAL)}
    zones, stations, hospitals = kinds[ZONE], kinds[STATION], kinds[HOSPITAL]
    sent = [(i, j) for group in (stations, zones, hospitals) for i in group for j in zones if i != j]
    driven = [(i, j) for i, targets in ((z, hospitals + stations) for z in zones) for j in targets]
    driven += [(h, s) for h in hospitals for s in stations]
    return sent, driven


def check_pairs(c, minutes: np.ndarray, band: Band, key: tuple, places: Places) -> bool:
    """Every pair a unit may drive is given (and the way back is a road); else a problem."""
    names = places.names()
    sent, driven = needed_pairs(places)
    file = shown(Path(band.file).name, PATH_SHOWN)
    where = f"{file}" + (f" (band {band.label})" if band.label != ALL_DAY else "")
    missing = [(i, j) for i, j in sent + driven if np.isnan(minutes[i, j])]
    if missing:
        listed = ", ".join(f"{names[i]} -> {names[j]}" for i, j in missing[:SHOWN_PAIRS])
        c.error(key, f"{where} gives no time for {len(missing)} pair{'s' * (len(missing) > 1)} a unit may drive: {listed}"
                     f"{', ...' if len(missing) > SHOWN_PAIRS else ''} (every station, zone and hospital to each zone, and "
                     "each zone to every hospital and station, and each hospital to every station; inf: no road)")
        return False
    closed = [(i, j) for i, j in driven if np.isinf(minutes[i, j])]
    if closed:
        listed = ", ".join(f"{names[i]} -> {names[j]}" for i, j in closed[:SHOWN_PAIRS])
        c.error(key, f"{where}: a unit must be able to drive a patient to a hospital and itself back to its station, "
                     f"but {listed} {'is' if len(closed) == 1 else 'are'} no road")
        return False
    return True


def unreachable_zones(travel: Travel, zones: list[int], stations: list[int]) -> list[tuple[str, int]]:
    """(band, zone) for each zone no station of ``stations`` can reach in a band."""
    out = []
    for b, label in enumerate(travel.bands):
        reach = np.isfinite(travel.minutes[b][np.ix_(stations, zones)]).any(axis=0)
        out += [(label, zones[k]) for k in np.flatnonzero(~reach)]
    return out
