"""Files from others are safe: a corpus of hostile and broken inputs, each run as ``patientflow``
in a child process of its own (see ``hostile_runner.py``).

Every case must exit 2 with a located ``file:line: key: message`` and no traceback, quote nothing
from outside the root, and finish within :data:`SECONDS` and :data:`PEAK_MIB` of peak memory. A
case allowed to exit 0 is in :data:`ALLOWED` with its reason.

The corpus: path escapes (``..``, absolute paths, symlinks, devices, FIFOs, sockets, ``/proc``)
through each way a file names another (``extends:``, a profile, ``empirical(file)``, a mapping's
``scenario:``); alias bombs and deep nesting in scenarios and mapping files; tags in mapping
files; arrivals packed into a short time; and every numeric parameter of the scenario, and every
parameter of every distribution, at its extremes (huge, tiny, zero, negative, NaN, infinite).
"""

from __future__ import annotations

import json
import os
import re
import socket
import string
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SECONDS = 10
PEAK_MIB = 500
SECRET = "SECRET-LINE-4417"  # in every file outside the root: no output may ever show it
LOCATED = re.compile(r"^[^\n:]+:\d+: \S[^\n]*?: \S")  # file:line: key: message (a key may hold a shift's ':')

BASE = string.Template("""\
name: Hostile base
run: {length: $length, warm_up: $warm_up, replications: $replications, seed: $seed, max_inside: $max_inside}
demand:
  walk_in: {per_day: $per_day, pathway: ed, mix: {acuity: {1: $mix_share, 2: 0.8}}, by_hour: $by_hour,
            by_weekday: [$weekday, 1, 1, 1, 1, 1, 1]}
  calls: {per_hour: $per_hour, pathway: ed, set: {acuity: 2}}
  planned: {every: $every, start: $start, pathway: ed, set: {acuity: 1}}
resources:
  nurse: {count: $count, cost_per_hour: $cost}
  doctor: {roster: {"07:00-19:00": $staff, "19:00-07:00": 1}, cost_per_hour: 80}
  bed: {count: 20, initial: {occupied: $occupied, enter: stay}}
pathways:
  ed:
    - triage: {use: nurse, takes: $takes}
    - treat: {use: doctor, takes: $treat, gives_up_after: $patience}
    - decide: {branch: {admit: {p: $p_admit}, home: {p: 0.7, then: exit home}}}
    - stay: {hold: bed, takes: 2h}
    - leave: {wait_until: [$hour, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], release: bed}
moments:
  wait: {stage: ed, from: arrived, to: treat.start, target: "90% within $within", by: acuity}
  gave_up: {stage: ed, kind: share, from: treat.queued, outcome: abandoned, target: "at most $at_most%"}
journey: {stage: ed, target: "at least $at_least%"}
optimise: {vary: {nurse: "-1..+$vary"}, budget: $budget, max_evaluations: $max_evaluations, confidence: $confidence,
           first_replications: $first_replications}
""")
DEFAULTS = {
    "length": "2d", "warm_up": "0min", "replications": 2, "seed": 1, "max_inside": 5000, "per_day": 40,
    "mix_share": 0.2, "by_hour": "profiles/hourly.csv", "weekday": 1, "per_hour": 1.5, "every": "6h", "start": "1h",
    "count": 3, "cost": 30, "staff": 2, "occupied": "50%", "takes": "exponential(5min)", "treat": "20min",
    "patience": "exponential(4h)", "p_admit": 0.3, "hour": 1, "within": "60min", "at_most": 5, "at_least": 80,
    "vary": 2, "budget": 50000, "max_evaluations": 40, "confidence": 0.9, "first_replications": 5,
}
DURATION_SLOTS = ("length", "warm_up", "every", "start", "treat", "within")
NUMBER_SLOTS = ("replications", "seed", "max_inside", "per_day", "mix_share", "weekday", "per_hour", "count", "cost",
                "staff", "p_admit", "hour", "at_most", "at_least", "vary", "budget", "max_evaluations", "confidence",
                "first_replications")
DURATION_EXTREMES = {"huge": "1e200min", "tiny": "1e-200min", "zero": "0min", "negative": "-5min", "nan": "nan min",
                     "inf": "inf min"}
NUMBER_EXTREMES = {"huge": "1e300", "huge_whole": "1" + "0" * 400, "tiny": "1e-300", "zero": "0", "negative": "-1",
                   "nan": ".nan", "inf": ".inf"}
DISTRIBUTIONS = {  # each parameter's place in the written form
    "exponential": "exponential({})", "fixed": "fixed({})",
    "lognormal_mean": "lognormal(mean {}, sd 1min)", "lognormal_sd": "lognormal(mean 30min, sd {})",
    "gamma_mean": "gamma(mean {}, sd 1min)", "gamma_sd": "gamma(mean 5min, sd {})",
    "gamma_shape": "gamma(shape {}, scale 1min)", "gamma_scale": "gamma(shape 2, scale {})",
    "normal_mean": "normal(mean {}, sd 3min)", "normal_sd": "normal(mean 10min, sd {})",
    "triangular_min": "triangular(min {}, mode 2min, max 6min)", "triangular_mode": "triangular(min 1min, mode {}, max 6min)",
    "triangular_max": "triangular(min 1min, mode 2min, max {})",
    "uniform_min": "uniform({}, 3min)", "uniform_max": "uniform(1min, {})",
    "empirical": "empirical(3min, {}, 12min)",
}

# A case allowed to exit 0, and why: each is a value a planner may mean.
ALLOWED = {
    "number-tiny-cost": "a cost per hour of almost nothing is a cost",
    "number-zero-cost": "staff who cost nothing (volunteers) are allowed",
    "number-zero-seed": "0 is a seed like any other",
    "number-tiny-weekday": "a day with almost no demand is a profile",
    "number-zero-weekday": "a day without demand is a profile",
    "number-tiny-hour": "an hour in which wards almost never discharge is a profile",
    "number-zero-hour": "an hour without discharges is a profile",
    "number-zero-at_most": "at most 0% is a strict target",
    "number-zero-at_least": "at least 0% is a target always met",
    "number-zero-staff": "a shift with nobody on it is a roster",
    "number-zero-vary": "a range of -1..+0: the optimiser may only take a nurse away",
    "number-tiny-budget": "a budget nothing can meet is a question the optimiser answers (no roster fits)",
    "number-tiny-per_day": "almost no arrivals is a demand",
    "number-tiny-per_hour": "almost no arrivals is a demand",
    "duration-tiny-treat": "a step that takes almost no time is a step",
    "duration-zero-treat": "a step that takes no time is a step",
    "duration-tiny-within": "a target of almost no wait is a target",
    "duration-zero-within": "a target of no wait at all is a target",
    "duration-tiny-start": "arrivals that start almost at once",
    "duration-zero-start": "arrivals that start at once",
    "duration-tiny-warm_up": "a warm-up of almost nothing",
    "duration-zero-warm_up": "no warm-up (the wards may start occupied instead)",
    "number-huge-hour": "profile weights are relative: only their ratios count",
    "number-huge-weekday": "profile weights are relative: only their ratios count",
    "packed-two-million-a-day": "within the bounds (5 million patients a replication); the overload check is scaled "
                                "to 10,000 patients, so validate stays quick",
    "packed-two-million-a-day-run": "within the bounds; the run stops as overloaded at run.max_inside",
    "dist-zero-fixed": "fixed(0min) takes no time",
    "dist-tiny-fixed": "fixed(1e-200min) takes almost no time",
    "dist-tiny-exponential": "a mean of almost no time is a distribution",
    "dist-zero-lognormal_sd": "sd 0 is a fixed time",
    "dist-zero-gamma_sd": "sd 0 is a fixed time",
    "dist-tiny-gamma_scale": "shape 2 of a tiny scale is a tiny time",
    "dist-zero-normal_mean": "normal(mean 0min, sd 3min) truncated at 0 is a distribution",
    "dist-tiny-normal_mean": "normal(mean almost 0, sd 3min) truncated at 0 is a distribution",
    "dist-zero-normal_sd": "sd 0 is a fixed time",
    "dist-tiny-normal_sd": "a tiny sd is almost a fixed time",
    "dist-zero-triangular_min": "a triangle from 0",
    "dist-tiny-triangular_min": "a triangle from almost 0",
    "dist-tiny-uniform_min": "uniform from almost 0",
    "dist-zero-uniform_min": "uniform from 0",
    "dist-tiny-empirical": "a value of almost no time among others",
    "dist-zero-empirical": "a value of no time among others",
}


def scenario_text(**changes) -> str:
    return BASE.substitute({**DEFAULTS, **changes})


def extreme_cases() -> dict[str, dict]:
    """Every numeric parameter of the base, and every parameter of every distribution, at each
    extreme: one changed at a time."""
    cases = {}
    for slot in DURATION_SLOTS:
        for kind, value in DURATION_EXTREMES.items():
            cases[f"duration-{kind}-{slot}"] = {"text": scenario_text(**{slot: value})}
    for slot in NUMBER_SLOTS:
        for kind, value in NUMBER_EXTREMES.items():
            cases[f"number-{kind}-{slot}"] = {"text": scenario_text(**{slot: value})}
    for kind, value in {"huge": "1e200%", "negative": "-5%", "nan": "nan%", "above": "150%"}.items():
        cases[f"number-{kind}-occupied"] = {"text": scenario_text(occupied=value)}
    for name, form in DISTRIBUTIONS.items():
        for kind, value in DURATION_EXTREMES.items():
            if name == "gamma_shape":
                value = value.replace("min", "").strip()
            cases[f"dist-{kind}-{name}"] = {"text": scenario_text(takes=form.format(value))}
    cases["dist-zero-exponential"]["text"] = scenario_text(takes="exponential(0min)")
    return cases


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A planner's project folder (the root) beside a folder of someone else's files."""
    top = tmp_path_factory.mktemp("hostile")
    outside = top / "outside"
    outside.mkdir()
    for name in ("secret.yaml", "secret.csv"):
        (outside / name).write_text(f"{SECRET}: {SECRET}\n" * 30)
    proj = top / "project"
    (proj / "profiles").mkdir(parents=True)
    (proj / "profiles" / "hourly.csv").write_text("hour,weight\n" + "".join(f"{h},1\n" for h in range(24)))
    (proj / "log.csv").write_text("id,arrived\n1,2025-01-06 08:00\n")
    (proj / "base.yaml").write_text(scenario_text())
    (proj / "link_to_secret.csv").symlink_to(outside / "secret.csv")
    (proj / "link_to_secret.yaml").symlink_to(outside / "secret.yaml")
    os.mkfifo(proj / "fifo.csv")
    os.mkfifo(proj / "fifo.yaml")
    (proj / "folder.csv").mkdir()
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(proj / "socket.csv"))
    yield proj
    listener.close()


def path_cases(proj: Path) -> dict[str, dict]:
    """Each way a file names another, pointed at each place it may not read."""
    outside = proj.parent / "outside"
    places = {
        "climb": "../outside/secret.{ext}", "absolute": str(outside / "secret.{ext}"), "symlink": "link_to_secret.{ext}",
        "etc": "../../../../../../../../etc/passwd", "fifo": "fifo.{ext}", "folder": "folder.csv",
        "socket": "socket.csv", "missing": "nowhere.{ext}",
    }
    wide = {"proc": "/proc/self/environ", "proc_status": "/proc/self/status", "dev_zero": "/dev/zero",
            "dev_urandom": "/dev/urandom", "sys": "/sys/kernel/mm/transparent_hugepage/enabled"}
    cases = {}
    for where, target in [*places.items(), *wide.items()]:
        root = ["--root", "/"] if where in wide else []  # the root widened to everything: still refused
        cases[f"path-{where}-extends"] = {"text": f"extends: {target.format(ext='yaml')}\nname: Variant\n", "root": root}
        cases[f"path-{where}-profile"] = {"text": scenario_text(by_hour=target.format(ext="csv")), "root": root}
        cases[f"path-{where}-empirical"] = {"text": scenario_text(takes=f"empirical({target.format(ext='csv')})"),
                                            "root": root}
        cases[f"path-{where}-mapping"] = {"mapping": f"scenario: {target.format(ext='yaml')}\npatient: id\n", "root": root}
    cases["path-profile-without-extension"] = {"text": scenario_text(by_hour="../outside/secret")}
    cases["path-empirical-without-extension"] = {"text": scenario_text(takes="empirical(../outside/secret)")}
    return cases


BOMB = "".join(f'{c}: &{c} [{", ".join(["*" + p] * 9)}]\n' for p, c in zip("abcdefgh", "bcdefghi"))
BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + BOMB


def structure_cases() -> dict[str, dict]:
    """Alias bombs, deep nesting, tags and broken files, in scenarios and in mapping files."""
    deep_list = "x: " + "[" * 1000 + "]" * 1000 + "\n"
    deep_map = "x: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n"
    deep_block = "".join("  " * i + "a:\n" for i in range(300)) + "  " * 300 + "b: 1\n"
    tags = {"python": 'x: !!python/object/apply:os.system ["touch pwned"]', "custom": "x: !thing 5",
            "set": "x: !!set {a, b}", "binary": "x: !!binary aGVsbG8="}
    cases = {
        "yaml-bomb-scenario": {"text": "name: Bomb\n" + BOMB},
        "yaml-bomb-mapping": {"mapping": "patient: id\n" + BOMB},
        "yaml-deep-list-scenario": {"text": "name: Deep\n" + deep_list},
        "yaml-deep-map-scenario": {"text": "name: Deep\n" + deep_map},
        "yaml-deep-block-scenario": {"text": "name: Deep\n" + deep_block},
        "yaml-deep-list-mapping": {"mapping": "patient: id\n" + deep_list},
        "yaml-deep-map-mapping": {"mapping": "patient: id\n" + deep_map},
        "yaml-binary-scenario": {"bytes": b"name: \xff\xfe\x00 binary\n"},
        "yaml-binary-mapping": {"mapping_bytes": b"patient: \xff\xfe\x00\n"},
        "yaml-huge-scenario": {"text": "name: Huge\ndescription: " + "x" * (3 * 2**20) + "\n"},
    }
    for name, line in tags.items():
        cases[f"yaml-tag-{name}-mapping"] = {"mapping": f"patient: id\n{line}\n"}
        cases[f"yaml-tag-{name}-scenario"] = {"text": f"name: Tagged\n{line}\n"}
    return cases


def packed_cases() -> dict[str, dict]:
    """Arrivals packed into a short time: the bounds hold before anything runs."""
    one_hour = "[" + ", ".join(["1000"] + ["0"] * 167) + "]"
    week = scenario_text(length="365d").replace("by_hour: profiles/hourly.csv,\n            by_weekday: [1, 1, 1, 1, 1, 1, 1]",
                                               f"by_week: {one_hour}")
    return {
        "packed-two-million-a-day": {"text": scenario_text(per_day=2_000_000, length="1d")},
        "packed-two-million-a-day-run": {"text": scenario_text(per_day=2_000_000, length="1d"), "command": "run"},
        "packed-six-million-a-day": {"text": scenario_text(per_day=6_000_000, length="1d")},
        "packed-five-million-a-day-for-a-week": {"text": scenario_text(per_day=5_000_000, length="7d")},
        "packed-a-week-in-one-hour": {"text": week.replace("per_day: 40", "per_day: 500000")},
        "packed-every-nanosecond": {"text": scenario_text(every="1e-9min")},
        "packed-a-billion-initial": {"text": scenario_text().replace("bed: {count: 20", "bed: {count: 1000000000")
                                     .replace("occupied: 50%", "occupied: 900000000")},
        "packed-a-long-run": {"text": scenario_text(length="3650d", per_day=3000)},
    }


def all_cases(proj: Path) -> dict[str, dict]:
    return {**path_cases(proj), **structure_cases(), **packed_cases(), **extreme_cases()}


def _command(proj: Path, name: str, case: dict) -> list[str]:
    folder = proj  # beside profiles/, as a planner's files are
    if "mapping" in case or "mapping_bytes" in case:
        mapping = folder / f"{name}.mapping.yaml"
        mapping.write_bytes(case.get("mapping_bytes") or case["mapping"].encode())
        return ["report-actual", "log.csv", "--columns", str(mapping.relative_to(proj)), "--out",
                f"out/{name}", *case.get("root", [])]
    path = folder / f"{name}.yaml"
    path.write_bytes(case.get("bytes") or case["text"].encode())
    if case.get("command") == "run":
        return ["run", str(path.relative_to(proj)), "--jobs", "1", "--out", f"out/{name}", *case.get("root", [])]
    return ["validate", str(path.relative_to(proj)), *case.get("root", [])]


@pytest.fixture(scope="module")
def results(project):
    """Every case of the corpus, run once, by name."""
    cases = all_cases(project)
    lines = [json.dumps({"warm": ["run", "base.yaml", "--jobs", "1", "--out", "out/warm"], "cwd": str(project)}),
             json.dumps({"warm": ["report-actual", "log.csv", "--out", "out/warm-log"], "cwd": str(project)})]
    for name, case in cases.items():
        argv = _command(project, name, case)
        lines.append(json.dumps({"id": name, "argv": argv, "cwd": str(project), "timeout": SECONDS + 5}))
    done = subprocess.run([sys.executable, str(HERE / "hostile_runner.py")], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=1800, cwd=project)
    assert done.returncode == 0, done.stderr
    found = {r["id"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert set(found) == set(cases)
    if os.environ.get("PF_HOSTILE_TIMES"):  # a file to keep each case's exit, seconds and memory in
        Path(os.environ["PF_HOSTILE_TIMES"]).write_text(json.dumps(
            {k: {f: r[f] for f in ("code", "seconds", "rss_mib")} for k, r in found.items()}, indent=1))
    return found


CASE_NAMES = sorted(all_cases(Path("/nowhere/project")))


def test_the_corpus_is_large_and_names_its_allowed_cases():
    assert len(CASE_NAMES) >= 250
    assert set(ALLOWED) <= set(CASE_NAMES), set(ALLOWED) - set(CASE_NAMES)


@pytest.mark.slow  # the whole corpus: about a minute on one core
@pytest.mark.parametrize("name", CASE_NAMES)
def test_a_hostile_input_is_refused_in_bounds(results, name):
    r = results[name]
    said = r["stdout"] + r["stderr"]
    assert not r["killed"], f"{name}: still running after {SECONDS + 5} s"
    assert "Traceback" not in said, said[-3000:]
    assert SECRET not in said and "root:x:0" not in said, said[:2000]
    assert r["seconds"] < SECONDS, f"{name}: {r['seconds']:.1f} s"
    assert r["rss_mib"] < PEAK_MIB, f"{name}: {r['rss_mib']:.0f} MiB"
    if name in ALLOWED:
        assert r["code"] == 0, said
        return
    assert r["code"] == 2, f"{name}: exit {r['code']}\n{said[:2000]}"
    first = r["stderr"].strip().splitlines()[0]
    assert LOCATED.match(first), first
    assert len(first) < 600, first


def test_the_entry_point_itself_refuses_a_climb_to_another_file(project):
    """The same refusal from a fresh ``python -m patientflow.cli`` process, not a forked one."""
    (project / "climb.yaml").write_text("extends: ../outside/secret.yaml\n")
    done = subprocess.run([sys.executable, "-m", "patientflow.cli", "validate", "climb.yaml"], cwd=project,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr and SECRET not in done.stderr
    assert done.stderr.startswith("climb.yaml:1: extends: '../outside/secret.yaml': it lies outside the root")


# ---------------------------------------------------------------- the root, where files may lie
def _project(top: Path) -> Path:
    """A project folder: scenarios/, variants/ and a file outside it."""
    (top / "outside.yaml").write_text(f"name: {SECRET}\n")
    proj = top / "proj"
    (proj / "scenarios" / "profiles").mkdir(parents=True)
    (proj / "variants").mkdir()
    (proj / "scenarios" / "profiles" / "hourly").write_text("".join(f"{h % 3 + 1}\n" for h in range(24)))
    (proj / "scenarios" / "base.yaml").write_text(scenario_text(by_hour="profiles/hourly"))
    return proj


def test_files_named_inside_the_project_folder_are_read_from_it(tmp_path, monkeypatch):
    import patientflow as pf
    proj = _project(tmp_path)
    (proj / "variants" / "x.yaml").write_text("extends: ../scenarios/base.yaml\nname: X\n")
    optimised = proj / "reports" / "base-optimised" / "base-optimised.yaml"
    optimised.parent.mkdir(parents=True)
    optimised.write_text("extends: ../../scenarios/base.yaml\nname: Optimised\n")
    monkeypatch.chdir(proj)
    assert pf.load_scenario("variants/x.yaml").name == "X"
    assert pf.load_scenario("reports/base-optimised/base-optimised.yaml").name == "Optimised"
    # the profile without an extension is found beside the scenario, not in the current folder
    hourly = pf.load_scenario("scenarios/base.yaml").spec.demand["walk_in"].by_hour
    assert hourly == tuple(float(h % 3 + 1) for h in range(24))


def test_outside_the_project_folder_the_root_is_the_scenarios_own_folder(tmp_path, monkeypatch):
    import patientflow as pf
    proj = _project(tmp_path)
    (proj / "variants" / "x.yaml").write_text("extends: ../scenarios/base.yaml\nname: X\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(pf.ScenarioError) as caught:
        pf.load_scenario(proj / "variants" / "x.yaml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.key) == (1, "extends")
    assert problem.message.startswith(f"'../scenarios/base.yaml': it lies outside the root {proj / 'variants'}")
    assert pf.load_scenario(proj / "variants" / "x.yaml", root=proj).name == "X"  # widened on purpose
    done = subprocess.run([sys.executable, "-m", "patientflow.cli", "validate", str(proj / "variants" / "x.yaml"),
                           "--root", str(proj)], capture_output=True, text=True, cwd=elsewhere, timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_climb_to_the_system_s_files_is_refused_and_quotes_nothing(tmp_path, monkeypatch):
    import patientflow as pf
    proj = _project(tmp_path)
    depth = len(proj.resolve().parts)
    for target in ["../" * depth + "etc/shadow", "../" * depth + "etc/passwd", "../outside.yaml", "/etc/passwd"]:
        (proj / "climb.yaml").write_text(f"name: Climb\nextends: {target}\n")
        monkeypatch.chdir(proj)
        with pytest.raises(pf.ScenarioError) as caught:
            pf.load_scenario("climb.yaml")
        text = str(caught.value)
        assert "it lies outside the root" in text and SECRET not in text and "root:" not in text.split("root ")[0]
        assert text.count("\n") == 0, text


def test_a_mapping_file_names_a_scenario_inside_its_root_and_holds_no_tags(tmp_path, monkeypatch):
    from patientflow.eventlog.mapping import EventLogError, read_mapping
    proj = _project(tmp_path)
    monkeypatch.chdir(proj)
    (proj / "m.yaml").write_text("scenario: scenarios/base.yaml\npatient: id\n")
    assert read_mapping(Path("m.yaml")).scenario == (proj / "scenarios" / "base.yaml").resolve()
    (proj / "m.yaml").write_text("scenario: ../outside.yaml\npatient: id\n")
    with pytest.raises(EventLogError) as caught:
        read_mapping(Path("m.yaml"))
    assert str(caught.value.problems[0]).startswith("m.yaml:1: scenario: '../outside.yaml': it lies outside the root")
    (proj / "m.yaml").write_text("patient: id\nevents:\n  arrived: !!python/name:os.system\n")
    with pytest.raises(EventLogError) as caught:
        read_mapping(Path("m.yaml"))
    assert str(caught.value.problems[0]).startswith("m.yaml:3: events.arrived: the YAML tag !!python/name:os.system")


def test_the_readme_states_the_bounds_the_code_holds():
    from patientflow import distributions, files
    from patientflow.scenario import checks
    readme = (HERE.parent / "README.md").read_text(encoding="utf-8")
    section = " ".join(readme.split("## Files from others", 1)[1].split("\n## ", 1)[0].split())
    said = {
        f"A YAML file may hold {files.MAX_YAML_BYTES // 2**20} MiB": True,
        f"a CSV of numbers {files.MAX_TABLE_BYTES // 2**20} MiB": True,
        f"values may nest {files.MAX_DEPTH} deep": True,
        f"at most {files.MAX_VALUES:,} values once its aliases are expanded": True,
        "a duration is at most 10⁹ minutes": distributions.LONGEST == 1e9,
        f"at most {checks.MAX_PATIENTS // 1_000_000} million patients": True,
        f"at most {checks.MAX_CANDIDATES // 1_000_000} million candidate arrival times": True,
        f"at most {checks.MAX_LOG_CELLS // 1_000_000} million patient events": True,
        "between a millionth of its mean and a thousand times it": distributions.SPREAD == (1e-6, 1e3),
        f"simulates at most {checks.PROBE_PATIENTS:,} patients": True,
        f"({files.SHOWN} characters; {files.PATH_SHOWN} for a path": True,
    }
    for text, holds in said.items():
        assert text in section and holds, text
