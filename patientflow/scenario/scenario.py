"""The scenario: one immutable object holding everything a simulation needs.

``load_scenario`` reads a file (following ``extends:``), validates every field, compiles the
pathways and reports every problem at once as ``file:line: key: message``. A Scenario never
changes; :meth:`Scenario.with_changes` returns a new one, which is how notebooks try variants.
"""

from __future__ import annotations

import copy
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

from ..errors import Problem, ScenarioError
from .loading import Located, pydantic_problems, read_located, scenario_hash
from .loading import with_changes as apply_changes
from ..model import Model


def _known_keys() -> dict[tuple, list[str]]:
    from . import schema as s
    from .derived import DerivedEventSpec
    from .fleet import FleetStationSpec
    from .places import PlacesSpec, ZoneSpec
    from .travel import TravelSpec

    def keys(model) -> list[str]:
        return [f.alias or name for name, f in model.model_fields.items()]
    return {
        (): keys(s.ScenarioSpec), ("run",): keys(s.RunSpec), ("journey",): keys(s.JourneySpec),
        ("demand", "*"): keys(s.StreamSpec), ("resources", "*"): keys(s.ResourceSpec),
        ("resources", "*", "initial"): keys(s.InitialSpec), ("moments", "*"): keys(s.MomentSpec),
        ("pathways", "*", "*", "*"): keys(s.StepSpec), ("optimise",): keys(s.OptimiseSpec),
        ("places",): keys(PlacesSpec), ("places", "zones", "*"): keys(ZoneSpec), ("travel",): keys(TravelSpec),
        ("events", "*"): keys(DerivedEventSpec), ("resources", "*", "fleet", "*"): keys(FleetStationSpec),
    }


class Scenario:
    """A validated, compiled scenario. Immutable: use :meth:`with_changes` for variants."""

    def __init__(self, located: Located):
        from pydantic import ValidationError

        from .compiling import compile_model
        from .schema import ScenarioSpec

        try:
            spec = ScenarioSpec.model_validate(located.data)
        except ValidationError as exc:
            raise ScenarioError(pydantic_problems(located, exc, _known_keys())) from None
        self._located = located
        self.spec = spec
        self.model: Model = compile_model(spec, located)
        from .checks import size_problems
        problems = size_problems(self)
        if problems:
            raise ScenarioError(problems)

    @property
    def located(self) -> Located:
        """The merged tree with the file and line of every key (for locating problems)."""
        return self._located

    def problem(self, path: tuple, message: str, severity: str = "error") -> Problem:
        """A problem located at ``path`` of the scenario: ``file:line: key: message``."""
        return self._located.problem(path, message, severity)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def path(self) -> Path:
        return self._located.main

    @property
    def files(self) -> list[Path]:
        """The scenario file, the files it extends and the CSV files they reference."""
        return list(self._located.files)

    @cached_property
    def hash(self) -> str:
        """A fingerprint of everything the scenario says (merged values and referenced files)."""
        return scenario_hash(self._located)

    def to_dict(self) -> dict:
        """The merged scenario as plain data (after ``extends:``)."""
        return copy.deepcopy(self._located.data)

    def with_changes(self, changes: Mapping[str, Any]) -> "Scenario":
        """A new scenario with dotted keys changed, e.g. ``{"resources.triage_nurse.count": 3}``,
        merged as a variant file's keys are (a roster shift by shift; a ``count`` replaces a
        roster and a ``roster`` a count). A step is named by its name:
        ``"pathways.ed.triage.takes"``. A problem is reported as ``<with_changes>: key: message``."""
        return Scenario(apply_changes(self._located, changes))

    def run_defaults(self, replications: int | None = None, seed: int | None = None) -> tuple[int, int]:
        """The replications and the seed a run uses: those given, else the scenario's ``run:``."""
        run = self.spec.run
        return (replications if replications is not None else run.replications,
                seed if seed is not None else run.seed)

    def warnings(self) -> list[Problem]:
        """Things that will run but are probably not what the planner meant."""
        from .checks import scenario_warnings
        return scenario_warnings(self)

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, from {self.path.name})"


def load_scenario(path: str | Path, root: str | Path | None = None) -> Scenario:
    """Read, validate and compile a scenario file; raises :class:`ScenarioError` on bad input.

    Every file it names (``extends:``, profiles, ``empirical(file.csv)``) must lie inside
    ``root``: by default the current folder when ``path`` lies inside it, else ``path``'s own
    folder (see :mod:`patientflow.files`). Give ``root`` to widen it on purpose."""
    return Scenario(read_located(path, root))
