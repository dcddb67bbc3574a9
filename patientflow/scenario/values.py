"""The values a scenario file writes, parsed for the schema: shares (``0.25`` or ``25%``), labels,
durations, distributions, attribute mixes, values that depend on an attribute (``by: acuity``),
counts and profiles — each with its JSON Schema for editors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typing import Annotated

from pydantic import AllowInfNan, BeforeValidator, ConfigDict, Field, WithJsonSchema

from ..distributions import Distribution, parse_distribution, parse_duration, read_number_column
from ..errors import PartError
from .roster import Shift, parse_shift


# ---------------------------------------------------------------- small parsed values
def parse_share(value: Any) -> float:
    if isinstance(value, str) and value.strip().endswith("%"):
        value = float(value.strip()[:-1]) / 100
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a share such as 0.25 or 25%, got {value!r}")
    if not 0 <= value <= 1:
        raise ValueError(f"a share must be between 0 and 1 (0% and 100%), got {value!r}")
    return float(value)


def parse_label(value: Any) -> str:
    """Attribute values are labels: ``1`` and ``"1"`` are the same category."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        raise ValueError(f"expected an attribute value such as 1 or walk_in, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def parse_positive_duration(value: Any) -> float:
    minutes = parse_duration(value)
    if minutes <= 0:
        raise ValueError(f"must be longer than zero, got {value!r}")
    return minutes


def parse_distribution_value(value: Any) -> Distribution:
    return parse_distribution(value)


DURATION_JSON = {"type": ["number", "string"], "pattern": r"^\s*[-+]?[0-9.]+(e[-+]?[0-9]+)?\s*[a-z]*\s*$",
                  "description": "minutes, or a number with a unit: 15s, 7min, 4h, 3d, 1w"}


DISTRIBUTION_JSON = {"type": ["number", "string"],
              "description": "a duration, or a distribution: exponential(3min), lognormal(mean 5min, sd 1.4min), "
                             "gamma(mean 20min, sd 10min), triangular(min 1min, mode 2min, max 6min), "
                             "uniform(1min, 3min), normal(mean 10min, sd 3min), fixed(5min), empirical(3min, 5min)"}


SHARE_JSON = {"type": ["number", "string"], "description": "a share: 0.25 or 25%"}


BY_JSON = {"type": "object", "required": ["by"], "properties": {"by": {"type": "string"}},
            "description": "a value per attribute value: {by: category, 1: ..., 2: ..., other: ...}"}


MIX_JSON = {"type": "object", "additionalProperties": SHARE_JSON,
             "description": "shares by value that sum to 1, e.g. {1: 0.2, 2: 0.8}; or {by: attribute, value: {...}}"}


NAMES_JSON = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}


def profile_json(length: int) -> dict:
    return {"anyOf": [{"type": "array", "items": {"type": "number", "minimum": 0}, "minItems": length, "maxItems": length},
                      {"type": "string", "description": "a CSV file of the values"}]}


@dataclass(frozen=True)
class Mix:
    """Shares of attribute values (or branch options) that sum to 1."""

    values: tuple[str, ...]
    shares: tuple[float, ...]


def located_part(parse, value: Any, key: Any) -> Any:
    """``parse(value)``, with any error located at ``key`` within the field."""
    try:
        return parse(value)
    except PartError as exc:
        raise PartError(str(exc), key, *exc.parts) from None
    except ValueError as exc:
        raise PartError(str(exc), key) from None


def parse_mix(value: Any) -> Mix:
    if not isinstance(value, dict) or not value:
        raise ValueError(f"expected shares by value such as {{1: 0.2, 2: 0.8}}, got {value!r}")
    values = tuple(parse_label(k) for k in value)
    shares = tuple(located_part(parse_share, v, k) for k, v in value.items())
    total = sum(shares)
    if abs(total - 1) > 1e-6:
        raise ValueError(f"shares must sum to 1, they sum to {total:.6g}")
    return Mix(values, shares)


@dataclass(frozen=True)
class ByAttribute:
    """A value that depends on an attribute: ``{by: category, 1: 8min, 2: 10min}``.

    ``other`` covers values not listed (and patients without the attribute)."""

    by: str
    cases: dict[str, Any]
    other: Any = None

    def for_value(self, value: str | None) -> Any:
        return self.cases.get(value, self.other) if value is not None else self.other


def by_attribute(parse):
    """A validator accepting either a plain value or ``{by: attr, value: ..., other: ...}``."""
    def validate(value: Any) -> Any:
        if isinstance(value, dict) and "by" in value:
            by = value["by"]
            if not isinstance(by, str):
                raise ValueError(f"'by' names an attribute, got {by!r}")
            cases = {parse_label(k): located_part(parse, v, k) for k, v in value.items() if k not in ("by", "other")}
            other = located_part(parse, value["other"], "other") if "other" in value else None
            if not cases and other is None:
                raise ValueError("give a value for each attribute value, e.g. {by: acuity, 1: ..., 2: ...}")
            return ByAttribute(by, cases, other)
        return parse(value)
    return BeforeValidator(validate)


def parse_count(value: Any) -> float:
    if isinstance(value, str) and value.strip().lower() in ("inf", "infinite", "unlimited"):
        return math.inf
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number or 'inf', got {value!r}")
    if value < 1:
        raise ValueError(f"a count must be at least 1, got {value} (a roster can leave times with nobody)")
    return float(value)


def parse_profile(length: int):
    def validate(value: Any) -> tuple[float, ...]:
        if isinstance(value, str):
            values = read_number_column(Path(value))
        elif isinstance(value, list):
            values = [float(v) if not isinstance(v, bool) and isinstance(v, (int, float)) else math.nan for v in value]
        else:
            raise ValueError(f"expected {length} numbers or a CSV file, got {value!r}")
        if len(values) != length:
            raise ValueError(f"expected {length} values, got {len(values)}")
        if any(not math.isfinite(v) or v < 0 for v in values):
            raise ValueError("every value must be a number >= 0")
        if sum(values) <= 0:
            raise ValueError("at least one value must be above 0")
        return tuple(values)
    return BeforeValidator(validate)


def parse_roster(value: Any) -> tuple[Shift, ...]:
    """``{"07:00-19:00": 5, "sat,sun 08:00-20:00": 3}`` as shifts, each error at its own shift."""
    if not isinstance(value, dict) or not value:
        raise ValueError('a roster maps shifts to staff, e.g. {"07:00-19:00": 5, "sat,sun 08:00-20:00": 3}')
    shifts = tuple(located_part(parse_shift, item, item[0]) for item in value.items())
    if not any(shift.staff for shift in shifts):
        raise ValueError("nobody is ever on duty: give at least one shift with staff")
    return shifts


# ---------------------------------------------------------------- the typed fields of the specs
STRICT = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, populate_by_name=True, allow_inf_nan=False)
Share = Annotated[float, BeforeValidator(parse_share), WithJsonSchema(SHARE_JSON)]
Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(DURATION_JSON)]
PositiveDuration = Annotated[float, BeforeValidator(parse_positive_duration), WithJsonSchema(DURATION_JSON)]
Dist = Annotated[Distribution, BeforeValidator(parse_distribution_value), WithJsonSchema(DISTRIBUTION_JSON)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Count = Annotated[float, AllowInfNan(True), BeforeValidator(parse_count),
                  WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1}, {"enum": ["inf"]}]})]
Roster = Annotated[tuple[Shift, ...], BeforeValidator(parse_roster), WithJsonSchema(
    {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
     "description": 'shifts and staff on them: {"07:00-19:00": 5, "mon-fri 19:00-07:00": 3}'})]
