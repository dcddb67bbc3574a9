"""The README's scenario example is a real scenario: it loads and runs (docs that cannot rot)."""

from __future__ import annotations

import re
from pathlib import Path

import patientflow as pf

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_scenario_example_loads_and_runs(tmp_path):
    example = _blocks()[0]
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "calls_by_hour.csv").write_text("hour,weight\n" + "".join(f"{h},{1 + (h > 8)}\n" for h in range(24)))
    (profiles / "walk_ins_week.csv").write_text("weight\n" + "1\n" * 168)
    (profiles / "discharge_hours.csv").write_text("weight\n" + "".join(f"{int(9 <= h < 18)}\n" for h in range(24)))
    path = tmp_path / "example.yaml"
    path.write_text(example.replace("length: 56d, warm_up: 7d", "length: 3d, warm_up: 1d"))
    sc = pf.load_scenario(path)
    res = pf.simulate(sc, replications=1, seed=1)
    summary = res.summary()
    assert {"time_to_answer", "abandoned_calls", "response", "handover", "four_hours", "journey"} <= set(summary["moment"])
    assert summary[summary.moment == "handover"]["n"].iloc[0] > 50


def test_the_readme_variant_example_extends_the_scenario_example(tmp_path):
    example, variant = _blocks()[0], _blocks()[1]
    test_the_readme_scenario_example_loads_and_runs(tmp_path)
    (tmp_path / "baseline.yaml").write_text((tmp_path / "example.yaml").read_text())
    (tmp_path / "variant.yaml").write_text(variant)
    base = pf.load_scenario(tmp_path / "baseline.yaml")
    alt = pf.load_scenario(tmp_path / "variant.yaml")
    assert alt.name != base.name
    assert alt.spec.resources["triage_nurse"].roster != base.spec.resources["triage_nurse"].roster
    assert alt.spec.pathways["ed"][0]["triage"].takes.params == (2.5,)
    assert alt.spec.pathways["ed"][0]["triage"].use == base.spec.pathways["ed"][0]["triage"].use


def test_the_readme_optimise_section_is_valid(tmp_path):
    block = next(b for b in _blocks() if b.startswith("optimise:"))
    test_the_readme_scenario_example_loads_and_runs(tmp_path)
    (tmp_path / "example.yaml").write_text((tmp_path / "example.yaml").read_text() + "\n" + block)
    sc = pf.load_scenario(tmp_path / "example.yaml")
    assert sc.spec.optimise.vary == {"doctor": (-1, 2), "triage_nurse": (0, 2), "ambulance": (-2, 3)}
    assert sc.spec.optimise.constraints == ("response", "handover")
