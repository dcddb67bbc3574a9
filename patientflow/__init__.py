"""patientflow: discrete-event simulation of the whole emergency patient journey.

From the emergency call to the ambulance, the emergency department, the ward and discharge,
patientflow walks simulated patients through every *moment of truth* and measures each wait
against its target. Heavy libraries are imported where they are used, so ``import patientflow``
stays light.

    import patientflow as pf
    sc = pf.load_scenario("scenarios/baseline.yaml")
    res = pf.simulate(sc, replications=20, seed=1)
    res.summary()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .version import __version__
__all__ = ["load_scenario", "simulate", "compare", "optimise", "run_to_folder", "Scenario", "Results", "Comparison",
           "Optimisation", "ScenarioError", "__version__"]

if TYPE_CHECKING:
    from .experiment.comparison import Comparison, compare
    from .optimiser.result import Optimisation
    from .optimiser.search import optimise
    from .errors import ScenarioError
    from .experiment.results import Results, simulate
    from .report.run_folder import run_to_folder
    from .scenario.scenario import Scenario, load_scenario

_WHERE = {"load_scenario": "scenario.scenario", "Scenario": "scenario.scenario", "simulate": "experiment.results",
          "Results": "experiment.results", "ScenarioError": "errors", "compare": "experiment.comparison",
          "Comparison": "experiment.comparison", "optimise": "optimiser.search", "Optimisation": "optimiser.result",
          "run_to_folder": "report.run_folder"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'patientflow' has no attribute {name!r}")
