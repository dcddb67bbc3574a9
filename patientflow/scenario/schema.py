"""The scenario format: typed, validated and immutable.

These models say what a scenario file may contain; ``loading`` reads the YAML (with ``extends:``
and line numbers) and ``checks`` verifies the cross-references (resources, pathways, attributes,
events) that one field alone cannot. Values are parsed into domain objects here: durations into
minutes, distributions into :class:`~patientflow.distributions.Distribution`, shifts into
:class:`Shift`, targets into :class:`~patientflow.targets.Tier`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator

from ..distributions import Distribution, parse_distribution, parse_duration, read_number_column
from ..errors import PartError, plain_message
from ..targets import Tier, parse_tiers
from ..clock import DAY, HOURS_PER_WEEK

_STRICT = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                     populate_by_name=True)


# ---------------------------------------------------------------- small parsed values
def _share(value: Any) -> float:
    if isinstance(value, str) and value.strip().endswith("%"):
        value = float(value.strip()[:-1]) / 100
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a share such as 0.25 or 25%, got {value!r}")
    if not 0 <= value <= 1:
        raise ValueError(f"a share must be between 0 and 1 (0% and 100%), got {value!r}")
    return float(value)


def _label(value: Any) -> str:
    """Attribute values are labels: ``1`` and ``"1"`` are the same category."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        raise ValueError(f"expected an attribute value such as 1 or walk_in, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _positive_duration(value: Any) -> float:
    minutes = parse_duration(value)
    if minutes <= 0:
        raise ValueError(f"must be longer than zero, got {value!r}")
    return minutes


def _distribution(value: Any) -> Distribution:
    return parse_distribution(value)


_DURATION_JSON = {"type": ["number", "string"], "pattern": r"^\s*[-+]?[0-9.]+(e[-+]?[0-9]+)?\s*[a-z]*\s*$",
                  "description": "minutes, or a number with a unit: 15s, 7min, 4h, 3d, 1w"}
_DIST_JSON = {"type": ["number", "string"],
              "description": "a duration, or a distribution: exponential(3min), lognormal(mean 5min, sd 1.4min), "
                             "gamma(mean 20min, sd 10min), triangular(min 1min, mode 2min, max 6min), "
                             "uniform(1min, 3min), normal(mean 10min, sd 3min), fixed(5min), empirical(3min, 5min)"}
_SHARE_JSON = {"type": ["number", "string"], "description": "a share: 0.25 or 25%"}
_BY_JSON = {"type": "object", "required": ["by"], "properties": {"by": {"type": "string"}},
            "description": "a value per attribute value: {by: category, 1: ..., 2: ..., other: ...}"}
_MIX_JSON = {"type": "object", "additionalProperties": _SHARE_JSON,
             "description": "shares by value that sum to 1, e.g. {1: 0.2, 2: 0.8}; or {by: attribute, value: {...}}"}
_NAMES_JSON = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}


def _profile_json(length: int) -> dict:
    return {"anyOf": [{"type": "array", "items": {"type": "number", "minimum": 0}, "minItems": length, "maxItems": length},
                      {"type": "string", "description": "a CSV file of the values"}]}


Share = Annotated[float, BeforeValidator(_share), WithJsonSchema(_SHARE_JSON)]
Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(_DURATION_JSON)]
PositiveDuration = Annotated[float, BeforeValidator(_positive_duration), WithJsonSchema(_DURATION_JSON)]
Dist = Annotated[Distribution, BeforeValidator(_distribution), WithJsonSchema(_DIST_JSON)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


@dataclass(frozen=True)
class Mix:
    """Shares of attribute values (or branch options) that sum to 1."""

    values: tuple[str, ...]
    shares: tuple[float, ...]


def _part(parse, value: Any, key: Any) -> Any:
    """``parse(value)``, with any error located at ``key`` within the field."""
    try:
        return parse(value)
    except PartError as exc:
        raise PartError(str(exc), key, *exc.parts) from None
    except ValueError as exc:
        raise PartError(str(exc), key) from None


def _mix(value: Any) -> Mix:
    if not isinstance(value, dict) or not value:
        raise ValueError(f"expected shares by value such as {{1: 0.2, 2: 0.8}}, got {value!r}")
    values = tuple(_label(k) for k in value)
    shares = tuple(_part(_share, v, k) for k, v in value.items())
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
            cases = {_label(k): _part(parse, v, k) for k, v in value.items() if k not in ("by", "other")}
            other = _part(parse, value["other"], "other") if "other" in value else None
            if not cases and other is None:
                raise ValueError("give a value for each attribute value, e.g. {by: acuity, 1: ..., 2: ...}")
            return ByAttribute(by, cases, other)
        return parse(value)
    return BeforeValidator(validate)


DistOrBy = Annotated[Union[Distribution, ByAttribute], by_attribute(_distribution),
                     WithJsonSchema({"anyOf": [_DIST_JSON, _BY_JSON]})]
MixOrBy = Annotated[Union[Mix, ByAttribute], by_attribute(_mix), WithJsonSchema({"anyOf": [_MIX_JSON, _BY_JSON]})]


# ---------------------------------------------------------------- rosters
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SHIFT = re.compile(r"^\s*(?:(?P<days>[A-Za-z ,\-]+?)\s+)?(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$")


@dataclass(frozen=True)
class Shift:
    """Staff on duty from ``start`` to ``end`` (minutes after midnight) on the given weekdays.

    A shift that ends at or before it starts runs past midnight into the next day."""

    days: tuple[int, ...]
    start: int
    end: int
    staff: int
    text: str


def _clock(text: str, whole: str) -> int:
    hours, minutes = (int(x) for x in text.split(":"))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ValueError(f"{whole!r}: {text} is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


def _days(text: str | None, whole: str) -> tuple[int, ...]:
    if not text:
        return tuple(range(7))
    days: list[int] = []
    for part in text.replace(" ", "").lower().split(","):
        ends = part.split("-")
        try:
            idx = [DAY_NAMES.index(e[:3]) for e in ends if e]
        except ValueError:
            raise ValueError(f"{whole!r}: days are written mon, tue, ... sun, e.g. 'mon-fri 08:00-16:00'") from None
        if len(idx) == 1:
            days.append(idx[0])
        elif len(idx) == 2:
            a, b = idx
            days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        else:
            raise ValueError(f"{whole!r}: a day range reads like mon-fri")
    return tuple(sorted(set(days)))


def _roster(value: Any) -> tuple[Shift, ...]:
    if not isinstance(value, dict) or not value:
        raise ValueError('a roster maps shifts to staff, e.g. {"07:00-19:00": 5, "sat,sun 08:00-20:00": 3}')
    shifts = tuple(_part(parse_shift, item, item[0]) for item in value.items())
    if not any(shift.staff for shift in shifts):
        raise ValueError("nobody is ever on duty: give at least one shift with staff")
    return shifts


def parse_shift(item: tuple[Any, Any]) -> Shift:
    key, staff = item
    text = str(key)
    match = _SHIFT.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a shift; write 'HH:MM-HH:MM', optionally after days: 'mon-fri 07:00-19:00'")
    if isinstance(staff, bool) or not isinstance(staff, int) or staff < 0:
        raise ValueError(f"shift {text!r}: staff must be a whole number >= 0, got {staff!r}")
    start, end = _clock(match["start"], text), _clock(match["end"], text)
    if start == 24 * 60:
        raise ValueError(f"{text!r}: a shift cannot start at 24:00")
    return Shift(_days(match["days"], text), start, end, staff, text)


def _count(value: Any) -> float:
    if isinstance(value, str) and value.strip().lower() in ("inf", "infinite", "unlimited"):
        return math.inf
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number or 'inf', got {value!r}")
    if value < 1:
        raise ValueError(f"a count must be at least 1, got {value} (a roster can leave times with nobody)")
    return float(value)


def _profile(length: int):
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


# ---------------------------------------------------------------- the sections
class RunSpec(BaseModel):
    model_config = _STRICT
    length: PositiveDuration = 28 * DAY
    warm_up: Duration = 0.0
    replications: int = Field(10, ge=1)
    seed: int = Field(0, ge=0)
    max_inside: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _warm_up_inside_run(self) -> "RunSpec":
        if self.warm_up >= self.length:
            raise ValueError("warm_up must be shorter than the run length")
        return self


class StreamSpec(BaseModel):
    model_config = _STRICT
    pathway: Name
    per_day: float | None = Field(None, gt=0, allow_inf_nan=False)
    per_hour: float | None = Field(None, gt=0, allow_inf_nan=False)
    by_hour: Annotated[tuple[float, ...], _profile(24), WithJsonSchema(_profile_json(24))] | None = None
    by_weekday: Annotated[tuple[float, ...], _profile(7), WithJsonSchema(_profile_json(7))] | None = None
    by_week: Annotated[tuple[float, ...], _profile(HOURS_PER_WEEK), WithJsonSchema(_profile_json(HOURS_PER_WEEK))] | None = None
    at: tuple[Duration, ...] | None = None
    every: PositiveDuration | None = None
    start: Duration = 0.0
    mix: dict[Name, MixOrBy] = {}
    set: dict[Name, Annotated[str, BeforeValidator(_label), WithJsonSchema({"type": ["string", "number"]})]] = {}
    description: str = ""

    @model_validator(mode="after")
    def _one_way_of_arriving(self) -> "StreamSpec":
        ways = [w for w in ("per_day", "per_hour", "at", "every") if getattr(self, w) is not None]
        if len(ways) != 1:
            raise ValueError("give exactly one of per_day, per_hour, at or every"
                             + (f" (found {', '.join(ways)})" if ways else ""))
        if self.by_week is not None and (self.by_hour or self.by_weekday):
            raise ValueError("by_week replaces by_hour and by_weekday: give one or the other")
        if (self.by_hour or self.by_weekday or self.by_week) and ways[0] in ("at", "every"):
            raise ValueError("profiles apply to per_day or per_hour volumes, not to fixed arrivals")
        return self


class InitialSpec(BaseModel):
    model_config = _STRICT
    occupied: Annotated[float, BeforeValidator(lambda v: v if isinstance(v, int) and not isinstance(v, bool) else _share(v)),
                        WithJsonSchema({"type": ["number", "string"], "description": "units occupied at time 0: a number or a share (93%)"})]
    enter: Name | None = None
    remaining: Dist | None = None

    @model_validator(mode="after")
    def _how_long(self) -> "InitialSpec":
        if (self.enter is None) == (self.remaining is None):
            raise ValueError("give either enter (the step the occupants are at) or remaining (how long they stay)")
        return self


class ResourceSpec(BaseModel):
    model_config = _STRICT
    count: Annotated[float, BeforeValidator(_count), WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1}, {"enum": ["inf"]}]})] | None = None
    roster: Annotated[tuple[Shift, ...], BeforeValidator(_roster), WithJsonSchema(
        {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
         "description": 'shifts and staff on them: {"07:00-19:00": 5, "mon-fri 19:00-07:00": 3}'})] | None = None
    cost_per_hour: float = Field(0.0, ge=0, allow_inf_nan=False)
    queue: Name = "fifo"
    initial: InitialSpec | None = None
    description: str = ""

    @model_validator(mode="after")
    def _count_or_roster(self) -> "ResourceSpec":
        if (self.count is None) == (self.roster is None):
            raise ValueError("give either count or roster")
        return self


def _branch_option(value: Any) -> Any:
    if isinstance(value, (int, float, str)) and not isinstance(value, bool) and not (
            isinstance(value, str) and not value.strip().endswith("%")):
        return {"p": value}
    return value


_THEN = re.compile(r"^(next|exit [A-Za-z_][A-Za-z0-9_]*|pathway [A-Za-z_][A-Za-z0-9_]*)$")


def _then(value: Any) -> str:
    if not isinstance(value, str) or not _THEN.match(value.strip()):
        raise ValueError(f"expected 'next', 'exit OUTCOME' or 'pathway NAME', got {value!r}")
    return value.strip()


Then = Annotated[str, BeforeValidator(_then), WithJsonSchema(
    {"type": "string", "pattern": "^(next|exit [A-Za-z_][A-Za-z0-9_]*|pathway [A-Za-z_][A-Za-z0-9_]*)$"})]


class BranchOption(BaseModel):
    model_config = _STRICT
    p: Annotated[Union[float, ByAttribute], by_attribute(_share), WithJsonSchema({"anyOf": [_SHARE_JSON, {"type": "object"}]})]
    then: Then = "next"


def _names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", item):
            raise ValueError(f"expected a name or a list of names, got {value!r}")
    return tuple(items)


Names = Annotated[tuple[str, ...], BeforeValidator(_names), WithJsonSchema(_NAMES_JSON)]


class StepSpec(BaseModel):
    """One step of a pathway. Its parts run in this order: take the resources of ``hold`` and
    ``use`` (queueing, perhaps giving up), wait until a time of day (``wait_until``), spend
    ``takes``, free the ``use`` resources, free the ``release`` resources (``after`` a delay),
    ``assign`` attributes, then follow ``branch`` or ``then``."""

    model_config = _STRICT
    use: Names = ()
    hold: Names = ()
    release: Names = ()
    after: Dist | None = None
    takes: DistOrBy | None = None
    priority: Name | None = None
    gives_up_after: DistOrBy | None = None
    gives_up_as: Name = "abandoned"
    wait_until: Annotated[tuple[float, ...], _profile(24), WithJsonSchema(_profile_json(24))] | None = None
    assign: dict[Name, MixOrBy] = {}
    branch: dict[str, Any] | None = None
    mark: Names = ()
    then: Then = "next"
    description: str = ""

    @model_validator(mode="after")
    def _coherent(self) -> "StepSpec":
        if self.gives_up_after is not None and not (self.use or self.hold):
            raise ValueError("gives_up_after needs a queue: the step must use or hold a resource")
        if self.after is not None and not self.release:
            raise ValueError("after is the delay before released resources are free: give release too")
        if self.branch is not None and self.then != "next":
            raise ValueError("a step has either branch (each option with its own then) or then, not both")
        return self


@dataclass(frozen=True)
class Branch:
    by: str | None
    labels: tuple[str, ...]
    options: tuple[BranchOption, ...]


def parse_branch(value: dict) -> Branch:
    """``{label: share or {p: share, then: ...}, ..., by: attr}`` as a :class:`Branch`."""
    by = value.get("by")
    labels, options = [], []
    for label, option in value.items():
        if label == "by":
            continue
        labels.append(str(label))
        written = option
        option = _branch_option(option)
        if by is not None and isinstance(option, dict) and isinstance(option.get("p"), dict) and "by" not in option["p"]:
            option = {**option, "p": {"by": by, **option["p"]}}  # shares by the branch's attribute
        try:
            options.append(BranchOption.model_validate(option))
        except ValidationError as exc:
            item = exc.errors(include_url=False)[0]
            error = (item.get("ctx") or {}).get("error")
            inner = (*item["loc"], *(error.parts if isinstance(error, PartError) else ())) if isinstance(written, dict) else ()
            raise PartError(plain_message(item, list(BranchOption.model_fields)), label, *inner) from None
    return Branch(by, tuple(labels), tuple(options))


class MomentSpec(BaseModel):
    model_config = _STRICT
    stage: Name
    kind: Literal["duration", "share"] = "duration"
    from_: str = Field(alias="from")
    to: str | None = None
    outcome: Names = ()
    target: Any = None
    critical: bool = False
    for_: dict[Name, Any] = Field({}, alias="for")
    by: Name | None = None
    title: str = ""
    description: str = ""

    @model_validator(mode="after")
    def _kind_fields(self) -> "MomentSpec":
        if self.kind == "duration" and (self.to is None or self.outcome):
            raise ValueError("a duration moment needs from and to (and no outcome)")
        if self.kind == "share" and (not self.outcome or self.to is not None):
            raise ValueError("a share moment needs from and outcome (and no to)")
        return self


class JourneySpec(BaseModel):
    model_config = _STRICT
    stage: Name = "outcome"
    target: Any = None
    title: str = "Every critical moment met"


def _vary(value: Any) -> dict[str, tuple[int, int]]:
    from .optimise_section import parse_range
    if isinstance(value, (str, list)):
        value = {name: None for name in _names(value)}
    if not isinstance(value, dict):
        raise ValueError(f"vary lists resources, or maps each to a range of changes ('-2..+3'), got {value!r}")
    out = {}
    for name, changes in value.items():
        if not isinstance(name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise ValueError(f"expected a resource name, got {name!r}")
        out[name] = _part(parse_range, changes, name)
    return out


class OptimiseSpec(BaseModel):
    """What ``patientflow optimise`` may change and must achieve (the command line overrides)."""

    model_config = _STRICT
    vary: Annotated[dict[str, tuple[int, int]], BeforeValidator(_vary), WithJsonSchema({
        "anyOf": [{"type": "array", "items": {"type": "string"}},
                  {"type": "object", "additionalProperties": {"anyOf": [
                      {"type": "string", "pattern": "^\\s*[+-]?\\d+\\s*\\.\\.\\s*[+-]?\\d+\\s*$"},
                      {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
                      {"type": "null"}]}}],
        "description": "resources to vary, each with its range of changes per roster block (default -2..+3); "
                       "default: every resource with a cost per hour"})] | None = None
    constraints: Names | None = None  # moment names; None: every critical moment
    confidence: float = Field(0.95, gt=0.5, lt=1)
    budget: float | None = Field(None, gt=0, allow_inf_nan=False)
    max_evaluations: int = Field(150, ge=1)
    first_replications: int = Field(5, ge=3)
    max_replications: int = Field(20, ge=3)
    confirm_replications: int = Field(20, ge=3)
    keep_met: bool = True  # hold the other targets the input meets (they may not be broken)

    @model_validator(mode="after")
    def _replications_in_order(self) -> "OptimiseSpec":
        if self.max_replications < self.first_replications:
            raise ValueError("max_replications must be at least first_replications")
        return self


class ScenarioSpec(BaseModel):
    """The whole scenario, as validated from the (merged) file."""

    model_config = _STRICT
    name: str
    description: str = ""
    extends: str | None = None
    run: RunSpec = RunSpec()
    stages: dict[Name, str] = {}
    demand: dict[Name, StreamSpec]
    resources: dict[Name, ResourceSpec] = {}
    pathways: dict[Name, list[dict[Name, StepSpec]]]
    moments: dict[Name, MomentSpec] = {}
    journey: JourneySpec = JourneySpec()
    optimise: OptimiseSpec = OptimiseSpec()
    schema_: str | None = Field(None, alias="$schema")

    @model_validator(mode="after")
    def _not_empty(self) -> "ScenarioSpec":
        if not self.demand:
            raise ValueError("demand needs at least one arrival stream")
        return self


def moment_tiers(moment: MomentSpec) -> dict[str | None, tuple[Tier, ...]]:
    """A moment's target tiers, per group value (``None`` key: for every group)."""
    target = moment.target
    if target is None:
        return {None: ()}
    if isinstance(target, dict):
        return {_label(k): parse_tiers(v, moment.kind) for k, v in target.items()}
    return {None: parse_tiers(target, moment.kind)}


def json_schema() -> dict:
    """The JSON Schema of scenario files, for editors to complete and check them."""
    schema = ScenarioSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "patientflow scenario"
    schema["description"] = ("A patientflow scenario: demand, resources, pathways, moments of truth and run settings. "
                             "Durations are minutes or carry a unit (15s, 7min, 4h, 3d).")
    return schema

