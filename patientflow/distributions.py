"""Durations and probability distributions, written the way planners write them.

A duration is a number of minutes or a number with a unit: ``"15s"``, ``"7min"``, ``"4h"``,
``"3d"``, ``"1w"``. Simulated time is kept in minutes throughout.

A distribution is written by name with its natural parameters, each parameter a duration::

    exponential(90s)                       # the mean
    lognormal(mean 2.5min, sd 1min)        # mean and sd of the variable itself
    gamma(mean 20min, sd 10min)            # or gamma(shape 2, scale 10min)
    triangular(min 1min, mode 2min, max 6min)
    uniform(1min, 3min)
    normal(mean 10min, sd 3min)            # truncated at 0 (negative draws are redrawn)
    fixed(5min)                            # or just 5min
    empirical(3min, 5min, 12min)           # resampled with equal weight
    empirical(data/stays.csv)              # the first numeric column of a CSV, in minutes

Positional parameters follow the order shown. Every sampler draws a whole batch at once, so
the engine pays for numpy once per thousands of patients.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from .clock import DAY, WEEK

_UNITS = {
    "s": 1 / 60, "sec": 1 / 60, "secs": 1 / 60, "second": 1 / 60, "seconds": 1 / 60,
    "min": 1.0, "mins": 1.0, "minute": 1.0, "minutes": 1.0,
    "h": 60.0, "hr": 60.0, "hrs": 60.0, "hour": 60.0, "hours": 60.0,
    "d": DAY, "day": DAY, "days": DAY,
    "w": WEEK, "week": WEEK, "weeks": WEEK,
}
_DURATION = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Z]*)\s*$")


LONGEST = 1e9  # minutes (about 1,900 years): a longer duration is a slip, and would overflow the samplers
SPREAD = (1e-6, 1e3)  # the sd ÷ mean a lognormal or gamma may have (or sd 0, a fixed value)


class DistributionError(ValueError):
    """A duration or distribution that cannot be understood; the message says how to fix it."""


def parse_duration(value: object, *, allow_negative: bool = False) -> float:
    """Minutes from ``5``, ``"5"``, ``"90s"``, ``"4h"`` or ``"3d"``."""
    if isinstance(value, bool) or value is None:
        raise DistributionError(f"expected a duration such as 15min, got {value!r}")
    if isinstance(value, (int, float)):
        minutes = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise DistributionError(f"expected a duration such as 15s, 7min, 4h or 3d, got {value!r}")
        number, unit = match.groups()
        unit = unit.lower()
        if unit == "m":
            raise DistributionError(f"{value!r}: 'm' is ambiguous; write 'min' for minutes")
        if unit and unit not in _UNITS:
            raise DistributionError(
                f"unknown time unit {unit!r} in {value!r}; use s, min, h, d or w")
        minutes = float(number) * (_UNITS[unit] if unit else 1.0)
    else:
        raise DistributionError(f"expected a duration such as 15min, got {value!r}")
    if not math.isfinite(minutes):
        raise DistributionError(f"duration {value!r} is not finite")
    if abs(minutes) > LONGEST:
        raise DistributionError(f"duration {value!r} is longer than anything a run can use "
                                f"(at most {LONGEST:,.0f} minutes, about {LONGEST / WEEK / 52:,.0f} years)")
    if minutes < 0 and not allow_negative:
        raise DistributionError(f"duration {value!r} is negative; times cannot be negative")
    return minutes


@dataclass(frozen=True)
class Distribution:
    """A named distribution of durations in minutes, sampled in batches."""

    name: str
    params: tuple[float, ...]
    values: tuple[float, ...] = ()  # empirical only

    @property
    def mean(self) -> float:
        p = self.params
        if self.name in ("fixed", "exponential", "lognormal", "gamma"):
            return p[0]
        if self.name == "triangular":
            return sum(p) / 3
        if self.name == "uniform":
            return (p[0] + p[1]) / 2
        if self.name == "normal":  # mean of the normal truncated at 0
            from math import erf, exp, pi, sqrt
            mu, sd = p
            if sd == 0:
                return mu
            a = -mu / sd
            phi = exp(-a * a / 2) / sqrt(2 * pi)
            tail = 1 - 0.5 * (1 + erf(a / sqrt(2)))
            return mu + sd * phi / tail
        return float(np.mean(self.values))

    @property
    def is_fixed(self) -> bool:
        return self.name == "fixed"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent draws, in minutes."""
        p = self.params
        name = self.name
        if name == "fixed":
            return np.full(size, p[0])
        if name == "exponential":
            return rng.exponential(p[0], size)
        if name == "lognormal":
            mean, sd = p
            if sd == 0:
                return np.full(size, mean)
            sigma2 = math.log1p((sd / mean) ** 2)
            return rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), size)
        if name == "gamma":
            mean, sd = p
            if sd == 0:
                return np.full(size, mean)
            shape = (mean / sd) ** 2
            return rng.gamma(shape, mean / shape, size)
        if name == "triangular":
            lo, mode, hi = p
            if lo == hi:
                return np.full(size, lo)
            return rng.triangular(lo, mode, hi, size)
        if name == "uniform":
            return rng.uniform(p[0], p[1], size)
        if name == "normal":
            mu, sd = p
            out = rng.normal(mu, sd, size)
            bad = out < 0
            while bad.any():  # truncation at 0 by redrawing
                out[bad] = rng.normal(mu, sd, int(bad.sum()))
                bad = out < 0
            return out
        values = np.asarray(self.values)
        return values[rng.integers(0, len(values), size)]


# name -> (parameter names in positional order, the text shown in hints)
_SIGNATURES: dict[str, tuple[tuple[str, ...], str]] = {
    "fixed": (("value",), "fixed(5min)"),
    "exponential": (("mean",), "exponential(mean 3min)"),
    "lognormal": (("mean", "sd"), "lognormal(mean 5min, sd 1.4min)"),
    "gamma": (("mean", "sd"), "gamma(mean 20min, sd 10min) or gamma(shape 2, scale 10min)"),
    "triangular": (("min", "mode", "max"), "triangular(min 1min, mode 2min, max 6min)"),
    "uniform": (("min", "max"), "uniform(min 1min, max 3min)"),
    "normal": (("mean", "sd"), "normal(mean 10min, sd 3min)"),
    "empirical": ((), "empirical(3min, 5min, 12min) or empirical(file.csv)"),
}
DISTRIBUTION_NAMES = tuple(_SIGNATURES)
_CALL = re.compile(r"^\s*([A-Za-z_]+)\s*\((.*)\)\s*$", re.S)


def parse_distribution(text: object, base_dir: Path | None = None) -> Distribution:
    """A :class:`Distribution` from its written form (see the module docstring)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return Distribution("fixed", (parse_duration(text),))
    if not isinstance(text, str):
        raise DistributionError(
            f"expected a distribution such as exponential(3min) or a duration, got {text!r}")
    match = _CALL.match(text)
    if not match:
        return Distribution("fixed", (parse_duration(text),))
    name, inner = match.group(1).lower(), match.group(2)
    if name not in _SIGNATURES:
        from difflib import get_close_matches
        close = get_close_matches(name, DISTRIBUTION_NAMES, n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(DISTRIBUTION_NAMES)}"
        raise DistributionError(f"unknown distribution {name!r}{hint}")
    args = [a.strip() for a in inner.split(",") if a.strip()]
    if name == "empirical":
        return _empirical(args, base_dir)
    return _named(name, args)


def _named(name: str, args: list[str]) -> Distribution:
    expected, example = _SIGNATURES[name]
    given: dict[str, float] = {}
    for position, arg in enumerate(args):
        parts = arg.split(None, 1)
        if len(parts) == 2 and not _DURATION.match(arg):
            key, raw = parts[0].lower(), parts[1]
        else:
            if position >= len(expected):
                raise DistributionError(f"{name} takes {len(expected)} parameter(s): {example}")
            key, raw = expected[position], arg
        if key in given:
            raise DistributionError(f"{name} has {key} twice: write it as {example}")
        unitless = key == "shape"
        given[key] = float(raw) if unitless and _is_number(raw) else parse_duration(raw)
    if name == "gamma" and ("shape" in given or "scale" in given):
        if set(given) != {"shape", "scale"}:
            raise DistributionError(f"gamma needs shape and scale together: {example}")
        shape, scale = given["shape"], given["scale"]
        if not math.isfinite(shape) or shape <= 0:
            raise DistributionError("gamma shape must be a positive number")
        given = {"mean": shape * scale, "sd": math.sqrt(shape) * scale}
    unknown = set(given) - set(expected)
    if unknown:
        raise DistributionError(
            f"{name} has no parameter {sorted(unknown)[0]!r}; write it as {example}")
    missing = [k for k in expected if k not in given]
    if missing:
        raise DistributionError(f"{name} is missing {', '.join(missing)}: write it as {example}")
    params = tuple(given[k] for k in expected)
    _check(name, params, example)
    return Distribution(name, params)


def _check(name: str, p: tuple[float, ...], example: str) -> None:
    if name in ("exponential", "lognormal", "gamma") and p[0] <= 0:
        raise DistributionError(f"{name} mean must be positive: {example}")
    if any(abs(v) > LONGEST for v in p):
        raise DistributionError(f"{name} has a parameter beyond {LONGEST:,.0f} minutes: {example}")
    if name in ("lognormal", "gamma") and p[1] > 0 and not SPREAD[0] <= p[1] / p[0] <= SPREAD[1]:
        raise DistributionError(f"{name}'s sd must lie between a millionth of its mean and a thousand times it "
                                f"(or be 0 for a fixed value): {example}")
    if name == "triangular" and not p[0] <= p[1] <= p[2]:
        raise DistributionError(f"triangular needs min <= mode <= max: {example}")
    if name == "uniform" and p[0] > p[1]:
        raise DistributionError(f"uniform needs min <= max: {example}")


def _is_number(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True


def empirical_file(text: str) -> str | None:
    """The file an ``empirical(...)`` value names (its one argument, when that is not a duration),
    or None: the one rule for which values read a file, for the scenario reader and the parser."""
    match = _CALL.match(text)
    if not match or match.group(1).lower() != "empirical":
        return None
    args = [a.strip() for a in match.group(2).split(",") if a.strip()]
    return args[0] if len(args) == 1 and not _DURATION.match(args[0]) else None


def _empirical(args: list[str], base_dir: Path | None) -> Distribution:
    named = empirical_file(f"empirical({', '.join(args)})")
    if named is not None:
        values = read_number_column((base_dir or Path(".")) / named)
    else:
        values = [parse_duration(a) for a in args]
    if not values:
        raise DistributionError("empirical needs at least one value")
    return Distribution("empirical", (), tuple(values))


def read_number_column(path: Path) -> list[float]:
    """The numbers of a CSV file, one a row: the only column, or the last one (so ``hour,weight``
    files read as weights). A header line and ``#`` comments are skipped. A regular file of at
    most :data:`~patientflow.files.MAX_TABLE_BYTES` is read; a message quotes at most a trimmed value."""
    from .files import MAX_TABLE_BYTES, FileRefused, read_text, shown
    try:
        text = read_text(path, MAX_TABLE_BYTES)
    except FileRefused as exc:
        raise DistributionError(f"{Path(path).name}: {exc}") from None
    values: list[float] = []
    for row in csv.reader(text.splitlines()):
        if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
            continue
        try:
            values.append(parse_duration(row[-1] if len(row) > 1 else row[0]))
        except DistributionError:
            if values:
                raise DistributionError(f"{Path(path).name}: {shown(row[-1])} is not a number") from None
    return values
