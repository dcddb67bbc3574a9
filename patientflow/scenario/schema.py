"""The scenario format: typed, validated and immutable.

These models say what a scenario file may contain; ``loading`` reads the YAML (with ``extends:``
and line numbers) and ``checks`` verifies the cross-references (resources, pathways, attributes,
events) that one field alone cannot. Values are parsed into domain objects here: durations into
minutes, distributions into :class:`~patientflow.distributions.Distribution`, shifts into
:class:`Shift`, targets into :class:`~patientflow.targets.Tier`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, Field, ValidationError, WithJsonSchema, model_validator

from ..distributions import Distribution
from ..errors import PartError, plain_message
from ..clock import DAY, HOURS_PER_WEEK
from ..targets import Tier, parse_tiers
from .derived import DerivedEventSpec
from .fleet import Dispatch, FleetStationSpec, TravelTo, fleet_problem
from .places import PlacesSpec
from .travel import TravelSpec
from .values import (BY_JSON, DISTRIBUTION_JSON, MIX_JSON, NAMES_JSON, SHARE_JSON, STRICT, ByAttribute, Count, Dist,
                     Duration, Mix, Name, PositiveDuration, Roster, Share, by_attribute, located_part,
                     parse_distribution_value, parse_label, parse_mix, parse_share, parse_profile, profile_json)

MAX_REPLICATIONS = 100_000
SHORTEST_RUN = 1.0  # minutes: a shorter run measures nothing, and its per-day rates explode
MOST_A_DAY = 10_000_000  # arrivals a day of one stream: beyond any region's demand
MOST_COST = 1_000_000.0  # cost per hour of one unit of a resource
MOST_THRESHOLD_SHARE = 0.5  # a comparison's practical threshold for shares: beyond it, nothing could count


DistOrBy = Annotated[Union[Distribution, ByAttribute], by_attribute(parse_distribution_value),
                     WithJsonSchema({"anyOf": [DISTRIBUTION_JSON, BY_JSON]})]
MixOrBy = Annotated[Union[Mix, ByAttribute], by_attribute(parse_mix), WithJsonSchema({"anyOf": [MIX_JSON, BY_JSON]})]


# ---------------------------------------------------------------- the sections
class RunSpec(BaseModel):
    model_config = STRICT
    length: PositiveDuration = 28 * DAY
    warm_up: Duration = 0.0
    replications: int = Field(10, ge=1, le=MAX_REPLICATIONS)
    seed: int = Field(0, ge=0, lt=2**63)
    max_inside: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _warm_up_inside_run(self) -> "RunSpec":
        if self.length < SHORTEST_RUN:
            raise ValueError(f"a run shorter than {SHORTEST_RUN:.0f} minute measures nothing: give run.length such as 28d")
        if self.warm_up >= self.length:
            raise ValueError("warm_up must be shorter than the run length")
        return self


class StreamSpec(BaseModel):
    model_config = STRICT
    pathway: Name
    per_day: float | None = Field(None, gt=0, le=MOST_A_DAY, allow_inf_nan=False)
    per_hour: float | None = Field(None, gt=0, le=MOST_A_DAY / 24, allow_inf_nan=False)
    by_hour: Annotated[tuple[float, ...], parse_profile(24), WithJsonSchema(profile_json(24))] | None = None
    by_weekday: Annotated[tuple[float, ...], parse_profile(7), WithJsonSchema(profile_json(7))] | None = None
    by_week: Annotated[tuple[float, ...], parse_profile(HOURS_PER_WEEK), WithJsonSchema(profile_json(HOURS_PER_WEEK))] | None = None
    at: tuple[Duration, ...] | None = None
    every: PositiveDuration | None = None
    start: Duration = 0.0
    mix: dict[Name, MixOrBy] = {}
    set: dict[Name, Annotated[str, BeforeValidator(parse_label), WithJsonSchema({"type": ["string", "number"]})]] = {}
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
    model_config = STRICT
    occupied: Annotated[float, BeforeValidator(lambda v: v if isinstance(v, int) and not isinstance(v, bool) else parse_share(v)),
                        WithJsonSchema({"type": ["number", "string"], "description": "units occupied at time 0: a number or a share (93%)"})]
    enter: Name | None = None
    remaining: Dist | None = None

    @model_validator(mode="after")
    def _how_long(self) -> "InitialSpec":
        if (self.enter is None) == (self.remaining is None):
            raise ValueError("give either enter (the step the occupants are at) or remaining (how long they stay)")
        return self


class ResourceSpec(BaseModel):
    model_config = STRICT
    count: Count | None = None
    roster: Roster | None = None
    cost_per_hour: float = Field(0.0, ge=0, le=MOST_COST, allow_inf_nan=False)
    queue: Name = "fifo"
    initial: InitialSpec | None = None
    description: str = ""
    # a place (a bed, a cubicle: a fixed count patients keep) or staff; unset: inferred (experiment.costs.is_place)
    kind: Literal["staff", "place"] | None = None
    fleet: dict[Name, FleetStationSpec] | None = None  # units at stations, instead of count or roster (see .fleet)
    dispatch: Dispatch | None = None  # with fleet: which free unit goes (default nearest)

    @model_validator(mode="after")
    def _count_or_roster(self) -> "ResourceSpec":
        problem = fleet_problem(self)
        if problem:
            raise ValueError(problem)
        if (self.count is None) == (self.roster is None) and self.fleet is None:
            raise ValueError("give either count or roster (or a fleet of stations)")
        if self.kind == "place" and self.roster is not None:
            raise ValueError("kind: place needs a count: a roster is staff on shifts")
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
    model_config = STRICT
    p: Annotated[Union[float, ByAttribute], by_attribute(parse_share), WithJsonSchema({"anyOf": [SHARE_JSON, {"type": "object"}]})]
    then: Then = "next"


def _names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", item):
            raise ValueError(f"expected a name or a list of names, got {value!r}")
    return tuple(items)


Names = Annotated[tuple[str, ...], BeforeValidator(_names), WithJsonSchema(NAMES_JSON)]


class StepSpec(BaseModel):
    """One step of a pathway. Its parts run in this order: take the resources of ``hold`` and
    ``use`` (queueing, perhaps giving up), wait until a time of day (``wait_until``), spend
    ``takes``, free the ``use`` resources, free the ``release`` resources (``after`` a delay),
    ``assign`` attributes, then follow ``branch`` or ``then``."""

    model_config = STRICT
    use: Names = ()
    hold: Names = ()
    release: Names = ()
    after: Dist | None = None
    takes: DistOrBy | None = None
    priority: Name | None = None
    gives_up_after: DistOrBy | None = None
    gives_up_as: Name = "abandoned"
    wait_until: Annotated[tuple[float, ...], parse_profile(24), WithJsonSchema(profile_json(24))] | None = None
    assign: dict[Name, MixOrBy] = {}
    branch: dict[str, Any] | None = None
    mark: Names = ()
    then: Then = "next"
    travel: TravelTo | None = None  # the step's time is a trip on the travel matrix (see .fleet)
    description: str = ""

    @model_validator(mode="after")
    def _coherent(self) -> "StepSpec":
        if self.travel is not None and (self.takes is not None or self.use or self.hold):
            raise ValueError("a travel step takes the travel matrix's time: it has no takes, use or hold")
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
    model_config = STRICT
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
    model_config = STRICT
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
        out[name] = located_part(parse_range, changes, name)
    return out


class OptimiseSpec(BaseModel):
    """What ``patientflow optimise`` may change and must achieve (the command line overrides)."""

    model_config = STRICT
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
    budget: float | None = Field(None, gt=0, le=MOST_COST * 1e6, allow_inf_nan=False)
    max_evaluations: int = Field(150, ge=1, le=100_000)
    first_replications: int = Field(5, ge=3, le=1_000)
    max_replications: int = Field(20, ge=3)
    confirm_replications: int = Field(20, ge=3)
    keep_met: bool = True  # hold the other targets the input meets (they may not be broken)

    @model_validator(mode="after")
    def _replications_in_order(self) -> "OptimiseSpec":
        if self.max_replications < self.first_replications:
            raise ValueError("max_replications must be at least first_replications")
        return self


class CompareSpec(BaseModel):
    """How patientflow compare judges a change (the command line overrides): the smallest change
    in a time (threshold_wait, e.g. 2min) and in a share (threshold_share, e.g. 0.5%) that counts;
    unset, the defaults: 1 min and 1 percentage point."""

    model_config = STRICT
    threshold_wait: Duration | None = None
    threshold_share: Share | None = Field(None, le=MOST_THRESHOLD_SHARE)


class ScenarioSpec(BaseModel):
    """The whole scenario, as validated from the (merged) file."""

    model_config = STRICT
    name: str
    description: str = ""
    extends: str | None = None
    run: RunSpec = RunSpec()
    stages: dict[Name, str] = {}
    demand: dict[Name, StreamSpec]
    resources: dict[Name, ResourceSpec] = {}
    pathways: dict[Name, list[dict[Name, StepSpec]]]
    places: PlacesSpec | None = None  # zones, stations and hospitals (see .places)
    travel: TravelSpec | None = None  # minutes between places (see .travel)
    events: dict[Name, DerivedEventSpec] = {}  # derived events (see .derived)
    moments: dict[Name, MomentSpec] = {}
    journey: JourneySpec = JourneySpec()
    optimise: OptimiseSpec = OptimiseSpec()
    compare: CompareSpec = CompareSpec()
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
        return {parse_label(k): parse_tiers(v, moment.kind) for k, v in target.items()}
    return {None: parse_tiers(target, moment.kind)}


def json_schema() -> dict:
    """The JSON Schema of scenario files, for editors to complete and check them."""
    schema = ScenarioSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "patientflow scenario"
    schema["description"] = ("A patientflow scenario: demand, resources, pathways, moments of truth and run settings. "
                             "Durations are minutes or carry a unit (15s, 7min, 4h, 3d).")
    return schema

