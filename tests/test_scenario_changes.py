"""A scenario change means one thing everywhere: ``with_changes`` merges as a variant file does,
a misspelt resource is refused, every warning reaches the user of ``run``, and the command line
says its version and shows its options whole."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import patientflow as pf

ROOT = Path(__file__).resolve().parents[1]

SMALL = textwrap.dedent("""\
    name: Small ED
    run: {length: 3d, warm_up: 0, replications: 1, seed: 1}
    demand:
      walk_in: {per_day: 120, pathway: ed}
    resources:
      triage_nurse: {roster: {"08:00-20:00": 2, "20:00-08:00": 1}, cost_per_hour: 30}
      doctor: {count: 4, cost_per_hour: 90}
    pathways:
      ed:
        - triage: {use: triage_nurse, takes: exponential(5min)}
        - treat: {use: doctor, takes: lognormal(mean 30min, sd 10min)}
    moments:
      to_triage: {stage: ed, from: arrived, to: triage.start, target: 95% within 15min}
    """)


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "patientflow.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


@pytest.fixture
def small(tmp_path):
    (tmp_path / "small.yaml").write_text(SMALL)
    return tmp_path / "small.yaml"


def variant(folder: Path, text: str, name: str = "variant.yaml") -> Path:
    path = folder / name
    path.write_text("extends: small.yaml\n" + textwrap.dedent(text))
    return path


def test_setting_a_count_on_a_rostered_resource_replaces_the_roster_in_code_and_in_a_file(small):
    sc = pf.load_scenario(small)
    changed = sc.with_changes({"resources.triage_nurse.count": 3})
    assert changed.spec.resources["triage_nurse"].count == 3 and changed.spec.resources["triage_nurse"].roster is None
    assert changed.spec.resources["triage_nurse"].cost_per_hour == 30  # the rest of the resource is kept
    from_file = pf.load_scenario(variant(small.parent, "resources:\n  triage_nurse: {count: 3}\n"))
    assert from_file.to_dict()["resources"] == changed.to_dict()["resources"]
    back = changed.with_changes({"resources.triage_nurse.roster": {"00:00-24:00": 2}})
    assert back.spec.resources["triage_nurse"].count is None


def test_a_roster_change_merges_shift_by_shift_as_a_variant_file_does(small):
    sc = pf.load_scenario(small)
    changed = sc.with_changes({"resources.triage_nurse.roster": {"16:00-24:00": 1, "20:00-08:00": 0}})
    from_file = pf.load_scenario(variant(small.parent, """\
        resources:
          triage_nurse: {roster: {"16:00-24:00": 1, "20:00-08:00": 0}}
        """))
    roster = changed.to_dict()["resources"]["triage_nurse"]["roster"]
    assert roster == {"08:00-20:00": 2, "20:00-08:00": 0, "16:00-24:00": 1}
    assert from_file.to_dict()["resources"] == changed.to_dict()["resources"]
    # 2 from 08:00 to 20:00, 1 from 16:00 to 24:00, nobody from midnight to 08:00
    capacity = changed.model.resources[0].capacity_by_minute
    assert (capacity[0], capacity[9 * 60], capacity[17 * 60], capacity[21 * 60]) == (0, 2, 3, 1)


def test_a_step_is_changed_by_its_name_like_a_pathway_patch(small):
    changed = pf.load_scenario(small).with_changes({"pathways.ed.triage.takes": "exponential(2min)"})
    assert changed.model.steps[0].takes.other.params == (2.0,)
    assert [next(iter(s)) for s in changed.to_dict()["pathways"]["ed"]] == ["triage", "treat"]


def test_a_bad_change_is_located_at_the_call_not_in_the_file(small):
    sc = pf.load_scenario(small)
    with pytest.raises(pf.ScenarioError) as caught:
        sc.with_changes({"resources.doctor.count": -1})
    assert str(caught.value).startswith("<with_changes>: resources.doctor.count: ")
    with pytest.raises(pf.ScenarioError) as caught:
        sc.with_changes({"pathways.ed.traige.takes": "3min"})
    assert str(caught.value) == ("<with_changes>: pathways.ed.traige: pathway 'ed' has no step 'traige' to change; "
                                 "did you mean 'triage'? (to add or remove steps, give the whole pathway as a list)")


def test_a_misspelt_resource_in_a_variant_is_refused_with_the_name_it_resembles(small):
    path = variant(small.parent, 'resources:\n  docter: {roster: {"17:00-01:00": 1}}\n')
    done = cli("validate", path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (f"{path}:3: resources.docter: no step uses 'docter'; did you mean 'doctor'? "
                                   "(a variant names a resource as the scenario it extends does)")


def test_a_resource_no_step_uses_is_a_warning(small):
    path = variant(small.parent, "resources:\n  porter: {count: 2, cost_per_hour: 15}\n")
    done = cli("validate", path)
    assert done.returncode == 0, done.stderr
    assert f"{path}:3: resources.porter: no step uses 'porter'" in done.stderr and "(warning)" in done.stderr


def test_a_bogus_journey_target_is_refused_by_validate(small):
    path = variant(small.parent, "journey: {target: bogus}\n")
    done = cli("validate", path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"{path}:2: journey.target: a share target reads 'at most 5%' or 'at least 95%'")


def test_run_shows_every_warning_in_its_output_run_json_and_the_report(small, tmp_path):
    path = variant(small.parent, "pathways:\n  ed:\n    triage: {takes: 40min}\n")
    done = cli("run", path, "--out", tmp_path / "out", "-r", "1")
    assert done.returncode == 0, done.stderr
    warning = next(line for line in done.stderr.splitlines() if "overloaded" in line)
    assert warning.startswith(f"{small}:6: resources.triage_nurse: triage_nurse overloaded:")
    assert warning.endswith("made by variant.yaml:4 (pathways.ed.triage.takes) (warning)")
    meta = json.loads((tmp_path / "out" / "run.json").read_text())
    assert len(meta["warnings"]) == 1 and "triage_nurse overloaded" in meta["warnings"][0]
    page = (tmp_path / "out" / "report.html").read_text()
    assert "triage_nurse overloaded" in page and "made by variant.yaml:4" in page


def test_pf_optimise_stays_a_function_after_its_module_is_imported():
    code = ("import patientflow as pf, patientflow.optimiser\n"
            "assert callable(pf.optimise) and callable(pf.optimise), pf.optimise\n"
            "from patientflow import optimise\nassert callable(optimise)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_command_line_says_its_version_and_shows_flags_as_flags():
    done = cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"patientflow {pf.__version__}"
    for command in ("run", "optimise", "compare", "report-actual"):
        shown = cli(command, "--help")
        assert shown.returncode == 0 and "<bool>" not in shown.stdout
        assert "│" not in shown.stdout  # plain text that wraps, never a box cut at the terminal's edge
    help_text = cli("optimise", "--help").stdout
    options = re.findall(r"typer\.Option\([^)]*?\"(--[a-z-]+)", (ROOT / "patientflow" / "cli" / "app.py").read_text())
    assert {"--budget", "--vary", "--max-evaluations", "--keep-met", "--dask"} <= set(options)
    for option in ("--budget", "--vary", "--constraint", "--max-evaluations", "--confidence", "--no-keep-met",
                   "--seed", "--out", "--jobs", "--dask"):
        assert option in help_text, option


def test_the_package_licence_is_a_plain_spdx_string():
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
