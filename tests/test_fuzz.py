"""Fuzzing: random scenarios and single-value mutations of every bundled scenario either load and
run or fail with located problems (exit 2 from the CLI) — never an unhandled exception.

The CI profile runs at least 200 examples per test with a fixed, derandomised seed.
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import patientflow as pf
from patientflow.engine.replication import SimulationError

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))

settings.register_profile("ci", max_examples=200, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("dev", max_examples=40, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile("ci" if os.environ.get("CI") or os.environ.get("PF_FUZZ") == "ci" else "dev")


def load_and_run(path: Path) -> str:
    """What ``patientflow run`` would do, briefly: 'ok', or 'bad input' with located problems."""
    try:
        sc = pf.load_scenario(path)
        short = sc.with_changes({"run.length": "1d", "run.warm_up": 0})
    except pf.ScenarioError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert Path(problem.file).name and problem.line >= 1 and problem.key and problem.message
            assert str(problem).startswith(f"{problem.file}:{problem.line}: ")
        return "bad input"
    try:
        res = pf.simulate(short, 1, 1, keep_patients=1)
    except SimulationError as exc:
        assert exc.step.name in str(exc)
        return "bad input"
    res.summary()
    res.utilisation()
    return "ok"


# ------------------------------------------------------------------ mutations of bundled files
def _leaves(node, path=()):
    if isinstance(node, dict):
        yield path, None
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        yield path, None
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))
    else:
        yield path, node


MUTATIONS = ("negative", "string", "null", "huge", "unknown name", "delete", "zero", "empty list")


def _mutate(data, path, kind):
    data = copy.deepcopy(data)
    if not path:
        return data
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    old = parent[key]
    if kind == "delete":
        if isinstance(parent, list):
            parent.pop(key)
        else:
            del parent[key]
        return data
    parent[key] = {
        "negative": (-abs(old) if isinstance(old, (int, float)) and not isinstance(old, bool) else "-5min"),
        "string": "not a value",
        "null": None,
        "huge": 1e12,
        "unknown name": "no_such_thing",
        "zero": 0,
        "empty list": [],
    }[kind]
    return data


_TREES: dict = {}


def _bundled(source: Path):
    """A bundled scenario's tree and its leaves, read once per session."""
    if source not in _TREES:
        tree = yaml.safe_load(source.read_text())
        _TREES[source] = (tree, list(_leaves(tree)))
    return _TREES[source]


@pytest.fixture(scope="module")
def scenario_copy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scenarios")
    for item in (ROOT / "scenarios").iterdir():
        (shutil.copytree if item.is_dir() else shutil.copy)(item, folder / item.name)
    return folder


@pytest.mark.slow
@pytest.mark.skipif(not BUNDLED, reason="no bundled scenarios")
@settings(max_examples=60)  # ~1 s each (a bundled scenario loaded and run for a day): the suite keeps to 15 min
@given(data=st.data())
def test_single_value_mutations_of_bundled_scenarios_never_crash(scenario_copy, data):
    source = data.draw(st.sampled_from(BUNDLED), label="scenario")
    tree, leaves = _bundled(source)
    path, _ = data.draw(st.sampled_from(leaves), label="path")
    kind = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    mutant = scenario_copy / f"mutant_{source.name}"
    mutant.write_text(yaml.safe_dump(_mutate(tree, path, kind), sort_keys=False))
    assert load_and_run(mutant) in ("ok", "bad input")


# ------------------------------------------------------------------ random scenarios
names = st.sampled_from(["triage", "clerk", "doctor", "bed", "acuity", "walk_ins", "zz", "1bad", "ward"])
durations = st.one_of(st.sampled_from(["5min", "exponential(3min)", "lognormal(mean 5min, sd 2min)", "90s",
                                       "gamma(shape 2, scale 3min)", "triangular(1min, 2min, 4min)",
                                       "normal(mean 5min, sd 4min)", "uniform(1min, 2min)", "empirical(1min, 3min)",
                                       "-2min", "exponential()", "weibull(3)", "4 parsecs", "fixed(0)"]),
                      st.floats(-5, 30, allow_nan=False), st.integers(-2, 20))


@st.composite
def scenarios(draw):
    resources = {f"r{i}": ({"count": draw(st.one_of(st.integers(-1, 4), st.just("inf")))} if draw(st.booleans()) else
                           {"roster": {draw(st.sampled_from(["07:00-19:00", "mon-fri 08:00-16:00", "25:00-07:00", "19:00-07:00"])):
                                       draw(st.integers(-1, 3))}})
                 for i in range(draw(st.integers(1, 3)))}
    steps = []
    for i in range(draw(st.integers(1, 4))):
        step = {}
        if draw(st.booleans()):
            step["use"] = draw(st.one_of(st.sampled_from(sorted(resources)), names))
        if draw(st.booleans()):
            step["takes"] = draw(durations)
        if draw(st.booleans()) and "use" in step:
            step["gives_up_after"] = draw(durations)
        if draw(st.booleans()):
            p = draw(st.floats(0, 1, allow_nan=False))
            step["branch"] = {"a": round(p, 3), "b": {"p": round(1 - p, 3), "then": draw(st.sampled_from(["exit done", "next", "pathway nowhere", "exit"]))}}
        if draw(st.booleans()):
            step["assign"] = {"acuity": {1: 0.5, 2: draw(st.sampled_from([0.5, 0.6]))}}
        steps.append({f"s{i}": step})
    moments = {}
    if draw(st.booleans()):
        moments["wait"] = {"stage": "care", "from": draw(st.sampled_from(["arrived", "s0.queued", "nope"])),
                           "to": draw(st.sampled_from(["s0.start", "left", "s9.end"])),
                           "target": draw(st.sampled_from(["90% within 15min", "mean 5min", "95% within", "at most 5%"])),
                           "by": draw(st.sampled_from([None, "acuity", "colour"]))}
        if moments["wait"]["by"] is None:
            del moments["wait"]["by"]
    return {"name": "fuzz", "run": {"length": "2d", "replications": 1},
            "demand": {"walk_ins": {draw(st.sampled_from(["per_day", "per_hour", "every"])): draw(st.one_of(st.integers(-3, 200), st.just("10min"))),
                                    "pathway": draw(st.sampled_from(["p", "q"]))}},
            "resources": resources, "pathways": {"p": steps}, "moments": moments}


@pytest.mark.slow
@given(spec=scenarios())
def test_random_scenarios_load_and_run_or_fail_located(tmp_path_factory, spec):
    path = tmp_path_factory.mktemp("fuzz") / "random.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert load_and_run(path) in ("ok", "bad input")


@given(text=st.text(alphabet=st.sampled_from(list("abc: -{}[]\n\t'\"!&*#%@`|>,?0123456789")), max_size=80))
@settings(max_examples=200)
def test_any_text_either_loads_or_is_reported_located(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("text") / "junk.yaml"
    path.write_text(text)
    assert load_and_run(path) in ("ok", "bad input")
